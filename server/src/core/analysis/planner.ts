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
  return items.length > GREEDY_LIMIT ? planBestFitInOrder(items) : planGreedyBySize(items);
}

/** TFLite's greedy by size: largest first, best-fitting gap among time-overlapping placed buffers */
export function planGreedyBySize(items: readonly PlanItem[]): Plan {
  const n = items.length;
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  const sizes = new Float64Array(n);
  items.forEach((it, i) => {
    starts[i] = it.start;
    ends[i] = it.end;
    sizes[i] = it.size;
  });
  const order = items.map((_, i) => i).filter((i) => sizes[i]! > 0);
  order.sort((a, b) => sizes[b]! - sizes[a]! || starts[a]! - starts[b]! || a - b);
  const offsets = new Float64Array(n);
  // placed items sorted by offset (ties by placement order), kept as parallel typed arrays
  const placedOffset = new Float64Array(order.length);
  const placedEnd = new Float64Array(order.length); // offset + size
  const placedStart = new Float64Array(order.length);
  const placedStop = new Float64Array(order.length);
  let count = 0;
  let arena = 0;
  for (const i of order) {
    const s = starts[i]!;
    const e = ends[i]!;
    const size = sizes[i]!;
    let prevEnd = 0;
    let best = -1;
    let bestGap = Infinity;
    for (let k = 0; k < count; k++) {
      if (placedStart[k]! > e || s > placedStop[k]!) continue;
      const gap = placedOffset[k]! - prevEnd;
      if (gap >= size && gap < bestGap) {
        best = prevEnd;
        bestGap = gap;
      }
      if (placedEnd[k]! > prevEnd) prevEnd = placedEnd[k]!;
    }
    const offset = best >= 0 ? best : prevEnd;
    offsets[i] = offset;
    // insertion position: after every placed offset <= this one
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (placedOffset[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    const insertAt = lo;
    placedOffset.copyWithin(insertAt + 1, insertAt, count);
    placedEnd.copyWithin(insertAt + 1, insertAt, count);
    placedStart.copyWithin(insertAt + 1, insertAt, count);
    placedStop.copyWithin(insertAt + 1, insertAt, count);
    placedOffset[insertAt] = offset;
    placedEnd[insertAt] = offset + size;
    placedStart[insertAt] = s;
    placedStop[insertAt] = e;
    count++;
    if (offset + size > arena) arena = offset + size;
  }
  return { offsets: Array.from(offsets), arena, strategy: 'greedy-by-size' };
}

/** best fit while walking the schedule: frees coalesce, allocations take the smallest block that fits */
export function planBestFitInOrder(items: readonly PlanItem[]): Plan {
  const offsets = new Array<number>(items.length).fill(0);
  const live = items.map((_, i) => i).filter((i) => items[i]!.size > 0);
  const byStart = [...live].sort((a, b) => items[a]!.start - items[b]!.start || items[b]!.size - items[a]!.size || a - b);
  const byEnd = [...live].sort((a, b) => items[a]!.end - items[b]!.end || a - b);
  const free = new FreeBlocks();
  let top = 0;
  let arena = 0;
  let e = 0;
  for (const i of byStart) {
    const item = items[i]!;
    // release everything that died before this item's first step
    while (e < byEnd.length && items[byEnd[e]!]!.end < item.start) {
      const d = byEnd[e++]!;
      free.release(offsets[d]!, items[d]!.size);
    }
    const block = free.takeBestFit(item.size);
    let offset: number;
    if (block !== undefined) {
      offset = block;
    } else {
      // nothing fits: extend the free block touching the top, or grow the top
      const topBlock = free.takeEndingAt(top);
      offset = topBlock ?? top;
      top = offset + item.size;
    }
    offsets[i] = offset;
    arena = Math.max(arena, offset + item.size);
  }
  return { offsets, arena, strategy: 'best-fit-in-order' };
}

/** free blocks with O(log n) best-fit lookup and O(1) coalescing with neighbours */
class FreeBlocks {
  private readonly tree = new Treap();
  private readonly sizeAt = new Map<number, number>();
  private readonly startOfEnd = new Map<number, number>();

  release(offset: number, size: number): void {
    let start = offset;
    let end = offset + size;
    const before = this.startOfEnd.get(start);
    if (before !== undefined) {
      this.remove(before);
      start = before;
    }
    const afterSize = this.sizeAt.get(end);
    if (afterSize !== undefined) {
      this.remove(end);
      end += afterSize;
    }
    this.sizeAt.set(start, end - start);
    this.startOfEnd.set(end, start);
    this.tree.insert(end - start, start);
  }

  /** the smallest block of at least `size` bytes (lowest offset among equals); the rest stays free */
  takeBestFit(size: number): number | undefined {
    const found = this.tree.lowerBound(size);
    if (found === undefined) return undefined;
    const [blockSize, offset] = found;
    this.remove(offset);
    if (blockSize > size) this.release(offset + size, blockSize - size);
    return offset;
  }

  takeEndingAt(end: number): number | undefined {
    const start = this.startOfEnd.get(end);
    if (start === undefined) return undefined;
    this.remove(start);
    return start;
  }

  private remove(start: number): void {
    const size = this.sizeAt.get(start)!;
    this.sizeAt.delete(start);
    this.startOfEnd.delete(start + size);
    this.tree.remove(size, start);
  }
}

interface TreapNode {
  size: number;
  offset: number;
  priority: number;
  left: TreapNode | null;
  right: TreapNode | null;
}

function keyLess(aSize: number, aOffset: number, bSize: number, bOffset: number): boolean {
  return aSize < bSize || (aSize === bSize && aOffset < bOffset);
}

/** a treap keyed by (size, offset); priorities from a fixed-seed generator keep plans deterministic */
class Treap {
  private root: TreapNode | null = null;
  private seed = 0x9e3779b9;

  private random(): number {
    // xorshift32
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  insert(size: number, offset: number): void {
    const node: TreapNode = { size, offset, priority: this.random(), left: null, right: null };
    const [l, r] = this.split(this.root, size, offset);
    this.root = this.merge(this.merge(l, node), r);
  }

  remove(size: number, offset: number): void {
    this.root = this.removeFrom(this.root, size, offset);
  }

  /** the smallest (size, offset) with size >= `size` */
  lowerBound(size: number): [number, number] | undefined {
    let node = this.root;
    let best: TreapNode | null = null;
    while (node) {
      if (node.size >= size) {
        best = node;
        node = node.left;
      } else node = node.right;
    }
    return best ? [best.size, best.offset] : undefined;
  }

  private removeFrom(node: TreapNode | null, size: number, offset: number): TreapNode | null {
    if (!node) return null;
    if (node.size === size && node.offset === offset) return this.merge(node.left, node.right);
    if (keyLess(size, offset, node.size, node.offset)) node.left = this.removeFrom(node.left, size, offset);
    else node.right = this.removeFrom(node.right, size, offset);
    return node;
  }

  /** nodes < key go left, >= key go right */
  private split(node: TreapNode | null, size: number, offset: number): [TreapNode | null, TreapNode | null] {
    if (!node) return [null, null];
    if (keyLess(node.size, node.offset, size, offset)) {
      const [l, r] = this.split(node.right, size, offset);
      node.right = l;
      return [node, r];
    }
    const [l, r] = this.split(node.left, size, offset);
    node.left = r;
    return [l, node];
  }

  private merge(a: TreapNode | null, b: TreapNode | null): TreapNode | null {
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
