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

function greedyBySize({ starts, ends, sizes }: PlanColumns): Plan {
  const n = sizes.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (sizes[i]! > 0) order.push(i);
  order.sort((a, b) => sizes[b]! - sizes[a]! || starts[a]! - starts[b]! || a - b);
  const offsets = new Float64Array(n);
  // placed items sorted by offset (ties by placement order), packed 4 numbers each for locality:
  // offset, offset + size, first step, last step
  const placed = new Float64Array(order.length * 4);
  let count = 0;
  let arena = 0;
  for (const i of order) {
    const s = starts[i]!;
    const e = ends[i]!;
    const size = sizes[i]!;
    let prevEnd = 0;
    let best = -1;
    let bestGap = Infinity;
    for (let k = 0, p = 0; k < count; k++, p += 4) {
      if (placed[p + 2]! > e || s > placed[p + 3]!) continue;
      const gap = placed[p]! - prevEnd;
      if (gap >= size && gap < bestGap) {
        best = prevEnd;
        bestGap = gap;
        // an exact fit cannot be beaten, and later gaps sit at higher offsets: stop scanning
        if (gap === size) break;
      }
      if (placed[p + 1]! > prevEnd) prevEnd = placed[p + 1]!;
    }
    const offset = best >= 0 ? best : prevEnd;
    offsets[i] = offset;
    // insertion position: after every placed offset <= this one
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (placed[mid * 4]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    placed.copyWithin((lo + 1) * 4, lo * 4, count * 4);
    placed[lo * 4] = offset;
    placed[lo * 4 + 1] = offset + size;
    placed[lo * 4 + 2] = s;
    placed[lo * 4 + 3] = e;
    count++;
    if (offset + size > arena) arena = offset + size;
  }
  return { offsets: Array.from(offsets), arena, strategy: 'greedy-by-size' };
}

/** best fit while walking the schedule: frees coalesce, allocations take the smallest block that fits */
export function planBestFitInOrder(items: readonly PlanItem[]): Plan {
  return bestFitInOrder(columnsOf(items));
}

/** planBestFitInOrder over items given as columns */
export function planBestFitInOrderColumns(items: PlanColumns): Plan {
  return bestFitInOrder(items);
}

function bestFitInOrder({ starts, ends, sizes }: PlanColumns): Plan {
  const n = sizes.length;
  const offsets = new Array<number>(n).fill(0);
  const byStart = bucketByStep(starts, sizes);
  // items sharing a first step: largest first, then by index (buckets are short: one op's writes)
  for (let lo = 0; lo < byStart.length; ) {
    let hi = lo + 1;
    while (hi < byStart.length && starts[byStart[hi]!] === starts[byStart[lo]!]) hi++;
    if (hi - lo > 1) byStart.subarray(lo, hi).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
    lo = hi;
  }
  const byEnd = bucketByStep(ends, sizes);
  const arena = new Arena();
  const blockOf = new Array<Block | undefined>(n);
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
    offsets[i] = block.offset;
  }
  return { offsets, arena: arena.top, strategy: 'best-fit-in-order' };
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
    return Uint32Array.from(live).sort((a, b) => step[a]! - step[b]! || a - b);
  }
  const first = new Uint32Array(last + 2);
  for (let i = 0; i < sizes.length; i++) if (sizes[i]! > 0) first[step[i]! + 1]!++;
  for (let k = 1; k < first.length; k++) first[k]! += first[k - 1]!;
  const out = new Uint32Array(count);
  for (let i = 0; i < sizes.length; i++) if (sizes[i]! > 0) out[first[step[i]!]!++] = i;
  return out;
}

/**
 * A block of the arena: used or free. All blocks form a list in address order (so a release finds its
 * neighbours in O(1)); free blocks are also nodes of a treap keyed by (size, offset) for best fit.
 */
interface Block {
  offset: number;
  size: number;
  free: boolean;
  prev: Block | null;
  next: Block | null;
  priority: number;
  left: Block | null;
  right: Block | null;
}

