// Shape manipulation and elementwise merges. No parameters.
import type { DType } from '../ir';
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import {
  broadcastShapes,
  channelAxis,
  checkedOps,
  expectMinRank,
  imageOf,
  expectRank,
  expectSpatialRank,
  INPLACE_ARG,
  intAtLeast,
  intList,
  joinChannels,
  layoutHint,
  NO_PARAMS,
  normalizeAxis,
  numberArg,
  perDim,
  product,
  sameShape,
  SAVES_NOTHING,
  shapeText,
  SPATIAL_NAMES,
  splitChannels,
  tensorArg,
  tensorsArg,
} from './common';

const flatten: OpSpec = {
  name: 'flatten',
  family: 'shape',
  summary: 'Collapse every per-sample axis into one',
  formula: '[d1, ..., dk] -> [d1 * ... * dk]; params = 0',
  args: [tensorArg('x')],
  inferShape: (ctx) => [product(expectMinRank(ctx, 0, 1, 'flatten'))],
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  aliasesInput: true,
};

const reshape: OpSpec = {
  name: 'reshape',
  family: 'shape',
  summary: 'Reinterpret the per-sample elements with a new shape',
  formula: 'new per-sample shape with the same element count; one -1 takes the remaining size; params = 0',
  args: [tensorArg('x'), { name: 'shape', kind: 'int', positional: true, variadic: true, required: true, doc: 'new per-sample dims, e.g. reshape(x, 49, -1)' }],
  inferShape(ctx) {
    const inShape = ctx.inputs[0]!.shape;
    const dims = intList(ctx, 'shape');
    const total = product(inShape);
    const free = dims.filter((d) => d === -1).length;
    if (free > 1) throw new ShapeError('reshape allows at most one -1', 'shape');
    for (const d of dims) {
      if (!Number.isInteger(d) || (d < 1 && d !== -1)) throw new ShapeError(`reshape dimension ${d} must be a positive integer or -1`, 'shape');
    }
    const known = product(dims.filter((d) => d !== -1));
    if (free === 1) {
      if (total % known !== 0) {
        throw new ShapeError(`reshape of ${shapeText(inShape)} (${total} elements) to ${shapeText(dims)}: ${total} is not divisible by ${known}`, 'shape');
      }
      return dims.map((d) => (d === -1 ? total / known : d));
    }
    if (known !== total) {
      throw new ShapeError(`reshape of ${shapeText(inShape)} (${total} elements) to ${shapeText(dims)} (${known} elements): counts differ`, 'shape');
    }
    return dims;
  },
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  aliasesInput: true,
};

const transpose: OpSpec = {
  name: 'transpose',
  aliases: ['permute'],
  family: 'shape',
  summary: 'Permute the per-sample axes (the batch axis stays first)',
  formula: 'out[i] = in[perm[i]] over the per-sample axes; params = 0',
  args: [tensorArg('x'), { name: 'perm', kind: 'int', positional: true, variadic: true, required: true, doc: 'a permutation of 0..rank-1, e.g. transpose(x, 1, 0)' }],
  inferShape(ctx) {
    const shape = ctx.inputs[0]!.shape;
    const perm = intList(ctx, 'perm');
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== shape.length || !sorted.every((v, i) => v === i)) {
      throw new ShapeError(
        `transpose needs a permutation of 0..${shape.length - 1} for the ${shape.length}-D per-sample shape ${shapeText(shape)}, got ${shapeText(perm)}`,
        'perm',
      );
    }
    return perm.map((p) => shape[p]!);
  },
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

