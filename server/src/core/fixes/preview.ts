// A fix made concrete: its text edits, and its title with figures taken from re-analysing the
// edited text (never estimated). Previews are memoised per analysis object, i.e. per document
// version and settings, so a lightbulb shown twice costs one re-analysis.
import { analyzeDocument, type AnalyzeOptions } from '../analyze';
import type { DocumentAnalysis, Finding, FixSpec, ModelAnalysis } from '../document';
import type { SourceLanguage } from '../frontend';
import { frontendFor } from '../frontends';
import { INPLACE_CODE } from '../rules/inplace';
import { DEFAULT_THRESHOLDS, rangeKey } from '../rules/types';
import { RULES } from '../rules';
import { inPlaceSites } from '../rules/missedInPlace';
import { formatBytes } from '../units';
import { PlanCache } from '../analysis/planner';
import { isParallel, parallelismOf, perDeviceOfAnalysis } from '../analysis/perDevice';
import { shareText } from '../analysis/checkpoint';
import { withGetters } from '../getters';
import { Attachment } from '../attach';
import { applyEdits, type TextEdit } from './edits';
import { ignoreComment } from './nnmEdits';

export interface Figures {
  readonly planned: number;
  readonly maxBatch: number | null;
  readonly memoryBytes: number;
  /** one device's memory under data parallelism; null on one device or without a figure */
  readonly perDevice: number | null;
  /** 'gpu', 'cpu', 'ipu', ...: what "per device" is called in a title */
  readonly deviceKind: string;
  /** the recomputed share of a forward pass of the model's checkpointed segments; null when none */
  readonly recompute: number | null;
}

export interface FixPreview {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  readonly before?: Figures;
  /** the model's figures after the edit (absent for ignore comments) */
  readonly after?: Figures;
}

export interface FixSource {
  readonly text: string;
  readonly language: SourceLanguage;
  readonly options: AnalyzeOptions;
  readonly analysis: DocumentAnalysis;
}

/**
 * A preview needs the model's figures and the errors an edit could introduce (syntax, illegal
 * in-place), not the hints: the other rules and the checkpoint estimate are skipped.
 */
function previewOptions(src: FixSource): AnalyzeOptions {
  const levels = Object.fromEntries(RULES.map((r) => [r.name, r.code === INPLACE_CODE ? ('error' as const) : ('off' as const)]));
  const thresholds = src.options.rules?.thresholds ?? DEFAULT_THRESHOLDS;
  return { ...src.options, rules: { levels, thresholds }, memory: { checkpointEstimate: false, planCache: planCacheOf(src.analysis) } };
}

/** the previews of one document version share arena plans (mixed and bf16 plan the same buffers) */
const planCaches = new Attachment<DocumentAnalysis, PlanCache>('memlens preview plans');

function planCacheOf(analysis: DocumentAnalysis): PlanCache {
  let cache = planCaches.get(analysis);
  if (!cache) planCaches.set(analysis, (cache = new PlanCache()));
  return cache;
}

function reanalyze(src: FixSource, edits: readonly TextEdit[]): DocumentAnalysis {
  return analyzeDocument(applyEdits(src.text, edits), src.language, previewOptions(src));
}

const memo = new Attachment<DocumentAnalysis, Map<string, FixPreview | null>>('memlens previews');

function memoised(src: FixSource, key: string, compute: () => FixPreview | undefined): FixPreview | undefined {
  let table = memo.get(src.analysis);
  if (!table) memo.set(src.analysis, (table = new Map()));
  if (!table.has(key)) table.set(key, compute() ?? null);
  return table.get(key) ?? undefined;
}

/**
 * maxBatch is read on first use: it costs the analysis two or three more planner runs and only the
 * precision title shows it (the same value whenever it is read: the analysis memoises it).
 */
export function figures(model: ModelAnalysis | undefined): Figures | undefined {
  const m = model?.memory;
  if (!model || !m) return undefined;
  const config = model.graph.config;
  return withGetters(
    { planned: m.bytes.planned, memoryBytes: config.device.memoryBytes, deviceKind: config.device.kind },
    {
      maxBatch: (): number | null => m.maxBatch.planned.batch,
      recompute: (): number | null => m.recompute?.fraction ?? null,
      perDevice: (): number | null => {
        const r = isParallel(parallelismOf(config)) ? perDeviceOfAnalysis(model.footprint.params, config, m) : undefined;
        return r && !('error' in r) ? r.bytes.total : null;
      },
    },
  );
}

function modelNamed(analysis: DocumentAnalysis, name: string): ModelAnalysis | undefined {
  return analysis.models.find((m) => m.graph.name === name);
}

/** "peak -98 MiB" / "peak unchanged" */
export function peakDelta(before: number, after: number): string {
  const d = after - before;
  return d === 0 ? 'peak unchanged' : `peak ${d > 0 ? '+' : '-'}${formatBytes(Math.abs(d))}`;
}

function arrow(before: number, after: number): string {
  return `peak ${formatBytes(before)} -> ${formatBytes(after)}`;
}

/** the edit introduced an error (budget aside, which a fix may leave standing) */
function newErrors(before: DocumentAnalysis, after: DocumentAnalysis): boolean {
  const count = (a: DocumentAnalysis): Map<string, number> => {
    const out = new Map<string, number>();
    for (const d of a.diagnostics) if (d.severity === 'error' && d.code !== 'NNM201') out.set(d.code, (out.get(d.code) ?? 0) + 1);
    return out;
  };
  const had = count(before);
  return [...count(after)].some(([code, n]) => n > (had.get(code) ?? 0));
}

export function editsFor(src: FixSource, fix: FixSpec): readonly TextEdit[] | undefined {
  return frontendFor(src.language).fixEdits?.(src.text, fix, src.analysis);
}

