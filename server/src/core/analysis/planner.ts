// Static buffer planning: give every buffer an offset in one arena so that no two buffers whose
// lifetimes overlap share bytes.
//  - greedy by size (TensorFlow Lite, XLA's decreasing-size best fit): largest buffer first, each into
//    the smallest gap left by the time-overlapping buffers already placed. Its scan is quadratic in the
//    worst case, so planArena uses it up to GREEDY_LIMIT buffers;
//  - best fit in schedule order, above that: walk the steps, free what died, allocate what starts
//    (largest first) into the smallest free block, found in a treap ordered by (size, offset): O(n log n).
// Sizes are plain byte counts (the caller evaluates fixed + perSample x N at the batch it wants).

export interface PlanItem {
  /** first step at which the buffer is live (inclusive) */
  readonly start: number;
  /** last step at which the buffer is live (inclusive) */
  readonly end: number;
  readonly size: number;
}

export type PlanStrategy = 'greedy-by-size' | 'best-fit-in-order';

export interface Plan {
  /** byte offset of each item in the arena, in input order */
  readonly offsets: readonly number[];
  /** arena size: max over items of offset + size */
  readonly arena: number;
  readonly strategy: PlanStrategy;
  /**
   * greedy by size only: the items in placement order, and for each item the item whose end it was
   * placed at (-1: offset 0). Replaying these decisions at other sizes (arenaWithSameDecisions)
   * predicts the arena at another batch in O(n), a guess the batch search then verifies.
   */
  readonly decisions?: { readonly order: Int32Array; readonly anchor: Int32Array };
}

/** the arena if every item kept the anchor it had in `plan`, at the given sizes; undefined without decisions */
export function arenaWithSameDecisions(plan: Plan, sizes: ArrayLike<number>): number | undefined {
  const d = plan.decisions;
  if (!d) return undefined;
  const offset = new Float64Array(sizes.length);
  let arena = 0;
  for (let k = 0; k < d.order.length; k++) {
    const i = d.order[k]!;
    const a = d.anchor[i]!;
    offset[i] = a < 0 ? 0 : offset[a]! + sizes[a]!;
    arena = Math.max(arena, offset[i]! + sizes[i]!);
  }
  return arena;
}

/** above this many buffers the O(n log n) strategy replaces greedy by size */
export const GREEDY_LIMIT = 1500;

/** greedy by size up to GREEDY_LIMIT buffers (it lands closer to the lower bound), best fit in order above */
export function planArena(items: readonly PlanItem[]): Plan {
  return planColumns(columnsOf(items));
}

/** plan items given as three parallel arrays (no object per item: the engine plans at several batches) */
export interface PlanColumns {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly sizes: Float64Array;
}

export function planColumns(items: PlanColumns): Plan {
  return items.sizes.length > GREEDY_LIMIT ? bestFitInOrder(items) : greedyBySize(items);
}

function columnsOf(items: readonly PlanItem[]): PlanColumns {
  const n = items.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const sizes = new Float64Array(n);
  items.forEach((it, i) => {
    starts[i] = it.start;
    ends[i] = it.end;
    sizes[i] = it.size;
  });
  return { starts, ends, sizes };
}

/** TFLite's greedy by size: largest first, best-fitting gap among time-overlapping placed buffers */
export function planGreedyBySize(items: readonly PlanItem[]): Plan {
  return greedyBySize(columnsOf(items));
}

/**
 * Whether the arena of planColumns(items) stays within `limit`, stopping as soon as the answer is
 * known. Greedy by size only ever raises the arena as it places buffers, largest first, so a run
 * that will not fit usually shows it after the large buffers; and a buffer raises the arena by at
 * most its own size (it goes into a gap below the top, or on top of a buffer below the top), so a
 * run whose arena plus every buffer still to place is within the limit fits without placing them.
 */
export function arenaFits(items: PlanColumns, limit: number): boolean {
  if (items.sizes.length > GREEDY_LIMIT) return bestFitFits(items, limit);
  const plan = greedyBySize(items, limit);
  return plan === FITS || (plan !== undefined && plan.arena <= limit);
}

