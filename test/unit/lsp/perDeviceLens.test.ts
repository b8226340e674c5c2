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
