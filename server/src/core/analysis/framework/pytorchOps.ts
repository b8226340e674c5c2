// What eager PyTorch 1.13 allocates for each registry op on a CPU: the output (or a view), the
// tensors autograd saves for the backward (torch's own choice, which is not always the ideal one:
// max-pool keeps int64 indices, dropout a float mask, a linear layer its input), the temporaries
// of the forward and of the backward, and how the gradient reaches the inputs. Measured per op with
// torch's allocator (scripts/torch_op_oracle.py writes test/fixtures/python/torch_ops.json).
import type { OpNode } from '../../ir';
import { product } from '../../ops/common';
import { channelBlock, oneDnnCopies, slowColumns, usesOneDnn, type ConvGeometry } from './onednn';
import { ACTIVATION_OPS } from './pytorchActivations';
import { ATTENTION_OPS } from './pytorchAttention';
import { RECURRENT_OPS } from './pytorchRecurrent';
import { LAYER_OPS } from './pytorchLayers';
import { RESAMPLING_OPS } from './pytorchResampling';
import { REDUCTION_OPS } from './pytorchReductions';
import { BOTH_INPUTS, INPUT, NOTHING, OUTPUT, every, newOutput, nums, passBackward, plainBackward, pointwise, readsInput, rule, type BackwardContext, type ForwardContext, type StepContext, type TorchOpRule } from './pytorchRule';

export type { BackwardContext, ForwardContext, StepContext, Temporary, TorchOpRule } from './pytorchRule';

/** the window per spatial axis: one value stands for all of them (.nnm's `conv2d(x, 64, 8)`, torch's `kernel_size=8`) */
function kernelOf(c: StepContext): readonly number[] {
  const written = nums(c.node.attrs['kernel']);
  return written.length === 1 ? c.inShape(0).slice(2).map(() => written[0]!) : written;
}

/** the convolution's geometry from its whole shapes (NC + spatial) and attributes */
function convGeometry(c: StepContext, outShape: readonly number[]): ConvGeometry {
  const input = c.inShape(0);
  const attrs = c.node.attrs;
  const kernel = kernelOf(c);
  return {
    batch: input[0]!,
    inChannels: input[1]!,
    outChannels: outShape[1]!,
    inSpatial: input.slice(2),
    outSpatial: outShape.slice(2),
    kernel,
    strided: nums(attrs['stride']).some((s) => s !== 1),
    padded: nums(attrs['pad']).some((p) => p !== 0),
    dilated: nums(attrs['dilation']).some((d) => d !== 1),
    groups: typeof attrs['groups'] === 'number' ? attrs['groups'] : 1,
    elementBytes: c.elementBytes,
    block: channelBlock(c.vectorBits),
  };
}

