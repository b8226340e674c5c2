// One size of the scaling benchmark, run in its own process so that bench/run.ts can stop it after
// a time cap (the analysis is synchronous). Prints one JSON line: ScaleResult.
import { PerformanceObserver } from 'node:perf_hooks';
import { analyzeDocument } from '../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { analyzeNnm } from '../server/src/core/dsl/frontend';
import { graphColumns } from '../server/src/core/graphColumns';
import { generateModel } from './generate';
import { measure, type MeasureOptions, type Summary } from './stats';

export interface ScaleResult {
  readonly ops: number;
  readonly lines: number;
  readonly errors: number;
  /** parse + elaboration only (analyzeNnm) */
  readonly frontend: Summary;
  /** parse + every analysis the diagnostics need (analyzeDocument) */
  readonly full: Summary;
  /** the share of `full`'s timed calls spent in garbage collection pauses (0..1) */
  readonly fullGcShare: number;
  /** analyzeDocument and the planned peak (the code lens figure; the arena plan runs on first read) */
  readonly withPlan: Summary;
  /**
   * heap one analysis holds once the planned peak and the diagnostics are read, over the op count:
   * heapUsed after a full collection with the analysis referenced, less before it (the text is held
   * throughout); null without --expose-gc
   */
  readonly heapBytesPerOp: number | null;
}

/**
 * A large model's first analyses run code V8 has not optimised for it yet: at 100,000 ops the
 * first seven took 730-1,220 ms and the later ones 500-660 (each analysis function meets its long
 * loops once per call, so it takes several calls to settle). Every size gets this many untimed
 * calls, whatever they cost, before the first measured one.
 */
const MIN_WARMUP = 12;

/**
 * The first analysis, measured: the heap it holds once its planned peak and diagnostics are read
 * (ScaleResult.heapBytesPerOp), its op and error counts (read from the columns: building a million
 * op objects would change what the timed runs after it collect)
 */
function firstAnalysis(text: string): { ops: number; errors: number; heapBytesPerOp: number | null } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const analysis = analyzeDocument(text, 'nnm');
  for (const m of analysis.models) void m.memory?.bytes.planned;
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  gc?.();
  const after = process.memoryUsage().heapUsed;
  // read after the collection: the analysis must still be live when the heap is measured
  const ops = analysis.models.reduce((n, m) => n + graphColumns(m.graph).opCount, 0);
  return { ops, errors, heapBytesPerOp: gc && ops > 0 ? (after - before) / ops : null };
}

async function main(): Promise<void> {
  const ops = Number(process.argv[2]);
  const budgetMs = Number(process.argv[3] ?? 5000);
  // fewer untimed calls where one analysis takes seconds (1,000,000 ops): argv[4]
  const minWarmup = Number(process.argv[4] ?? MIN_WARMUP);
  const text = generateModel(ops);
  const gcPauses: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, duration: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const first = firstAnalysis(text);
  const options: MeasureOptions = { minWarmup, warmup: 30, minRuns: 7, maxRuns: 200, budgetMs };
  // full first: its warm-up also warms the frontend, so the other two need fewer untimed calls
  const full = measure(() => analyzeDocument(text, 'nnm'), options);
  const frontend = measure(() => analyzeNnm(text, BUILTIN_DEFAULTS), { ...options, minWarmup: Math.min(3, minWarmup) });
  const withPlan = measure(() => {
    for (const m of analyzeDocument(text, 'nnm').models) void m.memory?.bytes.planned;
  }, { ...options, minWarmup: Math.min(3, minWarmup) });
  // the observer hears of pauses after the synchronous work that had them
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  const gcMs = gcPauses.filter((p) => p.start >= full.from && p.start < full.to).reduce((sum, p) => sum + p.duration, 0);
  const out: ScaleResult = {
    ops: first.ops,
    lines: text.split('\n').length,
    errors: first.errors,
    frontend,
    full,
    fullGcShare: gcMs / (full.to - full.from),
    withPlan,
    heapBytesPerOp: first.heapBytesPerOp,
  };
  console.log(JSON.stringify(out));
}

void main();
