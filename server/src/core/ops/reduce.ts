// Reductions: mean / sum (x.mean([2, 3]), out.sum()), max / min (x.amax(1); torch.max(x, 1) with
// its indices), the 2-norm (x.norm()) and argmax / argmin. Shapes are per sample; a reduction over the
// batch axis (`batch: true`) gives a tensor that does not grow with N, whose shape is its whole shape.
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { checkedOps, NO_PARAMS, SAVES_NOTHING, shapeText, tensorArg } from './common';

const AXES_ARG = { name: 'axes', kind: 'ints', positional: true, default: [], doc: 'per-sample axes (negative count from the end); none with `batch`: the batch axis alone' } as const;
const KEEPDIMS_ARG = { name: 'keepdims', kind: 'bool', default: false, doc: 'keep each reduced axis with size 1' } as const;
const BATCH_ARG = { name: 'batch', kind: 'bool', default: false, doc: 'reduce the batch axis too (x.sum(), x.mean(0)): the result does not grow with N, its bytes are fixed' } as const;
const BATCH_AXIS_ARG = { name: 'batch_axis', kind: 'int', default: 0, min: 0, doc: "with `batch` and `keepdims`: where the batch's size-1 axis stands in the result" } as const;

/**
 * The shape after removing (or keeping as 1) the given per-sample axes; with `batch` the batch axis
 * goes too, so the shape is the whole result's (a leading 1 at `batch_axis` with keepdims); [] is [1]
 */
export function reducedShape(ctx: OpContext): number[] {
  const x = ctx.inputs[0]!.shape;
  const axes = ctx.args['axes'];
  const batch = ctx.args['batch'] === true;
  const list = Array.isArray(axes) ? (axes as readonly number[]) : [];
  if (list.length === 0 && !batch) throw new ShapeError('a reduction needs at least one axis, or the batch axis', 'axes');
  const picked = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -x.length || a >= x.length) throw new ShapeError(`axis ${a} is out of range for ${shapeText(x)}`, 'axes');
    const d = a < 0 ? a + x.length : a;
    if (picked.has(d)) throw new ShapeError(`axis ${a} is reduced twice`, 'axes');
    picked.add(d);
  }
  const keep = ctx.args['keepdims'] === true;
  const out = keep ? x.map((d, i) => (picked.has(i) ? 1 : d)) : x.filter((_, i) => !picked.has(i));
  if (batch && keep) {
    const at = ctx.args['batch_axis'];
    const k = typeof at === 'number' ? at : 0;
    if (k > out.length) throw new ShapeError(`batch_axis ${k} is out of range for a result of ${out.length + 1} axes`, 'batch_axis');
    out.splice(k, 0, 1);
  }
  return out.length > 0 ? out : [1];
}

const reducesBatch = (ctx: OpContext): boolean => ctx.args['batch'] === true;

const reduce: OpSpec = {
  name: 'reduce',
  family: 'tensor',
  summary: 'Mean or sum over axes (x.mean([2, 3]), x.sum(-1, keepdim=True); over the batch too: x.sum(), x.mean(0), out.sum() as a loss)',
  formula: 'the given axes removed (kept as 1 with keepdims); with batch the whole result, of fixed bytes; params = 0',
  args: [
    tensorArg('x'),
    AXES_ARG,
    { name: 'kind', kind: 'enum', values: ['mean', 'sum'], default: 'mean', doc: 'the reduction (its gradient needs only the input shape: sum expands it as a view, mean divides the expanded one)' },
    KEEPDIMS_ARG,
    BATCH_ARG,
    BATCH_AXIS_ARG,
  ],
  inferShape: reducedShape,
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  reducesBatch,
};

const MAX_KIND_ARG = { name: 'kind', kind: 'enum', values: ['max', 'min'], default: 'max', doc: 'the reduction' } as const;

