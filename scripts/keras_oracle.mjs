// The oracle for the Keras fixtures in test/fixtures/python/keras_*.py: each model built again with
// TensorFlow.js (the same Keras layers and weights; TensorFlow for Python is not installable here),
// on its CPU backend, and its parameter counts and every layer application's output shape written
// to test/fixtures/python/keras_oracle.json. The test suite reads the JSON; rerun this after
// changing a fixture:   node scripts/keras_oracle.mjs
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const L = tf.layers;
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'python', 'keras_oracle.json');

/** keras_cnn.py: Sequential, keras.Input(shape=(28, 28, 1)), two conv blocks, a dense head */
function kerasCnn() {
  const block = (filters, first) => [
    L.conv2d({ filters, kernelSize: [3, 3], padding: 'same', activation: 'relu', ...(first ? { inputShape: [28, 28, 1] } : {}) }),
    L.batchNormalization({}),
    L.maxPooling2d({ poolSize: 2 }),
  ];
  return tf.sequential({
    layers: [...block(32, true), ...block(64, false), L.flatten(), L.dropout({ rate: 0.5 }), L.dense({ units: 128, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' })],
  });
}

/** keras_residual.py: functional, two residual stages with an added shortcut, a shared head */
function kerasResidual() {
  const inputs = tf.input({ shape: [32, 32, 3] });
  let x = L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', useBias: false }).apply(inputs);
  x = L.batchNormalization({}).apply(x);
  x = L.reLU().apply(x);
  const residual = (x, filters, stride) => {
    let shortcut = x;
    let y = L.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', activation: 'relu' }).apply(x);
    y = L.conv2d({ filters, kernelSize: 3, padding: 'same' }).apply(y);
    if (stride !== 1) shortcut = L.conv2d({ filters, kernelSize: 1, strides: stride }).apply(shortcut);
    y = L.add().apply([y, shortcut]);
    return L.activation({ activation: 'relu' }).apply(y);
  };
  x = residual(x, 16, 1);
  x = residual(x, 32, 2);
  const avg = L.globalAveragePooling2d({}).apply(x);
  const peak = L.globalMaxPooling2d({}).apply(x);
  const head = L.dense({ units: 10 });
  const logits = L.concatenate().apply([head.apply(avg), head.apply(peak)]);
  return tf.model({ inputs, outputs: logits });
}

/** keras_subclassed.py: TextClassifier(blocks=3) built on (None, 40), its call() as a graph */
function kerasSubclassed() {
  const tokens = tf.input({ shape: [40] });
  let x = L.embedding({ inputDim: 5000, outputDim: 64 }).apply(tokens);
  for (let i = 0; i < 3; i++) {
    let y = L.dense({ units: 256, activation: 'gelu' }).apply(x);
    y = L.dense({ units: 64 }).apply(y);
    y = L.dropout({ rate: 0.1 }).apply(y);
    x = L.layerNormalization({}).apply(L.add().apply([x, y]));
  }
  const out = L.dense({ units: 4, activation: 'softmax' }).apply(L.globalAveragePooling1d({}).apply(x));
  return tf.model({ inputs: tokens, outputs: out });
}

/** keras_text.py: Sequential with an embedding, a bidirectional LSTM and a GRU (reset_after=False) */
function kerasText() {
  return tf.sequential({
    layers: [
      L.embedding({ inputDim: 20000, outputDim: 128, inputLength: 100 }),
      L.bidirectional({ layer: L.lstm({ units: 64, returnSequences: true }) }),
      L.gru({ units: 32 }),
      L.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
}

/** keras_nested.py: each model that uses another as a layer; tf.js applies a LayersModel to a symbolic tensor the same way */
function kerasNested() {
  const inputs = tf.input({ shape: [28, 28, 1] });
  let x = L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inputs);
  x = L.maxPooling2d({ poolSize: 2 }).apply(x);
  x = L.flatten().apply(x);
  const encoder = tf.model({ inputs, outputs: L.dense({ units: 32 }).apply(x) });
  const decoder = tf.sequential({
    layers: [
      L.dense({ units: 14 * 14 * 8, activation: 'relu', inputShape: [32] }),
      L.reshape({ targetShape: [14, 14, 8] }),
      L.upSampling2d({ size: [2, 2] }), // Keras' size=2; tf.js needs the pair
      L.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid' }),
    ],
  });
  const image = tf.input({ shape: [28, 28, 1] });
  const model = tf.model({ inputs: image, outputs: decoder.apply(encoder.apply(image)) });
  const left = tf.input({ shape: [28, 28, 1] });
  const right = tf.input({ shape: [28, 28, 1] });
  const pair = L.concatenate().apply([encoder.apply(left), encoder.apply(right)]);
  const siamese = tf.model({ inputs: [left, right], outputs: L.dense({ units: 1, activation: 'sigmoid' }).apply(pair) });
  // Keras builds the inner block on the outer model's (None, 20); tf.js needs that shape on its first layer
  const block = tf.sequential({ layers: [L.dense({ units: 64, activation: 'relu', inputShape: [20] }), L.dropout({ rate: 0.2 })] });
  const stacked = tf.sequential({ layers: [block, L.dense({ units: 10 })] });
  return { model, siamese, stacked };
}

/** keras_functional_subclass.py: the graph its __init__ hands to super().__init__ */
function kerasFunctionalSubclass() {
  const inputs = tf.input({ shape: [32, 32, 3] });
  let x = L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }).apply(inputs);
  x = L.batchNormalization({}).apply(x);
  x = L.globalAveragePooling2d({}).apply(x);
  return { model: tf.model({ inputs, outputs: L.dense({ units: 5, activation: 'softmax' }).apply(x) }) };
}

/**
 * keras_preprocessing.py without what tf.js lacks: the random augmentations (Keras: no weights,
 * identity at inference) and Conv2D's groups (tf.js ignores the option; see the test)
 */
function kerasPreprocessing() {
  // tf.js 4.22's preprocessing layers report wrong symbolic shapes inside a model: they run eagerly on a sample instead
  const pre = [L.rescaling({ scale: 1 / 255 }), L.centerCrop({ height: 32, width: 30 }), L.resizing({ height: 24, width: 24 })];
  const run = (x) => pre.reduce((t, layer) => layer.apply(t), x);
  const cnn = tf.sequential({
    layers: [
      L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [24, 24, 3] }),
      // ungrouped here: the test swaps its 3*3*16*32 + 32 for Keras' grouped 3*3*(16/4)*32 + 32
      L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      L.globalAveragePooling2d({}),
      L.dense({ units: 10 }),
    ],
  });
  const weights = (key) => [...pre.flatMap((l) => l[key]), ...cnn[key]];
  const composite = (f) => ({ inputs: [{ shape: [null, 40, 50, 3] }], trainableWeights: weights('trainableWeights'), nonTrainableWeights: weights('nonTrainableWeights'), predict: f });
  return { model: composite(([x]) => cnn.predict(run(x))) };
}

/** fixtures whose models nest others: totals and each output's shape, measured by a run (the layers of a nested model are the inner model's) */
const WHOLE = {
  'keras_nested.py': kerasNested,
  'keras_functional_subclass.py': kerasFunctionalSubclass,
  'keras_preprocessing.py': kerasPreprocessing,
};

const MODELS = {
  'keras_cnn.py': { graph: 'model', build: kerasCnn },
  'keras_residual.py': { graph: 'model', build: kerasResidual },
  'keras_subclassed.py': { graph: 'model', build: kerasSubclassed },
  'keras_text.py': { graph: 'model', build: kerasText },
};

const count = (weights) => weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);

