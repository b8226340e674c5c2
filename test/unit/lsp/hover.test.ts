import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkupContent } from 'vscode-languageserver';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { hover } from '../../../server/src/lsp/features/hover';
import { buildAnalysis, find, inside } from './fixture';

const analysis = buildAnalysis();

function hoverText(pos: { line: number; character: number }): string | undefined {
  return (hover(analysis, pos)?.contents as MarkupContent | undefined)?.value;
}

test('a tensor name: shape with N, dtype, bytes per sample and at the batch, producer and its params', () => {
  const h = hover(analysis, inside(find(9, 'x')));
  assert.deepEqual(h?.range, find(9, 'x'));
  assert.equal(
    (h?.contents as MarkupContent).value,
    [
      '**x**: `[N, 16, 32, 32]` fp32',
      // 16 * 32 * 32 * 4 B = 64 KiB per sample, x 8
      '- bytes: 64 KiB x N = 512 KiB at batch 8',
      // 16 * 3 * 3 * 3 + 16 = 448
      '- produced by `conv2d` (filters: 16, kernel: 3, pad: 1), 448 params',
    ].join('\n'),
  );
});

test('a use of a name hovers as the tensor it denotes (the input, 3 * 32 * 32 * 4 B = 12 KiB)', () => {
  assert.equal(
    hoverText(inside(find(9, 'x', 1))),
    ['**x**: `[N, 3, 32, 32]` fp32', '- bytes: 12 KiB x N = 96 KiB at batch 8', '- produced by `input` (shape: [3, 32, 32]), 0 params'].join('\n'),
  );
});

test('a name inside a block body: instances and the range of shapes', () => {
  assert.equal(
    hoverText(inside(find(4, 'y'))),
    [
      '**y**: 2 instances (block `pair`)',
      '- shapes: `[N, 16, 32, 32] fp32`, `[N, 32, 32, 32] fp32`',
      '- bytes per instance: 64 KiB x N to 128 KiB x N',
      '- all instances: 192 KiB x N = 1.5 MiB at batch 8',
    ].join('\n'),
  );
});

test('an op call: summary, formula, output, non-default arguments, params', () => {
  const spec = lookupOp('conv2d')!;
  assert.equal(
    hoverText(inside(find(9, 'conv2d'), 3)),
    [
      `**conv2d**: ${spec.summary}`,
      '',
      `*${spec.formula}*`,
      '',
      '- output: `[N, 16, 32, 32]` fp32, 64 KiB x N = 512 KiB at batch 8',
      '- arguments: filters: 16, kernel: 3, pad: 1',
      '- params: 448',
    ].join('\n'),
  );
});

test('an op call inside a block body sums its instances (448 + ... : 2,320 + 4,640 = 6,960)', () => {
  const text = hoverText(inside(find(4, 'conv2d'), 3))!;
  assert.ok(
    text.endsWith(
      [
        '- 2 instances, outputs `[N, 16, 32, 32] fp32`, `[N, 32, 32, 32] fp32`',
        '- params: 6,960 in all',
        '- outputs in all: 192 KiB x N = 1.5 MiB at batch 8',
      ].join('\n'),
    ),
    text,
  );
});

test('a block call: the totals of its expansion', () => {
  assert.equal(
    hoverText(inside(find(11, 'pair'), 1)),
    [
      '**pair**: block call `pair(x, width, act: true)`',
      '- output: `[N, 32, 32, 32]` fp32',
      '- ops: 2',
      // conv2d 16 -> 32, 3x3, bias: 32 * 16 * 9 + 32
      '- params: 4,640',
      // 4,640 * 4 B
      '- weights: 18.1 KiB',
      // conv and relu outputs: 2 * 32 * 32 * 32 * 4 B
      '- activations: 256 KiB x N = 2 MiB at batch 8',
    ].join('\n'),
  );
});

test('a block definition: signature, doc and call count', () => {
  assert.equal(
    hoverText(inside(find(3, 'pair'), 2)),
    [
      '**block** `pair(x, width, act: true)`',
      '',
      'conv then relu',
      '',
      '- 2 call sites',
      // 2,320 + 4,640 params; outputs (64 + 64) + (128 + 128) KiB
      '- in `tiny`: 2 expansions, 4 ops, 6,960 params, activations 384 KiB x N = 3 MiB at batch 8',
    ].join('\n'),
  );
});

test('a model name: totals as fixed + perSample x N and whether it fits', () => {
  assert.equal(
    hoverText(inside(find(7, 'tiny'), 2)),
    [
      '**model tiny**: train · batch 8 · fp32 · sgd · v100-16gb',
      // 448 + 2,320 + 4,640 + 327,690 (dense: 32 * 32 * 32 * 10 + 10)
      '- params: 335,098',
      '- weights: 1.28 MiB',
      // outputs per sample: 12 + 64 + (64 + 64) + (128 + 128) + 128 KiB + 40 B = 588 KiB
      '- activations: 588 KiB x N = 4.59 MiB at batch 8',
      '- gradients: 1.28 MiB',
      '- optimizer (sgd): 0 B',
      '- total: 2.56 MiB + 588 KiB x N = 7.15 MiB at batch 8',
      // 16 GiB - 7.15 MiB, to three digits
      '- device: fits v100-16gb, 16 GiB to spare',
    ].join('\n'),
  );
});

test('a model that does not fit says by how much', () => {
  const big = buildAnalysis({ batch: 4096, device: { name: 'gpu', kind: 'gpu', memoryBytes: 1024 ** 3, vectorBits: 1024, supportsBf16: true } });
  const text = (hover(big, inside(find(7, 'tiny'), 2))?.contents as MarkupContent).value;
  // 2.56 MiB + 588 KiB x 4096 = 2.3 GiB against 1 GiB
  assert.ok(text.endsWith('- device: exceeds gpu 1 GiB by 1.3 GiB'), text);
});

test('a block parameter names its block', () => {
  assert.equal(hoverText(inside(find(4, 'width'), 1)), '**width**: parameter of block `pair`');
});

test('nothing to say between names', () => {
  assert.equal(hover(analysis, { line: 13, character: 0 }), null);
  assert.equal(hover(analysis, { line: 9, character: 0 }), null);
});

test('a config key: its meaning and the value in effect for each model', () => {
  assert.equal(hoverText(inside(find(1, 'batch'), 1)), '**batch**: the batch size N every per-sample figure is multiplied by\n- in effect for `tiny`: 8');
});
