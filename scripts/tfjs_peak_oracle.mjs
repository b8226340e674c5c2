// The oracle for memlens' TensorFlow.js CPU profile: each tf.js fixture in test/fixtures/tfjs (our
// own files, imported and executed here through tsx) is built with tf.js 4.22 on its CPU backend,
// and the peak of the distinct tensor data buffers it holds is measured for one `model.predict(x)`
// and one SGD `model.trainOnBatch(x, y)` (mean squared error loss) at two batches. The result is
// written to test/fixtures/tfjs/peaks.json; rerun after changing a fixture (one model per process,
// so that nothing one model leaves in the engine counts for the next):
//   node --import tsx scripts/tfjs_peak_oracle.mjs            all models, then write the JSON
//   node --import tsx scripts/tfjs_peak_oracle.mjs mlp.ts buildMlp 1 train     one case, printed
//   node --import tsx scripts/tfjs_peak_oracle.mjs --only recurrent_small.ts   only that fixture's
//     models (a comma-separated list of files), the other rows of the JSON kept as they are
//
// The method: the CPU backend keeps every tensor's values in one DataStorage keyed by dataId
// (`tf.backend().data`); a reshape, a squeeze or an identity shares its input's dataId (a second
// tensor, one buffer), while `tf.profile().peakBytes` counts each tensor, so it over-counts. Wrapping
// that map's set() and delete() gives every buffer the backend allocates or frees, including the
// intermediate buffers a kernel makes and disposes inside itself (a kernel composed of others), and
// the running sum's maximum is the peak. Everything in the map counts: the weights, the input and
// target tensors made before the call, the outputs. Buffers a kernel allocates as plain typed arrays
// and never registers (scratch inside one kernel's loop) are not tensors and are not seen.
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'tfjs');
const OUT = join(FIXTURES, 'peaks.json');

/**
 * fixture, builder, the graph memlens names, the batches measured; the two 224x224 CNNs train at
 * batch 1 only (tf.js' pure-JS CPU kernels take minutes for one ResNet-50 step), VGG16 not at all
 * (one trainOnBatch had not finished after 35 minutes on the shared 2-core machine)
 */
const MODELS = [
  { file: 'mlp.ts', build: 'buildMlp', graph: 'buildMlp.model', batches: [1, 8] },
  { file: 'lenet.ts', build: 'buildLeNet', graph: 'buildLeNet.model', batches: [1, 8] },
  { file: 'resnet50.ts', build: 'buildResNet50', graph: 'buildResNet50.resnet', batches: [1, 2], trainBatches: [1] },
  { file: 'mobilenet_v2.ts', build: 'buildMobileNetV2', graph: 'buildMobileNetV2', batches: [1, 2], trainBatches: [1] },
  { file: 'lstm_text.ts', build: 'buildLstmText', graph: 'buildLstmText.model', batches: [1, 8] },
  { file: 'gru_bidirectional.ts', build: 'buildTagger', graph: 'buildTagger', batches: [1, 8] },
  { file: 'layer_zoo.ts', build: 'buildImageZoo', graph: 'buildImageZoo', batches: [1, 8] },
  { file: 'layer_zoo.ts', build: 'buildSequenceZoo', graph: 'buildSequenceZoo.model', batches: [1, 8] },
  { file: 'layer_zoo.ts', build: 'buildVolumeZoo', graph: 'buildVolumeZoo', batches: [1, 8] },
  { file: 'recurrent_small.ts', build: 'buildTinyText', graph: 'buildTinyText.model', batches: [1, 8] },
  { file: 'recurrent_small.ts', build: 'buildBiSequence', graph: 'buildBiSequence', batches: [1, 8] },
  { file: 'shared_layer.ts', build: 'buildSiamese', graph: 'buildSiamese', batches: [1, 8] },
  { file: 'unresolvable.ts', build: 'buildStatic', graph: 'buildStatic.fixed', batches: [1, 8] },
  { file: 'vgg16.ts', build: 'buildVgg16', graph: 'buildVgg16.model', batches: [1, 2], trainBatches: [] },
];

