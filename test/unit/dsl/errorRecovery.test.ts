// One broken statement among valid ones: the errors stay on the broken line, and the valid
// statements after it get no diagnostic (no cascade, no spurious NNM123). fast-check, fixed seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyze, model } from './helpers';

/** statements that each fail on their own line, for one reason each */
const BROKEN = [
  'bad = conv2d(x, 16, 3',
  'bad = conv2d(x, 16 3)',
  'bad = conv2d(x, 16, 3,, 1)',
  'bad = = relu(x)',
  'bad = conv2d(x, 16, 3) extra',
  'bad = conv2d(x, 16, 3, bogus: 1)',
  'bad = conv2d(x, 16, 3, 1, 1, 1, 1, true, relu, 5)',
  'bad = conv2d(missing, 16, 3)',
  'bad = conv2d(x, "a", 3)',
  'bad = conv2d(x, filters: 16, 3)',
  'bad = conv2d(x, 16, 3, stride: 1, stride: 2)',
  'bad = dense(x)',
  'bad = dropout(x, 1.5)',
  'bad = conv2e(x, 16, 3)',
  'bad = add(x, relu(dense(flatten(x), 3)))',
  'bad = input(3, 32, 32) @',
];

/** valid statements over x = input(3, 32, 32); each reads only x or the one before it */
const VALID = [
  (prev: string) => `conv2d(${prev}, 3, 3, pad: 1)`,
  (prev: string) => `relu(${prev})`,
  (prev: string) => `batchnorm(${prev})`,
  (prev: string) => `dropout(${prev}, 0.1)`,
  (prev: string) => `maxpool(${prev}, 1)`,
  (prev: string) => `add(${prev}, x)`,
];

test('a broken statement keeps its errors to its own line; later valid statements are clean', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...BROKEN),
      fc.array(fc.nat(VALID.length - 1), { minLength: 1, maxLength: 6 }),
      fc.nat(6),
      (broken, picks, position) => {
        const valid = picks.map((k, i) => `v${i} = ${VALID[k]!(i === 0 ? 'x' : `v${i - 1}`)}`);
        const at = Math.min(position, valid.length);
        const body = ['x = input(3, 32, 32)', ...valid.slice(0, at), broken, ...valid.slice(at), `return ${`v${valid.length - 1}`}`];
        const brokenLine = 1 + 1 + at; // 'model m {' then the input
        const errors = analyze(model(...body)).diagnostics.filter((d) => d.severity === 'error');
        assert.ok(errors.length >= 1, `no error for ${broken}`);
        for (const e of errors) assert.equal(e.range.start.line, brokenLine, `${e.code} on line ${e.range.start.line}: ${e.message}\n${model(...body)}`);
      },
    ),
    { seed: 20261207, numRuns: 300 },
  );
});
