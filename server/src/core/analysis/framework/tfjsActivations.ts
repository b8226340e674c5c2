// The activation kernels of TensorFlow.js 4.22 as the CPU profile replays them (tfjs-core's gradients).
import type { Kernel, KernelSource } from './tfjsKernel';

/** activation kernels as tfjs-core defines their gradients: relu keeps its input, the others their output */
export const ACTIVATION_SAVES: Readonly<Record<string, 'input' | 'output'>> = { relu: 'input', elu: 'output', tanh: 'output', sigmoid: 'output', softmax: 'output' };
/**
 * their gradients' temporaries in units of the output: relu's step(x); tanh's square(y) and 1 - it;
 * sigmoid's 1 - y and y(1 - y); softmax keeps dy * y to the backward's end (made outside its
 * per-input tidy) and adds the product with the row sums; elu runs one EluGrad kernel
 */
const ACTIVATION_GRAD: Readonly<Record<string, { readonly transient: number; readonly keeps: number }>> = {
  relu: { transient: 1, keeps: 0 },
  elu: { transient: 0, keeps: 0 },
  tanh: { transient: 2, keeps: 0 },
  sigmoid: { transient: 2, keeps: 0 },
  softmax: { transient: 1, keeps: 1 },
};
export const activation = (act: string, o: number, from: readonly KernelSource[]): Kernel => ({
  bytes: o,
  from,
  grads: ['fresh'],
  savesInputs: ACTIVATION_SAVES[act] === 'input',
  savesOutput: ACTIVATION_SAVES[act] === 'output',
  gradTransient: ACTIVATION_GRAD[act]!.transient * o,
  gradKeeps: ACTIVATION_GRAD[act]!.keeps * o,
});
