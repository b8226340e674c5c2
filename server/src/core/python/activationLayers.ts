// The rest of torch.nn's activation layers (torch 1.13's constructors), each one registry op
// (ops/activationMore.ts): the clipping and shrinking ones, the smooth ones, RReLU, GLU and the
// softmax relatives. ReLU, Softmax and the other common ones are in layers.ts.
import { elementwise, flag, INPLACE, notKnownBecause, num, one, perSampleAxis } from './layerArgs';
import { describe, int, intOf, NONE, pythonFloat, type LayerSpec, type PyValue, type TensorValue } from './values';

const float = (value: number): PyValue => ({ kind: 'float', value });

/**
 * The dim of torch's softmax family when none is given: torch picks 0 for 0-, 1- and 3-D inputs and
 * 1 otherwise (with a deprecation warning)
 */
export function implicitSoftmaxDim(x: TensorValue): number {
  return [0, 1, 3].includes(x.shape.length) ? 0 : 1;
}

/**
 * the per-sample axis of a softmax-family call: its `dim`, or torch's implicit one for None; `fail`
 * for what torch rejects, `unknown` for a dim only a run knows
 */
export function softmaxAxis(x: TensorValue, dim: PyValue | undefined, fail: (r: string) => never, unknown: (r: string) => never): number {
  if (!dim || dim.kind === 'none') return perSampleAxis(x, implicitSoftmaxDim(x), fail);
  const d = intOf(dim);
  if (d === undefined) return unknown(`\`dim\` is ${describe(dim)}, not a known integer`);
  return perSampleAxis(x, d, fail);
}


function alongDim(name: string, op: string): LayerSpec {
  return {
    name,
    signature: [['dim', NONE]],
    forward: (call, inputs) => {
      const x = one(inputs, call);
      return call.emit(op, [x], { axis: softmaxAxis(x, call.config.get('dim'), call.fail, notKnownBecause) });
    },
  };
}

/** Hardtanh(min_val, max_val, inplace, min_value, max_value): the last two are its deprecated names */
const hardtanh: LayerSpec = {
  name: 'Hardtanh',
  signature: [['min_val', float(-1)], ['max_val', float(1)], INPLACE, ['min_value', NONE], ['max_value', NONE]],
  init(c, _b, fail) {
    const [lo, hi] = clipRange(c, fail);
    if (!(hi > lo)) fail(`max_val (${pythonFloat(hi)}) must be greater than min_val (${pythonFloat(lo)})`);
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    const [lo, hi] = clipRange(call.config, call.fail);
    return call.emit('hardtanh', [x], { min_val: lo, max_val: hi }, flag(call.config, 'inplace', call.fail));
  },
};

function clipRange(c: ReadonlyMap<string, PyValue>, fail: (r: string) => never): [number, number] {
  const given = (old: string, now: string): number => (c.get(old)?.kind === 'none' || !c.has(old) ? num(c, now, fail) : num(c, old, fail));
  return [given('min_value', 'min_val'), given('max_value', 'max_val')];
}

const rrelu: LayerSpec = {
  name: 'RReLU',
  signature: [['lower', float(1 / 8)], ['upper', float(1 / 3)], INPLACE],
  init(c, _b, fail) {
    if (num(c, 'upper', fail) < num(c, 'lower', fail)) fail('`upper` must be at least `lower`');
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    // the module draws slopes while it trains, F.rrelu only when told to
    const training = call.self.module?.training ?? true;
    return call.emit('rrelu', [x], { lower: num(call.config, 'lower', call.fail), upper: num(call.config, 'upper', call.fail), training }, flag(call.config, 'inplace', call.fail));
  },
};

const glu: LayerSpec = {
  name: 'GLU',
  signature: [['dim', int(-1)]],
  forward(call, inputs) {
    const x = one(inputs, call);
    return call.emit('glu', [x], { axis: softmaxAxis(x, call.config.get('dim'), call.fail, notKnownBecause) });
  },
};

