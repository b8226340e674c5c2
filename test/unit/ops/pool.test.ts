// Pooling rules in both layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { memoryOf, Net } from './net';

test('maxpool k3 s2 p1: 112 -> 56 in both layouts; maxpool2d is an alias', () => {
  const a = new Net('nchw');
  assert.deepEqual(a.op('maxpool', [a.input(64, 112, 112)], { kernel: 3, stride: 2, pad: 1 }).shape, [64, 56, 56]);
  assert.deepEqual(a.op('maxpool2d', [a.input(64, 112, 112)], { kernel: 3, stride: 2, pad: 1 }).shape, [64, 56, 56]);
  const b = new Net('nhwc');
  assert.deepEqual(b.op('maxpool', [b.input(112, 112, 64)], { kernel: 3, stride: 2, pad: 1 }).shape, [56, 56, 64]);
  assert.deepEqual(a.params, { trainable: 0, nonTrainable: 0 });
});

test('the stride defaults to the kernel; same padding gives ceil(in / stride); 1-D and 3-D', () => {
  const n = new Net('nchw');
  assert.deepEqual(n.op('avgpool', [n.input(512, 14, 14)], { kernel: 2 }).shape, [512, 7, 7]);
  assert.deepEqual(n.op('avgpool2d', [n.input(8, 15, 15)], { kernel: 2 }).shape, [8, 7, 7]);
  assert.deepEqual(n.op('maxpool', [n.input(8, 15, 15)], { kernel: 2, pad: 'same' }).shape, [8, 8, 8]);
  assert.deepEqual(n.op('maxpool1d', [n.input(16, 50)], { kernel: 3, stride: 2 }).shape, [16, 24]);
  assert.deepEqual(n.op('avgpool1d', [n.input(16, 50)], { kernel: 2 }).shape, [16, 25]);
  const h = new Net('nhwc');
  assert.deepEqual(h.op('avgpool1d', [h.input(50, 16)], { kernel: 2 }).shape, [25, 16]);
  assert.deepEqual(h.op('maxpool3d', [h.input(16, 32, 32, 8)], { kernel: 2 }).shape, [8, 16, 16, 8]);
});

test('pooling errors: kernel larger than the padded input, pad over half the kernel, wrong rank', () => {
  const n = new Net();
  const e = n.fail('maxpool', [n.input(8, 2, 2)], { kernel: 3 });
  assert.equal(e.arg, 'kernel');
  assert.equal(n.fail('maxpool', [n.input(8, 8, 8)], { kernel: 3, pad: 2 }).arg, 'pad');
  assert.match(n.fail('maxpool', [n.input(8, 8)], { kernel: 2 }).message, /maxpool expects a 3-D input per sample, got 2-D \[8, 8\]/);
});

test('maxpool keeps its input for backward; avgpool keeps nothing', () => {
  assert.deepEqual(memoryOf('maxpool', [[64, 112, 112]], { kernel: 3, stride: 2, pad: 1 }).saved.inputs, [0]);
  assert.deepEqual(memoryOf('avgpool', [[64, 112, 112]], { kernel: 2 }).saved.inputs, []);
});

test('global pools reduce every spatial axis on any rank, in both layouts', () => {
  const a = new Net('nchw');
  assert.deepEqual(a.op('globalavgpool', [a.input(2048, 7, 7)]).shape, [2048]);
  assert.deepEqual(a.op('globalmaxpool', [a.input(128, 40)]).shape, [128]);
  assert.deepEqual(a.op('globalavgpool', [a.input(2048, 7, 7)], { keepdims: true }).shape, [2048, 1, 1]);
  const b = new Net('nhwc');
  assert.deepEqual(b.op('globalavgpool', [b.input(7, 7, 2048)]).shape, [2048]);
  assert.deepEqual(b.op('globalmaxpool', [b.input(40, 128)]).shape, [128]);
  assert.deepEqual(b.op('globalmaxpool', [b.input(4, 7, 7, 32)], { keepdims: true }).shape, [1, 1, 1, 32]);
  assert.match(b.fail('globalavgpool', [b.input(10)]).message, /at least a 2-D input/);
});

test('ceil_mode rounds up (PyTorch): 112 with k3 s2 -> 56 instead of 55; the last window must start inside', () => {
  const n = new Net();
  assert.deepEqual(n.op('maxpool', [n.input(64, 112, 112)], { kernel: 3, stride: 2 }).shape, [64, 55, 55]);
  assert.deepEqual(n.op('maxpool', [n.input(64, 112, 112)], { kernel: 3, stride: 2, ceil_mode: true }).shape, [64, 56, 56]);
  // 5 with k2 s2 p1 ceil: ceil(5/2) + 1 = 4, but window 4 would start at 6 >= 5 + 1, so 3
  assert.deepEqual(n.op('maxpool1d', [n.input(1, 5)], { kernel: 2, stride: 2, pad: 1, ceil_mode: true }).shape, [1, 3]);
});

test('adaptive pools output the requested spatial size in either layout', () => {
  const a = new Net('nchw');
  assert.deepEqual(a.op('adaptive_avgpool', [a.input(512, 7, 7)], { size: 7 }).shape, [512, 7, 7]);
  assert.deepEqual(a.op('adaptive_maxpool', [a.input(512, 13, 13)], { size: [6, 4] }).shape, [512, 6, 4]);
  const b = new Net('nhwc');
  assert.deepEqual(b.op('adaptive_avgpool', [b.input(13, 13, 512)], { size: 1 }).shape, [1, 1, 512]);
});

test('kernel and stride may be given positionally: maxpool(x, 3, 2)', () => {
  const spec = lookupOp('maxpool')!;
  assert.deepEqual(spec.args.filter((a) => a.positional).map((a) => a.name), ['x', 'kernel', 'stride']);
});
