// Convolution shape, parameter, saved-for-backward and workspace rules (PyTorch / Keras figures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryOf, Net } from './net';

test('conv2d 3->64 k7 s2 p3 without bias: 9,408 params, [64, 112, 112] (nchw) / [112, 112, 64] (nhwc)', () => {
  const a = new Net('nchw');
  assert.deepEqual(a.paramsOf('conv2d', [a.input(3, 224, 224)], { filters: 64, kernel: 7, stride: 2, pad: 3, bias: false }), { trainable: 9408, nonTrainable: 0 });
  assert.deepEqual(a.op('conv2d', [a.input(3, 224, 224)], { filters: 64, kernel: 7, stride: 2, pad: 3 }).shape, [64, 112, 112]);
  const b = new Net('nhwc');
  assert.deepEqual(b.op('conv2d', [b.input(224, 224, 3)], { filters: 64, kernel: 7, stride: 2, pad: 3 }).shape, [112, 112, 64]);
});

test('conv2d with bias 3->64 k3 = 1,792; rectangular kernel, dilation and same padding', () => {
  const n = new Net();
  const x = n.input(3, 32, 32);
  assert.equal(n.paramsOf('conv2d', [x], { filters: 64, kernel: 3 }).trainable, 1792);
  // PyTorch Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)) on 50x100 -> 26x100
  const y = n.op('conv2d', [n.input(16, 50, 100)], { filters: 33, kernel: [3, 5], stride: [2, 1], pad: [4, 2], dilation: [3, 1] });
  assert.deepEqual(y.shape, [33, 26, 100]);
  assert.deepEqual(n.op('conv2d', [x], { filters: 8, kernel: 3, stride: 2, pad: 'same' }).shape, [8, 16, 16]);
  assert.deepEqual(n.op('conv2d', [x], { filters: 8, kernel: 3, pad: 'valid' }).shape, [8, 30, 30]);
});

test('conv1d and conv3d follow PyTorch, in both layouts', () => {
  const a = new Net('nchw');
  // Conv1d(16, 33, 3, stride=2) on L=50: out 24, params 33*16*3 + 33
  assert.deepEqual(a.op('conv1d', [a.input(16, 50)], { filters: 33, kernel: 3, stride: 2 }).shape, [33, 24]);
  assert.equal(a.params.trainable, 1617);
  // Conv3d(16, 33, 3, stride=2) on 10x50x100 -> 4x24x49, params 33*16*27 + 33
  assert.deepEqual(a.op('conv3d', [a.input(16, 10, 50, 100)], { filters: 33, kernel: 3, stride: 2 }).shape, [33, 4, 24, 49]);
  assert.equal(a.params.trainable, 1617 + 14289);
  const b = new Net('nhwc');
  assert.deepEqual(b.op('conv1d', [b.input(50, 16)], { filters: 33, kernel: 3, stride: 2 }).shape, [24, 33]);
  assert.deepEqual(b.op('conv3d', [b.input(10, 50, 100, 16)], { filters: 33, kernel: 3, stride: 2 }).shape, [4, 24, 49, 33]);
});

test('grouped conv2d: params divide by groups; groups must divide channels and filters', () => {
  const n = new Net();
  const x = n.input(64, 56, 56);
  assert.equal(n.paramsOf('conv2d', [x], { filters: 128, kernel: 3, pad: 1, groups: 32, bias: false }).trainable, 128 * 2 * 9);
  const e = n.fail('conv2d', [x], { filters: 128, kernel: 3, groups: 3 });
  assert.equal(e.arg, 'groups');
  assert.match(e.message, /groups 3 must divide the 64 input channels/);
  assert.equal(n.fail('conv2d', [x], { filters: 100, kernel: 3, groups: 8 }).arg, 'groups');
});

test('conv2d errors: kernel larger than the padded input, wrong rank, bad pad', () => {
  const n = new Net();
  const e = n.fail('conv2d', [n.input(3, 4, 4)], { filters: 8, kernel: 7 });
  assert.equal(e.arg, 'kernel');
  assert.match(e.message, /spans 7 but the padded input is only 4/);
  const r = n.fail('conv2d', [n.input(2048)], { filters: 8, kernel: 3 });
  assert.match(r.message, /conv2d expects a 3-D input per sample, got 1-D \[2048\]; expected \[C, H, W\] under nchw/);
  assert.equal(n.fail('conv2d', [n.input(3, 8, 8)], { filters: 8, kernel: 3, pad: -1 }).arg, 'pad');
  assert.equal(n.fail('conv2d', [n.input(3, 8, 8)], { filters: 8, kernel: [3, 3, 3] }).arg, 'kernel');
  assert.equal(n.fail('conv2d', [n.input(3, 8, 8)], { filters: 0, kernel: 3 }).arg, 'filters');
});

