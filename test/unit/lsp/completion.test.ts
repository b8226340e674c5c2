import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionItemKind, InsertTextFormat } from 'vscode-languageserver';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { completion } from '../../../server/src/lsp/features/completion';
import { textContext } from '../../../server/src/lsp/features/textContext';
import { buildAnalysis, TEXT } from './fixture';

const analysis = buildAnalysis();

/** complete at the `|` of a text; returns the items */
function completeAt(marked: string, withAnalysis = true) {
  const offset = marked.indexOf('|');
  const text = marked.replace('|', '');
  const before = text.slice(0, offset).split('\n');
  const pos = { line: before.length - 1, character: before[before.length - 1]!.length };
  return completion(withAnalysis ? analysis : undefined, text, offset, pos);
}

/** TEXT with `|` inserted at a line and column */
function mark(line: number, character: number, insert = ''): string {
  const lines = TEXT.split('\n');
  const l = lines[line]!;
  lines[line] = `${l.slice(0, character)}${insert}|${l.slice(character)}`;
  return lines.join('\n');
}

test('text context: config key and value, call arguments, statement, comment, top level', () => {
  assert.deepEqual(textContext('config {\n  ba', 13), { kind: 'configKey' });
  assert.deepEqual(textContext('model m {\n  config {\n    device: a1', 35), { kind: 'configValue', key: 'device' });
  assert.deepEqual(textContext('model m {\n  x = conv2d(x, 16,\n    stride: 2, k', 45), {
    kind: 'call',
    callee: 'conv2d',
    argIndex: 3,
    positionalBefore: 2,
    named: ['stride'],
    atArgStart: true,
  });
  assert.deepEqual(textContext('  y = relu(batchnorm(x), ', 22), {
    kind: 'call',
    callee: 'batchnorm',
    argIndex: 0,
    positionalBefore: 0,
    named: [],
    atArgStart: true,
  });
  assert.deepEqual(textContext('  y = f(x, pad: [1, 2', 21), {
    kind: 'call',
    callee: 'f',
    argIndex: 1,
    positionalBefore: 1,
    named: [],
    activeName: 'pad',
    atArgStart: false,
  });
  assert.deepEqual(textContext('model m {\n  x = f(x) # conv(', 26), { kind: 'comment' });
  assert.deepEqual(textContext('model m {\n  x = f(x)\n  ', 22), { kind: 'statementStart' });
  // a parenthesis inside a comment on an earlier line does not open a call
  assert.deepEqual(textContext('model m {  # f(\n  y = ', 22), { kind: 'expression' });
  assert.deepEqual(textContext('block b(x) {\n}\nmo', 17), { kind: 'topLevel' });
});

test('expression position: names bound so far, ops with summaries, blocks with signatures', () => {
  const items = completeAt(mark(11, 6));
  const byLabel = new Map(items.map((i) => [i.label, i]));
  const conv = byLabel.get('conv2d')!;
  assert.equal(conv.kind, CompletionItemKind.Function);
  assert.equal(conv.detail, lookupOp('conv2d')!.summary);
  assert.equal(byLabel.get('pair')?.detail, 'block pair(x, width, act: true)');
  assert.equal(byLabel.get('pair')?.kind, CompletionItemKind.Module);
  // `x` is bound on lines 8-10 before the cursor; block parameters are not in the model's scope
  assert.deepEqual(items.filter((i) => i.kind === CompletionItemKind.Variable).map((i) => i.label), ['x']);
  assert.ok(byLabel.has('linear'), 'aliases are offered too');
  assert.match(String(byLabel.get('linear')?.detail), /^alias of dense: /);
});

test('inside an op call at an argument start: its named arguments not given yet, with docs', () => {
  // "  x = conv2d(x, 16, |kernel: 3, pad: 1)": x and filters are given positionally
  const items = completeAt(mark(9, 20));
  const named = items.filter((i) => i.kind === CompletionItemKind.Property);
  assert.deepEqual(
    named.map((i) => i.label),
    ['kernel:', 'stride:', 'pad:', 'dilation:', 'groups:', 'bias:', 'activation:'],
  );
  const stride = named[1]!;
  assert.equal(stride.insertText, 'stride: ');
  assert.equal(stride.detail, 'intOrInts = 1');
  assert.equal(stride.documentation, lookupOp('conv2d')!.args.find((a) => a.name === 'stride')!.doc);
  assert.ok(items.some((i) => i.label === 'relu'), 'an expression may start here too');
});

test('named arguments already given by name are not offered again', () => {
  const items = completeAt('model m {\n  x = conv2d(x, 16, kernel: 3, |');
  const labels = items.filter((i) => i.kind === CompletionItemKind.Property).map((i) => i.label);
  assert.deepEqual(labels, ['stride:', 'pad:', 'dilation:', 'groups:', 'bias:', 'activation:']);
});

test('inside a block call: the block parameters after the positional ones, with defaults', () => {
  // "  x = pair(x, 16, |)"
  const items = completeAt(mark(10, 16, ', ')).filter((i) => i.kind === CompletionItemKind.Property);
  assert.deepEqual(
    items.map((i) => [i.label, i.detail]),
    [['act:', 'default true']],
  );
  // "  x = pair(x, |16)"
  const early = completeAt(mark(10, 14)).filter((i) => i.kind === CompletionItemKind.Property);
  assert.deepEqual(early.map((i) => [i.label, i.detail]), [['width:', 'required'], ['act:', 'default true']]);
});

test('after a named argument: values, not names', () => {
  const items = completeAt('model m {\n  x = conv2d(x, 16, kernel: |');
  assert.equal(items.some((i) => i.kind === CompletionItemKind.Property), false);
  assert.ok(items.some((i) => i.label === 'conv2d'));
});

test('config keys, and the values of a key', () => {
  const keys = completeAt(mark(1, 2));
  assert.deepEqual(keys.map((i) => i.label), ['mode', 'batch', 'precision', 'optimizer', 'device', 'layout', 'lowering', 'framework', 'devices', 'zero', 'offload', 'gradientAccumulation', 'context', 'tensorParallel', 'sequenceParallel', 'pipeline', 'microbatches', 'quantize']);
  assert.equal(keys[0]!.insertText, 'mode: ');
  const values = completeAt('config {\n  optimizer: |\n}', false);
  assert.deepEqual(values.map((i) => i.label), ['none', 'sgd', 'sgd(momentum: 0.9)', 'adam', 'adamw']);
  assert.equal(values[2]!.insertTextFormat, InsertTextFormat.Snippet);
  assert.equal(values[2]!.insertText, 'sgd(momentum: ${1:0.9})');
  const devices = completeAt('model m {\n  config { device: | }', false).map((i) => i.label);
  assert.ok(devices.includes('a100-40gb') && devices.includes('ipu-mk2') && devices.includes('gpu(memory: 16GiB)'), devices.join());
});

test('in a comment: nothing; at the top level: the item keywords', () => {
  assert.deepEqual(completeAt('model m {\n  x = f(x)  # conv|'), []);
  assert.deepEqual(completeAt(mark(13, 1, '\n')).map((i) => i.label), ['model', 'block', 'config']);
});

test('works without an analysis (a document that does not parse yet)', () => {
  const items = completeAt('model m {\n  x = conv2d(x, 16, |', false);
  assert.ok(items.some((i) => i.label === 'kernel:'));
});
