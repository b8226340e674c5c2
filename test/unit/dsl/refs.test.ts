import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceRef } from '../../../server/src/core/frontend';
import { analyze, at } from './helpers';

const SRC = [
  'config {', //                                0
  '  batch: 2', //                              1
  '}', //                                       2
  '# a residual unit', //                       3
  'block unit(x, width: 4) {', //               4
  '  y = dense(x, width)', //                   5
  '  return add(x, y)', //                      6
  '}', //                                       7
  'model small {', //                           8
  '  x = input(4)', //                          9
  '  h = unit(x)', //                           10
  '  h = repeat 2 unit(h)', //                  11
  '  return relu(h)', //                        12
  '}', //                                       13
].join('\n');

/** "kind name @range def=range [isDef] g=graph t=[tensors] o=[ops]" */
function line(r: SourceRef): string {
  const parts = [`${r.kind} ${r.name} @${at(r.range)}`];
  if (r.definition) parts.push(`def=${at(r.definition)}`);
  if (r.isDefinition) parts.push('isDef');
  if (r.graph !== undefined) parts.push(`g=${r.graph}`);
  if (r.tensors) parts.push(`t=[${r.tensors.join(',')}]`);
  if (r.ops) parts.push(`o=[${r.ops.join(',')}]`);
  return parts.join(' ');
}

test('refs: every identifier and call, merged over all expanded instances', () => {
  const r = analyze(SRC);
  assert.deepEqual(r.diagnostics, []);
  // ops: 0 input; unit#1: 1 dense, 2 add; repeat: 3 dense, 4 add, 5 dense, 6 add; 7 relu
  assert.deepEqual(r.refs.map(line), [
    'config batch @1:2-1:7 def=1:2-1:7 isDef',
    'block unit @4:6-4:10 def=4:6-4:10 isDef',
    'parameter x @4:11-4:12 def=4:11-4:12 isDef g=0 t=[0,2,4]',
    'parameter width @4:14-4:19 def=4:14-4:19 isDef g=0',
    'tensor y @5:2-5:3 def=5:2-5:3 isDef g=0 t=[1,3,5]',
    'op dense @5:6-5:11 g=0 t=[1,3,5] o=[1,3,5]',
    'tensor x @5:12-5:13 def=4:11-4:12 g=0 t=[0,2,4]',
    'parameter width @5:15-5:20 def=4:14-4:19 g=0',
    'op add @6:9-6:12 g=0 t=[2,4,6] o=[2,4,6]',
    'tensor x @6:13-6:14 def=4:11-4:12 g=0 t=[0,2,4]',
    'tensor y @6:16-6:17 def=5:2-5:3 g=0 t=[1,3,5]',
    'model small @8:6-8:11 def=8:6-8:11 isDef g=0',
    'tensor x @9:2-9:3 def=9:2-9:3 isDef g=0 t=[0]',
    'op input @9:6-9:11 g=0 t=[0] o=[0]',
    'tensor h @10:2-10:3 def=10:2-10:3 isDef g=0 t=[2]',
    'block unit @10:6-10:10 def=4:6-4:10 g=0 t=[2] o=[1,2]',
    'tensor x @10:11-10:12 def=9:2-9:3 g=0 t=[0]',
    'tensor h @11:2-11:3 def=11:2-11:3 isDef g=0 t=[6]',
    'block unit @11:15-11:19 def=4:6-4:10 g=0 t=[4,6] o=[3,4,5,6]',
    'tensor h @11:20-11:21 def=10:2-10:3 g=0 t=[2]',
    'op relu @12:9-12:13 g=0 t=[7] o=[7]',
    'tensor h @12:14-12:15 def=11:2-11:3 g=0 t=[6]',
  ]);
});

test('refs of a block never expanded: resolved by scope alone, no graph', () => {
  const r = analyze('block other(x) {\n  return x\n}\nblock b(x, k: 2) {\n  y = other(x, k * 2)\n  return y\n}\nmodel m {\n  return other(input(1))\n}\n');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.refs.filter((x) => x.range.start.line >= 3 && x.range.start.line <= 5).map(line), [
    'block b @3:6-3:7 def=3:6-3:7 isDef',
    'parameter x @3:8-3:9 def=3:8-3:9 isDef',
    'parameter k @3:11-3:12 def=3:11-3:12 isDef',
    'tensor y @4:2-4:3 def=4:2-4:3 isDef',
    'block other @4:6-4:11 def=0:6-0:11',
    'parameter x @4:12-4:13 def=3:8-3:9',
    'parameter k @4:15-4:16 def=3:11-3:12',
    'tensor y @5:9-5:10 def=4:2-4:3',
  ]);
});

test('outline: config with keys, block with params and tensors, model with tensors and shapes', () => {
  const r = analyze(SRC);
  const flat = (s: (typeof r.outline)[number], depth = 0): string[] => [
    `${'  '.repeat(depth)}${s.kind} ${s.name} ${at(s.range)} sel=${at(s.selectionRange)}${s.detail !== undefined ? ` (${s.detail})` : ''}`,
    ...s.children.flatMap((c) => flat(c, depth + 1)),
  ];
  assert.deepEqual(r.outline.flatMap((s) => flat(s)), [
    'config config 0:0-2:1 sel=0:0-0:6',
    '  config batch 1:2-1:10 sel=1:2-1:7 (2)',
    'block unit 4:0-7:1 sel=4:6-4:10 ((x, width))',
    '  parameter x 4:11-4:12 sel=4:11-4:12',
    '  parameter width 4:14-4:22 sel=4:14-4:19 (4)',
    '  tensor y 5:2-5:21 sel=5:2-5:3',
    'model small 8:0-13:1 sel=8:6-8:11',
    '  tensor x 9:2-9:14 sel=9:2-9:3 ([4])',
    '  tensor h 10:2-10:13 sel=10:2-10:3 ([4])',
    '  tensor h 11:2-11:22 sel=11:2-11:3 ([4])',
  ]);
});

test('blocks: name, params with default text, ranges and doc comment', () => {
  assert.deepEqual(analyze(SRC).blocks, [
    {
      name: 'unit',
      params: [{ name: 'x' }, { name: 'width', default: '4' }],
      range: { start: { line: 4, character: 0 }, end: { line: 7, character: 1 } },
      nameRange: { start: { line: 4, character: 6 }, end: { line: 4, character: 10 } },
      doc: 'a residual unit',
    },
  ]);
});
