// Whole-engine properties on random small graphs (dense / relu / sigmoid / dropout / add / concat-free
// residual mixes, random in-place requests and checkpoint segments, train or infer): the plan never
// overlaps live buffers, planned >= lower bound <= naive, the peak is the largest step, intervals
// are ordered, and the planned max batch is a verified boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { customDevice } from '../../../server/src/core/devices';
import { atBatch } from '../../../server/src/core/units';
import { memoryOf, TestGraph } from './graphs';

interface OpPlan {
  readonly kind: 'dense' | 'relu' | 'sigmoid' | 'dropout' | 'add';
  readonly pick: number; // which earlier tensor feeds it
  readonly pick2: number;
  readonly inPlace: boolean;
  readonly segment: number | null;
}

const opArb: fc.Arbitrary<OpPlan> = fc.record({
  kind: fc.constantFrom('dense', 'relu', 'sigmoid', 'dropout', 'add'),
  pick: fc.nat(),
  pick2: fc.nat(),
  inPlace: fc.boolean(),
  segment: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
});

const caseArb = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 14 }),
  train: fc.boolean(),
  batch: fc.integer({ min: 1, max: 64 }),
  memoryKiB: fc.integer({ min: 8, max: 4096 }),
});

function build(c: { ops: readonly OpPlan[]; train: boolean; batch: number; memoryKiB: number }, batch = c.batch) {
  const g = new TestGraph({
    mode: c.train ? 'train' : 'infer',
    batch,
    optimizer: { kind: 'adam', momentum: 0 },
    device: customDevice('gpu', c.memoryKiB * 1024),
  });
  const tensors = [g.op('input', [], { shape: [16] })];
  for (const op of c.ops) {
    const a = tensors[op.pick % tensors.length]!;
    const b = tensors[op.pick2 % tensors.length]!;
    const call = { inPlace: op.inPlace, ...(op.segment !== null ? { checkpointSegment: op.segment } : {}) };
    if (op.kind === 'dense') tensors.push(g.op('dense', [a], { units: 16 }, call));
    else if (op.kind === 'add') tensors.push(g.op('add', [a, b], {}, call));
    else if (op.kind === 'dropout') tensors.push(g.op('dropout', [a], { rate: 0.5 }, call));
    else tensors.push(g.op(op.kind, [a], {}, call));
  }
  return g.build([tensors[tensors.length - 1]!]);
}

test('engine invariants on random graphs', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const m = memoryOf(build(c), { checkpointEstimate: false });
      const N = c.batch;
      // no two buffers live at the same step share bytes
      const live = m.buffers.filter((b) => atBatch(b.bytes, N) > 0);
      for (let i = 0; i < live.length; i++) {
        const a = live[i]!;
        assert.ok(a.liveFrom <= a.liveTo);
        for (let j = i + 1; j < live.length; j++) {
          const b = live[j]!;
          if (a.liveTo < b.liveFrom || b.liveTo < a.liveFrom) continue;
          const apart = a.offset + atBatch(a.bytes, N) <= b.offset || b.offset + atBatch(b.bytes, N) <= a.offset;
          assert.ok(apart, `buffers ${a.id} and ${b.id} overlap`);
        }
      }
      const peak = Math.max(...m.stepLive.map((l) => atBatch(l, N)));
      assert.equal(m.bytes.lowerBound, peak);
      assert.equal(atBatch(m.stepLive[m.peakStep!.index]!, N), peak);
      assert.ok(m.bytes.planned >= m.bytes.lowerBound);
      assert.ok(atBatch(m.bytes.naive, N) >= m.bytes.planned);
      for (const t of m.tensors) assert.ok(t.liveFrom <= t.liveTo);
      // timeline totals match the step figures
      m.timeline.forEach((row, i) => assert.equal(row.total, atBatch(m.stepLive[i]!, N)));
      // a legal in-place output shares its input's buffer
      for (const d of m.inPlace.decisions) {
        if (!d.legal) continue;
        const out = m.tensors.find((t) => t.tensor === build(c).ops[d.op]!.output)!;
        assert.equal(out.buffer, m.tensors[d.input!]!.buffer);
      }
      // the planned max batch is a verified boundary
      const limit = m.maxBatch.planned.batch;
      if (limit !== null && limit < 100000) {
        assert.ok(memoryOf(build(c, limit), { checkpointEstimate: false }).bytes.planned <= c.memoryKiB * 1024);
        assert.ok(memoryOf(build(c, limit + 1), { checkpointEstimate: false }).bytes.planned > c.memoryKiB * 1024);
      }
      if (m.maxBatch.lowerBound.batch !== null && limit !== null) assert.ok(limit <= m.maxBatch.lowerBound.batch);
    }),
    { numRuns: 300 },
  );
});

test('the predicted in-place saving is exactly what the lower bound loses', () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const plain = { ...c, ops: c.ops.map((o) => ({ ...o, inPlace: false })) };
      const m = memoryOf(build(plain), { checkpointEstimate: false });
      for (const s of m.inPlace.savings.slice(0, 3)) {
        const index = s.op - 1; // op 0 is the input
        const one = { ...plain, ops: plain.ops.map((o, i) => (i === index ? { ...o, inPlace: true } : o)) };
        const after = memoryOf(build(one), { checkpointEstimate: false });
        assert.deepEqual(after.inPlace.decisions.map((d) => d.legal), [true]);
        assert.equal(m.bytes.lowerBound - after.bytes.lowerBound, s.peakSaving);
      }
    }),
    { numRuns: 200 },
  );
});
