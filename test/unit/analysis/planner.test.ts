// Planner properties on thousands of random interval sets: no two buffers whose lifetimes overlap
// share bytes; planned >= lower bound; deterministic. Plus exact small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  arenaFits,
  arenaWithSameDecisions,
  GREEDY_LIMIT,
  liveLowerBound,
  PlanCache,
  planColumns,
  planArena,
  planBestFitInOrder,
  planGreedyBySize,
  type Plan,
  type PlanItem,
} from '../../../server/src/core/analysis/planner';

const itemArb: fc.Arbitrary<PlanItem> = fc
  .record({ start: fc.integer({ min: 0, max: 40 }), length: fc.integer({ min: 0, max: 20 }), size: fc.integer({ min: 0, max: 1000 }) })
  .map(({ start, length, size }) => ({ start, end: start + length, size }));
const itemsArb = fc.array(itemArb, { minLength: 0, maxLength: 60 });

function assertValid(items: readonly PlanItem[], plan: Plan): void {
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    assert.ok(plan.offsets[i]! >= 0);
    if (a.size > 0) assert.ok(plan.offsets[i]! + a.size <= plan.arena);
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j]!;
      if (a.size === 0 || b.size === 0) continue;
      const together = a.start <= b.end && b.start <= a.end;
      if (!together) continue;
      const apart = plan.offsets[i]! + a.size <= plan.offsets[j]! || plan.offsets[j]! + b.size <= plan.offsets[i]!;
      assert.ok(apart, `items ${i} and ${j} overlap in time and in bytes`);
    }
  }
  assert.ok(plan.arena >= liveLowerBound(items));
}

for (const [name, planner] of [
  ['greedy by size', planGreedyBySize],
  ['best fit in schedule order', planBestFitInOrder],
  ['planArena', planArena],
] as const) {
  test(`${name}: valid, above the lower bound, deterministic (2000 random sets)`, () => {
    fc.assert(
      fc.property(itemsArb, (items) => {
        const plan = planner(items);
        assertValid(items, plan);
        assert.deepEqual(planner(items), plan);
      }),
      { numRuns: 2000 },
    );
  });
}

test('planArena: greedy by size up to GREEDY_LIMIT buffers, best fit in order above', () => {
  const small: PlanItem[] = Array.from({ length: GREEDY_LIMIT }, (_, i) => ({ start: i, end: i + 1, size: 1 + (i % 7) }));
  assert.equal(planArena(small).strategy, 'greedy-by-size');
  const large = [...small, { start: 0, end: 0, size: 1 }];
  assert.equal(planArena(large).strategy, 'best-fit-in-order');
  assertValid(large, planArena(large));
});

test('greedy by size fills the gap a dead buffer leaves (exact offsets)', () => {
  // A [0,1] 100, B [1,2] 50, C [2,3] 100, D [3,3] 40
  const items: PlanItem[] = [
    { start: 0, end: 1, size: 100 },
    { start: 1, end: 2, size: 50 },
    { start: 2, end: 3, size: 100 },
    { start: 3, end: 3, size: 40 },
  ];
  const plan = planGreedyBySize(items);
  // A at 0, C at 0 (disjoint from A), B above both; D overlaps only C, so it sits above C
  assert.deepEqual(plan.offsets, [0, 100, 0, 100]);
  assert.equal(plan.arena, 150);
  assert.equal(liveLowerBound(items), 150);
});

test('best fit in order: coalesced frees are reused, the top grows only when nothing fits', () => {
  const items: PlanItem[] = [
    { start: 0, end: 0, size: 30 },
    { start: 0, end: 0, size: 20 },
    { start: 1, end: 1, size: 50 }, // fits the coalesced 30 + 20 block
    { start: 1, end: 1, size: 10 }, // nothing left: top
  ];
  const plan = planBestFitInOrder(items);
  assert.deepEqual(plan.offsets, [0, 30, 0, 50]);
  assert.equal(plan.arena, 60);
});

