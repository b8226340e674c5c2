import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from '../../../server/src/core/dsl/lexer';
import { at, codes } from './helpers';

const kinds = (text: string) => lex(text).tokens.map((t) => `${t.kind}:${t.text}`);

test('identifiers, numbers, sizes, strings and punctuation', () => {
  assert.deepEqual(kinds('x = conv2d(x, 64, kernel: [3, 5]) # note'), [
    'ident:x', 'punct:=', 'ident:conv2d', 'punct:(', 'ident:x', 'punct:,', 'int:64', 'punct:,', 'ident:kernel', 'punct::',
    'punct:[', 'int:3', 'punct:,', 'int:5', 'punct:]', 'punct:)', 'eof:',
  ]);
  assert.deepEqual(kinds('a <= b == c != d >= e < f > g ? h : i % 2'), [
    'ident:a', 'punct:<=', 'ident:b', 'punct:==', 'ident:c', 'punct:!=', 'ident:d', 'punct:>=', 'ident:e', 'punct:<', 'ident:f',
    'punct:>', 'ident:g', 'punct:?', 'ident:h', 'punct::', 'ident:i', 'punct:%', 'int:2', 'eof:',
  ]);
  assert.deepEqual(kinds('"fp16" "a\\"b"'), ['string:fp16', 'string:a"b', 'eof:']);
});

test('number values: ints, decimals, exponents and sizes in bytes', () => {
  const t = lex('0.9 1e30 2.5e-3 16GiB 512MB 900MiB 7').tokens;
  assert.deepEqual(
    t.map((x) => [x.kind, x.value]),
    [['real', 0.9], ['real', 1e30], ['real', 0.0025], ['size', 16 * 1024 ** 3], ['size', 512e6], ['size', 900 * 1024 ** 2], ['int', 7], ['eof', undefined]],
  );
});

test('a size too large to count exactly keeps NaN bytes (reported later, never used)', () => {
  const t = lex('99999999999TiB').tokens[0]!;
  assert.equal(t.kind, 'size');
  assert.ok(Number.isNaN(t.value));
});

test('ranges are 0-based lines and UTF-16 columns; CRLF and comments', () => {
  const r = lex('# é comment\r\nmodel  m {\n  x = "é😀" y\n}');
  const tok = r.tokens.filter((t) => t.kind !== 'newline');
  assert.equal(at(tok[0]!.range), '1:0-1:5'); // model
  assert.equal(at(tok[1]!.range), '1:7-1:8'); // m
  const y = tok.find((t) => t.text === 'y')!;
  // "é😀" is 1 + 2 UTF-16 units plus quotes: starts at 6, ends at 11
  assert.equal(at(y.range), '2:12-2:13');
  assert.deepEqual(r.comments, [{ line: 0, text: ' é comment' }]);
});

test('bad characters are one diagnostic per run; malformed numbers and strings are reported', () => {
  const r = lex('x @@@ y\n12abc "open\n$');
  assert.deepEqual(codes(r.diagnostics), ['NNM102 0:2-0:5', 'NNM102 1:0-1:5', 'NNM102 1:6-1:11', 'NNM102 2:0-2:1']);
  assert.match(r.diagnostics[1]!.message, /'12abc' is not a number or a size/);
  assert.match(r.diagnostics[2]!.message, /unterminated string/);
});
