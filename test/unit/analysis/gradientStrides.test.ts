// The strides of the gradients autograd passes as views in the PyTorch CPU profile's backward
// (framework/strides.ts): what decides whether a convolution's backward clones its incoming
// gradient first, as torch 1.13 does for a strided one (test/fixtures/nnm_torch's vit_tokens).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contiguousStrides, isContiguous, passedGradStrides } from '../../../server/src/core/analysis/framework/strides';

describe('gradient strides through a view op backward', () => {
  it("concat's narrowed gradient keeps the whole gradient's strides: [8, 16, 64] of [8, 17, 64] is not contiguous", () => {
    const whole = contiguousStrides([8, 17, 64]);
    const part = passedGradStrides('concat', undefined, [8, 17, 64], whole, [8, 16, 64])!;
    assert.deepEqual(part, [1088, 64, 1]);
    assert.equal(isContiguous([8, 16, 64], part), false);
    // one sample: the narrowed rows are back to back
    assert.equal(isContiguous([1, 16, 64], passedGradStrides('concat', undefined, [1, 17, 64], contiguousStrides([1, 17, 64]), [1, 16, 64])!), true);
  });

  it("a transpose's backward transposes the gradient back (a per-sample order keeps the batch first)", () => {
    // t = transpose(r, 1, 0) per sample: r [8, 64, 16] -> t [8, 16, 64]
    assert.deepEqual(passedGradStrides('transpose', [1, 0], [8, 16, 64], [1088, 64, 1], [8, 64, 16]), [1088, 1, 64]);
    assert.deepEqual(passedGradStrides('transpose', [0, 2, 3, 1], [2, 4, 5, 3], contiguousStrides([2, 4, 5, 3]), [2, 3, 4, 5]), [60, 1, 15, 3]);
  });

  it("a reshape's backward views the gradient in the input's shape when the strides allow, else torch copies (null)", () => {
    assert.deepEqual(passedGradStrides('reshape', undefined, [8, 64, 16], [1088, 1, 64], [8, 64, 4, 4]), [1088, 1, 256, 64]);
    assert.equal(passedGradStrides('flatten', undefined, [8, 64, 16], [1088, 1, 64], [8, 1024]), null);
    // an add passes the gradient on as it is
    assert.deepEqual(passedGradStrides('add', undefined, [8, 16, 64], [1088, 64, 1], [8, 16, 64]), [1088, 64, 1]);
  });
});
