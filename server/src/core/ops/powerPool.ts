// Power-average pooling (torch.nn.LPPool1d/2d: the p-norm of each window, (sum x^p)^(1/p)) and local
// response normalisation (torch.nn.LocalResponseNorm: each value divided by a power of the mean
// square over its neighbouring channels). Both keep the channel axis; no parameters.
import type { OpSpec } from './types';
import { ShapeError } from './types';
import { checkedOps, expectMinRank, intAtLeast, NO_PARAMS, numberArg, SPATIAL_NAMES, tensorArg } from './common';
import { poolShape } from './pool';

function lpPool(dims: 1 | 2): OpSpec {
  const name = `lppool${dims}d`;
  const sp = SPATIAL_NAMES[dims]!;
  return {
    name,
    family: 'pool',
    summary: `${dims}-D power-average pooling (PyTorch LPPool${dims}d): (sum of x^p over the window)^(1/p)`,
    formula: `[C, ${sp.join(', ')}] -> [C, ${sp.map((s) => `${s}_out`).join(', ')}], out = floor((in - k) / stride) + 1 (ceil with ceil_mode), stride defaults to k; params = 0`,
    args: [
      tensorArg('x', `input [C, ${sp.join(', ')}]`),
      { name: 'norm', kind: 'number', positional: true, required: true, doc: 'the power p' },
      { name: 'kernel', kind: 'intOrInts', positional: true, required: true, min: 1, doc: `window size, one value or ${dims}` },
      { name: 'stride', kind: 'intOrInts', positional: true, min: 1, doc: 'step of the window (default: the kernel size)' },
      { name: 'ceil_mode', kind: 'bool', default: false, doc: 'round the output size up (PyTorch ceil_mode)' },
    ],
    inferShape(ctx) {
      const p = numberArg(ctx, 'norm', 2);
      if (!(p > 0)) throw new ShapeError(`${name}: the power must be positive, got ${p}`, 'norm');
      return poolShape(ctx, dims, name);
    },
    params: () => NO_PARAMS,
    savedForBackward: {
      // x^p, the window averages, their sign and magnitude, the scaled sum: the input's size once, the output's four times
      inputs: [0],
      output: true,
      extraElements: (ctx, outShape) => ({ perSample: ctx.inputs[0]!.shape.reduce((a, b) => a * b, 1) + 4 * outShape.reduce((a, b) => a * b, 1), fixed: 0 }),
      extraDoc: "x^p (the input's size) and four tensors of the output's size: the window averages, their sign, their magnitude and the scaled sum",
    },
    inPlace: 'never',
  };
}

const localResponseNorm: OpSpec = {
  name: 'local_response_norm',
  family: 'norm',
  summary: 'Local response normalisation across channels (PyTorch LocalResponseNorm, AlexNet)',
  formula: 'shape unchanged, [C, ...]: x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta; params = 0',
  args: [
    tensorArg('x', 'input [C, ...]'),
    { name: 'size', kind: 'int', positional: true, required: true, min: 1, doc: 'neighbouring channels averaged' },
    { name: 'alpha', kind: 'number', default: 1e-4, doc: 'scale of the mean square' },
    { name: 'beta', kind: 'number', default: 0.75, doc: 'power of the denominator' },
    { name: 'k', kind: 'number', default: 1, doc: 'additive constant' },
  ],
  inferShape(ctx) {
    intAtLeast(ctx, 'size', 1);
    return [...expectMinRank(ctx, 0, 2, 'local_response_norm', 'it normalises across the channels of [C, ...]')];
  },
  params: () => NO_PARAMS,
  // the quotient's backward reads the input and the denominator
  savedForBackward: {
    inputs: [0],
    output: false,
    extraElements: (_ctx, outShape) => ({ perSample: outShape.reduce((a, b) => a * b, 1), fixed: 0 }),
    extraDoc: "the denominator (the input's size)",
  },
  inPlace: 'never',
};

export const powerPoolOps: readonly OpSpec[] = checkedOps([lpPool(1), lpPool(2), localResponseNorm]);
