// What the Layers API support reports where it cannot follow: a layer with several outputs in a
// sequential model, options not modelled, a model inside itself, and what the profile does not replay.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { simulateTfjsCpu } from '../../../server/src/core/analysis/framework/tfjsCpu';
import { analyzeFixture, builtModel, ready } from './helpers';

function analyse(body: string): { diagnostics: string[]; graphs: string[] } {
  const a = analyzeTfjs(`import * as tf from '@tensorflow/tfjs';\n${body}\n`, { defaults: BUILTIN_DEFAULTS, language: 'typescript' });
  return { diagnostics: a.diagnostics.map((d) => `${d.code} ${d.range.start.line + 1}: ${d.message}`), graphs: a.graphs.map((g) => g.name) };
}

before(ready);

describe('recurrent layers: states and merge modes', () => {
  it('a layer returning its states cannot be a layer of a sequential model (tf.js throws)', () => {
    const r = analyse(`const model = tf.sequential();
model.add(tf.layers.lstm({ units: 4, returnState: true, inputShape: [5, 3] }));`);
    assert.deepEqual(r.diagnostics, ["NNM306 3: lstm returns 3 tensors here, where one is needed (a layer of a sequential model must have one output; tf.js throws)"]);
  });

  it('returnState of stacked cells and of a bidirectional wrapper are named as not modelled', () => {
    const r = analyse(`const x = tf.input({ shape: [5, 3] });
const s = tf.layers.rnn({ cell: [tf.layers.lstmCell({ units: 2 }), tf.layers.lstmCell({ units: 2 })], returnState: true }).apply(x);
export const a = tf.model({ inputs: x, outputs: s });
const y = tf.input({ shape: [5, 3] });
const b = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2, returnState: true }) }).apply(y);
export const c = tf.model({ inputs: y, outputs: b });`);
    assert.equal(r.diagnostics.length, 2);
    assert.match(r.diagnostics[0]!, /^NNM303 3: rnn\(lstmCell, lstmCell\): returnState with stacked cells is not supported by memlens yet/);
    assert.match(r.diagnostics[1]!, /^NNM303 6: bidirectional with returnState is not supported by memlens yet/);
  });

  it('an unknown merge mode is an invalid config', () => {
    const r = analyse(`const x = tf.input({ shape: [5, 3] });
export const m = tf.model({ inputs: x, outputs: tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2 }), mergeMode: 'max' }).apply(x) });`);
    assert.deepEqual(r.diagnostics, ["NNM306 3: bidirectional 'mergeMode' must be one of 'concat', 'sum', 'mul', 'ave', got 'max'"]);
  });

  it('an initialState of the wrong count is a shape error', () => {
    const r = analyse(`const x = tf.input({ shape: [5, 3] });
const [o, h] = tf.layers.gru({ units: 2, returnState: true }).apply(x);
export const m = tf.model({ inputs: x, outputs: tf.layers.lstm({ units: 2 }).apply(x, { initialState: [h] }) });`);
    assert.deepEqual(r.diagnostics, ['NNM304 4: lstm takes 2 initial states, got 1 (tf.js throws)']);
  });

  it('the TensorFlow.js profile names what it does not replay instead of a figure', () => {
    const gaps = (graph: string): readonly string[] => {
      const r = simulateTfjsCpu(builtModel(analyzeFixture('recurrent_states.ts'), graph).graph!, 1, false);
      return 'unsupported' in r ? r.unsupported : [];
    };
    assert.deepEqual(gaps('buildEncoderStates'), ['lstm with returnState']);
    assert.deepEqual(gaps('buildMergeModes'), ["bidirectional(lstm) with mergeMode 'sum'", "bidirectional(lstm) with mergeMode 'mul'", "bidirectional(gru) with mergeMode 'ave'", 'bidirectional(simpleRNN) with mergeMode null']);
  });
});

