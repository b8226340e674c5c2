// What the analyses add to a frontend's result (core/frontend.ts) for one document.
// LSP features and the CLI read only this: they format findings, never recompute them.
import type { CoreDiagnostic, Graph } from './ir';
import type { Footprint } from './analysis/footprint';
import type { MemoryAnalysis } from './analysis/memory';
import type { FixSpec, FrontendResult } from './frontend';

export type { FixSpec } from './frontend';

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
