// A layer's config as typed values with Keras defaults, and the plan a layer becomes: what
// layers.ts and the Keras-only layer files (preprocessingLayers.ts, attentionLayers.ts) share.
import type { SyntaxNode as Node } from './syntax';
import type { ArgValue } from '../ops/types';
import type { LayerObject, ObjectValue, Unknown, Value } from './values';
import { describe } from './values';
import { TFJS_CODES } from './codes';

export interface OpStep {
  readonly op: string;
  readonly args: Record<string, ArgValue>;
  /** an option the graph does not show that the TensorFlow.js profile does not model (Graph.profileGaps) */
  readonly profileGap?: string;
  /** how tf.js runs the op, where not as the op alone (Graph.profileAs) */
  readonly profileAs?: string;
  /**
   * what the step reads, by index into [the layer's inputs..., each earlier step's output...];
   * by default the step before (the first step: the layer's inputs). The layer's output is the last step's.
   */
  readonly from?: readonly number[];
}

export interface LayerProblem {
  readonly node: Node;
  readonly message: string;
  readonly code: string;
  readonly severity: 'error' | 'warning' | 'info';
}

export type LayerPlan =
  | {
      readonly ok: true;
      readonly steps: readonly OpStep[];
      readonly trainable: boolean;
      /** a layer that returns several tensors (returnState): each one's index into [inputs..., step outputs...] */
      readonly outputs?: readonly number[];
    }
  | { readonly ok: false; readonly problem: LayerProblem };

export class PlanError extends Error {
  constructor(readonly problem: LayerProblem) {
    super(problem.message);
  }
}

/** typed access to a layer's config object with Keras defaults */
export class LayerConfig {
  constructor(
    private readonly layer: LayerObject,
    private readonly config: ObjectValue | Unknown | undefined = layer.config,
  ) {}

