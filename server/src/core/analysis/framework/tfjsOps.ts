// What TensorFlow.js 4.22's layers run on the CPU backend for each memlens op: the kernels a layer's
// call() makes (tfjs-layers), each kernel's output buffer, what its gradient config saves for
// backward (tfjs-core/dist/gradients: inputsToSave / outputsToSave, the fused ops' save() lists),
// and whether the gradient it gives each input is a new buffer or dy's own (a reshape of dy, as
// Add's and Sub's are). Read from the tfjs sources and checked on one-layer traces of the backend.
import type { GradientBuffer, Kernel, KernelSource, OpRule, OpRuleContext } from './tfjsKernel';
import { activation, ACTIVATION_SAVES } from './tfjsActivations';
import { denseOnSequence, plainConvolution, separableConvolution, tidiedConvolution } from './tfjsConvolutions';
import { layerNorm } from './tfjsNormalization';
import { TFJS_RECURRENT_OPS } from './tfjsRecurrent';
import { TFJS_RESHAPING_OPS } from './tfjsReshaping';
import { timeDistributedDense } from './tfjsTimeDistributed';

export type { GradientBuffer, Kernel, KernelSource, OpRule, OpRuleContext } from './tfjsKernel';

const IN0: readonly KernelSource[] = [{ input: 0 }];
const prev = (i: number): readonly KernelSource[] => [{ kernel: i }];
const k = (bytes: number, from: readonly KernelSource[], grads: readonly GradientBuffer[], savesInputs: boolean, savesOutput = false): Kernel => ({ bytes, from, grads, savesInputs, savesOutput });

/** activations tfjs-layers fuses into a dense or conv2d kernel when no gradient is taped (mapActivationToFusedKernel) */
const FUSED = new Set(['linear', 'relu', 'elu']);

/**
 * dense and conv2d: predict runs one fused kernel for linear/relu/elu; training (gradient depth > 0)
 * runs matMul/conv, a bias add and the activation as separate kernels, except a linear layer that
 * stays fused (its custom gradient saves input, weight and output). Inside the CPU's fused kernels,
 * _FusedMatMul keeps the product and the biased sum until it returns; FusedConv2D disposes each
 * step's input after the next step, so at most one step's buffer sits beside its output.
 */
const weighted = (kind: 'dense' | 'conv'): OpRule => (ctx) => {
  if (kind === 'dense' && ctx.inShape(0).length > 1) return denseOnSequence(ctx);
  const act = typeof ctx.attrs['activation'] === 'string' ? ctx.attrs['activation'] : 'linear';
  if (act !== 'linear' && !ACTIVATION_SAVES[act]) return null;
  const o = ctx.outBytes;
  if (act === 'linear' || (!ctx.training && FUSED.has(act))) {
    const steps = (ctx.biasBytes > 0 ? 1 : 0) + (act !== 'linear' ? 1 : 0);
    // the custom gradient's bias term sums dy over all but the last axis: a transposed copy of dy first
    const biasSum = ctx.training && ctx.biasBytes > 0 ? o : 0;
    return [{ ...k(o, IN0, ['fresh'], true, true), transient: kind === 'dense' ? steps * o : Math.min(steps, 1) * o, customGradient: true, gradTransient: biasSum }];
  }
  const kernels: Kernel[] = [{ ...k(o, IN0, ['fresh'], true, !ctx.training), weightGradients: true }];
  if (ctx.biasBytes > 0) kernels.push(k(o, prev(0), ['alias'], true));
  kernels.push(activation(act, o, prev(kernels.length - 1)));
  return kernels;
};

/**
 * batch normalization in training (normalizeBatchInTraining): moments as mean(x), sub(x, mean),
 * square, mean, all taped (the gradient flows through the batch statistics too), then
 * FusedBatchNorm, which saves x, mean and variance; in inference FusedBatchNorm alone
 */
function batchNorm(ctx: OpRuleContext): readonly Kernel[] {
  const x = ctx.inBytes(0);
  if (!ctx.training) return [k(ctx.outBytes, IN0, ['fresh'], true)];
  const c = ctx.biasBytes;
  // mean's gradient: dy reshaped, times ones(x.shape), over the count; square's: dy * 2x
  const mean = (from: readonly KernelSource[], input: number): Kernel => ({ ...k(c, from, ['fresh'], true), gradTransient: 2 * input });
  return [
    mean(IN0, x),
    k(x, [{ input: 0 }, { kernel: 0 }], ['alias', 'fresh'], true),
    { ...k(x, prev(1), ['fresh'], true), gradTransient: x },
    mean(prev(2), x),
    // FusedBatchNorm's gradient keeps x - mean and dy * scale to the backward's end; d/dx tiles
    // 1/sqrt(var) to x's shape and multiplies twice, d/dvariance and d/dscale make two products of x's size
    { ...k(ctx.outBytes, [{ input: 0 }, { kernel: 0 }, { kernel: 3 }], ['fresh', 'fresh', 'fresh'], true), gradKeeps: 2 * x, gradTransient: 2 * x },
  ];
}

