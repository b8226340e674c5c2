// Elementwise activations and dropout: shape unchanged, no parameters, may run in place.
import type { ArgSpec, OpSpec, SavedForBackward } from './types';
import { ShapeError } from './types';
import { channelAxis, INPLACE_ARG, NO_PARAMS, normalizeAxis, numberArg, product, SAVES_INPUT, SAVES_OUTPUT, checkedOps, tensorArg } from './common';

/** an elementwise activation that may run in place: shape unchanged, no parameters */
export function activation(name: string, summary: string, saved: SavedForBackward, extraArgs: readonly ArgSpec[] = [], aliases?: readonly string[]): OpSpec {
  const keeps = saved.output ? 'output' : 'input';
  return {
    name,
    ...(aliases ? { aliases } : {}),
    family: 'activation',
    summary,
    formula: `shape unchanged; params = 0 (backward reads its ${keeps})`,
    args: [tensorArg('x'), ...extraArgs, INPLACE_ARG],
    inferShape: (ctx) => {
      if (ctx.inputs[0]!.shape.length === 0) throw new ShapeError(`${name} needs a tensor input`);
      return [...ctx.inputs[0]!.shape];
    },
    params: () => NO_PARAMS,
    savedForBackward: saved,
    inPlace: 'elementwise',
  };
}

const softmax: OpSpec = {
  ...activation('softmax', 'Softmax along one axis (default the last)', SAVES_OUTPUT, [
    { name: 'axis', kind: 'int', positional: true, default: -1, doc: 'per-sample axis to normalise; negative counts from the end' },
  ]),
  inferShape(ctx) {
    const shape = ctx.inputs[0]!.shape;
    normalizeAxis(numberArg(ctx, 'axis', -1), shape.length, 'axis');
    return [...shape];
  },
};

const dropout: OpSpec = {
  name: 'dropout',
  family: 'activation',
  summary: 'Dropout: zeroes elements with probability rate while training (identity at inference)',
  formula: 'shape unchanged; params = 0',
  args: [
    tensorArg('x'),
    { name: 'rate', kind: 'number', positional: true, default: 0.5, min: 0, maxExclusive: 1, doc: 'probability of zeroing an element' },
    { name: 'spatial', kind: 'bool', default: false, doc: 'drop whole channels (Keras SpatialDropout, PyTorch Dropout2d): one mask value per channel' },
    INPLACE_ARG,
  ],
  inferShape(ctx) {
    const rate = numberArg(ctx, 'rate', 0.5);
    if (rate < 0 || rate >= 1) throw new ShapeError(`dropout rate must be in [0, 1), got ${rate}`, 'rate');
    return [...ctx.inputs[0]!.shape];
  },
  params: () => NO_PARAMS,
  savedForBackward: {
    inputs: [],
    output: false,
    extraDType: 'bool',
    extraElements: (ctx, outShape) => ({
      perSample: ctx.args['spatial'] === true ? outShape[channelAxis(ctx.layout, outShape.length)]! : product(outShape),
      fixed: 0,
    }),
    extraDoc: 'the keep mask (bool): one per element, or one per channel when spatial',
  },
  inPlace: 'elementwise',
  identityInInference: true,
};

/** stochastic depth (Huang et al. 2016): a residual branch dropped at random per sample or per batch */
const stochasticDepth: OpSpec = {
  name: 'stochastic_depth',
  family: 'activation',
  summary: 'Stochastic depth: while training, zeroes the whole tensor of a sample (row) or of the batch with probability p and scales the kept by 1 / (1 - p); identity at inference',
  formula: 'shape unchanged; params = 0',
  args: [
    tensorArg('x'),
    { name: 'p', kind: 'number', positional: true, required: true, min: 0, maxExclusive: 1, doc: 'probability of dropping the branch' },
    { name: 'mode', kind: 'enum', values: ['row', 'batch'], default: 'row', doc: 'row: one draw per sample; batch: one draw for the whole batch' },
  ],
  inferShape: (ctx) => [...ctx.inputs[0]!.shape],
  params: () => NO_PARAMS,
  savedForBackward: {
    inputs: [],
    output: false,
    // the scaled keep mask the product's backward multiplies by: one value per sample, or one in all
    extraElements: (ctx) => (ctx.args['mode'] === 'batch' ? { perSample: 0, fixed: 1 } : { perSample: 1, fixed: 0 }),
    extraDoc: 'the scaled keep mask: one value per sample (row) or one for the batch',
  },
  inPlace: 'never',
  identityInInference: true,
};