test('greedy by size: its placement replayed at the same sizes gives the same arena; best fit keeps none', () => {
  fc.assert(
    fc.property(itemsArb, (items) => {
      const plan = planGreedyBySize(items);
      assert.equal(arenaWithSameDecisions(plan, items.map((it) => it.size)), plan.arena);
      assert.equal(arenaWithSameDecisions(planBestFitInOrder(items), items.map((it) => it.size)), undefined);
    }),
    { numRuns: 1000 },
  );
});

test('a replayed placement at other sizes: each item on top of its anchor (exact small case)', () => {
  // a (size 4) at 0 for steps 0-1; b (3) overlaps a in time and sits on it; c (2) only overlaps b
  const items: PlanItem[] = [
    { start: 0, end: 1, size: 4 },
    { start: 1, end: 2, size: 3 },
    { start: 2, end: 3, size: 2 },
  ];
  const plan = planGreedyBySize(items);
  assert.deepEqual(plan.offsets, [0, 4, 0]);
  assert.equal(plan.arena, 7);
  // doubled sizes, same decisions: a 0..8, b 8..14, c 0..4
  assert.equal(arenaWithSameDecisions(plan, [8, 6, 4]), 14);
});

test('PlanCache: a hit only for the same intervals and sizes', () => {
  const cache = new PlanCache();
  const columns = (sizes: number[]) => ({ starts: Float64Array.from([0, 1, 2]), ends: Float64Array.from([1, 2, 3]), sizes: Float64Array.from(sizes) });
  const plan = planColumns(columns([4, 3, 2]));
  cache.set(columns([4, 3, 2]), plan);
  assert.equal(cache.get(columns([4, 3, 2])), plan);
  assert.equal(cache.get(columns([4, 3, 5])), undefined);
  assert.equal(cache.get({ ...columns([4, 3, 2]), ends: Float64Array.from([1, 2, 4]) }), undefined);
  // sizes beyond 2^32 take part in the key and the comparison
  cache.set(columns([2 ** 40, 3, 2]), planColumns(columns([2 ** 40, 3, 2])));
  assert.equal(cache.get(columns([2 ** 40 + 1, 3, 2])), undefined);
  assert.equal(cache.get(columns([2 ** 40, 3, 2]))?.arena, 2 ** 40 + 3);
});

test('arenaFits: exactly planColumns(items).arena <= limit, at and around the arena (2000 random sets)', () => {
  fc.assert(
    fc.property(itemsArb, fc.integer({ min: -3, max: 3 }), (items, delta) => {
      const columns = {
        starts: Float64Array.from(items, (it) => it.start),
        ends: Float64Array.from(items, (it) => it.end),
        sizes: Float64Array.from(items, (it) => it.size),
      };
      const arena = planColumns(columns).arena;
      for (const limit of [arena + delta, arena / 2, 0]) assert.equal(arenaFits(columns, limit), arena <= limit, `limit ${limit}, arena ${arena}`);
    }),
    { numRuns: 2000 },
  );
});

test('arenaFits above GREEDY_LIMIT (best fit in order, stopped once over): exactly arena <= limit; a reused arena plans the same', () => {
  fc.assert(
    fc.property(fc.array(itemArb, { minLength: GREEDY_LIMIT + 1, maxLength: GREEDY_LIMIT + 200 }), (items) => {
      const columns = {
        starts: Float64Array.from(items, (it) => it.start),
        ends: Float64Array.from(items, (it) => it.end),
        sizes: Float64Array.from(items, (it) => it.size),
      };
      const plan = planColumns(columns);
      assert.equal(plan.strategy, 'best-fit-in-order');
      for (const limit of [plan.arena - 1, plan.arena, plan.arena + 1, plan.arena / 2]) assert.equal(arenaFits(columns, limit), plan.arena <= limit, `limit ${limit}, arena ${plan.arena}`);
      // after fit checks stopped part-way through, the next plan (on the arena they gave back) is the same
      assert.deepEqual(planColumns(columns), plan);
    }),
    { numRuns: 20 },
  );
});
