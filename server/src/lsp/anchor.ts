// Re-anchoring positions between the text an analysis was made from and the document's current
// text, so that requests answer at once from the latest analysis while the new one is pending.
// The difference is taken as one edited span (common prefix and suffix): typing between two
// analyses is one span in practice, and anything outside it maps exactly.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position, SourceRange } from '../core/ir';

export interface TextAnchor {
  /** true when both texts are the same: every position maps to itself */
  readonly identity: boolean;
  /** a position in the current text -> the analysed text; undefined inside the edited span */
  toAnalysed(pos: Position): Position | undefined;
  /** like toAnalysed, but a position inside the edited span goes to the span's start or end */
  clampToAnalysed(pos: Position, side: 'start' | 'end'): Position;
  /**
   * a range of the analysed text -> the current text: shifted when it lies before or after the
   * edited span, stretched when it holds the whole span (a model around the edited line),
   * undefined when it holds part of it
   */
  toCurrent(range: SourceRange): SourceRange | undefined;
}

export const IDENTITY_ANCHOR: TextAnchor = {
  identity: true,
  toAnalysed: (pos) => pos,
  clampToAnalysed: (pos) => pos,
  toCurrent: (range) => range,
};

/** the anchor from `current` to `analysed`, two versions of one document */
export function anchorBetween(analysed: string, current: string): TextAnchor {
  if (analysed === current) return IDENTITY_ANCHOR;
  const shorter = Math.min(analysed.length, current.length);
  let prefix = 0;
  while (prefix < shorter && analysed.charCodeAt(prefix) === current.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && analysed.charCodeAt(analysed.length - 1 - suffix) === current.charCodeAt(current.length - 1 - suffix)) suffix++;
  const before = TextDocument.create('', '', 0, analysed);
  const after = TextDocument.create('', '', 0, current);
  const delta = current.length - analysed.length;
  // offsets of the edited span's end in each text (its start is `prefix` in both)
  const analysedEnd = analysed.length - suffix;
  const currentEnd = current.length - suffix;

  const offsetToAnalysed = (offset: number): number | undefined => {
    if (offset <= prefix) return offset;
    if (offset >= currentEnd) return offset - delta;
    return undefined;
  };
  const offsetToCurrent = (offset: number): number | undefined => {
    if (offset <= prefix) return offset;
    if (offset >= analysedEnd) return offset + delta;
    return undefined;
  };
  return {
    identity: false,
    toAnalysed(pos) {
      const offset = offsetToAnalysed(after.offsetAt(pos));
      return offset === undefined ? undefined : before.positionAt(offset);
    },
    clampToAnalysed(pos, side) {
      const offset = offsetToAnalysed(after.offsetAt(pos));
      return before.positionAt(offset ?? (side === 'start' ? prefix : analysedEnd));
    },
    toCurrent(range) {
      const start = before.offsetAt(range.start);
      const end = before.offsetAt(range.end);
      const holdsSpan = start <= prefix && end >= analysedEnd && end > start;
      const from = offsetToCurrent(start);
      const to = holdsSpan ? end + delta : offsetToCurrent(end);
      return from === undefined || to === undefined ? undefined : { start: after.positionAt(from), end: after.positionAt(to) };
    },
  };
}
