// What a custom Keras layer reads of its tensors and makes of its own: the shape of a symbolic
// tensor (`x.shape`, the input_shape its build() gets), found by building the graph up to it, and
// the weights of `self.add_weight(shape=..., trainable=...)`, which enter the graph where call()
// reads them: `x @ w` / `tf.matmul(x, w)` with a 2-D weight is a dense op of that kernel,
// `x + b` / `x * s` a `param` op of the weight broadcast with x. Each weight is one layer object,
// so a weight read twice is counted once.
import { BUILTIN_DEFAULTS } from '../config';
import { buildGraphs } from '../tfjs/graphs';
import { opConfig } from '../tfjs/layerConfig';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { LayerObject, ModelObject, SymbolicTensor } from '../tfjs/values';
import type { Interpreter } from './interpreter';
import type { KerasDiagnostic } from './kerasTypes';
import { TraceStop } from './trace';
import { describe, intOf, iterate, lookupClassAttr, NONE, unknown, type CallArgs, type ClassValue, type Instance, type PyValue } from './values';

/** the per-sample shape of a symbolic tensor, or why it is not known (a layer that does not fit) */
export function shapeOf(t: SymbolicTensor): readonly number[] | string {
  const inputs: SymbolicTensor[] = [];
  const seen = new Set<number>();
  const stack = [t];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (seen.has(x.serial)) continue;
    seen.add(x.serial);
    if (x.producer.kind === 'input') inputs.push(x);
    else stack.push(...x.producer.inputs);
  }
  const model: ModelObject = { kind: 'model', serial: 0, style: 'functional', site: t.producer.site, layers: [], inputs: { kind: 'array', items: inputs }, outputs: t, name: 'shape' };
  const built = buildGraphs([model], new Map(), BUILTIN_DEFAULTS).models[0];
  const g = built?.graph;
  if (!g) return 'the layers before it do not fit together';
  return g.tensors[g.outputs[0]!]!.shape;
}

export interface KerasWeight {
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly node: Node;
  /** the layer that made it (its call() must read it) */
  readonly owner: object;
  /** its layer objects, made when call() first reads it: as a kernel (dense) or as a tensor (param) */
  kernel?: LayerObject;
  tensor?: LayerObject;
  read?: true;
}

/**
 * `self.add_weight(shape=(d, u), initializer=..., trainable=True, name=...)` (Keras 3 takes the
 * shape first, Keras 2 the name): the weight, or why its shape is not known
 */
export function weightOf(args: CallArgs, site: Node, owner: object): KerasWeight | string {
  const first = args.positional[0];
  const shape = args.keywords.get('shape') ?? (first?.kind === 'str' ? args.positional[1] : first);
  const dims = shape ? (shape.kind === 'int' ? [shape] : iterate(shape)) : undefined;
  if (!dims) return `the shape of \`${site.text}\` is ${shape ? describe(shape) : 'missing'}, not known statically`;
  const sizes = dims.map(intOf);
  if (sizes.some((d) => d === undefined || d < 1)) return `the shape of \`${site.text}\` is not known statically`;
  const trainable = args.keywords.get('trainable');
  if (trainable && trainable.kind !== 'bool' && trainable.kind !== 'none') return `\`trainable\` of \`${site.text}\` is ${describe(trainable)}, not a known boolean`;
  return { shape: sizes as number[], trainable: trainable?.kind === 'bool' ? trainable.value : true, node: site, owner };
}

function withTrainable(layer: LayerObject, trainable: boolean): LayerObject {
  if (!trainable && layer.config?.kind === 'object') layer.config.props.set('trainable', { kind: 'bool', value: false });
  return layer;
}

/** the weight as a kernel: a dense op of its [in, out] shape, no bias */
export function kernelLayer(w: KerasWeight, make: (type: string, config: LayerObject['config']) => LayerObject): LayerObject {
  w.read = true;
  return (w.kernel ??= withTrainable(make('add_weight()', opConfig('dense', { units: w.shape[1]!, bias: false, activation: 'linear' })), w.trainable));
}

/** the weight as a tensor of the graph (a bias, a scale): the `param` op, its values the parameters */
export function tensorLayer(w: KerasWeight, make: (type: string, config: LayerObject['config']) => LayerObject): LayerObject {
  w.read = true;
  return (w.tensor ??= withTrainable(make('add_weight()', opConfig('param', { shape: [...w.shape] })), w.trainable));
}

/** what custom layers need of the Keras host */
export interface CustomLayerHost {
  readonly diagnostics: KerasDiagnostic[];
  readonly interp: Interpreter;
  nextSerial(): number;
  layerObject(type: string, site: Node, config?: LayerObject['config']): LayerObject;
  applyObject(layer: LayerObject, inputs: readonly SymbolicTensor[], site: Node): PyValue;
  symbolicArgs(x: PyValue | undefined): SymbolicTensor[] | undefined;
  /** inside call(), what memlens cannot follow stops the model there; elsewhere it is an unknown */
  stopOr(site: Node, reason: string): PyValue;
  /** the layer's weights are not known: the model holding it gets no figure */
  poison(layer: Instance, node: Node, reason: string): void;
}

