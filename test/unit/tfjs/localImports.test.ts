// Local imports that cannot be followed say which module and which name, and the model that
// depends on them says why it is not analysed (the followed imports: interp_oracle.json).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { join } from 'node:path';
import { analyzeFixture, FIXTURES, fixtureText, ready } from './helpers';

before(ready);

describe('tf.js local imports', () => {
  it('a missing file and a name the module does not export are named, and the model says why', () => {
    const a = analyzeFixture('local_imports/unresolved.js');
    assert.deepEqual(a.graphs, []);
    const messages = a.diagnostics.map((d) => `${d.code} ${d.message}`);
    assert.ok(messages.includes("NNM301 memlens could not import 'FEATURES' from './no_such_file': memlens found no file './no_such_file' next to this one"), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes("'IMAGE_DEPTH' from './data'")), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes("'FEATURES' is imported from './no_such_file'") && m.includes("model 'model' is not analysed")), messages.join('\n'));
  });

  it('an import cycle is reported and does not hang', () => {
    const a = analyzeFixture('local_imports/cycle_a.js');
    const messages = a.diagnostics.map((d) => d.message);
    assert.ok(messages.some((m) => m.includes("'./cycle_a' imports this file back (an import cycle)")), messages.join('\n'));
    assert.deepEqual(a.graphs, []);
  });

  it('without a path on disk (an untitled document) the import is reported, not guessed', () => {
    const a = analyzeTfjs(fixtureText('local_imports/model.js'), { defaults: BUILTIN_DEFAULTS, language: 'javascript' });
    assert.deepEqual(a.graphs, []);
    assert.ok(a.diagnostics.some((d) => d.message.includes("'default' from './blocks': the file has no path on disk")), a.diagnostics.map((d) => d.message).join('\n'));
  });
});

describe('tf.js local imports between analyses', () => {
  // a builder no top-level code calls: analysed as an entry of its own, and cached between analyses
  const TEXT = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { IMAGE_H, IMAGE_W } from './data';",
    'export function buildFlat() {',
    '  const model = tf.sequential();',
    '  model.add(tf.layers.dense({ inputShape: [IMAGE_H * IMAGE_W], units: 3 }));',
    '  return model;',
    '}',
    '',
  ].join('\n');
  const documentKey = join(FIXTURES, 'local_imports', 'flat.js');
  const dataPath = join(FIXTURES, 'local_imports', 'data.js');
  const params = (a: ReturnType<typeof analyzeTfjs>) => a.graphs.map((g) => g.ops.reduce((n, op) => n + op.params.trainable, 0));

  it('a changed imported file is read again: the cached builder is not reused', () => {
    const data = fixtureText('local_imports/data.js');
    let served = data;
    const readFile = (path: string) => (path === dataPath ? served : undefined);
    const options = { defaults: BUILTIN_DEFAULTS, language: 'javascript' as const, documentKey, readFile };
    // 20 x 24 inputs, 3 units: 480 x 3 + 3
    assert.deepEqual(params(analyzeTfjs(TEXT, options)), [1443]);
    served = data.replace('IMAGE_H = 20', 'IMAGE_H = 10');
    // 10 x 24 inputs: 240 x 3 + 3
    assert.deepEqual(params(analyzeTfjs(TEXT, options)), [723]);
    served = data;
    assert.deepEqual(params(analyzeTfjs(TEXT, options)), [1443]);
  });
});

describe('tf.js imports of TypeScript types', () => {
  it('an imported interface or type alias is no missing export, in any import form', () => {
    const a = analyzeFixture('local_imports/typed_model.ts');
    assert.deepEqual(a.diagnostics.map((d) => `${d.code} ${d.message}`), []);
    // 8 x 12 + 12, then 12 x 2 + 2
    assert.deepEqual(a.graphs.map((g) => g.ops.reduce((n, op) => n + op.params.trainable, 0)), [108 + 26]);
  });
});
