// TensorFlow.js is the oracle: each fixture is built with tf.js (our own files, executed by the
// test only) and memlens' static result must match its parameter counts and every layer's shapes.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyzeFixture, builtModel, FIXTURES, ready } from './helpers';
import { join } from 'node:path';

interface Case {
  readonly file: string;
  readonly exportName: string;
  readonly graph: string;
  /** reference totals (Keras applications / hand count), checked against tf.js too */
  readonly params?: number;
}

const CASES: readonly Case[] = [
  { file: 'mlp.ts', exportName: 'buildMlp', graph: 'buildMlp.model', params: 235146 },
  { file: 'lenet.ts', exportName: 'buildLeNet', graph: 'buildLeNet.model' },
  { file: 'vgg16.ts', exportName: 'buildVgg16', graph: 'buildVgg16.model', params: 138357544 },
  { file: 'resnet50.ts', exportName: 'buildResNet50', graph: 'buildResNet50.resnet', params: 25636712 },
  { file: 'mobilenet_v2.ts', exportName: 'buildMobileNetV2', graph: 'buildMobileNetV2', params: 3538984 },
  { file: 'lstm_text.ts', exportName: 'buildLstmText', graph: 'buildLstmText.model' },
  { file: 'gru_bidirectional.ts', exportName: 'buildTagger', graph: 'buildTagger' },
  { file: 'shared_layer.ts', exportName: 'buildSiamese', graph: 'buildSiamese' },
  { file: 'unresolvable.ts', exportName: 'buildStatic', graph: 'buildStatic.fixed' },
  { file: 'layer_zoo.ts', exportName: 'buildImageZoo', graph: 'buildImageZoo' },
  { file: 'layer_zoo.ts', exportName: 'buildSequenceZoo', graph: 'buildSequenceZoo.model' },
  { file: 'layer_zoo.ts', exportName: 'buildVolumeZoo', graph: 'buildVolumeZoo' },
];

function weightCount(weights: readonly tf.LayerVariable[]): number {
  return weights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/** output shapes of every application of a layer, batch axis dropped */
function applicationShapes(layer: tf.layers.Layer): number[][] {
  const nodes = (layer as unknown as { inboundNodes: { outputShapes: (number | null)[] | (number | null)[][] }[] }).inboundNodes;
  return nodes.map((n) => {
    const s = n.outputShapes;
    const single = (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
    return single.slice(1) as number[];
  });
}

before(async () => {
  await ready();
  await tf.setBackend('cpu');
});

describe('tf.js oracle: parameters and shapes', () => {
  for (const c of CASES) {
    it(`${c.file}: ${c.graph}`, async () => {
      const analysis = analyzeFixture(c.file);
      const built = builtModel(analysis, c.graph);
      const graph = built.graph!;
      const mod = (await import(join(FIXTURES, c.file))) as Record<string, () => tf.LayersModel>;
      const model = mod[c.exportName]!();
      try {
        const params = graph.ops.reduce((acc, op) => ({ t: acc.t + op.params.trainable, n: acc.n + op.params.nonTrainable }), { t: 0, n: 0 });
        assert.equal(params.t + params.n, model.countParams(), 'countParams');
        assert.equal(params.t, weightCount(model.trainableWeights), 'trainable');
        assert.equal(params.n, weightCount(model.nonTrainableWeights), 'non-trainable');
        if (c.params !== undefined) assert.equal(params.t + params.n, c.params, 'reference count');

        // layers in creation order on both sides (tf.js layer ids increase as layers are made)
        const tfLayers = model.layers.filter((l) => l.getClassName() !== 'InputLayer').sort((a, b) => a.id - b.id);
        const ours = new Map<number, typeof built.applications[number][]>();
        for (const app of built.applications) ours.set(app.layer.serial, [...(ours.get(app.layer.serial) ?? []), app]);
        const ourLayers = [...ours.entries()].sort((a, b) => a[0] - b[0]).map(([, apps]) => apps);
        assert.equal(ourLayers.length, tfLayers.length, 'layer count');
        tfLayers.forEach((layer, i) => {
          const apps = ourLayers[i]!;
          const where = `${layer.name} (${layer.getClassName()}) vs ${apps[0]!.layer.type}`;
          const shapes = apps.map((a) => [...graph.tensors[a.output]!.shape]);
          assert.deepEqual(shapes, applicationShapes(layer), `output shapes of ${where}`);
          const first = apps[0]!.ops.map((id) => graph.ops[id]!.params);
          const count = first.reduce((n, p) => n + p.trainable + p.nonTrainable, 0);
          assert.equal(count, layer.countParams(), `params of ${where}`);
        });
      } finally {
        model.dispose();
      }
    });
  }
});
