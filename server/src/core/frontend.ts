// What a language frontend hands back to the core. Types only, importing nothing above the IR,
// so every layer may import it without a cycle.
import type { CoreDiagnostic, Graph, OpId, SourceRange, TensorId } from './ir';

/** the languages memlens reads, as LSP language ids */
export type SourceLanguage = 'nnm' | 'typescript' | 'javascript';

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

/** what a frontend extracts from one document; the analyses add the rest (core/document.ts) */
export interface FrontendResult {
  readonly graphs: readonly Graph[];
  readonly diagnostics: readonly CoreDiagnostic[];
  readonly outline: readonly OutlineSymbol[];
  readonly refs: readonly SourceRef[];
  readonly blocks: readonly BlockInfo[];
}
