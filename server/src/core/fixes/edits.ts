// Text edits in core terms (0-based line, UTF-16 column, like LSP) and applying them to a string.
import type { Position, SourceRange } from '../ir';
import { lineStarts } from '../lineIndex';

export interface TextEdit {
  readonly range: SourceRange;
  readonly newText: string;
}

export function offsetAt(starts: readonly number[], text: string, pos: Position): number {
  const line = Math.min(Math.max(pos.line, 0), starts.length - 1);
  const lineEnd = line + 1 < starts.length ? starts[line + 1]! - 1 : text.length;
  return Math.min(starts[line]! + Math.max(pos.character, 0), lineEnd);
}

/** apply non-overlapping edits (any order) */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const spans = edits
    .map((e) => ({ from: offsetAt(starts, text, e.range.start), to: offsetAt(starts, text, e.range.end), text: e.newText }))
    .sort((a, b) => b.from - a.from || b.to - a.to);
  let out = text;
  for (const s of spans) out = out.slice(0, s.from) + s.text + out.slice(s.to);
  return out;
}

export function insertAt(pos: Position, newText: string): TextEdit {
  return { range: { start: pos, end: pos }, newText };
}

export function lineIndent(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}
