// torchvision's ResNet-50 built op by op: protects the registry while the DSL is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, type T } from './net';

function bottleneck(n: Net, x: T, width: number, out: number, stride: number, project: boolean): T {
  const bnRelu = (t: T) => n.op('relu', [n.op('batchnorm', [t])]);
  let y = bnRelu(n.op('conv2d', [x], { filters: width, kernel: 1, bias: false }));
  y = bnRelu(n.op('conv2d', [y], { filters: width, kernel: 3, stride, pad: 1, bias: false }));
  y = n.op('batchnorm', [n.op('conv2d', [y], { filters: out, kernel: 1, bias: false })]);
  const s = project ? n.op('batchnorm', [n.op('conv2d', [x], { filters: out, kernel: 1, stride, bias: false })]) : x;
  return n.op('relu', [n.op('add', [y, s])]);
}

function resnet50(layout: 'nchw' | 'nhwc'): { n: Net; out: T; pooled: T } {
  const n = new Net(layout);
  let x = layout === 'nchw' ? n.input(3, 224, 224) : n.input(224, 224, 3);
  x = n.op('conv2d', [x], { filters: 64, kernel: 7, stride: 2, pad: 3, bias: false });
  x = n.op('relu', [n.op('batchnorm', [x])]);
  x = n.op('maxpool', [x], { kernel: 3, stride: 2, pad: 1 });
  const stages: [number, number, number, number][] = [
    [64, 256, 3, 1],
    [128, 512, 4, 2],
    [256, 1024, 6, 2],
    [512, 2048, 3, 2],
  ];
  for (const [width, out, blocks, stride] of stages) {
    x = bottleneck(n, x, width, out, stride, true);
    for (let i = 1; i < blocks; i++) x = bottleneck(n, x, width, out, 1, false);
  }
  const pooled = n.op('globalavgpool', [x]);
  return { n, out: n.op('dense', [pooled], { units: 1000 }), pooled };
}

for (const layout of ['nchw', 'nhwc'] as const) {
  test(`ResNet-50 (${layout}) has torchvision's 25,557,032 trainable and 53,120 non-trainable parameters`, () => {
    const { n, out, pooled } = resnet50(layout);
    assert.deepEqual(n.params, { trainable: 25_557_032, nonTrainable: 53_120 });
    assert.deepEqual(pooled.shape, [2048]);
    assert.deepEqual(out.shape, [1000]);
  });
}

test('ResNet-50 stem: 224 -> conv 7/2 -> 112 -> maxpool 3/2 -> 56', () => {
  const n = new Net('nchw');
  const x = n.input(3, 224, 224);
  const c = n.op('conv2d', [x], { filters: 64, kernel: 7, stride: 2, pad: 3, bias: false });
  assert.deepEqual(c.shape, [64, 112, 112]);
  assert.deepEqual(n.op('maxpool', [c], { kernel: 3, stride: 2, pad: 1 }).shape, [64, 56, 56]);
});
