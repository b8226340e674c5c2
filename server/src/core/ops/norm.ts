// Normalisation layers. Batch-norm's running statistics are non-trainable buffers.
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { checkedOps, expectMinRank, INPLACE_ARG, intAtLeast, product, splitChannels, tensorArg } from './common';

const EPS_ARG = { name: 'eps', kind: 'number', default: 1e-5, doc: 'added to the variance for stability' } as const;

/** `center` (beta) and `scale` (gamma) flags, Keras names; `affine: false` drops both (PyTorch) */
function learnedVectors(ctx: OpContext): number {
  if (ctx.args['affine'] === false) return 0;
  return (ctx.args['center'] === false ? 0 : 1) + (ctx.args['scale'] === false ? 0 : 1);
}

const AFFINE_ARGS = [
  { name: 'affine', kind: 'bool', default: true, doc: 'learn a scale and a shift (PyTorch); false drops both' },
  { name: 'center', kind: 'bool', default: true, doc: 'learn the shift beta (Keras)' },
  { name: 'scale', kind: 'bool', default: true, doc: 'learn the scale gamma (Keras)' },
] as const;

function channelsOf(ctx: OpContext, opName: string): number {
  const shape = expectMinRank(ctx, 0, 1, opName);
  return splitChannels(shape, ctx.layout).channels;
}

const batchnorm: OpSpec = {
  name: 'batchnorm',
  aliases: ['batchnorm1d', 'batchnorm2d', 'batchnorm3d'],
  family: 'norm',
  summary: 'Batch normalisation over the channel axis, with running mean and variance buffers',
  formula:
    'shape unchanged; C = the channel axis of the layout; params = (scale ? C : 0) + (center ? C : 0) trainable (both 0 when affine is false), 2 C non-trainable (running mean and variance)',
  args: [
    tensorArg('x', 'input; normalised per channel'),
    { name: 'momentum', kind: 'number', default: 0.1, min: 0, doc: 'running-statistics update rate (no effect on memory)' },
    EPS_ARG,
    ...AFFINE_ARGS,
    INPLACE_ARG,
    { name: 'sync', kind: 'bool', doc: "PyTorch's SyncBatchNorm (statistics synchronised across processes; torch 1.13 runs it on GPU inputs only)" },
  ],
  inferShape(ctx) {
    channelsOf(ctx, 'batchnorm');
    return [...ctx.inputs[0]!.shape];
  },
  params(ctx) {
    const c = channelsOf(ctx, 'batchnorm');
    return { trainable: learnedVectors(ctx) * c, nonTrainable: 2 * c };
  },
  savedForBackward: {
    inputs: [0],
    output: false,
    extraElements: (ctx) => ({ perSample: 0, fixed: 2 * channelsOf(ctx, 'batchnorm') }),
    extraDoc: 'batch mean and inverse std per channel (2 C, independent of N)',
  },
  inPlace: 'inferOnly',
};

/** number of trailing axes normalised together */
function normalizedDims(ctx: OpContext): readonly number[] {
  const shape = ctx.inputs[0]!.shape;
  const k = intAtLeast(ctx, 'dims', 1);
  if (k > shape.length) {
    throw new ShapeError(`layernorm over the last ${k} axes needs a ${k}-D input, got ${shape.length}-D [${shape.join(', ')}]`, 'dims');
  }
  return shape.slice(shape.length - k);
}

