// One size of the scaling benchmark, run in its own process so that bench/run.ts can stop it after
// a time cap (the analysis is synchronous). Prints one JSON line: ScaleResult.
import { PerformanceObserver } from 'node:perf_hooks';
import { analyzeDocument } from '../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { analyzeNnm } from '../server/src/core/dsl/frontend';
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
}

/**
 * A large model's first analyses run code V8 has not optimised for it yet: at 100,000 ops the
 * first seven took 730-1,220 ms and the later ones 500-660 (each analysis function meets its long
 * loops once per call, so it takes several calls to settle). Every size gets this many untimed
 * calls, whatever they cost, before the first measured one.
 */
const MIN_WARMUP = 12;

async function main(): Promise<void> {
  const ops = Number(process.argv[2]);
  const budgetMs = Number(process.argv[3] ?? 5000);
  const text = generateModel(ops);
  const gcPauses: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, duration: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const result = analyzeDocument(text, 'nnm');
  const options: MeasureOptions = { minWarmup: MIN_WARMUP, warmup: 30, minRuns: 7, maxRuns: 200, budgetMs };
  // full first: its warm-up also warms the frontend, so the other two need fewer untimed calls
  const full = measure(() => analyzeDocument(text, 'nnm'), options);
  const frontend = measure(() => analyzeNnm(text, BUILTIN_DEFAULTS), { ...options, minWarmup: 3 });
  const withPlan = measure(() => {
    for (const m of analyzeDocument(text, 'nnm').models) void m.memory?.bytes.planned;
  }, { ...options, minWarmup: 3 });
  // the observer hears of pauses after the synchronous work that had them
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  const gcMs = gcPauses.filter((p) => p.start >= full.from && p.start < full.to).reduce((sum, p) => sum + p.duration, 0);
  const out: ScaleResult = {
    ops: result.models.reduce((n, m) => n + m.graph.ops.length, 0),
    lines: text.split('\n').length,
    errors: result.diagnostics.filter((d) => d.severity === 'error').length,
    frontend,
    full,
    fullGcShare: gcMs / (full.to - full.from),
    withPlan,
  };
  console.log(JSON.stringify(out));
}

void main();
