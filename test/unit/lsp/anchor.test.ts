import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorBetween } from '../../../server/src/lsp/anchor';
import { anchoredHover, anchoredInlayHints, anchoredSymbols } from '../../../server/src/lsp/anchored';
import type { DocumentSymbol, Hover } from 'vscode-languageserver';

const pos = (line: number, character: number) => ({ line, character });
const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: pos(l1, c1), end: pos(l2, c2) });

const ANALYSED = 'model m {\n  x = input(10)\n  h = dense(x, 5)\n  return h\n}\n';

test('the same text: every position and range maps to itself', () => {
  const anchor = anchorBetween(ANALYSED, ANALYSED);
  assert.equal(anchor.identity, true);
  assert.deepEqual(anchor.toAnalysed(pos(2, 4)), pos(2, 4));
});

test('lines inserted above: positions below shift down, ranges shift back up', () => {
  const anchor = anchorBetween(ANALYSED, `# one\n# two\n${ANALYSED}`);
  assert.equal(anchor.identity, false);
  assert.deepEqual(anchor.toAnalysed(pos(4, 2)), pos(2, 2));
  assert.deepEqual(anchor.toCurrent(range(2, 2, 2, 3)), range(4, 2, 4, 3));
  // inside the inserted lines nothing was analysed
  assert.equal(anchor.toAnalysed(pos(1, 3)), undefined);
});

test('a number edited in a line: the rest of that line and the lines around it still map', () => {
  // `5` -> `128` in `  h = dense(x, 5)` (the 5 at character 15): one character in the analysed text, three now
  const current = ANALYSED.replace('dense(x, 5)', 'dense(x, 128)');
  const anchor = anchorBetween(ANALYSED, current);
  assert.deepEqual(anchor.toAnalysed(pos(2, 2)), pos(2, 2), 'before the edit on its line');
  assert.deepEqual(anchor.toAnalysed(pos(2, 18)), pos(2, 16), 'the closing parenthesis, after the edit');
  assert.deepEqual(anchor.toAnalysed(pos(3, 9)), pos(3, 9), 'the next line');
  assert.equal(anchor.toAnalysed(pos(2, 16)), undefined, 'inside the new number');
  // a range around the edit (the statement, the number itself) stretches over the new text
  assert.deepEqual(anchor.toCurrent(range(2, 2, 2, 17)), range(2, 2, 2, 19));
  assert.deepEqual(anchor.toCurrent(range(2, 15, 2, 16)), range(2, 15, 2, 18));
  // clamped request ranges: a start inside the span goes to its start, an end to its end
  assert.deepEqual(anchor.clampToAnalysed(pos(2, 16), 'start'), pos(2, 15));
  assert.deepEqual(anchor.clampToAnalysed(pos(2, 16), 'end'), pos(2, 16));
});

test('a deletion: ranges after it move up, a zero-width position at its start stays', () => {
  const current = ANALYSED.replace('  x = input(10)\n', '');
  const anchor = anchorBetween(ANALYSED, current);
  assert.deepEqual(anchor.toCurrent(range(2, 2, 2, 3)), range(1, 2, 1, 3));
  assert.deepEqual(anchor.toCurrent(range(1, 0, 1, 0)), range(1, 0, 1, 0));
  assert.equal(anchor.toCurrent(range(1, 2, 1, 3)), undefined, 'the deleted statement');
});

test('anchored answers: hover ranges and hint positions move with the text; what lies in the edit is left out', () => {
  const anchor = anchorBetween(ANALYSED, `# note\n${ANALYSED}`);
  const seen: unknown[] = [];
  const hover = anchoredHover(anchor, (p) => (seen.push(p), { contents: 'h', range: range(2, 2, 2, 3) } as Hover), pos(3, 2));
  assert.deepEqual(seen, [pos(2, 2)]);
  assert.deepEqual(hover?.range, range(3, 2, 3, 3));
  assert.equal(anchoredHover(anchor, () => ({ contents: 'x' }), pos(0, 3)), null, 'on the new comment');
  const hints = anchoredInlayHints(anchor, (r) => {
    assert.deepEqual(r, range(0, 0, 3, 0), 'the request range starts at the edit, in the analysed text');
    return [{ position: pos(1, 15), label: 'a' }, { position: pos(2, 17), label: 'b' }];
  }, range(0, 0, 4, 0));
  assert.deepEqual(hints.map((h) => [h.label, h.position]), [['a', pos(2, 15)], ['b', pos(3, 17)]]);
  const model: DocumentSymbol = { name: 'm', kind: 5, range: range(0, 0, 4, 1), selectionRange: range(0, 6, 0, 7), children: [] };
  // the edit at offset 0 is the model's start: it holds the span and stretches over the comment
  assert.deepEqual(anchoredSymbols(anchor, [model]).map((s) => [s.range, s.selectionRange]), [[range(0, 0, 5, 1), range(1, 6, 1, 7)]]);
});
