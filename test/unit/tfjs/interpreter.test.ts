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

describe('built-ins on static values', () => {
  it('array methods with callbacks, Array and Object functions, conversions', () => {
    assert.equal(unitsOf('', '[1, 2, 3].map((x) => x * 2).filter((x) => x > 2).reduce((a, b) => a + b, 0)'), 10);
    assert.equal(unitsOf('', "Array.isArray([1]) && !Array.isArray('a') && [1, 2].includes(2) && [1, 2].some((x) => x > 1) && ![1, 2].every((x) => x > 1) ? 11 : 1"), 11);
    assert.equal(unitsOf('', 'Array.from({length: 4}, (_, i) => i).reduce((a, b) => a + b) + Array.from([5]).length'), 7);
    assert.equal(unitsOf('const o = {a: 2, b: 3};', 'Object.keys(o).length + Object.values(o).reduce((a, b) => a + b) + Object.entries(o)[1][1]'), 10);
    assert.equal(unitsOf('const o = Object.assign({}, {a: 2}, {b: 5});', 'o.a * o.b'), 10);
    assert.equal(unitsOf('', "Number('12') + parseInt('3px') + String(4).length + Number(undefined === undefined)"), 17);
    assert.equal(unitsOf('', "'64,32'.split(',').map(Number)[1] + ['a', 'b'].join('-').length + Math.max(...[2, 9, 4])"), 44);
    assert.equal(unitsOf('const n = 3;', "`a${n}b${[1, 2]}\\n${undefined}` === 'a3b1,2\\nundefined' ? 5 : 1"), 5);
    assert.equal(unitsOf('const xs = []; xs.push(3); xs.push(4);', 'xs.length + xs[1] + [1, 2, 3].indexOf(3) + [[1], [2]].flat().length'), 10);
  });
  it('forEach adds a layer per item, with the index', () => {
    const body = `const sizes = [8, 4];
const m = tf.sequential();
sizes.forEach((s, i) => m.add(tf.layers.dense(i === 0 ? {units: s, inputShape: [2]} : {units: s})));
m.add(tf.layers.dense({units: 1}));`;
    // 2*8+8 + 8*4+4 + 4+1
    assert.deepEqual(params(body), ['m: 65']);
  });
  it('layers collected with push and map make a sequential model', () => {
    const body = `const layers = [16, 8].map((u, i) => tf.layers.dense({units: u, ...(i === 0 ? {inputShape: [4]} : {})}));
layers.push(tf.layers.dense({units: 2}));
const m = tf.sequential({layers});`;
    // 4*16+16 + 16*8+8 + 8*2+2
    assert.deepEqual(params(body), ['m: 234']);
  });
  it('forEach over a run-time array is reported on the call, never skipped silently', () => {
    const body = `export function build(sizes: number[]) {
  const m = tf.sequential();
  m.add(tf.layers.dense({units: 4, inputShape: [2]}));
  sizes.forEach((s) => m.add(tf.layers.dense({units: s})));
  m.add(tf.layers.dense({units: 1}));
  return m;
}`;
    assert.deepEqual(params(body), []);
    assert.deepEqual(messages(body), ["NNM302 4:16 model 'build.m' is not analysed: it is changed in a callback (forEach() is not followed: 'sizes' is a function parameter)"]);
  });
});

describe('shapes read while building', () => {
  it('tensor.shape, rank and destructuring follow the layers that made the tensor', () => {
    const body = `const x = tf.input({shape: [8, 8, 3]});
const y = tf.layers.conv2d({filters: 5, kernelSize: 3}).apply(x);
const [batch, h, , c] = y.shape;
const z = tf.layers.flatten().apply(y);
const out = tf.layers.dense({units: (batch === null ? 1 : 100) * h * c + z.shape[1] - y.rank}).apply(z);
const m = tf.model({inputs: x, outputs: out});`;
    // conv 3*3*3*5+5 = 140 on [6, 6, 5]; units = 6*5 + 180 - 4 = 206; dense 180*206+206
    assert.deepEqual(params(body), [`m: ${140 + 180 * 206 + 206}`]);
  });
  it('a shape that cannot be known says why, on the read', () => {
    const noInput = `const m = tf.sequential();
m.add(tf.layers.dense({units: 4}));
m.add(tf.layers.dense({units: m.outputShape[1]}));`;
    // the first layer's missing inputShape is the cause, and is what the model reports
    assert.deepEqual(messages(noInput), ["NNM305 2:6 the first layer of 'm' declares no inputShape or batchInputShape: tf.js infers the shapes at the first call, memlens cannot; add inputShape to analyse the model"]);
    const notApplied = `const d = tf.layers.dense({units: 4});
const m = tf.sequential({layers: [tf.layers.dense({units: d.outputShape[1], inputShape: [2]})]});`;
    assert.match(messages(notApplied).join('\n'), /outputShape is known once it is applied/);
    const runtime = `export function train(xTrain) {
  const m = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [xTrain.shape[1]]})]});
}`;
    assert.deepEqual(messages(runtime), ["NNM301 2:76 dense 'inputShape' is not statically resolvable: 'xTrain' is a function parameter; model 'train.m' is not analysed"]);
  });
});

