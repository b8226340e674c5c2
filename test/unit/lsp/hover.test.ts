import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkupContent } from 'vscode-languageserver';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { hover } from '../../../server/src/lsp/features/hover';
import { buildAnalysis, find, inside } from './fixture';

const analysis = buildAnalysis();

function hoverText(pos: { line: number; character: number }): string | undefined {
  return (hover(analysis, pos)?.contents as MarkupContent | undefined)?.value;
}

test('a tensor name: shape with N, dtype, bytes per sample and at the batch, producer and its params', () => {
  const h = hover(analysis, inside(find(9, 'x')));
  assert.deepEqual(h?.range, find(9, 'x'));
  // the first lines come from the footprint; the liveness lines after them are tested on .nnm snippets below
  assert.deepEqual(
    (h?.contents as MarkupContent).value.split('\n').slice(0, 3),
    [
      '**x**: `[N, 16, 32, 32]` fp32',
      // 16 * 32 * 32 * 4 B = 64 KiB per sample, x 8
      '- bytes: 64 KiB x N = 512 KiB at batch 8',
      // 16 * 3 * 3 * 3 + 16 = 448
      '- produced by `conv2d` (filters: 16, kernel: 3, pad: 1), 448 params',
    ],
  );
});

test('a use of a name hovers as the tensor it denotes (the input, 3 * 32 * 32 * 4 B = 12 KiB)', () => {
  assert.deepEqual(
    hoverText(inside(find(9, 'x', 1)))?.split('\n').slice(0, 3),
    ['**x**: `[N, 3, 32, 32]` fp32', '- bytes: 12 KiB x N = 96 KiB at batch 8', '- produced by `input` (shape: [3, 32, 32]), 0 params'],
  );
});

