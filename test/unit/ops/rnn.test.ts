// Recurrent layers: PyTorch and Keras parameter conventions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, memoryOf, Net } from './net';
import { lookupOp } from '../../../server/src/core/ops/registry';

const shapeOf = (op: string, shapes: number[][], args: Record<string, number | boolean>): number[] => lookupOp(op)!.inferShape(context(op, shapes, args));

// 4 (100*128 + 128*128 + 2*128) = 117,760 (nn.LSTM(100, 128)); Keras LSTM(128) on 100 features:
// 4 (128 (100 + 128) + 128) = 117,248, the figure model.summary() prints. One bias set = 512 fewer.
test('LSTM(100 -> 128): PyTorch 117,760 (two bias sets), Keras 117,248 (one)', () => {
  const n = new Net();
  const x = n.input(20, 100);
  assert.equal(n.paramsOf('lstm', [x], { hidden: 128 }).trainable, 117_760);
  assert.equal(n.paramsOf('lstm', [x], { hidden: 128, bias_sets: 1 }).trainable, 117_248);
});

test('GRU(100 -> 128): PyTorch / Keras reset_after 88,320, Keras reset_after false 87,936; SimpleRNN 29,312', () => {
  const n = new Net();
  const x = n.input(20, 100);
  assert.equal(n.paramsOf('gru', [x], { hidden: 128 }).trainable, 88_320);
  assert.equal(n.paramsOf('gru', [x], { hidden: 128, bias_sets: 1 }).trainable, 87_936);
  assert.equal(n.paramsOf('simple_rnn', [x], { hidden: 128, bias_sets: 1 }).trainable, 29_312);
});

test('return_sequences, bidirectional and stacked layers', () => {
  const n = new Net();
  const x = n.input(20, 100);
  assert.deepEqual(n.op('lstm', [x], { hidden: 128 }).shape, [128]);
  assert.deepEqual(n.op('lstm', [x], { hidden: 128, return_sequences: true }).shape, [20, 128]);
  assert.deepEqual(n.op('lstm', [x], { hidden: 128, bidirectional: true, bias_sets: 1 }).shape, [256]);
  assert.equal(n.paramsOf('lstm', [x], { hidden: 128, bidirectional: true, bias_sets: 1 }).trainable, 234_496);
  // nn.LSTM(100, 128, num_layers=2): the second layer reads 128 features
  assert.equal(n.paramsOf('lstm', [x], { hidden: 128, layers: 2 }).trainable, 117_760 + 4 * (128 * 128 + 128 * 128 + 256));
});

test('rnn errors: wrong rank and bias_sets out of range', () => {
  const n = new Net();
  assert.match(n.fail('lstm', [n.input(3, 20, 100)], { hidden: 8 }).message, /lstm expects a 2-D \[L, F\] sequence per sample/);
  assert.equal(n.fail('gru', [n.input(20, 100)], { hidden: 8, bias_sets: 3 }).arg, 'bias_sets');
});

test('lstm keeps its input and per-timestep gates and states (6 H per step)', () => {
  const m = memoryOf('lstm', [[10, 100]], { hidden: 128 });
  assert.deepEqual(m.saved.inputs, [0]);
  assert.equal(m.saved.extra.perSample, 10 * 6 * 128);
  // an initial state (h0, c0) given: its first step's products keep it too
  assert.deepEqual(memoryOf('lstm', [[10, 100], [1, 128], [1, 128]], { hidden: 128 }).saved.inputs, [0, 1, 2]);
  assert.equal(memoryOf('gru', [[10, 100]], { hidden: 128, bidirectional: true }).saved.extra.perSample, 2 * 10 * 4 * 128);
});

test('dropout between stacked layers keeps a mask of every layer output but the last', () => {
  // 3 layers, bidirectional: 2 masks of [10, 2 * 128] beside the per-step state
  const state = 3 * 2 * 10 * 6 * 128;
  assert.equal(memoryOf('lstm', [[10, 100]], { hidden: 128, layers: 3, bidirectional: true }).saved.extra.perSample, state);
  assert.equal(memoryOf('lstm', [[10, 100]], { hidden: 128, layers: 3, bidirectional: true, dropout: 0.2 }).saved.extra.perSample, state + 2 * 10 * 256);
  // one layer has nothing to drop between
  assert.equal(memoryOf('gru', [[10, 100]], { hidden: 128, dropout: 0.5 }).saved.extra.perSample, 10 * 4 * 128);
  const n = new Net();
  assert.equal(n.fail('lstm', [n.input(20, 100)], { hidden: 8, layers: 2, dropout: 1 }).arg, 'dropout');
});

test('an initial state is [layers * dirs, H] per sample, one tensor per state (LSTM h0 and c0)', () => {
  assert.deepEqual(shapeOf('gru', [[10, 100], [4, 32]], { hidden: 32, layers: 2, bidirectional: true }), [64]);
  assert.throws(() => shapeOf('gru', [[10, 100], [2, 32]], { hidden: 32, layers: 2, bidirectional: true }), /expects an initial state \[4, 32\] per sample/);
  assert.throws(() => shapeOf('lstm', [[10, 100], [1, 32]], { hidden: 32 }), /takes the sequence and the initial states h0 and c0/);
});
