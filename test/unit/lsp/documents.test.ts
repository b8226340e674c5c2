import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { AnalyzeOptions } from '../../../server/src/core/analyze';
import type { DocumentAnalysis } from '../../../server/src/core/document';
import type { SourceLanguage } from '../../../server/src/core/frontend';
import { sourceLanguage } from '../../../server/src/core/frontends';
import { AnalysisCache } from '../../../server/src/lsp/documents';

const EMPTY: DocumentAnalysis = { graphs: [], models: [], diagnostics: [], outline: [], refs: [], blocks: [] };

function counting() {
  const calls: [string, SourceLanguage, AnalyzeOptions][] = [];
  let options: AnalyzeOptions = {};
  const cache = new AnalysisCache(
    () => options,
    (text, language, opts) => {
      calls.push([text, language, opts]);
      return { ...EMPTY };
    },
  );
  return { calls, cache, setOptions: (o: AnalyzeOptions) => (options = o) };
}

test('analysed once per version, shared by every caller', () => {
  const { calls, cache } = counting();
  let doc = TextDocument.create('file:///a.nnm', 'nnm', 1, 'model m {}');
  const first = cache.get(doc);
  assert.equal(cache.get(doc), first);
  doc = TextDocument.update(doc, [{ text: 'model n {}' }], 2);
  assert.notEqual(cache.get(doc), first);
  assert.deepEqual(calls.map((c) => [c[0], c[1]]), [['model m {}', 'nnm'], ['model n {}', 'nnm']]);
});

test('a settings change invalidates every entry and the new defaults are used', () => {
  const { calls, cache, setOptions } = counting();
  const doc = TextDocument.create('file:///a.nnm', 'nnm', 1, '');
  cache.get(doc);
  setOptions({ defaults: { batch: 4 } });
  cache.invalidateAll();
  cache.get(doc);
  cache.get(doc);
  assert.deepEqual(calls.map((c) => c[2]), [{ documentKey: 'file:///a.nnm' }, { defaults: { batch: 4 }, documentKey: 'file:///a.nnm' }]);
});

test('languages: nnm and TypeScript / JavaScript flavours are read; others are not analysed', () => {
  assert.deepEqual(
    ['nnm', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'plaintext'].map(sourceLanguage),
    ['nnm', 'typescript', 'typescript', 'javascript', 'javascript', undefined],
  );
  const { calls, cache } = counting();
  assert.equal(cache.get(TextDocument.create('file:///a.txt', 'plaintext', 1, 'x')), undefined);
  assert.equal(calls.length, 0);
});

test('latest: after an edit, the previous analysis anchored to the new text, without analysing', () => {
  const { calls, cache } = counting();
  let doc = TextDocument.create('file:///a.nnm', 'nnm', 1, 'model m {}');
  const first = cache.latest(doc);
  assert.equal(first?.fresh, true, 'nothing analysed yet: analysed now');
  assert.equal(first?.anchor.identity, true);
  doc = TextDocument.update(doc, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# c\n' }], 2);
  const stale = cache.latest(doc);
  assert.equal(calls.length, 1, 'the edit did not analyse');
  assert.equal(stale?.analysis, first?.analysis);
  assert.equal(stale?.fresh, false);
  assert.deepEqual(stale?.anchor.toAnalysed({ line: 1, character: 6 }), { line: 0, character: 6 });
  assert.equal(cache.isFresh(doc), false);
  cache.get(doc);
  assert.equal(cache.latest(doc)?.fresh, true, 'once the new version is analysed it answers');
  assert.equal(calls.length, 2);
});

test('latest after a settings change analyses again: an answer under the old settings would be wrong', () => {
  const { calls, cache, setOptions } = counting();
  let doc = TextDocument.create('file:///a.nnm', 'nnm', 1, 'model m {}');
  cache.get(doc);
  doc = TextDocument.update(doc, [{ text: 'model n {}' }], 2);
  setOptions({ defaults: { batch: 2 } });
  cache.invalidateAll();
  assert.equal(cache.latest(doc)?.fresh, true);
  assert.deepEqual(calls.map((c) => c[0]), ['model m {}', 'model n {}']);
});