describe('outputShape of a layer returning several tensors', () => {
  it('an lstm with returnState: a list of shapes, [output, h, c], as tf.js gives it', () => {
    const body = `const x = tf.input({shape: [5, 3]});
const lstm = tf.layers.lstm({units: 4, returnSequences: true, returnState: true});
const [seq, h, c] = lstm.apply(x);
const [[, t, u], [, hu], [, cu]] = lstm.outputShape;
const out = tf.layers.dense({units: t * 100 + u * 10 + hu + cu}).apply(tf.layers.flatten().apply(seq));
const m = tf.model({inputs: x, outputs: out});`;
    // lstm 4 * (3 + 4 + 1) * 4 = 128; outputShape [[null, 5, 4], [null, 4], [null, 4]]: units 500 + 40 + 8 = 548;
    // flatten [20]; dense 20 * 548 + 548
    assert.deepEqual(params(body), [`m: ${128 + 20 * 548 + 548}`]);
  });
});

describe('classes', () => {
  it('new runs fields, the constructor and methods on this; subclasses and super', () => {
    const body = `class Base { width = 4; constructor(n) { this.n = n; this.model = tf.sequential(); this.model.add(tf.layers.dense({units: this.units(), inputShape: [2]})); }
  units() { return this.width * this.n; } }
class Wider extends Base { constructor() { super(3); this.model.add(tf.layers.dense({units: super.units() + 1})); } units() { return 2; } }
const w = new Wider();`;
    // Base's constructor calls the overriding units() = 2: 2*2+2 = 6; then super.units() + 1 = 4*3 + 1 = 13 units: 2*13+13 = 39
    assert.deepEqual(params(body), ['Base.model: 45']);
  });
  it('a custom layer whose computeOutputShape or weights are not static names the method', () => {
    const layer = (cos: string, build: string) => `class Z extends tf.layers.Layer {
  constructor(config) { super(config); this.units = config.units; }
  build(inputShape) { ${build} }
  computeOutputShape(inputShape) { ${cos} }
}
tf.serialization.registerClass(Z);
export function make(k) {
  const x = tf.input({shape: [3]});
  const y = new Z({units: 2, k}).apply(x);
  return tf.model({inputs: x, outputs: y});
}`;
    assert.deepEqual(params(layer('return [inputShape[0], this.units];', "this.addWeight('w', [inputShape[1], this.units]);")), ['make: 6']);
    assert.deepEqual(messages(layer('return [inputShape[0], this.units * Math.random()];', '')), [
      "NNM301 4:58 custom layer Z is not statically resolvable: Z.computeOutputShape() is not statically resolvable: Math.random is computed at run time; model 'make' is not analysed",
    ]);
    assert.deepEqual(messages(layer('return [inputShape[0], this.units];', "this.addWeight('w', [inputShape[1], this.config.k]);")), [
      "NNM301 3:22 custom layer Z is not statically resolvable: Z.build(): the shape of addWeight('w') is not statically resolvable: reading 'k' of undefined; model 'make' is not analysed",
    ]);
  });
});

describe('entry points and silence', () => {
  it('a model that no code memlens follows builds is reported on its factory call', () => {
    const body = `function build() { return tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]}); }
if (Math.random() > 0.5) build();`;
    assert.deepEqual(params(body), []);
    assert.deepEqual(messages(body), [
      "NNM301 1:26 this model is not analysed: 'build' is never run by code memlens follows (call it from the top level or from a function memlens evaluates, with static arguments)",
    ]);
  });
  it('a statically dead branch is not reported', () => {
    const body = `function build(kind) { if (kind === 'a') return tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]});
  return tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [3]})]}); }
const m = build('b');`;
    assert.deepEqual(params(body), ['build.m: 4']);
    assert.deepEqual(messages(body), []);
  });
  it('a callback that changes a model of the enclosing code leaves it unanalysed, saying why', () => {
    const body = `const m = tf.sequential();
m.add(tf.layers.dense({units: 2, inputShape: [3]}));
button.onclick = () => m.add(tf.layers.dense({units: 1}));`;
    assert.deepEqual(params(body), []);
    assert.deepEqual(messages(body), ["NNM302 3:0 model 'm' is not analysed: it is changed in a callback (button.onclick is a handler called at run time)"]);
  });
  it('require.main === module takes its branch', () => {
    const body = `function run() { const m = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]}); }
if (require.main === module) { run(); }`;
    assert.deepEqual(params(body), ['run.m: 8']);
  });
});

describe('class accessors', () => {
  it('a getter read is reported as not followed, naming the accessor, not as a missing layer option', () => {
    const body = `class Cfg {
  get hidden() { return 16; }
}
export function build() {
  const cfg = new Cfg();
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: cfg.hidden, inputShape: [4] }));
  return model;
}`;
    assert.deepEqual(messages(body), [
      "NNM301 2:2 dense 'units' is not statically resolvable: Cfg.hidden is a get/set accessor, which memlens does not follow yet; model 'build.model' is not analysed",
    ]);
  });
});
