// What a frontend extracts from one document, and what the analyses add to it.
// LSP features and the CLI read only this: they format findings, never recompute them.
import type { CoreDiagnostic, Graph, OpId, SourceRange, TensorId } from './ir';
import type { Footprint } from './analysis/footprint';
import type { Finding } from './rules/types';
import type { MemoryAnalysis } from './analysis/memory';

export type SymbolKind = 'model' | 'block' | 'tensor' | 'config' | 'parameter';

/** outline entry (document symbols) */
export interface OutlineSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly range: SourceRange;
  readonly selectionRange: SourceRange;
  readonly detail?: string;
  readonly children: readonly OutlineSymbol[];
}

/**
 * One identifier occurrence or call in the source, resolved: hover, definition and references
 * are lookups in this list. A name inside a block body resolves to every expanded instance.
 */
export interface SourceRef {
  readonly range: SourceRange;
  readonly kind: 'tensor' | 'op' | 'block' | 'model' | 'parameter' | 'config';
  readonly name: string;
  /** where the name is defined (for go-to-definition); equal to `range` on the definition itself */
  readonly definition?: SourceRange;
  readonly isDefinition: boolean;
  /** index into `graphs` of the model it belongs to, when it belongs to one */
  readonly graph?: number;
  /** tensors this occurrence denotes (one per expanded instance) */
  readonly tensors?: readonly TensorId[];
  /** ops this call created (one per expanded instance; a block call: all ops of its expansion) */
  readonly ops?: readonly OpId[];
}

export interface BlockInfo {
  readonly name: string;
  readonly params: readonly { name: string; default?: string }[];
  readonly range: SourceRange;
  readonly nameRange: SourceRange;
  readonly doc?: string;
}

export interface FrontendResult {
  readonly graphs: readonly Graph[];
  readonly diagnostics: readonly CoreDiagnostic[];
  readonly outline: readonly OutlineSymbol[];
  readonly refs: readonly SourceRef[];
  readonly blocks: readonly BlockInfo[];
}

export interface ModelAnalysis {
  readonly graph: Graph;
  readonly footprint: Footprint;
  /** schedule, liveness, planned arena, batch limits (issue 3); always set by analyzeGraphs, optional for hand-built fixtures */
  readonly memory?: MemoryAnalysis;
}

export interface DocumentAnalysis extends FrontendResult {
  readonly models: readonly ModelAnalysis[];
  /** frontend diagnostics plus analysis findings (budget, ...) */
  readonly diagnostics: readonly CoreDiagnostic[];
  /** the lint findings among `diagnostics`, with their fixes (rules/index.ts); absent on hand-built analyses */
  readonly findings?: readonly Finding[];
}
