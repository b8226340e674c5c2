// In-place: legality (with reasons), the predicted saving, and that a legal request lowers the
// lower-bound peak by exactly the predicted amount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inPlaceDiagnostics } from '../../../server/src/core/rules/inplace';
import { branchConcat, memoryOf, mlp, residual, TestGraph } from './graphs';

test('relu in place in the chain: predicted 64 B x N saving, and the peak drops by exactly that', () => {
  const before = memoryOf(mlp({ mode: 'infer', batch: 32 }));
  const saving = before.inPlace.savings.find((s) => s.op === 2);
  assert.ok(saving);
  assert.equal(saving.input, 1);
  assert.deepEqual(saving.bytes, { fixed: 0, perSample: 128 });
  // the relu step drops from 256 N to 128 N; the dense step before it (192 N) becomes the peak
  assert.equal(saving.peakSaving, 64 * 32);
  const after = memoryOf(mlp({ mode: 'infer', batch: 32 }, { reluInPlace: true }));
  assert.deepEqual(after.inPlace.decisions, [{ op: 2, input: 1, legal: true }]);
  assert.equal(before.bytes.lowerBound - after.bytes.lowerBound, saving.peakSaving);
  assert.deepEqual(after.bytes.lowerBoundAffine, { fixed: 3232, perSample: 192 });
  assert.equal(after.bytes.planned, after.bytes.lowerBound);
  // output shares the input's buffer and offset; naive still counts both
  const [h, r] = [after.tensors[1]!, after.tensors[2]!];
  assert.equal(r.inPlace, true);
  assert.equal(r.buffer, h.buffer);
  assert.equal(r.offset, h.offset);
  assert.deepEqual(after.bytes.naive, before.bytes.naive);
  assert.equal(after.inPlace.savings.some((s) => s.op === 2), false);
});

test('relu in place in training is legal: its backward reads the output', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: { kind: 'adam', momentum: 0 } }, { reluInPlace: true }));
  assert.deepEqual(m.inPlace.decisions, [{ op: 2, input: 1, legal: true }]);
  // the peak (relu backward) does not change: h was already dead there
  assert.equal(m.bytes.lowerBound, 25088);
});

test('residual: relu and add in place together lower the direct-lowering peak by 1024 B x N; singly they predict 0', () => {
  const base = memoryOf(residual({ mode: 'infer', batch: 2, lowering: 'direct' }));
  assert.deepEqual(
    base.inPlace.savings.map((s) => [s.op, s.input, s.peakSaving]),
    [
      [2, 1, 0], // relu over c: its step falls from 3072 N to 2048 N but the add step also holds 3072 N
      [3, 2, 0], // add over r (the first operand that dies there)
      [4, 3, 0],
    ],
  );
  const both = memoryOf(residual({ mode: 'infer', batch: 2, lowering: 'direct' }, { relu1: true, add: true }));
  assert.equal(both.inPlace.decisions.every((d) => d.legal), true);
  assert.deepEqual(both.bytes.lowerBoundAffine, { fixed: 576, perSample: 2048 });
  assert.equal(base.bytes.lowerBound - both.bytes.lowerBound, 1024 * 2);
});

test('illegal: relu in place over a tensor read again later (the skip connection)', () => {
  const g = new TestGraph({ mode: 'infer', batch: 1 });
  const x = g.op('input', [], { shape: [8] });
  const r = g.op('relu', [x], {}, { inPlace: true });
  const a = g.op('add', [r, x]);
  const graph = g.build([a]);
  const m = memoryOf(graph);
  assert.equal(m.inPlace.decisions.length, 1);
  const d = m.inPlace.decisions[0]!;
  assert.equal(d.legal, false);
  assert.equal(d.reason, "'input#0' is read again later (line 3, forward)");
  const diags = inPlaceDiagnostics(graph, m);
  assert.deepEqual(
    diags.map((x) => [x.code, x.severity, x.range.start.line, x.message]),
    [['NNM202', 'error', 1, "relu cannot run in place: 'input#0' is read again later (line 3, forward)"]],
  );
  // not applied: the relu output keeps its own buffer
  assert.notEqual(m.tensors[r]!.buffer, m.tensors[x]!.buffer);
});

test('illegal in training: batch-norm in place needs its input for backward', () => {
  const g = new TestGraph({ mode: 'train', batch: 4 });
  const x = g.op('input', [], { shape: [4, 2, 2] });
  const c = g.op('conv2d', [x], { filters: 4, kernel: 1 });
  const b = g.op('batchnorm', [c], {}, { inPlace: true });
  const m = memoryOf(g.build([b]));
  assert.deepEqual(m.inPlace.decisions, [
    { op: 2, legal: false, input: 1, reason: "batchnorm's backward needs its input, so it can run in place only in infer mode" },
  ]);
});

test('batch-norm in place is legal in infer mode', () => {
  const g = new TestGraph({ mode: 'infer', batch: 4 });
  const x = g.op('input', [], { shape: [4, 2, 2] });
  const c = g.op('conv2d', [x], { filters: 4, kernel: 1 });
  const b = g.op('batchnorm', [c], {}, { inPlace: true });
  const m = memoryOf(g.build([b]));
  assert.deepEqual(m.inPlace.decisions, [{ op: 2, input: 1, legal: true }]);
});

test('illegal in training: sigmoid in place over a tensor a convolution backward reads', () => {
  const g = new TestGraph({ mode: 'train', batch: 4 });
  const x = g.op('input', [], { shape: [2, 4, 4] });
  const c = g.op('conv2d', [x], { filters: 2, kernel: 3, pad: 1 });
  const r = g.op('relu', [c]);
  const d = g.op('conv2d', [r], { filters: 2, kernel: 1 });
  const s = g.op('sigmoid', [r], {}, { inPlace: true });
  const y = g.op('add', [d, s]);
  const m = memoryOf(g.build([y]));
  const decision = m.inPlace.decisions[0]!;
  assert.equal(decision.legal, false);
  assert.match(decision.reason!, /^'relu#2' is read again later \(line \d+, backward\)$/);
});

test('illegal: an op that cannot run in place at all', () => {
  const g = new TestGraph({ mode: 'infer', batch: 1 });
  const x = g.op('input', [], { shape: [2, 4, 4] });
  const c = g.op('concat', [x, x], {}, { inPlace: true });
  const m = memoryOf(g.build([c]));
  assert.deepEqual(m.inPlace.decisions, [{ op: 1, legal: false, reason: 'concat cannot write its output over its input' }]);
});

test('sigmoid over x in the branch can go in place (x dies there), the relu cannot (x is read later)', () => {
  const m = memoryOf(branchConcat({ mode: 'infer', batch: 1 }));
  assert.deepEqual(
    m.inPlace.savings.map((s) => s.op),
    [2],
  );
});
