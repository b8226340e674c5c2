// Tensor arithmetic, batch-independent tensors and losses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS, mergeConfig } from '../../../server/src/core/config';
import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { analyzeMemory } from '../../../server/src/core/analysis/memory';
import { GraphBuilder, isRejection } from '../../../server/src/core/graphBuilder';
import { rangeOf } from '../../../server/src/core/ir';
import { memoryOf, Net } from './net';

test('matmul over the last two axes, leading axes broadcast; inner sizes must agree', () => {
  const n = new Net();
  const q = n.input(4, 64, 16);
  const kt = n.input(4, 16, 64);
  assert.deepEqual(n.op('matmul', [q, kt]).shape, [4, 64, 64]);
  assert.deepEqual(n.op('matmul', [n.input(10, 8), n.input(8, 3)]).shape, [10, 3]);
  assert.match(n.fail('matmul', [q, q]).message, /inner sizes 16 and 64 differ/);
  assert.deepEqual(memoryOf('matmul', [[4, 64, 16], [4, 16, 64]]).saved.inputs, [0, 1]);
});

test('scale, shift, sub, div, add_broadcast, masked_fill, compare: shapes and what backward keeps', () => {
  const n = new Net();
  const x = n.input(4, 8, 8);
  assert.deepEqual(n.op('scale', [x], { factor: 0.25 }).shape, [4, 8, 8]);
  assert.deepEqual(n.op('shift', [x], { value: 1 }).shape, [4, 8, 8]);
  assert.deepEqual(n.op('sub', [x, n.input(1, 8, 1)]).shape, [4, 8, 8]);
  assert.deepEqual(n.op('add_broadcast', [x, n.input(8)]).shape, [4, 8, 8]);
  assert.match(n.fail('div', [x, n.input(3)]).message, /cannot broadcast/);
  const mask = n.op('compare', [n.input(1, 8, 8)], { value: 0 });
  assert.deepEqual(n.op('masked_fill', [x, mask]).shape, [4, 8, 8]);
  assert.match(n.fail('masked_fill', [n.input(1, 8, 8), n.input(4, 8, 8)]).message, /does not broadcast/);
  assert.deepEqual(memoryOf('div', [[4], [4]]).saved.inputs, [0, 1]);
  assert.deepEqual(memoryOf('masked_fill', [[4], [4]]).saved.inputs, [1]);
  assert.deepEqual(memoryOf('scale', [[4]], { factor: 2 }).saved.inputs, []);
});

function graphWith(build: (b: GraphBuilder) => number[]) {
  const here = rangeOf(0, 0, 0, 0);
  const b = new GraphBuilder('g', mergeConfig(BUILTIN_DEFAULTS, { mode: 'infer', batch: 10 }), here, here);
  const outputs = build(b);
  return b.build(outputs);
}

test('a constant and a weight view do not grow with the batch; a weight view has no bytes of its own', () => {
  const here = rangeOf(0, 0, 0, 0);
  const g = graphWith((b) => {
    const add = (op: string, inputs: number[], args: Record<string, number | number[] | string>) => {
      const r = b.add({ op, inputs, args, site: here, statement: here });
      if (isRejection(r)) throw new Error(r.message);
      return r;
    };
    const x = add('input', [], { shape: [16, 32] });
    const pos = add('constant', [], { shape: [16, 32] });
    const view = add('weight_view', [], { shape: [16, 32] });
    const y = add('add', [x, pos], {});
    return [add('add', [y, view], {})];
  });
  assert.deepEqual(g.tensors.map((t) => t.batchIndependent ?? false), [false, true, true, false, false]);
  const fp = computeFootprint(g);
  // the input and the two sums grow with N; the constant is 16 * 32 * 4 bytes once; the view is free
  assert.deepEqual(fp.bytes.activations, { fixed: 2048, perSample: 3 * 2048 });
  const memory = analyzeMemory(g, fp);
  // at batch 10: x (20480) and the constant (2048) and y (20480) live at the first add
  assert.equal(memory.bytes.lowerBound, 20480 + 2048 + 20480);
});

