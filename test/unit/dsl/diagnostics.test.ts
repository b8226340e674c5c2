// Every NNM1xx code, on the exact range, with its message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Code } from '../../../server/src/core/dsl/codes';
import { LIMITS } from '../../../server/src/core/dsl/elaborate';
import { analyze, at, codes, model } from './helpers';

/** the diagnostics of a source as "CODE range message" */
function report(src: string): string[] {
  return analyze(src).diagnostics.map((d) => `${d.code} ${at(d.range)} ${d.message}`);
}

test('NNM101 syntax, NNM102 invalid token, NNM103 too deep', () => {
  assert.deepEqual(codes(analyze(model('x = input(1', 'return x')).diagnostics), ['NNM101 1:11-1:12']);
  assert.deepEqual(codes(analyze(model('x = input(1) @', 'return x')).diagnostics), ['NNM102 1:15-1:16']);
  assert.deepEqual(codes(analyze(model(`x = ${'-'.repeat(300)}1`, 'return input(1)')).diagnostics), ['NNM103 1:205-1:206']);
});

test('NNM110 unknown op or block, with a suggestion', () => {
  assert.deepEqual(report(model('x = input(3, 8, 8)', 'y = conv2e(x, 4, 3)', 'return y')), [
    "NNM110 2:6-2:12 unknown op or block 'conv2e'; did you mean 'conv2d'?",
  ]);
});

test('NNM111 unknown name, suggested from the names in scope; one error does not cascade', () => {
  assert.deepEqual(report(model('hidden = input(8)', 'y = dense(hiden, 4)', 'z = relu(y)', 'return z')), [
    "NNM111 2:12-2:17 unknown name 'hiden'; did you mean 'hidden'?",
  ]);
});

