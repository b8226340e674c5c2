// Position and range helpers. Core ranges are already 0-based UTF-16 (LSP's own convention),
// so conversion is a copy; the rest is ordering and lookup.
import type { Position as LspPosition, Range as LspRange } from 'vscode-languageserver';
import type { Position, SourceRange } from '../core/ir';

export function toLspRange(range: SourceRange): LspRange {
  return { start: toLspPosition(range.start), end: toLspPosition(range.end) };
}

export function toLspPosition(pos: Position): LspPosition {
  return { line: pos.line, character: pos.character };
}

/** negative when a is before b */
export function comparePositions(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

export function rangeContains(range: SourceRange, pos: Position): boolean {
  return comparePositions(range.start, pos) <= 0 && comparePositions(pos, range.end) <= 0;
}

/** true when inner lies within outer */
export function rangeWithin(inner: SourceRange, outer: SourceRange): boolean {
  return rangeContains(outer, inner.start) && rangeContains(outer, inner.end);
}


/** a key that identifies a range exactly (for grouping by statement or definition) */
export function rangeKey(range: SourceRange): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

/** span in characters when on one line, else a large number: the narrower range wins lookups */
function rangeSize(range: SourceRange): number {
  const lines = range.end.line - range.start.line;
  return lines * 1e6 + (range.end.character - range.start.character);
}

/** the narrowest item whose range contains the position (identifier before call, call before statement) */
export function innermostAt<T extends { readonly range: SourceRange }>(items: readonly T[], pos: Position): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (!rangeContains(item.range, pos)) continue;
    if (!best || rangeSize(item.range) < rangeSize(best.range)) best = item;
  }
  return best;
}