class Arena {
  /** high-water mark: the arena size */
  top = 0;
  private tail: Block | null = null;
  private root: Block | null = null;
  private seed = 0x9e3779b9;

  allocate(size: number): Block {
    const fit = this.bestFit(size);
    if (fit) {
      this.root = this.removeNode(this.root, fit);
      if (fit.size > size) {
        const rest = this.newBlock(fit.offset + size, fit.size - size, true);
        this.linkAfter(fit, rest);
        this.root = this.insertNode(this.root, rest);
        fit.size = size;
      }
      fit.free = false;
      return fit;
    }
    // nothing fits: grow the free block at the end, or append a new one
    const tail = this.tail;
    if (tail && tail.free) {
      this.root = this.removeNode(this.root, tail);
      tail.size = size;
      tail.free = false;
      this.top = Math.max(this.top, tail.offset + size);
      return tail;
    }
    const block = this.newBlock(tail ? tail.offset + tail.size : 0, size, false);
    if (tail) this.linkAfter(tail, block);
    else this.tail = block;
    this.top = Math.max(this.top, block.offset + size);
    return block;
  }

  release(block: Block): void {
    let b = block;
    b.free = true;
    const prev = b.prev;
    if (prev && prev.free) {
      this.root = this.removeNode(this.root, prev);
      prev.size += b.size;
      this.unlink(b);
      b = prev;
    }
    const next = b.next;
    if (next && next.free) {
      this.root = this.removeNode(this.root, next);
      b.size += next.size;
      this.unlink(next);
    }
    this.root = this.insertNode(this.root, b);
  }

  /** the smallest free block of at least `size` bytes, lowest offset among equals */
  private bestFit(size: number): Block | null {
    let node = this.root;
    let best: Block | null = null;
    while (node) {
      if (node.size >= size) {
        best = node;
        node = node.left;
      } else node = node.right;
    }
    return best;
  }

  private newBlock(offset: number, size: number, free: boolean): Block {
    return { offset, size, free, prev: null, next: null, priority: this.random(), left: null, right: null };
  }

  private linkAfter(at: Block, block: Block): void {
    block.prev = at;
    block.next = at.next;
    if (at.next) at.next.prev = block;
    else this.tail = block;
    at.next = block;
  }

  private unlink(block: Block): void {
    if (block.prev) block.prev.next = block.next;
    if (block.next) block.next.prev = block.prev;
    else this.tail = block.prev;
    block.prev = block.next = null;
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

  private insertNode(root: Block | null, node: Block): Block {
    node.left = node.right = null;
    this.split(root, node.size, node.offset);
    const l = this.splitLeft;
    const r = this.splitRight;
    return this.merge(this.merge(l, node), r)!;
  }

  private removeNode(root: Block | null, node: Block): Block | null {
    if (!root) return null;
    if (root === node) return this.merge(root.left, root.right);
    if (keyLess(node.size, node.offset, root.size, root.offset)) root.left = this.removeNode(root.left, node);
    else root.right = this.removeNode(root.right, node);
    return root;
  }

  /** the two halves of the last split (fields, not a tuple: no allocation per tree level) */
  private splitLeft: Block | null = null;
  private splitRight: Block | null = null;

  /** nodes < key go to splitLeft, >= key to splitRight */
  private split(node: Block | null, size: number, offset: number): void {
    if (!node) {
      this.splitLeft = this.splitRight = null;
      return;
    }
    if (keyLess(node.size, node.offset, size, offset)) {
      this.split(node.right, size, offset);
      node.right = this.splitLeft;
      this.splitLeft = node;
      return;
    }
    this.split(node.left, size, offset);
    node.left = this.splitRight;
    this.splitRight = node;
  }

  private merge(a: Block | null, b: Block | null): Block | null {
    if (!a) return b;
    if (!b) return a;
    if (a.priority > b.priority) {
      a.right = this.merge(a.right, b);
      return a;
    }
    b.left = this.merge(a, b.left);
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
