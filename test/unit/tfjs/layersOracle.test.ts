// The Layers API fixtures (layer names and aliases, recurrent states and merge modes, models used as
// layers) against TensorFlow.js 4.22: test/fixtures/tfjs/layers_oracle.json, written by
// scripts/tfjs_layers_oracle.mjs, holds each model's parameter counts, output shapes and, layer by
// layer, parameters and the output shapes of every application. memlens' static result must equal them.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFixture, builtModel, FIXTURES, ready } from './helpers';

interface OracleModel {
  readonly params: number;
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly outputs: number[][];
  readonly layers: readonly { readonly name: string; readonly className: string; readonly params: number; readonly applications: number[][][] }[];
}

const oracle = JSON.parse(readFileSync(join(FIXTURES, 'layers_oracle.json'), 'utf8')) as { tfjs: string; models: Record<string, OracleModel> };

/** the graph memlens names each builder's model */
const GRAPHS: Readonly<Record<string, string>> = {
  'layer_names.ts:buildAliasedSequence': 'buildAliasedSequence.model',
  'layer_names.ts:buildAliasedImage': 'buildAliasedImage',
  'layer_names.ts:buildDots': 'buildDots',
  'recurrent_states.ts:buildEncoderStates': 'buildEncoderStates',
  'recurrent_states.ts:buildSeq2Seq': 'buildSeq2Seq',
  'recurrent_states.ts:buildGruStates': 'buildGruStates',
  'recurrent_states.ts:buildCellRnns': 'buildCellRnns.model',
  'recurrent_states.ts:buildMergeModes': 'buildMergeModes',
  'nested_models.ts:buildAutoencoder': 'buildAutoencoder',
  'nested_models.ts:buildStackedSequential': 'buildStackedSequential',
  'nested_models.ts:buildAddedModel': 'buildAddedModel.model',
  'nested_models.ts:buildGan': 'buildGan.combined',
  'nested_models.ts:buildTwoInputModel': 'buildTwoInputModel',
  'nested_models.ts:buildSiameseModel': 'buildSiameseModel',
};

/** tf.js lists a nested model as one layer; memlens lists the layers it applies */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model', 'LayersModel']);

before(ready);

describe(`Layers API fixtures against tf.js ${oracle.tfjs} (layers_oracle.json)`, () => {
  it('the oracle lists every case and the table every oracle model', () => {
    assert.deepEqual(Object.keys(oracle.models).sort(), Object.keys(GRAPHS).sort());
  });
  for (const [key, expected] of Object.entries(oracle.models)) {
    it(key, () => {
      const file = key.split(':')[0]!;
      const built = builtModel(analyzeFixture(file), GRAPHS[key]!);
      const graph = built.graph!;
      const trainable = graph.ops.reduce((n, op) => n + op.params.trainable, 0);
      const nonTrainable = graph.ops.reduce((n, op) => n + op.params.nonTrainable, 0);
      assert.equal(trainable + nonTrainable, expected.params, 'countParams');
      assert.equal(trainable, expected.trainable, 'trainable');
      assert.equal(nonTrainable, expected.nonTrainable, 'non-trainable');
      assert.deepEqual(graph.outputs.map((t) => [...graph.tensors[t]!.shape]), expected.outputs, 'output shapes');

      // layer by layer, in creation order; a nested model stands for its own layers there
      const ours = new Map<number, (typeof built.applications)[number][]>();
      for (const app of built.applications) ours.set(app.layer.serial, [...(ours.get(app.layer.serial) ?? []), app]);
      const ourLayers = [...ours.entries()].sort((a, b) => a[0] - b[0]).map(([, apps]) => apps);
      const nested = expected.layers.filter((l) => MODEL_CLASSES.has(l.className));
      const plain = expected.layers.filter((l) => !MODEL_CLASSES.has(l.className));
      if (nested.length === 0) {
        assert.equal(ourLayers.length, plain.length, 'layer count');
        plain.forEach((layer, i) => {
          const apps = ourLayers[i]!;
          const where = `${layer.name} (${layer.className}) vs ${apps[0]!.layer.type}`;
          assert.deepEqual(apps.map((a) => a.outputs.map((t) => [...graph.tensors[t]!.shape])), layer.applications, `output shapes of ${where}`);
          const count = apps[0]!.ops.reduce((n, id) => n + graph.ops[id]!.params.trainable + graph.ops[id]!.params.nonTrainable, 0);
          assert.equal(count, layer.params, `params of ${where}`);
        });
      } else {
        // each nested model's weights once, however often it is applied
        const inner = nested.reduce((n, l) => n + l.params, 0) + plain.reduce((n, l) => n + l.params, 0);
        assert.equal(inner, expected.params);
        const counted = built.applications.filter((a) => a.ops.every((id) => graph.ops[id]!.sharesParamsWith === undefined));
        assert.equal(new Set(counted.map((a) => a.layer)).size, counted.length, 'a layer object counts its weights at one application only');
      }
    });
  }
});
