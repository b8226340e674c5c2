// Reading a torch.nn layer's constructor arguments and its input, shared by the layer tables
// (layers.ts, activationLayers.ts): known values or a reason, never a guess.
import type { ArgValue } from '../ops/types';
import { describe, numberOf, NotKnown, FALSE, type LayerCall, type LayerSpec, type PyValue, type Signature, type TensorValue } from './values';

/** an argument whose value memlens does not know: not an error of the user's code */
export function notKnown(name: string, v: PyValue | undefined, what: string): never {
  throw new NotKnown(`\`${name}\` is ${v ? describe(v) : 'missing'}, not ${what}`);
}

/** a layer argument only a run knows, with the reason: NNM401, not an error of the user's code */
export function notKnownBecause(reason: string): never {
  throw new NotKnown(reason);
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
