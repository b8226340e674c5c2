// The position-based features answered from an analysis of an earlier version of the text: the
// request's positions are taken to that text, the answer's ranges back to the current one, and
// what lies in the edited span is left out (it is known again once the new analysis lands).
import type { CodeLens, DocumentSymbol, Hover, InlayHint, Location, Range } from 'vscode-languageserver';
import type { SourceRange } from '../core/ir';
import type { TextAnchor } from './anchor';

export function anchoredHover(anchor: TextAnchor, answer: (pos: Range['start']) => Hover | null, pos: Range['start']): Hover | null {
  if (anchor.identity) return answer(pos);
  const at = anchor.toAnalysed(pos);
  const hover = at && answer(at);
  if (!hover) return null;
  const range = hover.range && anchor.toCurrent(hover.range);
  // the range a hover highlights is only a hint: without one the editor takes the word
  return range ? { ...hover, range } : { contents: hover.contents };
}

export function anchoredInlayHints(anchor: TextAnchor, answer: (range: SourceRange) => InlayHint[], range: Range): InlayHint[] {
  if (anchor.identity) return answer(range);
  const hints = answer({ start: anchor.clampToAnalysed(range.start, 'start'), end: anchor.clampToAnalysed(range.end, 'end') });
  const out: InlayHint[] = [];
  for (const hint of hints) {
    const at = anchor.toCurrent({ start: hint.position, end: hint.position });
    if (at) out.push({ ...hint, position: at.start });
  }
  return out;
}

export function anchoredLenses(anchor: TextAnchor, lenses: CodeLens[]): CodeLens[] {
  return anchor.identity ? lenses : mapRanges(lenses, anchor, (lens, range) => ({ ...lens, range }));
}

export function anchoredLocations(anchor: TextAnchor, answer: (pos: Range['start']) => Location[], pos: Range['start']): Location[] {
  if (anchor.identity) return answer(pos);
  const at = anchor.toAnalysed(pos);
  return at ? mapRanges(answer(at), anchor, (location, range) => ({ ...location, range })) : [];
}

export function anchoredSymbols(anchor: TextAnchor, symbols: DocumentSymbol[]): DocumentSymbol[] {
  if (anchor.identity) return symbols;
  const out: DocumentSymbol[] = [];
  for (const symbol of symbols) {
    const range = anchor.toCurrent(symbol.range);
    if (!range) continue;
    const selectionRange = anchor.toCurrent(symbol.selectionRange) ?? { start: range.start, end: range.start };
    out.push({ ...symbol, range, selectionRange, children: symbol.children && anchoredSymbols(anchor, symbol.children) });
  }
  return out;
}

function mapRanges<T extends { readonly range: Range }>(items: readonly T[], anchor: TextAnchor, rebuild: (item: T, range: Range) => T): T[] {
  const out: T[] = [];
  for (const item of items) {
    const range = anchor.toCurrent(item.range);
    if (range) out.push(rebuild(item, range));
  }
  return out;
}
