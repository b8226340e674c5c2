// Reading a torch.nn layer's constructor arguments and its input, shared by the layer tables
// (layers.ts, activationLayers.ts, cells.ts, moreLayers.ts): known values or a reason, never a
// guess; and the tensors the batch-norm family registers.
import type { ArgValue } from '../ops/types';
import { describe, int, intOf, numberOf, NotKnown, FALSE, type LayerBuild, type LayerCall, type LayerSpec, type PyValue, type Signature, type TensorValue } from './values';

/** an argument whose value memlens does not know: not an error of the user's code */
export function notKnown(name: string, v: PyValue | undefined, what: string): never {
  throw new NotKnown(`\`${name}\` is ${v ? describe(v) : 'missing'}, not ${what}`);
}

/** a layer argument only a run knows, with the reason: NNM401, not an error of the user's code */
export function notKnownBecause(reason: string): never {
  throw new NotKnown(reason);
}

/** size-like arguments torch requires to be positive (channels, features, groups, layers) */
const SIZES = new Set(['in_channels', 'out_channels', 'groups', 'in_features', 'out_features', 'num_embeddings', 'embedding_dim', 'num_features', 'num_groups', 'num_channels', 'input_size', 'hidden_size', 'num_layers']);

export function need(config: ReadonlyMap<string, PyValue>, name: string, fail: (r: string) => never): number {
  const v = config.get(name);
  const n = v === undefined ? undefined : intOf(v);
  if (n === undefined) notKnown(name, v, 'a known integer');
  // torch builds zero-sized layers (and fails at their first call); a negative size raises at once
  if (SIZES.has(name) && (n < 0 || (name === 'num_layers' && n < 1))) fail(`\`${name}\` must be ${name === 'num_layers' ? 'at least 1' : 'at least 0'}, got ${n}`);
  return n;
}

/** an int or a tuple of `dims` ints (kernel_size=3 or (3, 5)) */
export function ints(config: ReadonlyMap<string, PyValue>, name: string, dims: number, fail: (r: string) => never): number[] {
  const v = config.get(name);
  if (v && (v.kind === 'tuple' || v.kind === 'list')) {
    const out = v.items.map(intOf);
    if (out.some((x) => x === undefined)) notKnown(name, v, `${dims} known integers`);
    if (out.length !== dims) fail(`\`${name}\` must be an int or ${dims} ints, got ${describe(v)}`);
    return out as number[];
  }
  const n = v === undefined ? undefined : intOf(v);
  if (n === undefined) notKnown(name, v, 'a known integer');
  return Array.from({ length: dims }, () => n);
}

export function flag(config: ReadonlyMap<string, PyValue>, name: string, fail: (r: string) => never): boolean {
  const v = config.get(name);
  if (v === undefined) return false;
  if (v.kind === 'bool') return v.value;
  if (v.kind === 'none') return false;
  const n = numberOf(v);
  if (n === undefined) notKnown(name, v, 'a known boolean');
  return n !== 0;
}

export function num(config: ReadonlyMap<string, PyValue>, name: string, fail: (r: string) => never): number {
  const v = config.get(name);
  const n = v === undefined ? undefined : numberOf(v);
  if (n === undefined) notKnown(name, v, 'a known number');
  return n;
}

export function one(inputs: readonly PyValue[], call: LayerCall): TensorValue {
  const x = inputs[0];
  if (!x || x.kind !== 'tensor') call.fail(`${call.self.cls.name} expects a tensor, got ${x ? describe(x) : 'nothing'}`);
  return x;
}

/** per-sample rank a layer needs: torch accepts an unbatched input too, memlens only batched ones */
export function rankOf(x: TensorValue): number {
  return x.shape.length - (x.batchAxis >= 0 ? 1 : 0);
}

/** an elementwise layer: `args` reads its registry arguments from the constructor's */
export function elementwise(name: string, op: string, signature: Signature, args: (c: ReadonlyMap<string, PyValue>, fail: (r: string) => never) => Record<string, ArgValue> = () => ({})): LayerSpec {
  return {
    name,
    signature,
    forward(call, inputs) {
      const x = one(inputs, call);
      const inPlace = call.config.has('inplace') && flag(call.config, 'inplace', call.fail);
      return call.emit(op, [x], args(call.config, call.fail), inPlace);
    },
  };
}

export const INPLACE: readonly [string, PyValue] = ['inplace', FALSE];

/** the axis of the registry's softmax: torch's dim over the full shape, made per sample */
export function perSampleAxis(x: TensorValue, dim: number, fail: (r: string) => never): number {
  const rank = x.shape.length;
  const d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) fail(`dim ${dim} is out of range for ${describe(x)}`);
  if (d === x.batchAxis) fail(`an op over the batch axis couples the samples, which memlens does not model`);
  return x.batchAxis >= 0 && d > x.batchAxis ? d - 1 : d;
}

/** batch and instance norm register the same tensors: a scale and shift when affine, running statistics when tracked */
export function normState(c: ReadonlyMap<string, PyValue>, b: LayerBuild, fail: (reason: string) => never): void {
  const n = need(c, 'num_features', fail);
  b.attr('num_features', int(n));
  const affine = flag(c, 'affine', fail);
  b.param('weight', affine ? [n] : undefined);
  b.param('bias', affine ? [n] : undefined);
  const track = flag(c, 'track_running_stats', fail);
  b.buffer('running_mean', track ? [n] : undefined);
  b.buffer('running_var', track ? [n] : undefined);
  b.buffer('num_batches_tracked', track ? [] : undefined, 'int64');
}
