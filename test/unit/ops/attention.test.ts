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

test('attention reads masks after the sequence: the same parameters and memory, the mask neither saved nor copied; a mask must cover the L keys', () => {
  const n = new Net();
  const x = n.input(35, 200);
  const mask = n.input(35, 35);
  assert.deepEqual(n.op('attention', [x, mask], { heads: 2 }).shape, [35, 200]);
  assert.equal(n.params.trainable, 4 * (200 * 200 + 200));
  const masked = memoryOf('attention', [[35, 200], [35, 35], [35]], { heads: 2 });
  assert.deepEqual(masked, memoryOf('attention', [[35, 200]], { heads: 2 }));
  assert.deepEqual(masked.saved.inputs, [0]);
  assert.match(n.fail('attention', [x, n.input(35, 34)], { heads: 2 }).message, /a mask's last axis must be the 35 keys, got \[35, 34\]/);
});

test('cross_attention: queries [L, d] over keys [S, dk] and values [S, dv]; d (2d + dk + dv) + 4d params; output [L, d]', () => {
  const n = new Net();
  const q = n.input(20, 512);
  const memory = n.input(35, 512);
  assert.deepEqual(n.op('cross_attention', [q, memory, memory], { heads: 8 }).shape, [20, 512]);
  // with kdim = vdim = d this is MultiheadAttention's packed 4 (d^2 + d)
  assert.equal(n.params.trainable, 4 * (512 * 512 + 512));
  const k = n.input(35, 256);
  const v = n.input(35, 128);
  assert.equal(n.paramsOf('cross_attention', [q, k, v], { heads: 8 }).trainable, 512 * (2 * 512 + 256 + 128) + 4 * 512);
  assert.equal(n.paramsOf('cross_attention', [q, k, v], { heads: 8, bias: false }).trainable, 512 * (2 * 512 + 256 + 128));
});

test('cross_attention saves the three sources, q, k, v, the attended values and heads L S probabilities; the scores heads L S are workspace', () => {
  const m = memoryOf('cross_attention', [[20, 512], [35, 256], [35, 128]], { heads: 8 });
  assert.deepEqual(m.out, [20, 512]);
  assert.deepEqual(m.saved.inputs, [0, 1, 2]);
  assert.equal(m.saved.extra.perSample, 2 * 20 * 512 + 2 * 35 * 512 + 8 * 20 * 35);
  assert.equal(m.workspace, 8 * 20 * 35);
  // masks after the sources change nothing
  assert.deepEqual(memoryOf('cross_attention', [[20, 512], [35, 256], [35, 128], [20, 35], [35]], { heads: 8 }), m);
});

test('cross_attention errors: three sources, keys and values of one length, heads dividing d, masks over the S keys', () => {
  const n = new Net();
  const q = n.input(20, 512);
  const memory = n.input(35, 512);
  assert.match(n.fail('cross_attention', [q, memory], { heads: 8 }).message, /takes the queries, the key source and the value source/);
  assert.match(n.fail('cross_attention', [q, memory, n.input(34, 512)], { heads: 8 }).message, /keys \[35, 512\] and values \[34, 512\] have different lengths/);
  assert.equal(n.fail('cross_attention', [q, memory, memory], { heads: 7 }).arg, 'heads');
  assert.match(n.fail('cross_attention', [q, memory, memory, n.input(20, 20)], { heads: 8 }).message, /last axis must be the 35 keys/);
  assert.match(n.fail('cross_attention', [n.input(512), memory, memory], { heads: 8 }).message, /2-D \[L, d\] query sequence/);
});
