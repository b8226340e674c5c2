// Additive Gaussian noise (Keras GaussianNoise: x + N(0, stddev) while training, identity at
// inference) and the elementwise maximum / minimum of tensors of equal shape (Keras Maximum, Minimum).
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { checkedOps, NO_PARAMS, tensorArg, tensorsArg } from './common';

const gaussianNoise: OpSpec = {
  name: 'gaussian_noise',
  family: 'activation',
  summary: 'Additive Gaussian noise while training (Keras GaussianNoise): identity at inference',
  formula: 'shape unchanged; params = 0 (the sum\'s backward reads nothing)',
  args: [tensorArg('x'), { name: 'stddev', kind: 'number', positional: true, default: 0, min: 0, doc: 'standard deviation of the noise (no effect on memory)' }],
  inferShape: (ctx) => [...ctx.inputs[0]!.shape],
  params: () => NO_PARAMS,
  savedForBackward: { inputs: [], output: false },
  inPlace: 'never',
  identityInInference: true,
};

const extremum: OpSpec = {
  name: 'extremum',
  family: 'shape',
  summary: 'Elementwise maximum or minimum of two tensors of equal shape (Keras Maximum, Minimum)',
  formula: 'both shapes equal; output the same shape; params = 0 (the backward reads both inputs)',
  args: [tensorsArg('the two tensors compared'), { name: 'kind', kind: 'enum', values: ['max', 'min'], default: 'max', doc: 'maximum or minimum' }],
  inferShape(ctx) {
    const inputs = ctx.inputs;
    if (inputs.length !== 2) throw new ShapeError(`extremum takes two tensors, got ${inputs.length}`);
    const first = inputs[0]!.shape;
    inputs.forEach((t, i) => {
      if (t.shape.length !== first.length || t.shape.some((d, j) => d !== first[j])) {
        throw new ShapeError(`extremum needs equal shapes: tensor 1 is [${first.join(', ')}] but tensor ${i + 1} is [${t.shape.join(', ')}]`);
      }
    });
    return [...first];
  },
  params: () => NO_PARAMS,
  // which input was the largest is decided from the inputs again in the backward
  savedForBackward: { inputs: [0, 1], output: false },
  inPlace: 'never',
};

export const noiseAndExtremaOps: readonly OpSpec[] = checkedOps([gaussianNoise, extremum]);
