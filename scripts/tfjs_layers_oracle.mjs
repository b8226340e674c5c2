// The oracle for the Layers API fixtures (layer names and aliases, recurrent states, models used as
// layers): each builder of test/fixtures/tfjs listed below (our own files, imported and executed here
// through tsx) is built with TensorFlow.js 4.22 on its CPU backend, and its parameter counts, output
// shapes and, layer by layer (tf.js layer ids, InputLayers left out), each layer's parameters and the
// output shapes of its every application are written to test/fixtures/tfjs/layers_oracle.json, which
// test/unit/tfjs/layersOracle.test.ts compares memlens' static result with. Rerun after changing a fixture:
//   node --import tsx scripts/tfjs_layers_oracle.mjs
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'tfjs');
const OUT = join(FIXTURES, 'layers_oracle.json');

/** fixture file -> its builders */
const BUILDERS = {
  'layer_names.ts': ['buildAliasedSequence', 'buildAliasedImage', 'buildDots'],
  'recurrent_states.ts': ['buildEncoderStates', 'buildSeq2Seq', 'buildGruStates', 'buildCellRnns', 'buildMergeModes'],
  'nested_models.ts': ['buildAutoencoder', 'buildStackedSequential', 'buildAddedModel', 'buildGan', 'buildTwoInputModel', 'buildSiameseModel'],
};

const count = (weights) => weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
const perSample = (shape) => shape.slice(1);

/** output shapes of every application of a layer, batch axis dropped (each a list: a layer may return several) */
function applicationShapes(layer) {
  return layer.inboundNodes.map((node) => {
    const s = node.outputShapes;
    return (Array.isArray(s[0]) || s[0] === undefined ? s : [s]).map(perSample);
  });
}

await tf.setBackend('cpu');
const out = {};
for (const [file, builders] of Object.entries(BUILDERS)) {
  const mod = await import(join(FIXTURES, file));
  for (const name of builders) {
    const model = mod[name]();
    out[`${file}:${name}`] = {
      params: model.countParams(),
      trainable: count(model.trainableWeights),
      nonTrainable: count(model.nonTrainableWeights),
      outputs: model.outputs.map((t) => perSample(t.shape)),
      layers: model.layers
        .filter((l) => l.getClassName() !== 'InputLayer')
        .sort((a, b) => a.id - b.id)
        .map((l) => ({ name: l.name, className: l.getClassName(), params: l.countParams(), applications: applicationShapes(l) })),
    };
    model.dispose();
  }
}
writeFileSync(OUT, `${JSON.stringify({ tfjs: tf.version.tfjs, models: out }, null, 1)}\n`);
console.log(`wrote ${Object.keys(out).length} models to ${OUT}`);
