// Bad input (issue 2): whatever the text, analyzeDocument returns findings instead of throwing,
// never shows NaN or Infinity, and every figure too large to count exactly comes with a diagnostic.
// Fuzzed with fast-check under fixed seeds so a failure reproduces; inputs are bounded in size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyzeDocument } from '../../server/src/core/analyze';
import type { DocumentAnalysis } from '../../server/src/core/document';
import { atBatch } from '../../server/src/core/units';
import { nonFiniteNumbers } from '../fuzz/invariants';

const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');
const EXAMPLES: readonly string[] = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.nnm'))
  .sort()
  .map((f) => readFileSync(join(EXAMPLES_DIR, f), 'utf8'));

// Analysis is synchronous, so a hang would block the runner rather than fail one test: the cases
// below are the inputs most likely to hang, and CI's job timeout is the backstop.
const SEED = 20_261_126;

/** analyze, and check every invariant that must hold for any input; returns the result */
function analyzeSafely(text: string): DocumentAnalysis {
  let result: DocumentAnalysis;
  try {
    result = analyzeDocument(text, 'nnm');
  } catch (err) {
    assert.fail(`analyzeDocument threw on ${JSON.stringify(text.slice(0, 300))}: ${(err as Error).stack ?? String(err)}`);
  }
  assert.deepEqual(nonFiniteNumbers(result), []);
  const lineBreaks = (text.match(/\r\n|\r|\n|\u2028|\u2029/g) ?? []).length;
  for (const d of result.diagnostics) {
    assert.ok(d.message.length > 0, 'a diagnostic has a message');
    assert.match(d.code, /^NNM\d{3}$/, `diagnostic code ${d.code}`);
    for (const word of ['NaN', 'Infinity']) {
      if (!text.includes(word)) assert.ok(!d.message.includes(word), `'${word}' shown to the user: ${d.message}`);
    }
    const { start, end } = d.range;
    assert.ok(Number.isInteger(start.line) && start.line >= 0 && start.line <= lineBreaks, `line ${start.line}`);
    assert.ok(Number.isInteger(start.character) && start.character >= 0, `character ${start.character}`);
    assert.ok(end.line > start.line || (end.line === start.line && end.character >= start.character), 'range ends after it starts');
  }
  for (const { graph, footprint } of result.models) {
    for (const t of graph.tensors) {
      assert.ok(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `shape [${t.shape.join(', ')}]`);
      assert.ok(Number.isSafeInteger(t.elementsPerSample), `${t.name} elements`);
    }
    const atConfiguredBatch = atBatch(footprint.bytes.total, graph.config.batch);
    const exact = Number.isSafeInteger(atConfiguredBatch) && Number.isSafeInteger(footprint.activationElementsPerSample);
    if (!exact) assert.ok(footprint.overflow, `total ${atConfiguredBatch} is not exact but overflow is not flagged`);
    if (footprint.overflow) {
      assert.ok(
        result.diagnostics.some((d) => d.severity === 'error' || d.severity === 'warning'),
        `model ${graph.name} overflows without a diagnostic`,
      );
    }
  }
  return result;
}

function hasDiagnostic(result: DocumentAnalysis, severities: readonly string[] = ['error', 'warning']): boolean {
  return result.diagnostics.some((d) => severities.includes(d.severity));
}

// ---- fixed cases ----

test('empty and blank files give no models and no crash', () => {
  for (const text of ['', ' ', '\n\n\n', '\t\r\n', '# only a comment', '\uFEFF']) {
    const result = analyzeSafely(text);
    assert.equal(result.models.length, 0);
  }
});

test('the examples themselves pass the invariants', () => {
  assert.ok(EXAMPLES.length >= 6, `examples found: ${EXAMPLES.length}`);
  for (const text of EXAMPLES) analyzeSafely(text);
});

test('deep nesting of parentheses and calls terminates with a result', () => {
  for (const depth of [1_000, 5_000, 100_000]) {
    analyzeSafely(`model m {\n  x = input(${'('.repeat(depth)}3${')'.repeat(depth)})\n  return x\n}\n`);
    analyzeSafely(`model m {\n  x = input(8)\n  return ${'relu('.repeat(depth)}x${')'.repeat(depth)}\n}\n`);
    // unbalanced: a typo in the middle of a deep expression
    analyzeSafely(`model m {\n  x = input(8)\n  return ${'relu('.repeat(depth)}x\n}\n`);
    analyzeSafely(`model m {\n  x = input(${'['.repeat(depth)}3\n}\n`);
  }
});

