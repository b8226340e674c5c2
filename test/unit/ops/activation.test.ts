// Activations and dropout: identity shapes, what backward keeps, in-place kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { memoryOf, Net } from './net';

const KEEPS_OUTPUT = ['relu', 'relu6', 'leaky_relu', 'elu', 'sigmoid', 'tanh', 'softmax'];
const KEEPS_INPUT = ['gelu', 'silu'];

test('activations keep the shape, have no params and run in place elementwise', () => {
  const n = new Net();
  const x = n.input(64, 8, 8);
  for (const op of [...KEEPS_OUTPUT, ...KEEPS_INPUT, 'dropout']) {
    assert.deepEqual(n.op(op, [x]).shape, [64, 8, 8], op);
    assert.equal(lookupOp(op)!.inPlace, 'elementwise', op);
  }
  assert.deepEqual(n.params, { trainable: 0, nonTrainable: 0 });
});

test('relu, sigmoid, tanh, softmax keep their output; gelu and silu their input', () => {
  for (const op of KEEPS_OUTPUT) assert.deepEqual([memoryOf(op, [[10]]).saved.output, memoryOf(op, [[10]]).saved.inputs], [true, []], op);
  for (const op of KEEPS_INPUT) assert.deepEqual([memoryOf(op, [[10]]).saved.output, memoryOf(op, [[10]]).saved.inputs], [false, [0]], op);
});

test('dropout keeps a bool mask per element, or per channel when spatial (either layout)', () => {
  const m = memoryOf('dropout', [[64, 8, 8]], { rate: 0.1 });
  assert.deepEqual([m.saved.extra.perSample, m.saved.extraDType], [4096, 'bool']);
  assert.equal(memoryOf('dropout', [[64, 8, 8]], { spatial: true }).saved.extra.perSample, 64);
  assert.equal(memoryOf('dropout', [[8, 8, 64]], { spatial: true }, 'nhwc').saved.extra.perSample, 64);
  const n = new Net();
  assert.equal(n.fail('dropout', [n.input(10)], { rate: 1 }).arg, 'rate');
});

test('softmax axis must be inside the per-sample rank', () => {
  const n = new Net();
  const x = n.input(12, 128, 128);
  assert.deepEqual(n.op('softmax', [x], { axis: 0 }).shape, [12, 128, 128]);
  const e = n.fail('softmax', [x], { axis: 3 });
  assert.equal(e.arg, 'axis');
  assert.match(e.message, /axis' 3 is out of range for a 3-D/);
});