/** a run with a limit that stopped because it can no longer exceed it */
const FITS = 'fits';

function greedyBySize(items: PlanColumns): Plan;
function greedyBySize(items: PlanColumns, limit: number): Plan | typeof FITS | undefined;
/** with `limit`: undefined as soon as the arena exceeds it, FITS as soon as it cannot */
function greedyBySize({ starts, ends, sizes }: PlanColumns, limit = Infinity): Plan | typeof FITS | undefined {
  const n = sizes.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (sizes[i]! > 0) order.push(i);
  order.sort((a, b) => sizes[b]! - sizes[a]! || starts[a]! - starts[b]! || a - b);
  // bytes of the buffers still to place, under a limit; counted exactly (whole bytes below 2^53) or not at all
  let unplaced = Infinity;
  if (limit !== Infinity) {
    unplaced = 0;
    for (let k = 0; k < order.length; k++) unplaced += sizes[order[k]!]!;
    let whole = Number.isSafeInteger(unplaced);
    for (let k = 0; k < order.length && whole; k++) whole = Number.isInteger(sizes[order[k]!]!);
    if (!whole) unplaced = Infinity;
  }
  const offsets = new Float64Array(n);
  const anchor = new Int32Array(n).fill(-1);
  // placed items sorted by offset (ties by placement order), packed 5 numbers each for locality:
  // offset, offset + size, first step, last step, item
  const placed = new Float64Array(order.length * 5);
  let count = 0;
  let arena = 0;
  for (const i of order) {
    const s = starts[i]!;
    const e = ends[i]!;
    const size = sizes[i]!;
    let prevEnd = 0;
    let prevItem = -1;
    let best = -1;
    let bestAnchor = -1;
    let bestGap = Infinity;
    for (let k = 0, p = 0; k < count; k++, p += 5) {
      if (placed[p + 2]! > e || s > placed[p + 3]!) continue;
      const gap = placed[p]! - prevEnd;
      if (gap >= size && gap < bestGap) {
        best = prevEnd;
        bestAnchor = prevItem;
        bestGap = gap;
        // an exact fit cannot be beaten, and later gaps sit at higher offsets: stop scanning
        if (gap === size) break;
      }
      if (placed[p + 1]! > prevEnd) {
        prevEnd = placed[p + 1]!;
        prevItem = placed[p + 4]!;
      }
    }
    const offset = best >= 0 ? best : prevEnd;
    offsets[i] = offset;
    anchor[i] = best >= 0 ? bestAnchor : prevItem;
    // insertion position: after every placed offset <= this one
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (placed[mid * 5]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    placed.copyWithin((lo + 1) * 5, lo * 5, count * 5);
    placed[lo * 5] = offset;
    placed[lo * 5 + 1] = offset + size;
    placed[lo * 5 + 2] = s;
    placed[lo * 5 + 3] = e;
    placed[lo * 5 + 4] = i;
    count++;
    if (offset + size > arena) {
      arena = offset + size;
      if (arena > limit) return undefined;
    }
    unplaced -= size;
    if (unplaced !== Infinity && arena + unplaced <= limit) return FITS;
  }
  return { offsets: Array.from(offsets), arena, strategy: 'greedy-by-size', decisions: { order: new Int32Array(order), anchor } };
}

/** best fit while walking the schedule: frees coalesce, allocations take the smallest block that fits */
export function planBestFitInOrder(items: readonly PlanItem[]): Plan {
  return bestFitInOrder(columnsOf(items));
}

/** planBestFitInOrder over items given as columns */
export function planBestFitInOrderColumns(items: PlanColumns): Plan {
  return bestFitInOrder(items);
}

function bestFitInOrder(items: PlanColumns): Plan {
  const run = runBestFit(items, Infinity, true)!;
  return { offsets: run.offsets, arena: run.arena, strategy: 'best-fit-in-order' };
}

/** whether best fit in order stays within `limit`: it stops once the arena's top (which never comes down) is over */
function bestFitFits(items: PlanColumns, limit: number): boolean {
  return runBestFit(items, limit, false) !== undefined;
}

/** undefined once the arena exceeds `limit`; offsets only when asked (a fit check would allocate a million for nothing) */
function runBestFit({ starts, ends, sizes }: PlanColumns, limit: number, keepOffsets: boolean): { offsets: number[]; arena: number } | undefined {
  const n = sizes.length;
  const offsets = keepOffsets ? new Array<number>(n).fill(0) : [];
  const byStart = bucketByStep(starts, sizes);
  // items sharing a first step: largest first, then by index (buckets are short: one op's writes)
  for (let lo = 0; lo < byStart.length; ) {
    let hi = lo + 1;
    while (hi < byStart.length && starts[byStart[hi]!] === starts[byStart[lo]!]) hi++;
    if (hi - lo > 1) byStart.subarray(lo, hi).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
    lo = hi;
  }
  const byEnd = bucketByStep(ends, sizes);
  const arena = Arena.reused(byStart.length + 1);
  const blockOf = new Int32Array(n).fill(-1);
  let e = 0;
  for (const i of byStart) {
    const start = starts[i]!;
    // release everything that died before this item's first step
    while (e < byEnd.length && ends[byEnd[e]!]! < start) {
      const d = byEnd[e++]!;
      arena.release(blockOf[d]!);
    }
    const block = arena.allocate(sizes[i]!);
    blockOf[i] = block;
    if (keepOffsets) offsets[i] = arena.offsetOf(block);
    if (arena.top > limit) {
      arena.giveBack();
      return undefined;
    }
  }
  const top = arena.top;
  arena.giveBack();
  return { offsets, arena: top };
}

/**
 * Indexes of the items of positive size ordered by `step` (integers >= 0), ties by index: a counting
 * sort, O(n + steps), where a comparison sort over a million items cost most of the planner's time.
 */
function bucketByStep(step: Float64Array, sizes: Float64Array): Uint32Array {
  let last = -1;
  let count = 0;
  let integral = true;
  for (let i = 0; i < sizes.length; i++) {
    if (!(sizes[i]! > 0)) continue;
    count++;
    if (step[i]! > last) last = step[i]!;
    if (!Number.isInteger(step[i]!) || step[i]! < 0) integral = false;
  }
  if (!integral || last > 4 * count + 1024) {
    // steps that are not small integers (hand-made plan items): a comparison sort
    const live: number[] = [];
    for (let i = 0; i < sizes.length; i++) if (sizes[i]! > 0) live.push(i);
    return new Uint32Array(live).sort((a, b) => step[a]! - step[b]! || a - b);
  }
  const first = new Uint32Array(last + 2);
  for (let i = 0; i < sizes.length; i++) if (sizes[i]! > 0) first[step[i]! + 1]!++;
  for (let k = 1; k < first.length; k++) first[k]! += first[k - 1]!;
  const out = new Uint32Array(count);
  for (let i = 0; i < sizes.length; i++) if (sizes[i]! > 0) out[first[step[i]!]!++] = i;
  return out;
}

const NONE = -1;
/** the treap's first priority seed: the same for every plan, so that plans are deterministic */
const SEED = 0x9e3779b9;

/**
 * The arena's blocks, used or free, as columns indexed by block number (no object per block: a
 * 250,000-buffer plan runs on every keystroke of a large model). All blocks form a list in address
 * order (so a release finds its neighbours in O(1)); free blocks are also nodes of a treap keyed by
 * (size, offset) for best fit.
 */
class Arena {
  /** high-water mark: the arena size */
  top = 0;
  private readonly offset: Float64Array;
  private readonly size: Float64Array;
  private readonly free: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly priority: Uint32Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private count = 0;
  private tail = NONE;
  private root = NONE;
  private seed = SEED;

  /**
   * The last arena given back when it has room for `capacity` blocks, emptied; else a new one. A
   * large model plans at three or four batches, and each fresh arena's hundreds of MB of typed
   * arrays made V8 run a full collection (external memory) that found nothing to free. Held weakly:
   * the collector may take it between plans.
   */
  static reused(capacity: number): Arena {
    const spare = Arena.spare?.deref();
    Arena.spare = undefined;
    if (spare && spare.capacity >= capacity) {
      spare.top = 0;
      spare.count = 0;
      spare.tail = spare.root = NONE;
      spare.seed = SEED;
      return spare;
    }
    return new Arena(capacity);
  }

  private static spare: WeakRef<Arena> | undefined;

  /** done with it: the next plan may reuse its arrays */
  giveBack(): void {
    Arena.spare = new WeakRef(this);
  }

  /** `capacity`: the most blocks ever made (each allocation makes at most one; a release none) */
  constructor(private readonly capacity: number) {
    this.offset = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.free = new Uint8Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.priority = new Uint32Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
  }

  offsetOf(block: number): number {
    return this.offset[block]!;
  }

  allocate(size: number): number {
    const fit = this.bestFit(size);
    if (fit !== NONE) {
      this.root = this.removeNode(this.root, fit);
      if (this.size[fit]! > size) {
        const rest = this.newBlock(this.offset[fit]! + size, this.size[fit]! - size, true);
        this.linkAfter(fit, rest);
        this.root = this.insertNode(this.root, rest);
        this.size[fit] = size;
      }
      this.free[fit] = 0;
      return fit;
    }
    // nothing fits: grow the free block at the end, or append a new one
    const tail = this.tail;
    if (tail !== NONE && this.free[tail] === 1) {
      this.root = this.removeNode(this.root, tail);
      this.size[tail] = size;
      this.free[tail] = 0;
      this.top = Math.max(this.top, this.offset[tail]! + size);
      return tail;
    }
    const block = this.newBlock(tail !== NONE ? this.offset[tail]! + this.size[tail]! : 0, size, false);
    if (tail !== NONE) this.linkAfter(tail, block);
    else this.tail = block;
    this.top = Math.max(this.top, this.offset[block]! + size);
    return block;
  }

  release(block: number): void {
    let b = block;
    this.free[b] = 1;
    const prev = this.prev[b]!;
    if (prev !== NONE && this.free[prev] === 1) {
      this.root = this.removeNode(this.root, prev);
      this.size[prev]! += this.size[b]!;
      this.unlink(b);
      b = prev;
    }
    const next = this.next[b]!;
    if (next !== NONE && this.free[next] === 1) {
      this.root = this.removeNode(this.root, next);
      this.size[b]! += this.size[next]!;
      this.unlink(next);
    }
    this.root = this.insertNode(this.root, b);
  }

  /** the smallest free block of at least `size` bytes, lowest offset among equals */
  private bestFit(size: number): number {
    let node = this.root;
    let best = NONE;
    while (node !== NONE) {
      if (this.size[node]! >= size) {
        best = node;
        node = this.left[node]!;
      } else node = this.right[node]!;
    }
    return best;
  }

  private newBlock(offset: number, size: number, free: boolean): number {
    const b = this.count++;
    this.offset[b] = offset;
    this.size[b] = size;
    this.free[b] = free ? 1 : 0;
    this.prev[b] = this.next[b] = this.left[b] = this.right[b] = NONE;
    this.priority[b] = this.random();
    return b;
  }

  private linkAfter(at: number, block: number): void {
    this.prev[block] = at;
    const after = this.next[at]!;
    this.next[block] = after;
    if (after !== NONE) this.prev[after] = block;
    else this.tail = block;
    this.next[at] = block;
  }

  private unlink(block: number): void {
    const prev = this.prev[block]!;
    const next = this.next[block]!;
    if (prev !== NONE) this.next[prev] = next;
    if (next !== NONE) this.prev[next] = prev;
    else this.tail = prev;
    this.prev[block] = this.next[block] = NONE;
  }

  private random(): number {
    // xorshift32 from a fixed seed: the treap's shape, and so the plan, is deterministic
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  private less(a: number, b: number): boolean {
    return keyLess(this.size[a]!, this.offset[a]!, this.size[b]!, this.offset[b]!);
  }

  private insertNode(root: number, node: number): number {
    this.left[node] = this.right[node] = NONE;
    this.split(root, node);
    const l = this.splitLeft;
    const r = this.splitRight;
    return this.merge(this.merge(l, node), r);
  }

  private removeNode(root: number, node: number): number {
    if (root === NONE) return NONE;
    if (root === node) return this.merge(this.left[root]!, this.right[root]!);
    if (this.less(node, root)) this.left[root] = this.removeNode(this.left[root]!, node);
    else this.right[root] = this.removeNode(this.right[root]!, node);
    return root;
  }

  /** the two halves of the last split (fields, not a tuple: no allocation per tree level) */
  private splitLeft = NONE;
  private splitRight = NONE;

  /** nodes < key's (size, offset) go to splitLeft, >= to splitRight */
  private split(node: number, key: number): void {
    if (node === NONE) {
      this.splitLeft = this.splitRight = NONE;
      return;
    }
    if (this.less(node, key)) {
      this.split(this.right[node]!, key);
      this.right[node] = this.splitLeft;
      this.splitLeft = node;
      return;
    }
    this.split(this.left[node]!, key);
    this.left[node] = this.splitRight;
    this.splitRight = node;
  }

  private merge(a: number, b: number): number {
    if (a === NONE) return b;
    if (b === NONE) return a;
    if (this.priority[a]! > this.priority[b]!) {
      this.right[a] = this.merge(this.right[a]!, b);
      return a;
    }
    this.left[b] = this.merge(a, this.left[b]!);
    return b;
  }
}

function keyLess(aSize: number, aOffset: number, bSize: number, bOffset: number): boolean {
  return aSize < bSize || (aSize === bSize && aOffset < bOffset);
}

/** max over steps of the summed sizes of live items: what a perfect allocator needs */
export function liveLowerBound(items: readonly PlanItem[]): number {
  let steps = 0;
  for (const it of items) steps = Math.max(steps, it.end + 2);
  const delta = new Array<number>(steps).fill(0);
  for (const it of items) {
    delta[it.start]! += it.size;
    delta[it.end + 1]! -= it.size;
  }
  let live = 0;
  let max = 0;
  for (const d of delta) {
    live += d;
    max = Math.max(max, live);
  }
  return max;
}

/**
 * Plans shared between analyses of different texts whose buffers are the same (a quick fix's
 * previews: mixed and bf16 give every buffer the same bytes, only the always-live state differs).
 * Keyed by the buffers' intervals and sizes, compared in full on a hash hit. One cache serves one
 * group of analyses (one code-action request), not the whole process.
 */
export class PlanCache {
  private readonly entries = new Map<number, { columns: PlanColumns; plan: Plan }[]>();

  get(columns: PlanColumns): Plan | undefined {
    return this.entries.get(hashColumns(columns))?.find((e) => sameColumns(e.columns, columns))?.plan;
  }

  set(columns: PlanColumns, plan: Plan): void {
    const key = hashColumns(columns);
    const list = this.entries.get(key) ?? [];
    list.push({ columns, plan });
    this.entries.set(key, list);
  }
}

function hashColumns({ starts, ends, sizes }: PlanColumns): number {
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    // sizes can exceed 2^32: fold the high part in too
    h = Math.imul(h ^ (v >>> 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(v / 4294967296), 0x01000193);
  };
  mix(sizes.length);
  for (let i = 0; i < sizes.length; i++) {
    mix(starts[i]!);
    mix(ends[i]!);
    mix(sizes[i]!);
  }
  return h >>> 0;
}

function sameColumns(a: PlanColumns, b: PlanColumns): boolean {
  if (a.sizes.length !== b.sizes.length) return false;
  for (let i = 0; i < a.sizes.length; i++) {
    if (a.starts[i] !== b.starts[i] || a.ends[i] !== b.ends[i] || a.sizes[i] !== b.sizes[i]) return false;
  }
  return true;
}
