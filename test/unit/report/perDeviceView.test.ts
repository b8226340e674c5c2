// The memory view's per-device part: the code lens' line and one device's bar of parts against the
// budget (the MLP's figures are worked out in test/unit/analysis/perDevice.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { perDeviceView, modelViewData } from '../../../server/src/report/perDeviceView';
import { perDeviceOption } from '../../../server/src/report/memoryChart';
import { formatHtml } from '../../../server/src/report/html';
import { memoryView } from '../../../server/src/lsp/features/memoryView';
import { modelLensTitle } from '../../../server/src/lsp/features/codeLens';
import { formatReport } from '../../../server/src/report/text';

const mlp = (parallel: string): string =>
  `config {\n  batch: 16\n  optimizer: adam\n  device: a10g-24gb\n${parallel}}\nmodel small {\n  x = input(8)\n  h = relu(dense(x, 4))\n  return dense(h, 2)\n}\n`;
const analysis = (parallel: string) => analyzeDocument(mlp(parallel), 'nnm');

test('2 devices, ZeRO-2, 2 accumulation steps: the parts one device holds, the lens line, micro-batch 4', () => {
  const model = analysis('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n').models[0]!;
  const d = perDeviceView(model)!;
  // 46 fp32 parameters: weights 184 B; ZeRO-2 shards the gradients (23 x 4 B) and Adam's two slots (23 x 8 B)
  assert.deepEqual(d, {
    line: 'per GPU: 780 B of 24 GiB on 2 x a10g-24gb, ZeRO-2, 2 accumulation steps',
    kind: 'GPU',
    budget: 24 * 1024 ** 3,
    bytes: { weights: 184, gradients: 92, optimizer: 184, kvCache: 0, activations: 320, workspace: 0 },
    total: 780,
    host: 0,
    microBatch: 4,
  });
  assert.ok(modelLensTitle(model).endsWith(` · ${d.line}`));
  assert.deepEqual(modelViewData(model)!.perDevice, d);
});

test('the bar: one stacked series per non-zero part, in bytes at the axis unit, the budget marked', () => {
  const d = perDeviceView(analysis('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n').models[0]!)!;
  const option = perDeviceOption(d)!;
  const series = option.series as { name: string; stack: string; data: { value: number }[]; markLine?: { data: { xAxis: number }[] } }[];
  assert.deepEqual(series.map((s) => [s.name, s.stack, s.data[0]!.value]), [
    // the axis runs to the 24 GiB budget, so the bytes are in GiB
    ['weights and buffers', 'device', Number((184 / 1024 ** 3).toPrecision(6))],
    ['weight gradients', 'device', Number((92 / 1024 ** 3).toPrecision(6))],
    ['optimizer state', 'device', Number((184 / 1024 ** 3).toPrecision(6))],
    ['activations', 'device', Number((320 / 1024 ** 3).toPrecision(6))],
  ]);
  assert.deepEqual(series[0]!.markLine!.data.map((m) => m.xAxis), [24]);
  assert.equal((option.xAxis as { name: string }).name, 'GiB');
});

test('no per-device part on one plain device; a batch that does not divide: the line says why, no bar', () => {
  assert.equal(perDeviceView(analysis('').models[0]!), null);
  assert.equal(modelViewData(analysis('').models[0]!)!.perDevice, null);
  const d = perDeviceView(analysis('  devices: 3\n').models[0]!)!;
  assert.equal(d.line, 'per GPU: no figure (batch 16 does not divide into 3 device(s) x 1 accumulation step(s))');
  assert.deepEqual([d.bytes, d.total, d.microBatch], [null, null, null]);
  assert.equal(perDeviceOption(d), null);
});

test('the editor view request and the HTML report carry it', () => {
  const a = analysis('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n');
  const r = memoryView(a, { uri: 'file:///m.nnm' }, () => a);
  assert.equal(r.models[0]!.perDevice?.total, 780);
  // the status bar's summary request too: it is cheap (figures, no steps)
  assert.equal(memoryView(a, { uri: 'file:///m.nnm', summary: true }, () => a).models[0]!.perDevice?.total, 780);
  const file = (text: string) => ({ path: 'm.nnm', uri: 'm.nnm', text, language: 'nnm' as const, options: {}, analysis: analyzeDocument(text, 'nnm') });
  const html = formatHtml([file(mlp('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n'))]);
  assert.ok(html.includes('<h3>Per GPU</h3>\n<p>per GPU: 780 B of 24 GiB on 2 x a10g-24gb, ZeRO-2, 2 accumulation steps</p>'));
  assert.ok(html.includes('data-chart="perDevice"'));
  assert.ok(!formatHtml([file(mlp(''))]).includes('Per GPU'));
});

test('the text report: a per GPU row with the code lens line, only under parallelism', () => {
  const rows = (parallel: string) => formatReport('m.nnm', analysis(parallel)).split('\n').flatMap((l) => /^\s+per GPU\s+(.*)$/.exec(l)?.[1] ?? []);
  assert.deepEqual(rows('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n'), ['780 B of 24 GiB on 2 x a10g-24gb, ZeRO-2, 2 accumulation steps']);
  assert.deepEqual(rows(''), []);
});
