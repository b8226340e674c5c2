// torch 1.13's reductions on a CPU: one new tensor each forward (torch.max(x, dim) two: its values
// and int64 indices, the registry's max_indexed and argmax). Their backwards (derivatives.yaml):
// sum expands the incoming gradient, a view with no storage of its own; mean expands it and divides,
// one tensor of the input's size; max(dim) scatters it into zeros of the input's size at the
// indices it kept; argmax has none.
import type { OpNode } from '../../ir';
import { NOTHING, rule, type TorchOpRule } from './pytorchRule';

const reduce: TorchOpRule = {
  ...rule(NOTHING),
  readsExpandedGradient: true,
  backward(c) {
    if (!c.needsGrad(0)) return;
    if (c.node.attrs['kind'] === 'sum') c.expandGrad(0);
    else c.gradInput(0);
  },
};

export const REDUCTION_OPS: Readonly<Record<string, TorchOpRule>> = {
  reduce,
  // evenly_distribute_backward (x.max()) and amax's mask arithmetic make several temporaries, not replayed yet
  reduce_max: { ...rule({ inputs: [0], output: true }), trainingGap: () => "max / min over all axes or amax / amin in a training step: their backward's masks and counts are not replayed yet (torch.max(x, dim)'s is)" },
  max_indexed: rule({ inputs: [1], output: false }, undefined, (c) => {
    if (c.needsGrad(0)) c.gradInput(0);
  }),
  // integer indices: no gradient
  argmax: rule(NOTHING, undefined, () => undefined),
};

/**
 * The step's loss when it is a reduction rather than a loss function (out.sum(), out.mean()): a
 * sum or mean over every axis, the batch included, that the graph returns
 */
export function isReductionLoss(op: OpNode, outputs: readonly number[], elements: number): boolean {
  return op.op === 'reduce' && op.attrs['batch'] === true && elements === 1 && outputs.includes(op.output);
}
