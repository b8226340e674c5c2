// The oracle half of the real-code measurement (scripts/tfjs_real_code.mjs runs it, one child
// process per probe file): it bundles the probe (an unmodified example file with its default call
// appended) with esbuild and *executes* it with TensorFlow.js 4.22 on the CPU backend. memlens never
// executes code; only this oracle does, and only on the scratch corpus outside the repo.
//   node scripts/tfjs_real_code_oracle.mjs <probe file>
// Prints one JSON line: every model the probe built (tf.sequential / tf.model), with the source line
// of its creating call in the probe, its parameter counts and output shapes, and whether it was
// later used as a layer of another model (then it is counted as part of that one).
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const probe = resolve(process.argv[2]);
const TF = require.resolve('@tensorflow/tfjs');

// A stand-in for anything a page or another package supplies (DOM, UI modules, plotting): every
// property and call gives the stand-in again, and it is not a thenable, so `await` on it resolves.
// Its prototype answers every name too, so that esbuild's copy of a module's namespace (which
// inherits from the module's prototype) has whatever named import the file asks for.
function inert() {
  const fn = function () {};
  const get = (_t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => 0 : proxy);
  const proto = new Proxy({}, { get });
  const proxy = new Proxy(fn, { get, apply: () => proxy, construct: () => proxy, set: () => true, getPrototypeOf: () => proto });
  return proxy;
}
globalThis.__inert = inert;
// (not window or navigator: TensorFlow.js would take the process for a browser)
for (const name of ['document', 'self', 'location', 'alert', 'Plotly', 'tfvis', 'Image', 'requestAnimationFrame', 'localStorage', 'HTMLElement']) {
  if (!(name in globalThis)) globalThis[name] = inert();
}

const created = [];
globalThis.__recordModel = (model) => {
  const frames = new Error().stack.split('\n');
  const inProbe = frames.find((f) => f.includes(probe));
  const m = inProbe && /:(\d+):\d+\)?$/.exec(inProbe);
  created.push({ model, line: m ? Number(m[1]) : null });
  return model;
};

const shim = 'module.exports = globalThis.__tfRecording;';
const dir = mkdtempSync(join(tmpdir(), 'tfjs-oracle-'));
const shimFile = join(dir, 'tf-shim.cjs');
writeFileSync(shimFile, shim);

// Files of the example that the bundler cannot link (an import of a name the other file never
// exports, which a page's loose module loading tolerates) are replaced by the stand-in, one by one.
const inertFiles = new Set();
const resolvePlugin = {
  name: 'oracle-resolve',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (a) => {
      for (const ext of ['', '.js', '.ts']) {
        if (inertFiles.has(resolve(a.resolveDir, a.path + ext))) return { path: a.path, namespace: 'inert' };
      }
      return undefined;
    });
    build.onResolve({ filter: /^@tensorflow\/tfjs(-node(-gpu)?)?$/ }, () => ({ path: shimFile }));
    build.onResolve({ filter: /^[^./]/ }, (a) => {
      const bare = a.path.replace(/^node:/, '');
      if (builtinModules.includes(bare.split('/')[0])) return { path: a.path, external: true };
      return { path: a.path, namespace: 'inert' };
    });
    build.onLoad({ filter: /.*/, namespace: 'inert' }, () => ({ contents: 'module.exports = globalThis.__inert();', loader: 'js' }));
  },
};

const outfile = join(dir, 'bundle.cjs');
const bundle = () => esbuild.build({
  entryPoints: [probe], bundle: true, platform: 'node', format: 'cjs', outfile,
  sourcemap: 'inline', sourceRoot: '/', logLevel: 'silent', plugins: [resolvePlugin],
  loader: { '.ts': 'ts' }, absWorkingDir: HERE,
}).catch((e) => e);
let built = await bundle();
for (let tries = 0; tries < 5 && built.errors?.length; tries += 1) {
  const importer = built.errors.find((e) => /No matching export/.test(e.text))?.location?.file;
  const unlinked = importer && resolve(HERE, importer);
  if (!unlinked || unlinked === probe || inertFiles.has(unlinked)) break;
  inertFiles.add(unlinked);
  built = await bundle();
}
if (built.errors?.length) {
  process.stdout.write(JSON.stringify({ models: [], errors: built.errors.map((e) => `esbuild: ${e.text}`) }) + '\n');
  process.exit(0);
}
process.setSourceMapsEnabled(true);
const errors = [];
process.on('unhandledRejection', (e) => errors.push(String(e?.message ?? e)));
const tf = require(TF);
await tf.setBackend('cpu');
// The orthogonal initializer (every LSTM's recurrent kernel) runs a QR decomposition that takes
// minutes on the CPU backend for a 256-unit layer; counts and shapes do not depend on the values.
const orthogonal = Object.getPrototypeOf(tf.initializers.orthogonal({}));
orthogonal.apply = (shape, dtype) => tf.zeros(shape, dtype);
const recording = { ...tf };
recording.sequential = (...a) => globalThis.__recordModel(tf.sequential(...a));
recording.model = (...a) => globalThis.__recordModel(tf.model(...a));
globalThis.__tfRecording = recording;
// examples written for a page use the global `tf` of a script tag: the same recording namespace
globalThis.tf = recording;
try {
  require(outfile);
} catch (e) {
  errors.push(String(e?.message ?? e));
}
await new Promise((r) => setTimeout(r, 1500));

const weightCount = (ws) => ws.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
// a Sequential makes its weights only when built (compile, fit, predict or build)
for (const { model } of created) if (!model.built) model.build();
const asLayers = new Set(created.flatMap(({ model }) => model.layers));
const models = created.map(({ model, line }) => ({
  line,
  name: model.name,
  params: model.countParams(),
  trainable: weightCount(model.trainableWeights),
  nonTrainable: weightCount(model.nonTrainableWeights),
  outputShapes: model.outputs.map((t) => t.shape.slice(1)),
  usedAsLayer: asLayers.has(model),
}));
process.stdout.write(JSON.stringify({ models, errors }) + '\n');
process.exit(0);