/** custom layers' shapes, build() and weights, for the Keras host */
export class CustomLayers {
  constructor(private readonly host: CustomLayerHost) {}

  /** the weight a value is, if it is one */
  weight(v: PyValue | undefined): KerasWeight | undefined {
    return v?.kind === 'instance' ? this.weights.get(v) : undefined;
  }

  isBuilt(inst: Instance): boolean {
    return this.builtLayers.has(inst);
  }

  private readonly weights = new WeakMap<Instance, KerasWeight>();
  private readonly weightsOf = new WeakMap<Instance, Instance[]>();
  private readonly builtLayers = new WeakSet<Instance>();

  /** `x.shape` of a symbolic tensor: (None, ...) from the graph up to it */
  shapeValue(t: SymbolicTensor, site: Node): PyValue {
    const shape = shapeOf(t);
    if (typeof shape === 'string') return this.host.stopOr(site, `\`${site.text}\`: ${shape}`);
    return { kind: 'tuple', items: [NONE, ...shape.map((d): PyValue => ({ kind: 'int', value: d }))] };
  }

  addWeight(owner: Instance, args: CallArgs, site: Node): PyValue {
    const w = weightOf(args, site, owner);
    if (typeof w === 'string') {
      const reason = `${w}; the layer's weights are not known`;
      this.host.poison(owner, site, reason);
      return unknown(site, reason);
    }
    const inst: Instance = { kind: 'instance', cls: this.weightClass, attrs: new Map() };
    this.weights.set(inst, w);
    const list = this.weightsOf.get(owner) ?? [];
    list.push(inst);
    this.weightsOf.set(owner, list);
    return inst;
  }

  private readonly weightClass: ClassValue = { kind: 'class', name: 'Variable', bases: [], attrs: new Map(), isModule: false };

  readTensor(w: KerasWeight, site: Node): SymbolicTensor {
    if (w.kernel) throw new TraceStop(site, 'a weight read both as a matmul kernel and as a tensor is not modelled by memlens yet');
    return { kind: 'tensor', serial: this.host.nextSerial(), producer: { kind: 'apply', layer: tensorLayer(w, (type, config) => this.host.layerObject(type, w.node, config)), inputs: [], site } };
  }

  readKernel(w: KerasWeight, x: SymbolicTensor, site: Node): PyValue {
    if (w.tensor) return this.host.stopOr(site, 'a weight read both as a matmul kernel and as a tensor is not modelled by memlens yet');
    if (w.shape.length !== 2) return this.host.stopOr(site, `\`${site.text}\`: a matrix product with a ${w.shape.length}-D weight is not modelled by memlens yet`);
    const shape = shapeOf(x);
    if (typeof shape !== 'string' && shape[shape.length - 1] !== w.shape[0]) {
      this.host.diagnostics.push({ node: site, message: `\`${site.text}\`: the input's last axis is ${shape[shape.length - 1]}, the weight [${w.shape.join(', ')}] needs ${w.shape[0]} (TensorFlow raises)`, error: true });
      return this.host.stopOr(site, 'the matrix product does not fit');
    }
    return this.host.applyObject(kernelLayer(w, (type, config) => this.host.layerObject(type, w.node, config)), [x], site);
  }

  /** Keras calls a layer's own build(input_shape) once, before its first call() */
  buildOnce(inst: Instance, args: CallArgs, site: Node): void {
    if (this.builtLayers.has(inst)) return;
    this.builtLayers.add(inst);
    const found = lookupClassAttr(inst.cls, 'build');
    if (!found || found.value.kind !== 'function') return;
    const x = args.positional[0] ?? args.keywords.get('inputs');
    const ts = this.host.symbolicArgs(x);
    if (!ts) throw new TraceStop(site, `the input shape ${inst.cls.name}.build() gets is not known`);
    const shapes = ts.map((t) => this.shapeValue(t, site));
    const inputShape = x?.kind === 'instance' ? shapes[0]! : { kind: 'list' as const, items: shapes };
    this.host.interp.callFunction({ ...found.value, self: inst }, { positional: [inputShape], keywords: new Map() }, site);
  }

  /** every weight a layer made must be read by its call(): memlens counts weights through the ops that read them */
  checkWeightsRead(inst: Instance, site: Node): void {
    const unread = (this.weightsOf.get(inst) ?? []).map((w) => this.weights.get(w)!).find((w) => !w.read);
    if (unread) throw new TraceStop(unread.node, `${inst.cls.name}.call() does not read the weight made at \`${unread.node.text}\` (Keras counts it; memlens counts weights through the ops that read them)`);
  }
}
