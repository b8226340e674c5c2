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

/**
 * More budget per op of the models the case produced: analysis is linear in ops, and the .nnm
 * frontend analyses models up to 1,000,000 ops by design (docs/language.md, Limits). A mutation
 * that turned `repeat 12` into `repeat 30522` made a 305,229-op model whose analysis took 12.3 s
 * of CPU at load 9-13 (40 µs an op); 100 µs an op leaves room for the load, and a small model
 * that is slow is still a hang at 2 s.
 */
export const HANG_MS_PER_OP = 0.1;

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
 * Every non-finite number in `value`, with its path (shared objects visited once, Maps and typed
 * arrays included); numbers under an object or Map key of `skipKeys` are not looked at. Shared with
 * test/unit/robustness.test.ts. The path is a stack joined only for a finding: a path string made
 * per visited value (and a key string per element of a typed array) made walking a 305,229-op
 * model's analysis take minutes.
 */
export function nonFiniteNumbers(value: unknown, skipKeys: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const keys: (string | number)[] = [];
  const inMap: boolean[] = [];
  const found = (n: number): void => {
    out.push(`result${keys.map((k, i) => (inMap[i] ? `.get(${k})` : `.${k}`)).join('')} = ${n}`);
  };
  const child = (key: string | number, isMapKey: boolean, v: unknown): void => {
    if (typeof key === 'string' && skipKeys.has(key)) return;
    keys.push(key);
    inMap.push(isMapKey);
    visit(v);
    keys.pop();
    inMap.pop();
  };
  const visit = (v: unknown): void => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) found(v);
      return;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      // only float arrays can hold NaN or Infinity
      if (v instanceof Float64Array || v instanceof Float32Array) v.forEach((n, i) => Number.isFinite(n) || child(i, false, n));
    } else if (v instanceof Map) {
      for (const [k, c] of v) child(String(k), true, c);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) child(i, false, v[i]);
    } else {
      const record = v as Record<string, unknown>;
      for (const k of Object.keys(record)) child(k, false, record[k]);
    }
  };
  visit(value);
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
  const ops = result.models.reduce((n, m) => n + m.graph.ops.length, 0);
  const budget = HANG_BUDGET_MS + ops * HANG_MS_PER_OP;
  if (Math.min(ms, cpuMs) > budget) return { kind: 'hang', detail: `took ${Math.round(ms)} ms wall, ${Math.round(cpuMs)} ms of CPU time (budget ${Math.round(budget)} ms of each for ${ops} ops)` };
  return undefined;
}
