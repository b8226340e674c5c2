// Dense and embedding rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryOf, Net } from './net';

test('dense 2048 -> 1000 = 2,049,000 params; linear is an alias; bias false drops the units', () => {
  const n = new Net();
  const x = n.input(2048);
  assert.deepEqual(n.op('dense', [x], { units: 1000 }).shape, [1000]);
  assert.equal(n.params.trainable, 2_049_000);
  assert.equal(n.paramsOf('linear', [x], { units: 1000, bias: false }).trainable, 2_048_000);
});

test('dense applies to the last axis of [L, F]', () => {
  const n = new Net();
  assert.deepEqual(n.op('dense', [n.input(128, 768)], { units: 3072 }).shape, [128, 3072]);
  assert.equal(n.params.trainable, 768 * 3072 + 3072);
});

test('dense on a 3-D per-sample tensor is an error suggesting flatten', () => {
  const n = new Net();
  const e = n.fail('dense', [n.input(512, 7, 7)], { units: 10 });
  assert.match(e.message, /dense expects a 1-D \[F\] or 2-D \[L, F\] input per sample, got 3-D \[512, 7, 7\]; flatten\(x\)/);
  assert.equal(n.fail('dense', [n.input(8)], { units: 0 }).arg, 'units');
});

test('dense saves its input; fused softmax keeps the output', () => {
  assert.deepEqual(memoryOf('dense', [[64]], { units: 10 }).saved.inputs, [0]);
  assert.equal(memoryOf('dense', [[64]], { units: 10, activation: 'softmax' }).saved.output, true);
  assert.equal(memoryOf('dense', [[64]], { units: 10, activation: 'silu' }).saved.extra.perSample, 10);
});

test('embedding(30522, 768) = 23,440,896 params; [L] -> [L, 768]', () => {
  const n = new Net();
  const ids = n.op('input', [], { shape: [128], dtype: 'int64' });
  assert.deepEqual(n.op('embedding', [ids], { vocab: 30522, dim: 768 }).shape, [128, 768]);
  assert.equal(n.params.trainable, 23_440_896);
});