test('a mean or summed loss is one number for the batch; reduction none keeps one per target', () => {
  const n = new Net();
  const logits = n.input(35, 1000);
  const targets = n.op('input', [], { shape: [35], dtype: 'int64' });
  const loss = n.op('cross_entropy', [logits, targets]);
  assert.deepEqual(loss.shape, [1]);
  assert.equal(n.builder.isBatchIndependent(loss.id), true);
  const none = n.op('cross_entropy', [logits, targets], { reduction: 'none' });
  assert.deepEqual(none.shape, [35]);
  assert.equal(n.builder.isBatchIndependent(none.id), false);
  assert.match(n.fail('cross_entropy', [logits, n.input(34)]).message, /targets \[34\] do not fit predictions \[35, 1000\]/);
  // log-softmax keeps its probabilities: one per logit
  assert.equal(memoryOf('cross_entropy', [[35, 1000], [35]]).saved.extra.perSample, 35_000);
  assert.deepEqual(n.op('mse_loss', [n.input(4), n.input(4)]).shape, [1]);
});

test('prelu: one learned slope or one per channel, the input kept for backward; pixel_shuffle: r x r channel groups become pixels', () => {
  const n = new Net();
  const x = n.input(32, 16, 16);
  assert.deepEqual(n.paramsOf('prelu', [x]), { trainable: 1, nonTrainable: 0 });
  assert.deepEqual(n.paramsOf('prelu', [x], { num_parameters: 32 }), { trainable: 32, nonTrainable: 0 });
  assert.match(n.fail('prelu', [x], { num_parameters: 5 }).message, /prelu has 5 slopes for 32 channels/);
  assert.deepEqual(memoryOf('prelu', [[32, 16, 16]]).saved.inputs, [0]);
  const y = n.input(9, 16, 16);
  assert.deepEqual(n.op('pixel_shuffle', [y], { factor: 3 }).shape, [1, 48, 48]);
  assert.deepEqual(n.paramsOf('pixel_shuffle', [y], { factor: 3 }), { trainable: 0, nonTrainable: 0 });
  assert.match(n.fail('pixel_shuffle', [n.input(8, 4, 4)], { factor: 3 }).message, /8 channels do not divide by the factor squared \(9\)/);
});

test('zeropad modes: a reflection needs each side smaller than its axis; zeros and replicate do not', () => {
  const n = new Net();
  const x = n.input(3, 4, 4);
  assert.deepEqual(n.op('zeropad', [x], { pad: [0, 1, 1, 2], mode: 'reflect' }).shape, [3, 5, 7]);
  assert.deepEqual(n.op('zeropad', [x], { pad: 5, mode: 'replicate' }).shape, [3, 14, 14]);
  assert.match(n.fail('zeropad', [x], { pad: 4, mode: 'reflect' }).message, /reflect padding \(4, 4\) must be smaller than the axis it pads \(4\)/);
});

test('instancenorm: torch defaults learn nothing; affine learns 2 C, track keeps 2 C running statistics; mean and inverse std per sample and channel', () => {
  const n = new Net();
  const x = n.input(16, 8, 8);
  assert.deepEqual(n.paramsOf('instancenorm', [x]), { trainable: 0, nonTrainable: 0 });
  assert.deepEqual(n.paramsOf('instancenorm', [x], { affine: true, track: true }), { trainable: 32, nonTrainable: 32 });
  assert.deepEqual(n.op('instancenorm', [x]).shape, [16, 8, 8]);
  assert.match(n.fail('instancenorm', [n.input(16)]).message, /needs \[C, \.\.\.spatial\]/);
  const saved = memoryOf('instancenorm', [[16, 8, 8]]).saved;
  assert.deepEqual({ inputs: saved.inputs, extra: saved.extra }, { inputs: [0], extra: { perSample: 32, fixed: 0 } });
});
