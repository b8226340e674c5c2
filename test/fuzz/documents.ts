// The document fuzzer: a case is (a fixture, 1-4 grammar-aware mutations); the property is that
// checkCase finds nothing wrong. fast-check draws the cases from a seed, and shrinks a failing
// case to fewer and simpler mutations, so a failure is reported as seed + minimal input.
import fc from 'fast-check';
import { loadCorpus, type Seed } from './corpus';
import { checkCase, type Failure } from './invariants';
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
  readonly cases: number;
  readonly byLanguage: Readonly<Partial<Record<SourceLanguage, number>>>;
  readonly ms: number;
  readonly slowestMs: number;
  readonly failure?: {
    readonly kind: Failure['kind'];
    readonly detail: string;
    readonly fixture: string;
    readonly language: SourceLanguage;
    readonly counterexample: DocumentCase;
    readonly path: string | undefined;
    readonly text: string;
  };
}

/** run `cases` cases from one fast-check seed; stops (and shrinks) at the first failure */
export function runChunk(corpus: PreparedCorpus, seed: number, cases: number): ChunkReport {
  const byLanguage: Partial<Record<SourceLanguage, number>> = {};
  let slowestMs = 0;
  let last: Failure | undefined;
  const started = performance.now();
  const details = fc.check(
    fc.property(caseArb(corpus), (c) => {
      const language = corpus.seeds[c.seed]!.language;
      byLanguage[language] = (byLanguage[language] ?? 0) + 1;
      const t = performance.now();
      last = runCase(corpus, c);
      slowestMs = Math.max(slowestMs, performance.now() - t);
      return last === undefined;
    }),
    { seed, numRuns: cases },
  );
  const ms = performance.now() - started;
  if (!details.failed || !details.counterexample) return { seed, cases: details.numRuns, byLanguage, ms, slowestMs };
  const [c] = details.counterexample;
  const failure = runCase(corpus, c) ?? last ?? { kind: 'crash' as const, detail: String(details.errorInstance) };
  const s = corpus.seeds[c.seed]!;
  return {
    seed,
    cases: details.numRuns,
    byLanguage,
    ms,
    slowestMs,
    failure: { ...failure, fixture: s.name, language: s.language, counterexample: c, path: details.counterexamplePath ?? undefined, text: caseText(corpus, c) },
  };
}