const layernorm: OpSpec = {
  name: 'layernorm',
  family: 'norm',
  summary: 'Layer normalisation over the trailing axes of each position',
  formula: 'shape unchanged; D = product of the last `dims` axes (default 1: the feature axis of [L, d]); params = (scale ? D : 0) + (center ? D : 0)',
  args: [
    tensorArg('x', 'input, e.g. [L, d]'),
    { name: 'dims', kind: 'int', default: 1, min: 1, doc: 'how many trailing axes are normalised together (PyTorch normalized_shape)' },
    EPS_ARG,
    ...AFFINE_ARGS,
  ],
  inferShape(ctx) {
    expectMinRank(ctx, 0, 1, 'layernorm');
    normalizedDims(ctx);
    return [...ctx.inputs[0]!.shape];
  },
  params(ctx) {
    return { trainable: learnedVectors(ctx) * product(normalizedDims(ctx)), nonTrainable: 0 };
  },
  savedForBackward: {
    inputs: [0],
    output: false,
    extraElements: (ctx, outShape) => ({ perSample: (2 * product(outShape)) / product(normalizedDims(ctx)), fixed: 0 }),
    extraDoc: 'mean and rstd per normalised position (2 * elements / D per sample)',
  },
  inPlace: 'never',
};

const groupnorm: OpSpec = {
  name: 'groupnorm',
  family: 'norm',
  summary: 'Group normalisation: channels split into groups, each normalised per sample',
  formula: 'shape unchanged; groups must divide C; params = (scale ? C : 0) + (center ? C : 0)',
  args: [
    tensorArg('x', 'input; channels on the layout channel axis'),
    { name: 'groups', kind: 'int', positional: true, required: true, min: 1, doc: 'number of channel groups' },
    EPS_ARG,
    ...AFFINE_ARGS,
  ],
  inferShape(ctx) {
    const c = channelsOf(ctx, 'groupnorm');
    const g = intAtLeast(ctx, 'groups', 1);
    if (c % g !== 0) throw new ShapeError(`groupnorm: groups ${g} must divide the ${c} channels`, 'groups');
    return [...ctx.inputs[0]!.shape];
  },
  params(ctx) {
    return { trainable: learnedVectors(ctx) * channelsOf(ctx, 'groupnorm'), nonTrainable: 0 };
  },
  savedForBackward: {
    inputs: [0],
    output: false,
    extraElements: (ctx) => ({ perSample: 2 * intAtLeast(ctx, 'groups', 1), fixed: 0 }),
    extraDoc: 'mean and rstd per group (2 * groups per sample)',
  },
  inPlace: 'never',
};

/** instance normalisation (PyTorch InstanceNorm): each channel of each sample normalised on its own */
const instancenorm: OpSpec = {
  name: 'instancenorm',
  family: 'norm',
  summary: 'Instance normalisation: every channel of every sample normalised over its spatial axes',
  formula: 'shape unchanged; params = affine ? 2 C : 0 trainable, track ? 2 C : 0 non-trainable (running mean and variance)',
  args: [
    tensorArg('x', 'input [C, ...spatial]; channels on the layout channel axis'),
    EPS_ARG,
    { name: 'affine', kind: 'bool', default: false, doc: 'learn a scale and a shift per channel (PyTorch default false)' },
    { name: 'track', kind: 'bool', default: false, doc: 'keep running statistics (track_running_stats; PyTorch default false)' },
  ],
  inferShape(ctx) {
    if (ctx.inputs[0]!.shape.length < 2) throw new ShapeError('instancenorm needs [C, ...spatial]: a channel axis and at least one spatial axis');
    channelsOf(ctx, 'instancenorm');
    return [...ctx.inputs[0]!.shape];
  },
  params(ctx) {
    const c = channelsOf(ctx, 'instancenorm');
    return { trainable: ctx.args['affine'] === true ? 2 * c : 0, nonTrainable: ctx.args['track'] === true ? 2 * c : 0 };
  },
  savedForBackward: {
    inputs: [0],
    output: false,
    extraElements: (ctx) => ({ perSample: 2 * channelsOf(ctx, 'instancenorm'), fixed: 0 }),
    extraDoc: 'mean and inverse std per channel of each sample (2 C per sample)',
  },
  inPlace: 'never',
};

export const normOps: readonly OpSpec[] = checkedOps([batchnorm, layernorm, groupnorm, instancenorm]);
