// What the analyses add to a frontend's result (core/frontend.ts) for one document.
// LSP features and the CLI read only this: they format findings, never recompute them.
import type { CoreDiagnostic, Graph, Precision, SourceRange } from './ir';
import type { Footprint } from './analysis/footprint';
import type { MemoryAnalysis } from './analysis/memory';
import type { FrontendResult } from './frontend';

/** a fix as data; the title and edits are computed by core/fixes against the document text */
export type FixSpec =
  /** add `inplace: true` to the op calls at these sites */
  | { readonly kind: 'inplace'; readonly sites: readonly SourceRange[]; readonly opName: string }
  /** set the model's `batch:` (editing or inserting it in the model's or the file's config) */
  | { readonly kind: 'batch'; readonly model: string; readonly batch: number; readonly why: string }
  /** set the model's `precision:` */
  | { readonly kind: 'precision'; readonly model: string; readonly precision: Precision }
  /** add `checkpoint: true` to block calls / `repeat`s (their call ranges) */
  | { readonly kind: 'checkpoint'; readonly calls: readonly SourceRange[]; readonly label: string }
  /** delete a statement (its whole lines) */
  | { readonly kind: 'removeStatement'; readonly statement: SourceRange; readonly label: string };

/** a lint rule's finding (core/rules), with the fixes that apply to it */
export interface Finding extends CoreDiagnostic {
  /** settings name of the rule (`batchBloat`) */
  readonly rule: string;
  /** index of the model in DocumentAnalysis.models */
  readonly model: number;
  readonly fixes: readonly FixSpec[];
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
