// Constructs met in public TensorFlow.js examples (docs/tfjs.md, 'Measured on real code') on small
// sources: the namespace rebound to another tf.js package, never-silent factories, string.match,
// instanceof, splice, methods that may change an array, run-time input sizes, a page's global `tf`.
// Counts are worked out by hand in the comments.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs, mentionsTfjs } from '../../../server/src/core/tfjs/frontend';
import { ready } from './helpers';

const REQUIRE = `let tf = require('@tensorflow/tfjs');\n`;
const analyze = (text: string) => analyzeTfjs(text, { defaults: BUILTIN_DEFAULTS, language: 'javascript' });

/** `name: total parameters` of each graph, in source order */
function params(text: string): string[] {
  return analyze(text).graphs.map((g) => `${g.name}: ${g.ops.reduce((n, op) => n + op.params.trainable + op.params.nonTrainable, 0)}`);
}

function messages(text: string): string[] {
  return analyze(text).diagnostics.map((d) => `${d.code} ${d.severity} ${d.message}`);
}

// dense 3 -> 2: 3*2 + 2 = 8
const DENSE_MODEL = `const m = tf.sequential();\nm.add(tf.layers.dense({units: 2, inputShape: [3]}));\n`;

before(ready);

describe('the TensorFlow.js namespace', () => {
  it('rebound to another tf.js package under a run-time flag stays the namespace', () => {
    const text = `${REQUIRE}if (process.env.GPU) { tf = require('@tensorflow/tfjs-node-gpu'); } else { tf = require('@tensorflow/tfjs-node'); }\n${DENSE_MODEL}`;
    assert.deepEqual(params(text), ['m: 8']);
    assert.deepEqual(messages(text), []);
  });
  it('rebound to a value memlens does not know: the model says why instead of vanishing', () => {
    const text = `${REQUIRE}if (process.env.GPU) { tf = loadOther(); }\n${DENSE_MODEL}`;
    assert.deepEqual(params(text), []);
    assert.deepEqual(messages(text), [
      "NNM301 info this model is not analysed: tf.sequential() is not statically known (this branch depends on a run-time condition ('process' is not defined in this file))",
    ]);
  });
  it("a page's script uses the global tf of a script tag", () => {
    assert.equal(mentionsTfjs(DENSE_MODEL), true);
    assert.deepEqual(params(DENSE_MODEL), ['m: 8']);
  });
  it('a file that binds tf itself uses its own binding', () => {
    assert.deepEqual(params(`const tf = require('@tensorflow/tfjs-node');\n${DENSE_MODEL}`), ['m: 8']);
    assert.deepEqual(params(`function f(tf) {\n${DENSE_MODEL}}\nf(makeTf());`), []);
  });
});

describe('built-ins met in examples', () => {
  const tagger = (kind: string) => `${REQUIRE}function build(kind) {
  const m = tf.sequential();
  m.add(tf.layers.dense({units: 2, inputShape: [3]}));
  if (kind.match('${kind}')) m.add(tf.layers.dense({units: 1}));
  return m;
}
build('bidirectional-gru');\n`;
  it("string.match with a plain pattern decides a branch (null when absent)", () => {
    // 8, plus 2*1 + 1 = 3 when the pattern is found
    assert.deepEqual(params(tagger('gru')), ['build.m: 11']);
    assert.deepEqual(params(tagger('lstm')), ['build.m: 8']);
  });
  it('string.match with a regular-expression pattern is not evaluated, and says so', () => {
    assert.deepEqual(params(tagger('g.u')), []);
    assert.deepEqual(messages(tagger('g.u')), [
      "NNM302 info model 'build.m' is not analysed: this branch depends on a run-time condition (string.match() with a pattern memlens does not evaluate)",
    ]);
  });
  it('instanceof tf.LayersModel is false for sizes and true for a model', () => {
    const text = `${REQUIRE}function build(sizesOrModel) {
  if (sizesOrModel instanceof tf.LayersModel) return sizesOrModel;
  const m = tf.sequential();
  m.add(tf.layers.dense({units: sizesOrModel[0], inputShape: [3]}));
  return m;
}
const a = build([4]);
const b = build(a);
b.add(tf.layers.dense({units: 1}));\n`;
    // 3*4 + 4 = 16, then the same model grows by 4*1 + 1 = 5
    assert.deepEqual(params(text), ['build.m: 21']);
  });
  it('splice removes in place and returns what it removed', () => {
    const text = `${REQUIRE}const shape = [6, 4, 3];
const removed = shape.splice(1, 1);
const m = tf.sequential();
m.add(tf.layers.dense({units: removed[0], inputShape: shape}));\n`;
    // input [6, 3]: 3*4 + 4 = 16
    assert.deepEqual(params(text), ['m: 16']);
    assert.deepEqual(analyze(text).graphs[0]!.tensors.at(-1)!.shape, [6, 4]);
  });
  it('a method memlens does not evaluate may change the array: its shape is not used', () => {
    const text = `${REQUIRE}const shape = [3, 2];
shape.sort();
const m = tf.sequential();
m.add(tf.layers.dense({units: 2, inputShape: shape}));\n`;
    assert.deepEqual(params(text), []);
    assert.deepEqual(messages(text), [
      "NNM301 info dense 'inputShape' is not statically resolvable: shape.sort() may change it, and memlens does not evaluate that method; model 'm' is not analysed",
    ]);
  });
});

describe('shapes', () => {
  it('a bare integer is a 1-D shape, as tf.js concatenates it onto the batch axis', () => {
    const text = `${REQUIRE}const m = tf.sequential();
m.add(tf.layers.dense({units: 20, inputShape: 1}));
const x = tf.input({shape: 4});
const f = tf.model({inputs: x, outputs: tf.layers.dense({units: 3}).apply(x)});\n`;
    // 1*20 + 20 = 40; 4*3 + 3 = 15
    assert.deepEqual(params(text), ['m: 40', 'f: 15']);
    assert.deepEqual(messages(text), []);
  });
  it('a fractional one is still an invalid shape', () => {
    const text = `${REQUIRE}const m = tf.sequential();\nm.add(tf.layers.dense({units: 2, inputShape: 2.5}));\n`;
    assert.deepEqual(messages(text), ["NNM306 error dense 'inputShape' must be a list of integers, got 2.5"]);
  });
});

describe('tf.input', () => {
  it('a size known only at run time is unresolved (info), not an invalid shape (error)', () => {
    const text = `${REQUIRE}const x = tf.input({shape: [process.argv.length]});
const y = tf.layers.dense({units: 2}).apply(x);
const m = tf.model({inputs: x, outputs: y});\n`;
    assert.deepEqual(messages(text), [
      "NNM301 info the input shape is not statically resolvable: 'process' is not defined in this file; model 'm' is not analysed",
    ]);
  });
});
