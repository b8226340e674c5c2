// Offsets and line/column positions of a text: the start offset of every line, and the position
// of an offset (0-based line, UTF-16 column), shared by the fixes' edits and the TypeScript frontend.
import type { Position } from './ir';

/** start offset of every line */
export function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** the line holding `offset`, by binary search over the line starts from line `lo` on */
export function lineAt(starts: readonly number[], offset: number, lo = 0): number {
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** the position of `offset` */
export function positionAt(starts: readonly number[], offset: number): Position {
  const line = lineAt(starts, offset);
  return { line, character: offset - starts[line]! };
}
