// The static values the extractor computes for TypeScript expressions. Anything it cannot
// know without running the program is an `unknown` that remembers which expression and why.
import type { SyntaxNode as Node } from './syntax';

export interface Unknown {
  readonly kind: 'unknown';
  /** the exact expression that could not be resolved */
  readonly node: Node;
  /** why, for the diagnostic: "`units` is a function parameter" */
  readonly reason: string;
}

export interface LayerObject {
  readonly kind: 'layer';
  /** creation order within the document evaluation (mirrors tf.js layer ids) */
  readonly serial: number;
  /** tf.layers factory name: dense, conv2d, ... */
  readonly type: string;
  /** the config object; an unknown when the whole argument could not be resolved */
  readonly config: ObjectValue | Unknown | undefined;
  /** the tf.layers.X(...) call */
  readonly site: Node;
  /** the argument node of the factory call, for diagnostics on a missing key */
  readonly configNode: Node | undefined;
  /** made by Keras for Python, whose layers take options tf.js ignores (Conv2D's groups) */
  readonly keras?: true;
  /** an instance of a class of the file that extends tf.layers.Layer */
  readonly custom?: CustomLayer;
  /** a model used as a layer (`model.apply(t)`, a model among a sequential's layers): its layers are applied in its place */
  readonly model?: ModelObject;
}

/** what a custom layer's computeOutputShape() and build() say for the shapes it is applied to */
export type CustomPlan =
  | { readonly ok: true; readonly outputShape: readonly number[]; readonly weights: readonly { readonly shape: readonly number[]; readonly trainable: boolean }[] }
  | { readonly ok: false; readonly problem: Unknown };

export interface CustomLayer {
  readonly className: string;
  /** the instance: `this` of its methods, its fields */
  readonly self: ObjectValue;
  /** per-sample input shapes -> the layer's output and weights (its methods evaluated statically, once per shape) */
  readonly plan: (inputShapes: readonly (readonly number[])[]) => CustomPlan;
}

/** a tensor of the functional API: an input or the result of applying a layer */
export interface SymbolicTensor {
  readonly kind: 'tensor';
  readonly serial: number;
  readonly producer: InputProducer | ApplyProducer;
}

/** every tensor the outputs depend on, in creation order (a tensor's inputs were made before it) */
export function upstreamTensors(outputs: readonly SymbolicTensor[]): SymbolicTensor[] {
  const seen = new Map<number, SymbolicTensor>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t.serial)) continue;
    seen.set(t.serial, t);
    if (t.producer.kind === 'apply') stack.push(...t.producer.inputs);
  }
  return [...seen.values()].sort((a, b) => a.serial - b.serial);
}

export interface InputProducer {
  readonly kind: 'input';
  readonly site: Node;
  readonly shape: Value;
  readonly dtype: Value;
}

export interface ApplyProducer {
  readonly kind: 'apply';
  readonly layer: LayerObject;
  readonly inputs: readonly SymbolicTensor[];
  /** the .apply(...) call */
  readonly site: Node;
  /** one of several tensors one call returns (returnState, a model with several outputs): the call and which */
  readonly output?: { readonly call: number; readonly index: number };
}

/** a model under construction; its graph is built once the whole document has been evaluated */
export interface ModelObject {
  readonly kind: 'model';
  readonly serial: number;
  readonly style: 'sequential' | 'functional';
  /** tf.sequential(...) / tf.model(...) call */
  readonly site: Node;
  /** sequential: layers in order with the call that added each */
  readonly layers: { layer: LayerObject; site: Node; statement: Node }[];
  /** functional */
  inputs?: Value;
  outputs?: Value;
  name?: string;
  nameNode?: Node;
  /** name of the enclosing function, for unnamed models */
  readonly scopeName?: string;
  optimizer?: { value: Value; node: Node };
  batchSize?: { value: Value; node: Node };
  /** why this model cannot be analysed (a branch or loop changed it at run time) */
  poisoned?: Unknown;
  /** the first call memlens cannot follow that received the model */
  escaped?: Unknown;
  /** `model.trainable = ...` in evaluation order (serials of the creation counter) */
  trainableSets?: { readonly serial: number; readonly value: Value; readonly node: Node }[];
  /** when compile() last ran: tf.js trains the weights that were trainable then */
  compiledAt?: number;
}

