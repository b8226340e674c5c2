// The static values of the Python interpreter. A value is known or it is an `unknown` that
// remembers the expression and why; nothing is ever guessed.
import type { DType, TensorId } from '../ir';
import type { ArgValue } from '../ops/types';
import type { SyntaxNode as Node } from '../tfjs/syntax';

export interface Unknown {
  readonly kind: 'unknown';
  readonly node: Node;
  readonly reason: string;
  /** it may be a module (a torch.nn class memlens does not model, or its instance): a model holding it has unknown parameters */
  readonly module?: true;
}

export type PyValue =
  | { readonly kind: 'none' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'str'; readonly value: string }
  /** an integer that is `coef` times the batch N (x.size(0), B * T) */
  | { readonly kind: 'symint'; readonly coef: number }
  /** `fields`: a named tuple's field names (torch.return_types.max: values, indices) */
  | { readonly kind: 'tuple'; readonly items: readonly PyValue[]; readonly fields?: readonly string[] }
  | ListValue
  | DictValue
  | FunctionValue
  | BuiltinValue
  | ClassValue
  | Instance
  | Namespace
  | Parameter
  | TensorValue
  | { readonly kind: 'dtype'; readonly dtype: DType }
  | { readonly kind: 'slice'; readonly start: PyValue; readonly stop: PyValue; readonly step: PyValue }
  /** super() inside a method: attribute lookup starts after `after` in the MRO of self's class */
  | { readonly kind: 'super'; readonly self: PyValue; readonly after: ClassValue }
  | Unknown;

export interface ListValue {
  readonly kind: 'list';
  readonly items: PyValue[];
}

export interface DictValue {
  readonly kind: 'dict';
  /** keys are strings or numbers; insertion order is Python's */
  readonly entries: Map<string | number, PyValue>;
}

export interface FunctionValue {
  readonly kind: 'function';
  readonly name: string;
  readonly node: Node;
  readonly closure: Scope;
  /** bound `self` of a method read from an instance */
  readonly self?: PyValue;
  /** the class the method was defined in (for super()) */
  readonly owner?: ClassValue;
  /** evaluated defaults, by parameter name */
  readonly defaults: ReadonlyMap<string, PyValue>;
}

export interface CallArgs {
  readonly positional: readonly PyValue[];
  readonly keywords: ReadonlyMap<string, PyValue>;
}

export interface BuiltinValue {
  readonly kind: 'builtin';
  readonly name: string;
  readonly self?: PyValue;
  call(args: CallArgs, site: Node): PyValue;
}

export interface ClassValue {
  readonly kind: 'class';
  readonly name: string;
  readonly bases: readonly ClassValue[];
  readonly attrs: Map<string, PyValue>;
  /** a torch.nn layer or container modelled by memlens */
  readonly layer?: LayerSpec;
  /** torch.nn.Module itself, or a class deriving from it */
  readonly isModule: boolean;
  /** a base memlens does not model that is a torch.nn module (`class TransformerModel(nn.Transformer)`): its instances' parameters are not known */
  readonly unknownBase?: Unknown;
  /** @dataclass fields with their defaults, in order */
  readonly fields?: readonly { name: string; default?: PyValue }[];
  readonly node?: Node;
}

/** one parameter or buffer tensor of a module; weight tying shares the object */
export interface Parameter {
  readonly kind: 'parameter';
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  /** a buffer (register_buffer, batch-norm statistics), not a parameter */
  readonly buffer: boolean;
  /** a buffer left out of the state dict (persistent=False) */
  readonly persistent: boolean;
}

/** the torch-side state of an nn.Module instance, in registration order as torch keeps it */
export interface ModuleState {
  readonly children: Map<string, Instance>;
  readonly params: Map<string, Parameter | undefined>;
  readonly buffers: Map<string, Parameter | undefined>;
  training: boolean;
  /** where the module was constructed */
  readonly site: Node;
}

export interface Instance {
  readonly kind: 'instance';
  readonly cls: ClassValue;
  readonly attrs: Map<string, PyValue>;
  readonly module?: ModuleState;
}

export interface Namespace {
  readonly kind: 'namespace';
  /** dotted path: torch.nn.functional, argparse, numpy */
  readonly path: string;
}

