// TensorFlow.js 4.22's LayerNormalization on the CPU backend, kernel by kernel (tfjs-layers'
// normalization.js, tfjs-core's moments, batchNorm and their gradients): the moments over the last
// axis (mean, x - mean, its square, their mean; moments is an op, so its tidy() disposes the
// difference and the square unless the tape saved them), then mean, variance, gamma and beta tiled
// to x's full shape (a workaround in tfjs-layers: core's batchNorm gradients do not broadcast),
// and FusedBatchNorm, which saves x, the tiled mean, variance and scale (not the offset), between
// two reshapes.
import type { GradientBuffer, Kernel, KernelSource, OpRule } from './tfjsKernel';

const F32 = 4;

export const layerNorm: OpRule = (ctx) => {
  const shape = ctx.inShape(0);
  const channels = shape.at(-1);
  if (ctx.attrs['dims'] !== 1 || channels === undefined || channels === 0) return null;
  const x = ctx.inBytes(0);
  const rows = x / (channels * F32);
  const row = rows * F32;
  const gammaBeta = channels * F32;
  const kernels: Kernel[] = [];
  const add = (kernel: Omit<Kernel, 'savesOutput'> & { readonly savesOutput?: boolean }): number => kernels.push({ savesOutput: false, ...kernel }) - 1;
  // Mean on the CPU makes a float copy of its input and a scalar beside its output; its gradient
  // multiplies dy reshaped by ones(x.shape) and divides: two buffers of x's size, then the result
  const mean = (from: KernelSource): number => add({ bytes: row, from: [from], grads: ['fresh'], savesInputs: true, transient: x + F32, gradTransient: 2 * x });
  const mu = mean({ input: 0 });
  // sub's gradient: dy itself for x, the negated row sums for the mean
  const diff = add({ bytes: x, from: [{ input: 0 }, { kernel: mu }], grads: ['alias', 'fresh'], savesInputs: true, gradTransient: row });
  // square's gradient: dy * (2x), a buffer of x's size before the product
  const squared = add({ bytes: x, from: [{ kernel: diff }], grads: ['fresh'], savesInputs: true, gradTransient: x });
  const variance = mean({ kernel: squared });
  kernels[diff] = { ...kernels[diff]!, diesAfter: variance };
  kernels[squared] = { ...kernels[squared]!, diesAfter: variance };
  // Tile's gradient adds one slice of dy per repetition to zeros of its input, all inside the
  // input's tidy: a slice and a sum per repetition at once
  const tile = (from: KernelSource, small: number, reps: number): number => add({ bytes: x, from: [from], grads: ['fresh'], savesInputs: true, gradTransient: (1 + 2 * reps) * small });
  const tiledMean = tile({ kernel: mu }, row, channels);
  const tiledVariance = tile({ kernel: variance }, row, channels);
  const scale = ctx.attrs['scale'] !== false ? tile({ weight: 'gamma', bytes: gammaBeta }, gammaBeta, rows) : -1;
  const offset = ctx.attrs['center'] !== false ? tile({ weight: 'beta', bytes: gammaBeta }, gammaBeta, rows) : -1;
  const from: KernelSource[] = [{ input: 0 }, { kernel: tiledMean }, { kernel: tiledVariance }];
  const grads: GradientBuffer[] = ['fresh', 'fresh', 'fresh'];
  const saves = [0, 1, 2];
  if (offset >= 0) {
    from.push({ kernel: offset });
    grads.push('alias');
  }
  if (scale >= 0) {
    saves.push(from.length);
    from.push({ kernel: scale });
    grads.push('fresh');
  }
  // FusedBatchNorm runs on a 4-D view of x, and its result is reshaped back: that Reshape saves the
  // result. Its gradient keeps x - mean, dy * scale, variance + eps, its rsqrt and the three
  // products of -rsqrt^3 / 2 to the backward's end; each input's gradient is two products of x's size
  add({ bytes: ctx.outBytes, from, grads, savesInputs: true, savesOnly: saves, savesOutput: true, gradKeeps: 7 * x, gradTransient: x });
  return kernels;
};
