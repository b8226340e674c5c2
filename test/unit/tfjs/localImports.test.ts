// Local imports that cannot be followed say which module and which name, and the model that
// depends on them says why it is not analysed (the followed imports: interp_oracle.json).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { analyzeFixture, fixtureText, ready } from './helpers';

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
