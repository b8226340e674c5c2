// Behaviour of the TensorFlow.js frontend on small sources: import forms, refs and ranges,
// settings from compile()/fit(), diagnostics, incremental re-parsing.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { analyzeTfjs, forgetDocument, mentionsTfjs } from '../../../server/src/core/tfjs/frontend';
import { diffEdit } from '../../../server/src/core/tfjs/parse';
import { analyzeFixture, ready } from './helpers';

const analyze = (text: string, documentKey?: string) =>
  analyzeTfjs(text, { defaults: BUILTIN_DEFAULTS, language: 'typescript', ...(documentKey ? { documentKey } : {}) });

/** total parameters of the only graph */
function onlyParams(text: string): number {
  const r = analyze(text);
  assert.equal(r.graphs.length, 1, `graphs: ${JSON.stringify(r.diagnostics.map((d) => d.message))}`);
  return r.graphs[0]!.ops.reduce((n, op) => n + op.params.trainable + op.params.nonTrainable, 0);
}

before(ready);

describe('import forms', () => {
  const body = (tf: string) => `const m = ${tf}sequential({layers: [${tf}layers.dense({units: 3, inputShape: [4]})]});`;
  it('namespace, default, tfjs-node and require imports all bind tf', () => {
    assert.equal(onlyParams(`import * as tf from '@tensorflow/tfjs';\n${body('tf.')}`), 15);
    assert.equal(onlyParams(`import tf from '@tensorflow/tfjs-node';\n${body('tf.')}`), 15);
    assert.equal(onlyParams(`const tf = require('@tensorflow/tfjs');\n${body('tf.')}`), 15);
    assert.equal(onlyParams(`const {layers, sequential} = require('@tensorflow/tfjs');\n${body('')}`), 15);
  });
  it('named imports with aliases', () => {
    const text = `import {layers as L, sequential as seq} from '@tensorflow/tfjs';\nconst m = seq({layers: [L.dense({units: 3, inputShape: [4]})]});`;
    assert.equal(onlyParams(text), 15);
  });
  it('a file without a TensorFlow.js import is answered without parsing', () => {
    assert.equal(mentionsTfjs('const x = 1;'), false);
    const r = analyze('const keras = something; keras.fit(x);');
    assert.deepEqual([r.graphs.length, r.diagnostics.length], [0, 0]);
  });
  it('the same names from another module are not TensorFlow.js', () => {
    const r = analyze(`import * as tf from './mylib'; // @tensorflow/tfjs\nconst m = tf.sequential({layers: [tf.layers.dense({units: 3, inputShape: [4]})]});`);
    assert.equal(r.graphs.length, 0);
  });
});

describe('static values', () => {
  it('consts, arithmetic, spreads, ternaries, Math and local functions', () => {
    const text = `import * as tf from '@tensorflow/tfjs';
const W = 8; const SHAPE = [2 * W];
const cfg = {units: W / 2, useBias: false};
function head(n: number) { return tf.layers.dense({units: n > 1 ? n : 1}); }
const m = tf.sequential({layers: [tf.layers.dense({...cfg, inputShape: [...SHAPE]}), head(Math.max(3, 1))]});`;
    // 16*4 (no bias) + 4*3+3
    assert.equal(onlyParams(text), 79);
  });
  it('a counted loop is unrolled', () => {
    const text = `import * as tf from '@tensorflow/tfjs';
const m = tf.sequential(); m.add(tf.layers.dense({units: 2, inputShape: [2]}));
for (let i = 0; i < 3; i += 1) { m.add(tf.layers.dense({units: 2})); }`;
    assert.equal(onlyParams(text), 24);
  });
  it('an unresolvable value gets an info diagnostic on the exact expression', () => {
    const text = `import * as tf from '@tensorflow/tfjs';\nexport function f(k: number) {\n  return tf.sequential({layers: [tf.layers.dense({units: k * 2, inputShape: [3]})]});\n}`;
    const r = analyze(text);
    assert.equal(r.graphs.length, 0);
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0]!;
    assert.equal(d.code, 'NNM301');
    assert.equal(d.severity, 'info');
    // `k * 2` on line 3
    assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.character], [2, 57, 62]);
    assert.match(d.message, /'k' is a function parameter/);
  });
});

