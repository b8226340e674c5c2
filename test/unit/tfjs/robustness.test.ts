// The frontend never throws: every TypeScript file of this repository (with a tf.js import
// added so that it is really parsed) and fuzzed variants of the fixtures.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzeTfjs } from '../../../server/src/core/tfjs/frontend';
import { FIXTURES, ready } from './helpers';

const ROOT = join(__dirname, '..', '..', '..');
const IMPORT = "import * as tf from '@tensorflow/tfjs';\n";

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'out' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** analyse and check the result is well formed: no internal error, finite numbers */
function check(text: string, language: 'typescript' | 'javascript' = 'typescript'): void {
  const r = analyzeTfjs(text, { defaults: BUILTIN_DEFAULTS, language });
  const internal = r.diagnostics.find((d) => d.code === 'NNM309');
  assert.equal(internal, undefined, internal?.message);
  for (const g of r.graphs) {
    for (const t of g.tensors) for (const d of t.shape) assert.ok(Number.isSafeInteger(d) && d >= 0, `${g.name}: shape [${t.shape.join(', ')}]`);
  }
}

before(ready);

describe('robustness', () => {
  it('every source file of the repository', () => {
    const files = tsFiles(ROOT);
    assert.ok(files.length > 20, `found ${files.length} files`);
    for (const f of files) check(IMPORT + readFileSync(f, 'utf8'), f.endsWith('.ts') ? 'typescript' : 'javascript');
  });

  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(FIXTURES, f), 'utf8'));

  it('fixtures with random slices deleted, duplicated or replaced', () => {
    fc.assert(
      fc.property(fc.nat(fixtures.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom('', ')', '}', '[', '{', '0', '-1', 'x', 'for (;;) ', '...', '1e309', "'same'", '\n', 'i++')), { maxLength: 6 }), (index, edits) => {
        let text = fixtures[index]!;
        for (const [at, len, insert] of edits) {
          const start = at % (text.length + 1);
          text = text.slice(0, start) + insert + text.slice(start + len);
        }
        check(text);
      }),
      { numRuns: 150, seed: 5 },
    );
  });

  const layerCall = fc.constantFrom(
    'tf.layers.dense({units: N})',
    'tf.layers.conv2d({filters: N, kernelSize: N, padding: P})',
    'tf.layers.maxPooling2d({poolSize: N})',
    'tf.layers.flatten()',
    'tf.layers.batchNormalization()',
    'tf.layers.lstm({units: N, returnSequences: B})',
    'tf.layers.reshape({targetShape: [N, -1]})',
    'tf.layers.embedding({inputDim: N, outputDim: N})',
    'tf.layers.zeroPadding2d({padding: N})',
    'tf.layers.globalAveragePooling2d({})',
    'tf.layers.dropout({rate: N})',
  );
  const value = fc.constantFrom('0', '1', '3', '-2', '1e12', '2 ** 40', 'k', 'undefined', '[]', "'x'", 'NaN');

  it('generated sequential models with odd values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(layerCall, value, value, fc.boolean()), { minLength: 1, maxLength: 8 }), fc.array(value, { minLength: 1, maxLength: 4 }), (layers, shape) => {
        const calls = layers.map(([c, a, b, flag]) => c.replace('N', a).replace(/N/g, b).replace('P', flag ? "'same'" : "'valid'").replace('B', String(flag)));
        calls[0] = calls[0]!.replace('({', `({inputShape: [${shape.join(', ')}], `);
        const text = `${IMPORT}export function f(k: number) {\n  const m = tf.sequential({layers: [${calls.join(', ')}]});\n  return m;\n}\n`;
        check(text);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('deep nesting, long loops and recursion stay bounded', () => {
    check(`${IMPORT}const x = ${'('.repeat(3000)}1${')'.repeat(3000)};`);
    check(`${IMPORT}const m = tf.sequential(); m.add(tf.layers.dense({units: 1, inputShape: [1]}));\nfor (let i = 0; i < 1e9; i++) m.add(tf.layers.dense({units: 1}));`);
    check(`${IMPORT}function r(n: number): number { return r(n + 1); }\nconst m = tf.sequential({layers: [tf.layers.dense({units: r(1), inputShape: [2]})]});`);
    check(`${IMPORT}let i = 0; while (true) { i++; }`);
  });
});
