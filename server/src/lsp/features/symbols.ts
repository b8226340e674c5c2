// Document symbols: the frontend's outline (models, blocks, tensors) as a hierarchy.
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import type { DocumentAnalysis } from '../../core/document';
import type { OutlineSymbol, SymbolKind as CoreSymbolKind } from '../../core/frontend';
import { rangeWithin, toLspRange } from '../position';

const KIND: Readonly<Record<CoreSymbolKind, SymbolKind>> = {
  model: SymbolKind.Class,
  block: SymbolKind.Function,
  tensor: SymbolKind.Variable,
  config: SymbolKind.Namespace,
  parameter: SymbolKind.TypeParameter,
};

export function documentSymbols(analysis: DocumentAnalysis): DocumentSymbol[] {
  return analysis.outline.map(toSymbol);
}

function toSymbol(s: OutlineSymbol): DocumentSymbol {
  // VS Code rejects a selection range outside the full range; fall back to the full range
  const selection = rangeWithin(s.selectionRange, s.range) ? s.selectionRange : s.range;
  const out: DocumentSymbol = {
    name: s.name || '?',
    kind: KIND[s.kind],
    range: toLspRange(s.range),
    selectionRange: toLspRange(selection),
    children: s.children.map(toSymbol),
  };
  if (s.detail) out.detail = s.detail;
  return out;
}
