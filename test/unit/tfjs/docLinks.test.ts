// Every diagnostic of the TensorFlow.js frontend links to the section of docs/tfjs.md that lists
// what is supported: the sections named exist as headings, each diagnostic carries one, and the
// LSP diagnostic carries it as its code's link.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { DOC_SECTIONS } from '../../../server/src/core/tfjs/docLinks';
import { layerEntry, tableNames } from '../../../server/src/core/tfjs/layerTable';
import { toLspDiagnostic } from '../../../server/src/lsp/features/diagnostics';
import { DOCS_URI } from '../../../server/src/core/diagnosticCatalog';
import type { CoreDiagnostic } from '../../../server/src/core/ir';
import { FIXTURES, ready } from './helpers';

const DOC = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'tfjs.md'), 'utf8');

/** GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces as dashes */
const ANCHORS = new Set(
  DOC.split('\n')
    .filter((l) => /^#{1,4} /.test(l))
    .map((l) => l.replace(/^#+ /, '').toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
);

const analyse = (text: string): readonly CoreDiagnostic[] => analyzeTfjs(text, { defaults: BUILTIN_DEFAULTS, language: 'typescript' }).diagnostics;

/** one construct per NNM3xx code that the frontend does not follow */
const SNIPPETS = `import * as tf from '@tensorflow/tfjs';
export function param(units: number) { return tf.sequential({ layers: [tf.layers.dense({ units, inputShape: [4] })] }); }
export function loop(n: number) { const m = tf.sequential(); m.add(tf.layers.dense({ units: 2, inputShape: [3] })); for (let i = 0; i < n; i++) m.add(tf.layers.dense({ units: 2 })); return m; }
export const a = tf.sequential({ layers: [tf.layers.masking({ inputShape: [3, 2] })] });
export const b = tf.sequential({ layers: [tf.layers.dense({ units: 2 })] });
export const c = tf.sequential({ layers: [tf.layers.conv2d({ filters: 2, kernelSize: 9, inputShape: [4, 4, 1] })] });
export const d = tf.sequential({ layers: [tf.layers.dense({ units: 'two', inputShape: [3] })] });
export const e = tf.sequential({ layers: [tf.layers.lstm({ units: 2, returnState: true, inputShape: [3, 2] })] });
const s = tf.sequential(); s.add(tf.layers.dense({ units: 2, inputShape: [3] })); s.add(s);
`;

before(ready);

describe('docs links of the TensorFlow.js diagnostics', () => {
  it('every section the links name is a heading of docs/tfjs.md', () => {
    assert.deepEqual(DOC_SECTIONS.filter((s) => !ANCHORS.has(s)), []);
  });

  it('each diagnostic of the fixtures and of the constructs not followed links to its section', () => {
    const all = [...readdirSync(FIXTURES).filter((f) => f.endsWith('.ts')).flatMap((f) => analyse(readFileSync(join(FIXTURES, f), 'utf8'))), ...analyse(SNIPPETS)];
    const codes = new Set(all.map((d) => d.code));
    for (const code of ['NNM301', 'NNM302', 'NNM303', 'NNM304', 'NNM305', 'NNM306']) assert.ok(codes.has(code), `a ${code} among them`);
    for (const d of all) {
      assert.match(d.doc ?? '', /^tfjs\.md#/, `${d.code} ${d.message}`);
      assert.ok(ANCHORS.has(d.doc!.slice('tfjs.md#'.length)), `${d.doc} for ${d.message}`);
    }
    const docOf = (pattern: RegExp): string | undefined => all.find((d) => pattern.test(d.message))?.doc;
    assert.equal(docOf(/^tf\.layers\.masking: /), 'tfjs.md#layers-not-modelled');
    assert.equal(docOf(/^lstm returns 3 tensors/), 'tfjs.md#recurrent-layers');
    assert.equal(docOf(/applied here as a layer, contains itself/), 'tfjs.md#models-used-as-layers');
    assert.equal(docOf(/trip count is not statically known/), 'tfjs.md#control-flow');
    assert.equal(docOf(/declares no inputShape/), 'tfjs.md#models');
  });

  it('the LSP diagnostic links its code to the section', () => {
    const d = analyse(SNIPPETS).find((x) => x.code === 'NNM303')!;
    assert.deepEqual(toLspDiagnostic(d, 'file:///x.ts').codeDescription, { href: `${DOCS_URI}/tfjs.md#layers-not-modelled` });
  });

  it("the docs' table of layers not modelled lists every unsupported export", () => {
    const section = DOC.slice(DOC.indexOf('### Layers not modelled'), DOC.indexOf('### Optimizers'));
    for (const name of tableNames().filter((n) => layerEntry(n)!.kind === 'unsupported')) {
      assert.match(section, new RegExp(`^\\| (.*, )?${name}(, .*)? \\|`, 'm'), name);
    }
  });
});