const conv2d: TorchOpRule = {
  saves: INPUT,
  contiguousGradient: true,
  forward(c) {
    const g = convGeometry(c, c.outShape);
    // a channels-last input makes torch run the convolution channels-last: the output is laid out
    // so, and the slow kernel first copies the weight into that layout
    const channelsLast = c.inChannelsLast(0);
    const layout = channelsLast ? 'channelsLast' : undefined;
    // the weight is first copied channels-last (unless that is its layout already: one input
    // channel per group, or a 1x1 kernel)
    const weightClone = c.temp(channelsLast && g.inChannels / g.groups > 1 && g.kernel.some((k) => k > 1) ? weightBytes(g) : 0);
    if (usesOneDnn(g) && channelsLast && depthwise(g)) {
      // the output, then a scratch of 4,224 bytes whatever the channels and kernel (measured, AVX-512) and the reordered weight
      c.output(layout);
      const scratch = c.temp(DEPTHWISE_CHANNELS_LAST_SCRATCH);
      c.free(c.temp(oneDnnCopies(g).weight));
      c.free(scratch);
      c.free(weightClone);
      return;
    }
    if (usesOneDnn(g) && channelsLast) {
      // oneDNN reads and writes channels-last tensors as they are: the weight is reordered too
      const weight = c.temp(oneDnnCopies(g).weight);
      c.free(weightClone);
      c.output(layout);
      c.free(weight);
      return;
    }
    if (usesOneDnn(g)) {
      // blocked input, weight and output side by side; then the plain output the caller gets
      const copies = oneDnnCopies(g);
      const input = c.temp(copies.input);
      const weight = c.temp(copies.weight);
      const output = c.temp(copies.output);
      c.free(weight);
      c.free(input);
      c.output(layout);
      c.free(output);
      return;
    }
    const columns = c.temp(slowColumns(g));
    c.output(layout);
    c.free(columns);
    c.free(weightClone);
  },
  backward(c) {
    const g = convGeometry(c, c.outShape);
    if (usesOneDnn(g) && c.inChannelsLast(0) && wideDepthwise(g)) return channelsLastDepthwiseBackward(c, g);
    if (usesOneDnn(g)) {
      const copies = oneDnnCopies(g);
      const gradOutput = c.temp(copies.output);
      if (c.needsGrad(0)) {
        const gradInput = c.temp(copies.input || c.inBytes(0));
        c.gradInput(0);
        c.free(gradInput);
      }
      const input = c.temp(copies.input);
      const gradWeight = c.temp(copies.weight);
      c.free(input);
      c.free(gradOutput);
      c.weightGrad();
      c.free(gradWeight);
      return;
    }
    // the slow kernel's backward: the input's and the weight's gradients, then one column buffer
    // that serves both (the gradient's columns for the input, the input's columns for the weight)
    if (c.needsGrad(0)) c.gradInput(0);
    c.weightGrad();
    const columns = c.temp(slowColumns(g));
    c.free(columns);
  },
};

/** one channel per group */
function depthwise(g: ConvGeometry): boolean {
  return g.groups > 1 && g.groups === g.inChannels && g.outChannels === g.groups;
}

/** the scratch oneDNN's channels-last depthwise forward takes (16 to 384 channels, 3 x 3 to 7 x 7 kernels) */
const DEPTHWISE_CHANNELS_LAST_SCRATCH = 4224;

/** one channel per group and a 2-D kernel wider than 3 x 3 (ConvNeXt's 7 x 7) */
function wideDepthwise(g: ConvGeometry): boolean {
  return depthwise(g) && g.kernel.length === 2 && g.kernel.every((k) => k > 3);
}

/**
 * the backward of a wide depthwise convolution that oneDNN runs channels-last (its input a permuted
 * NHWC result, as in ConvNeXt's blocks), measured at 5 x 5 and 7 x 7, 16 to 384 channels, batch 1
 * and 2, 4 x 4 and 8 x 8 (AVX-512): the input's gradient and a reorder of the weight, then a
 * scratch of 256 copies of the weight whatever the batch and positions, the bias' gradient through
 * a reduction of 16 rows (and two), the weight's gradient and a copy of it
 */
function channelsLastDepthwiseBackward(c: BackwardContext, g: ConvGeometry): void {
  const weight = weightBytes(g);
  if (c.needsGrad(0)) {
    c.gradInput(0);
    c.free(c.temp(weight));
  }
  const scratch = c.temp(256 * weight);
  const bias = c.node.attrs['bias'] !== false;
  const part = bias ? c.temp(g.outChannels * g.elementBytes) : null;
  if (bias) c.free(c.temp((16 * g.outChannels + 32) * g.elementBytes));
  c.weightGrad();
  c.free(c.temp(weight));
  c.free(scratch);
  if (part) c.free(part);
}

/**
 * torch 1.13 runs a float transposed convolution on a CPU with its own kernel (never oneDNN): one
 * sample at a time, through a column buffer of (filters / groups) x k x k rows by the input's
 * positions, which its backward makes again
 */
const conv2dTranspose: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    const columns = c.temp(transposeColumns(c));
    c.free(columns);
  },
  backward(c) {
    c.weightGrad();
    const columns = c.temp(transposeColumns(c));
    if (c.needsGrad(0)) c.gradInput(0);
    c.free(columns);
  },
};

