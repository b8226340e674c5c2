// The rest of torch.nn's activations: clipping and shrinking, the smooth ones, the randomised leaky
// ReLU, the gated linear unit (which halves an axis) and the softmax relatives. What each keeps for
// the backward here is what its derivative needs (the ideal); what torch 1.13 keeps is the PyTorch
// profile's (analysis/framework/pytorchActivations.ts). Ops torch has no in-place form of never run
// in place.
import type { ArgSpec, OpContext, OpSpec, SavedForBackward } from './types';
import { ShapeError } from './types';
import { activation } from './activation';
import { checkedOps, normalizeAxis, numberArg, product, SAVES_INPUT, SAVES_OUTPUT } from './common';

const number = (name: string, dflt: number | undefined, doc: string): ArgSpec => ({ name, kind: 'number', positional: true, ...(dflt === undefined ? { required: true } : { default: dflt }), doc });
const AXIS: ArgSpec = { name: 'axis', kind: 'int', positional: true, default: -1, doc: 'per-sample axis; negative counts from the end' };

/** a check of an op's arguments: throws ShapeError */
type ArgCheck = (ctx: OpContext) => void;

/** an elementwise activation torch has no in-place form of */
function outOfPlace(name: string, summary: string, saved: SavedForBackward, extraArgs: readonly ArgSpec[] = [], check?: ArgCheck): OpSpec {
  const base = activation(name, summary, saved, extraArgs);
  const spec: OpSpec = { ...base, args: base.args.filter((a) => a.name !== 'inplace'), inPlace: 'never' };
  return check ? checked(spec, check) : spec;
}

/** the op's arguments checked, then its own shape rule */
function checked(spec: OpSpec, check: ArgCheck): OpSpec {
  return {
    ...spec,
    inferShape: (ctx) => {
      check(ctx);
      return spec.inferShape(ctx);
    },
  };
}

const hardtanh = checked(
  // like relu6, the output says where x was inside the clip (torch's backward reads x instead)
  activation('hardtanh', 'Hard tanh: x clipped to [min_val, max_val] (ReLU6 is hardtanh(0, 6))', SAVES_OUTPUT, [number('min_val', -1, 'lower clip'), number('max_val', 1, 'upper clip')]),
  (ctx) => {
    const lo = numberArg(ctx, 'min_val', -1);
    const hi = numberArg(ctx, 'max_val', 1);
    if (!(hi > lo)) throw new ShapeError(`hardtanh needs max_val > min_val, got ${lo} and ${hi}`, 'max_val');
  },
);

const nonNegativeLambda = (name: string): ArgCheck => (ctx) => {
  const l = numberArg(ctx, 'lambd', 0.5);
  if (l < 0) throw new ShapeError(`${name}'s lambd must be at least 0, got ${l}`, 'lambd');
};

/** RReLU: a random negative slope per element in [lower, upper] while training, their mean at inference */
const rrelu: OpSpec = {
  ...checked(activation('rrelu', 'Randomised leaky ReLU: a slope drawn per element from U(lower, upper) in training, (lower + upper) / 2 at inference', SAVES_INPUT, [number('lower', 1 / 8, 'least negative slope'), number('upper', 1 / 3, 'greatest negative slope'), { name: 'training', kind: 'bool', default: true, doc: 'draw the slopes (torch: the module while training, F.rrelu(training=True)); false: their mean' }]), (ctx) => {
    if (numberArg(ctx, 'upper', 1 / 3) < numberArg(ctx, 'lower', 1 / 8)) throw new ShapeError('rrelu needs lower <= upper', 'upper');
  }),
  // the backward multiplies by the slopes drawn (1 where x >= 0), one per element; with the mean
  // slope it is a leaky ReLU, whose output's sign says which
  formula: 'shape unchanged; params = 0 (backward reads the slopes drawn, or its output with their mean)',
  savedForBackward: {
    inputs: [],
    output: false,
    outputWhen: (ctx) => ctx.args['training'] === false,
    outputWhenDoc: 'the slopes are not drawn (their mean)',
    extraElements: (ctx, out) => ({ perSample: ctx.args['training'] === false ? 0 : product(out), fixed: 0 }),
    extraDoc: 'the slopes drawn, one per element (when drawn)',
  },
};

/** GLU: the first half of an axis times the sigmoid of the second half */
const glu: OpSpec = {
  ...outOfPlace('glu', 'Gated linear unit a * sigmoid(b), a and b the two halves of an axis (default the last)', SAVES_INPUT, [AXIS]),
  formula: 'the axis halved; params = 0 (backward reads its input)',
  inferShape(ctx) {
    const shape = [...ctx.inputs[0]!.shape];
    if (shape.length === 0) throw new ShapeError('glu needs a tensor input');
    const axis = normalizeAxis(numberArg(ctx, 'axis', -1), shape.length, 'axis');
    if (shape[axis]! % 2 !== 0) throw new ShapeError(`glu halves axis ${axis}, whose size ${shape[axis]} is odd`, 'axis');
    shape[axis] = shape[axis]! / 2;
    return shape;
  },
};

/** softmax relatives along one axis: the axis is checked, the shape kept */
function alongAxis(name: string, summary: string): OpSpec {
  return outOfPlace(name, summary, SAVES_OUTPUT, [AXIS], (ctx) => {
    normalizeAxis(numberArg(ctx, 'axis', -1), ctx.inputs[0]!.shape.length, 'axis');
  });
}

export const moreActivationOps: readonly OpSpec[] = checkedOps([
  hardtanh,
  activation('selu', 'Scaled ELU: 1.0507 (x for x > 0, 1.6733 (e^x - 1) otherwise)', SAVES_OUTPUT),
  activation('celu', 'Continuously differentiable ELU: max(0, x) + min(0, alpha (e^(x / alpha) - 1))', SAVES_OUTPUT, [number('alpha', 1, 'saturation value for negative inputs')]),
  activation('mish', 'Mish: x tanh(softplus(x))', SAVES_INPUT),
  outOfPlace('softplus', 'Softplus: log(1 + e^(beta x)) / beta, linear above threshold', SAVES_INPUT, [number('beta', 1, 'sharpness'), number('threshold', 20, 'beta x above which the output is x')]),
  outOfPlace('softsign', 'Softsign: x / (1 + |x|)', SAVES_INPUT),
  outOfPlace('tanhshrink', 'Tanh shrink: x - tanh(x)', SAVES_INPUT),
  outOfPlace('log_sigmoid', 'Log-sigmoid: log(1 / (1 + e^-x))', SAVES_INPUT),
  outOfPlace('hardshrink', 'Hard shrink: x where |x| > lambd, else 0', SAVES_INPUT, [number('lambd', 0.5, 'half-width of the zeroed band')], nonNegativeLambda('hardshrink')),
  outOfPlace('softshrink', 'Soft shrink: x - lambd above lambd, x + lambd below -lambd, else 0', SAVES_INPUT, [number('lambd', 0.5, 'half-width of the zeroed band (at least 0)')], nonNegativeLambda('softshrink')),
  activation('threshold', 'Threshold: x where x > threshold, else value', SAVES_INPUT, [number('threshold', undefined, 'the threshold'), number('value', undefined, 'what replaces x at or below it')]),
  rrelu,
  glu,
  alongAxis('log_softmax', 'Log-softmax along one axis (default the last)'),
  alongAxis('softmin', 'Softmin along one axis (default the last): softmax(-x)'),
]);
