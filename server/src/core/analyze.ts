// The one entry point from text to findings, shared by the language server and the CLI.
import { computeFootprint } from './analysis/footprint';
import { analyzeMemory } from './analysis/memory';
import { budgetDiagnostics } from './rules/budget';
import { inPlaceDiagnostics } from './rules/inplace';
import { BUILTIN_DEFAULTS, mergeConfig, type ConfigOverrides } from './config';
import type { DocumentAnalysis, FrontendResult, ModelAnalysis } from './document';
import { analyzeNnm } from './dsl/frontend';
import { analyzeTfjs } from './tfjs/frontend';
import type { CoreDiagnostic, ModelConfig } from './ir';

export type SourceLanguage = 'nnm' | 'typescript' | 'javascript';

export interface AnalyzeOptions {
  /** defaults under the file's own config (VS Code settings, CLI flags without --force) */
  readonly defaults?: ConfigOverrides;
  /** applied over the file's own config (CLI flags such as --batch) */
  readonly overrides?: ConfigOverrides;
  /** the document's URI or path: the TypeScript frontend keeps its tree for incremental re-parsing */
  readonly documentKey?: string;
}

export function analyzeDocument(text: string, language: SourceLanguage, options: AnalyzeOptions = {}): DocumentAnalysis {
  const defaults: ModelConfig = mergeConfig(BUILTIN_DEFAULTS, options.defaults);
  const frontend: FrontendResult =
    language === 'nnm'
      ? analyzeNnm(text, defaults, options.overrides)
      : analyzeTfjs(text, { defaults, language, ...(options.overrides ? { overrides: options.overrides } : {}), ...(options.documentKey ? { documentKey: options.documentKey } : {}) });
  return analyzeGraphs(frontend);
}

/** run the analyses over what a frontend extracted */
export function analyzeGraphs(frontend: FrontendResult): DocumentAnalysis {
  const findings: CoreDiagnostic[] = [];
  const models: ModelAnalysis[] = frontend.graphs.map((graph) => {
    const footprint = computeFootprint(graph);
    const memory = analyzeMemory(graph, footprint);
    findings.push(...inPlaceDiagnostics(graph, memory), ...budgetDiagnostics(graph, memory));
    return { graph, footprint, memory };
  });
  return { ...frontend, models, diagnostics: [...frontend.diagnostics, ...findings] };
}

function emptyResult(): FrontendResult {
  return { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [] };
}