test('conv workspace: im2col H_out W_out k_h k_w C_in / groups; zero for a 1x1 stride-1 unpadded conv', () => {
  assert.equal(memoryOf('conv2d', [[3, 224, 224]], { filters: 64, kernel: 7, stride: 2, pad: 3 }).workspace, 112 * 112 * 49 * 3);
  assert.equal(memoryOf('conv2d', [[224, 224, 3]], { filters: 64, kernel: 7, stride: 2, pad: 3 }, 'nhwc').workspace, 112 * 112 * 49 * 3);
  assert.equal(memoryOf('conv2d', [[256, 56, 56]], { filters: 64, kernel: 1 }).workspace, 0);
  assert.equal(memoryOf('conv2d', [[256, 56, 56]], { filters: 512, kernel: 1, stride: 2 }).workspace, 28 * 28 * 256);
  assert.equal(memoryOf('conv2d', [[64, 56, 56]], { filters: 64, kernel: 3, pad: 1, groups: 4 }).workspace, 56 * 56 * 9 * 16);
  assert.equal(memoryOf('conv1d', [[16, 50]], { filters: 33, kernel: 3, stride: 2 }).workspace, 24 * 3 * 16);
  assert.equal(memoryOf('conv3d', [[16, 10, 50, 100]], { filters: 33, kernel: 3, stride: 2 }).workspace, 4 * 24 * 49 * 27 * 16);
});

test('conv saves its input; a fused activation also keeps the output (gelu/silu keep the pre-activation)', () => {
  const plain = memoryOf('conv2d', [[3, 8, 8]], { filters: 4, kernel: 3, pad: 1 });
  assert.deepEqual([plain.saved.inputs, plain.saved.output, plain.saved.extra.perSample], [[0], false, 0]);
  const relu = memoryOf('conv2d', [[3, 8, 8]], { filters: 4, kernel: 3, pad: 1, activation: 'relu' });
  assert.deepEqual([relu.saved.output, relu.saved.extra.perSample], [true, 0]);
  const gelu = memoryOf('conv2d', [[3, 8, 8]], { filters: 4, kernel: 3, pad: 1, activation: 'gelu' });
  assert.deepEqual([gelu.saved.output, gelu.saved.extra.perSample], [false, 4 * 8 * 8]);
});

test('depthwise_conv2d: k k C dm + C dm (Keras DepthwiseConv2D)', () => {
  const n = new Net('nhwc');
  const x = n.input(32, 32, 32);
  assert.equal(n.paramsOf('depthwise_conv2d', [x], { kernel: 3, pad: 'same' }).trainable, 320);
  assert.deepEqual(n.op('depthwise_conv2d', [x], { kernel: 3, depth_multiplier: 2, stride: 2, pad: 'same' }).shape, [16, 16, 64]);
  assert.equal(n.params.trainable, 3 * 3 * 32 * 2 + 64);
  assert.equal(memoryOf('depthwise_conv2d', [[144, 56, 56]], { kernel: 3, pad: 1, bias: false }).workspace, 56 * 56 * 9);
});

test('separable_conv2d: k k C dm + C dm filters + filters (Keras SeparableConv2D(64, 3) on 32 channels = 2,400)', () => {
  const n = new Net('nhwc');
  const y = n.op('separable_conv2d', [n.input(28, 28, 32)], { filters: 64, kernel: 3 });
  assert.deepEqual(y.shape, [26, 26, 64]);
  assert.equal(n.params.trainable, 2400);
  const m = memoryOf('separable_conv2d', [[28, 28, 32]], { filters: 64, kernel: 3 }, 'nhwc');
  assert.equal(m.saved.extra.perSample, 26 * 26 * 32);
  assert.equal(m.workspace, 26 * 26 * 9 + 26 * 26 * 32);
});

test('conv2d_transpose: PyTorch output rule with output_padding, Keras same padding', () => {
  const n = new Net();
  const x = n.input(16, 50, 100);
  // ConvTranspose2d(16, 33, 3, stride=2): (50 - 1) 2 + 3 = 101, (100 - 1) 2 + 3 = 201; params 16*33*9 + 33
  assert.deepEqual(n.op('conv2d_transpose', [x], { filters: 33, kernel: 3, stride: 2 }).shape, [33, 101, 201]);
  assert.equal(n.params.trainable, 4785);
  assert.deepEqual(n.op('conv2d_transpose', [x], { filters: 33, kernel: 3, stride: 2, pad: 1, output_padding: 1 }).shape, [33, 100, 200]);
  const e = n.fail('conv2d_transpose', [x], { filters: 33, kernel: 3, stride: 2, output_padding: 2 });
  assert.equal(e.arg, 'output_padding');
  assert.equal(n.fail('conv2d_transpose', [n.input(4, 1, 1)], { filters: 4, kernel: 1, pad: 1 }).arg, 'pad');
  const k = new Net('nhwc');
  // Keras Conv2DTranspose(32, 3, strides=2, padding='same') on 7x7x64: 14x14x32, 3*3*64*32 + 32 params
  assert.deepEqual(k.op('conv2d_transpose', [k.input(7, 7, 64)], { filters: 32, kernel: 3, stride: 2, pad: 'same' }).shape, [14, 14, 32]);
  assert.equal(k.params.trainable, 18464);
  assert.deepEqual(k.op('conv2d_transpose', [k.input(7, 7, 64)], { filters: 32, kernel: 3, stride: 2, pad: 'valid' }).shape, [15, 15, 32]);
  assert.equal(memoryOf('conv2d_transpose', [[16, 50, 100]], { filters: 33, kernel: 3, stride: 2 }).workspace, 50 * 100 * 9 * 33);
});
