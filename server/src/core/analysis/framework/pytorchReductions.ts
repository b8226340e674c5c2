// torch 1.13's reductions on a CPU: one new tensor each forward (torch.max(x, dim) two: its values
// and int64 indices, the registry's max_indexed and argmax). Their backwards (derivatives.yaml):
// sum expands the incoming gradient, a view with no storage of its own; mean expands it and divides,
// one tensor of the input's size; max(dim) scatters it into zeros of the input's size at the
// indices it kept; the 2-norm's divides the input by the norm; argmax has none.
import type { Graph, OpNode } from '../../ir';
import { NOTHING, rule, type StepContext, type TorchOpRule } from './pytorchRule';

/**
 * mean divides by the count in place, the count a wrapped number (an 8-byte double, then a scalar
 * of the result's dtype), both freed; its backward divides the expanded gradient by the same pair
 * into a new tensor of the input's size (measured)
 */
const withCount = (c: StepContext, run: () => void): void => {
  const wrapped = c.temp(8);
  const scalar = c.temp(c.elementBytes);
  run();
  c.free(scalar);
  c.free(wrapped);
};

const reduce: TorchOpRule = {
  ...rule(NOTHING),
  readsExpandedGradient: true,
  forward(c) {
    c.output();
    if (c.node.attrs['kind'] === 'mean') withCount(c, () => undefined);
  },
  backward(c) {
    if (!c.needsGrad(0)) return;
    if (c.node.attrs['kind'] === 'sum') c.expandGrad(0);
    else withCount(c, () => c.gradInput(0));
  },
  gap: (node, _input, _training, inputs) => (node.attrs['kind'] === 'mean' && inputs[0]?.dtype === 'fp64' ? "mean in float64: its count's scalars are not measured" : null),
};

export const REDUCTION_OPS: Readonly<Record<string, TorchOpRule>> = {
  reduce,
  // evenly_distribute_backward (x.max()) and amax's mask arithmetic make several temporaries, not replayed yet
  reduce_max: { ...rule({ inputs: [0], output: true }), trainingGap: () => "max / min over all axes or amax / amin in a training step: their backward's masks and counts are not replayed yet (torch.max(x, dim)'s is)" },
  max_indexed: rule({ inputs: [1], output: false }, undefined, (c) => {
    if (c.needsGrad(0)) c.gradInput(0);
  }),
  // NormBackward: x / norm, then norm == 0 (a wrapped zero, 8 + e bytes, and a bool mask of the
  // result's size), the gradient masked and scaled, the mask and x / norm freed after it (measured)
  vector_norm: rule({ inputs: [0], output: true }, undefined, (c) => {
    if (!c.needsGrad(0)) return;
    const quotient = c.temp(c.inBytes(0));
    const wrapped = c.temp(8);
    const scalar = c.temp(c.elementBytes);
    const zero = c.temp(c.outBytes / c.elementBytes);
    c.free(wrapped);
    c.free(scalar);
    c.gradInput(0);
    c.free(zero);
    c.free(quotient);
  }),
  // integer indices: no gradient
  argmax: rule(NOTHING, undefined, () => undefined),
};

/**
 * The step's loss when it is a reduction rather than a loss function (out.sum(), out.mean()): a
 * sum or mean to one number that does not grow with the batch, returned by the graph and read by
 * no op of it
 */
export function isReductionLoss(op: OpNode, graph: Graph): boolean {
  const out = graph.tensors[op.output]!;
  return op.op === 'reduce' && out.batchIndependent === true && out.elementsPerSample === 1 && graph.outputs.includes(op.output) && !graph.ops.some((o) => o.inputs.includes(op.output));
}