test('a name inside a block body: instances and the range of shapes', () => {
  assert.deepEqual(
    hoverText(inside(find(4, 'y')))?.split('\n').slice(0, 4),
    [
      '**y**: 2 instances (block `pair`)',
      '- shapes: `[N, 16, 32, 32] fp32`, `[N, 32, 32, 32] fp32`',
      '- bytes per instance: 64 KiB x N to 128 KiB x N',
      '- all instances: 192 KiB x N = 1.5 MiB at batch 8',
    ],
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

test('a model name: footprint totals as fixed + perSample x N first', () => {
  assert.deepEqual(
    hoverText(inside(find(7, 'tiny'), 2))?.split('\n').slice(0, 7),
    [
      '**model tiny**: train · batch 8 · fp32 · sgd · v100-16gb',
      // 448 + 2,320 + 4,640 + 327,690 (dense: 32 * 32 * 32 * 10 + 10)
      '- params: 335,098',
      '- weights: 1.28 MiB',
      // outputs per sample: 12 + 64 + (64 + 64) + (128 + 128) + 128 KiB + 40 B = 588 KiB
      '- activations: 588 KiB x N = 4.59 MiB at batch 8',
      '- gradients: 1.28 MiB',
      '- optimizer (sgd): 0 B',
      '- footprint total: 2.56 MiB + 588 KiB x N = 7.15 MiB at batch 8',
    ],
  );
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

// ---- liveness lines, on .nnm snippets analysed end to end (figures worked out by hand below) ----

/** a 3-op dense chain in train mode with plain SGD on a 1 MiB gpu; line numbers are 0-based here */
const CHAIN = [
  'config {', // 0
  '  mode: train',
  '  batch: 4',
  '  optimizer: sgd',
  '  device: gpu(memory: 1MiB)',
  '}', // 5
  'model chain {', // 6
  '  x = input(1000)', // 7: 4,000 B per sample
  '  h = dense(x, 100, bias: false)', // 8: 100,000 params, 400 B per sample
  '  a = relu(h)', // 9: 400 B per sample
  '  return dense(a, 10, bias: false)', // 10: 1,000 params, 40 B per sample
  '}',
  '',
].join('\n');

function snippetHover(text: string, line: number, token: string): string | undefined {
  const analysis = analyzeDocument(text, 'nnm');
  const character = text.split('\n')[line]!.indexOf(token);
  return (hover(analysis, { line, character })?.contents as MarkupContent | undefined)?.value;
}

// Schedule: 0 input, 1 dense, 2 relu, 3 dense, 4 bwd dense(line 11), 5 bwd relu, 6 bwd dense(line 9), 7 optimizer.
// Peak at step 6: weights 404,000 + x saved for the dense backward 16,000 + gradient of h 1,600
// + weight gradients 400,000 + 4,000 = 825,600 B = 806.25 KiB.

test('a tensor saved for backward and live at the peak: its range and share (16,000 / 825,600 = 1.9%)', () => {
  assert.equal(
    snippetHover(CHAIN, 7, 'x'),
    [
      '**x**: `[N, 1000]` fp32',
      '- bytes: 3.91 KiB x N = 15.6 KiB at batch 4',
      '- produced by `input` (shape: [1000]), 0 params',
      // written by the input step, last read by the first dense's backward (weight gradient needs x)
      '- live from line 8 (forward) to line 9 (backward)',
      '- saved for backward',
      '- 1.9% of the peak: 15.6 KiB of 806 KiB live at line 9 (backward of `dense`)',
    ].join('\n'),
  );
});

test('a tensor backward does not keep (relu keeps its output, not its input): dies in the forward pass', () => {
  assert.deepEqual(snippetHover(CHAIN, 8, 'h')?.split('\n').slice(3), [
    '- live from line 9 (forward) to line 10 (forward)',
    '- not saved for backward',
    '- not live at the peak, line 9 (backward of `dense`)',
  ]);
});

test('an in-place relu shares its input buffer; it is still saved (its backward reads its output)', () => {
  const text = CHAIN.replace('relu(h)', 'relu(h, inplace: true)');
  assert.deepEqual(snippetHover(text, 9, 'a')?.split('\n').slice(2), [
    '- produced by `relu` (inplace: true), 0 params',
    // read last by relu's own backward (the dense on line 11 is differentiated before it)
    '- live from line 10 (forward) to line 10 (backward)',
    '- saved for backward',
    "- in place: shares its input's buffer",
    '- not live at the peak, line 9 (backward of `dense`)',
  ]);
});

test('infer mode says nothing about backward', () => {
  const text = CHAIN.replace('mode: train', 'mode: infer');
  // infer: x is read last by the dense on line 9; peak at that step: weights 404,000 + x 16,000 + h 1,600 B
  assert.deepEqual(snippetHover(text, 7, 'x')?.split('\n').slice(3), [
    '- live from line 8 (forward) to line 9 (forward)',
    // 16,000 / 421,600 = 3.8%; 421,600 B = 411.7 KiB
    '- 3.8% of the peak: 15.6 KiB of 412 KiB live at line 9 (forward of `dense`)',
  ]);
});

test('the model: naive, lower bound, planned, the peak and what is live there, batch limits, SIMD fill', () => {
  assert.equal(
    snippetHover(CHAIN, 6, 'chain'),
    [
      '**model chain**: train · batch 4 · fp32 · sgd · gpu 1 MiB',
      '- params: 101,000',
      // 101,000 * 4 B = 404,000 B
      '- weights: 395 KiB',
      // 4,000 + 400 + 400 + 40 = 4,840 B per sample
      '- activations: 4.73 KiB x N = 18.9 KiB at batch 4',
      '- gradients: 395 KiB',
      '- optimizer (sgd): 0 B',
      '- footprint total: 789 KiB + 4.73 KiB x N = 808 KiB at batch 4',
      // weights 404,000 + outputs 19,360 + output gradients 160 + 1,600 + 1,600 + weight gradients 404,000 = 830,720 B
      '- naive (no reuse): 811 KiB',
      '- lower bound: 806 KiB',
      '- planned: 806 KiB (fragmentation 0%)',
      '- peak: line 9 (backward of `dense`), step 6 of 8',
      // 400,000 B, 16,000 B, 4,000 B
      '- largest live there: weight gradient (dense, line 9) 391 KiB, `x` (input, line 8) 15.6 KiB, weight gradient (dense, line 11) 3.91 KiB',
      '- workspace: 0 B',
      // at the peak step 808,000 + 4,400 N <= 1,048,576: N <= 54.7
      '- max batch on gpu 1 MiB: 54',
      // 1024-bit lanes / 32-bit = 32; 808,000 + 4,400 * 32 = 948,800 B = 926.6 KiB
      '- SIMD fill: batch 32 (32 lanes), planned 927 KiB, fits',
      // 1,048,576 - 825,600 = 222,976 B
      '- device: fits gpu 1 MiB, 218 KiB to spare',
    ].join('\n'),
  );
});

test('a model that does not fit at any batch: the planned verdict and "no batch fits"', () => {
  const text = CHAIN.replace('1MiB', '512KiB');
  const lines = snippetHover(text, 6, 'chain')!.split('\n');
  // always-live state alone (808,000 B) is over 524,288 B; 825,600 - 524,288 = 301,312 B
  assert.deepEqual(lines.slice(-3), ['- max batch on gpu 512 KiB: no batch fits', '- SIMD fill: batch 32 (32 lanes), planned 927 KiB, exceeds gpu 512 KiB', '- device: exceeds gpu 512 KiB by 294 KiB']);
});

/** a block repeated twice with nothing trainable before it: no gradient flows into the relus */
const ACTS = [
  'config {', // 0
  '  mode: train',
  '  batch: 8',
  '  optimizer: sgd',
  '  device: gpu(memory: 1MiB)',
  '}', // 5
  'block act(x) {', // 6
  '  y = relu(x)', // 7
  '  return y',
  '}',
  'model acts {', // 10
  '  x = input(1000)', // 11: 4,000 B per sample
  '  x = repeat 2 act(x)', // 12
  '  return dense(x, 1, bias: false)', // 13: 1,000 params
  '}',
  '',
].join('\n');

test('a name in a block body: the range over its instances, how many are saved and live at the peak', () => {
  assert.deepEqual(snippetHover(ACTS, 7, 'y')?.split('\n').slice(4), [
    // the first relu from line 13, the second read last by the dense backward on line 14
    '- live from line 13 (forward) to line 14 (backward) over its instances',
    // only the second (the dense's input) is kept: no gradient reaches the relus
    '- saved for backward: 1 of 2',
    // peak at the first relu: weights 4,000 + x 32,000 + its output 32,000 = 68,000 B; 32,000 / 68,000 = 47.1%
    '- 1 of 2 live at the peak, 31.3 KiB: 47.1% of 66.4 KiB at line 13 (forward of `relu`)',
  ]);
});

test('instances that run in place are counted, and the share follows the new peak', () => {
  const text = ACTS.replace('relu(x)', 'relu(x, inplace: true)');
  assert.deepEqual(snippetHover(text, 7, 'y')?.split('\n').slice(5), [
    '- saved for backward: 1 of 2',
    "- in place: 2 of 2 share their input's buffer",
    // one buffer for x and both relus; peak at the dense backward: weights 4,000 + that buffer 32,000
    // + output 32 + its gradient 32 + weight gradient 4,000 = 40,064 B; 32,000 / 40,064 = 79.9%
    '- 1 of 2 live at the peak, 31.3 KiB: 79.9% of 39.1 KiB at line 14 (backward of `dense`)',
  ]);
});

test('instances in a checkpointed repeat are recomputed during backward', () => {
  const text = [
    'config {',
    '  mode: train',
    '  batch: 2',
    '  optimizer: sgd',
    '}',
    'block layer(x) {', // 5
    '  h = dense(x, 100, bias: false)', // 6
    '  return relu(h, inplace: true)',
    '}',
    'model mlp {',
    '  x = input(100)',
    '  x = repeat 2 layer(x, checkpoint: true)', // 11
    '  return dense(x, 10, bias: false)',
    '}',
    '',
  ].join('\n');
  assert.deepEqual(snippetHover(text, 6, 'h')?.split('\n').slice(4, 6), [
    // the forward copies die in the forward pass; backward recomputes them from the segment input
    '- live from line 12 (forward) to line 12 (forward) over its instances',
    '- saved for backward: 0 of 2, 2 recomputed during backward (checkpointed)',
  ]);
});

test('a single checkpointed call: its inner tensor is recomputed, its output kept for the next op as well', () => {
  const text = [
    'config {',
    '  mode: train',
    '  batch: 2',
    '  optimizer: sgd',
    '}',
    'block layer(x) {', // 5
    '  h = dense(x, 100, bias: false)', // 6
    '  y = relu(h)', // 7
    '  return y',
    '}',
    'model mlp {',
    '  x = input(100)',
    '  x = layer(x, checkpoint: true)', // 12
    '  return dense(x, 10, bias: false)', // 13
    '}',
    '',
  ].join('\n');
  // h dies after the relu; backward recomputes the segment (dense, relu) before the relu's backward
  assert.deepEqual(snippetHover(text, 6, 'h')?.split('\n').slice(3, 5), ['- live from line 13 (forward) to line 13 (forward)', '- recomputed during backward (checkpointed)']);
  // y is the dense on line 14's saved input (kept to its backward), and recomputed for the relu's own backward
  assert.deepEqual(snippetHover(text, 7, 'y')?.split('\n').slice(3, 5), ['- live from line 13 (forward) to line 14 (backward)', '- saved for backward, recomputed during backward (checkpointed)']);
});