/** PReLU: a learned negative slope, one shared or one per channel */
const prelu: OpSpec = {
  ...activation('prelu', 'Parametric ReLU: x for x > 0, a x otherwise, a learned (one value, or one per channel)', SAVES_INPUT, [
    { name: 'num_parameters', kind: 'int', positional: true, default: 1, min: 1, doc: 'learned slopes: 1, or the channel count' },
  ]),
  args: [tensorArg('x'), { name: 'num_parameters', kind: 'int', positional: true, default: 1, min: 1, doc: 'learned slopes: 1, or the channel count' }],
  formula: 'shape unchanged; params = num_parameters (1 or the channels; backward reads its input)',
  inferShape(ctx) {
    const shape = ctx.inputs[0]!.shape;
    if (shape.length === 0) throw new ShapeError('prelu needs a tensor input');
    const n = numberArg(ctx, 'num_parameters', 1);
    const channels = shape[channelAxis(ctx.layout, shape.length)]!;
    if (n !== 1 && n !== channels) throw new ShapeError(`prelu has ${n} slopes for ${channels} channels (1 or ${channels})`, 'num_parameters');
    return [...shape];
  },
  params: (ctx) => ({ trainable: numberArg(ctx, 'num_parameters', 1), nonTrainable: 0 }),
  inPlace: 'never',
};

const ALPHA = (dflt: number, doc: string): ArgSpec => ({ name: 'alpha', kind: 'number', positional: true, default: dflt, doc });

export const activationOps: readonly OpSpec[] = checkedOps([
  prelu,
  stochasticDepth,
  activation('relu', 'Rectified linear unit max(x, 0)', SAVES_OUTPUT),
  activation('relu6', 'ReLU clipped at 6: min(max(x, 0), 6)', SAVES_OUTPUT),
  activation('leaky_relu', 'Leaky ReLU: x for x > 0, alpha x otherwise', SAVES_OUTPUT, [ALPHA(0.01, 'negative slope (PyTorch default 0.01; Keras 0.3)')]),
  activation('elu', 'Exponential linear unit', SAVES_OUTPUT, [ALPHA(1, 'saturation value for negative inputs')]),
  activation('gelu', 'Gaussian error linear unit', SAVES_INPUT),
  activation('silu', 'Sigmoid-weighted linear unit x sigmoid(x) (swish)', SAVES_INPUT, [], ['swish']),
  activation('sigmoid', 'Logistic sigmoid', SAVES_OUTPUT),
  activation('tanh', 'Hyperbolic tangent', SAVES_OUTPUT),
  activation('hardswish', 'Hard swish x relu6(x + 3) / 6 (MobileNetV3)', SAVES_INPUT),
  activation('hardsigmoid', 'Hard sigmoid relu6(x + 3) / 6 (MobileNetV3 squeeze-excitation)', SAVES_INPUT),
  activation('exp', 'Exponential e^x (a VAE\'s standard deviation from its log-variance)', SAVES_OUTPUT),
  activation('log', 'Natural logarithm', SAVES_INPUT),
  activation('pow', 'Power by a number, x ** p (NewGELU\'s x ** 3)', SAVES_INPUT, [{ name: 'exponent', kind: 'number', positional: true, required: true, doc: 'the power p' }]),
  softmax,
  dropout,
]);
