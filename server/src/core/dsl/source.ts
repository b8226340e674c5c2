// Line starts of a .nnm text, and the positions of offsets in it. Syntax-tree nodes keep offsets,
// not position objects: a large file's tree would otherwise hold three objects per node, and most
// ranges (an argument's, a name's) are never read unless an editor request or a diagnostic asks.
import type { Position, SourceRange } from '../ir';
import { lineAt } from '../lineIndex';

/**
 * Offsets into the text. A start key is the offset of a token's first character; an end key is
 * the offset after a token's last character (tokens never span lines), or `length + 1` for the end
 * of the file, whose position is that of `length` itself.
 */
export class SourceLines {
  /** the offset where each line starts; the lexer appends one per newline it meets */
  readonly starts: number[] = [0];

  constructor(readonly length: number) {}

  /** the line holding `offset` */
  lineOf(offset: number): number {
    const starts = this.starts;
    const hi = starts.length - 1;
    let lo = 0;
    // ranges are mostly read in source order: try the line found last, then the one after it
    if (cachedStarts === starts) {
      const c = cachedLine;
      if (c <= hi && starts[c]! <= offset) {
        if (c === hi || offset < starts[c + 1]!) return c;
        if (c + 1 === hi || offset < starts[c + 2]!) return (cachedLine = c + 1);
        lo = c + 1;
      }
    }
    cachedStarts = starts;
    cachedLine = lineAt(starts, offset, lo);
    return cachedLine;
  }

  start(offset: number): Position {
    const line = this.lineOf(offset);
    return { line, character: offset - this.starts[line]! };
  }

  end(key: number): Position {
    if (key > this.length) return this.start(this.length);
    // a statement and its outermost call end together: they share the position (never mutated)
    if (endOwner === this.starts) {
      if (key === endKeys[0]) return endPositions[0]!;
      if (key === endKeys[1]) return endPositions[1]!;
    } else {
      endOwner = this.starts;
      endKeys[0] = endKeys[1] = -1;
    }
    const line = this.lineOf(key - 1);
    const p = { line, character: key - this.starts[line]! };
    const slot = (endSlot ^= 1);
    endKeys[slot] = key;
    endPositions[slot] = p;
    return p;
  }

  range(from: number, to: number): SourceRange {
    return { start: this.start(from), end: this.end(to) };
  }
}

/** the last lookup (module state, not the object's: two parses of one text stay deep-equal) */
let cachedStarts: readonly number[] | undefined;
let cachedLine = 0;
/** the last two end positions made, for the text whose line starts are `endOwner` */
let endOwner: readonly number[] | undefined;
const endKeys = [-1, -1];
const endPositions: (Position | undefined)[] = [undefined, undefined];
let endSlot = 0;
