// Image and feature preprocessing layers (Keras Resizing, Normalization and the random
// augmentations), which sit at a model's input: no trainable weights, nothing saved for a backward.
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { checkedOps, expectSpatialRank, intAtLeast, joinChannels, NO_PARAMS, normalizeAxis, product, splitChannels, tensorArg } from './common';

const SAVES_NOTHING = { inputs: [], output: false } as const;

/** Keras Resizing: every image to height x width (any interpolation) */
const resize: OpSpec = {
  name: 'resize',
  family: 'shape',
  summary: 'Resize images to a fixed height and width (Keras Resizing), by any interpolation',
  formula: '[H, W, C] -> [height, width, C] (nchw: C first); params = 0',
  args: [
    tensorArg('x', 'images [H, W, C] (nhwc) or [C, H, W] (nchw)'),
    { name: 'height', kind: 'int', positional: true, required: true, min: 1, doc: 'output rows' },
    { name: 'width', kind: 'int', positional: true, required: true, min: 1, doc: 'output columns' },
    { name: 'interpolation', kind: 'enum', values: ['bilinear', 'nearest', 'bicubic', 'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic'], default: 'bilinear', doc: 'how pixels are interpolated (no effect on memory)' },
  ],
  inferShape(ctx) {
    const shape = expectSpatialRank(ctx, 2, 'resize');
    const { channels } = splitChannels(shape, ctx.layout);
    return joinChannels(channels, [intAtLeast(ctx, 'height', 1), intAtLeast(ctx, 'width', 1)], ctx.layout);
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

/**
 * Keras' random augmentation layers (RandomFlip, RandomRotation, RandomZoom, RandomContrast,
 * RandomTranslation, RandomBrightness): in training a transformed copy of the images, at
 * inference the images themselves
 */
const randomAugment: OpSpec = {
  name: 'random_augment',
  family: 'shape',
  summary: 'A random image augmentation (Keras RandomFlip, RandomRotation, ...): a transformed copy while training, identity at inference',
  formula: 'shape unchanged; params = 0',
  args: [
    tensorArg('x', 'images'),
    { name: 'kind', kind: 'enum', values: ['flip', 'rotation', 'zoom', 'contrast', 'translation', 'brightness'], default: 'flip', doc: 'which transform (no effect on memory)' },
  ],
  inferShape: (ctx) => [...ctx.inputs[0]!.shape],
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  identityInInference: true,
};

/** the per-sample axes Normalization keeps one mean and variance for: `axis` (-1 by default), or none (`scalar`) */
function statistics(ctx: Parameters<OpSpec['inferShape']>[0]): number {
  const shape = ctx.inputs[0]!.shape;
  if (ctx.args['scalar'] === true) return 1;
  const raw = ctx.args['axis'] ?? -1;
  const axes = typeof raw === 'number' ? [raw] : Array.isArray(raw) ? raw : [];
  const kept = new Set(axes.map((a) => normalizeAxis(a, shape.length, 'axis')));
  if (kept.size !== axes.length) throw new ShapeError(`normalization: axis ${JSON.stringify(raw)} names an axis twice`, 'axis');
  return product([...kept].map((a) => shape[a]!));
}

/** Keras Normalization: (x - mean) / sqrt(variance), mean and variance kept per index of the kept axes */
const normalization: OpSpec = {
  name: 'normalization',
  family: 'norm',
  summary: 'Feature normalization by a stored mean and variance (Keras Normalization): (x - mean) / sqrt(variance)',
  formula: 'shape unchanged; K = the product of the kept axes (1 for scalar); params = 2 K + 1 non-trainable (mean, variance, the adapt count) when adapted, 0 when mean and variance are given',
  args: [
    tensorArg('x'),
    { name: 'axis', kind: 'intOrInts', default: -1, doc: 'per-sample axes with a mean and variance of their own (Keras counts the batch as axis 0; here axis 0 is the first per-sample axis)' },
    { name: 'scalar', kind: 'bool', default: false, doc: 'one mean and variance for every element (axis=None)' },
    { name: 'adapt', kind: 'bool', default: true, doc: 'the statistics are weights set by adapt() (mean, variance and their count); false: constants given to the constructor' },
  ],
  inferShape(ctx) {
    statistics(ctx);
    return [...ctx.inputs[0]!.shape];
  },
  params: (ctx) => (ctx.args['adapt'] === false ? NO_PARAMS : { trainable: 0, nonTrainable: 2 * statistics(ctx) + 1 }),
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  workspaceElements: (ctx) => ({ perSample: product(ctx.inputs[0]!.shape), fixed: 0 }),
  workspaceDoc: 'x - mean, before it is divided',
};

export const preprocessingOps: readonly OpSpec[] = checkedOps([resize, randomAugment, normalization]);