function transposeColumns(c: StepContext): number {
  const input = c.inShape(0);
  const kernel = kernelOf(c);
  const groups = typeof c.node.attrs['groups'] === 'number' ? c.node.attrs['groups'] : 1;
  const filters = c.outShape[1]!;
  return (filters / groups) * product(kernel) * product(input.slice(2)) * c.elementBytes;
}

function weightBytes(g: ConvGeometry): number {
  return g.outChannels * (g.inChannels / g.groups) * product(g.kernel) * g.elementBytes;
}

/**
 * torch's linear over 3 or more axes folds its input to [rows, features]: a layout no view can
 * fold (the transposed result of a batch-first attention) is copied first, and the product saves
 * the copy instead of the input
 */
const linear: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    // addmm saves its mat1 (the input, or its copy) only when the weight requires grad (measured:
    // scripts/frozen_oracle.py); a tied weight's reader counts none of its own but takes a gradient
    const learns = c.node.params.trainable > 0 || c.node.sharesParamsWith !== undefined || c.readsTiedWeight;
    const bytes = c.rowsCopy(0);
    if (bytes === 0) {
      if (learns) c.saveInput(0);
      c.output();
      return;
    }
    const copy = c.temp(bytes);
    c.output();
    if (learns) c.keep(copy);
    else c.free(copy);
  },
  // out.sum()'s expanded gradient is copied contiguous inside each product that reads it (measured)
  readsExpandedGradient: true,
  backward(c) {
    const copy = (): void => {
      if (c.gradOutputExpanded) c.free(c.temp(c.outBytes));
    };
    if (c.needsGrad(0)) {
      c.gradInput(0);
      copy();
    }
    const units = c.outShape[c.outShape.length - 1]!;
    const weight = c.inShape(0)[c.inShape(0).length - 1]! * units;
    const bias = c.node.attrs['bias'] === false ? 0 : units;
    if (c.gradOutputExpanded && c.inShape(0).length === 2 && c.node.sharesParamsWith === undefined && c.node.params.trainable === weight + bias) {
      // addmm's: the weight's product (and its copy), then the bias' sum, which reads the expanded gradient as it is
      c.weightGradTensors([{ index: 0, elements: weight }])();
      copy();
      if (bias > 0) c.weightGradTensors([{ index: 1, elements: bias }])();
      return;
    }
    c.weightGrad();
    if (c.node.params.trainable > 0 || c.node.sharesParamsWith !== undefined) copy();
  },
};

const batchnorm: TorchOpRule = {
  saves: INPUT,
  // nn.SyncBatchNorm's forward checks its input's device first, in eval mode too (measured)
  raises: (node) => (node.attrs['sync'] === true ? "SyncBatchNorm: 'ValueError: SyncBatchNorm expected input tensor to be on GPU', in inference and training" : null),
  // its native backward reads a strided gradient (measured: no copy of out.sum()'s)
  readsExpandedGradient: true,
  forward(c) {
    // per-channel vectors in the accumulation type (float for a float input)
    const stat = (c.outShape[1] ?? 1) * Math.max(4, c.elementBytes);
    if (c.training) {
      // the batch's mean and variance sum (temporaries; a reduction over one position per channel
      // also sums into a zeroed per-thread buffer, one thread here), then the mean and inverse std
      // autograd saves
      const onePosition = product(c.inShape(0).slice(2)) === 1;
      const sums = [c.temp(stat), c.temp(stat), c.temp(onePosition ? stat : 0)];
      c.extra(stat);
      c.extra(stat);
      for (const t of sums) c.free(t);
    }
    c.output();
    // the normalisation as one scale and shift per channel (alpha, beta), made while it runs
    const alpha = c.temp(stat);
    const beta = c.temp(stat);
    c.free(alpha);
    c.free(beta);
  },
  backward(c) {
    const scratch = c.temp(c.inBytes(0));
    every(c, (k) => c.gradInput(k));
    c.free(scratch);
    c.weightGrad();
  },
};