test('a repeat count far past any limit is a diagnostic, not a hang', () => {
  for (const count of ['1000000000', '1e30', '99999999999999999999']) {
    const text = `block f(x) {\n  return relu(x)\n}\nmodel m {\n  x = input(8)\n  x = repeat ${count} f(x)\n  return x\n}\n`;
    assert.ok(hasDiagnostic(analyzeSafely(text)), `repeat ${count}`);
  }
});

test('block recursion is a diagnostic, not a hang', () => {
  const direct = `block f(x) {\n  return f(relu(x))\n}\nmodel m {\n  x = input(8)\n  return f(x)\n}\n`;
  const mutual = `block f(x) {\n  return g(x)\n}\nblock g(x) {\n  return f(x)\n}\nmodel m {\n  return f(input(8))\n}\n`;
  const doubling = `block f(x) {\n  return add(f(x), f(x))\n}\nmodel m {\n  return f(input(8))\n}\n`;
  for (const text of [direct, mutual, doubling]) assert.ok(hasDiagnostic(analyzeSafely(text), ['error']));
});

test('nested repeats whose product is huge (10^9 ops) are a diagnostic, not a hang', () => {
  const text = [
    'block a(x) {\n  return relu(x)\n}',
    'block b(x) {\n  return repeat 1000 a(x)\n}',
    'block c(x) {\n  return repeat 1000 b(x)\n}',
    'model m {\n  x = input(8)\n  x = repeat 1000 c(x)\n  return x\n}',
  ].join('\n');
  assert.ok(hasDiagnostic(analyzeSafely(text), ['error']));
});

test('huge numbers: batch 1e30, 10^12-element and 10^18-element inputs, huge layers', () => {
  const model = (config: string, body: string) => `config {\n${config}\n}\nmodel m {\n${body}\n}\n`;
  // [source, what, the documented code that must flag it as an error]
  const cases: [string, string, string][] = [
    [model('  batch: 1e30', '  x = input(8)\n  return dense(x, 4)'), 'batch 1e30', 'NNM141'],
    [model('  batch: 10000000000000000000', '  x = input(8)\n  return dense(x, 4)'), 'batch 10^19', 'NNM141'],
    [model('  batch: 1000000000000', '  x = input(3, 224, 224)\n  return conv2d(x, 64, kernel: 3)'), 'batch 10^12', 'NNM141'],
    [model('  device: gpu(memory: 99999999999999999999GiB)', '  return input(8)'), 'device memory past 2^53', 'NNM141'],
    // exactly countable (4e12 bytes per sample) but far over the device: a budget error
    [model('  batch: 32', '  x = input(1000000, 1000000)\n  return x'), '10^12-element input', 'NNM201'],
    [model('  batch: 32', '  x = input(1000000, 1000000, 1000000)\n  return x'), '10^18-element input', 'NNM130'],
    [model('  batch: 32', '  x = input(1e30)\n  return x'), 'input(1e30)', 'NNM131'],
    [model('  batch: 32', '  x = input(100000)\n  return dense(x, 100000000000)'), 'dense with 10^16 weights', 'NNM130'],
    [model('  batch: 32', '  x = input(3, 224, 224)\n  return conv2d(x, 1000000000, kernel: 3)'), 'conv with 10^9 filters', 'NNM201'],
  ];
  for (const [text, what, code] of cases) {
    const result = analyzeSafely(text);
    assert.ok(
      result.diagnostics.some((d) => d.severity === 'error' && d.code === code),
      `${what}: expected an error ${code}, got ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`,
    );
  }
});

test('binary junk and control characters', () => {
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)).toString('latin1');
  analyzeSafely(junk);
  analyzeSafely('\u0000'.repeat(1000));
  analyzeSafely(EXAMPLES[0]!.replace(/\n/g, '\r'));
  analyzeSafely(EXAMPLES[0]!.replace(/ /g, '\u00a0'));
  analyzeSafely('\uD800model m {\n  return input(8)\n}\uDFFF');
});

