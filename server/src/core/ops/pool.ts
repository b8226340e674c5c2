// Pooling: windowed (1-D/2-D/3-D, max and average), global and adaptive. No parameters.
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import {
  checkedOps,
  expectMinRank,
  expectSpatialRank,
  joinChannels,
  layoutHint,
  NO_PARAMS,
  paddingArg,
  perDimAtLeast,
  SAVES_INPUT,
  SAVES_NOTHING,
  SPATIAL_NAMES,
  splitChannels,
  tensorArg,
  windowOutput,
} from './common';

type PoolKind = 'max' | 'avg';

export function poolShape(ctx: OpContext, dims: number, name: string): number[] {
  const shape = expectSpatialRank(ctx, dims, name);
  const { channels, spatial } = splitChannels(shape, ctx.layout);
  const kernel = perDimAtLeast(ctx, 'kernel', dims, 1);
  // PyTorch and Keras: the stride defaults to the window size
  const stride = ctx.args['stride'] === undefined ? kernel : perDimAtLeast(ctx, 'stride', dims, 1);
  const pad = paddingArg(ctx.args['pad'], dims);
  // max pooling's dilation (PyTorch): the window spans d (k - 1) + 1 elements
  const dilation = ctx.args['dilation'] === undefined ? kernel.map(() => 1) : perDimAtLeast(ctx, 'dilation', dims, 1);
  const out = spatial.map((n, i) => {
    const p = pad[i]!;
    if (typeof p === 'number' && (!Number.isInteger(p) || p < 0 || 2 * p > kernel[i]!)) {
      throw new ShapeError(`${name}: pad ${p} must be between 0 and half the kernel (${kernel[i]})`, 'pad');
    }
    const floorOut = windowOutput(n, kernel[i]!, stride[i]!, p, dilation[i]!, name);
    return ctx.args['ceil_mode'] === true && typeof p === 'number' ? ceilModeOutput(n, dilation[i]! * (kernel[i]! - 1) + 1, stride[i]!, p, floorOut) : floorOut;
  });
  return joinChannels(channels, out, ctx.layout);
}

/** PyTorch ceil_mode: round up, but the last window must start inside the input or its left padding (`span`: the dilated window) */
function ceilModeOutput(input: number, span: number, stride: number, pad: number, floorOut: number): number {
  let out = Math.ceil((input + 2 * pad - span) / stride) + 1;
  if ((out - 1) * stride >= input + pad) out--;
  return Math.max(out, floorOut);
}

function poolSpec(kind: PoolKind, dims: 1 | 2 | 3, name: string, aliases: readonly string[]): OpSpec {
  const sp = SPATIAL_NAMES[dims]!;
  return {
    name,
    aliases,
    family: 'pool',
    summary: `${dims}-D ${kind === 'max' ? 'max' : 'average'} pooling`,
    formula: `[C, ${sp.join(', ')}] -> [C, ${sp.map((s) => `${s}_out`).join(', ')}] (nhwc: C last), out = floor((in + 2 pad - ${kind === 'max' ? 'dilation (k - 1) - 1' : 'k'}) / stride) + 1 (ceil with ceil_mode), stride defaults to k, 'same' gives ceil(in / stride); params = 0`,
    args: [
      tensorArg('x', `input, ${layoutHint('nchw', sp)} or ${layoutHint('nhwc', sp)}`),
      { name: 'kernel', kind: 'intOrInts', positional: true, required: true, min: 1, doc: `window size, one value or ${dims}` },
      { name: 'stride', kind: 'intOrInts', positional: true, min: 1, doc: 'step of the window (default: the kernel size)' },
      { name: 'pad', kind: 'padding', default: 0, doc: "padding per side (at most half the kernel), 'same' or 'valid'" },
      { name: 'ceil_mode', kind: 'bool', default: false, doc: 'round the output size up instead of down (PyTorch ceil_mode)' },
      ...(kind === 'max' ? [{ name: 'dilation', kind: 'intOrInts' as const, default: 1, min: 1, doc: 'spacing between the window\'s elements (PyTorch dilation): the window spans dilation (k - 1) + 1' }] : []),
    ],
    inferShape: (ctx) => poolShape(ctx, dims, name),
    params: () => NO_PARAMS,
    // max: the input locates the maxima (an implementation may keep indices instead)
    savedForBackward: kind === 'max' ? SAVES_INPUT : SAVES_NOTHING,
    inPlace: 'never',
  };
}

function globalPoolSpec(kind: PoolKind): OpSpec {
  const name = kind === 'max' ? 'globalmaxpool' : 'globalavgpool';
  return {
    name,
    family: 'pool',
    summary: `Global ${kind === 'max' ? 'max' : 'average'} pooling over every spatial axis`,
    formula: '[C, ...spatial] -> [C] (nhwc: [...spatial, C] -> [C]); keepdims keeps each spatial axis as 1; params = 0',
    args: [
      tensorArg('x', 'input with a channel axis and at least one spatial axis'),
      { name: 'keepdims', kind: 'bool', default: false, doc: 'keep the spatial axes with size 1 (Keras keepdims)' },
    ],
    inferShape(ctx) {
      const shape = expectMinRank(ctx, 0, 2, name, 'it reduces the spatial axes and keeps the channel axis');
      const { channels, spatial } = splitChannels(shape, ctx.layout);
      return ctx.args['keepdims'] === true ? joinChannels(channels, spatial.map(() => 1), ctx.layout) : [channels];
    },
    params: () => NO_PARAMS,
    savedForBackward: kind === 'max' ? SAVES_INPUT : SAVES_NOTHING,
    inPlace: 'never',
  };
}

function adaptivePoolSpec(kind: PoolKind): OpSpec {
  const name = kind === 'max' ? 'adaptive_maxpool' : 'adaptive_avgpool';
  return {
    name,
    family: 'pool',
    summary: `Adaptive ${kind === 'max' ? 'max' : 'average'} pooling to a fixed spatial size (PyTorch AdaptiveAvgPool2d)`,
    formula: '[C, ...spatial] -> [C, ...size] (nhwc: C last); params = 0',
    args: [
      tensorArg('x', 'input with a channel axis and spatial axes'),
      { name: 'size', kind: 'intOrInts', positional: true, required: true, min: 1, doc: 'output size, one value or one per spatial axis' },
    ],
    inferShape(ctx) {
      const shape = expectMinRank(ctx, 0, 2, name, 'it pools the spatial axes of [C, ...spatial]');
      const { channels, spatial } = splitChannels(shape, ctx.layout);
      return joinChannels(channels, perDimAtLeast(ctx, 'size', spatial.length, 1), ctx.layout);
    },
    params: () => NO_PARAMS,
    savedForBackward: kind === 'max' ? SAVES_INPUT : SAVES_NOTHING,
    inPlace: 'never',
  };
}

export const poolOps: readonly OpSpec[] = checkedOps([
  poolSpec('max', 1, 'maxpool1d', []),
  poolSpec('max', 2, 'maxpool', ['maxpool2d']),
  poolSpec('max', 3, 'maxpool3d', []),
  poolSpec('avg', 1, 'avgpool1d', []),
  poolSpec('avg', 2, 'avgpool', ['avgpool2d']),
  poolSpec('avg', 3, 'avgpool3d', []),
  globalPoolSpec('avg'),
  globalPoolSpec('max'),
  adaptivePoolSpec('avg'),
  adaptivePoolSpec('max'),
]);