describe('models used as layers', () => {
  it('a model added to itself is reported, not expanded', () => {
    const r = analyse(`const model = tf.sequential();
model.add(tf.layers.dense({ units: 2, inputShape: [3] }));
model.add(model);`);
    assert.deepEqual(r.diagnostics, ["NNM306 4: model 'model', applied here as a layer, contains itself"]);
  });

  it('a model that cannot be analysed says so where it is applied', () => {
    const r = analyse(`export function build(units: number) {
  const inner = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
  for (let i = 0; i < units; i++) inner.add(tf.layers.dense({ units: 3 }));
  const x = tf.input({ shape: [4] });
  return tf.model({ inputs: x, outputs: inner.apply(x) });
}`);
    assert.ok(r.diagnostics.some((d) => /^NNM301 6: model 'build.inner', applied here as a layer, is not analysed: /.test(d)), r.diagnostics.join('\n'));
  });

  it('the weights of a model applied twice are counted once; the profile gives a reason', () => {
    const built = builtModel(analyzeFixture('nested_models.ts'), 'buildSiameseModel');
    const graph = built.graph!;
    const tower = built.applications.filter((a) => a.layer.type === 'dense' && graph.ops[a.ops[0]!]!.params.trainable === 104);
    assert.equal(tower.length, 1, 'the tower\'s first dense counts its 12 x 8 + 8 weights once');
    assert.equal(graph.ops.filter((op) => op.sharesParamsWith !== undefined).length, 2, 'its second application shares both dense layers');
    const r = simulateTfjsCpu(graph, 1, false);
    assert.deepEqual('unsupported' in r ? r.unsupported : [], ['a model applied as a layer (tf.js runs it inside one tidy)']);
  });

  it('model.trainable = false freezes the weights of the models compiled after it', () => {
    const analysis = analyzeFixture('nested_models.ts');
    const counts = (graph: string): [number, number] => {
      const g = builtModel(analysis, graph).graph!;
      return [g.ops.reduce((n, op) => n + op.params.trainable, 0), g.ops.reduce((n, op) => n + op.params.nonTrainable, 0)];
    };
    // compiled while trainable: tf.js' compile() collected its weights, its own training updates them
    assert.deepEqual(counts('buildGan.discriminator'), [681, 0]);
    // the combined model, compiled after the freeze: the generator's 4,441 weights train, the discriminator's do not
    assert.deepEqual(counts('buildGan.combined'), [4441, 681]);
    const never = analyse(`const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
m.trainable = false;`);
    assert.deepEqual(never.diagnostics, []);
    const r = analyzeTfjs(`import * as tf from '@tensorflow/tfjs';
const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
m.trainable = false;`, { defaults: BUILTIN_DEFAULTS, language: 'typescript' });
    assert.deepEqual(r.graphs[0]!.ops.map((op) => op.params), [{ trainable: 0, nonTrainable: 0 }, { trainable: 0, nonTrainable: 8 }]);
  });

  it('a trainable flag that is not static is reported', () => {
    const r = analyse(`export function build(freeze: boolean) {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
  m.trainable = freeze;
  return m;
}`);
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0]!, /^NNM301 4: model 'build.m'.trainable is not statically resolvable: 'freeze' is a function parameter/);
  });

  it('a model applied to a tensor its weights do not fit is a shape error (tf.js fails when it runs)', () => {
    const r = analyse(`const image = tf.input({ shape: [8, 8, 1] });
const flat = tf.layers.flatten({}).apply(tf.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(image));
const critic = tf.model({ inputs: image, outputs: tf.layers.dense({ units: 1 }).apply(flat) });
const big = tf.input({ shape: [10, 10, 1] });
export const outer = tf.model({ inputs: big, outputs: critic.apply(big) });`);
    assert.deepEqual(r.diagnostics, ['NNM304 6: dense was built for [72] (73 parameters); applied here to [128] it would need 129: its weights do not fit (tf.js fails when the model runs)']);
  });
});