describe('graphs, refs and ranges', () => {
  const text = `import * as tf from '@tensorflow/tfjs';
const model = tf.sequential();
model.add(tf.layers.dense({units: 4, inputShape: [3]}));
model.add(tf.layers.dense({units: 2}));
model.compile({optimizer: 'adam', loss: 'mse'});
model.fit(xs, ys, {batchSize: 16});`;
  it('ranges: graph = the tf.sequential call, name = the variable, statement = the layer call', () => {
    const r = analyze(text);
    const g = r.graphs[0]!;
    assert.equal(g.name, 'model');
    assert.deepEqual(g.nameRange, { start: { line: 1, character: 6 }, end: { line: 1, character: 11 } });
    assert.deepEqual(g.range, { start: { line: 1, character: 14 }, end: { line: 1, character: 29 } });
    const dense = g.ops[1]!;
    assert.equal(dense.op, 'dense');
    assert.deepEqual(dense.statement, { start: { line: 2, character: 0 }, end: { line: 2, character: 55 } });
    assert.deepEqual(dense.site, { start: { line: 2, character: 10 }, end: { line: 2, character: 54 } });
  });
  it('refs: a layer call maps to its op and output, the model variable to its graph', () => {
    const r = analyze(text);
    const opRef = r.refs.find((x) => x.kind === 'op' && x.range.start.line === 3)!;
    assert.deepEqual([opRef.name, opRef.ops, opRef.tensors, opRef.graph], ['dense', [2], [2], 0]);
    const modelRef = r.refs.find((x) => x.kind === 'model' && x.isDefinition)!;
    assert.deepEqual(modelRef.range, r.graphs[0]!.nameRange);
  });
  it('compile() and fit() settings reach the model config; layout is channels-last', () => {
    const c = analyze(text).graphs[0]!.config;
    assert.deepEqual([c.optimizer.kind, c.batch, c.layout], ['adam', 16, 'nhwc']);
  });
  it('a dense layer on a 4-D tensor is a shape error on the layer call', () => {
    const bad = `import * as tf from '@tensorflow/tfjs';
const m = tf.sequential({layers: [tf.layers.conv2d({filters: 4, kernelSize: 3, inputShape: [8, 8, 1]}), tf.layers.dense({units: 2})]});`;
    const r = analyze(bad);
    assert.equal(r.graphs.length, 0);
    const d = r.diagnostics.find((x) => x.code === 'NNM304')!;
    assert.equal(d.severity, 'error');
    assert.deepEqual([d.range.start.line, d.range.start.character], [1, 104]);
    assert.match(d.message, /flatten/);
  });
  it('a sequential model without inputShape says so', () => {
    const r = analyze(`import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential({layers: [tf.layers.dense({units: 2})]});`);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['NNM305']);
  });
  it('analyzeDocument routes typescript and javascript to this frontend', () => {
    assert.equal(analyzeDocument(text, 'typescript').models.length, 1);
    assert.equal(analyzeDocument(text, 'javascript').models.length, 1);
  });
});

describe('incremental re-parsing', () => {
  it('diffEdit finds the changed span', () => {
    const e = diffEdit('ab\ncd', 'ab\nxcd');
    assert.deepEqual([e.startIndex, e.oldEndIndex, e.newEndIndex], [3, 3, 4]);
    assert.deepEqual([e.startPosition, e.newEndPosition], [{ row: 1, column: 0 }, { row: 1, column: 1 }]);
  });
  it('every version analysed through the cache equals a fresh analysis', () => {
    const base = `import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential({layers: [tf.layers.dense({units: 4, inputShape: [3]})]});\n`;
    const versions = [base, base.replace('units: 4', 'units: 40'), base.replace('units: 4', 'units: 4'), `// x\n${base}`, base + 'm.add(tf.layers.dense({units: 1}));\n'];
    const key = 'file:///incremental.ts';
    for (const v of versions) {
      const cached = analyze(v, key);
      const fresh = analyze(v);
      assert.deepEqual(JSON.parse(JSON.stringify(cached.graphs)), JSON.parse(JSON.stringify(fresh.graphs)));
    }
    forgetDocument(key);
  });
});

describe('the unresolvable fixture', () => {
  it('three models are reported where they stop being static, the fourth is analysed', () => {
    const r = analyzeFixture('unresolvable.ts');
    assert.deepEqual(r.graphs.map((g) => g.name), ['buildStatic.fixed']);
    const found = r.diagnostics.map((d) => [d.code, d.range.start.line + 1, d.range.start.character, d.severity]);
    assert.deepEqual(found, [
      // `units` shorthand in buildWide (a parameter)
      ['NNM301', 6, 52, 'info'],
      // the loop condition `i < depth`
      ['NNM302', 12, 18, 'info'],
      // the branch condition `Math.random() > 0.5`
      ['NNM302', 19, 6, 'info'],
    ]);
  });
});

