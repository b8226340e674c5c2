// Small statistics and table printing for the benchmarks: plain numbers, no pass/fail.

export interface Summary {
  readonly runs: number;
  /** total / runs: unlike the median, it counts the collector pauses that fall on some runs only */
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
}

/** a Summary and when its timed calls ran (performance.now()), to match other events to them */
export interface TimedSummary extends Summary {
  readonly from: number;
  readonly to: number;
}

export interface MeasureOptions {
  /** untimed calls made whatever they cost: a large input's first calls run code V8 has not optimised yet */
  readonly minWarmup?: number;
  /** untimed calls made while they use under half of `budgetMs` */
  readonly warmup: number;
  readonly minRuns: number;
  readonly maxRuns: number;
  readonly budgetMs: number;
}

/** nearest-rank percentile of sorted samples (p in 0..100) */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, x) => sum + x, 0);
  return { runs: sorted.length, mean: sorted.length ? total / sorted.length : NaN, median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0] ?? NaN };
}

/** the untimed calls of `measure` and `measureEach` */
function warmUp(call: () => void, options: MeasureOptions): void {
  const started = performance.now();
  for (let i = 0; i < (options.minWarmup ?? 0) || (i < options.warmup && performance.now() - started < options.budgetMs / 2); i++) call();
}

/**
 * Time `fn`: `minWarmup` untimed calls, then more up to `warmup` while they use under half of
 * `budgetMs`, then timed calls: always one, at least `minRuns` unless they take over 4x `budgetMs`,
 * more up to `maxRuns` while within `budgetMs`. The run count is reported, so a slow case shows how
 * few samples it had.
 */
export function measure(fn: () => void, options: MeasureOptions): TimedSummary {
  warmUp(fn, options);
  const samples: number[] = [];
  const started = performance.now();
  for (;;) {
    const elapsed = performance.now() - started;
    const more =
      samples.length === 0 ||
      (samples.length < options.minRuns && elapsed < 4 * options.budgetMs) ||
      (samples.length < options.maxRuns && elapsed < options.budgetMs);
    if (!more) break;
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), from: started, to: performance.now() };
}

/**
 * `measure` with an untimed `setup` before each call (warm-up calls included), whose result the
 * timed call gets: e.g. a fresh analysis per run, made the way the server makes one per edit, so
 * that no run reuses another's memoised work and the heap holds one analysis, not a pile of them.
 */
export function measureEach<T>(setup: () => T, fn: (input: T) => void, options: MeasureOptions): Summary {
  warmUp(() => fn(setup()), options);
  const samples: number[] = [];
  let timed = 0;
  for (;;) {
    const more =
      samples.length === 0 ||
      (samples.length < options.minRuns && timed < 4 * options.budgetMs) ||
      (samples.length < options.maxRuns && timed < options.budgetMs);
    if (!more) break;
    const input = setup();
    const t0 = performance.now();
    fn(input);
    const t = performance.now() - t0;
    samples.push(t);
    timed += t;
  }
  return summarize(samples);
}

/** milliseconds with three significant digits */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** a left-aligned first column, the others right-aligned */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
