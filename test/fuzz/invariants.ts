// What must hold for any input, checked on every fuzz case: analyzeDocument returns (no throw),
// reports no caught internal error (NNM309 tf.js, NNM409 Python, "internal error in memlens rule"
// from the rule runner: each is a crash that was caught), shows no NaN / Infinity in any figure,
// and finishes within the hang budget.
import { performance } from 'node:perf_hooks';
import { analyzeDocument } from '../../server/src/core/analyze';
import type { SourceLanguage } from '../../server/src/core/frontend';

/** a case slower than this counts as a hang (analysis is synchronous, so it is measured, not interrupted) */
export const HANG_BUDGET_MS = 2000;

const INTERNAL_CODES = new Set(['NNM309', 'NNM409']);

/**
 * Keys whose numbers are the program's own literals, not figures: an op's attrs record the values
 * written in the source (`tokens == float('inf')` is valid Python, its compare op keeps `value: Infinity`).
 */
const LITERAL_KEYS = new Set(['attrs']);

/** every non-finite figure in the result, with its path (shared objects visited once) */
export function nonFiniteNumbers(value: unknown, path = 'result', seen = new Set<object>(), out: string[] = []): string[] {
  if (LITERAL_KEYS.has(path.slice(path.lastIndexOf('.') + 1))) return out;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(`${path} = ${value}`);
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    if (value instanceof Map) {
      for (const [key, child] of value) nonFiniteNumbers(child, `${path}.get(${String(key)})`, seen, out);
    } else {
      for (const [key, child] of Object.entries(value)) nonFiniteNumbers(child, `${path}.${key}`, seen, out);
    }
  }
  return out;
}

export type Failure = { readonly kind: 'crash' | 'hang'; readonly detail: string };

/** analyse one case and return what broke, if anything */
export function checkCase(text: string, language: SourceLanguage, documentKey?: string): Failure | undefined {
  const started = performance.now();
  let result;
  try {
    result = analyzeDocument(text, language, documentKey ? { documentKey } : {});
  } catch (err) {
    return { kind: 'crash', detail: `threw: ${(err as Error).stack ?? String(err)}` };
  }
  const ms = performance.now() - started;
  const internal = result.diagnostics.find((d) => INTERNAL_CODES.has(d.code) || d.message.includes('internal error in memlens rule'));
  if (internal) return { kind: 'crash', detail: `${internal.code}: ${internal.message}` };
  const bad = nonFiniteNumbers({ diagnostics: result.diagnostics, models: result.models });
  if (bad.length > 0) return { kind: 'crash', detail: `non-finite figures: ${bad.slice(0, 5).join('; ')}` };
  if (ms > HANG_BUDGET_MS) return { kind: 'hang', detail: `took ${Math.round(ms)} ms (budget ${HANG_BUDGET_MS} ms)` };
  return undefined;
}
