import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../../server/src/core/ir';
import { analyze, at, codes, model } from './helpers';

const RESNET = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'resnet50.nnm'), 'utf8');

function params(g: Graph): { trainable: number; nonTrainable: number } {
  let trainable = 0;
  let nonTrainable = 0;
  for (const op of g.ops) {
    trainable += op.params.trainable;
    nonTrainable += op.params.nonTrainable;
  }
  return { trainable, nonTrainable };
}

const shapeOf = (g: Graph, name: string) => g.tensors.filter((t) => t.name === name).map((t) => t.shape.join('x'));
const outShape = (g: Graph) => g.tensors[g.outputs[0]!]!.shape;

test('resnet50.nnm: 25,557,032 trainable, 53,120 non-trainable, output [1000], 175 ops', () => {
  const r = analyze(RESNET);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.graphs.length, 1);
  const g = r.graphs[0]!;
  assert.deepEqual(params(g), { trainable: 25_557_032, nonTrainable: 53_120 });
  assert.deepEqual(outShape(g), [1000]);
  // stem: input, conv, bn, relu, maxpool; 16 bottlenecks x 10 ops (3 conv, 3 bn, 2 relu, add, relu)
  // = 16 x 10 = 160; 4 projections x 2 (conv, bn) = 8; globalavgpool + dense = 2
  assert.equal(g.ops.length, 5 + 160 + 8 + 2);
  assert.equal(g.ops.filter((o) => o.op === 'conv2d').length, 53);
  assert.equal(g.ops.filter((o) => o.op === 'batchnorm').length, 53);
  assert.deepEqual(g.config.optimizer, { kind: 'sgd', momentum: 0.9 });
  assert.equal(g.config.device.memoryBytes, 16 * 1024 ** 3);
  assert.equal(g.config.device.kind, 'gpu');
});

test('resnet50.nnm: ops know their statement, call site and block frames', () => {
  const g = analyze(RESNET).graphs[0]!;
  const stem = g.ops[1]!; // conv2d of `x = conv2d(x, 64, kernel: 7, ...)`
  assert.equal(stem.op, 'conv2d');
  assert.equal(at(stem.statement), '22:2-22:62');
  assert.equal(at(stem.site), '22:6-22:62');
  assert.deepEqual(stem.callStack, []);
  // the first op of the first bottleneck: the conv in the block body at line 11
  const inBlock = g.ops[5]!;
  assert.equal(inBlock.op, 'conv2d');
  assert.equal(at(inBlock.site), '11:6-11:46');
  assert.equal(at(inBlock.statement), '25:2-25:43'); // x = bottleneck(x, 64, 256, project: true)
  assert.deepEqual(inBlock.callStack.map((f) => [f.block, at(f.site), f.iteration]), [['bottleneck', '25:6-25:43', undefined]]);
  // ops of `x = repeat 2 bottleneck(x, 64, 256)` carry the iteration
  const repeated = g.ops.filter((o) => at(o.statement) === '26:2-26:37');
  assert.equal(repeated.length, 20);
  assert.deepEqual([...new Set(repeated.map((o) => o.callStack[0]!.iteration))], [0, 1]);
});

test('tensor names: the statement name for the outermost call, op#id for nested calls', () => {
  const g = analyze(model('x = input(3, 8, 8)', 'y = relu(batchnorm(x))', 'return y')).graphs[0]!;
  assert.deepEqual(g.tensors.map((t) => t.name), ['x', 'batchnorm#1', 'y']);
});

test('rebinding makes a new tensor; a block result takes the caller statement name', () => {
  const src = 'block twice(x) {\n  y = relu(x)\n  return relu(y)\n}\n' + model('x = input(4)', 'x = relu(x)', 'x = twice(x)', 'return x');
  const g = analyze(src).graphs[0]!;
  assert.deepEqual(g.tensors.map((t) => t.name), ['x', 'x', 'y', 'x']);
  assert.deepEqual(g.ops.map((o) => o.inputs), [[], [0], [1], [2]]);
});

test('block parameters: defaults, by position and by name; compile-time values flow in', () => {
  const src =
    'block widen(x, width, factor: 4) {\n  return conv2d(x, width * factor, kernel: 1)\n}\n' +
    model('x = input(2, 5, 5)', 'a = widen(x, 8)', 'b = widen(x, factor: 2, width: 3)', 'return add(a, a)');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics, []);
  const g = r.graphs[0]!;
  assert.deepEqual(shapeOf(g, 'a'), ['32x5x5']);
  assert.deepEqual(shapeOf(g, 'b'), ['6x5x5']);
});

