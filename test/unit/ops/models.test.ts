// Reference models built op by op: torchvision VGG-16 and MobileNetV2, BERT-base encoder layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, type T } from './net';

function vgg16(layout: 'nchw' | 'nhwc'): { n: Net; out: T } {
  const n = new Net(layout);
  let x = layout === 'nchw' ? n.input(3, 224, 224) : n.input(224, 224, 3);
  for (const [filters, convs] of [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]] as const) {
    for (let i = 0; i < convs; i++) x = n.op('relu', [n.op('conv2d', [x], { filters, kernel: 3, pad: 1 })]);
    x = n.op('maxpool', [x], { kernel: 2 });
  }
  x = n.op('flatten', [n.op('adaptive_avgpool', [x], { size: 7 })]);
  for (let i = 0; i < 2; i++) x = n.op('dropout', [n.op('relu', [n.op('dense', [x], { units: 4096 })])]);
  return { n, out: n.op('dense', [x], { units: 1000 }) };
}

function mobilenetV2(layout: 'nchw' | 'nhwc'): { n: Net; out: T } {
  const n = new Net(layout);
  const channels = (t: T) => t.shape[layout === 'nchw' ? 0 : t.shape.length - 1]!;
  const convBn = (t: T, filters: number, kernel: number, stride: number, act: boolean) => {
    const y = n.op('batchnorm', [n.op('conv2d', [t], { filters, kernel, stride, pad: (kernel - 1) / 2, bias: false })]);
    return act ? n.op('relu6', [y]) : y;
  };
  let x = convBn(layout === 'nchw' ? n.input(3, 224, 224) : n.input(224, 224, 3), 32, 3, 2, true);
  const settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]] as const;
  for (const [t, c, reps, s] of settings) {
    for (let i = 0; i < reps; i++) {
      const stride = i === 0 ? s : 1;
      const inC = channels(x);
      let y = t === 1 ? x : convBn(x, inC * t, 1, 1, true);
      y = n.op('relu6', [n.op('batchnorm', [n.op('depthwise_conv2d', [y], { kernel: 3, stride, pad: 1, bias: false })])]);
      y = convBn(y, c, 1, 1, false);
      x = stride === 1 && inC === c ? n.op('add', [x, y]) : y;
    }
  }
  x = n.op('globalavgpool', [convBn(x, 1280, 1, 1, true)]);
  return { n, out: n.op('dense', [n.op('dropout', [x], { rate: 0.2 })], { units: 1000 }) };
}

for (const layout of ['nchw', 'nhwc'] as const) {
  test(`VGG-16 (${layout}): torchvision's 138,357,544 parameters`, () => {
    const { n, out } = vgg16(layout);
    assert.deepEqual(n.params, { trainable: 138_357_544, nonTrainable: 0 });
    assert.deepEqual(out.shape, [1000]);
  });

  test(`MobileNetV2 (${layout}): torchvision's 3,504,872 parameters, 34,112 batch-norm buffer values`, () => {
    const { n, out } = mobilenetV2(layout);
    // buffers: running mean + variance = 2 x the 17,056 batch-norm channels
    assert.deepEqual(n.params, { trainable: 3_504_872, nonTrainable: 34_112 });
    assert.deepEqual(out.shape, [1000]);
  });
}

test('BERT-base encoder layer: 7,087,872 parameters (d 768, 12 heads, FFN 3072)', () => {
  const n = new Net();
  const x = n.input(128, 768);
  const a = n.op('layernorm', [n.op('add', [x, n.op('dropout', [n.op('attention', [x], { heads: 12 })], { rate: 0.1 })])]);
  const f = n.op('dense', [n.op('dense', [a], { units: 3072, activation: 'gelu' })], { units: 768 });
  const y = n.op('layernorm', [n.op('add', [a, n.op('dropout', [f], { rate: 0.1 })])]);
  assert.deepEqual(y.shape, [128, 768]);
  // attention 4(768^2 + 768) + FFN 768*3072 + 3072 + 3072*768 + 768 + two layernorms 2 * 1536
  assert.deepEqual(n.params, { trainable: 7_087_872, nonTrainable: 0 });
});
