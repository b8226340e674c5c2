// Document symbols, go to definition, find references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SymbolKind } from 'vscode-languageserver';
import { definition, references } from '../../../server/src/lsp/features/definition';
import { documentSymbols } from '../../../server/src/lsp/features/symbols';
import { buildAnalysis, find, inside } from './fixture';

const analysis = buildAnalysis();
const URI = 'file:///tiny.nnm';

test('document symbols: config, blocks with their tensors, models with theirs', () => {
  const symbols = documentSymbols(analysis);
  assert.deepEqual(
    symbols.map((s) => [s.name, s.kind, s.range.start.line, s.range.end.line, s.children?.map((c) => [c.name, c.kind, c.selectionRange.start.line])]),
    [
      ['config', SymbolKind.Namespace, 0, 2, []],
      ['pair', SymbolKind.Function, 3, 6, [['y', SymbolKind.Variable, 4]]],
      ['tiny', SymbolKind.Class, 7, 13, [8, 9, 10, 11].map((line) => ['x', SymbolKind.Variable, line])],
    ],
  );
  assert.equal(symbols[1]!.detail, '(x, width, act: true)');
  assert.deepEqual(symbols[2]!.selectionRange, find(7, 'tiny'));
});

test('definition of a name use is the statement that bound it (rebinding makes a new one)', () => {
  assert.deepEqual(definition(analysis, inside(find(11, 'x', 1)), URI), [{ uri: URI, range: find(10, 'x') }]);
  assert.deepEqual(definition(analysis, inside(find(9, 'x', 1)), URI), [{ uri: URI, range: find(8, 'x') }]);
});

test('definition of a block call is the block name; of a block parameter its declaration', () => {
  assert.deepEqual(definition(analysis, inside(find(10, 'pair'), 2), URI), [{ uri: URI, range: find(3, 'pair') }]);
  assert.deepEqual(definition(analysis, inside(find(4, 'width')), URI), [{ uri: URI, range: find(3, 'width') }]);
});

test('no definition off a name', () => {
  assert.deepEqual(definition(analysis, { line: 13, character: 0 }, URI), []);
});

test('references of a block: every call, with or without the declaration', () => {
  const ranges = (include: boolean) => references(analysis, inside(find(3, 'pair')), URI, include).map((l) => l.range);
  assert.deepEqual(ranges(true), [find(3, 'pair'), { start: find(10, 'pair').start, end: { line: 10, character: 17 } }, { start: find(11, 'pair').start, end: { line: 11, character: 17 } }]);
  assert.deepEqual(ranges(false).length, 2);
});

test('references of a tensor binding: its uses, not those of other bindings of the same name', () => {
  assert.deepEqual(
    references(analysis, inside(find(10, 'x')), URI, true).map((l) => l.range),
    [find(10, 'x'), find(11, 'x', 1)],
  );
  assert.deepEqual(
    references(analysis, inside(find(4, 'y')), URI, false).map((l) => l.range),
    [find(5, 'y')],
  );
});