test('repeat K f(x, ...) feeds each result back as the first argument; repeat 0 is the identity', () => {
  const g = analyze(model('x = input(16)', 'y = repeat 3 dense(x, 16)', 'z = repeat 0 dense(y, 4)', 'return z')).graphs[0]!;
  assert.deepEqual(g.ops.map((o) => `${o.op}:${o.inputs.join(',')}`), ['input:', 'dense:0', 'dense:1', 'dense:2']);
  assert.deepEqual(outShape(g), [16]);
  assert.equal(params(g).trainable, 3 * (16 * 16 + 16));
});

test('conditionals and arithmetic on compile-time values', () => {
  const src =
    'block pick(x, n) {\n  k = n % 2 == 0 and not (n < 0) ? n / 2 : n * 3 + 1\n  return dense(x, k)\n}\n' +
    model('x = input(4)', 'a = pick(x, 10)', 'b = pick(x, 7)', 'c = dense(x, -7 / 2 + 10)', 'd = dense(x, -7 % 3)', 'return a');
  const r = analyze(src);
  assert.deepEqual(codes(r.diagnostics), [], JSON.stringify(r.diagnostics));
  const g = r.graphs[0]!;
  assert.deepEqual(shapeOf(g, 'a'), ['5']);
  assert.deepEqual(shapeOf(g, 'b'), ['22']);
  // floor division and floor modulo: -7 / 2 = -4, -7 % 3 = 2
  assert.deepEqual(shapeOf(g, 'c'), ['6']);
  assert.deepEqual(shapeOf(g, 'd'), ['2']);
});

test('only the chosen branch of ? : is elaborated', () => {
  const src = 'block b(x, p: false) {\n  s = p ? dense(x, 3) : x\n  return s\n}\n' + model('x = input(4)', 'y = b(x)', 'return b(y, p: true)');
  const g = analyze(src).graphs[0]!;
  assert.deepEqual(g.ops.map((o) => o.op), ['input', 'dense']);
});

test('lists, padding words, enums and inplace reach the op', () => {
  const src = model('x = input(3, 9, 9, dtype: fp16)', 'y = conv2d(x, 4, kernel: [3, 1], pad: same)', 'z = relu(y, inplace: true)', 'return z');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics, []);
  const g = r.graphs[0]!;
  assert.equal(g.tensors[0]!.dtype, 'fp16');
  assert.deepEqual(g.ops[1]!.attrs['kernel'], [3, 1]);
  assert.equal(g.ops[1]!.attrs['pad'], 'same');
  assert.deepEqual(outShape(g), [4, 9, 9]);
  assert.equal(g.ops[2]!.inPlace, true);
  assert.equal(g.ops[1]!.inPlace, false);
});

test('layout nhwc: channels last for input shapes and every op', () => {
  const src = 'config {\n  layout: nhwc\n}\n' + model('x = input(32, 32, 3)', 'y = conv2d(x, 8, kernel: 3, pad: 1)', 'return batchnorm(maxpool(y, kernel: 2))');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics, []);
  const g = r.graphs[0]!;
  assert.equal(g.config.layout, 'nhwc');
  assert.deepEqual(shapeOf(g, 'y'), ['32x32x8']);
  assert.deepEqual(outShape(g), [16, 16, 8]);
  assert.equal(params(g).trainable, 3 * 3 * 3 * 8 + 8 + 2 * 8);
});

test('checkpoint: true marks each block instance with its own segment', () => {
  const src =
    'block unit(x) {\n  return relu(dense(x, 8))\n}\n' +
    model('x = input(8)', 'a = unit(x, checkpoint: true)', 'b = repeat 2 unit(a, checkpoint: true)', 'c = unit(b)', 'return c');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.graphs[0]!.ops.map((o) => o.checkpointSegment ?? '-'),
    ['-', 0, 0, 1, 1, 2, 2, '-', '-'],
  );
});

