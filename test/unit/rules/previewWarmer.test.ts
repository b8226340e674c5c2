// The preview warmer runs one fix preview per event-loop turn after the idle delay and stops as soon
// as the document is no longer the published version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { PreviewWarmer, type CodeActionInput } from '../../../server/src/lsp/features/codeActions';
import { fixture } from './fixture';

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

function input(): CodeActionInput {
  const text = fixture('precision.trigger'); // NNM203 (1 fix), NNM207 (1 fix): 2 previews
  return { uri: 'file:///w.nnm', text, language: 'nnm', options: {}, analysis: analyzeDocument(text, 'nnm') };
}

test('warms every fix preview while the document stays the same', async () => {
  const i = input();
  assert.equal((i.analysis.findings ?? []).reduce((n, f) => n + f.fixes.length, 0), 2);
  let calls = 0;
  new PreviewWarmer(0).schedule(i.uri, () => (calls++, i));
  for (let k = 0; k < 40 && calls < 3; k++) await settle();
  await settle();
  assert.equal(calls, 3); // the first look, then one check before each of the 2 previews
});

test('stops when the document changes', async () => {
  const i = input();
  let calls = 0;
  new PreviewWarmer(0).schedule(i.uri, () => (++calls === 1 ? i : undefined));
  for (let k = 0; k < 5; k++) await settle();
  assert.equal(calls, 2);
});

test('cancel: nothing runs', async () => {
  const i = input();
  let calls = 0;
  const w = new PreviewWarmer(10);
  w.schedule(i.uri, () => (calls++, i));
  w.cancel(i.uri);
  await settle();
  assert.equal(calls, 0);
});
