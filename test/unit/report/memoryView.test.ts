// The memory view's data is a pure function of the analysis: steps x kinds and the planner's
// rectangles, checked against figures computed by hand for a three-op model.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import fc from 'fast-check';
import { largestLive, memoryViewData, VIEW_KINDS, type ViewBuffer } from '../../../server/src/report/memoryView';
import { bufferTooltip, kindAt, peakLabel, lineAt, planOption, stepTooltip, timelineAxis, timelineOption } from '../../../server/src/report/memoryChart';
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
    // the hover's tensors: step 1 holds x (32 B) and h (24 B); at step 2 h and y tie at 24 B (lower id first)
    assert.deepEqual(data.steps.map((s) => s.largest.map((id) => data.buffers[id]!.label)), [['x'], ['x', 'h'], ['h', 'y']]);
    assert.deepEqual(data.steps.map((s) => s.largestOfKind), [{ activations: 0 }, { activations: 0 }, { activations: 1 }]);
  });

  it('training the same model: the hover lists the largest tensors live at each step, a band click the line of its largest', () => {
    const data = memoryViewData(analyzeDocument(SMALL.replace('mode: infer', 'mode: train').replace('optimizer: none', 'optimizer: sgd'), 'nnm').models[0]!)!;
    // buffers, batch 2, fp32: x [2, 4] 32 B saved for dense's backward (steps 0-4), h [2, 3] 24 B (relu's backward
    // reads its output, not h: steps 1-2), y 24 B saved (2-3), dy 24 B (3), dh 24 B (3-4), and dense's weight
    // gradient (named after h, the output of the op whose weights they are): 15 values = 60 B, from its
    // backward (4) to the optimizer step (5)
    assert.deepEqual(
      data.buffers.map((b) => [b.id, b.label, b.kind, b.shape, b.bytes, b.from, b.to, b.line]),
      [
        [0, 'x', 'savedActivations', '[N, 4]', 32, 0, 4, 8],
        [1, 'h', 'activations', '[N, 3]', 24, 1, 2, 9],
        [2, 'y', 'savedActivations', '[N, 3]', 24, 2, 3, 10],
        [3, 'dy', 'gradients', '[N, 3]', 24, 3, 3, 10],
        [4, 'dh', 'gradients', '[N, 3]', 24, 3, 4, 9],
        [5, 'dW(h)', 'gradients', null, 60, 4, 5, 9],
      ],
    );
    // per step: weights 60, saved = x (+ y at 2-3), transient = h, gradients = dy + dh, then dh + 60
    assert.deepEqual(
      data.steps.map((s) => [s.phase, s.op, s.bytes.weights, s.bytes.savedActivations, s.bytes.activations, s.bytes.gradients, s.total]),
      [
        ['forward', 'input', 60, 32, 0, 0, 92],
        ['forward', 'dense', 60, 32, 24, 0, 116],
        ['forward', 'relu', 60, 56, 24, 0, 140],
        ['backward', 'relu', 60, 56, 0, 48, 164],
        ['backward', 'dense', 60, 32, 0, 84, 176],
        ['optimizer', null, 60, 0, 0, 60, 120],
      ],
    );
    assert.equal(data.peakStep, 4);
    // largest first, ties (24 B) in id order
    assert.deepEqual(data.steps.map((s) => s.largest), [[0], [0, 1], [0, 1, 2], [0, 2, 3, 4], [5, 0, 4], [5]]);
    assert.deepEqual(data.steps[3]!.largestOfKind, { savedActivations: 0, gradients: 3 });
    assert.deepEqual(data.steps[4]!.largestOfKind, { savedActivations: 0, gradients: 5 });
    assert.equal(stepTooltip(data, 4), [
      '<b>step 4 dense</b> (backward, line 10): 176 B live',
      `${'<span style="display:inline-block;width:8px;height:8px;border-radius:4px;margin-right:4px;background:#f0883e"></span>'}gradients 84 B`,
      `${'<span style="display:inline-block;width:8px;height:8px;border-radius:4px;margin-right:4px;background:#2f81f7"></span>'}saved activations 32 B`,
      `${'<span style="display:inline-block;width:8px;height:8px;border-radius:4px;margin-right:4px;background:#6e7781"></span>'}weights and buffers 60 B`,
      'largest tensors live here:',
      '<b>dW(h)</b> 60 B, gradients, line 10',
      '<b>x</b> [N, 4] 32 B, saved activations, line 9',
      '<b>dh</b> [N, 3] 24 B, gradients, line 10',
    ].join('<br>'));
    assert.equal(bufferTooltip(data.buffers[2]!), '<b>y</b> [N, 3] 24 B, saved activations, line 11<br>live at steps 2-3, offset 24 B');
    // step 4's stack, bottom up: weights [0, 60), saved [60, 92), gradients [92, 176)
    const s4 = data.steps[4]!;
    assert.deepEqual([0, 59, 60, 91, 92, 175, 176].map((y) => kindAt(s4, y)), ['weights', 'weights', 'savedActivations', 'savedActivations', 'gradients', 'gradients', null]);
    // a click on the gradients band reveals dense's line (its weight gradient), on the saved band x's input line,
    // on the weights (no planned buffer) or above the stack the step's own line; the optimizer step has none.
    // Step 2 (relu): saved [60, 116) is x and y, x the larger; transient [116, 140) is h, made by dense
    assert.deepEqual([lineAt(data, 4, 100), lineAt(data, 4, 70), lineAt(data, 4, 10), lineAt(data, 4, 500), lineAt(data, 2, 70), lineAt(data, 2, 120), lineAt(data, 5, 10), lineAt(data, 9, 10)], [9, 8, 9, 9, 8, 9, null, null]);
    // under 2 KiB the axis is in bytes: a click's axis value is the bytes lineAt reads
    assert.deepEqual([timelineAxis(data).unit, timelineAxis(data).divisor], ['B', 1]);
  });

  it('largestLive (union-find over full steps) lists what sorting every live buffer per step lists', () => {
    const buffer = fc.record({ bytes: fc.integer({ min: 0, max: 8 }), from: fc.integer({ min: 0, max: 11 }), span: fc.integer({ min: 0, max: 6 }) });
    fc.assert(
      fc.property(fc.array(buffer, { maxLength: 24 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), (raw, steps, k) => {
        const buffers = raw.map((b, id) => ({ id, label: `t${id}`, kind: id % 2 ? 'activations' : 'gradients', shape: null, offset: 0, bytes: b.bytes, from: b.from, to: b.from + b.span, line: 0 }) satisfies ViewBuffer);
        const keep = (b: ViewBuffer): boolean => b.kind === 'gradients' || b.bytes > 3;
        const naive = Array.from({ length: steps }, (_, s) =>
          buffers.filter((b) => b.bytes > 0 && keep(b) && b.from <= s && s <= b.to).sort((a, b) => b.bytes - a.bytes || a.id - b.id).slice(0, k).map((b) => b.id),
        );
        assert.deepEqual(largestLive(buffers, steps, k, keep), naive);
      }),
      { numRuns: 500 },
    );
  });

  it('tooltips escape the names they show', () => {
    const data = memoryViewData(analyzeDocument(SMALL, 'nnm').models[0]!)!;
    assert.equal(bufferTooltip({ ...data.buffers[0]!, label: '<img src=x>' }).startsWith('<b>&lt;img src=x&gt;</b>'), true);
  });

  it('chart options are plain JSON: one stacked series per kind, one rectangle per buffer', () => {
    const data = memoryViewData(analyzeDocument(SMALL, 'nnm').models[0]!)!;
    const timeline = timelineOption(data);
    assert.deepEqual(JSON.parse(JSON.stringify(timeline)), timeline);
    const series = timeline.series as { name: string; data: number[] }[];
    assert.equal(series.length, VIEW_KINDS.length);
    // bytes on the axis unit: under 2 KiB, the unit is bytes
    assert.deepEqual(series[0]!.data, [60, 60, 60]);
    // x and y are never live together and share their bytes: the arena is 32 + 24 = 56 B, the plan 116 B = the live peak
    assert.equal(data.planned, 116);
    const marks = (series[0] as unknown as { markLine: { data: { name: string; label: { formatter: string } }[] } }).markLine.data;
    assert.equal(marks.find((m) => m.name === 'peak')!.label.formatter, 'peak 116 B');
    assert.equal(peakLabel(1000, 1536), 'peak 1000 B live, planned 1.5 KiB');
    const plan = planOption(data, undefined, new Set([9]));
    const areas = (plan.series as { markArea: { data: [{ name: string; value: number; itemStyle: { borderWidth: number } }, unknown][] } }[]).flatMap((s) => s.markArea.data);
    assert.equal(areas.length, 3);
    // each rectangle carries its buffer's id: the webview's hover and click look the buffer up by it
    assert.deepEqual(areas.map((a) => [a[0].value, data.buffers[a[0].value]!.label]), [[0, 'x'], [1, 'h'], [2, 'y']]);
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
    assert.deepEqual(first.status, { planned: `${first.models[0]!.planned} B`, budget: '64 GiB', expected: null, perDevice: null });
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
