// TensorFlow.js 4.22's layout, pooling and element-wise layers on the CPU backend, kernel by kernel
// (tfjs-layers' call()s, tfjs-core's gradients, tfjs-backend-cpu's kernels):
// - reshape, a linear activation and the 1-D pools' expandDims / squeeze are views;
// - Permute and a channels-first layer's transposes run Transpose (a copy; its gradient transposes dy);
// - Cropping2D slices along the rows, then the columns (Slice saves x; its gradient pads dy);
// - UpSampling2D runs ResizeNearestNeighbor, RepeatVector a Tile of x expanded, Concatenate Concat;
// - the global pools reduce with Mean and Max: Mean divides a float copy of x by the count and, where
//   the axes are not the innermost (channels-last), sums a transposed copy of it; Max transposes
//   into a plain array, no tensor.
import { activation } from './tfjsActivations';
import type { GradientBuffer, Kernel, KernelSource, OpRule } from './tfjsKernel';

const F32 = 4;
const IN0: readonly KernelSource[] = [{ input: 0 }];
const k = (bytes: number, from: readonly KernelSource[], grads: readonly GradientBuffer[], savesInputs: boolean, extra: Partial<Kernel> = {}): Kernel => ({ bytes, from, grads, savesInputs, savesOutput: false, ...extra });

/** Mean over axes of x: a scalar and x / count beside the output, and x transposed where the axes are not innermost */
const mean = (innermost: boolean): OpRule => (ctx) => {
  const x = ctx.inBytes(0);
  // its gradient: dy reshaped times ones(x.shape), divided by the count
  return [k(ctx.outBytes, IN0, ['fresh'], true, { transient: F32 + (innermost ? 1 : 2) * x, gradTransient: 2 * x })];
};

/** Max saves x and its output; its gradient is dy * (x == y): a boolean mask beside the product */
const max: OpRule = (ctx) => [k(ctx.outBytes, IN0, ['fresh'], true, { savesOutput: true, gradTransient: ctx.inBytes(0) / 4 })];

export const TFJS_RESHAPING_OPS: Readonly<Record<string, OpRule>> = {
  reshape: () => [],
  transpose: (ctx) => [k(ctx.outBytes, IN0, ['fresh'], false)],
  // a global pool of a channels-first tensor reduces its inner axes (the frontend's transpose is not run)
  'transpose in channelsFirst pooling': () => [],
  globalavgpool: mean(false),
  'globalavgpool in channelsFirst': mean(true),
  globalmaxpool: max,
  'globalmaxpool in channelsFirst': max,
  cropping2d: (ctx) => {
    const [h, w, c] = ctx.inShape(0);
    const crop = ctx.attrs['crop'];
    if (h === undefined || w === undefined || c === undefined || !Array.isArray(crop) || crop.length !== 4) return null;
    const rows = ctx.batch * (h - Number(crop[0]) - Number(crop[1])) * w * c * F32;
    return [k(rows, IN0, ['fresh'], true), k(ctx.outBytes, [{ kernel: 0 }], ['fresh'], true)];
  },
  // ResizeNearestNeighbor saves its input; its gradient kernel makes the input's gradient
  upsample: (ctx) => (ctx.attrs['mode'] === 'nearest' ? [k(ctx.outBytes, IN0, ['fresh'], true)] : null),
  // Tile's gradient adds one slice of dy per repetition to zeros of x, all inside one tidy()
  repeat_vector: (ctx) => {
    const n = ctx.attrs['n'];
    return typeof n === 'number' ? [k(ctx.outBytes, IN0, ['fresh'], true, { gradTransient: (1 + 2 * n) * ctx.inBytes(0) })] : null;
  },
  // Concat saves all its inputs; its gradient splits dy, one new buffer per input
  concat: (ctx) => {
    const from = Array.from({ length: ctx.inputs }, (_, i) => ({ input: i }));
    return [k(ctx.outBytes, from, from.map(() => 'fresh'), true)];
  },
  // LeakyRelu saves x; its gradient keeps the mask x > 0 (a byte per element) and makes dy * alpha before where()
  leaky_relu: (ctx) => [k(ctx.outBytes, IN0, ['fresh'], true, { gradKeeps: ctx.outBytes / 4, gradTransient: ctx.outBytes })],
  elu: (ctx) => [activation('elu', ctx.outBytes, IN0)],
  // the 1-D pools run MaxPool / AvgPool on a 4-D view; the squeeze after it saves the pooled tensor
  maxpool1d: (ctx) => [k(ctx.outBytes, IN0, ['fresh'], true, { savesOutput: true })],
  avgpool1d: (ctx) => [k(ctx.outBytes, IN0, ['fresh'], true, { savesOutput: true })],
};

/** views that run a Reshape kernel, which saves its input for backward (the buffer stays to the backward's end) */
export const RESHAPE_VIEWS: ReadonlySet<string> = new Set(['reshape', 'flatten']);
