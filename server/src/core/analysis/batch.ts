// The batch size: the largest N that fits a memory budget, and the N that fills the SIMD lanes.
// Live bytes at each step are affine in N (fixed + perSample x N), so the lower bound is a maximum
// of affine functions and its largest fitting N is exact arithmetic. The planned arena is re-planned
// at each candidate N (the planner's ordering and gaps depend on the sizes at that N), found by a
// guess from the lower bound and a search that ends on a verified boundary: N fits, N + 1 does not.
import type { Device, DType } from '../ir';
import { DTYPE_BYTES } from '../ir';
import { simdLanes } from '../devices';
import type { SymbolicBytes } from '../units';

export type NoBatchReason = 'unbounded' | 'none-fits';

export interface BatchLimit {
  /** largest batch that fits; null when unbounded (nothing grows with N) or when not even N = 1 fits */
  readonly batch: number | null;
  readonly reason?: NoBatchReason;
}

/** largest N >= 1 with f + p N <= budget for every line; exact in integers */
export function maxBatchOfLines(lines: readonly SymbolicBytes[], budget: number): BatchLimit {
  const fixed = new Float64Array(lines.length);
  const perSample = new Float64Array(lines.length);
  lines.forEach((l, i) => {
    fixed[i] = l.fixed;
    perSample[i] = l.perSample;
  });
  return maxBatchOfColumns(fixed, perSample, budget);
}

/** maxBatchOfLines over lines given as two parallel arrays (fixed, perSample) */
export function maxBatchOfColumns(fixedOf: ArrayLike<number>, perSampleOf: ArrayLike<number>, budget: number): BatchLimit {
  let best = Infinity;
  for (let i = 0; i < fixedOf.length; i++) {
    const fixed = fixedOf[i]!;
    const perSample = perSampleOf[i]!;
    if (fixed + perSample > budget) return { batch: null, reason: 'none-fits' };
    if (perSample <= 0) continue;
    let q = Math.floor((budget - fixed) / perSample);
    // the float quotient can be off by one near exact multiples: settle it in integers
    while (fixed + perSample * (q + 1) <= budget) q++;
    while (q > 0 && fixed + perSample * q > budget) q--;
    best = Math.min(best, q);
  }
  if (best === Infinity) return { batch: null, reason: 'unbounded' };
  return { batch: best };
}

/**
 * Largest N in [1, upper] with fits(N), assuming fits is monotone (true up to some N, then false).
 * Gallops from `guess` (steps 1, 2, 4, ... toward the boundary) and then bisects the bracket, so a
 * guess that is off by d costs about 2 log2(d) + 2 calls; a right guess costs two.
 */
export function searchMaxBatch(fits: (n: number) => boolean, upper: number, guess: number): number | null {
  if (upper < 1) return null;
  const g = Math.min(Math.max(1, guess), upper);
  let lo: number; // known to fit (0: none known)
  let hi: number; // known not to fit (upper + 1: none known)
  if (fits(g)) {
    lo = g;
    hi = upper + 1;
    for (let step = 1; lo + step < hi; step *= 2) {
      if (fits(lo + step)) lo += step;
      else {
        hi = lo + step;
        break;
      }
    }
  } else {
    lo = 0;
    hi = g;
    for (let step = 1; hi - step > lo; step *= 2) {
      if (!fits(hi - step)) hi -= step;
      else {
        lo = hi - step;
        break;
      }
    }
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo >= 1 ? lo : null;
}

export interface SimdFill {
  /** SIMD lanes at the activation dtype (1024-bit GPU: 32 fp32, 64 fp16); 0 when the device does not use them */
  readonly lanes: number;
  /** the batch that fills them; null on devices that find parallelism in the graph (IPU) */
  readonly batch: number | null;
}

export function simdFill(device: Device, activation: DType): SimdFill {
  const lanes = simdLanes(device, DTYPE_BYTES[activation]);
  return { lanes, batch: lanes > 0 ? lanes : null };
}
