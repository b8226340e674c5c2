// The oracle for the static interpreter's fixtures (switch, undefined, built-ins, shapes read while
// building, classes, entry points, local imports): each builder of test/fixtures/tfjs listed below
// (our own files, imported and executed here through tsx) is built with tf.js 4.22 on its CPU
// backend, and its parameter counts and every layer's output shapes are written to
// test/fixtures/tfjs/interp_oracle.json, which test/unit/tfjs/interp.test.ts compares with memlens'
// static result. Rerun after changing a fixture:
//   node --import tsx scripts/tfjs_interp_oracle.mjs
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'tfjs');
const OUT = join(FIXTURES, 'interp_oracle.json');

/**
 * fixture, exported builder (called with `args`: the static arguments the fixture's own call
 * passes), the graph memlens names, which of the graphs of that name (in source order)
 */
const MODELS = [
  { file: 'switch_rnn.ts', build: 'buildSwitchGru', graph: 'createRnn.model', index: 0 },
  { file: 'switch_rnn.ts', build: 'buildSwitchSimple', graph: 'createRnn.model', index: 1 },
  { file: 'optional_options.js', build: 'buildOptionalDefaults', graph: 'createClassifier.model', index: 0 },
  { file: 'optional_options.js', build: 'buildOptionalGiven', graph: 'createClassifier.model', index: 1 },
  { file: 'builtins_mlp.ts', build: 'buildMlpFromString', graph: 'createMlp.model', index: 0 },
  { file: 'builtins_mlp.ts', build: 'buildMlpScalar', graph: 'createMlp.model', index: 1 },
  { file: 'builtins_mlp.ts', build: 'buildBranches', graph: 'buildBranches', index: 0 },
  { file: 'shapes_while_building.ts', build: 'buildBlocks', graph: 'buildBlocks', index: 0 },
  { file: 'shapes_while_building.ts', build: 'buildSizedFromOutputs', graph: 'buildSizedFromOutputs.model', index: 0 },
  { file: 'classes.ts', build: 'buildPolicy', graph: 'PolicyNetwork.policyNet', index: 0 },
  { file: 'classes.ts', build: 'buildWidePolicy', graph: 'PolicyNetwork.policyNet', index: 1 },
  { file: 'classes.ts', build: 'buildCustomSequential', graph: 'buildCustomSequential.model', index: 0 },
  { file: 'classes.ts', build: 'buildCustomShared', graph: 'buildCustomShared', index: 0 },
  { file: 'entry_points.js', build: 'createConvModel', args: [28, 10], graph: 'createConvModel.model', index: 0 },
  { file: 'entry_points.js', build: 'createConvModel', args: [16, 4], graph: 'createConvModel.model', index: 1 },
  { file: 'entry_points.js', build: 'createDenseModel', args: [12], graph: 'createDenseModel.model', index: 0 },
  { file: 'entry_points.js', build: 'createRecurrentModel', args: [20], graph: 'createRecurrentModel.model', index: 0 },
  { file: 'main_guard.cjs', build: 'buildModel', args: [10, [32, 16]], graph: 'buildModel.model', index: 0 },
  { file: 'local_imports/model.js', build: 'buildImported', graph: 'buildImported.model', index: 0 },
  { file: 'local_imports/cjs_model.cjs', build: 'buildRequired', graph: 'buildRequired.model', index: 0 },
  { file: 'logical_assignment.js', build: 'buildFilled', args: [{}], graph: 'buildFilled.model', index: 0 },
  { file: 'logical_assignment.js', build: 'buildGiven', graph: 'buildFilled.model', index: 1 },
  { file: 'real_code_patterns.cjs', build: 'buildTagger', args: ['bidirectional-gru', 5, 4], graph: 'buildTagger.model', index: 0 },
  { file: 'real_code_patterns.cjs', build: 'buildTagger', args: ['dense', 5, 4], graph: 'buildTagger.model', index: 1 },
  { file: 'real_code_patterns.cjs', build: 'buildPolicy', args: [[16, 8]], graph: 'Policy.build.net', index: 0 },
  { file: 'real_code_patterns.cjs', build: 'buildSqueezed', graph: 'buildSqueezed.model', index: 0 },
  { file: 'real_code_patterns.cjs', build: 'buildScalarInputShape', graph: 'buildScalarInputShape.model', index: 0 },
  { file: 'real_code_patterns.cjs', build: 'buildScalarInput', graph: 'buildScalarInput', index: 0 },
  // a page's classic script (no module): run as a script tag would, with the global `tf`
  { file: 'script_tag_page.js', script: true, build: 'createPageModel', args: [6], graph: 'createPageModel.model', index: 0 },
];

// entry_points.js registers its callbacks at import time with a page's objects: inert stand-ins
globalThis.ui = { setTrainButtonCallback() {} };
globalThis.loadData = () => new Promise(() => {});
globalThis.document = { getElementById: () => ({ addEventListener() {} }) };
globalThis.window = {};

const weightCount = (ws) => ws.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);

/** output shapes of every application of a layer, batch axis dropped */
function applicationShapes(layer) {
  return layer.inboundNodes.map((n) => {
    const s = n.outputShapes;
    return (Array.isArray(s[0]) ? s[0] : s).slice(1);
  });
}

/** a classic script's top-level functions are globals, and `tf` is the script tag's global */
function pageScript(file) {
  globalThis.tf = tf;
  runInThisContext(readFileSync(join(FIXTURES, file), 'utf8'), { filename: file });
  return globalThis;
}

async function main() {
  await tf.setBackend('cpu');
  const models = [];
  for (const { script, ...m } of MODELS) {
    const mod = script ? pageScript(m.file) : await import(join(FIXTURES, m.file));
    const model = await mod[m.build](...(m.args ?? []));
    const layers = model.layers
      .filter((l) => l.getClassName() !== 'InputLayer')
      .sort((a, b) => a.id - b.id)
      .map((l) => ({ name: l.name, className: l.getClassName(), params: l.countParams(), shapes: applicationShapes(l) }));
    models.push({
      ...m,
      params: model.countParams(),
      trainable: weightCount(model.trainableWeights),
      nonTrainable: weightCount(model.nonTrainableWeights),
      layers,
    });
    model.dispose();
  }
  const json = { generator: 'node --import tsx scripts/tfjs_interp_oracle.mjs', tfjs: tf.version.tfjs, backend: 'cpu', models };
  writeFileSync(OUT, `${JSON.stringify(json, null, 1)}\n`);
  for (const m of models) console.log(`${m.file} ${m.build}: ${m.params} (${m.nonTrainable} non-trainable)`);
}

await main();