/** Softmax2d: a softmax over the channels of a [C, H, W] or [N, C, H, W] input */
const softmax2d: LayerSpec = {
  name: 'Softmax2d',
  signature: [],
  forward(call, inputs) {
    const x = one(inputs, call);
    if (x.shape.length !== 3 && x.shape.length !== 4) call.fail(`Softmax2d expects a 3-D or 4-D input, got ${describe(x)}`);
    return call.emit('softmax', [x], { axis: perSampleAxis(x, -3, call.fail) });
  },
};

const lambd = (c: ReadonlyMap<string, PyValue>, fail: (r: string) => never): { lambd: number } => ({ lambd: num(c, 'lambd', fail) });

export const MORE_ACTIVATIONS: readonly LayerSpec[] = [
  hardtanh,
  elementwise('SELU', 'selu', [INPLACE]),
  elementwise('CELU', 'celu', [['alpha', float(1)], INPLACE], (c, f) => ({ alpha: num(c, 'alpha', f) })),
  elementwise('Mish', 'mish', [INPLACE]),
  elementwise('Softplus', 'softplus', [['beta', int(1)], ['threshold', int(20)]], (c, f) => ({ beta: num(c, 'beta', f), threshold: num(c, 'threshold', f) })),
  elementwise('Softsign', 'softsign', []),
  elementwise('Tanhshrink', 'tanhshrink', []),
  elementwise('LogSigmoid', 'log_sigmoid', []),
  elementwise('Hardshrink', 'hardshrink', [['lambd', float(0.5)]], lambd),
  elementwise('Softshrink', 'softshrink', [['lambd', float(0.5)]], lambd),
  elementwise('Threshold', 'threshold', [['threshold'], ['value'], INPLACE], (c, f) => ({ threshold: num(c, 'threshold', f), value: num(c, 'value', f) })),
  rrelu,
  glu,
  alongDim('LogSoftmax', 'log_softmax'),
  alongDim('Softmin', 'softmin'),
  softmax2d,
];

/** a functional form: its registry op and, after the input, torch's parameters (name, registry argument, default; null: required) */
export interface ActivationFunction {
  readonly op: string;
  readonly params: readonly (readonly [string, string, number | boolean | null])[];
}

export const INPLACE_PARAM = ['inplace', 'inplace', false] as const;

/** F.* (and torch.*, tensor methods) of the activations above, by torch's signatures */
export const MORE_ACTIVATION_FUNCTIONS: Readonly<Record<string, ActivationFunction>> = {
  hardtanh: { op: 'hardtanh', params: [['min_val', 'min_val', -1], ['max_val', 'max_val', 1], INPLACE_PARAM] },
  selu: { op: 'selu', params: [INPLACE_PARAM] },
  celu: { op: 'celu', params: [['alpha', 'alpha', 1], INPLACE_PARAM] },
  mish: { op: 'mish', params: [INPLACE_PARAM] },
  softplus: { op: 'softplus', params: [['beta', 'beta', 1], ['threshold', 'threshold', 20]] },
  softsign: { op: 'softsign', params: [] },
  tanhshrink: { op: 'tanhshrink', params: [] },
  logsigmoid: { op: 'log_sigmoid', params: [] },
  hardshrink: { op: 'hardshrink', params: [['lambd', 'lambd', 0.5]] },
  softshrink: { op: 'softshrink', params: [['lambd', 'lambd', 0.5]] },
  threshold: { op: 'threshold', params: [['threshold', 'threshold', null], ['value', 'value', null], INPLACE_PARAM] },
  // F.rrelu draws slopes only when told (training=False by default), unlike the module
  rrelu: { op: 'rrelu', params: [['lower', 'lower', 1 / 8], ['upper', 'upper', 1 / 3], ['training', 'training', false], INPLACE_PARAM] },
};

/** the in-place functional forms torch 1.13 has of these */
export const MORE_IN_PLACE_FORMS: readonly string[] = ['hardtanh_', 'selu_', 'celu_', 'threshold_', 'rrelu_'];
