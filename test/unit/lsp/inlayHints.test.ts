import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inlayHints } from '../../../server/src/lsp/features/inlayHints';
import { buildAnalysis } from './fixture';

const analysis = buildAnalysis();
const WHOLE = { start: { line: 0, character: 0 }, end: { line: 14, character: 0 } };

test('one hint at the end of each model statement: bytes it adds per sample and params', () => {
  const hints = inlayHints(analysis, WHOLE, { enabled: true, showParams: true });
  assert.deepEqual(
    hints.map((h) => [h.position.line, h.position.character, h.label, h.tooltip]),
    [
      [8, 22, '12 KiB x N', '96 KiB at batch 8'],
      [9, 38, '64 KiB x N · +448 params', '512 KiB at batch 8'],
      // a block call sums its expansion: conv + relu outputs, conv params
      [10, 17, '128 KiB x N · +2.32K params', '1 MiB at batch 8'],
      [11, 17, '256 KiB x N · +4.64K params', '2 MiB at batch 8'],
      // flatten 128 KiB + dense 40 B; 32,768 * 10 + 10 = 327,690 params
      [12, 30, '128 KiB x N · +328K params', '1 MiB at batch 8'],
    ],
  );
  assert.ok(hints.every((h) => h.paddingLeft === true));
});

test('showParams off leaves the bytes only', () => {
  const hints = inlayHints(analysis, WHOLE, { enabled: true, showParams: false });
  assert.deepEqual(
    hints.map((h) => h.label),
    ['12 KiB x N', '64 KiB x N', '128 KiB x N', '256 KiB x N', '128 KiB x N'],
  );
});

test('only hints within the requested range', () => {
  const range = { start: { line: 10, character: 0 }, end: { line: 11, character: 17 } };
  assert.deepEqual(
    inlayHints(analysis, range, { enabled: true, showParams: true }).map((h) => h.position.line),
    [10, 11],
  );
});

test('disabled: no hints', () => {
  assert.deepEqual(inlayHints(analysis, WHOLE, { enabled: false, showParams: true }), []);
});
