// The memory view's data is a pure function of the analysis: steps x kinds and the planner's
// rectangles, checked against figures computed by hand for a three-op model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { memoryViewData, VIEW_KINDS } from '../../../server/src/report/memoryView';
import { planOption, timelineOption } from '../../../server/src/report/memoryChart';
import { memoryView } from '../../../server/src/lsp/features/memoryView';

const SMALL = `config {
  mode: infer
  batch: 2
  precision: fp32
  optimizer: none
  device: cpu
}
model m {
  x = input(4)
  h = dense(x, 3)
  y = relu(h)
  return y
}
`;

describe('memory view data', () => {
  it('a dense + relu at batch 2: live bytes per step by kind, and one rectangle per planned buffer', () => {
    const model = analyzeDocument(SMALL, 'nnm').models[0]!;
    const data = memoryViewData(model)!;
    // weights 4 x 3 + 3 = 15 fp32 values = 60 bytes, live throughout
    // step 0 input: x [2, 4] = 32 bytes; step 1 dense: x and h [2, 3] = 24 bytes; step 2 relu: x is dead, h and y
    assert.deepEqual(
      data.steps.map((s) => [s.index, s.op, s.bytes.weights, s.bytes.activations, s.total]),
      [
        [0, 'input', 60, 32, 92],
        [1, 'dense', 60, 56, 116],
        [2, 'relu', 60, 48, 108],
      ],
    );
    for (const s of data.steps) assert.equal(s.total, VIEW_KINDS.reduce((n, k) => n + s.bytes[k], 0));
    assert.equal(data.peakStep, 1);
    assert.equal(data.budget, model.graph.config.device.memoryBytes);
    // three activations, each its own buffer, live from its write to its last read
    const rects = data.buffers.map((b) => [b.label, b.shape, b.bytes, b.from, b.to, b.line]);
    assert.deepEqual(rects, [
      ['x', '[N, 4]', 32, 0, 1, 8],
      ['h', '[N, 3]', 24, 1, 2, 9],
      ['y', '[N, 3]', 24, 2, 2, 10],
    ]);
    // no two buffers live at one step overlap in the arena
    for (const a of data.buffers)
      for (const b of data.buffers) {
        if (a === b || a.to < b.from || b.to < a.from) continue;
        assert.ok(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset, `${a.label} and ${b.label} overlap`);
      }
    assert.equal(data.planned, 60 + Math.max(...data.buffers.map((b) => b.offset + b.bytes)));
  });

  it('chart options are plain JSON: one stacked series per kind, one rectangle per buffer', () => {
    const data = memoryViewData(analyzeDocument(SMALL, 'nnm').models[0]!)!;
    const timeline = timelineOption(data);
    assert.deepEqual(JSON.parse(JSON.stringify(timeline)), timeline);
    const series = timeline.series as { name: string; data: number[] }[];
    assert.equal(series.length, VIEW_KINDS.length);
    // bytes on the axis unit: under 2 KiB, the unit is bytes
    assert.deepEqual(series[0]!.data, [60, 60, 60]);
    const plan = planOption(data, undefined, new Set([9]));
    const areas = (plan.series as { markArea: { data: [{ name: string; itemStyle: { borderWidth: number } }, unknown][] } }[]).flatMap((s) => s.markArea.data);
    assert.equal(areas.length, 3);
    assert.equal(areas.find((a) => a[0].name.startsWith('h '))![0].itemStyle.borderWidth, 2, 'line 10 selected in the editor: its buffer highlighted');
  });
});

describe('memlens/memoryView', () => {
  const TWO = `${SMALL}model wide {\n  x = input(4)\n  return dense(x, 64)\n}\n`;
  it('the model under the cursor is the active one; the slider batch re-analyses with only the batch changed', () => {
    const analysis = analyzeDocument(TWO, 'nnm');
    const at = (batch: number) => analyzeDocument(TWO, 'nnm', { overrides: { batch } });
    const first = memoryView(analysis, { uri: 'file:///m.nnm', line: 9 }, at);
    assert.deepEqual([first.models.map((m) => m.model), first.active, first.configuredBatch], [['m', 'wide'], 0, 2]);
    assert.deepEqual(first.status, { planned: `${first.models[0]!.planned} B`, budget: '64 GiB', expected: null });
    assert.equal(memoryView(analysis, { uri: 'file:///m.nnm', line: 15 }, at).active, 1);
    // the status bar's request: the same figures, no steps or buffers
    const summary = memoryView(analysis, { uri: 'file:///m.nnm', line: 9, summary: true }, at);
    assert.deepEqual(summary.status, first.status);
    assert.deepEqual([summary.models[0]!.steps.length, summary.models[0]!.buffers.length, summary.models[0]!.planned], [0, 0, first.models[0]!.planned]);
    // batch 4: every activation twice the bytes of batch 2, the weights the same
    const doubled = memoryView(analysis, { uri: 'file:///m.nnm', batch: 4 }, at);
    assert.deepEqual(doubled.models[0]!.steps.map((s) => s.bytes.activations), [64, 112, 96]);
    assert.equal(doubled.configuredBatch, 2);
    // out of range: drawn at the configured batch
    assert.equal(memoryView(analysis, { uri: 'file:///m.nnm', batch: 0 }, at).models[0]!.batch, 2);
  });
});
