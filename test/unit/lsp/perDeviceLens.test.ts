// The per-device line of the model's code lens and hover (analysis/perDevice.ts; the figures of the
// small MLP are worked out in test/unit/analysis/perDevice.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { modelLensTitle } from '../../../server/src/lsp/features/codeLens';
import { modelHover } from '../../../server/src/lsp/features/hover';

const mlp = (parallel: string): string =>
  `config {\n  batch: 16\n  optimizer: adam\n  device: a10g-24gb\n${parallel}}\nmodel small {\n  x = input(8)\n  h = relu(dense(x, 4))\n  return dense(h, 2)\n}\n`;

const model = (parallel: string) => analyzeDocument(mlp(parallel), 'nnm').models[0]!;

test('code lens and hover: per GPU under 2 devices, ZeRO-2, 2 accumulation steps', () => {
  const m = model('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n');
  const line = 'per GPU: 780 B of 24 GiB on 2 x a10g-24gb, ZeRO-2, 2 accumulation steps';
  assert.ok(modelLensTitle(m).endsWith(` · ${line}`), modelLensTitle(m));
  assert.ok(modelHover(m).split('\n').includes(`- ${line}`), modelHover(m));
});

test('code lens: offload shows the host bytes; a batch that does not divide shows why there is no figure', () => {
  assert.ok(modelLensTitle(model('  devices: 4\n  zero: 3\n  offload: cpu\n')).endsWith(' · per GPU: 368 B of 24 GiB on 4 x a10g-24gb, ZeRO-3, offload cpu (+144 B host)'));
  assert.ok(modelLensTitle(model('  devices: 3\n')).endsWith(' · per GPU: no figure (batch 16 does not divide into 3 device(s) x 1 accumulation step(s))'));
});

test('one plain device: no per-device line', () => {
  assert.ok(!modelLensTitle(model('')).includes('per GPU'));
  assert.ok(!modelHover(model('')).includes('per GPU'));
});

test('code lens and hover: the total device count and its degrees under tensor and pipeline parallelism, the fullest stage', () => {
  // 4 layers split over 2 stages of 2 (test/unit/analysis/pipeline.test.ts); 4 x 2 x 2 = 16 GPUs
  const text =
    'config {\n  mode: train\n  batch: 16\n  precision: fp32\n  optimizer: adam\n  device: a100-80gb\n  devices: 4\n  zero: 1\n  tensorParallel: 2\n  pipeline: 2\n  microbatches: 2\n}\n' +
    'block layer(x) {\n  x = add(x, attention(layernorm(x), heads: 4))\n  return add(x, dense(gelu(dense(layernorm(x), 64)), 16))\n}\nmodel m {\n  x = input(8, 16)\n  return repeat 4 layer(x)\n}\n';
  const m = analyzeDocument(text, 'nnm').models[0]!;
  const title = modelLensTitle(m);
  assert.match(title, / · per GPU: [0-9.]+ KiB of 80 GiB on 16 x a100-80gb \(DP 4 x TP 2 x PP 2\), ZeRO-1, 2 micro-batches, fullest stage 1 of 2$/);
  assert.ok(modelHover(m).includes(title.split(' · ').at(-1)!));
  const bad = analyzeDocument(text.replace('tensorParallel: 2', 'tensorParallel: 3'), 'nnm').models[0]!;
  assert.ok(modelLensTitle(bad).endsWith(' · per GPU: no figure (tensorParallel 3 does not divide the 4 heads of attention at line 14)'));
});