/** bytes held in the CPU backend's data map, and the largest sum since reset() */
function instrument(backend) {
  const storage = backend.data;
  const sizes = new Map();
  const state = { live: 0, peak: 0 };
  const bytesOf = (v) => (v && typeof v.byteLength === 'number' ? v.byteLength : 0);
  const set = storage.set.bind(storage);
  const del = storage.delete.bind(storage);
  storage.set = (id, value) => {
    state.live -= sizes.get(id) ?? 0;
    const b = bytesOf(value.values);
    sizes.set(id, b);
    state.live += b;
    if (state.live > state.peak) state.peak = state.live;
    return set(id, value);
  };
  storage.delete = (id) => {
    state.live -= sizes.get(id) ?? 0;
    sizes.delete(id);
    return del(id);
  };
  return { state, reset: () => (state.peak = state.live) };
}

/** one case in this process: the peak bytes of one predict or trainOnBatch */
async function measure(file, build, batch, mode) {
  await tf.setBackend('cpu');
  const mod = await import(join(FIXTURES, file));
  const probe = instrument(tf.backend());
  const model = mod[build]();
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
  const shapeOf = (s) => [batch, ...s.slice(1)];
  // an embedding reads token ids: an int32 tensor; a model with several inputs gets a list
  const embedded = model.layers.some((l) => l.getClassName() === 'Embedding');
  const xs = model.inputs.map((input) => (embedded ? tf.zeros(shapeOf(input.shape), 'int32') : tf.randomNormal(shapeOf(input.shape))));
  const x = xs.length === 1 ? xs[0] : xs;
  const y = tf.zeros(shapeOf(model.outputs[0].shape));
  const before = probe.state.live;
  probe.reset();
  if (mode === 'infer') tf.dispose(model.predict(x));
  else await model.trainOnBatch(x, y);
  // the weights' data values are synced lazily on the CPU: every buffer was in the map already
  return { peak: probe.state.peak, before, after: probe.state.live, tensors: tf.memory().numTensors };
}

const only = process.argv[2] === '--only' ? new Set(process.argv[3].split(',')) : null;
if (process.argv.length > 2 && !only) {
  const [file, build, batch, mode] = process.argv.slice(2);
  console.log(JSON.stringify(await measure(file, build, Number(batch), mode)));
} else {
  const out = {
    generator: 'node --import tsx scripts/tfjs_peak_oracle.mjs',
    tfjs: tf.version.tfjs,
    backend: 'cpu',
    method: 'the running maximum of the bytes of distinct data buffers in the CPU backend\'s data map (tf.backend().data, set/delete wrapped), weights, inputs and targets included; one predict(x), or one trainOnBatch(x, y) compiled with tf.train.sgd(0.01) and meanSquaredError; x random normal (int32 zeros for an embedding), y zeros; one case per process',
    models: {},
  };
  // with --only, the rows of other fixtures come from the JSON as it is (in the table's order)
  const kept = only ? JSON.parse(readFileSync(OUT, 'utf8')).models : {};
  for (const m of MODELS) {
    if (only && !only.has(m.file)) {
      if (kept[m.graph]) out.models[m.graph] = kept[m.graph];
      continue;
    }
    const peak = {};
    for (const batch of m.batches) {
      peak[batch] = {};
      for (const mode of ['infer', 'train']) {
        if (mode === 'train' && m.trainBatches && !m.trainBatches.includes(batch)) continue;
        const t0 = Date.now();
        const text = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), m.file, m.build, String(batch), mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const r = JSON.parse(text.trim().split('\n').pop());
        peak[batch][mode] = r.peak;
        console.log(`${m.graph} batch ${batch} ${mode}: ${r.peak} bytes (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
    out.models[m.graph] = { file: m.file, build: m.build, peak };
    // written after each model, so that a long run keeps what it measured
    writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
  }
  writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${OUT}`);
}
