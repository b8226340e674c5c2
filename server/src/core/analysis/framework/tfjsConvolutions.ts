// TensorFlow.js 4.22's convolutions that tfjs-layers never fuses, and a dense layer on a sequence,
// on the CPU backend (tfjs-layers convolutional.js and core.js, tfjs-core's ops and gradients):
// - conv1d runs Conv2D on a 4-D view of its input, conv3d Conv3D, conv2dTranspose
//   Conv2DBackpropInput, depthwiseConv2d DepthwiseConv2dNative, separableConv2d a depthwise then
//   a 1x1 Conv2D (separableConv2d is an op: its tidy() disposes the depthwise output unless the
//   tape saved it); each then K.biasAdd (an Add that saves both inputs, its gradient dy itself for
//   x) and the activation as separate kernels, in predict too. Each kernel saves its input and
//   filter; the filter's gradient is the layer's (one buffer per variable, made once).
// - dense on [..., F] (K.dot's N-D branch): its input reshaped (a view), the kernel transposed by
//   an identity permutation (a real copy of the kernel) and reshaped, then the matMul; predict
//   fuses a linear, relu or elu activation and the bias into it, training runs the matMul, the
//   bias add and the activation.
import { ACTIVATION_SAVES, activation } from './tfjsActivations';
import type { Kernel, KernelSource, OpRule, OpRuleContext } from './tfjsKernel';

const F32 = 4;
const IN0: readonly KernelSource[] = [{ input: 0 }];

const activationOf = (ctx: OpRuleContext): string | null => {
  const act = typeof ctx.attrs['activation'] === 'string' ? ctx.attrs['activation'] : 'linear';
  return act === 'linear' || ACTIVATION_SAVES[act] ? act : null;
};

/** the convolution kernels, then the bias add and the activation */
function unfused(ctx: OpRuleContext, conv: readonly Kernel[]): readonly Kernel[] | null {
  const act = activationOf(ctx);
  if (act === null) return null;
  const o = ctx.outBytes;
  // the convolution's gradient makes the filter's (the bias's, made at the add, counted with it)
  const kernels = conv.map((kernel, i) => (i === 0 ? { ...kernel, weightGradients: true } : kernel));
  const last = (): readonly KernelSource[] => [{ kernel: kernels.length - 1 }];
  // the bias's gradient sums dy over all but the channels: a transposed copy of dy first
  if (ctx.biasBytes > 0) kernels.push({ bytes: o, from: last(), grads: ['alias'], savesInputs: true, savesOutput: false, gradTransient: o });
  if (act !== 'linear') kernels.push(activation(act, o, last()));
  return kernels;
}

const convolution = (o: number, from: readonly KernelSource[] = IN0): Kernel => ({ bytes: o, from, grads: ['fresh'], savesInputs: true, savesOutput: false });

/** conv2dTranspose, depthwiseConv2d: one kernel before the bias */
export const plainConvolution: OpRule = (ctx) => {
  if ((ctx.attrs['groups'] ?? 1) !== 1 || (ctx.attrs['output_padding'] ?? 0) !== 0) return null;
  return unfused(ctx, [convolution(ctx.outBytes)]);
};

/** conv1d and conv3d: conv1dWithBias / conv3dWithBias run the kernel and the bias add in a tidy() of their own, before the activation */
export const tidiedConvolution: OpRule = (ctx) => {
  if ((ctx.attrs['groups'] ?? 1) !== 1) return null;
  return unfused(ctx, [{ ...convolution(ctx.outBytes), ...(ctx.biasBytes > 0 ? { diesAfter: 1 } : {}) }]);
};

/** separableConv2d: the depthwise output has the output's positions and in x multiplier channels */
export const separableConvolution: OpRule = (ctx) => {
  const inChannels = ctx.inShape(0).at(-1);
  const filters = ctx.outShape.at(-1);
  const multiplier = ctx.attrs['depth_multiplier'];
  if (inChannels === undefined || !filters || typeof multiplier !== 'number') return null;
  const depthwise = (ctx.outBytes / filters) * inChannels * multiplier;
  return unfused(ctx, [{ ...convolution(depthwise), diesAfter: 1 }, convolution(ctx.outBytes, [{ kernel: 0 }])]);
};

/** activations Dense.call fuses into the matMul when no gradient is taped (mapActivationToFusedKernel) */
const FUSED = new Set(['linear', 'relu', 'elu']);

/** dense on a [..., F] input per sample */
export const denseOnSequence: OpRule = (ctx) => {
  const act = activationOf(ctx);
  const features = ctx.inShape(0).at(-1);
  const units = ctx.outShape.at(-1);
  if (act === null || features === undefined || units === undefined) return null;
  const o = ctx.outBytes;
  const kernelBytes = features * units * F32;
  // Transpose's gradient transposes dy back: a buffer of the kernel's size for its variable
  const transposed: Kernel = { bytes: kernelBytes, from: [{ weight: 'kernel', bytes: kernelBytes }], grads: ['fresh'], savesInputs: false, savesOutput: false };
  const bias = ctx.biasBytes > 0 ? { weight: 'bias', bytes: ctx.biasBytes } : null;
  if (!ctx.training && FUSED.has(act)) {
    // _FusedMatMul keeps the product and the biased sum until it returns
    const steps = (bias ? 1 : 0) + (act !== 'linear' ? 1 : 0);
    const from: KernelSource[] = [{ input: 0 }, { kernel: 0 }, ...(bias ? [bias] : [])];
    return [transposed, { bytes: o, from, grads: from.map(() => 'fresh'), savesInputs: true, savesOutput: true, transient: steps * o }];
  }
  // a linear layer with a bias stays fused while training: its custom gradient's bias term is not replayed here
  if (act === 'linear' && bias) return null;
  // fused.matMul runs unfused while a gradient is taped for relu and elu (a plain MatMul, saving
  // its inputs); other activations leave it linear, a custom op that saves inputs and product
  const plain = FUSED.has(act);
  const product: Kernel = { bytes: o, from: [{ input: 0 }, { kernel: 0 }], grads: plain ? ['fresh', 'fresh'] : ['always', 'always'], savesInputs: true, savesOutput: !plain };
  const kernels: Kernel[] = [transposed, product];
  // K.biasAdd's gradient for the bias sums dy over the rows, a transposed copy first
  if (bias) kernels.push({ bytes: o, from: [{ kernel: 1 }, bias], grads: ['alias', 'fresh'], savesInputs: true, savesOutput: false, gradTransient: o });
  if (act !== 'linear') kernels.push(activation(act, o, [{ kernel: kernels.length - 1 }]));
  return kernels;
};
