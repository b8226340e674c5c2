// The document fuzzer: a case is (a fixture, 1-4 grammar-aware mutations); the property is that
// checkCase finds nothing wrong. fast-check draws the cases from a seed, and shrinks a failing
// case to fewer and simpler mutations, so a failure is reported as seed + minimal input.
import fc from 'fast-check';
import { loadCorpus, type Seed } from './corpus';
import { checkCase, cpuMsSince, type Failure } from './invariants';
import { mutate, mutationArb, piecesOf, type Mutation, type Pieces } from './mutations';
import type { SourceLanguage } from '../../server/src/core/frontend';

export interface DocumentCase {
  readonly seed: number;
  readonly mutations: readonly Mutation[];
}

export interface PreparedCorpus {
  readonly seeds: readonly Seed[];
  readonly pieces: readonly Pieces[];
}

/** the corpus with each seed's pieces (needs initTfjsFrontend first) */
export function prepareCorpus(filter?: (s: Seed) => boolean): PreparedCorpus {
  const seeds = loadCorpus().filter(filter ?? (() => true));
  return { seeds, pieces: seeds.map(piecesOf) };
}

export function caseArb(corpus: PreparedCorpus): fc.Arbitrary<DocumentCase> {
  return fc.record({
    seed: fc.nat({ max: corpus.seeds.length - 1 }),
    mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  });
}

export function caseText(corpus: PreparedCorpus, c: DocumentCase): string {
  return mutate(corpus.seeds[c.seed]!, corpus.pieces[c.seed]!, c.mutations);
}

/** Python is read with its path as key, so its local imports resolve as in the editor */
export function documentKeyOf(seed: Seed): string | undefined {
  return seed.language === 'python' ? seed.path : undefined;
}

export function runCase(corpus: PreparedCorpus, c: DocumentCase): Failure | undefined {
  const seed = corpus.seeds[c.seed]!;
  return checkCase(caseText(corpus, c), seed.language, documentKeyOf(seed));
}

export interface ChunkReport {
  readonly seed: number;
  /** index of the first case of this report within its seed (0 unless resumed) */
  readonly from: number;
  readonly cases: number;
  readonly byLanguage: Readonly<Partial<Record<SourceLanguage, number>>>;
  readonly ms: number;
  /** the slowest case by CPU time (analysis and invariants; wall time is the machine's load) */
  readonly slowestCpuMs: number;
  /** the longest wall time of a case */
  readonly slowestMs: number;
  /** index within the seed of the slowest case by CPU time, and its fixture */
  readonly slowest?: { readonly index: number; readonly fixture: string };
  readonly failure?: ChunkFailure;
}

export interface ChunkFailure {
  readonly kind: Failure['kind'];
  readonly detail: string;
  readonly fixture: string;
  readonly language: SourceLanguage;
  /** index within the seed of the (unshrunk) failing case */
  readonly index: number;
  readonly counterexample: DocumentCase;
  readonly path: string | undefined;
  /** the shrinking ran out of its time and stopped at this counterexample */
  readonly shrinkInterrupted: boolean;
  readonly text: string;
}

/** what a chunk is doing: the case about to run, and the cases it has run so far */
export interface CaseProgress {
  readonly phase: 'run' | 'shrink';
  /** the case's index within the seed; while shrinking, the index of the failing case */
  readonly index: number;
  readonly c: DocumentCase;
  readonly language: SourceLanguage;
  /** cases run so far (without the shrinker's), by language */
  readonly byLanguage: Readonly<Partial<Record<SourceLanguage, number>>>;
}

export interface ChunkOptions {
  /** start at this case index of the seed (fast-check replays a seed from a path) */
  readonly from?: number;
  /** time the shrinking of a failure may take; 0 reports the failure unshrunk */
  readonly shrinkMs?: number;
  /** called before each case runs: the run's cases by index, then the shrinker's candidates */
  readonly onCase?: (progress: CaseProgress) => void;
}

/** the case at `index` of a seed's stream, as fc.check with that seed draws it */
export function caseAt(corpus: PreparedCorpus, seed: number, index: number): DocumentCase {
  // fc.property draws a tuple of its arbitraries; sampling the same tuple draws the same values
  const [[c]] = fc.sample(fc.tuple(caseArb(corpus)), { seed, path: String(index), numRuns: 1 });
  return c!;
}

/**
 * Run `cases` cases of one fast-check seed, stopping at the first failure. The run itself does
 * not shrink (endOnFailure); the failing case is then replayed from its path and shrunk for at
 * most `shrinkMs`, so a failure that is slow to reproduce cannot keep the chunk busy for long.
 */
export function runChunk(corpus: PreparedCorpus, seed: number, cases: number, options: ChunkOptions = {}): ChunkReport {
  const from = options.from ?? 0;
  const byLanguage: Partial<Record<SourceLanguage, number>> = {};
  let slowestMs = 0;
  let slowestCpuMs = 0;
  let slowest: ChunkReport['slowest'];
  let phase: 'run' | 'shrink' = 'run';
  let index = from;
  let last: Failure | undefined;
  const property = fc.property(caseArb(corpus), (c) => {
    const seedOf = corpus.seeds[c.seed]!;
    options.onCase?.({ phase, index, c, language: seedOf.language, byLanguage });
    const t = performance.now();
    const cpu = process.cpuUsage();
    last = runCase(corpus, c);
    const cpuMs = cpuMsSince(cpu);
    if (phase === 'run') {
      byLanguage[seedOf.language] = (byLanguage[seedOf.language] ?? 0) + 1;
      slowestMs = Math.max(slowestMs, performance.now() - t);
      if (cpuMs > slowestCpuMs) {
        slowestCpuMs = cpuMs;
        slowest = { index, fixture: seedOf.name };
      }
      index++;
    }
    return last === undefined;
  });
  const started = performance.now();
  const run = fc.check(property, { seed, numRuns: cases, endOnFailure: true, ...(from > 0 ? { path: String(from) } : {}) });
  const report = { seed, from, cases: run.numRuns, byLanguage, ms: performance.now() - started, slowestCpuMs, slowestMs, slowest };
  if (!run.failed || !run.counterexample || !run.counterexamplePath) return report;
  const failingIndex = Number(run.counterexamplePath.split(':')[0]);
  const found = { failure: last, c: run.counterexample[0], path: run.counterexamplePath };
  let interrupted = false;
  const shrinkMs = options.shrinkMs ?? 30_000;
  if (shrinkMs > 0) {
    phase = 'shrink';
    index = failingIndex;
    const shrunk = fc.check(property, { seed, path: run.counterexamplePath, numRuns: 1, interruptAfterTimeLimit: shrinkMs });
    // a hang may not reproduce (it is a time): keep the case the run found
    if (shrunk.failed && shrunk.counterexample && shrunk.counterexamplePath) {
      found.c = shrunk.counterexample[0];
      found.path = shrunk.counterexamplePath;
      interrupted = shrunk.interrupted;
    }
  }
  const failure = runCase(corpus, found.c) ?? found.failure ?? { kind: 'crash' as const, detail: String(run.errorInstance) };
  const s = corpus.seeds[found.c.seed]!;
  return {
    ...report,
    failure: {
      ...failure,
      fixture: s.name,
      language: s.language,
      index: failingIndex,
      counterexample: found.c,
      path: found.path,
      shrinkInterrupted: interrupted,
      text: caseText(corpus, found.c),
    },
  };
}
