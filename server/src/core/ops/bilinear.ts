// A bilinear form of two inputs (torch.nn.Bilinear): y_k = x1^T W_k x2 + b_k over the last axes,
// the leading axes shared by both inputs.
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { boolArg, checkedOps, intAtLeast, shapeText, tensorArg } from './common';

function geometry(x1: readonly number[], x2: readonly number[]): { in1: number; in2: number } {
  if (x1.length < 1 || x2.length !== x1.length || x1.slice(0, -1).some((d, i) => d !== x2[i])) {
    throw new ShapeError(`bilinear needs two inputs with the same leading axes, got ${shapeText(x1)} and ${shapeText(x2)}`);
  }
  return { in1: x1[x1.length - 1]!, in2: x2[x2.length - 1]! };
}

const bilinear: OpSpec = {
  name: 'bilinear',
  family: 'dense',
  summary: 'Bilinear layer of two inputs (PyTorch nn.Bilinear): x1^T W_k x2 + b_k per output feature k',
  formula: '[..., F1] and [..., F2] -> [..., units]; params = units * F1 * F2 + (bias ? units : 0)',
  args: [
    tensorArg('x1', 'first input [..., F1]'),
    tensorArg('x2', 'second input [..., F2], the same leading axes'),
    { name: 'units', kind: 'int', positional: true, required: true, min: 1, doc: 'output features' },
    { name: 'bias', kind: 'bool', default: true, doc: 'add a learned bias per output feature' },
  ],
  inferShape(ctx) {
    const x1 = ctx.inputs[0]!.shape;
    geometry(x1, ctx.inputs[1]!.shape);
    return [...x1.slice(0, -1), intAtLeast(ctx, 'units', 1)];
  },
  params(ctx) {
    const { in1, in2 } = geometry(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape);
    const units = intAtLeast(ctx, 'units', 1);
    return { trainable: units * in1 * in2 + (boolArg(ctx, 'bias') ? units : 0), nonTrainable: 0 };
  },
  // the backward reads both inputs (each one's gradient is the other through W)
  savedForBackward: { inputs: [0, 1], output: false },
  inPlace: 'never',
};

export const bilinearOps: readonly OpSpec[] = checkedOps([bilinear]);
