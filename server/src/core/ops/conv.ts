// Convolutions: 1-D/2-D/3-D, depthwise, separable and transposed. PyTorch's shape and
// parameter conventions; the channel axis follows the layout (nchw: [C, ...spatial]).
import type { ArgSpec, OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import {
  ACTIVATION_ARG,
  BIAS_ARG,
  boolArg,
  checkedOps,
  expectSpatialRank,
  intAtLeast,
  joinChannels,
  layoutHint,
  paddingArg,
  perDimAtLeast,
  product,
  SPATIAL_NAMES,
  splitChannels,
  tensorArg,
  weightedSaved,
  windowOutput,
} from './common';

/** the geometry of one sliding-window call, resolved from its arguments */
interface Window {
  readonly channels: number;
  readonly spatialIn: readonly number[];
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly pad: readonly (number | 'same' | 'valid')[];
  readonly dilation: readonly number[];
}

/**
 * The last window read, by what it is computed from (arguments and input shape, both immutable):
 * a builder asks the shape rule and then the parameter rule for one op, each reading the window.
 */
let lastWindow: { args: OpContext['args']; shape: readonly number[]; layout: OpContext['layout']; dims: number; window: Window } | undefined;

function readWindow(ctx: OpContext, dims: number, opName: string): Window {
  const args = ctx.args;
  const shape = ctx.inputs[0]!.shape;
  const last = lastWindow;
  if (last !== undefined && last.args === args && last.shape === shape && last.layout === ctx.layout && last.dims === dims) return last.window;
  const window = readWindowOf(ctx, dims, opName);
  lastWindow = { args, shape, layout: ctx.layout, dims, window };
  return window;
}

function readWindowOf(ctx: OpContext, dims: number, opName: string): Window {
  const shape = expectSpatialRank(ctx, dims, opName);
  const { channels, spatial } = splitChannels(shape, ctx.layout);
  const pad = paddingArg(ctx.args['pad'], dims);
  for (const p of pad) {
    if (typeof p === 'number' && (!Number.isInteger(p) || p < 0)) throw new ShapeError(`'pad' must be >= 0, got ${p}`, 'pad');
  }
  return {
    channels,
    spatialIn: spatial,
    kernel: perDimAtLeast(ctx, 'kernel', dims, 1),
    stride: perDimAtLeast(ctx, 'stride', dims, 1, 1),
    pad,
    dilation: perDimAtLeast(ctx, 'dilation', dims, 1, 1),
  };
}

function windowSpatialOut(w: Window, opName: string): number[] {
  return w.spatialIn.map((n, i) => windowOutput(n, w.kernel[i]!, w.stride[i]!, w.pad[i]!, w.dilation[i]!, opName));
}

/** a 1x1, stride-1, unpadded window is a plain matrix product: no lowering copy */
function isPointwise(w: Window): boolean {
  return w.kernel.every((k) => k === 1) && w.stride.every((s) => s === 1) && w.pad.every((p) => p === 0 || p === 'valid' || p === 'same');
}

function checkGroups(channelsIn: number, filters: number, groups: number, opName: string): void {
  if (channelsIn % groups !== 0) {
    throw new ShapeError(`${opName}: groups ${groups} must divide the ${channelsIn} input channels`, 'groups');
  }
  if (filters % groups !== 0) throw new ShapeError(`${opName}: groups ${groups} must divide the ${filters} filters`, 'groups');
}

/** im2col rows x columns per sample: output positions x (kernel volume x channels per group) */
function im2colElements(w: Window, spatialOut: readonly number[], groups: number): number {
  return isPointwise(w) ? 0 : product(spatialOut) * product(w.kernel) * (w.channels / groups);
}

const WINDOW_ARGS = (dims: number) =>
  [
    { name: 'stride', kind: 'intOrInts', default: 1, min: 1, doc: `step of the window, one value or ${dims}` },
    { name: 'pad', kind: 'padding', default: 0, doc: `zero padding per side: int, ${dims} ints, 'same' (out = ceil(in / stride)) or 'valid' (0)` },
    { name: 'dilation', kind: 'intOrInts', default: 1, min: 1, doc: 'spacing between kernel taps' },
  ] as const;

/** the argument schema shared by direct and transposed convolutions; `extra` goes before groups */
function convArgs(dims: 1 | 2 | 3, extra: readonly ArgSpec[] = []): ArgSpec[] {
  const sp = SPATIAL_NAMES[dims]!;
  return [
    tensorArg('x', `input, ${layoutHint('nchw', sp)} or ${layoutHint('nhwc', sp)}`),
    { name: 'filters', kind: 'int', positional: true, required: true, min: 1, doc: 'output channels' },
    { name: 'kernel', kind: 'intOrInts', positional: true, required: true, min: 1, doc: `window size, one value or ${dims}` },
    ...WINDOW_ARGS(dims),
    ...extra,
    { name: 'groups', kind: 'int', default: 1, min: 1, doc: 'channel groups; must divide input channels and filters' },
    BIAS_ARG,
    ACTIVATION_ARG,
  ];
}

function convSpec(dims: 1 | 2 | 3): OpSpec {
  const name = `conv${dims}d`;
  const sp = SPATIAL_NAMES[dims]!;
  const outDims = sp.map((s) => `${s}_out = floor((${s} + 2 pad - dilation (k - 1) - 1) / stride) + 1`).join(', ');
  const readGroups = (ctx: OpContext) => intAtLeast(ctx, 'groups', 1);
  return {
    name,
    family: 'conv',
    summary: `${dims}-D convolution`,
    formula: `[C_in, ${sp.join(', ')}] -> [filters, ${sp.map((s) => `${s}_out`).join(', ')}] (nchw; nhwc puts C last), ${outDims}; 'same' gives ceil(in / stride); params = filters * (C_in / groups) * ${sp.map((_, i) => `k${i + 1}`).join(' * ')} + (bias ? filters : 0)`,
    args: convArgs(dims),
    inferShape(ctx) {
      const w = readWindow(ctx, dims, name);
      const filters = intAtLeast(ctx, 'filters', 1);
      checkGroups(w.channels, filters, readGroups(ctx), name);
      return joinChannels(filters, windowSpatialOut(w, name), ctx.layout);
    },
    params(ctx) {
      const w = readWindow(ctx, dims, name);
      const filters = intAtLeast(ctx, 'filters', 1);
      const weights = filters * (w.channels / readGroups(ctx)) * product(w.kernel);
      return { trainable: weights + (boolArg(ctx, 'bias') ? filters : 0), nonTrainable: 0 };
    },
    savedForBackward: weightedSaved(),
    inPlace: 'never',
    workspaceElements(ctx, outShape) {
      const w = readWindow(ctx, dims, name);
      return { perSample: im2colElements(w, splitChannels(outShape, ctx.layout).spatial, readGroups(ctx)), fixed: 0 };
    },
    workspaceDoc: `im2col: ${sp.map((s) => `${s}_out`).join(' * ')} * (${sp.map((_, i) => `k${i + 1}`).join(' * ')} * C_in / groups) per sample; 0 for a 1x1, stride-1, unpadded convolution`,
  };
}

const depthwiseConv2d: OpSpec = {
  name: 'depthwise_conv2d',
  family: 'conv',
  summary: 'Depthwise 2-D convolution: each input channel convolved on its own (groups = C)',
  formula: `[C, H, W] -> [C * depth_multiplier, H_out, W_out] (window rule of conv2d); params = k_h * k_w * C * depth_multiplier + (bias ? C * depth_multiplier : 0)`,
  args: [
    tensorArg('x', `input, ${layoutHint('nchw', ['H', 'W'])} or ${layoutHint('nhwc', ['H', 'W'])}`),
    { name: 'kernel', kind: 'intOrInts', positional: true, required: true, min: 1, doc: 'window size, one value or 2' },
    ...WINDOW_ARGS(2),
    { name: 'depth_multiplier', kind: 'int', default: 1, min: 1, doc: 'output channels per input channel' },
    BIAS_ARG,
    ACTIVATION_ARG,
  ],
  inferShape(ctx) {
    const w = readWindow(ctx, 2, 'depthwise_conv2d');
    const dm = intAtLeast(ctx, 'depth_multiplier', 1);
    return joinChannels(w.channels * dm, windowSpatialOut(w, 'depthwise_conv2d'), ctx.layout);
  },
  params(ctx) {
    const w = readWindow(ctx, 2, 'depthwise_conv2d');
    const out = w.channels * intAtLeast(ctx, 'depth_multiplier', 1);
    return { trainable: product(w.kernel) * out + (boolArg(ctx, 'bias') ? out : 0), nonTrainable: 0 };
  },
  savedForBackward: weightedSaved(),
  inPlace: 'never',
  workspaceElements(ctx, outShape) {
    const w = readWindow(ctx, 2, 'depthwise_conv2d');
    return { perSample: im2colElements(w, splitChannels(outShape, ctx.layout).spatial, w.channels), fixed: 0 };
  },
  workspaceDoc: 'im2col per group (groups = C): H_out * W_out * k_h * k_w per sample; 0 for 1x1, stride 1, unpadded',
};

const separableConv2d: OpSpec = {
  name: 'separable_conv2d',
  family: 'conv',
  summary: 'Depthwise 2-D convolution followed by a 1x1 pointwise convolution (Keras SeparableConv2D)',
  formula: `[C, H, W] -> [filters, H_out, W_out] (window rule of conv2d); params = k_h * k_w * C * dm + C * dm * filters + (bias ? filters : 0) (Keras: one bias, on the pointwise part)`,
  args: [
    tensorArg('x', `input, ${layoutHint('nchw', ['H', 'W'])} or ${layoutHint('nhwc', ['H', 'W'])}`),
    { name: 'filters', kind: 'int', positional: true, required: true, min: 1, doc: 'output channels of the pointwise part' },
    { name: 'kernel', kind: 'intOrInts', positional: true, required: true, min: 1, doc: 'depthwise window size, one value or 2' },
    ...WINDOW_ARGS(2),
    { name: 'depth_multiplier', kind: 'int', default: 1, min: 1, doc: 'depthwise output channels per input channel (dm)' },
    BIAS_ARG,
    ACTIVATION_ARG,
  ],
  inferShape(ctx) {
    const w = readWindow(ctx, 2, 'separable_conv2d');
    return joinChannels(intAtLeast(ctx, 'filters', 1), windowSpatialOut(w, 'separable_conv2d'), ctx.layout);
  },
  params(ctx) {
    const w = readWindow(ctx, 2, 'separable_conv2d');
    const mid = w.channels * intAtLeast(ctx, 'depth_multiplier', 1);
    const filters = intAtLeast(ctx, 'filters', 1);
    return { trainable: product(w.kernel) * mid + mid * filters + (boolArg(ctx, 'bias') ? filters : 0), nonTrainable: 0 };
  },
  savedForBackward: weightedSaved(
    (ctx, outShape) => product(splitChannels(outShape, ctx.layout).spatial) * splitChannels(ctx.inputs[0]!.shape, ctx.layout).channels * intAtLeast(ctx, 'depth_multiplier', 1),
    'the depthwise intermediate H_out * W_out * C * dm (input of the pointwise part)',
  ),
  inPlace: 'never',
  workspaceElements(ctx, outShape) {
    const w = readWindow(ctx, 2, 'separable_conv2d');
    const spatialOut = splitChannels(outShape, ctx.layout).spatial;
    const mid = product(spatialOut) * w.channels * intAtLeast(ctx, 'depth_multiplier', 1);
    return { perSample: im2colElements(w, spatialOut, w.channels) + mid, fixed: 0 };
  },
  workspaceDoc: 'depthwise im2col H_out * W_out * k_h * k_w plus the depthwise intermediate H_out * W_out * C * dm per sample',
};

/**
 * Output length of a transposed convolution. Explicit padding follows PyTorch:
 * (in - 1) stride - 2 pad + dilation (k - 1) + output_padding + 1. 'same' / 'valid' follow Keras.
 */
function transposedOutput(input: number, k: number, stride: number, pad: number | 'same' | 'valid', dilation: number, outPad: number): number {
  const span = dilation * (k - 1) + 1;
  if (pad === 'same') return outPad === 0 ? input * stride : (input - 1) * stride + span - 2 * Math.floor(span / 2) + outPad;
  if (pad === 'valid') return outPad === 0 ? input * stride + Math.max(span - stride, 0) : (input - 1) * stride + span + outPad;
  return (input - 1) * stride - 2 * pad + span + outPad;
}

function convTransposeSpec(dims: 1 | 2 | 3): OpSpec {
  const name = `conv${dims}d_transpose`;
  const sp = SPATIAL_NAMES[dims]!;
  const readGroups = (ctx: OpContext) => intAtLeast(ctx, 'groups', 1);
  const spatialOut = (ctx: OpContext, w: Window): number[] => {
    const outPad = perDimAtLeast(ctx, 'output_padding', dims, 0, 0);
    return w.spatialIn.map((n, i) => {
      if (outPad[i]! >= w.stride[i]! && outPad[i]! >= w.dilation[i]!) {
        throw new ShapeError(`${name}: output_padding ${outPad[i]} must be smaller than the stride or the dilation`, 'output_padding');
      }
      const out = transposedOutput(n, w.kernel[i]!, w.stride[i]!, w.pad[i]!, w.dilation[i]!, outPad[i]!);
      if (out < 1) throw new ShapeError(`${name}: output ${sp[i]} would be ${out}; reduce 'pad'`, 'pad');
      return out;
    });
  };
  return {
    name,
    family: 'conv',
    summary: `${dims}-D transposed convolution (fractionally strided; upsamples)`,
    formula: `[C_in, ${sp.join(', ')}] -> [filters, ${sp.map((s) => `${s}_out`).join(', ')}], out = (in - 1) stride - 2 pad + dilation (k - 1) + output_padding + 1 ('same': in * stride, Keras); params = C_in * (filters / groups) * ${sp.map((_, i) => `k${i + 1}`).join(' * ')} + (bias ? filters : 0)`,
    args: convArgs(dims, [
      { name: 'output_padding', kind: 'intOrInts', default: 0, min: 0, doc: 'extra size added to one side of the output (< stride or < dilation)' },
    ]),
    inferShape(ctx) {
      const w = readWindow(ctx, dims, name);
      const filters = intAtLeast(ctx, 'filters', 1);
      checkGroups(w.channels, filters, readGroups(ctx), name);
      return joinChannels(filters, spatialOut(ctx, w), ctx.layout);
    },
    params(ctx) {
      const w = readWindow(ctx, dims, name);
      const filters = intAtLeast(ctx, 'filters', 1);
      const weights = w.channels * (filters / readGroups(ctx)) * product(w.kernel);
      return { trainable: weights + (boolArg(ctx, 'bias') ? filters : 0), nonTrainable: 0 };
    },
    savedForBackward: weightedSaved(),
    inPlace: 'never',
    workspaceElements(ctx) {
      const w = readWindow(ctx, dims, name);
      const filters = intAtLeast(ctx, 'filters', 1);
      const cols = isPointwise(w) ? 0 : product(w.spatialIn) * product(w.kernel) * (filters / readGroups(ctx));
      return { perSample: cols, fixed: 0 };
    },
    workspaceDoc: `col2im: ${sp.join(' * ')} (input positions) * (${sp.map((_, i) => `k${i + 1}`).join(' * ')} * filters / groups) per sample; 0 for 1x1, stride 1, unpadded`,
  };
}

export const convOps: readonly OpSpec[] = checkedOps([
  convSpec(1),
  convSpec(2),
  convSpec(3),
  depthwiseConv2d,
  separableConv2d,
  convTransposeSpec(1),
  convTransposeSpec(2),
  convTransposeSpec(3),
]);
