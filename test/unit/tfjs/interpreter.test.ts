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

/** the value of a static expression, read back as the units of a dense layer on one input (params = 2 units) */
function unitsOf(prelude: string, expr: string): number | string {
  const r = analyze(`${prelude}\nconst probe = tf.sequential({layers: [tf.layers.dense({units: ${expr}, inputShape: [1]})]});`);
  const g = r.graphs[0];
  if (!g) return r.diagnostics.map((d) => d.message).join('; ');
  return g.ops.reduce((n, op) => n + op.params.trainable, 0) / 2;
}

describe('undefined', () => {
  it('compares, converts and defaults as JavaScript does', () => {
    assert.equal(unitsOf('', '(undefined > 0 ? 100 : 1) + (undefined <= 0 ? 100 : 0) + (null >= 0 ? 2 : 200)'), 3);
    assert.equal(unitsOf('const o = {};', 'o.missing ?? 4'), 4);
    assert.equal(unitsOf('', '(0 ?? 9) + (null ?? 5)'), 5);
    assert.equal(unitsOf("const o = {a: ''};", "(o.a || 'x') === 'x' ? 6 : 1"), 6);
    assert.equal(unitsOf('', '(null == undefined ? 3 : 0) + (null === undefined ? 100 : 4)'), 7);
    assert.equal(unitsOf('', "typeof undefined === 'undefined' && typeof null === 'object' ? 8 : 1"), 8);
    assert.equal(unitsOf('const o = undefined;', 'o?.units ?? 9'), 9);
  });
  it('a default parameter replaces undefined only, a left-out argument is undefined', () => {
    const prelude = 'function pick(a = 5, b) { return b === undefined ? a : a + b; }';
    assert.equal(unitsOf(prelude, 'pick()'), 5);
    assert.equal(unitsOf(prelude, 'pick(undefined, 2)'), 7);
    // null is not undefined: the default does not apply, and null + 2 is 2
    assert.equal(unitsOf(prelude, 'pick(null, 2)'), 2);
    assert.equal(unitsOf('function f({units = 3} = {}) { return units; }', 'f() + f({units: 4})'), 7);
  });
  it('undefined arithmetic is NaN, which tf.js rejects as units', () => {
    assert.match(String(unitsOf('', 'undefined + 1')), /units/);
  });
});