/**
 * dropout while training (tf.dropout): a random tensor, add(keep), floor, x / keep, and their
 * product; add saves the random numbers and the product both factors. Predict returns the input.
 */
function dropout(ctx: OpRuleContext): readonly Kernel[] | null {
  if (!ctx.training) return [];
  const o = ctx.outBytes;
  const constant = (bytes: number, from: readonly KernelSource[], saves: boolean): Kernel => ({ ...k(bytes, from, from.map(() => 'none'), saves), constant: true });
  if (ctx.attrs['spatial'] === true) {
    // spatialDropout1d: the noise has shape [batch, 1, channels] (random, add, floor, divide), and
    // mul() broadcasts it over the steps; mul saves x and the noise
    const channels = ctx.inShape(0).at(-1);
    if (ctx.inShape(0).length !== 2 || channels === undefined) return null;
    const noise = ctx.batch * channels * 4;
    return [constant(noise, [], false), constant(noise, prev(0), true), constant(noise, prev(1), false), constant(noise, prev(2), true), k(o, [{ input: 0 }, { kernel: 3 }], ['fresh', 'none'], true)];
  }
  return [
    constant(o, [], false),
    constant(o, prev(0), true),
    constant(o, prev(1), false),
    k(o, IN0, ['fresh'], true),
    k(o, [{ kernel: 3 }, { kernel: 2 }], ['fresh', 'none'], true),
  ];
}

const single = (savesInputs: boolean, savesOutput = false): OpRule => (ctx) => [k(ctx.outBytes, IN0, ['fresh'], savesInputs, savesOutput)];

export const TFJS_CPU_OPS: Readonly<Record<string, OpRule>> = {
  ...TFJS_RECURRENT_OPS,
  ...TFJS_RESHAPING_OPS,
  dense: weighted('dense'),
  conv2d: weighted('conv'),
  depthwise_conv2d: plainConvolution,
  conv1d: tidiedConvolution,
  conv3d: tidiedConvolution,
  conv2d_transpose: plainConvolution,
  separable_conv2d: separableConvolution,
  batchnorm: batchNorm,
  layernorm: layerNorm,
  'dense in timeDistributed': timeDistributedDense,
  dropout,
  relu: (ctx) => [activation('relu', ctx.outBytes, IN0)],
  // ReLU({ maxValue }): clipByValue(relu(x)), both saving their input, in a call() without tidy()
  // (relu's buffer outlives the layer); clip's gradient is where(x >= 0 && x <= 6, dy,
  // zerosLike(dy)): three boolean masks (a byte per element) and the zeros
  relu6: (ctx) => [{ ...activation('relu', ctx.outBytes, IN0), untidied: true }, { ...k(ctx.outBytes, prev(0), ['fresh'], true), gradTransient: 1.75 * ctx.outBytes }],
  softmax: (ctx) => [activation('softmax', ctx.outBytes, IN0)],
  zeropad: single(true),
  maxpool: single(true, true),
  avgpool: single(true),
  flatten: () => [],
  // merge's Add: a clone of the first input (the same buffer), then add(); its gradient is dy for both
  add: (ctx) => (ctx.inputs === 2 ? [k(ctx.outBytes, [{ input: 0 }, { input: 1 }], ['alias', 'alias'], true)] : null),
  // Multiply: a clone of the first input times the second (mul saves both; each gradient is dy times the other)
  mul: (ctx) => (ctx.inputs === 2 ? [k(ctx.outBytes, [{ input: 0 }, { input: 1 }], ['fresh', 'fresh'], true)] : null),
  // Average: their sum, then mul(1 / n, sum) with the scalar made from a JS number
  average: (ctx) =>
    ctx.inputs === 2
      ? [
          k(ctx.outBytes, [{ input: 0 }, { input: 1 }], ['alias', 'alias'], true),
          { ...k(4, [], [], false), constant: true },
          k(ctx.outBytes, [{ kernel: 1 }, { kernel: 0 }], ['none', 'fresh'], true),
        ]
      : null,
};

/** the loss trainOnBatch tapes after the model (meanSquaredError: mean(square(sub(yPred, y)), -1), then means to a scalar) */
export function mseLoss(outBytes: number, rowBytes: number): readonly Kernel[] {
  return [
    k(outBytes, IN0, ['alias'], true),
    k(outBytes, [{ kernel: 0 }, { kernel: 0 }], ['fresh', 'fresh'], true),
    k(rowBytes, prev(1), ['fresh'], true),
  ];
}