test('NNM112 duplicate block, model or parameter; a block hiding an op warns', () => {
  const src = 'block b(x, x) {\n  return x\n}\nblock b(x) {\n  return x\n}\nblock relu(x) {\n  return x\n}\nmodel m {\n  return input(1)\n}\nmodel m {\n  return input(1)\n}\n';
  const r = analyze(src);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.severity} ${at(d.range)}`), [
    'NNM112 error 0:11-0:12',
    'NNM112 error 3:6-3:7',
    'NNM112 warning 6:6-6:10',
    'NNM112 error 12:6-12:7',
  ]);
});

test('NNM120 unknown argument, on the argument name, for ops and blocks', () => {
  const src = 'block b(x, width) {\n  return dense(x, width)\n}\n' + model('x = input(3, 8, 8)', 'y = conv2d(x, 4, kernal: 3)', 'z = b(x, widht: 3)', 'return y');
  assert.deepEqual(codes(analyze(src).diagnostics), ['NNM120 5:19-5:25', 'NNM122 5:6-5:12', 'NNM120 6:11-6:16', 'NNM122 6:6-6:7']);
  assert.match(report(src)[0]!, /conv2d has no argument 'kernal'; did you mean 'kernel'\?/);
  assert.match(report(src)[2]!, /block 'b' has no parameter 'widht'; did you mean 'width'\?/);
});

test('NNM121 wrong argument type: tensor vs int vs list vs enum vs bool', () => {
  const src = model(
    'x = input(3, 8, 8)',
    'a = conv2d(x, x, 3)',
    'b = conv2d(3, 4, 3)',
    'c = conv2d(x, 4, kernel: true)',
    'd = conv2d(x, 4, 3, pad: full)',
    'e = conv2d(x, 4, 3, bias: 1)',
    'f = input(3, dtype: fp64)',
    'return x',
  );
  assert.deepEqual(report(src), [
    "NNM121 2:16-2:17 conv2d: 'filters' must be an integer, got a tensor",
    "NNM121 3:13-3:14 conv2d: 'x' must be a tensor, got the integer 3",
    "NNM121 4:27-4:31 conv2d: 'kernel' must be an integer or a list of integers, got the boolean true",
    "NNM121 5:27-5:31 conv2d: 'pad' must be an integer, a list of integers, 'same' or 'valid', got 'full'",
    "NNM121 6:28-6:29 conv2d: 'bias' must be true or false, got the integer 1",
    "NNM121 7:22-7:26 input: 'dtype' must be one of fp32 | fp16 | bf16 | int8 | int32 | int64 | bool, got 'fp64'; did you mean 'fp16'?",
  ]);
});

test('NNM122 missing argument, NNM123 too many positional, NNM124 given twice', () => {
  const src = model('x = input(4)', 'a = dense(x)', 'b = dense(x, 3, 4)', 'c = dense(x, 3, units: 4)', 'return x');
  assert.deepEqual(report(src), [
    "NNM122 2:6-2:11 dense needs 'units' (an integer): output features",
    'NNM123 3:18-3:19 dense takes 2 positional arguments (x, units); name the others',
    "NNM124 4:18-4:23 dense: 'units' is given twice",
  ]);
  const blockSrc = 'block b(x, w) {\n  return x\n}\n' + model('x = input(4)', 'y = b(x)', 'z = b(x, 1, 2)', 'return x');
  assert.deepEqual(codes(analyze(blockSrc).diagnostics), ['NNM122 5:6-5:7', 'NNM123 6:14-6:15']);
});

test('NNM125 argument out of range', () => {
  assert.deepEqual(report(model('x = input(3, 8, 8)', 'y = conv2d(x, 0, 3)', 'z = dropout(x, 1.5)', 'return x')), [
    "NNM125 2:16-2:17 conv2d: 'filters' must be at least 1, got 0",
    "NNM125 3:17-3:20 dropout: 'rate' must be below 1, got 1.5",
  ]);
});

test('NNM130 shape mismatch on the call, or on the blamed argument', () => {
  const src = model('x = input(3, 8, 8)', 'a = add(x, conv2d(x, 4, 1))', 'b = dense(x, 10)', 'c = conv2d(x, 4, kernel: 11)', 'return x');
  assert.deepEqual(report(src), [
    'NNM130 2:6-2:29 add needs equal shapes: tensor 1 is [3, 8, 8] but tensor 2 is [4, 8, 8]',
    'NNM130 3:6-3:18 dense expects a 1-D [F] or 2-D [L, F] input per sample, got 3-D [3, 8, 8]; flatten(x) or globalavgpool(x) first',
    'NNM130 4:27-4:29 conv2d kernel spans 11 but the padded input is only 8',
  ]);
});

test('NNM131 numbers: overflow, 1e30 where an integer is needed, 10^27-element tensors', () => {
  const src = model('a = input(1e30)', 'b = input(99999999999999999999)', 'c = input(1000000000, 1000000000, 1000000000)', 'n = 9007199254740991 + 1', 'd = input(2.5)', 'return input(1)');
  assert.deepEqual(report(src), [
    "NNM131 1:12-1:16 input: 'shape' 1e+30 is too large to be an exact integer (the limit is 2^53 - 1)",
    'NNM131 2:12-2:32 99999999999999999999 is too large to be an exact integer (the limit is 2^53 - 1)',
    'NNM130 3:6-3:47 input output [1000000000, 1000000000, 1000000000] has more elements than can be counted exactly (over 2^53)',
    'NNM131 4:23-4:24 integer overflow: the result is beyond 2^53 - 1',
    "NNM131 5:12-5:15 input: 'shape' expected an integer, got 2.5",
  ]);
});

test('NNM132 compile-time evaluation errors', () => {
  const src = 'block b(x, n) {\n  return n ? x : x\n}\n' + model('x = input(4)', 'a = x + 1', 'c = 1 / 0', 'd = b(x, 3)', 'e = repeat -1 relu(x)', 'return x');
  assert.deepEqual(report(src), [
    "NNM132 5:8-5:9 '+' needs two numbers, got a tensor and the integer 1 (operators work on compile-time numbers; use add(a, b) / mul(a, b) for tensors)",
    'NNM132 6:8-6:9 division by zero',
    'NNM132 1:9-1:10 a condition must be true or false, got the integer 3',
    'NNM132 8:13-8:15 repeat count must be 0 or more, got -1',
  ]);
});

test('NNM140 unknown config key, NNM141 invalid value, NNM142 duplicate key, NNM143 config in a block', () => {
  const src = 'config {\n  batchsize: 4\n  batch: 1e30\n  device: a100-41gb\n  mode: train\n  mode: infer\n}\nblock b(x) {\n  config {\n    batch: 2\n  }\n  return x\n}\n' + 'model m {\n  return input(1)\n}\n';
  assert.deepEqual(report(src), [
    "NNM143 8:2-8:8 'config' belongs at file level or inside a model, not in a block",
    "NNM140 1:2-1:11 unknown config key 'batchsize'; did you mean 'batch'? (keys: mode, batch, precision, optimizer, device, layout, lowering, framework, devices, zero, offload, gradientAccumulation, context, tensorParallel, sequenceParallel, pipeline, microbatches, quantize)",
    'NNM141 2:9-2:13 batch: 1e+30 is too large to be an exact integer (the limit is 2^53 - 1)',
    "NNM141 3:10-3:19 unknown device 'a100-41gb'; did you mean 'a100-40gb'? (expected a preset: v100-16gb, v100-32gb, t4-16gb, a100-40gb, a100-80gb, h100-80gb, rtx4090-24gb, a10g-24gb, l4-24gb, h200-141gb, mi300x-192gb, tpu-v5e-16gb, ipu-mk2, cpu, cpu-avx2; or gpu|cpu|ipu(memory: SIZE))",
    "NNM142 5:2-5:6 config key 'mode' is given twice; the last one wins",
  ]);
});

test('NNM150 recursion, direct and mutual; NNM151 expansion limits', () => {
  const rec = 'block a(x) {\n  return b(x)\n}\nblock b(x) {\n  return a(x)\n}\nblock c(x) {\n  return c(x)\n}\n' + model('x = input(1)', 'y = a(x)', 'z = c(x)', 'return x');
  assert.deepEqual(report(rec), [
    "NNM150 4:9-4:10 block 'a' calls itself (a -> b -> a); blocks cannot recurse",
    "NNM150 7:9-7:10 block 'c' calls itself (c -> c); blocks cannot recurse",
  ]);
  assert.deepEqual(report(model('x = input(1)', 'return repeat 1000000000 relu(x)')), [
    'NNM151 2:16-2:26 repeat 1000000000 is over the limit of 1,000,000 repetitions',
  ]);
  const nested = 'block b(x) {\n  return repeat 1000 relu(x)\n}\n' + model('x = input(1)', 'return repeat 100000 b(x)');
  assert.deepEqual(report(nested), ['NNM151 5:9-5:27 repeat 100000 would expand to about 100,000,000 ops, over the limit of 1,000,000 per model']);
});

test('NNM151 also for block nesting depth and evaluation steps', () => {
  const chain = Array.from({ length: 70 }, (_, i) => `block b${i}(x) {\n  return ${i < 69 ? `b${i + 1}(x)` : 'x'}\n}`).join('\n');
  const deep = analyze(`${chain}\n${model('x = input(1)', 'return b0(x)')}`);
  assert.deepEqual(deep.diagnostics.map((d) => `${d.code} ${d.message}`), ['NNM151 block calls nested more than 64 deep']);
  const saved = LIMITS.stepsPerModel;
  LIMITS.stepsPerModel = 1000;
  try {
    // a repeat of a block that creates no ops is bounded by evaluation steps
    const src = 'block same_x(x) {\n  a = 1 + 2 * 3\n  return x\n}\n' + model('x = input(1)', 'return repeat 100000 same_x(x)');
    assert.deepEqual(analyze(src).diagnostics.map((d) => `${d.code} ${d.message}`), ['NNM151 expansion stopped: over 1,000 evaluation steps in one model']);
  } finally {
    LIMITS.stepsPerModel = saved;
  }
});

test('NNM160 model without return (warning), NNM161 block without return, NNM162 unreachable (warning)', () => {
  const src = 'block b(x) {\n  y = relu(x)\n}\n' + 'model m {\n  x = input(1)\n  return x\n  y = relu(x)\n}\nmodel n {\n  x = input(2)\n}\n';
  const r = analyze(src);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.severity} ${at(d.range)}`), [
    'NNM161 error 0:6-0:7',
    'NNM162 warning 6:2-6:13',
    'NNM160 warning 8:6-8:7',
  ]);
  assert.deepEqual(r.graphs[1]!.outputs, [0]);
});

