// Multi-head self-attention rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryOf, Net } from './net';

test('attention d=768, 12 heads: 4 (d^2 + d) = 2,362,368 params (PyTorch MultiheadAttention), shape kept', () => {
  const n = new Net();
  const x = n.input(128, 768);
  assert.deepEqual(n.op('attention', [x], { heads: 12 }).shape, [128, 768]);
  assert.equal(n.params.trainable, 2_362_368);
  assert.equal(n.paramsOf('attention', [x], { heads: 12, bias: false }).trainable, 4 * 768 * 768);
});

test('attention errors: heads must divide d; input must be [L, d]', () => {
  const n = new Net();
  const e = n.fail('attention', [n.input(128, 768)], { heads: 5 });
  assert.equal(e.arg, 'heads');
  assert.match(e.message, /heads 5 must divide the model dim 768/);
  assert.match(n.fail('attention', [n.input(768)], { heads: 12 }).message, /2-D \[L, d\]/);
});

test('attention keeps q, k, v, context and heads L^2 probabilities; scores are workspace', () => {
  const m = memoryOf('attention', [[128, 768]], { heads: 12 });
  assert.equal(m.workspace, 12 * 128 * 128);
  assert.equal(m.saved.extra.perSample, 4 * 128 * 768 + 12 * 128 * 128);
  assert.deepEqual(m.saved.inputs, [0]);
});

test('flash attention holds no scores and saves one log-sum-exp per row and head instead of the probabilities', () => {
  const m = memoryOf('attention', [[128, 768]], { heads: 12, flash: true });
  assert.equal(m.workspace, 0);
  assert.equal(m.saved.extra.perSample, 4 * 128 * 768 + 12 * 128);
});

test('a causal mask changes neither the parameters nor the memory: it is applied to the scores in place', () => {
  const plain = memoryOf('attention', [[128, 768]], { heads: 12 });
  const causal = memoryOf('attention', [[128, 768]], { heads: 12, causal: true });
  assert.deepEqual(causal, plain);
});

test('scaled_dot_product_attention: [h, L, E] operands, no weights; fused keeps one log-sum-exp per query, the math path the probabilities', () => {
  const n = new Net();
  const [q, k, v] = [n.input(4, 64, 32), n.input(4, 64, 32), n.input(4, 64, 16)];
  assert.deepEqual(n.op('scaled_dot_product_attention', [q, k, v]).shape, [4, 64, 16]);
  assert.equal(n.params.trainable, 0);
  const fused = memoryOf('sdpa', [[4, 64, 32], [4, 64, 32], [4, 64, 16]], {});
  assert.equal(fused.workspace, 0);
  assert.equal(fused.saved.extra.perSample, 4 * 64);
  assert.deepEqual(fused.saved.inputs, [0, 1, 2]);
  const math = memoryOf('sdpa', [[4, 64, 32], [4, 64, 32], [4, 64, 16]], { fused: false });
  assert.equal(math.workspace, 4 * 64 * 64);
  assert.equal(math.saved.extra.perSample, 4 * 64 * 64);
  assert.match(n.fail('sdpa', [q, n.input(4, 64, 8), v], {}).message, /different feature sizes/);
});