/**
 * layer and group norm make a mean and a reciprocal std per normalised group (in inference too),
 * kept for the backward; a non-contiguous input (a permuted NCHW tensor) is copied while they run
 */
function normRule(groups: (c: ForwardContext) => number): TorchOpRule {
  return rule(INPUT, (c) => {
    const copy = c.temp(c.inContiguous(0) ? 0 : c.inBytes(0));
    c.output();
    c.free(copy);
    c.extra(groups(c) * 4);
    c.extra(groups(c) * 4);
  });
}

/** torch runs instance norm as a batch norm over N x C channels: the statistics are per sample and channel */
const instancenorm: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    const groups = (c.outShape[0] ?? 1) * (c.outShape[1] ?? 1);
    c.extra(groups * 4);
    c.extra(groups * 4);
  },
  backward: batchnorm.backward,
};

const layernorm = normRule((c) => {
  const dims = Number(c.node.attrs['dims'] ?? 1);
  return product(c.outShape.slice(0, c.outShape.length - dims));
});
const groupnorm = normRule((c) => (c.outShape[0] ?? 1) * Number(c.node.attrs['groups'] ?? 1));

const maxpool: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    // the argmax of every window as int64, computed in inference too and dropped there (adaptive max pooling's too)
    c.extra((c.outBytes / c.elementBytes) * 8);
  },
  backward: plainBackward,
};

const dropout: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    // eval mode, or p = 0: torch returns the input itself
    if (!c.training || Number(c.node.attrs['rate'] ?? 0) === 0) return c.alias();
    // a mask of the input's dtype (bernoulli, scaled by 1/(1-p)), kept by the multiply's backward;
    // a channel dropout (Dropout1d/2d/3d: torch's feature_dropout) draws one value per sample and
    // channel, [N, C, 1, ...] (the first axis is the batch, as everywhere in memlens: torch's
    // unbatched calls of Dropout1d and Dropout3d are read as batched)
    const [n = 1, channels = 1] = c.inShape(0);
    c.extra(c.node.attrs['spatial'] === true ? n * channels * c.elementBytes : c.inBytes(0));
    c.output();
  },
  backward(c) {
    every(c, (k) => c.gradInput(k));
  },
};

/** torchvision's stochastic_depth: input * noise, noise [N, 1, ...] (row) or [1, ...] (batch), bernoulli then / (1 - p) */
const stochasticDepth: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    if (!c.training || Number(c.node.attrs['p'] ?? 0) === 0) return c.alias();
    const rows = c.node.attrs['mode'] === 'batch' ? 1 : c.inShape(0)[0]!;
    // the noise, kept by the product's backward
    c.extra(rows * c.elementBytes);
    c.output();
  },
  backward(c) {
    every(c, (k) => c.gradInput(k));
  },
};

const crossEntropy: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    // log_softmax's output (kept for its backward), then the scalar loss
    c.extra(c.inBytes(0));
    c.output();
  },
  backward(c) {
    if (!c.needsGrad(0)) return;
    const nllGrad = c.temp(c.inBytes(0));
    c.gradInput(0);
    c.free(nllGrad);
  },
};

// a gradient expanded from one element is viewed as any shape
/**
 * x ** p: torch 1.13's pow_backward, grad * (p * x.pow(p - 1)): the power, the product with p (a
 * wrapped number: 8 bytes, then a scalar of the dtype), then the gradient, the two freed after it
 * (measured at p = 2); p = 0 gives zeros of the input's size
 */
const pow: TorchOpRule = {
  ...readsInput(),
  backward(c) {
    if (!c.needsGrad(0)) return;
    if (Number(c.node.attrs['exponent']) === 0) return c.gradInput(0);
    const power = c.temp(c.inBytes(0));
    const wrapped = c.temp(8);
    const scalar = c.temp(c.elementBytes);
    const product = c.temp(c.inBytes(0));
    c.free(scalar);
    c.free(wrapped);
    c.gradInput(0);
    c.free(power);
    c.free(product);
  },
};