export interface TensorValue {
  readonly kind: 'tensor';
  /** the graph tensor, once a model trace holds it; example inputs made outside a trace have none */
  readonly id?: TensorId;
  readonly trace?: object;
  /** full shape; the batch axis holds the multiple of N (1 for a plain batch axis) */
  readonly shape: readonly number[];
  /** the axis that is (a multiple of) the batch, -1 when the tensor has none */
  readonly batchAxis: number;
  /** the integer literal of the first dimension in an example's factory call (`8` in torch.randn(8, 3, 32, 32)): the batch fix edits it */
  readonly batchNode?: Node;
  /** a shape-only view (x.view(-1, C) outside a model's forward): the tensor it was taken of */
  readonly base?: TensorValue;
  readonly dtype: DType;
  readonly site: Node;
}

export class Scope {
  readonly vars = new Map<string, PyValue>();
  constructor(
    readonly parent: Scope | undefined,
    /** the function this scope runs (for names like `main.model`) */
    readonly functionName?: string,
  ) {}

  lookup(name: string): PyValue | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}

/** a value a layer needs is not known statically: reported as such (NNM401), never as the user's error */
export class NotKnown extends Error {}

/** a sequence-first layer (batch_first=False) got an example whose batch memlens put on axis 0 */
export class SequenceFirstInput extends NotKnown {}

export const NONE: PyValue = { kind: 'none' };
export const TRUE: PyValue = { kind: 'bool', value: true };
export const FALSE: PyValue = { kind: 'bool', value: false };

export function int(value: number): PyValue {
  return { kind: 'int', value };
}

export function unknown(node: Node, reason: string): Unknown {
  return { kind: 'unknown', node, reason };
}

export function isUnknown(v: PyValue): v is Unknown {
  return v.kind === 'unknown';
}

/** a Python number as JS (bools count, as in Python) */
export function numberOf(v: PyValue): number | undefined {
  switch (v.kind) {
    case 'int':
    case 'float':
      return v.value;
    case 'bool':
      return v.value ? 1 : 0;
    default:
      return undefined;
  }
}

export function intOf(v: PyValue): number | undefined {
  if (v.kind === 'int') return v.value;
  if (v.kind === 'bool') return v.value ? 1 : 0;
  return undefined;
}

/** Python truthiness; undefined when it depends on something unknown */
export function truthy(v: PyValue): boolean | undefined {
  switch (v.kind) {
    case 'none':
      return false;
    case 'bool':
      return v.value;
    case 'int':
    case 'float':
      return v.value !== 0;
    case 'str':
      return v.value.length > 0;
    case 'tuple':
    case 'list':
      return v.items.length > 0;
    case 'dict':
      return v.entries.size > 0;
    case 'symint':
      return true;
    case 'unknown':
    case 'tensor':
      return undefined;
    case 'instance':
      if (layerOf(v.cls)?.container) return (v.module?.children.size ?? 0) > 0;
      return true;
    default:
      return true;
  }
}

/** the items of an iterable value, or undefined when they are not known */
export function iterate(v: PyValue): readonly PyValue[] | undefined {
  switch (v.kind) {
    case 'tuple':
    case 'list':
      return v.items;
    case 'dict':
      return [...v.entries.keys()].map(keyValue);
    case 'str':
      return [...v.value].map((c) => ({ kind: 'str', value: c }));
    case 'instance':
      // nn.Sequential / nn.ModuleList iterate their children, nn.ModuleDict its keys
      if (v.module && layerOf(v.cls)?.container) {
        if (layerOf(v.cls)!.name === 'ModuleDict') return [...v.module.children.keys()].map((k) => ({ kind: 'str', value: k }));
        return [...v.module.children.values()];
      }
      return undefined;
    default:
      return undefined;
  }
}