// ---- fuzzing ----

const NUMBERS = ['0', '1', '-1', '3', '1.5', '1e30', '1e12', '1000000000000', '9007199254740993', '2147483648', '-0', '0.0'];
const VOCAB = [
  'model', 'block', 'config', 'return', 'repeat', 'input', 'conv2d', 'dense', 'linear', 'relu', 'batchnorm', 'add', 'concat',
  'maxpool', 'globalavgpool', 'flatten', 'reshape', 'lstm', 'attention', 'embedding', 'layernorm', 'depthwise_conv2d',
  'kernel', 'stride', 'pad', 'groups', 'bias', 'heads', 'rate', 'batch', 'mode', 'train', 'infer', 'precision', 'fp16',
  'mixed', 'device', 'layout', 'nhwc', 'optimizer', 'adam', 'sgd', 'momentum', 'true', 'false', 'and', 'or', 'not', 'same',
  'x', 'y', 'f', '(', ')', '{', '}', '[', ']', ',', ':', '=', '?', '+', '-', '*', '/', '%', '==', '!=', '<', '>=', '#', '\n',
  ' ', '16GiB', '512MB', '"s"', ...NUMBERS,
];

/** the text split into tokens and the whitespace between them, so a mutation keeps the rest intact */
function tokens(text: string): string[] {
  return text.match(/\s+|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:e\d+)?[A-Za-z]*|[=!<>]=|\S/g) ?? [];
}

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'number'; at: number; value: string };

function applyMutation(toks: string[], m: Mutation): string[] {
  if (toks.length === 0) return m.kind === 'insert' ? [m.token] : toks;
  const at = m.at % toks.length;
  switch (m.kind) {
    case 'delete':
      return [...toks.slice(0, at), ...toks.slice(at + 1)];
    case 'insert':
      return [...toks.slice(0, at), m.token, ...toks.slice(at)];
    case 'duplicate':
      return [...toks.slice(0, at + m.length), ...toks.slice(at, at + m.length), ...toks.slice(at + m.length)];
    case 'number': {
      // replace the next number at or after `at` (wrapping), the likeliest place for an overflow
      const index = [...toks.keys()].map((i) => (i + at) % toks.length).find((i) => /^\d/.test(toks[i]!));
      if (index === undefined) return toks;
      return toks.map((t, i) => (i === index ? m.value : t));
    }
  }
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...VOCAB) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: fc.constantFrom(...NUMBERS) }),
);

test('fuzz: mutated examples (deleted, inserted, duplicated tokens; swapped numbers)', () => {
  const tokenized = EXAMPLES.map(tokens);
  fc.assert(
    fc.property(fc.nat({ max: tokenized.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (which, mutations) => {
      const mutated = mutations.reduce(applyMutation, tokenized[which]!);
      analyzeSafely(mutated.join(''));
    }),
    { seed: SEED, numRuns: 100 },
  );
});

test('fuzz: every number of every example swapped for a huge one, one at a time per run', () => {
  const tokenized = EXAMPLES.map(tokens);
  fc.assert(
    fc.property(
      fc.nat({ max: tokenized.length - 1 }),
      fc.nat(),
      fc.constantFrom('1e30', '1000000000000', '9007199254740993', '99999999999999999999'),
      (which, at, value) => {
        const mutated = applyMutation(tokenized[which]!, { kind: 'number', at, value });
        analyzeSafely(mutated.join(''));
      },
    ),
    { seed: SEED, numRuns: 50 },
  );
});

test('fuzz: programs made of random language tokens', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...VOCAB), { maxLength: 400 }), (toks) => {
      analyzeSafely(toks.join(' '));
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test('fuzz: random strings and binary junk', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
      analyzeSafely(text);
    }),
    { seed: SEED, numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      analyzeSafely(Buffer.from(bytes).toString('utf8'));
      analyzeSafely(Buffer.from(bytes).toString('latin1'));
    }),
    { seed: SEED, numRuns: 200 },
  );
});

test('fuzz: the tokenizer used by the mutations round-trips every example', () => {
  // guards the fuzzer itself: an unmutated example must come back byte for byte
  for (const text of EXAMPLES) assert.equal(tokens(text).join(''), text);
});
