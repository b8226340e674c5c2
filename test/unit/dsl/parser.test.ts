import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Assign, BlockItem, ConfigItem, Expr, ModelItem } from '../../../server/src/core/dsl/ast';
import { MAX_EXPR_DEPTH, parseExpression, parseNnm } from '../../../server/src/core/dsl/parser';
import { at, codes } from './helpers';

const RESNET = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'resnet50.nnm'), 'utf8');

/** an expression as a compact s-expression */
function show(e: Expr): string {
  switch (e.kind) {
    case 'ident':
      return e.name;
    case 'number':
    case 'size':
      return e.text;
    case 'string':
      return JSON.stringify(e.value);
    case 'bool':
      return String(e.value);
    case 'call':
      return `${e.callee.name}(${e.args.map((a) => (a.name ? `${a.name.name}: ` : '') + show(a.value)).join(', ')})`;
    case 'repeat':
      return `(repeat ${show(e.count)} ${show(e.call)})`;
    case 'unary':
      return `(${e.op} ${show(e.operand)})`;
    case 'binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'ternary':
      return `(${show(e.cond)} ? ${show(e.then)} : ${show(e.otherwise)})`;
    case 'list':
      return `[${e.items.map(show).join(', ')}]`;
    case 'error':
      return '<error>';
  }
}

const expr = (text: string) => {
  const r = parseExpression(text);
  assert.deepEqual(r.diagnostics, []);
  return show(r.expr);
};

test('resnet50.nnm parses without diagnostics into config, block and model', () => {
  const { file, diagnostics } = parseNnm(RESNET);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(file.items.map((i) => i.kind), ['config', 'block', 'model']);
  const config = file.items[0] as ConfigItem;
  assert.deepEqual(config.entries.map((e) => `${e.key.name}=${e.valueText}`), [
    'mode=train', 'batch=32', 'precision=fp32', 'optimizer=sgd(momentum: 0.9)', 'device=gpu(memory: 16GiB)', 'layout=nchw',
  ]);
  const block = file.items[1] as BlockItem;
  assert.equal(block.name.name, 'bottleneck');
  assert.deepEqual(block.params.map((p) => `${p.name.name}${p.defaultText !== undefined ? `:${p.defaultText}` : ''}`), ['x', 'width', 'out', 'stride:1', 'project:false']);
  assert.equal(block.body.length, 7);
  const s = block.body[5] as Assign;
  assert.equal(show(s.value), '(project ? batchnorm(conv2d(x, out, kernel: 1, stride: stride, bias: false)) : x)');
  const model = file.items[2] as ModelItem;
  assert.equal(model.body.length, 14);
  assert.equal(show((model.body[5] as Assign).value), '(repeat 2 bottleneck(x, 64, 256))');
  assert.equal(model.body[13]!.kind, 'return');
});

test('node ranges are exact', () => {
  const { file } = parseNnm(RESNET);
  const model = file.items[2] as ModelItem;
  assert.equal(at(model.range), '20:0-35:1');
  assert.equal(at(model.name.range), '20:6-20:14');
  const stmt = model.body[1] as Assign; // x = conv2d(x, 64, kernel: 7, stride: 2, pad: 3, bias: false)
  assert.equal(at(stmt.range), '22:2-22:62');
  assert.equal(at(stmt.name.range), '22:2-22:3');
  assert.equal(at(stmt.value.range), '22:6-22:62');
  if (stmt.value.kind !== 'call') throw new Error('call expected');
  assert.equal(at(stmt.value.args[2]!.range), '22:20-22:29'); // kernel: 7
  assert.equal(at(stmt.value.args[2]!.value.range), '22:28-22:29');
  const block = file.items[1] as BlockItem;
  assert.equal(at(block.range), '10:0-18:1');
  assert.equal(at(block.params[3]!.range), '10:32-10:41'); // stride: 1
});

test('precedence: ternary < or < and < not < comparison < + - < * / % < unary', () => {
  assert.equal(expr('a or b and not c < d + e * -f'), '(a or (b and (not (c < (d + (e * (- f)))))))');
  assert.equal(expr('1 - 2 - 3'), '((1 - 2) - 3)');
  assert.equal(expr('a ? b : c ? d : e'), '(a ? b : (c ? d : e))');
  assert.equal(expr('(1 + 2) * 3 % 4 / 5'), '((((1 + 2) * 3) % 4) / 5)');
  assert.equal(expr('[1, [2, 3], "s", true, 16GiB]'), '[1, [2, 3], "s", true, 16GiB]');
  assert.equal(expr('repeat (n + 1) f(x, k: 2)'), '(repeat (n + 1) f(x, k: 2))');
});

