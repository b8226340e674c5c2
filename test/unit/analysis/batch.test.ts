// Batch limits: exact at the boundary (N fits, N + 1 does not) for the lower bound and the planned
// arena; SIMD fill per device and precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maxBatchOfLines, searchMaxBatch, simdFill } from '../../../server/src/core/analysis/batch';
import { customDevice, devicePreset } from '../../../server/src/core/devices';
import { memoryOf, mlp } from './graphs';

const adam = { kind: 'adam', momentum: 0 } as const;

test('MLP train: the largest batch is exact at the boundary, lower bound and planned', () => {
  // peak line 10752 + 448 N (relu backward); budget exactly at N = 50
  const budget = 10752 + 448 * 50;
  for (const extra of [0, 447]) {
    const device = customDevice('gpu', budget + extra);
    const m = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: adam, device }));
    assert.deepEqual(m.maxBatch, { planned: { batch: 50 }, lowerBound: { batch: 50 } });
    assert.ok(memoryOf(mlp({ mode: 'train', batch: 50, optimizer: adam, device })).bytes.planned <= budget + extra);
    assert.ok(memoryOf(mlp({ mode: 'train', batch: 51, optimizer: adam, device })).bytes.planned > budget + extra);
  }
  const one = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: adam, device: customDevice('gpu', budget + 448) }));
  assert.equal(one.maxBatch.lowerBound.batch, 51);
});

test('nothing fits: the always-live state alone exceeds the device', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 1, optimizer: adam, device: customDevice('gpu', 9000) }));
  assert.deepEqual(m.maxBatch, { planned: { batch: null, reason: 'none-fits' }, lowerBound: { batch: null, reason: 'none-fits' } });
});

test('maxBatchOfLines: exact integer answers, unbounded and none-fits', () => {
  assert.deepEqual(maxBatchOfLines([{ fixed: 10, perSample: 3 }], 100), { batch: 30 });
  assert.deepEqual(maxBatchOfLines([{ fixed: 10, perSample: 3 }, { fixed: 40, perSample: 2 }], 100), { batch: 30 });
  assert.deepEqual(maxBatchOfLines([{ fixed: 10, perSample: 3 }, { fixed: 50, perSample: 2 }], 100), { batch: 25 });
  assert.deepEqual(maxBatchOfLines([{ fixed: 10, perSample: 0 }], 100), { batch: null, reason: 'unbounded' });
  assert.deepEqual(maxBatchOfLines([{ fixed: 99, perSample: 2 }], 100), { batch: null, reason: 'none-fits' });
  // near 2^53 the float quotient is settled in integers
  const p = 3;
  const budget = 2 ** 52 + 1;
  const n = maxBatchOfLines([{ fixed: 0, perSample: p }], budget).batch!;
  assert.ok(p * n <= budget && p * (n + 1) > budget);
});

test('searchMaxBatch finds the boundary of any monotone predicate from any guess', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: -10, max: 6000 }), (upper, t, guess) => {
      const threshold = Math.min(t, upper);
      const found = searchMaxBatch((n) => n <= threshold, upper, guess);
      assert.equal(found, threshold === 0 ? null : threshold);
    }),
    { numRuns: 2000 },
  );
});

test('SIMD fill: 1024-bit GPU 32 fp32 / 64 fp16 lanes, 512-bit CPU 16 fp32, IPU none', () => {
  const gpu = devicePreset('v100-16gb')!;
  assert.deepEqual(simdFill(gpu, 'fp32'), { lanes: 32, batch: 32 });
  assert.deepEqual(simdFill(gpu, 'fp16'), { lanes: 64, batch: 64 });
  assert.deepEqual(simdFill(devicePreset('cpu')!, 'fp32'), { lanes: 16, batch: 16 });
  assert.deepEqual(simdFill(devicePreset('ipu-mk2')!, 'fp16'), { lanes: 0, batch: null });
});

test('SIMD fill batch is priced with the planner at that batch', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 1, optimizer: adam }));
  const at32 = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: adam }));
  assert.equal(m.simd.batch, 32);
  assert.equal(m.simd.planned, at32.bytes.planned);
  assert.equal(m.simd.fits, true);
});

test('searchMaxBatch: a right guess costs two calls, a guess off by d about 2 log2(d) + 2', () => {
  let calls = 0;
  const fits = (n: number): boolean => {
    calls++;
    return n <= 700;
  };
  assert.equal(searchMaxBatch(fits, 1000, 700), 700);
  assert.equal(calls, 2);
  calls = 0;
  assert.equal(searchMaxBatch(fits, 1000, 764), 700);
  assert.ok(calls <= 2 * Math.log2(64) + 2, `${calls} calls`);
});