test('an unused block parameter is not an error', () => {
  assert.deepEqual(analyze('block b(x, unused: 3) {\n  return x\n}\n' + model('x = input(1)', 'return b(x)')).diagnostics, []);
});

test('problems inside a block body are reported once, pointing at the call too', () => {
  const src = 'block b(x) {\n  return dense(x, 0)\n}\n' + model('x = input(4)', 'y = b(x)', 'z = b(x)', 'return x');
  const r = analyze(src);
  assert.equal(r.diagnostics.length, 1);
  assert.deepEqual(r.diagnostics[0]!.related?.map((x) => [at(x.range), x.message]), [['5:6-5:10', "in the expansion of 'b' called here"]]);
});

test('every code of the frontend is documented in docs/diagnostics.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'diagnostics.md'), 'utf8');
  for (const code of Object.values(Code)) assert.match(doc, new RegExp(`^### ${code}\\b`, 'm'), `${code} is not documented`);
});

test('one place of a block body failing differently per call reports at most 3 times', () => {
  const src = 'block b(x, n) {\n  return add(x, dense(x, n))\n}\n' + model('x = input(4)', 'a = b(x, 1)', 'c = b(x, 2)', 'd = b(x, 3)', 'e = b(x, 5)', 'f = b(x, 6)', 'return x');
  const r = analyze(src);
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${at(d.range)}`), ['NNM130 1:9-1:28', 'NNM130 1:9-1:28', 'NNM130 1:9-1:28']);
  assert.deepEqual(r.diagnostics.map((d) => d.related?.[0]?.range.start.line), [5, 6, 7]);
});
