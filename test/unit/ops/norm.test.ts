// Normalisation rules: batch-norm buffers, center/scale flags, layer and group norm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryOf, Net } from './net';

test('batchnorm: 2C trainable, 2C non-trainable, on the layout channel axis', () => {
  const a = new Net('nchw');
  assert.deepEqual(a.paramsOf('batchnorm', [a.input(64, 56, 56)]), { trainable: 128, nonTrainable: 128 });
  const b = new Net('nhwc');
  assert.deepEqual(b.paramsOf('batchnorm', [b.input(56, 56, 64)]), { trainable: 128, nonTrainable: 128 });
  assert.deepEqual(b.paramsOf('batchnorm', [b.input(100)]), { trainable: 200, nonTrainable: 200 });
});

test('batchnorm center / scale / affine flags drop the learned vectors, never the running statistics', () => {
  const n = new Net();
  const x = n.input(64, 8, 8);
  assert.deepEqual(n.paramsOf('batchnorm', [x], { scale: false }), { trainable: 64, nonTrainable: 128 });
  assert.deepEqual(n.paramsOf('batchnorm', [x], { center: false, scale: false }), { trainable: 0, nonTrainable: 128 });
  assert.deepEqual(n.paramsOf('batchnorm', [x], { affine: false }), { trainable: 0, nonTrainable: 128 });
});

test('batchnorm saves its input plus 2C fixed statistics, and may run in place only at inference', () => {
  const m = memoryOf('batchnorm', [[64, 56, 56]]);
  assert.deepEqual(m.saved.inputs, [0]);
  assert.deepEqual(m.saved.extra, { perSample: 0, fixed: 128 });
});

test('layernorm: 2d params over the last axis; dims 2 normalises two axes; rstd per position saved', () => {
  const n = new Net();
  const x = n.input(128, 768);
  assert.deepEqual(n.paramsOf('layernorm', [x]), { trainable: 1536, nonTrainable: 0 });
  assert.deepEqual(n.paramsOf('layernorm', [x], { center: false }), { trainable: 768, nonTrainable: 0 });
  assert.equal(n.paramsOf('layernorm', [n.input(10, 20)], { dims: 2 }).trainable, 400);
  assert.equal(n.fail('layernorm', [n.input(10)], { dims: 2 }).arg, 'dims');
  assert.deepEqual(memoryOf('layernorm', [[128, 768]]).saved.extra, { perSample: 256, fixed: 0 });
});

test('groupnorm: 2C params; groups must divide the channels', () => {
  const n = new Net('nhwc');
  const x = n.input(8, 8, 64);
  assert.deepEqual(n.paramsOf('groupnorm', [x], { groups: 32 }), { trainable: 128, nonTrainable: 0 });
  const e = n.fail('groupnorm', [x], { groups: 5 });
  assert.equal(e.arg, 'groups');
  assert.match(e.message, /groups 5 must divide the 64 channels/);
  assert.deepEqual(memoryOf('groupnorm', [[64, 8, 8]], { groups: 32 }).saved.extra, { perSample: 64, fixed: 0 });
});