/** the preview of one fix of a finding; undefined when it cannot be applied or would break the file */
export function previewFix(src: FixSource, finding: Finding, fix: FixSpec): FixPreview | undefined {
  return memoised(src, JSON.stringify(fix), () => {
    const edits = editsFor(src, fix);
    if (!edits) return undefined;
    const modelName = src.analysis.models[finding.model]?.graph.name;
    if (modelName === undefined) return undefined;
    const afterAnalysis = reanalyze(src, edits);
    if (newErrors(src.analysis, afterAnalysis)) return undefined;
    const before = figures(modelNamed(src.analysis, modelName));
    const after = figures(modelNamed(afterAnalysis, modelName));
    if (!before || !after) return undefined;
    // the planner is a heuristic: an in-place that lowers the bound can still grow its arena; not a fix then
    if (fix.kind === 'inplace' && after.planned > before.planned) return undefined;
    return { title: titleOf(fix, before, after), edits, before, after };
  });
}

function titleOf(fix: FixSpec, before: Figures, after: Figures): string {
  const fits = after.planned <= after.memoryBytes ? `fits ${formatBytes(after.memoryBytes)}` : `still over ${formatBytes(after.memoryBytes)}`;
  switch (fix.kind) {
    case 'inplace':
      return `Make ${fix.opName} in-place (${peakDelta(before.planned, after.planned)})`;
    case 'batch':
      return `Set batch to ${fix.batch}, ${fix.why} (${arrow(before.planned, after.planned)}, ${fits})`;
    case 'precision': {
      const batch = before.maxBatch !== null && after.maxBatch !== null ? `, max batch ${before.maxBatch} -> ${after.maxBatch}` : '';
      return `Switch precision to ${fix.precision} (${arrow(before.planned, after.planned)}${batch})`;
    }
    case 'checkpoint': {
      if (!fix.perDevice) return `Checkpoint ${fix.label} (${arrow(before.planned, after.planned)}, ${fits})`;
      if (before.perDevice === null || after.perDevice === null) return `Checkpoint ${fix.label}`;
      const fitsDevice = after.perDevice <= after.memoryBytes ? `fits ${formatBytes(after.memoryBytes)}` : `still over ${formatBytes(after.memoryBytes)}`;
      const recompute = after.recompute === null ? '' : `; recomputes ${shareText(after.recompute)} of a forward pass`;
      return `Checkpoint ${fix.label} (per ${after.deviceKind.toUpperCase()} ${arrow(before.perDevice, after.perDevice)}, ${fitsDevice}${recompute})`;
    }
    case 'removeStatement':
      return `Remove dead tensor ${fix.label} (${peakDelta(before.planned, after.planned)})`;
    case 'zero': {
      if (before.perDevice === null || after.perDevice === null) return `Use ZeRO stage ${fix.stage}`;
      const fitsDevice = after.perDevice <= after.memoryBytes ? `fits ${formatBytes(after.memoryBytes)}` : `still over ${formatBytes(after.memoryBytes)}`;
      return `Use ZeRO stage ${fix.stage} (per device ${arrow(before.perDevice, after.perDevice)}, ${fitsDevice})`;
    }
  }
}

/** `# memlens-ignore CODE` above the finding's line */
export function previewIgnore(src: FixSource, finding: Finding): FixPreview {
  const edit = ignoreComment(src.text.split('\n'), finding.range.start.line, finding.code, frontendFor(src.language).lineComment);
  return { title: `Ignore ${finding.code} here (memlens-ignore comment)`, edits: [edit] };
}

/**
 * source.fixAll.memlens: every op that can legally run in place, at once (two neighbours may each
 * save nothing alone and a lot together, so not only the reported ones). An op legal alone can become
 * illegal next to another in-place op, so sites that come back as NNM202 are dropped and the
 * rest re-checked (at most three rounds).
 */
export function previewFixAll(src: FixSource): FixPreview | undefined {
  return memoised(src, 'fixAll', () => {
    if (src.language !== 'nnm') return undefined;
    let sites = new Map<string, { site: FixSpec & { kind: 'inplace' } }>();
    for (const m of src.analysis.models) {
      if (!m.memory) continue;
      for (const s of inPlaceSites(m.graph, m.memory)) sites.set(rangeKey(s.site), { site: { kind: 'inplace', sites: [s.site], opName: s.opName } });
    }
    for (let round = 0; round < 3 && sites.size > 0; round++) {
      const all: FixSpec = { kind: 'inplace', sites: [...sites.values()].flatMap((v) => v.site.sites), opName: '' };
      const edits = editsFor(src, all);
      if (!edits) return undefined;
      const after = reanalyze(src, edits);
      const illegalLines = (a: DocumentAnalysis): number[] => a.diagnostics.filter((d) => d.code === INPLACE_CODE).map((d) => d.range.start.line);
      const already = new Set(illegalLines(src.analysis));
      const illegal = new Set(illegalLines(after).filter((l) => !already.has(l)));
      if (illegal.size === 0 && !newErrors(src.analysis, after)) {
        const total = (a: DocumentAnalysis): number => a.models.reduce((sum, m) => sum + (m.memory?.bytes.planned ?? 0), 0);
        if (total(after) > total(src.analysis)) return undefined;
        const n = sites.size;
        return { title: `Make ${n} op${n === 1 ? '' : 's'} in-place (${peakDelta(total(src.analysis), total(after))})`, edits };
      }
      // drop the sites on lines that came back illegal, then try again
      sites = new Map([...sites].filter(([, v]) => !illegal.has(v.site.sites[0]!.start.line)));
    }
    return undefined;
  });
}