export interface ObjectValue {
  readonly kind: 'object';
  readonly props: Map<string, Value>;
  /** property name -> the value expression node, for diagnostics */
  readonly nodes: Map<string, Node>;
}

export interface FunctionValue {
  readonly kind: 'function';
  readonly name: string;
  /** function_declaration, arrow_function, function_expression, method_definition */
  readonly node: Node;
  readonly closure: Scope;
  /** a method read from an instance: the `this` it runs with */
  readonly self?: Value;
  /** a method of a class: the class it is defined in (what `super` means in it) */
  readonly home?: ClassValue;
}

/** a class declared in the file */
export interface ClassValue {
  readonly kind: 'class';
  readonly name: string;
  /** class_declaration or class expression */
  readonly node: Node;
  readonly closure: Scope;
  /** the `extends` value: a class of the file, a TensorFlow.js class (`tf.layers.Layer`), or an unknown */
  readonly superclass?: Value;
}

/** a JavaScript built-in: a global (`Array.isArray`, `Number`) or a method bound to a static array or string */
export interface BuiltinValue {
  readonly kind: 'builtin';
  /** `Array.isArray`, `Number`, `array.map`, `string.split` */
  readonly name: string;
  readonly receiver?: Value;
}

export type Value =
  | Unknown
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'undefined' }
  | { readonly kind: 'array'; readonly items: Value[] }
  | ObjectValue
  /** a TensorFlow.js namespace or function by its path from the package root: '', 'layers', 'layers.dense' */
  | { readonly kind: 'tf'; readonly path: string }
  | FunctionValue
  | ClassValue
  | BuiltinValue
  /** a bound member of a model (`model.add`) or layer (`layer.apply`) */
  | { readonly kind: 'method'; readonly target: ModelObject | LayerObject; readonly name: string }
  | { readonly kind: 'optimizer'; readonly name: string; readonly momentum: Value; readonly centered: Value }
  | LayerObject
  | SymbolicTensor
  | ModelObject;

export interface Binding {
  value: Value;
  readonly isConst: boolean;
  /** the declaring identifier, for diagnostics ("declared here") */
  readonly node?: Node;
}

export class Scope {
  private readonly vars = new Map<string, Binding>();
  constructor(readonly parent?: Scope) {}

  declare(name: string, binding: Binding): void {
    this.vars.set(name, binding);
  }

  lookup(name: string): Binding | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const b = s.vars.get(name);
      if (b) return b;
    }
    return undefined;
  }

  /** every binding in this scope and its parents (innermost wins) */
  names(): string[] {
    const out = new Set<string>();
    for (let s: Scope | undefined = this; s; s = s.parent) for (const k of s.vars.keys()) out.add(k);
    return [...out];
  }
}

export const UNDEFINED: Value = { kind: 'undefined' };
export const NULL: Value = { kind: 'null' };

export function unknown(node: Node, reason: string): Unknown {
  return { kind: 'unknown', node, reason };
}

export function num(value: number): Value {
  return { kind: 'number', value };
}

/** a short description of a value for messages */
export function describe(v: Value): string {
  switch (v.kind) {
    case 'number':
      // an overflow (1e308 * 2) is a number too large, not a word the user never wrote
      return Number.isFinite(v.value) ? String(v.value) : Number.isNaN(v.value) ? 'not a number' : 'a number too large to represent';
    case 'string':
      return `'${v.value}'`;
    case 'bool':
      return String(v.value);
    case 'array':
      return `[${v.items.map(describe).join(', ')}]`;
    case 'tensor':
      return 'a symbolic tensor';
    case 'layer':
      return `a ${v.type} layer`;
    case 'model':
      return 'a model';
    case 'undefined':
      return 'undefined';
    default:
      return v.kind;
  }
}

/**
 * Creation order of layers, tensors and models. One counter for the process, so that values
 * made by different interpreters of a document (top level, each function) never collide.
 */
let serialCounter = 0;
export function nextSerial(): number {
  return serialCounter++;
}