function describeModel(model) {
  const layers = model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .map((l) => ({
      class: l.getClassName(),
      params: count(l.weights),
      // one output shape per application, batch axis dropped
      outputs: l.inboundNodes.map((n) => (Array.isArray(n.outputShapes[0]) ? n.outputShapes[0] : n.outputShapes).slice(1)),
    }));
  return { trainable: count(model.trainableWeights), nonTrainable: count(model.nonTrainableWeights), layers };
}

await tf.setBackend('cpu');
const out = { generator: 'scripts/keras_oracle.mjs', tfjs: tf.version.tfjs, backend: tf.getBackend(), models: {} };
for (const [file, { graph, build }] of Object.entries(MODELS)) {
  const model = build();
  out.models[file] = { graph, ...describeModel(model) };
  model.dispose();
}
out.whole = {};
for (const [file, build] of Object.entries(WHOLE)) {
  out.whole[file] = {};
  for (const [graph, model] of Object.entries(build())) {
    // run on one zero sample: tf.js' symbolic shapes lose sizes through a nested Sequential
    const xs = model.inputs.map((t) => tf.zeros([1, ...t.shape.slice(1)]));
    const ys = [model.predict(xs)].flat();
    const shapes = ys.map((y) => y.shape.slice(1));
    out.whole[file][graph] = { trainable: count(model.trainableWeights), nonTrainable: count(model.nonTrainableWeights), outputs: shapes };
  }
}
writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${OUT}: ${Object.entries(out.models).map(([f, m]) => `${f} ${m.trainable}+${m.nonTrainable}`).join(', ')}`);
