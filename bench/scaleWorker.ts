// One size of the scaling benchmark, run in its own process so that bench/run.ts can stop it after
// a time cap (the analysis is synchronous). Prints one JSON line: ScaleResult.
import { analyzeDocument } from '../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { analyzeNnm } from '../server/src/core/dsl/frontend';
import { generateModel } from './generate';
import { measure, type Summary } from './stats';

export interface ScaleResult {
  readonly ops: number;
  readonly lines: number;
  readonly errors: number;
  /** parse + elaboration only (analyzeNnm) */
  readonly frontend: Summary;
  /** parse + every analysis the diagnostics need (analyzeDocument) */
  readonly full: Summary;
  /** analyzeDocument and the planned peak (the code lens figure; the arena plan runs on first read) */
  readonly withPlan: Summary;
}

const ops = Number(process.argv[2]);
const budgetMs = Number(process.argv[3] ?? 5000);
const text = generateModel(ops);
const result = analyzeDocument(text, 'nnm');
const options = { warmup: 5, minRuns: 7, maxRuns: 200, budgetMs };
const out: ScaleResult = {
  ops: result.models.reduce((n, m) => n + m.graph.ops.length, 0),
  lines: text.split('\n').length,
  errors: result.diagnostics.filter((d) => d.severity === 'error').length,
  frontend: measure(() => analyzeNnm(text, BUILTIN_DEFAULTS), options),
  full: measure(() => analyzeDocument(text, 'nnm'), options),
  withPlan: measure(() => {
    for (const m of analyzeDocument(text, 'nnm').models) void m.memory?.bytes.planned;
  }, options),
};
console.log(JSON.stringify(out));
