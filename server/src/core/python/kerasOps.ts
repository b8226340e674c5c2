// TensorFlow and keras.ops functions on Keras symbolic tensors (in call(), or between layers of a
// functional model) as registry ops, the ones the torch side uses: activations, reshape, concat,
// matmul, transpose, mean / sum over per-sample axes, add / multiply. Keras and TensorFlow count
// the batch as axis 0; the ops count per-sample axes, so a positive axis is one less here.
import type { ArgValue } from '../ops/types';
import type { SymbolicTensor } from '../tfjs/values';
import { describe, intOf, iterate, type CallArgs, type PyValue } from './values';

export interface KerasOpCall {
  readonly op: string;
  readonly args: Record<string, ArgValue>;
  readonly inputs: readonly SymbolicTensor[];
}

/** the activation functions, by their last name (tf.nn.relu, tf.math.sigmoid, keras.ops.gelu, keras.activations.tanh) */
const ACTIVATIONS: Readonly<Record<string, string>> = { relu: 'relu', relu6: 'relu6', gelu: 'gelu', sigmoid: 'sigmoid', tanh: 'tanh', silu: 'silu', swish: 'silu', elu: 'elu', softplus: 'softplus', softsign: 'softsign', selu: 'selu', exp: 'exp', log: 'log' };

/** where each function lives: tf.X, tf.nn.X, tf.math.X, keras.ops.X, keras.activations.X */
const NAMESPACES: ReadonlySet<string> = new Set(['tensorflow', 'tensorflow.nn', 'tensorflow.math', 'keras.ops', 'keras.ops.nn', 'keras.activations', 'keras.backend']);

type Tensors = (v: PyValue | undefined) => SymbolicTensor[] | undefined;

class NotModelled extends Error {}

function fail(reason: string): never {
  throw new NotModelled(reason);
}

/** a Keras axis (the batch is 0) as a per-sample one */
function perSampleAxis(v: PyValue, what: string): number {
  const a = intOf(v);
  if (a === undefined) fail(`the ${what} ${describe(v)} is not a known integer`);
  if (a === 0) fail(`${what} 0 is the batch axis, which couples the samples`);
  return a < 0 ? a : a - 1;
}

function one(tensors: Tensors, v: PyValue | undefined, fn: string): SymbolicTensor {
  const ts = v?.kind === 'instance' ? tensors(v) : undefined;
  if (!ts || ts.length !== 1) fail(`the input of ${fn} is not a Keras tensor memlens follows`);
  return ts[0]!;
}

function arg(args: CallArgs, i: number, name: string): PyValue | undefined {
  const v = args.positional[i] ?? args.keywords.get(name);
  return v?.kind === 'none' ? undefined : v;
}

/**
 * The op a TensorFlow / keras.ops call is, or why it is not modelled (a string), or undefined when
 * the path names no function of the table (the caller's own message then).
 */
