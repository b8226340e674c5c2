// Fully connected layers and embeddings.
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { ACTIVATION_ARG, BIAS_ARG, boolArg, checkedOps, intAtLeast, shapeText, tensorArg, weightedSaved } from './common';

const dense: OpSpec = {
  name: 'dense',
  aliases: ['linear'],
  family: 'dense',
  summary: 'Fully connected layer applied to the last axis',
  formula: '[F] -> [units] or [L, F] -> [L, units]; params = F * units + (bias ? units : 0)',
  args: [
    tensorArg('x', 'input, [F] or [L, F]'),
    { name: 'units', kind: 'int', positional: true, required: true, min: 1, doc: 'output features' },
    BIAS_ARG,
    ACTIVATION_ARG,
  ],
  inferShape(ctx) {
    const shape = ctx.inputs[0]!.shape;
    if (shape.length < 1 || shape.length > 2) {
      throw new ShapeError(
        `dense expects a 1-D [F] or 2-D [L, F] input per sample, got ${shape.length}-D ${shapeText(shape)}; flatten(x) or globalavgpool(x) first`,
      );
    }
    const units = intAtLeast(ctx, 'units', 1);
    return shape.length === 1 ? [units] : [shape[0]!, units];
  },
  params(ctx) {
    const shape = ctx.inputs[0]!.shape;
    const units = intAtLeast(ctx, 'units', 1);
    return { trainable: shape[shape.length - 1]! * units + (boolArg(ctx, 'bias') ? units : 0), nonTrainable: 0 };
  },
  // the input only for the weight's gradient: a frozen dense keeps none (PyTorch's addmm saves
  // mat1 only when the weight requires grad; a convolution in torch 1.13 keeps its input either way)
  savedForBackward: { ...weightedSaved(), weightGradientInputs: [0] },
  inPlace: 'never',
};

const embedding: OpSpec = {
  name: 'embedding',
  family: 'dense',
  summary: 'Lookup table: each integer token becomes a learned vector',
  formula: '[L] token ids -> [L, dim] (any input shape gains a trailing dim axis); params = vocab * dim',
  args: [
    tensorArg('x', 'integer token ids, e.g. input(128, dtype: int64)'),
    { name: 'vocab', kind: 'int', positional: true, required: true, min: 1, doc: 'number of distinct tokens (Keras input_dim)' },
    { name: 'dim', kind: 'int', positional: true, required: true, min: 1, doc: 'vector size (Keras output_dim)' },
  ],
  inferShape(ctx) {
    return [...ctx.inputs[0]!.shape, intAtLeast(ctx, 'dim', 1)];
  },
  params(ctx) {
    return { trainable: intAtLeast(ctx, 'vocab', 1) * intAtLeast(ctx, 'dim', 1), nonTrainable: 0 };
  },
  // the token ids route the gradient rows into the table: a frozen table keeps none
  savedForBackward: { inputs: [0], output: false, weightGradientInputs: [0] },
  inPlace: 'never',
};

export const denseOps: readonly OpSpec[] = checkedOps([dense, embedding]);
