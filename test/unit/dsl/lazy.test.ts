// What the .nnm frontend builds on request (refs, outline, ranges) and what it keeps (offsets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeGraphs } from '../../../server/src/core/analyze';
import type { Call, ModelItem } from '../../../server/src/core/dsl/ast';
import { parseNnm } from '../../../server/src/core/dsl/parser';
import { SourceLines } from '../../../server/src/core/dsl/source';
import { analyze, at, codes, model } from './helpers';

test('source lines: positions of start keys and end keys over \\n, \\r\\n and a lone \\r', () => {
  // "ab\r\ncd\ref\n": lines start at 0, 4, 7, 10
  const lines = new SourceLines(10);
  lines.starts.push(4, 7, 10);
  assert.deepEqual(lines.start(0), { line: 0, character: 0 });
  assert.deepEqual(lines.start(5), { line: 1, character: 1 });
  assert.deepEqual(lines.start(8), { line: 2, character: 1 });
  // an end key is the offset after a token: `ab` ends at 2, the \r\n newline token at 4 (same line)
  assert.deepEqual(lines.end(2), { line: 0, character: 2 });
  assert.deepEqual(lines.end(4), { line: 0, character: 4 });
  assert.deepEqual(lines.end(9), { line: 2, character: 2 });
  // past the text: the end of the file is where the last (empty) line starts
  assert.deepEqual(lines.end(11), { line: 3, character: 0 });
  assert.equal(at(lines.range(5, 6)), '1:1-1:2');
});

test('ranges of nodes cut off by the end of the file', () => {
  const open = parseNnm('model m {\n  return input(4)');
  assert.equal(at((open.file.items[0] as ModelItem).range), '0:0-1:17');
  assert.deepEqual(codes(open.diagnostics), ['NNM101 0:6-0:7']);
  const unfinished = parseNnm('model m {\n  x = relu(\n');
  const body = (unfinished.file.items[0] as ModelItem).body;
  // the statement ends with the last token taken, the '(' left open
  assert.equal(at(body[0]!.range), '1:2-1:11');
  assert.deepEqual(codes(unfinished.diagnostics), ['NNM101 1:10-1:11', 'NNM101 0:6-0:7']);
});

test('a call keeps values; callee and args are built when read, with their exact ranges', () => {
  const { file } = parseNnm(model('y = conv2d(x, 8, kernel: (3), bias: false)'));
  const stmt = (file.items[0] as ModelItem).body[0]!;
  assert.ok(stmt.kind === 'assign' && stmt.value.kind === 'call');
  const call: Call = stmt.value;
  assert.equal(call.calleeName, 'conv2d');
  assert.equal(at(call.callee.range), '1:6-1:12');
  assert.deepEqual(
    call.args.map((a) => `${a.name?.name ?? '-'} ${at(a.range)} ${at(a.value.range)}`),
    // a named argument runs from its name to the closing parenthesis of its value
    ['- 1:13-1:14 1:13-1:14', '- 1:16-1:17 1:16-1:17', 'kernel 1:19-1:30 1:28-1:29', 'bias 1:32-1:43 1:38-1:43'],
  );
  assert.notEqual(call.args, call.args, 'a new list per read');
});

test('refs and outline: own enumerable accessors, built once on the first read', () => {
  const r = analyze(model('x = input(4)', 'return relu(x)'));
  const descriptor = Object.getOwnPropertyDescriptor(r, 'refs')!;
  assert.equal(typeof descriptor.get, 'function');
  assert.equal(descriptor.enumerable, true);
  assert.deepEqual(Object.keys(r), ['graphs', 'diagnostics', 'outline', 'refs', 'blocks']);
  assert.equal(r.refs, r.refs);
  assert.equal(r.outline, r.outline);
  assert.deepEqual(
    r.refs.map((x) => `${x.kind} ${x.name} ${at(x.range)}`),
    ['model m 0:6-0:7', 'tensor x 1:2-1:3', 'op input 1:6-1:11', 'op relu 2:9-2:13', 'tensor x 2:14-2:15'],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(r)).refs.length, 5);
});

test('analyzeGraphs keeps the frontend getters: the analysis reads the same memoised lists', () => {
  const r = analyze(model('x = input(4)', 'return relu(x)'));
  const doc = analyzeGraphs(r);
  assert.equal(typeof Object.getOwnPropertyDescriptor(doc, 'refs')!.get, 'function');
  assert.equal(typeof Object.getOwnPropertyDescriptor(doc, 'outline')!.get, 'function');
  assert.equal(doc.refs, r.refs);
  assert.equal(doc.outline, r.outline);
  assert.deepEqual(Object.keys(doc), ['graphs', 'diagnostics', 'outline', 'refs', 'blocks', 'models', 'findings']);
});

test('a large file: ranges read after the parse are exact although its tokens were recycled', () => {
  const statements = ['x = input(4)'];
  for (let k = 0; k < 3000; k++) statements.push(`x = relu(x)`);
  statements.push('y = concat(x,');
  for (let k = 0; k < 3000; k++) statements.push('  x,');
  statements.push('z = relu(x)', 'return z');
  const { file, diagnostics } = parseNnm(model(...statements));
  const body = (file.items[0] as ModelItem).body;
  assert.equal(at(body[0]!.range), '1:2-1:14');
  assert.equal(at(body[3000]!.range), '3001:2-3001:13');
  // the '(' of concat lies 6000 tokens back when the call is found unclosed
  assert.deepEqual(codes(diagnostics), ['NNM101 3002:12-3002:13']);
  assert.equal(at(body[body.length - 1]!.range), '6004:2-6004:10');
});
