// Go to definition and find references: lookups in the resolved refs.
import type { Location } from 'vscode-languageserver';
import type { DocumentAnalysis } from '../../core/document';
import type { SourceRef } from '../../core/frontend';
import type { Position, SourceRange } from '../../core/ir';
import { sameRange } from '../../core/ir';
import { rangeContains, rangeKey, toLspRange } from '../position';
import { refAt } from './lookup';

/** where the name under the cursor is defined; a model's or block's own name is its definition */
export function definition(analysis: DocumentAnalysis, pos: Position, uri: string): Location[] {
  const target = definitionOf(analysis, pos);
  return target ? [{ uri, range: toLspRange(target) }] : [];
}

export function references(analysis: DocumentAnalysis, pos: Position, uri: string, includeDeclaration: boolean): Location[] {
  const target = definitionOf(analysis, pos);
  if (!target) return [];
  const key = rangeKey(target);
  const hits = analysis.refs.filter((r) => {
    const def = refDefinition(r);
    return def !== undefined && sameRange(def, target);
  });
  const ranges: SourceRange[] = hits.filter((r) => includeDeclaration || !isDeclaration(r, key)).map((r) => r.range);
  if (includeDeclaration && !ranges.some((r) => rangeKey(r) === key)) ranges.unshift(target);
  const seen = new Set<string>();
  return ranges
    .filter((r) => !seen.has(rangeKey(r)) && seen.add(rangeKey(r)))
    .map((range) => ({ uri, range: toLspRange(range) }));
}

function isDeclaration(ref: SourceRef, key: string): boolean {
  return ref.isDefinition || rangeKey(ref.range) === key;
}

function refDefinition(ref: SourceRef): SourceRange | undefined {
  return ref.definition ?? (ref.isDefinition ? ref.range : undefined);
}

function definitionOf(analysis: DocumentAnalysis, pos: Position): SourceRange | undefined {
  const ref = refAt(analysis, pos);
  if (ref) return refDefinition(ref);
  const block = analysis.blocks.find((b) => rangeContains(b.nameRange, pos));
  if (block) return block.nameRange;
  return analysis.models.find((m) => rangeContains(m.graph.nameRange, pos))?.graph.nameRange;
}