test('calls span lines inside parentheses; trailing commas are accepted', () => {
  const { file, diagnostics } = parseNnm('model m {\n  x = conv2d(\n    x,\n    64,\n  )\n  return x\n}\n');
  assert.deepEqual(diagnostics, []);
  const s = (file.items[0] as ModelItem).body[0] as Assign;
  assert.equal(show(s.value), 'conv2d(x, 64)');
  assert.equal(at(s.range), '1:2-4:3');
});

test('block doc comments are the comment lines right above the block', () => {
  const { file } = parseNnm('# first\n# second\nblock b(x) {\n  return x\n}\n');
  assert.equal((file.items[0] as BlockItem).doc, 'first\nsecond');
});

test('a typo in one statement leaves the others intact', () => {
  const src = [
    'model m {',
    '  x = input(3, 32, 32)',
    '  y = conv2d(x, 16 kernel: 3)', // missing comma
    '  z = relu(x))', // stray paren
    '  w = relu(x',
    '  v = relu(x)',
    '  return v',
    '}',
  ].join('\n');
  const { file, diagnostics } = parseNnm(src);
  assert.deepEqual(codes(diagnostics), ['NNM101 2:19-2:25', 'NNM101 3:13-3:14', 'NNM101 4:10-4:11']);
  assert.match(diagnostics[0]!.message, /expected ',' or '\)' in the arguments of 'conv2d', found 'kernel'/);
  assert.match(diagnostics[2]!.message, /'\(' of 'relu\(' is not closed/);
  const body = (file.items[0] as ModelItem).body;
  assert.deepEqual(body.map((s) => (s.kind === 'assign' ? `${s.name.name}=${show(s.value)}` : s.kind)), [
    'x=input(3, 32, 32)', 'y=<error>', 'z=relu(x)', 'w=<error>', 'v=relu(x)', 'return',
  ]);
});

test('a missing } does not swallow the next item', () => {
  const { file, diagnostics } = parseNnm('block b(x) {\n  return x\n\nmodel m {\n  return input(1)\n}\n');
  assert.deepEqual(codes(diagnostics), ['NNM101 0:6-0:7']);
  assert.match(diagnostics[0]!.message, /block 'b' is not closed: missing '}'/);
  assert.deepEqual(file.items.map((i) => i.kind), ['block', 'model']);
});

test('junk at file level is reported once per run and parsing resumes at the next item', () => {
  const { file, diagnostics } = parseNnm('x = 1\ny = 2\nmodel m {\n  return input(1)\n}\n');
  assert.deepEqual(codes(diagnostics), ['NNM101 0:0-0:1']);
  assert.match(diagnostics[0]!.message, /statements belong inside a `model \{ \}`/);
  assert.equal(file.items.length, 1);
});

test('positional after named and statements that are not assignments are syntax errors', () => {
  const { diagnostics } = parseNnm('model m {\n  x = f(a: 1, 2)\n  relu(x)\n  return x\n}');
  assert.deepEqual(codes(diagnostics), ['NNM101 1:14-1:15', 'NNM101 2:2-2:6']);
});

test('deep nesting ends in NNM103, not a stack overflow', () => {
  const deep = `model m {\n  x = ${'('.repeat(100000)}1${')'.repeat(100000)}\n  y = input(1)\n  return y\n}\n`;
  const { file, diagnostics } = parseNnm(deep);
  assert.deepEqual(diagnostics.map((d) => d.code), ['NNM103']);
  assert.equal((file.items[0] as ModelItem).body.length, 3);
  const chain = `model m {\n  x = ${Array.from({ length: MAX_EXPR_DEPTH + 5 }, () => '1').join(' + ')}\n  return input(1)\n}`;
  assert.deepEqual(parseNnm(chain).diagnostics.map((d) => d.code), ['NNM103']);
  const fine = `model m {\n  x = ${Array.from({ length: 100 }, () => '1').join(' + ')}\n  return input(1)\n}`;
  assert.deepEqual(parseNnm(fine).diagnostics, []);
});

test('a call left open after a comma does not swallow the next statement', () => {
  const { file, diagnostics } = parseNnm('model m {\n  x = conv2d(x,\n  y = relu(x)\n  return y\n}\n');
  assert.deepEqual(codes(diagnostics), ['NNM101 1:12-1:13']);
  assert.deepEqual((file.items[0] as ModelItem).body.map((s) => (s.kind === 'assign' ? `${s.name.name}=${show(s.value)}` : s.kind)), ['x=<error>', 'y=relu(x)', 'return']);
});
