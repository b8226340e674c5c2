// Imported files as the editor sees them, and which analyses a changed file makes stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { DocumentAnalysis } from '../../../server/src/core/document';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { initTfjsFrontend } from '../../../server/src/core/tfjs/parse';
import { AnalysisCache } from '../../../server/src/lsp/documents';
import { pathOf, WorkspaceFiles } from '../../../server/src/lsp/workspaceFiles';

const EMPTY: DocumentAnalysis = { graphs: [], models: [], diagnostics: [], outline: [], refs: [], blocks: [] };

test('an open document is read from its buffer; a file on disk is read again only when its time or size changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-files-'));
  try {
    const path = join(dir, 'data.js');
    writeFileSync(path, 'export const A = 1;');
    const open = new Map<string, string>();
    const files = new WorkspaceFiles((p) => open.get(p));
    assert.equal(files.read(path), 'export const A = 1;');
    // same size and modification time: the text read before is served (the disk is not read)
    writeFileSync(path, 'export const A = 2;');
    utimesSync(path, new Date(1_000_000), new Date(1_000_000));
    assert.equal(files.read(path), 'export const A = 2;', 'the time changed: read again');
    writeFileSync(path, 'export const A = 3;');
    utimesSync(path, new Date(1_000_000), new Date(1_000_000));
    assert.equal(files.read(path), 'export const A = 2;', 'same time and size: the cached text');
    files.changed(path);
    assert.equal(files.read(path), 'export const A = 3;', 'a watched change drops the cached text');
    open.set(path, 'export const A = 4; // unsaved');
    assert.equal(files.read(path), 'export const A = 4; // unsaved');
    assert.equal(files.read(join(dir, 'missing.js')), undefined);
    assert.equal(files.read(dir), undefined, 'a folder is not a file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pathOf: file URIs to normalised paths, other schemes to nothing', () => {
  assert.equal(pathOf('file:///work/a/../b/model.ts'), '/work/b/model.ts');
  assert.equal(pathOf('untitled:Untitled-1'), undefined);
});

test('fileChanged marks the documents that read the file stale, and only those', () => {
  const served = new Map([['/p/data.js', 'v1']]);
  let analyses = 0;
  const cache = new AnalysisCache(
    () => ({}),
    (_text, _language, options) => {
      analyses++;
      // the importer reads data.js (and tries a file that does not exist); the other file reads nothing
      if (options.documentKey === 'file:///p/main.js') {
        options.readFile?.('/p/data.js');
        options.readFile?.('/p/missing.js');
      }
      return { ...EMPTY };
    },
    (path) => served.get(path),
  );
  const main = TextDocument.create('file:///p/main.js', 'javascript', 1, 'import { A } from "./data"');
  const other = TextDocument.create('file:///p/other.js', 'javascript', 1, '');
  const first = cache.get(main);
  cache.get(other);
  assert.equal(analyses, 2);
  assert.deepEqual(cache.fileChanged('/p/unrelated.js'), []);
  assert.deepEqual(cache.fileChanged('/p/data.js'), ['file:///p/main.js']);
  assert.equal(cache.isFresh(main), false);
  assert.equal(cache.isFresh(other), true);
  // until it is analysed again, requests answer from the stale analysis, marked not fresh
  const answer = cache.latest(main);
  assert.equal(answer?.analysis, first);
  assert.equal(answer?.fresh, false);
  assert.notEqual(cache.get(main), first);
  assert.equal(analyses, 3);
  // a file that was looked for and not found counts: creating it makes the importer stale
  assert.deepEqual(cache.fileChanged('/p/missing.js'), ['file:///p/main.js']);
});

test('a tf.js model reads the buffer of the file it imports, through the cache', async () => {
  await initTfjsFrontend();
  const data = new Map([['/proj/data.js', 'export const UNITS = 4;']]);
  const cache = new AnalysisCache(() => ({}), analyzeDocument, (path) => data.get(path));
  const text = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { UNITS } from './data';",
    'const model = tf.sequential();',
    'model.add(tf.layers.dense({ inputShape: [10], units: UNITS }));',
    '',
  ].join('\n');
  const doc = TextDocument.create('file:///proj/main.js', 'javascript', 1, text);
  const params = () => cache.get(doc)!.models.map((m) => m.footprint.params.trainable);
  // 10 x 4 + 4
  assert.deepEqual(params(), [44]);
  data.set('/proj/data.js', 'export const UNITS = 6;');
  assert.deepEqual(params(), [44], 'nothing said the file changed: the cached analysis stands');
  assert.deepEqual(cache.fileChanged('/proj/data.js'), ['file:///proj/main.js']);
  // 10 x 6 + 6
  assert.deepEqual(params(), [66]);
});

test('a PyTorch module reads the buffer of the file it imports, through the cache', async () => {
  await initTfjsFrontend();
  const files = new Map([['/proj/widths.py', 'HIDDEN = 8\n']]);
  const cache = new AnalysisCache(() => ({}), analyzeDocument, (path) => files.get(path));
  const text = ['import torch', 'import torch.nn as nn', 'from widths import HIDDEN', '', 'model = nn.Linear(10, HIDDEN)', 'y = model(torch.randn(2, 10))', ''].join('\n');
  const doc = TextDocument.create('file:///proj/train.py', 'python', 1, text);
  const params = () => cache.get(doc)!.models.map((m) => m.footprint.params.trainable);
  // 10 x 8 + 8
  assert.deepEqual(params(), [88]);
  files.set('/proj/widths.py', 'HIDDEN = 3\n');
  assert.deepEqual(cache.fileChanged('/proj/widths.py'), ['file:///proj/train.py']);
  // 10 x 3 + 3
  assert.deepEqual(params(), [33]);
});
