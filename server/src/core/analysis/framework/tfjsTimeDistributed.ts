// TensorFlow.js 4.22's timeDistributed(dense) on the CPU backend: TimeDistributed.call runs rnn()
// without states (tfjs-layers wrappers.js): the input transposed to time-major (a copy) and
// unstacked (a copy per step), the dense layer's call() once per step in its own tidy(), and
// stack() of the per-step outputs on axis 1. Every step's matMul gives the kernel a gradient of its
// full size, summed per variable like an RNN's weights.
import { ACTIVATION_SAVES, activation } from './tfjsActivations';
import type { OpRule } from './tfjsKernel';
import { biasAdd, dot, kernel, of, Program, split } from './tfjsRecurrent';

const F32 = 4;
/** activations Dense.call fuses into the matMul (mapActivationToFusedKernel): one fused kernel, whose bias gradient is not replayed here */
const FUSED = new Set(['linear', 'relu', 'elu']);

export const timeDistributedDense: OpRule = (ctx) => {
  const [steps, features] = ctx.inShape(0);
  const units = ctx.outShape.at(-1);
  const act = ctx.attrs['activation'];
  if (ctx.inShape(0).length !== 2 || steps === undefined || features === undefined || units === undefined) return null;
  if (typeof act !== 'string' || FUSED.has(act) || !ACTIVATION_SAVES[act]) return null;
  const bias = ctx.attrs['bias'] === true;
  const p = new Program();
  const u = ctx.batch * units * F32;
  const timeMajor = p.add(kernel({ bytes: ctx.inBytes(0), from: [{ input: 0 }], grads: ['fresh'] }));
  const slices = split(p, Array.from({ length: steps }, () => ctx.batch * features * F32), of(timeMajor));
  const w = { weight: 'kernel', bytes: features * units * F32 };
  const b = { weight: 'bias', bytes: units * F32 };
  const outputs: number[] = [];
  for (let t = 0; t < steps; t++) {
    const first = p.kernels.length;
    let z = dot(p, u, of(slices, t), w);
    if (bias) z = biasAdd(p, u, z, b);
    const y = p.add(activation(act, u, [of(z)]));
    p.tidy(first, [y]);
    outputs.push(y);
  }
  // stack() saves its inputs; its gradient unstacks dy into one new buffer per step
  const out = p.add(kernel({ bytes: ctx.outBytes, from: outputs.map((o) => of(o)), grads: outputs.map(() => 'fresh'), saves: 'inputs' }));
  p.tidy(0, [out]);
  return p.kernels;
};