test('several models: each its own graph; model config overrides the file config', () => {
  const src = 'config {\n  batch: 8\n  mode: infer\n}\nmodel a {\n  return input(1)\n}\nmodel b {\n  config {\n    batch: 4\n  }\n  return input(2)\n}\n';
  const r = analyze(src);
  assert.deepEqual(r.graphs.map((g) => [g.name, g.config.batch, g.config.mode]), [['a', 8, 'infer'], ['b', 4, 'infer']]);
  // overrides (CLI flags) win over both
  const o = analyze(src, { batch: 2 });
  assert.deepEqual(o.graphs.map((g) => g.config.batch), [2, 2]);
});

test('a model with errors still yields the graph of what elaborated', () => {
  const r = analyze(model('x = input(4)', 'y = dense(x, 3)', 'z = nosuch(y)', 'w = relu(z)', 'return y'));
  assert.deepEqual(codes(r.diagnostics), ['NNM110 3:6-3:12']);
  assert.deepEqual(r.graphs[0]!.ops.map((o) => o.op), ['input', 'dense']);
  assert.deepEqual(outShape(r.graphs[0]!), [3]);
});

test('a generated model of 100,000 ops elaborates', () => {
  const src = 'block unit(x) {\n  return relu(x)\n}\n' + model('x = input(8)', 'return repeat 99999 unit(x)');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.graphs[0]!.ops.length, 100_000);
});

test('a variadic integer argument takes separate values or one list', () => {
  const r = analyze(model('a = input(3, 4, 5)', 'b = input([3, 4, 5])', 'c = reshape(a, [12, 5])', 'return c'));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.graphs[0]!.tensors.map((t) => t.shape.join('x')), ['3x4x5', '3x4x5', '12x5']);
});

test('lists of tensors: + joins lists, a variadic tensor argument takes a list item by item', () => {
  const r = analyze(
    model('x = input(4, 8, 8)', 'fs = [x]', 'fs = fs + [conv2d(concat(fs), 2, 1)]', 'fs = fs + [conv2d(concat(fs), 2, 1)]', 'return concat(fs)'),
  );
  assert.deepEqual(r.diagnostics, []);
  const g = r.graphs[0]!;
  // concat over [x] (4 channels), over [x, a] (6), then the output over [x, a, b] (8)
  assert.deepEqual(g.ops.filter((op) => op.op === 'concat').map((op) => `${op.inputs.length}:${g.tensors[op.output]!.shape[0]}`), ['1:4', '2:6', '3:8']);
  assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [8, 8, 8]);
  // a list where one tensor is expected, and a list joined with a number, are still errors
  const bad = analyze(model('x = input(4)', 'y = relu([x])', 'z = [x] + 1', 'return x'));
  assert.deepEqual(bad.diagnostics.map((d) => d.message), ["relu: 'x' must be a tensor, got a list of 1", "'+' needs two numbers, got a list of 1 and the integer 1"]);
});

test('checkpoint: k on a repeat checkpoints iterations 0, k, 2k, ... (every k-th block), each its own segment', () => {
  const src = 'block unit(x) {\n  return relu(dense(x, 8))\n}\n' + model('x = input(8)', 'a = repeat 5 unit(x, checkpoint: 2)', 'b = repeat 2 unit(a, checkpoint: 1)', 'return unit(b, checkpoint: 1)');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics, []);
  // checkpoint: 1 is true, on a repeat or a single call
  assert.deepEqual(
    r.graphs[0]!.ops.map((o) => o.checkpointSegment ?? '-'),
    ['-', 0, 0, '-', '-', 1, 1, '-', '-', 2, 2, 3, 3, 4, 4, 5, 5],
  );
});

test('checkpoint: k off a repeat, or k < 1, is NNM121 once, and nothing is checkpointed', () => {
  const src = 'block unit(x) {\n  return relu(dense(x, 8))\n}\n' + model('x = input(8)', 'a = unit(x, checkpoint: 2)', 'b = repeat 3 unit(a, checkpoint: 0)', 'return b');
  const r = analyze(src);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.code} ${d.message}`),
    [
      "NNM121 'checkpoint: 2' checkpoints one in every 2 iterations of a repeat; on a single call give true or false",
      "NNM121 'checkpoint' must be true, false or, on a repeat, a whole number k >= 1 (every k-th block), got the integer 0",
    ],
  );
  assert.ok(r.graphs[0]!.ops.every((o) => o.checkpointSegment === undefined));
});