export function kerasOp(path: string, args: CallArgs, tensors: Tensors): KerasOpCall | string | undefined {
  const dot = path.lastIndexOf('.');
  const space = path.slice(0, dot);
  const name = path.slice(dot + 1);
  if (!NAMESPACES.has(space)) return undefined;
  const fn = `${space.replace(/^tensorflow/, 'tf')}.${name}`;
  try {
    const act = ACTIVATIONS[name];
    if (act) {
      if (args.positional.length > 1 || [...args.keywords.keys()].some((k) => k !== 'x' && k !== 'features' && k !== 'name')) fail(`${fn} with options is not modelled by memlens yet`);
      return { op: act, args: {}, inputs: [one(tensors, arg(args, 0, 'x') ?? arg(args, 0, 'features'), fn)] };
    }
    switch (name) {
      case 'softmax': {
        const x = one(tensors, arg(args, 0, 'x') ?? arg(args, 0, 'logits'), fn);
        const axis = arg(args, 1, 'axis');
        return { op: 'softmax', args: { axis: axis ? perSampleAxis(axis, 'axis') : -1 }, inputs: [x] };
      }
      case 'reshape': {
        const x = one(tensors, arg(args, 0, 'tensor') ?? arg(args, 0, 'x'), fn);
        const shape = arg(args, 1, 'shape') ?? arg(args, 1, 'newshape');
        const dims = shape ? iterate(shape) : undefined;
        if (!dims || dims.length < 2) fail(`${fn} to a shape that is not [batch, ...] with the batch first`);
        const first = dims[0]!;
        if (!(first.kind === 'none' || intOf(first) === -1)) fail(`${fn}: the first dimension must be the batch (-1 or None), got ${describe(first)}`);
        const rest = dims.slice(1).map((d) => intOf(d) ?? fail(`${fn}: the dimension ${describe(d)} is not a known integer`));
        return { op: 'reshape', args: { shape: rest }, inputs: [x] };
      }
      case 'concat':
      case 'concatenate': {
        const xs = tensors(arg(args, 0, name === 'concat' ? 'values' : 'xs'));
        if (!xs || xs.length < 2) fail(`the inputs of ${fn} are not a list of Keras tensors memlens follows`);
        // tf.concat needs an axis; keras.ops.concatenate's default 0 is the batch
        const axis = arg(args, 1, 'axis');
        if (!axis && name === 'concat') fail(`${fn} needs an axis`);
        return { op: 'concat', args: { axis: perSampleAxis(axis ?? { kind: 'int', value: 0 }, 'axis') }, inputs: xs };
      }
      case 'matmul': {
        if ([...args.keywords.keys()].some((k) => k !== 'a' && k !== 'b' && k !== 'x1' && k !== 'x2' && k !== 'name')) fail(`${fn} with transposes or other options is not modelled by memlens yet`);
        const a = one(tensors, arg(args, 0, 'a') ?? arg(args, 0, 'x1'), fn);
        const b = one(tensors, arg(args, 1, 'b') ?? arg(args, 1, 'x2'), fn);
        return { op: 'matmul', args: {}, inputs: [a, b] };
      }
      case 'transpose': {
        const x = one(tensors, arg(args, 0, 'a') ?? arg(args, 0, 'x'), fn);
        const perm = arg(args, 1, 'perm') ?? arg(args, 1, 'axes');
        const items = perm ? iterate(perm) : undefined;
        if (!items) fail(`${fn} without a permutation reverses every axis, the batch included`);
        const p = items.map((d) => intOf(d) ?? fail(`${fn}: the axis ${describe(d)} is not a known integer`));
        if (p[0] !== 0) fail(`${fn} moves the batch axis`);
        return { op: 'transpose', args: { perm: p.slice(1).map((d) => d - 1) }, inputs: [x] };
      }
      case 'reduce_mean':
      case 'reduce_sum':
      case 'mean':
      case 'sum': {
        const x = one(tensors, arg(args, 0, 'input_tensor') ?? arg(args, 0, 'x'), fn);
        const axis = arg(args, 1, 'axis');
        if (!axis) fail(`${fn} over every axis, the batch included, is not modelled yet`);
        const axes = (iterate(axis) ?? [axis]).map((a) => perSampleAxis(a, 'axis'));
        const keep = arg(args, 2, 'keepdims');
        if (keep && keep.kind !== 'bool') fail(`${fn}: keepdims ${describe(keep)} is not a known boolean`);
        return { op: 'reduce', args: { axes, kind: name.endsWith('sum') ? 'sum' : 'mean', keepdims: keep?.kind === 'bool' && keep.value }, inputs: [x] };
      }
      case 'add':
      case 'bias_add':
      case 'multiply': {
        const a = one(tensors, arg(args, 0, 'x') ?? arg(args, 0, 'x1') ?? arg(args, 0, 'value'), fn);
        const b = one(tensors, arg(args, 1, 'y') ?? arg(args, 1, 'x2') ?? arg(args, 1, 'bias'), fn);
        return { op: name === 'multiply' ? 'mul' : 'add_broadcast', args: {}, inputs: [a, b] };
      }
      default:
        return undefined;
    }
  } catch (e) {
    if (e instanceof NotModelled) return e.message;
    throw e;
  }
}