const view: TorchOpRule = { ...rule(NOTHING, (c) => c.view(), passBackward), readsExpandedGradient: 'scalar' };

/** torch's reflection and replication pads keep their input for the backward (their *_pad*d_backward reads it); a constant pad keeps nothing */

/** torch's rules by registry op; an op not listed has no PyTorch profile yet */
export const TORCH_CPU_OPS: Readonly<Record<string, TorchOpRule>> = {
  conv2d,
  conv2d_transpose: conv2dTranspose,
  dense: linear,
  embedding: rule(INPUT),
  batchnorm,
  layernorm,
  groupnorm,
  instancenorm,
  relu: pointwise(rule(OUTPUT)),
  relu6: readsInput(),
  // out of place they keep x (leaky_relu_ and elu_ keep their result, the same storage)
  leaky_relu: pointwise(rule(INPUT)),
  elu: pointwise(rule(INPUT)),
  gelu: readsInput(),
  silu: readsInput(),
  sigmoid: pointwise(rule(OUTPUT)),
  tanh: pointwise(rule(OUTPUT)),
  hardswish: readsInput(),
  hardsigmoid: readsInput(),
  exp: pointwise(rule(OUTPUT)),
  log: readsInput(),
  pow,
  prelu: pointwise(rule(INPUT)),
  pixel_shuffle: rule(NOTHING),
  softmax: rule(OUTPUT),
  dropout: pointwise(dropout),
  stochastic_depth: stochasticDepth,
  maxpool,
  adaptive_maxpool: maxpool,
  avgpool: rule(INPUT),
  globalavgpool: rule(NOTHING),
  adaptive_avgpool: rule(INPUT),
  flatten: view,
  reshape: view,
  transpose: view,
  // no weights of its own (a view a layer makes of its output shares the layer's): the input's gradient alone
  slice: rule(NOTHING, (c) => c.view(), (c) => every(c, (k) => c.gradInput(k))),
  expand_batch: rule(NOTHING, (c) => c.view()),
  // advanced indexing: a new tensor; its backward scatters into zeros of the input's size
  take: rule(NOTHING),
  // its backward narrows the output's gradient: views, which hold it until the last one goes (an
  // input broadcast over the batch gets a sum of its own)
  concat: rule(NOTHING, newOutput, (c) => every(c, (k) => (c.inShape(k).length === c.outShape.length ? c.passGrad(k) : c.gradInput(k)))),
  add: pointwise(rule(NOTHING, newOutput, passBackward)),
  add_broadcast: pointwise(rule(NOTHING)),
  mul: pointwise(rule(BOTH_INPUTS)),
  scale: pointwise(rule(NOTHING)),
  shift: pointwise(rule(NOTHING, newOutput, passBackward)),
  sub: pointwise(rule(NOTHING)),
  div: pointwise(rule(BOTH_INPUTS)),
  matmul: rule(NOTHING, (c) => {
    // batched products fold their leading dims with a reshape: a transposed operand is copied, and
    // the copy is what the product saves
    for (let k = 0; k < 2; k++) {
      const copy = c.foldCopy(k);
      if (copy > 0) c.extra(copy);
      else c.saveInput(k);
    }
    c.output();
  }),
  masked_fill: pointwise(rule({ inputs: [1], output: false })),
  compare: rule(NOTHING),
  ...REDUCTION_OPS,
  constant: rule(NOTHING),
  ...RECURRENT_OPS,
  ...LAYER_OPS,
  ...RESAMPLING_OPS,
  ...ACTIVATION_OPS,
  ...ATTENTION_OPS,
  cross_entropy: crossEntropy,
  nll_loss: rule(NOTHING),
  mse_loss: rule(BOTH_INPUTS),
  l1_loss: rule(BOTH_INPUTS),
  binary_cross_entropy: rule(BOTH_INPUTS),
  binary_cross_entropy_with_logits: rule(BOTH_INPUTS),
};
