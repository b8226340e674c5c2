// The static interpreter on small sources: switch, undefined, built-ins, shapes read while
// building, classes, entry points, local imports. Counts are worked out by hand in the comments.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { ready } from './helpers';

const HEADER = `import * as tf from '@tensorflow/tfjs';\n`;
const analyze = (body: string, documentKey?: string) =>
  analyzeTfjs(HEADER + body, { defaults: BUILTIN_DEFAULTS, language: 'typescript', ...(documentKey ? { documentKey } : {}) });

/** `name: total parameters` of each graph, in source order */
function params(body: string): string[] {
  return analyze(body).graphs.map((g) => `${g.name}: ${g.ops.reduce((n, op) => n + op.params.trainable + op.params.nonTrainable, 0)}`);
}

function messages(body: string): string[] {
  return analyze(body).diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.character} ${d.message}`);
}

before(ready);

describe('switch', () => {
  it('takes the matching case, falls through until break, and the default', () => {
    const body = `function build(kind) {
  const m = tf.sequential();
  m.add(tf.layers.dense({units: 4, inputShape: [2]}));
  switch (kind) {
    case 'a': m.add(tf.layers.dense({units: 3}));
    case 'b': m.add(tf.layers.dense({units: 2})); break;
    case 'c': m.add(tf.layers.dense({units: 100})); break;
    default: m.add(tf.layers.dense({units: 1}));
  }
  return m;
}
const a = build('a'); const b = build('b'); const z = build('z');`;
    // 2*4+4 = 12, then a: +15 +8; b: +10; z: +5
    assert.deepEqual(params(body), ['build.m: 35', 'build.m: 22', 'build.m: 17']);
  });
  it('a run-time discriminant leaves the model unanalysed with the reason on the discriminant', () => {
    const body = `const m = tf.sequential();
m.add(tf.layers.dense({units: 4, inputShape: [2]}));
switch (Math.random()) { case 1: m.add(tf.layers.dense({units: 3})); break; }`;
    assert.deepEqual(params(body), []);
    assert.deepEqual(messages(body), ["NNM302 3:8 model 'm' is not analysed: this switch depends on a run-time value (Math.random is computed at run time)"]);
  });
  it('a continue inside a switch continues the enclosing loop', () => {
    const body = `const m = tf.sequential();
m.add(tf.layers.dense({units: 4, inputShape: [2]}));
for (const u of [1, 2, 3]) { switch (u) { case 2: continue; } m.add(tf.layers.dense({units: u})); }`;
    // 12 + (4+1) + (1*3+3)
    assert.deepEqual(params(body), ['m: 23']);
  });
});
