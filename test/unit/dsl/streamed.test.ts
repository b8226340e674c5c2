// A model elaborated while its body is parsed (streamed.ts) must give exactly what parsing the whole
// file first gives: graphs, diagnostics in order, outline, refs and blocks. And it must be taken
// where it may be, or the syntax tree of a large model is kept again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import type { FrontendResult } from '../../../server/src/core/frontend';
import { analyzeNnm, itemsAboveModels, STREAM_MIN_CHARS, streamsByDefault } from '../../../server/src/core/dsl/frontend';
import { parseNnm } from '../../../server/src/core/dsl/parser';
import { RefCollector } from '../../../server/src/core/dsl/refs';
import { ModelStream } from '../../../server/src/core/dsl/streamed';
import { generateModel } from '../../../bench/generate';

const ROOT = join(__dirname, '..', '..', '..');
const SEED = 515151;

function nnmFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? nnmFiles(join(dir, e.name)) : e.name.endsWith('.nnm') ? [join(dir, e.name)] : []));
}

/** everything a frontend result shows, lazy parts included */
function dump(r: FrontendResult): string {
  return JSON.stringify({ graphs: r.graphs, diagnostics: r.diagnostics, outline: r.outline, refs: r.refs, blocks: r.blocks });
}

function assertSameBothWays(text: string, label: string): void {
  const streamed = dump(analyzeNnm(text, BUILTIN_DEFAULTS, undefined, { stream: true }));
  const whole = dump(analyzeNnm(text, BUILTIN_DEFAULTS, undefined, { stream: false }));
  assert.equal(streamed, whole, label);
}

/** parse with the streaming listener and say what it did */
function streamOf(text: string): { stream: ModelStream; bodies: number[] } {
  let stream: ModelStream | undefined;
  const { file } = parseNnm(text, (lines) => (stream = new ModelStream(new RefCollector(text, lines), lines, BUILTIN_DEFAULTS, undefined)));
  const bodies = file.items.flatMap((i) => (i.kind === 'model' ? [i.body.length] : []));
  return { stream: stream!, bodies };
}

const RESNET = readFileSync(join(ROOT, 'examples', 'resnet50.nnm'), 'utf8');

test('every example and fixture gives the same result streamed and parsed whole', () => {
  const files = [...nnmFiles(join(ROOT, 'examples')), ...nnmFiles(join(ROOT, 'test', 'fixtures'))];
  assert.ok(files.length >= 25, `${files.length} files`);
  for (const file of files) assertSameBothWays(readFileSync(file, 'utf8'), file);
  assertSameBothWays(generateModel(2001), 'generated chain');
});

test('a model is streamed when every block and config is above it: its body keeps no statement', () => {
  const { stream, bodies } = streamOf(RESNET);
  assert.equal(stream.failed, false);
  assert.equal(stream.models.length, 1);
  assert.deepEqual(bodies, [0]);
  // the outline still lists every assignment of the model (14 statements, 13 of them assignments)
  const outline = analyzeNnm(RESNET, BUILTIN_DEFAULTS, undefined, { stream: true }).outline;
  assert.equal(outline.find((s) => s.kind === 'model')!.children.length, 13);
  // a model's own config above its statements stays in the body (refs and the outline read it)
  const withConfig = streamOf('model m {\n  config {\n    batch: 4\n  }\n  x = input(3)\n  return relu(x)\n}\n');
  assert.equal(withConfig.stream.failed, false);
  assert.deepEqual(withConfig.bodies, [1]);
});

test('the look at line starts lets through files with every block and config above the models', () => {
  for (const file of nnmFiles(join(ROOT, 'examples'))) assert.equal(itemsAboveModels(readFileSync(file, 'utf8')), true, file);
  assert.equal(itemsAboveModels(generateModel(100)), true);
  assert.equal(itemsAboveModels('\ufeff\f config {\n}\n\tblock b(x) {\n  return x\n}\nmodel m {\n  return input(1)\n}\n'), true);
  assert.equal(itemsAboveModels('model m {\n  return input(1)\n}\nblock b(x) {\n  return x\n}\n'), false);
  assert.equal(itemsAboveModels('model m {\n  config {\n  }\n  return input(1)\n}\n'), false);
  assert.equal(itemsAboveModels('model m {\n  configs = input(1)\n  blocky = relu(configs)\n  return blocky\n}\n'), true);
  assert.equal(itemsAboveModels('block b(x) {\n  return x\n}\n'), false); // no model: nothing to stream
  assert.equal(itemsAboveModels('# model m {\nmodels = 1\n'), false);
});

