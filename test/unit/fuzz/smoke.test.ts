// A short smoke of the fuzzing suite (test/fuzz/, `npm run fuzz` for the long run): a few hundred
// document cases and a few LSP sequences under fixed seeds, every regression case the fuzzer found
// (test/fixtures/fuzz/*.json), and checks that the fuzzer itself mutates and detects.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initTfjsFrontend } from '../../../server/src/core/tfjs/parse';
import type { SourceLanguage } from '../../../server/src/core/frontend';
import { caseText, prepareCorpus, runChunk, type PreparedCorpus } from '../../fuzz/documents';
import { checkCase, LITERAL_KEYS, nonFiniteNumbers } from '../../fuzz/invariants';
import { fuzzLsp } from '../../fuzz/lspSequences';
import { mutate } from '../../fuzz/mutations';

const SEED = 20_261_207;
const REGRESSIONS = join(__dirname, '..', '..', 'fixtures', 'fuzz');

let corpus: PreparedCorpus;
before(async () => {
  await initTfjsFrontend();
  corpus = prepareCorpus();
});

test('the corpus holds fixtures of every language, each with pieces to mutate', () => {
  const languages = new Set(corpus.seeds.map((s) => s.language));
  assert.deepEqual([...languages].sort(), ['javascript', 'nnm', 'python', 'typescript']);
  corpus.seeds.forEach((seed, i) => {
    const pieces = corpus.pieces[i]!;
    // an unmutated case is the fixture byte for byte
    assert.equal(mutate(seed, pieces, []), seed.text, seed.name);
    if (seed.text.trim() === '') return;
    assert.ok(pieces.all.length > 0, `${seed.name}: no pieces`);
    if (seed.language !== 'nnm' && seed.text.includes('(')) assert.ok(pieces.byType.has('call_expression') || pieces.byType.has('call'), `${seed.name}: no call node`);
  });
});

test('a number mutation replaces exactly one number node of a Python fixture', () => {
  const i = corpus.seeds.findIndex((s) => s.name === 'test/fixtures/python/mlp.py');
  assert.ok(i >= 0);
  const seed = corpus.seeds[i]!;
  const pieces = corpus.pieces[i]!;
  const first = pieces.numbers[0]!;
  const text = caseText(corpus, { seed: i, mutations: [{ kind: 'extreme', at: 0, other: 0, value: 2 }] });
  assert.equal(text, `${seed.text.slice(0, first.start)}(10**12)${seed.text.slice(first.end)}`);
});

test('the invariants catch non-finite figures but not the program\'s own literals', () => {
  assert.deepEqual(nonFiniteNumbers({ models: [{ bytes: NaN, ops: [{ attrs: { value: Infinity } }] }] }, LITERAL_KEYS), ['result.models.0.bytes = NaN']);
  assert.deepEqual(nonFiniteNumbers(new Map([['k', -Infinity]])), ['result.get(k) = -Infinity']);
});

test('fuzz smoke: 400 mutated fixtures of every language, no crash, no hang', () => {
  const report = runChunk(corpus, SEED, 400);
  assert.equal(report.failure, undefined, JSON.stringify(report.failure, null, 1));
  assert.equal(report.cases, 400);
  for (const language of ['nnm', 'typescript', 'javascript', 'python'] as const) assert.ok((report.byLanguage[language] ?? 0) > 0, `${language} cases`);
});

test('fuzz regressions: every case the fuzzer found passes', () => {
  const files = existsSync(REGRESSIONS) ? readdirSync(REGRESSIONS).filter((f) => f.endsWith('.json')) : [];
  for (const file of files) {
    const r = JSON.parse(readFileSync(join(REGRESSIONS, file), 'utf8')) as { language: SourceLanguage; text: string; documentKey?: string };
    assert.equal(checkCase(r.text, r.language, r.documentKey && join(__dirname, '..', '..', '..', r.documentKey)), undefined, file);
  }
});

test('fuzz smoke: 8 random LSP sequences against the real server, which keeps answering', async () => {
  const report = await fuzzLsp(corpus, 8, SEED);
  assert.equal(report.failure, undefined, JSON.stringify(report.failure, null, 1));
  assert.equal(report.sequences, 8);
});