describe('functional API refs', () => {
  it('a variable bound to a tensor maps to it; a shared layer call maps to both applications', () => {
    const r = analyzeFixture('shared_layer.ts');
    const g = r.graphs[0]!;
    const a = r.refs.find((x) => x.kind === 'tensor' && x.name === 'a')!;
    assert.deepEqual(g.tensors[a.tensors![0]!]!.shape, [16]);
    // `tf.layers.dense({ units: 16, ... })` stored in `encoder` and applied twice
    const encoder = r.refs.find((x) => x.kind === 'op' && x.range.start.line === 7)!;
    assert.equal(encoder.ops!.length, 2);
    const [first, second] = encoder.ops!.map((id) => g.ops[id]!);
    assert.equal(second!.sharesParamsWith, first!.id);
    assert.deepEqual([first!.params.trainable, second!.params.trainable], [528, 0]);
  });
});

describe('classes', () => {
  it('a method builds a model on `this` and calls another method', () => {
    const text = `import * as tf from '@tensorflow/tfjs';
export class Net {
  model!: tf.Sequential;
  block(units: number) { this.model.add(tf.layers.dense({units, activation: 'relu'})); }
  build() {
    this.model = tf.sequential();
    this.model.add(tf.layers.dense({units: 4, inputShape: [2]}));
    this.block(3);
    return this.model;
  }
}`;
    const r = analyze(text);
    assert.deepEqual(r.graphs.map((g) => [g.name, g.ops.length]), [['Net.build.model', 3]]);
    assert.equal(onlyParams(text), 12 + 15);
  });
});

describe('models handed to unknown code', () => {
  it('an empty sequential model passed to an imported function says so', () => {
    const r = analyze(`import * as tf from '@tensorflow/tfjs';\nimport { addLayers } from './lib';\nconst m = tf.sequential();\naddLayers(m);`);
    // the import (an untitled document: no file to read it from), then the model it leaves empty
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.range.start.line]), [['NNM301', 1], ['NNM301', 3]]);
    assert.match(r.diagnostics[0]!.message, /'addLayers' from '\.\/lib': the file has no path on disk/);
    assert.match(r.diagnostics[1]!.message, /addLayers\(\)/);
  });
});

describe('dialects', () => {
  it('JavaScript with JSX is parsed with the TSX grammar', () => {
    const text = `import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]});\nexport const View = () => <div>{m.name}</div>;\n`;
    const r = analyzeTfjs(text, { defaults: BUILTIN_DEFAULTS, language: 'javascript' });
    assert.deepEqual(r.graphs.map((g) => g.name), ['m']);
    assert.equal(r.diagnostics.length, 0);
  });
});

describe('training settings', () => {
  const model = (tail: string) => `import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]});\n${tail}`;
  it('tf.train optimizers and string names map by the state they keep per weight', () => {
    const kinds = ["'rmsprop'", 'tf.train.adam(0.001)', 'tf.train.momentum(0.1, 0.8)', "'adagrad'", 'tf.train.sgd(0.1)'].map((o) => {
      const c = analyze(model(`m.compile({optimizer: ${o}, loss: 'mse'});`)).graphs[0]!.config.optimizer;
      return [c.kind, c.momentum];
    });
    assert.deepEqual(kinds, [['adam', 0], ['adam', 0], ['sgd', 0.8], ['sgd', 0.9], ['sgd', 0]]);
  });
  it('fitDataset takes the batch size given to dataset.batch(); a run-time batch size is reported', () => {
    assert.equal(analyze(model('await m.fitDataset(ds.batch(16), {epochs: 1});')).graphs[0]!.config.batch, 16);
    const r = analyze(model('export function train(n: number) { return m.fit(x, y, {batchSize: n}); }\ntrain(4);'));
    assert.equal(r.graphs[0]!.config.batch, 4);
    const r2 = analyze(model('m.fit(x, y, {batchSize: Number(process.env.B)});'));
    assert.equal(r2.graphs[0]!.config.batch, BUILTIN_DEFAULTS.batch);
    assert.deepEqual(r2.diagnostics.map((d) => d.code), ['NNM301']);
  });
});
