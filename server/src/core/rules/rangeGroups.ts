// Grouping by source range (an op's call site or statement) without a string or a 52-bit number
// per key: keys are hashed by their start line (a small integer) and compared field by field.
// Rules group every op of a model this way on each keystroke.
import { sameRange, type SourceRange } from '../ir';

/** lines beyond this index go to a Map instead of the dense table (no huge table for a stray line number) */
const DENSE_LINES = 1 << 22;

/** a set of ranges by value (equal positions, any object), each numbered in insertion order */
export class RangeIndex {
  /** first entry on each start line (+1, 0: none): a dense table, hashing cost most of the grouping */
  private firstOnLine = new Int32Array(1024);
  private readonly farLines = new Map<number, number>();
  private readonly nextOnLine: number[] = [];
  private readonly rangeList: SourceRange[] = [];
  /** the last range found or added: frontends share one range object among a statement's ops */
  private lastIndex = -1;

  get size(): number {
    return this.rangeList.length;
  }

  private headOf(line: number): number {
    if (line >= 0 && line < DENSE_LINES && Number.isInteger(line)) return line < this.firstOnLine.length ? this.firstOnLine[line]! - 1 : -1;
    return this.farLines.get(line) ?? -1;
  }

  private setHead(line: number, index: number): void {
    if (line >= 0 && line < DENSE_LINES && Number.isInteger(line)) {
      if (line >= this.firstOnLine.length) {
        let length = this.firstOnLine.length;
        while (length <= line) length *= 2;
        const grown = new Int32Array(length);
        grown.set(this.firstOnLine);
        this.firstOnLine = grown;
      }
      this.firstOnLine[line] = index + 1;
    } else this.farLines.set(line, index);
  }

  /** insertion index of the range, -1 when absent */
  indexOf(range: SourceRange): number {
    if (this.lastIndex >= 0 && this.rangeList[this.lastIndex] === range) return this.lastIndex;
    for (let i = this.headOf(range.start.line); i >= 0; i = this.nextOnLine[i]!) {
      if (sameRange(this.rangeList[i]!, range)) return (this.lastIndex = i);
    }
    return -1;
  }

  has(range: SourceRange): boolean {
    return this.indexOf(range) >= 0;
  }

  /** adds the range unless an equal one is there; its index either way */
  add(range: SourceRange): number {
    const i = this.indexOf(range);
    if (i >= 0) return i;
    const index = this.rangeList.length;
    const line = range.start.line;
    this.rangeList.push(range);
    this.nextOnLine.push(this.headOf(line));
    this.setHead(line, index);
    this.lastIndex = index;
    return index;
  }

  rangeAt(index: number): SourceRange {
    return this.rangeList[index]!;
  }
}

/** items grouped by a range, groups in order of first appearance, members in item order */
export interface RangeGroups {
  readonly count: number;
  /** group of each item */
  readonly groupOf: Int32Array;
  /** the range of each group (the first member's) */
  readonly ranges: readonly SourceRange[];
  /** members of group g: members[start[g] .. start[g + 1]) (item indices) */
  readonly start: Int32Array;
  readonly members: Int32Array;
}

export function groupByRange<T>(items: readonly T[], rangeOf: (item: T) => SourceRange): RangeGroups {
  const index = new RangeIndex();
  const groupOf = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) groupOf[i] = index.add(rangeOf(items[i]!));
  const count = index.size;
  const start = new Int32Array(count + 1);
  for (let i = 0; i < items.length; i++) start[groupOf[i]! + 1]!++;
  for (let g = 0; g < count; g++) start[g + 1]! += start[g]!;
  const fill = start.slice(0, count);
  const members = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) members[fill[groupOf[i]!]!++] = i;
  const ranges: SourceRange[] = [];
  for (let g = 0; g < count; g++) ranges.push(index.rangeAt(g));
  return { count, groupOf, ranges, start, members };
}