/** max / min values over every axis (x.max()) or some (torch.amax): torch saves the input and the result (the gradient goes to the elements equal to it) */
const reduceMax: OpSpec = {
  name: 'reduce_max',
  family: 'tensor',
  summary: 'Max or min over axes (x.max(), x.min(), torch.amax(x, 1), x.amin(-1))',
  formula: 'the given axes removed (kept as 1 with keepdims); with batch the whole result, of fixed bytes; params = 0',
  args: [tensorArg('x'), AXES_ARG, MAX_KIND_ARG, KEEPDIMS_ARG, BATCH_ARG, BATCH_AXIS_ARG],
  inferShape: reducedShape,
  params: () => NO_PARAMS,
  outputDType: (ctx) => ctx.inputs[0]!.dtype,
  savedForBackward: { inputs: [0], output: true },
  inPlace: 'never',
  reducesBatch,
};

/** the values of torch.max(x, dim) / x.min(dim): the call returns its indices too (the `argmax` op, this op's second input), and they are what its backward keeps */
const maxIndexed: OpSpec = {
  name: 'max_indexed',
  family: 'tensor',
  summary: 'The values of torch.max(x, dim) or x.min(dim), which returns them with their indices (an argmax of the same axes, its second input)',
  formula: 'the given axes removed (kept as 1 with keepdims); the indices int64 of that shape; params = 0',
  args: [tensorArg('x'), tensorArg('indices', 'the int64 indices the call returns (argmax of the same axes)'), AXES_ARG, MAX_KIND_ARG, KEEPDIMS_ARG, BATCH_ARG, BATCH_AXIS_ARG],
  inferShape(ctx) {
    const out = reducedShape(ctx);
    const indices = ctx.inputs[1]!;
    if (indices.shape.join() !== out.join() || indices.dtype !== 'int64') throw new ShapeError(`max_indexed: the indices ${shapeText(indices.shape)} ${indices.dtype} are not int64 of the result's shape ${shapeText(out)}`, 'indices');
    return out;
  },
  params: () => NO_PARAMS,
  outputDType: (ctx) => ctx.inputs[0]!.dtype,
  // the gradient scatters into zeros of the input's size at the indices
  savedForBackward: { inputs: [1], output: false },
  inPlace: 'never',
  reducesBatch,
};

/** the Euclidean (Frobenius) norm over axes, x.norm(): torch saves the input and the result (the gradient is x / norm, times the incoming one) */
const vectorNorm: OpSpec = {
  name: 'vector_norm',
  family: 'tensor',
  summary: "The 2-norm over axes (x.norm(), torch.norm(x, dim=1), p='fro')",
  formula: 'the given axes removed (kept as 1 with keepdims); with batch the whole result, of fixed bytes; params = 0',
  args: [tensorArg('x'), AXES_ARG, KEEPDIMS_ARG, BATCH_ARG, BATCH_AXIS_ARG],
  inferShape: reducedShape,
  params: () => NO_PARAMS,
  outputDType: (ctx) => ctx.inputs[0]!.dtype,
  savedForBackward: { inputs: [0], output: true },
  inPlace: 'never',
  reducesBatch,
};

const argmax: OpSpec = {
  name: 'argmax',
  family: 'tensor',
  summary: 'Indices of the max or min over axes, int64 (x.argmax(1), the indices of torch.max(x, 1)); no gradient',
  formula: 'the given axes removed (kept as 1 with keepdims), int64; with batch the whole result, of fixed bytes; params = 0',
  args: [tensorArg('x'), AXES_ARG, { name: 'kind', kind: 'enum', values: ['argmax', 'argmin'], default: 'argmax', doc: 'the reduction' }, KEEPDIMS_ARG, BATCH_ARG, BATCH_AXIS_ARG],
  inferShape: reducedShape,
  params: () => NO_PARAMS,
  outputDType: () => 'int64',
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  reducesBatch,
};

export const reduceOps: readonly OpSpec[] = checkedOps([reduce, reduceMax, maxIndexed, vectorNorm, argmax]);
