// Tensor strides as eager PyTorch keeps them: a transpose or a slice is a view with other strides,
// and a later reshape is a view only when the strides allow it (otherwise it copies). Shapes here
// are whole (the batch axis included).
import type { AttrValue } from '../../ir';

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d]!;
  }
  return strides;
}

export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== step) return false;
    step *= shape[d]!;
  }
  return true;
}

/**
 * The strides of `newShape` viewing a tensor of `oldShape`/`oldStrides` without a copy, or null when
 * no view can (the dims merged into one new dim must be laid out back to back). Walks the old dims
 * from the last, in chunks whose dims are contiguous among themselves, and fits new dims to each.
 */
export function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (oldShape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let newDim = newShape.length - 1;
  let chunkStride = oldStrides[oldShape.length - 1]!;
  let chunkElements = 1;
  let viewElements = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    chunkElements *= oldShape[d]!;
    const chunkEnds = d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== chunkElements * chunkStride);
    if (!chunkEnds) continue;
    while (newDim >= 0 && (viewElements < chunkElements || newShape[newDim] === 1)) {
      out[newDim] = viewElements * chunkStride;
      viewElements *= newShape[newDim]!;
      newDim--;
    }
    if (viewElements !== chunkElements) return null;
    if (d > 0) {
      chunkStride = oldStrides[d - 1]!;
      chunkElements = 1;
      viewElements = 1;
    }
  }
  return newDim === -1 ? out : null;
}

/** a 4-D NCHW tensor laid out channels-last (NHWC in memory), as torch's suggest_memory_format sees it */
export function isChannelsLast(shape: readonly number[], strides: readonly number[]): boolean {
  if (shape.length !== 4 || isContiguous(shape, strides)) return false;
  const [, c, h, w] = shape as [number, number, number, number];
  const expected = [h * w * c, 1, w * c, c];
  return shape.every((size, d) => size === 1 || strides[d] === expected[d]);
}

export function channelsLastStrides(shape: readonly number[]): number[] {
  const [, c, h, w] = shape as [number, number, number, number];
  return [h * w * c, 1, w * c, c];
}

/** a batch-first [N, L, ...] view of a tensor laid out [L, N, ...] (the first two axes transposed) */
export function sequenceFirstStrides(shape: readonly number[]): number[] {
  const [n, l, ...rest] = shape as [number, number, ...number[]];
  const laid = contiguousStrides([l, n, ...rest]);
  return [laid[1]!, laid[0]!, ...laid.slice(2)];
}

/**
 * The strides of the gradient autograd hands an op's input as a view of the output's gradient
 * (strides `outGrad`): a transpose's backward transposes it back, a reshape's views it in the
 * input's shape, concat's narrows it (the same strides), an add or a view of the same shape passes
 * it on. null: no view can (a reshape of a strided gradient), torch copies it.
 */
export function passedGradStrides(op: string, perm: readonly number[] | undefined, outShape: readonly number[], outGrad: readonly number[], inShape: readonly number[]): number[] | null {
  if (op === 'transpose' && perm !== undefined && (perm.length === outShape.length || perm.length === outShape.length - 1)) {
    // the forward took out[i] = in[order[i]] (a per-sample order keeps the batch axis first)
    const order = perm.length === outShape.length ? perm : [0, ...perm.map((p) => p + 1)];
    const strides = new Array<number>(inShape.length);
    order.forEach((p, i) => (strides[p] = outGrad[i]!));
    return strides;
  }
  if (op === 'concat' || (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i]))) return [...outGrad];
  return viewStrides(outShape, outGrad, inShape);
}

/** a per-sample permutation applied to whole strides (the batch axis, when there is one, stays first) */
export function permuted(strides: readonly number[], perm: AttrValue | undefined): readonly number[] {
  if (!Array.isArray(perm)) return strides;
  const order = perm as readonly number[];
  if (order.length === strides.length) return order.map((p) => strides[p]!);
  if (order.length !== strides.length - 1) return strides;
  return [strides[0]!, ...order.map((p) => strides[p + 1]!)];
}

/** a slice keeps its source's strides; a select (x[:, 0]) drops the selected axis' */
export function sliced(strides: readonly number[], axis: AttrValue | undefined, select: boolean, batchAxes: number): readonly number[] {
  if (!select || typeof axis !== 'number') return strides;
  const whole = (axis < 0 ? axis + strides.length - batchAxes : axis) + batchAxes;
  return strides.filter((_, d) => d !== whole);
}
