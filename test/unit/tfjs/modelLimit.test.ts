// A new model costs LIMITS.stepsPerModel (1,000) evaluation steps, so the 1,000,000 steps of a
// document hold about 1,000 models: each is built and analysed after the evaluation, and a
// function that called itself making a model each time made 12,992 of them (6 s of CPU) within the
// steps (the fuzzer's case, test/fixtures/fuzz/tfjs_models_recursion.json).
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { ready } from './helpers';

const loop = (n: number): string =>
  `import * as tf from '@tensorflow/tfjs';\nfor (let i = 0; i < ${n}; i++) tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [1]})]});\n`;

before(ready);

it('500 models in a loop are all kept', () => {
  const r = analyzeTfjs(loop(500), { defaults: BUILTIN_DEFAULTS, language: 'typescript' });
  assert.equal(r.graphs.length, 500);
  assert.deepEqual(r.diagnostics.map((d) => d.code), []);
});

it('5,000 models in a loop stop at the step limit after 981 (1,000 steps each, 19 for the loop and the call)', () => {
  // 1,000,000 / 1,019 = 981.3: the 982nd model's charge passes the limit
  const r = analyzeTfjs(loop(5000), { defaults: BUILTIN_DEFAULTS, language: 'typescript' });
  assert.equal(r.graphs.length, 981);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.message}`), ['NNM307 memlens stopped evaluating after 1000000 steps']);
});