  raw(key: string): Value | undefined {
    if (this.config?.kind === 'unknown') return this.config;
    const v = this.config?.props.get(key);
    return v === undefined || v.kind === 'null' || v.kind === 'undefined' ? undefined : v;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  nodeOf(key: string): Node {
    return (this.config?.kind === 'object' ? this.config.nodes.get(key) : undefined) ?? this.layer.configNode ?? this.layer.site;
  }

  private fail(key: string, message: string, code: string = TFJS_CODES.invalidConfig, severity: LayerProblem['severity'] = 'error'): never {
    throw new PlanError({ node: this.nodeOf(key), message, code, severity });
  }

  private known(key: string): Value | undefined {
    const v = this.raw(key);
    if (v?.kind === 'unknown') {
      throw new PlanError({
        node: v.node,
        message: `${this.layer.type} '${key}' is not statically resolvable: ${v.reason}; the model is not analysed`,
        code: TFJS_CODES.unresolved,
        severity: 'info',
      });
    }
    return v;
  }

  int(key: string, fallback?: number): number {
    const v = this.known(key);
    if (v === undefined) {
      if (fallback === undefined) this.fail(key, `${this.layer.type} needs '${key}'`);
      return fallback;
    }
    if (v.kind !== 'number' || !Number.isInteger(v.value)) this.fail(key, `${this.layer.type} '${key}' must be an integer, got ${describe(v)}`);
    return v.value;
  }

  number(key: string, fallback: number): number {
    const v = this.known(key);
    if (v === undefined) return fallback;
    if (v.kind !== 'number' || !Number.isFinite(v.value)) this.fail(key, `${this.layer.type} '${key}' must be a number, got ${describe(v)}`);
    return v.value;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.known(key);
    if (v === undefined) return fallback;
    if (v.kind !== 'bool') this.fail(key, `${this.layer.type} '${key}' must be true or false, got ${describe(v)}`);
    return v.value;
  }

  string(key: string, fallback: string): string {
    const v = this.known(key);
    if (v === undefined) return fallback;
    if (v.kind !== 'string') this.fail(key, `${this.layer.type} '${key}' must be a string, got ${describe(v)}`);
    return v.value;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const s = this.string(key, fallback);
    if (!(values as readonly string[]).includes(s)) this.fail(key, `${this.layer.type} '${key}' must be one of ${values.map((v) => `'${v}'`).join(', ')}, got '${s}'`);
    return s as T;
  }

  /** a number or a (nested) list of numbers, flattened */
  ints(key: string, fallback?: number | readonly number[]): number | number[] {
    const v = this.known(key);
    if (v === undefined) {
      if (fallback === undefined) this.fail(key, `${this.layer.type} needs '${key}'`);
      return typeof fallback === 'number' ? fallback : [...fallback];
    }
    const flat = flattenInts(v);
    if (flat === undefined) this.fail(key, `${this.layer.type} '${key}' must be an integer or a list of integers, got ${describe(v)}`);
    return flat;
  }

  /**
   * a list of integers (shapes); `scalarIsShape` where tf.js concatenates the value onto the batch
   * axis (`inputShape: 1` is [1])
   */
  intList(key: string, scalarIsShape = false): number[] | undefined {
    const v = this.known(key);
    if (v === undefined) return undefined;
    if (scalarIsShape && v.kind === 'number' && Number.isInteger(v.value)) return [v.value];
    if (v.kind !== 'array') this.fail(key, `${this.layer.type} '${key}' must be a list of integers, got ${describe(v)}`);
    const out: number[] = [];
    for (const item of v.items) {
      if (item.kind === 'null') out.push(-1);
      else if (item.kind === 'number' && Number.isInteger(item.value)) out.push(item.value);
      else if (item.kind === 'unknown') {
        throw new PlanError({ node: item.node, message: `${this.layer.type} '${key}' is not statically resolvable: ${item.reason}`, code: TFJS_CODES.unresolved, severity: 'info' });
      } else this.fail(key, `${this.layer.type} '${key}' must be a list of integers, got ${describe(v)}`);
    }
    return out;
  }

  /** a nested layer object (bidirectional / timeDistributed `layer`) */
  nestedLayer(key: string): LayerObject {
    const v = this.known(key);
    if (v?.kind !== 'layer') this.fail(key, `${this.layer.type} needs a layer object in '${key}'`);
    return v;
  }
}

function flattenInts(v: Value): number | number[] | undefined {
  if (v.kind === 'number') return Number.isInteger(v.value) ? v.value : undefined;
  if (v.kind !== 'array') return undefined;
  const out: number[] = [];
  for (const item of v.items) {
    const inner = flattenInts(item);
    if (inner === undefined) return undefined;
    if (typeof inner === 'number') out.push(inner);
    else out.push(...inner);
  }
  return out;
}


/** the config of a layer that is one registry op (a TensorFlow function in Keras: tf.nn.relu(x)): its name and arguments */
export function opConfig(op: string, args: Readonly<Record<string, ArgValue>>): ObjectValue {
  const value = (a: ArgValue): Value =>
    typeof a === 'number' ? { kind: 'number', value: a } : typeof a === 'boolean' ? { kind: 'bool', value: a } : typeof a === 'string' ? { kind: 'string', value: a } : { kind: 'array', items: a.map((n): Value => ({ kind: 'number', value: n })) };
  const props = new Map<string, Value>(Object.entries(args).map(([k, a]) => [k, value(a)]));
  props.set(OP_KEY, { kind: 'string', value: op });
  return { kind: 'object', props, nodes: new Map() };
}

const OP_KEY = '__op';

/** the op step of an opConfig layer, or undefined for any other layer */
export function opStep(layer: LayerObject): OpStep | undefined {
  const config = layer.config;
  const op = config?.kind === 'object' ? config.props.get(OP_KEY) : undefined;
  if (config?.kind !== 'object' || op?.kind !== 'string') return undefined;
  const args: Record<string, ArgValue> = {};
  for (const [k, v] of config.props) {
    // trainable is the layer's (a frozen weight), not the op's
    if (k === OP_KEY || k === 'trainable') continue;
    if (v.kind === 'number' || v.kind === 'bool' || v.kind === 'string') args[k] = v.value;
    else if (v.kind === 'array') args[k] = v.items.map((i) => (i.kind === 'number' ? i.value : Number.NaN));
  }
  return { op: op.value, args };
}
