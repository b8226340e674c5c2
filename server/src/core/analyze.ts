// The one entry point from text to findings, shared by the language server and the CLI: the
// language's frontend (frontends.ts) extracts the graphs, the analyses and rules do the rest.
import { computeFootprint } from './analysis/footprint';
import { analyzeMemory, type MemoryOptions } from './analysis/memory';
import { runRules, type RunRulesOptions } from './rules';
import type { RuleSettings } from './rules/types';
import { BUILTIN_DEFAULTS, mergeConfig, type ConfigOverrides } from './config';
import type { DocumentAnalysis, ModelAnalysis } from './document';
import type { FrontendResult, SourceLanguage } from './frontend';
import { frontendFor } from './frontends';
import { rangeOf, type CoreDiagnostic, type Graph } from './ir';
import { Attachment } from './attach';

export interface AnalyzeOptions {
  /** defaults under the file's own config (VS Code settings, CLI flags without --force) */
  readonly defaults?: ConfigOverrides;
  /** applied over the file's own config (CLI flags such as --batch) */
  readonly overrides?: ConfigOverrides;
  /** the document's URI or path: a frontend may keep its tree for incremental re-parsing (TypeScript does) */
  readonly documentKey?: string;
  /** lint rule switches and thresholds (memlens.rules.*, memlens.thresholds.*) */
  readonly rules?: RuleSettings;
  /** memlens.python.torchVersion / --torch-version */
  readonly torchVersion?: string;
  /** liveness-engine options (quick-fix previews skip the checkpoint estimate) */
  readonly memory?: MemoryOptions;
  /** how imported files of the workspace are read (FrontendOptions.readFile); default: the disk */
  readonly readFile?: (path: string) => string | undefined;
  /** FrontendOptions.stream */
  readonly stream?: boolean;
}

export function analyzeDocument(text: string, language: SourceLanguage, options: AnalyzeOptions = {}): DocumentAnalysis {
  const frontend = frontendFor(language);
  if (text.length > frontend.maxTextLength) {
    if (options.documentKey) frontend.forget?.(options.documentKey);
    // a large file that is no model of this frontend's (a bundle without tf.js) has nothing to say
    const result = frontend.claims(text) ? tooLarge(text.length, frontend.maxTextLength, frontend.name) : { graphs: [], diagnostics: [], outline: [], refs: [], blocks: [] };
    return analyzeGraphs(result, { text: '', language, lineComment: frontend.lineComment });
  }
  // the framework follows the file's language unless a setting or flag names one
  const defaults = mergeConfig(BUILTIN_DEFAULTS, { framework: frontend.defaultFramework }, options.defaults);
  const result = frontend.analyze(text, { defaults, language, ...(options.overrides ? { overrides: options.overrides } : {}), ...(options.documentKey ? { documentKey: options.documentKey } : {}), ...(options.torchVersion ? { torchVersion: options.torchVersion } : {}), ...(options.readFile ? { readFile: options.readFile } : {}), ...(options.stream !== undefined ? { stream: options.stream } : {}) });
  return analyzeGraphs(result, { text, language, lineComment: frontend.lineComment, ...(options.rules ? { settings: options.rules } : {}) }, options.memory);
}

/** NNM001: the file is not read at all, and says so on its first line */
function tooLarge(length: number, limit: number, frontendName: string): FrontendResult {
  const message = `not analysed: this file has ${length.toLocaleString('en-US')} characters, over memlens' limit of ${limit.toLocaleString('en-US')} for ${frontendName === 'nnm' ? '.nnm' : frontendName} files`;
  const diagnostic: CoreDiagnostic = { range: rangeOf(0, 0, 0, 0), severity: 'error', code: 'NNM001', message };
  return { graphs: [], diagnostics: [diagnostic], outline: [], refs: [], blocks: [] };
}

/**
 * Analyses are pure functions of an immutable graph. The TypeScript frontend hands back the same
 * Graph object for a model whose function did not change, so it is not analysed again.
 */
const analysisCache = new Attachment<Graph, ModelAnalysis>('memlens model analysis');

/** run the analyses over what a frontend extracted */
export function analyzeGraphs(frontend: FrontendResult, source: RunRulesOptions = { text: '', language: 'nnm', lineComment: '#' }, memoryOptions?: MemoryOptions): DocumentAnalysis {
  const models: ModelAnalysis[] = frontend.graphs.map((graph) => {
    const cached = analysisCache.get(graph);
    if (cached) return cached;
    const footprint = computeFootprint(graph);
    // a graph cut off at an expansion limit gets no liveness figures (they would describe a model
    // nobody wrote) and, without them, no memory rules: its NNM151 error says why
    const analysis: ModelAnalysis = graph.truncated ? { graph, footprint } : { graph, footprint, memory: analyzeMemory(graph, footprint, memoryOptions) };
    analysisCache.set(graph, analysis);
    return analysis;
  });
  // lint rules, budget (NNM201) and illegal in-place (NNM202) included: rules/index.ts
  const findings = runRules(models, source);
  return Object.assign(Object.defineProperties({}, Object.getOwnPropertyDescriptors(frontend)) as FrontendResult, { models, findings, diagnostics: [...frontend.diagnostics, ...findings] }); // copies the frontend's lazy getters (refs, outline) instead of reading them
}
