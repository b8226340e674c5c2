// What must hold for any input, checked on every fuzz case: analyzeDocument returns (no throw),
// reports no caught internal error (NNM309 tf.js, NNM409 Python, "internal error in memlens rule"
// from the rule runner: each is a crash that was caught), shows no NaN / Infinity in any figure,
// and finishes within the hang budget.
import { performance } from 'node:perf_hooks';
import { analyzeDocument } from '../../server/src/core/analyze';
import type { SourceLanguage } from '../../server/src/core/frontend';

/**
 * A case whose analysis takes more than this, both in wall time and in CPU time, counts as a hang
 * (analysis is synchronous, so it is measured, not interrupted; a case that never returns is the
 * parent process's to kill). Wall time alone fails on a loaded machine, where a niced fuzzer
 * waits for the CPU: a case of 1 s of CPU took 2.5-4.3 s wall at load 8, which failed the
 * property and sent fast-check shrinking through minutes of such cases (chunk seed 1002). CPU
 * time alone counts the parallel GC threads: the deep-copy regression case takes 1.8 s wall
 * and 2.8 s of CPU.
 */
export const HANG_BUDGET_MS = 2000;

/** CPU time of this process (all its threads, GC included) since `since`, in ms */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

const INTERNAL_CODES = new Set(['NNM309', 'NNM409']);

/**
 * Keys whose numbers are the program's own literals, not figures: an op's attrs record the values
 * written in the source (`tokens == float('inf')` is valid Python, its compare op keeps `value: Infinity`).
 */
export const LITERAL_KEYS: ReadonlySet<string> = new Set(['attrs']);

/**
 * Every non-finite number in `value`, with its path (shared objects visited once, Maps included);
 * numbers under a key of `skipKeys` are not looked at. Shared with test/unit/robustness.test.ts.
 */
export function nonFiniteNumbers(value: unknown, skipKeys: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: string, key: string): void => {
    if (skipKeys.has(key)) return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) out.push(`${path} = ${v}`);
    } else if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      if (v instanceof Map) for (const [k, child] of v) walk(child, `${path}.get(${String(k)})`, String(k));
      else for (const [k, child] of Object.entries(v)) walk(child, `${path}.${k}`, k);
    }
  };
  walk(value, 'result', '');
  return out;
}

export type Failure = { readonly kind: 'crash' | 'hang'; readonly detail: string };

/** analyse one case and return what broke, if anything */
export function checkCase(text: string, language: SourceLanguage, documentKey?: string): Failure | undefined {
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  let result;
  try {
    result = analyzeDocument(text, language, documentKey ? { documentKey } : {});
  } catch (err) {
    return { kind: 'crash', detail: `threw: ${(err as Error).stack ?? String(err)}` };
  }
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(startedCpu);
  const internal = result.diagnostics.find((d) => INTERNAL_CODES.has(d.code) || d.message.includes('internal error in memlens rule'));
  if (internal) return { kind: 'crash', detail: `${internal.code}: ${internal.message}` };
  const bad = nonFiniteNumbers({ diagnostics: result.diagnostics, models: result.models }, LITERAL_KEYS);
  if (bad.length > 0) return { kind: 'crash', detail: `non-finite figures: ${bad.slice(0, 5).join('; ')}` };
  if (Math.min(ms, cpuMs) > HANG_BUDGET_MS) return { kind: 'hang', detail: `took ${Math.round(ms)} ms wall, ${Math.round(cpuMs)} ms of CPU time (budget ${HANG_BUDGET_MS} ms of each)` };
  return undefined;
}
