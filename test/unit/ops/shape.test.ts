// Shape ops and elementwise merges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { memoryOf, Net } from './net';

test('flatten and reshape (one -1) keep the element count', () => {
  const n = new Net();
  const x = n.input(512, 7, 7);
  assert.deepEqual(n.op('flatten', [x]).shape, [25088]);
  assert.deepEqual(n.op('reshape', [x], { shape: [512, -1] }).shape, [512, 49]);
  assert.deepEqual(n.op('reshape', [x], { shape: [49, 512] }).shape, [49, 512]);
  assert.equal(lookupOp('reshape')!.aliasesInput, true);
});

test('reshape errors: count mismatch names both shapes, at most one -1, no zero', () => {
  const n = new Net();
  const x = n.input(512, 7, 7);
  const e = n.fail('reshape', [x], { shape: [100, 100] });
  assert.equal(e.arg, 'shape');
  assert.match(e.message, /reshape of \[512, 7, 7\] \(25088 elements\) to \[100, 100\] \(10000 elements\)/);
  assert.match(n.fail('reshape', [x], { shape: [-1, -1] }).message, /at most one -1/);
  assert.match(n.fail('reshape', [x], { shape: [3, -1] }).message, /not divisible by 3/);
  assert.equal(n.fail('reshape', [x], { shape: [0, 25088] }).arg, 'shape');
});

test('transpose permutes the per-sample axes; a bad permutation is an error', () => {
  const n = new Net();
  const x = n.input(3, 224, 112);
  assert.deepEqual(n.op('transpose', [x], { perm: [1, 2, 0] }).shape, [224, 112, 3]);
  const e = n.fail('transpose', [x], { perm: [0, 0, 1] });
  assert.equal(e.arg, 'perm');
  assert.match(e.message, /permutation of 0\.\.2/);
  assert.equal(n.fail('transpose', [x], { perm: [1, 0] }).arg, 'perm');
});

test('concat defaults to the channel axis of the layout; explicit and negative axes', () => {
  const a = new Net('nchw');
  assert.deepEqual(a.op('concat', [a.input(64, 28, 28), a.input(32, 28, 28), a.input(16, 28, 28)]).shape, [112, 28, 28]);
  const b = new Net('nhwc');
  assert.deepEqual(b.op('concat', [b.input(28, 28, 64), b.input(28, 28, 32)]).shape, [28, 28, 96]);
  assert.deepEqual(b.op('concat', [b.input(10, 4), b.input(6, 4)], { axis: 0 }).shape, [16, 4]);
  assert.deepEqual(b.op('concat', [b.input(10, 4), b.input(10, 5)], { axis: -1 }).shape, [10, 9]);
});

test('concat mismatch names both shapes', () => {
  const n = new Net();
  const e = n.fail('concat', [n.input(64, 28, 28), n.input(32, 14, 14)]);
  assert.match(e.message, /concat along axis 0: tensor 2 has shape \[32, 14, 14\] but tensor 1 has \[64, 28, 28\]/);
  assert.equal(n.fail('concat', [n.input(4, 4), n.input(4, 4)], { axis: 2 }).arg, 'axis');
});

test('add and average need equal shapes (message names both); add keeps nothing for backward', () => {
  const n = new Net();
  const a = n.input(64, 56, 56);
  assert.deepEqual(n.op('add', [a, a, a]).shape, [64, 56, 56]);
  assert.deepEqual(n.op('average', [a, a]).shape, [64, 56, 56]);
  const e = n.fail('add', [a, n.input(256, 56, 56)]);
  assert.match(e.message, /add needs equal shapes: tensor 1 is \[64, 56, 56\] but tensor 2 is \[256, 56, 56\]/);
  assert.match(n.fail('add', [a]).message, /at least two tensors/);
  assert.deepEqual(memoryOf('add', [[4], [4]]).saved, { inputs: [], output: false, extra: { perSample: 0, fixed: 0 } });
});

test('mul broadcasts (squeeze-and-excitation) and keeps both operands for backward', () => {
  const n = new Net();
  const x = n.input(64, 56, 56);
  assert.deepEqual(n.op('mul', [x, n.input(64, 1, 1)]).shape, [64, 56, 56]);
  assert.deepEqual(n.op('multiply', [x, x]).shape, [64, 56, 56]);
  const e = n.fail('mul', [x, n.input(32, 1, 1)]);
  assert.match(e.message, /mul cannot broadcast \[64, 56, 56\] with \[32, 1, 1\]/);
  assert.deepEqual(memoryOf('mul', [[4], [4]]).saved.inputs, [0, 1]);
});

test('upsample, zeropad and cropping2d act on the spatial axes of either layout', () => {
  const a = new Net('nchw');
  const x = a.input(16, 7, 9);
  assert.deepEqual(a.op('upsample', [x]).shape, [16, 14, 18]);
  assert.deepEqual(a.op('upsample', [x], { scale: [2, 3] }).shape, [16, 14, 27]);
  assert.deepEqual(a.op('zeropad', [x], { pad: 1 }).shape, [16, 9, 11]);
  assert.deepEqual(a.op('zeropad', [x], { pad: [0, 1, 2, 3] }).shape, [16, 8, 14]);
  assert.deepEqual(a.op('cropping2d', [x], { crop: [1, 2] }).shape, [16, 5, 5]);
  assert.equal(a.fail('cropping2d', [x], { crop: 4 }).arg, 'crop');
  assert.equal(a.fail('zeropad', [x], { pad: [1, 2, 3] }).arg, 'pad');
  const b = new Net('nhwc');
  const y = b.input(7, 9, 16);
  assert.deepEqual(b.op('upsample', [y], { scale: 2 }).shape, [14, 18, 16]);
  assert.deepEqual(b.op('zeropad', [y], { pad: [3, 0] }).shape, [13, 9, 16]);
  assert.deepEqual(b.op('cropping2d', [y], { crop: [0, 1, 2, 3] }).shape, [6, 4, 16]);
});

test('repeat_vector: [F] -> [n, F]', () => {
  const n = new Net();
  assert.deepEqual(n.op('repeat_vector', [n.input(32)], { n: 3 }).shape, [3, 32]);
  assert.match(n.fail('repeat_vector', [n.input(3, 32)], { n: 3 }).message, /expects a 1-D input/);
});
