import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { signatureHelp } from '../../../server/src/lsp/features/signatureHelp';
import { buildAnalysis } from './fixture';

const analysis = buildAnalysis();

function helpAt(marked: string) {
  const offset = marked.indexOf('|');
  return signatureHelp(analysis, marked.replace('|', ''), offset);
}

/** the parameter labels, cut out of the signature label by their offsets */
function paramLabels(help: NonNullable<ReturnType<typeof helpAt>>): string[] {
  const sig = help.signatures[0]!;
  return (sig.parameters ?? []).map((p) => {
    const [start, end] = p.label as [number, number];
    return sig.label.slice(start, end);
  });
}

test('an op: every argument, defaults shown; the positional slot under the cursor is active', () => {
  const help = helpAt('  x = conv2d(x, 16, |')!;
  assert.equal(
    help.signatures[0]!.label,
    'conv2d(x, filters: int, kernel: intOrInts, stride = 1, pad = 0, dilation = 1, groups = 1, bias = true, activation = linear)',
  );
  assert.deepEqual(paramLabels(help), ['x', 'filters: int', 'kernel: intOrInts', 'stride = 1', 'pad = 0', 'dilation = 1', 'groups = 1', 'bias = true', 'activation = linear']);
  assert.equal(help.activeParameter, 2);
  assert.equal(help.signatures[0]!.parameters![1]!.documentation, lookupOp('conv2d')!.args[1]!.doc);
});

test('a named argument under the cursor is the active one', () => {
  assert.equal(helpAt('  x = conv2d(x, 16, 3, pad: |')!.activeParameter, 4);
  assert.equal(helpAt('  x = conv2d(x, 16, 3, groups: 1, |')!.activeParameter, null);
});

test('a variadic argument stays active: input(3, 224, |', () => {
  const help = helpAt('  x = input(3, 224, |')!;
  assert.equal(help.signatures[0]!.label, 'input(...shape: int, dtype: enum, per_sample = true)');
  assert.equal(help.activeParameter, 0);
});

test('a block: its parameters with defaults', () => {
  const help = helpAt('  x = pair(x, 16, |')!;
  assert.equal(help.signatures[0]!.label, 'pair(x, width, act: true)');
  assert.equal(help.activeParameter, 2);
  assert.equal(helpAt('  x = repeat 2 pair(|')!.activeParameter, 0);
});

test('nothing outside a call or for an unknown callee', () => {
  assert.equal(helpAt('  x = |'), null);
  assert.equal(helpAt('  x = nosuch(x, |'), null);
});