const concat: OpSpec = {
  name: 'concat',
  aliases: ['concatenate'],
  family: 'shape',
  summary: 'Join tensors along one axis (default the channel axis)',
  formula: 'every dim equal except `axis`, which is summed; params = 0',
  args: [
    tensorsArg('tensors to join'),
    { name: 'axis', kind: 'int', doc: 'per-sample axis (negative counts from the end); default the layout channel axis' },
  ],
  inferShape(ctx) {
    const shapes = ctx.inputs.map((t) => t.shape);
    if (shapes.length === 0) throw new ShapeError('concat needs at least one tensor');
    const first = shapes[0]!;
    const rawAxis = ctx.args['axis'];
    const axis = typeof rawAxis === 'number' ? normalizeAxis(rawAxis, first.length, 'axis') : channelAxis(ctx.layout, first.length);
    let sum = 0;
    shapes.forEach((s, i) => {
      const fits = s.length === first.length && s.every((d, j) => j === axis || d === first[j]);
      if (!fits) {
        throw new ShapeError(
          `concat along axis ${axis}: tensor ${i + 1} has shape ${shapeText(s)} but tensor 1 has ${shapeText(first)}; every other dim must match`,
        );
      }
      sum += s[axis]!;
    });
    return first.map((d, j) => (j === axis ? sum : d));
  },
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

function sameShapes(ctx: OpContext, name: string): number[] {
  const inputs = ctx.inputs;
  if (inputs.length < 2) throw new ShapeError(`${name} needs at least two tensors, got ${inputs.length}`);
  const first = inputs[0]!.shape;
  for (let i = 1; i < inputs.length; i++) {
    const s = inputs[i]!.shape;
    if (!sameShape(s, first)) {
      throw new ShapeError(`${name} needs equal shapes: tensor 1 is ${shapeText(first)} but tensor ${i + 1} is ${shapeText(s)}`);
    }
  }
  return [...first];
}


const add: OpSpec = {
  name: 'add',
  family: 'shape',
  summary: 'Elementwise sum of tensors of equal shape (residual connections)',
  formula: 'all shapes equal; output the same shape; params = 0',
  args: [tensorsArg('tensors to sum (at least two)'), INPLACE_ARG],
  inferShape: (ctx) => sameShapes(ctx, 'add'),
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'elementwise',
};

const mul: OpSpec = {
  name: 'mul',
  aliases: ['multiply'],
  family: 'shape',
  summary: 'Elementwise product with numpy broadcasting (gating, squeeze-and-excitation)',
  formula: 'shapes broadcast from the last axis (a dim of 1 stretches); output the broadcast shape; params = 0',
  args: [tensorsArg('tensors to multiply (at least two)'), INPLACE_ARG],
  inferShape: (ctx) => broadcastShapes(ctx.inputs.map((t) => t.shape), 'mul'),
  params: () => NO_PARAMS,
  // each operand is needed for the other one's gradient
  savedForBackward: { inputs: [0, 1], output: false },
  inPlace: 'elementwise',
};

const average: OpSpec = {
  name: 'average',
  family: 'shape',
  summary: 'Elementwise mean of tensors of equal shape (Keras Average)',
  formula: 'all shapes equal; output the same shape; params = 0',
  args: [tensorsArg('tensors to average (at least two)'), INPLACE_ARG],
  inferShape: (ctx) => sameShapes(ctx, 'average'),
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'elementwise',
};

const upsample: OpSpec = {
  name: 'upsample',
  family: 'shape',
  summary: 'Repeat (nearest) or interpolate (bilinear) along every spatial axis',
  formula: '[C, ...spatial] -> [C, ...spatial * scale], or [C, ...size] when a size is given (nhwc: C last); params = 0',
  args: [
    tensorArg('x', 'input with a channel axis and spatial axes'),
    { name: 'scale', kind: 'intOrInts', positional: true, default: 2, min: 1, doc: 'integer factor, one value or one per spatial axis' },
    { name: 'size', kind: 'intOrInts', min: 1, doc: "the output's spatial size, one value or one per spatial axis, in place of `scale` (PyTorch's size=, or floor(in * scale) for a fractional scale_factor)" },
    { name: 'mode', kind: 'enum', values: ['nearest', 'bilinear'], default: 'nearest', doc: 'interpolation (no effect on the ideal memory)' },
    { name: 'interpolation', kind: 'enum', values: ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', 'bicubic', 'area'], doc: "PyTorch's mode as written (its CPU kernel's index and weight arrays follow it); unset: `mode`'s" },
  ],
  inferShape(ctx) {
    const shape = expectMinRank(ctx, 0, 2, 'upsample', 'it scales the spatial axes of [C, ...spatial]');
    const { channels, spatial } = splitChannels(shape, ctx.layout);
    if (ctx.args['size'] !== undefined) {
      const size = perDim(ctx.args['size'], spatial.length, 'size');
      for (const s of size) if (!Number.isInteger(s) || s < 1) throw new ShapeError(`upsample size must be a positive integer, got ${s}`, 'size');
      return joinChannels(channels, size, ctx.layout);
    }
    const scale = perDim(ctx.args['scale'] ?? 2, spatial.length, 'scale');
    for (const s of scale) if (!Number.isInteger(s) || s < 1) throw new ShapeError(`upsample scale must be a positive integer, got ${s}`, 'scale');
    return joinChannels(channels, spatial.map((d, i) => d * scale[i]!), ctx.layout);
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

/** per spatial axis [before, after] from 1 value, one per axis (symmetric) or two per axis */
function beforeAfter(ctx: OpContext, name: string, dims: number): [number, number][] {
  const raw = ctx.args[name];
  const values = typeof raw === 'number' ? [raw] : Array.isArray(raw) ? [...raw] : [];
  for (const v of values) if (!Number.isInteger(v) || v < 0) throw new ShapeError(`'${name}' values must be integers >= 0, got ${v}`, name);
  if (values.length === 1) return new Array(dims).fill(0).map(() => [values[0]!, values[0]!]);
  if (values.length === dims) return values.map((v) => [v, v]);
  if (values.length === 2 * dims) return new Array(dims).fill(0).map((_, i) => [values[2 * i]!, values[2 * i + 1]!]);
  throw new ShapeError(`'${name}' needs 1, ${dims} or ${2 * dims} values (before/after per spatial axis)`, name);
}

const zeropad: OpSpec = {
  name: 'zeropad',
  family: 'shape',
  summary: 'Pad every spatial axis: with zeros (default), by reflecting or replicating the border, or circularly (the opposite edge)',
  formula: 'spatial dim + before + after per axis; channels unchanged; params = 0',
  args: [
    tensorArg('x', 'input with a channel axis and spatial axes'),
    { name: 'pad', kind: 'intOrInts', positional: true, required: true, doc: 'one value, one per spatial axis, or [before, after] pairs flattened' },
    { name: 'mode', kind: 'enum', values: ['zeros', 'reflect', 'replicate', 'circular'], default: 'zeros', doc: "what fills the border: zeros (or a constant), a reflection of the inside (PyTorch ReflectionPad), the edge repeated (ReplicationPad), the other side's values (circular)" },
  ],
  inferShape(ctx) {
    const shape = expectMinRank(ctx, 0, 2, 'zeropad', 'it pads the spatial axes of [C, ...spatial]');
    const { channels, spatial } = splitChannels(shape, ctx.layout);
    const pads = beforeAfter(ctx, 'pad', spatial.length);
    // a reflection mirrors the inside without its edge: each side's padding must be smaller than the axis
    if (ctx.args['mode'] === 'reflect') {
      spatial.forEach((d, i) => {
        if (pads[i]![0] >= d || pads[i]![1] >= d) throw new ShapeError(`reflect padding (${pads[i]![0]}, ${pads[i]![1]}) must be smaller than the axis it pads (${d})`, 'pad');
      });
    }
    // a circular pad copies the other side: at most the whole axis
    if (ctx.args['mode'] === 'circular') {
      spatial.forEach((d, i) => {
        if (pads[i]![0] > d || pads[i]![1] > d) throw new ShapeError(`circular padding (${pads[i]![0]}, ${pads[i]![1]}) must not exceed the axis it pads (${d})`, 'pad');
      });
    }
    return joinChannels(channels, spatial.map((d, i) => d + pads[i]![0] + pads[i]![1]), ctx.layout);
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

function croppingSpec(dims: 1 | 2 | 3): OpSpec {
  const name = `cropping${dims}d`;
  const sp = SPATIAL_NAMES[dims]!;
  return {
    name,
    family: 'shape',
    summary: `Remove rows/columns at the borders of the ${dims} spatial axes (Keras Cropping${dims}D)`,
    formula: 'spatial dim - before - after per axis (must stay >= 1); channels unchanged; params = 0',
    args: [
      tensorArg('x', `input, ${layoutHint('nchw', sp)} or ${layoutHint('nhwc', sp)}`),
      { name: 'crop', kind: 'intOrInts', positional: true, required: true, doc: 'one value, one per spatial axis, or [before, after] pairs flattened' },
    ],
    inferShape(ctx) {
      const shape = expectSpatialRank(ctx, dims, name, sp);
      const { channels, spatial } = splitChannels(shape, ctx.layout);
      const crops = beforeAfter(ctx, 'crop', dims);
      const out = spatial.map((d, i) => {
        const left = d - crops[i]![0] - crops[i]![1];
        if (left < 1) throw new ShapeError(`${name}: cropping ${crops[i]![0]} + ${crops[i]![1]} from ${sp[i]} = ${d} leaves ${left}`, 'crop');
        return left;
      });
      return joinChannels(channels, out, ctx.layout);
    },
    params: () => NO_PARAMS,
    savedForBackward: SAVES_NOTHING,
    inPlace: 'never',
  };
}

const repeatVector: OpSpec = {
  name: 'repeat_vector',
  family: 'shape',
  summary: 'Repeat a vector n times (Keras RepeatVector)',
  formula: '[F] -> [n, F]; params = 0',
  args: [tensorArg('x', 'a vector [F]'), { name: 'n', kind: 'int', positional: true, required: true, min: 1, doc: 'repetitions' }],
  inferShape(ctx) {
    const shape = expectRank(ctx, 0, 1, 'repeat_vector');
    return [intAtLeast(ctx, 'n', 1), shape[0]!];
  },
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

const slice: OpSpec = {
  name: 'slice',
  family: 'shape',
  summary: "Basic indexing along one axis (PyTorch x[:, a:b], x[:, -1]): a view of part of the input",
  formula: 'axis d -> len(range(start, stop, step)); `select` takes the single index `start` and drops the axis; params = 0',
  args: [
    tensorArg('x'),
    { name: 'axis', kind: 'int', positional: true, required: true, doc: 'per-sample axis (negative counts from the end)' },
    { name: 'start', kind: 'int', default: 0, min: 0, doc: 'first index kept' },
    { name: 'stop', kind: 'int', min: 0, doc: 'one past the last index kept (default: the axis size)' },
    { name: 'step', kind: 'int', default: 1, min: 1, doc: 'stride between kept indices' },
    { name: 'select', kind: 'bool', default: false, doc: 'index with `start` alone and drop the axis (x[:, -1])' },
  ],
  inferShape(ctx) {
    const x = ctx.inputs[0]!.shape;
    const axis = normalizeAxis(Number(ctx.args['axis']), x.length, 'axis');
    const size = x[axis]!;
    const start = intAtLeast(ctx, 'start', 0);
    const stopArg = ctx.args['stop'];
    const stop = stopArg === undefined ? size : intAtLeast(ctx, 'stop', 0);
    const step = intAtLeast(ctx, 'step', 1);
    if (ctx.args['select'] === true) {
      if (start >= size) throw new ShapeError(`index ${start} is out of range for axis ${axis} of size ${size}`, 'start');
      const out = x.filter((_, i) => i !== axis);
      return out.length > 0 ? out : [1];
    }
    if (stop > size || start > stop) throw new ShapeError(`slice ${start}:${stop} does not fit axis ${axis} of size ${size}`, 'stop');
    const out = [...x];
    out[axis] = Math.ceil((stop - start) / step);
    if (out[axis] === 0) throw new ShapeError(`slice ${start}:${stop} of axis ${axis} is empty`, 'stop');
    return out;
  },
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  aliasesInput: true,
};

/** advanced indexing with a list of indices along one axis: unlike a slice, a new tensor */
const take: OpSpec = {
  name: 'take',
  family: 'shape',
  summary: 'Advanced indexing with a list of indices along one axis (PyTorch x[:, [-1], :], index_select): a new tensor',
  formula: 'axis d -> len(indices); params = 0',
  args: [
    tensorArg('x'),
    { name: 'axis', kind: 'int', positional: true, required: true, doc: 'per-sample axis (negative counts from the end)' },
    { name: 'indices', kind: 'int', positional: true, variadic: true, required: true, min: 0, doc: 'the indices taken, in order (repeats allowed)' },
  ],
  inferShape(ctx) {
    const x = ctx.inputs[0]!.shape;
    const axis = normalizeAxis(Number(ctx.args['axis']), x.length, 'axis');
    const indices = ctx.args['indices'] as readonly number[];
    const out = indices.find((i) => i >= x[axis]!);
    if (out !== undefined) throw new ShapeError(`index ${out} is out of range for axis ${axis} of size ${x[axis]}`, 'indices');
    const shape = [...x];
    shape[axis] = indices.length;
    return shape;
  },
  outputDType: inputDType,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

/** sub-pixel upsampling (PyTorch PixelShuffle, depth_to_space): r x r channel groups become r x r pixels */
const pixelShuffle: OpSpec = {
  name: 'pixel_shuffle',
  family: 'shape',
  summary: 'Rearrange C x r^2 channels into an r times larger image (PixelShuffle)',
  formula: '[C r^2, H, W] -> [C, H r, W r] (channels last: [H, W, C r^2] -> [H r, W r, C]); params = 0',
  args: [tensorArg('x'), { name: 'factor', kind: 'int', positional: true, required: true, min: 1, doc: 'the upscale factor r' }],
  inferShape(ctx) {
    const image = imageOf(ctx, 'pixel_shuffle');
    const r = numberArg(ctx, 'factor', 1);
    if (!Number.isInteger(r) || r < 1) throw new ShapeError(`pixel_shuffle factor must be a positive integer, got ${r}`, 'factor');
    const { channels, h, w } = image;
    if (channels % (r * r) !== 0) throw new ShapeError(`pixel_shuffle: ${channels} channels do not divide by the factor squared (${r * r})`, 'factor');
    return image.shape(channels / (r * r), h * r, w * r);
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

/** moving elements keeps their type: a view or copy of int64 token ids is int64 */
function inputDType(ctx: OpContext): DType {
  return ctx.inputs[0]!.dtype;
}

export const shapeOps: readonly OpSpec[] = checkedOps([
  pixelShuffle,
  flatten,
  reshape,
  slice,
  take,
  transpose,
  concat,
  add,
  mul,
  average,
  upsample,
  zeropad,
  croppingSpec(1),
  croppingSpec(2),
  croppingSpec(3),
  repeatVector,
]);
