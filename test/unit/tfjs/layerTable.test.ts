// The Layers API table (tfjs/layerTable.ts) against the library itself: every factory TensorFlow.js
// 4.22 exports under tf.layers is either planned by memlens or listed as unsupported with the reason
// the user is shown. The names are read from the installed @tensorflow/tfjs, not written here.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { layerEntry, tableNames } from '../../../server/src/core/tfjs/layerTable';
import { ready } from './helpers';

const EXPORTED = Object.keys(tf.layers).sort();

function diagnosticsOf(text: string): string[] {
  return analyzeTfjs(text, { defaults: BUILTIN_DEFAULTS, language: 'typescript' }).diagnostics.map((d) => `${d.code} ${d.message}`);
}

/** one layer of that name with an empty config, applied to a 4-D input */
function applied(name: string): string[] {
  return diagnosticsOf(`import * as tf from '@tensorflow/tfjs';
const x = tf.input({ shape: [6, 6, 6, 4] });
const y = tf.layers.${name}({}).apply(x);
export const model = tf.model({ inputs: x, outputs: y });
`);
}

before(ready);

describe(`tf.layers of TensorFlow.js ${tf.version.tfjs}`, () => {
  it('is the version the table was read from', () => {
    assert.equal(tf.version.tfjs, '4.22.0');
    assert.ok(EXPORTED.length >= 80, `${EXPORTED.length} exports`);
  });

  it('every exported factory is in the table; every name of the table is exported', () => {
    assert.deepEqual(EXPORTED.filter((name) => layerEntry(name) === undefined), []);
    assert.deepEqual(tableNames().filter((name) => !EXPORTED.includes(name)), []);
  });

  it('the aliases the issue names resolve to their factories', () => {
    assert.deepEqual(layerEntry('globalMaxPool1d'), { kind: 'layer', canonical: 'globalMaxPooling1d' });
    assert.deepEqual(layerEntry('avgPool2d'), { kind: 'layer', canonical: 'averagePooling2d' });
    assert.deepEqual(layerEntry('dot'), { kind: 'layer', canonical: 'dot' });
  });

  it('a supported factory is planned by memlens (its own errors, never "not supported")', () => {
    for (const name of EXPORTED) {
      const entry = layerEntry(name)!;
      if (entry.kind !== 'layer') continue;
      for (const d of applied(name)) assert.doesNotMatch(d, /is not supported by memlens yet; the model|is not a layer of TensorFlow\.js/, `${name}: ${d}`);
    }
  });

  it('an unsupported factory gives its reason to the user', () => {
    const unsupported = EXPORTED.filter((name) => layerEntry(name)!.kind === 'unsupported');
    assert.ok(unsupported.length >= 5);
    for (const name of unsupported) {
      const entry = layerEntry(name)!;
      assert.ok(entry.kind === 'unsupported' && entry.reason.length > 20);
      const ds = applied(name);
      assert.ok(ds.some((d) => d.startsWith('NNM303') && d.includes(entry.reason)), `${name}: ${ds.join(' / ')}`);
    }
  });

  it('a recurrent cell applied on its own says it is followed inside tf.layers.rnn', () => {
    for (const name of EXPORTED.filter((n) => layerEntry(n)!.kind === 'cell')) {
      assert.ok(applied(name).some((d) => d.startsWith('NNM303') && d.includes('cell of tf.layers.rnn')), name);
    }
  });

  it('a name tf.js does not export is reported as such', () => {
    assert.ok(applied('globalMaxPool3d').some((d) => d.includes('tf.layers.globalMaxPool3d is not a layer of TensorFlow.js 4.22')));
  });
});