test('only large files are streamed by default: a small one is parsed whole, which measured faster', () => {
  assert.equal(streamsByDefault(RESNET), false);
  const chain = generateModel(10000);
  assert.ok(chain.length >= STREAM_MIN_CHARS, `${chain.length} characters`);
  assert.equal(streamsByDefault(chain), true);
  const below = `${chain}block b(x) {\n  return x\n}\n`;
  assert.equal(streamsByDefault(below), false);
});

test('a model config below a statement stops the stream; the whole-file result is used', () => {
  const text = 'model m {\n  x = input(3)\n  config {\n    batch: 4\n  }\n  return relu(x)\n}\n';
  assert.equal(streamOf(text).stream.failed, true);
  assertSameBothWays(text, 'config below a statement');
  assert.equal(analyzeNnm(text, BUILTIN_DEFAULTS).graphs[0]!.config.batch, 4);
});

test('blocks and configs below a model, and broken models, give the same result both ways', () => {
  const cases: Record<string, string> = {
    'block below the model': 'model m {\n  x = input(3)\n  return twice(x)\n}\nblock twice(x) {\n  return relu(relu(x))\n}\n',
    'file config below the model': 'model m {\n  x = input(3)\n  return relu(x)\n}\nconfig {\n  batch: 7\n}\n',
    'a typo of a block defined below': 'model m {\n  x = input(3)\n  return twic(x)\n}\nblock twice(x) {\n  return x\n}\n',
    'two models, the second a duplicate': 'model m {\n  x = input(3)\n  return relu(x)\n}\nmodel m {\n  return input(4)\n}\n',
    'unnamed model': 'model {\n  x = input(3)\n}\nmodel n {\n  return input(2)\n}\n',
    'statements after return': 'model m {\n  x = input(3)\n  return x\n  y = relu(x)\n  z = relu(y)\n}\n',
    'no return, and an empty model': 'model m {\n  x = input(3)\n  y = relu(x)\n}\nmodel e {\n}\n',
    'unclosed body': 'model m {\n  x = input(3)\n  y = relu(x\nmodel n {\n  return input(1)\n}\n',
    'syntax errors between statements': 'model m {\n  x = input(3)\n  y = = relu(x)\n  ) z\n  w = dense(x, 4)\n  return add(w, w)\n}\n',
    'expansion limit': 'block b(x) {\n  return relu(x)\n}\nmodel m {\n  x = input(3)\n  x = repeat 300000 b(x)\n  y = relu(x)\n  return y\n}\n',
    // junk the lexer skips puts a block below the model where a look at the line starts misses it
    'junk before a block below the model': 'model m {\n  x = input(3)\n  return twice(x)\n}\n@block twice(x) {\n  return relu(x)\n}\n',
    'form feed before a config below the model': 'model m {\n  return input(3)\n}\n\fconfig {\n  batch: 3\n}\n',
    'shape errors and unknown names': 'model m {\n  x = input(3, 8, 8)\n  y = dense(x, 4)\n  z = add(x, q)\n  return foo(z)\n}\n',
  };
  for (const [label, text] of Object.entries(cases)) assertSameBothWays(text, label);
});

test('mutated resnet50.nnm gives the same result streamed and parsed whole', () => {
  const lines = RESNET.split('\n');
  const pool = [...lines, 'block extra(x) {', 'config {', '}', 'model n {', '  return x', '  x = relu(', '  config { batch: 2 }', ''];
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(lines.length) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(lines.length), line: fc.constantFrom(...pool) }),
  );
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      const text = lines.slice();
      for (const e of edits) {
        const at = Math.min(e.at, text.length);
        if (e.kind === 'delete') text.splice(at, 1);
        else text.splice(at, 0, e.line);
      }
      assertSameBothWays(text.join('\n'), JSON.stringify(edits));
    }),
    { seed: SEED, numRuns: 200 },
  );
});