export function describe(v: PyValue): string {
  switch (v.kind) {
    case 'none':
      return 'None';
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'int':
      return String(v.value);
    case 'float':
      return pythonFloat(v.value);
    case 'str':
      return JSON.stringify(v.value);
    case 'symint':
      return v.coef === 1 ? 'N' : `${v.coef} N`;
    case 'tuple':
      return `(${v.items.map(describe).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'list':
      return `[${v.items.map(describe).join(', ')}]`;
    case 'dict':
      return 'a dict';
    case 'function':
      return `function ${v.name}`;
    case 'builtin':
      return v.name;
    case 'class':
      return `class ${v.name}`;
    case 'instance':
      return `a ${v.cls.name}`;
    case 'namespace':
      return v.path;
    case 'parameter':
      return `a ${v.buffer ? 'buffer' : 'parameter'} [${v.shape.join(', ')}]`;
    case 'tensor':
      return `a tensor [${v.shape.map((d, i) => (i === v.batchAxis ? (d === 1 ? 'N' : `${d} N`) : String(d))).join(', ')}]`;
    case 'dtype':
      return v.dtype;
    case 'slice':
      return 'a slice';
    case 'super':
      return 'super()';
    case 'unknown':
      return 'an unknown value';
  }
}

/** a float as Python prints it: inf, nan, 1.0 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? `${x}.0` : String(x);
}

/** Python's `isinstance(v, cls)` for instances of classes */
export function isSubclass(cls: ClassValue, base: ClassValue): boolean {
  if (cls === base) return true;
  return cls.bases.some((b) => isSubclass(b, base));
}

/** the torch.nn layer a class is or derives from (`class ConvBNReLU(nn.Sequential)`) */
export function layerOf(cls: ClassValue): LayerSpec | undefined {
  return cls.layer ?? mro(cls).find((c) => c.layer)?.layer;
}

/** method resolution: the first class in a depth-first, left-to-right walk that defines `name` */
export function lookupClassAttr(cls: ClassValue, name: string): { value: PyValue; owner: ClassValue } | undefined {
  for (const c of mro(cls)) {
    const v = c.attrs.get(name);
    if (v !== undefined) return { value: v, owner: c };
  }
  return undefined;
}

/** C3 linearisation is more than the models need: depth first, a class shared by two bases kept at its last place */
export function mro(cls: ClassValue): ClassValue[] {
  const order: ClassValue[] = [];
  const visit = (c: ClassValue): void => {
    order.push(c);
    for (const b of c.bases) visit(b);
  };
  visit(cls);
  return order.filter((c, i) => order.lastIndexOf(c) === i);
}

/** the classes after `after` in the method resolution order of `cls` (where super() looks) */
export function mroAfter(cls: ClassValue, after: ClassValue): ClassValue[] {
  const order = mro(cls);
  const k = order.indexOf(after);
  return k < 0 ? [] : order.slice(k + 1);
}

/** a dict key as JS: strings and integers (bools as 0 / 1, as Python hashes them) */
export function dictKey(v: PyValue): string | number | undefined {
  if (v.kind === 'str') return v.value;
  if (v.kind === 'int') return v.value;
  // a float key: 1.0 and 1 are one key in Python, as they are one number here
  if (v.kind === 'float' && Number.isFinite(v.value)) return v.value;
  if (v.kind === 'bool') return v.value ? 1 : 0;
  return undefined;
}

/** a dict key back as a value: a whole number is an int (Python keeps the first key's type; memlens the int) */
export function keyValue(k: string | number): PyValue {
  return typeof k === 'string' ? { kind: 'str', value: k } : Number.isInteger(k) ? int(k) : { kind: 'float', value: k };
}

// ---- what a torch.nn layer is to the interpreter (layers.ts has the table) ----

/** what a layer's constructor registers */
export interface LayerBuild {
  param(name: string, shape: readonly number[] | undefined): void;
  buffer(name: string, shape: readonly number[] | undefined, dtype?: DType, persistent?: boolean): void;
  attr(name: string, value: PyValue): void;
}

/** what a layer's forward can do: add registry ops to the model's graph */
export interface LayerCall {
  readonly self: Instance;
  readonly site: Node;
  /** the constructor arguments, resolved */
  readonly config: ReadonlyMap<string, PyValue>;
  /** the call's keyword arguments by name; the inputs list holds their values after the positional ones */
  readonly keywords?: ReadonlyMap<string, PyValue>;
  /** add one op; the layer's parameters ride on the first op of its first call that holds them (`weightless`: a helper op before it, e.g. a convolution's padded copy) */
  emit(op: string, inputs: readonly TensorValue[], args: Record<string, ArgValue>, inPlace?: boolean, weightless?: boolean): TensorValue;
  /** the call cannot be followed: the reason names what */
  fail(reason: string): never;
  /** a tensor the layer reads with its batch on `axis` (an initial state [layers, N, H]), brought into the model's graph */
  batchOn(t: TensorValue, axis: number): TensorValue;
}

export type Signature = readonly (readonly [name: string, dflt?: PyValue])[];

export interface LayerSpec {
  /** the torch.nn class name */
  readonly name: string;
  readonly signature: Signature;
  /** Sequential, ModuleList, ModuleDict: children come from the arguments */
  readonly container?: boolean;
  /** a loss module: calling it marks a training step */
  readonly loss?: string;
  init?(config: ReadonlyMap<string, PyValue>, build: LayerBuild, fail: (reason: string) => never): void;
  forward?(call: LayerCall, inputs: readonly PyValue[]): PyValue;
}

