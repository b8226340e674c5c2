// Model descriptions -> IR graphs: one GraphBuilder per model, layers planned by layers.ts,
// shared layer objects counted once, `trainable: false` moved to the non-trainable count.
import type { SyntaxNode as Node } from './syntax';
import { BUILTIN_DEFAULTS, mergeConfig, type ConfigOverrides } from '../config';
import type { CoreDiagnostic, Graph, ModelConfig, OpId, OpNode, Optimizer, SourceRange, TensorId } from '../ir';
import { GraphBuilder, isRejection } from '../graphBuilder';
import type { SourceRef } from '../frontend';
import type { ArgValue } from '../ops/types';
import { TFJS_CODES } from './codes';
import { declaredInputShape, inputDType, planLayer, type LayerProblem } from './layers';
import { describe, upstreamTensors, type CustomLayer, type InputProducer, type LayerObject, type ModelObject, type SymbolicTensor, type Unknown, type Value } from './values';

export function rangeOfNode(node: Node): SourceRange {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** one application of a layer in a graph: what hover and the oracle tests look up */
export interface LayerApplication {
  readonly layer: LayerObject;
  readonly ops: readonly OpId[];
  readonly output: TensorId;
  /** every tensor the call returns (several with returnState); the first is `output` */
  readonly outputs: readonly TensorId[];
  readonly site: Node;
}

/** a functional-API variable bound to a tensor of the graph (`const a = encoder.apply(x)`) */
export interface TensorBinding {
  readonly node: Node;
  readonly tensor: TensorId;
}

export interface BuiltModel {
  readonly model: ModelObject;
  readonly graph?: Graph;
  readonly applications: readonly LayerApplication[];
  readonly tensorBindings?: readonly TensorBinding[];
}

export interface BuildResult {
  readonly models: BuiltModel[];
  readonly diagnostics: CoreDiagnostic[];
}

class BuildStop extends Error {}

const NESTED_MODEL_GAP = 'a model applied as a layer (tf.js runs it inside one tidy)';

/** tf.js optimizers by the number of state values they keep per weight (see docs/tfjs.md) */
function optimizerOf(value: Value): Optimizer | 'unknown' | undefined {
  let name: string;
  let momentum: Value | undefined;
  if (value.kind === 'string') name = value.value;
  else if (value.kind === 'optimizer') {
    name = value.name;
    momentum = value.momentum;
  } else if (value.kind === 'unknown') return 'unknown';
  else return undefined;
  switch (name.toLowerCase()) {
    case 'sgd':
      return { kind: 'sgd', momentum: 0 };
    case 'momentum': {
      // a momentum optimizer keeps one value per weight whatever its factor; Infinity or NaN is not kept
      const m = momentum?.kind === 'number' && Number.isFinite(momentum.value) ? momentum.value : 0.9;
      return { kind: 'sgd', momentum: m > 0 ? m : 0.9 };
    }
    case 'adagrad':
      // one accumulator per weight: the same state size as SGD with momentum
      return { kind: 'sgd', momentum: 0.9 };
    case 'adam':
    case 'adamax':
    case 'adadelta':
    case 'rmsprop':
      // two state values per weight (tf.js RMSProp keeps mean squares and moments)
      return { kind: 'adam', momentum: 0 };
    default:
      return undefined;
  }
}

class ModelBuilder {
  private readonly builder: GraphBuilder;
  readonly applications: LayerApplication[] = [];
  readonly tensorBindings: TensorBinding[] = [];
  /** first application of each layer object in this graph: its ops carry the weights */
  private readonly firstOps = new Map<LayerObject, readonly OpId[]>();
  private readonly frozen = new Set<OpId>();
  /** ops whose options the TensorFlow.js profile does not model (Graph.profileGaps) */
  private readonly profileGaps = new Map<OpId, string>();
  /** ops tf.js runs other than as the op alone (Graph.profileAs) */
  private readonly profileAs = new Map<OpId, string>();
  /** ops of one layer call that became several ops: the call's first op (Graph.profileLayers) */
  private readonly profileLayers = new Map<OpId, OpId>();
  /** how many of the models being applied as layers are frozen (`model.trainable = false`) */
  private frozenModels = 0;
  /** the models being applied as layers (one that contains itself is reported, not expanded forever) */
  private readonly expanding = new Set<ModelObject>();

  constructor(
    private readonly model: ModelObject,
    /** per layer object, the weights its first application in any graph of the document made */
    private readonly madeWeights: Map<LayerObject, { readonly counts: readonly number[]; readonly shapes: readonly (readonly number[])[] }>,
    config: ModelConfig,
    private readonly diagnostics: CoreDiagnostic[],
    private readonly tensorNames: ReadonlyMap<number, { name: string; node: Node }>,
  ) {
    const nameNode = model.nameNode ?? model.site;
    this.builder = new GraphBuilder(modelName(model), config, rangeOfNode(model.site), rangeOfNode(nameNode));
  }

  private report(problem: LayerProblem): never {
    this.diagnostics.push({ range: rangeOfNode(problem.node), severity: problem.severity, code: problem.code, message: this.namingModel(problem) });
    throw new BuildStop();
  }

  /** an information that a model is not analysed always names the model */
  private namingModel(problem: LayerProblem): string {
    if (problem.severity !== 'info') return problem.message;
    const named = `model '${modelName(this.model)}' is not analysed`;
    // a shape query's model (inferTensorShape) has no name of the user's; a message that names the model already says it
    if (this.model.serial < 0 || problem.message.includes(`'${modelName(this.model)}'`)) return problem.message;
    if (problem.message.endsWith('the model is not analysed')) return problem.message.replace(/the model is not analysed$/, named);
    return `${problem.message}; ${named}`;
  }

  private unresolved(u: Unknown, what: string): never {
    this.report({ node: u.node, message: `${what} is not statically resolvable: ${u.reason}; model '${modelName(this.model)}' is not analysed`, code: TFJS_CODES.unresolved, severity: 'info' });
  }

  input(shape: readonly number[], dtype: string | undefined, site: Node, name?: string): TensorId {
    const args: Record<string, ArgValue> = { shape: [...shape] };
    if (dtype) args['dtype'] = dtype;
    const r = this.builder.add({ op: 'input', inputs: [], args, site: rangeOfNode(site), statement: rangeOfNode(site), ...(name ? { name } : {}) });
    if (isRejection(r)) this.report({ node: site, message: `input: ${r.message}`, code: TFJS_CODES.shape, severity: 'error' });
    return r;
  }

  /** a layer call: every tensor it returns (a model used as a layer: its layers applied in its place) */
  apply(layer: LayerObject, inputs: readonly TensorId[], site: Node, statement: Node, name?: string): readonly TensorId[] {
    if (layer.custom) return [this.applyCustom(layer, layer.custom, inputs, site, statement, name)];
    if (layer.model) return this.applyModel(layer.model, inputs, site, statement);
    const shapes = inputs.map((id) => this.builder.shapeOf(id));
    const plan = planLayer(layer, shapes);
    if (!plan.ok) this.report(plan.problem);
    const shared = this.firstOps.get(layer);
    const ops: OpId[] = [];
    let current: readonly TensorId[] = inputs;
    // the layer's inputs, then each step's output: what a step's `from` and the plan's outputs index
    const produced: TensorId[] = [...inputs];
    plan.steps.forEach((step, i) => {
      const last = i === plan.steps.length - 1;
      const r = this.builder.add({
        op: step.op,
        inputs: step.from ? step.from.map((j) => produced[j]!) : current,
        args: step.args,
        site: rangeOfNode(site),
        statement: rangeOfNode(statement),
        ...(last && name && !plan.outputs ? { name } : {}),
        ...(shared?.[i] !== undefined ? { sharesParamsWith: shared[i] } : {}),
      });
      if (isRejection(r)) {
        const got = shapes.map((s) => `[${s.join(', ')}]`).join(', ');
        this.report({ node: site, message: `${layer.type} cannot be applied to ${got}: ${r.message}`, code: TFJS_CODES.shape, severity: 'error' });
      }
      ops.push(r);
      produced.push(r);
      if (step.profileGap) this.profileGaps.set(r, step.profileGap);
      if (step.profileAs) this.profileAs.set(r, step.profileAs);
      if (!plan.trainable || this.frozenModels > 0) this.frozen.add(r);
      current = [r];
    });
    if (ops.length > 1) for (const op of ops) this.profileLayers.set(op, ops[0]!);
    if (!shared) {
      this.firstOps.set(layer, ops);
      this.checkWeights(layer, ops, shapes, site);
    }
    const outputs = plan.outputs ? plan.outputs.map((j) => produced[j]!) : [current[0]!];
    this.applications.push({ layer, ops, output: outputs[0]!, outputs, site });
    return outputs;
  }

  /**
   * whether `model`'s weights are trained by the model compiled at `compiledAt`: tf.js' compile()
   * collects the weights trainable at that moment and trains those (the last value set before it;
   * the last one of all when the model is never compiled)
   */
  trainableWhenCompiled(model: ModelObject, compiledAt: number | undefined): boolean {
    const set = (model.trainableSets ?? []).filter((t) => compiledAt === undefined || t.serial < compiledAt).pop();
    if (!set) return true;
    if (set.value.kind === 'unknown') this.unresolved(set.value, `model '${modelName(model)}'.trainable`);
    if (set.value.kind !== 'bool') this.report({ node: set.node, message: `model '${modelName(model)}'.trainable must be true or false, got ${describe(set.value)}`, code: TFJS_CODES.invalidConfig, severity: 'error' });
    return set.value.value;
  }

  /**
   * a layer object's weights are made once, for the first tensor it is applied to in any graph (a
   * model used as a layer in another model reuses its own): an application in another graph that
   * would need other weights does not fit them (tf.js builds the symbolic graph and fails when it runs)
   */
  private checkWeights(layer: LayerObject, ops: readonly OpId[], shapes: readonly (readonly number[])[], site: Node): void {
    const counts = ops.map((id) => {
      const p = this.builder.paramsOf(id);
      return p.trainable + p.nonTrainable;
    });
    const made = this.madeWeights.get(layer);
    if (!made) {
      this.madeWeights.set(layer, { counts, shapes });
      return;
    }
    if (made.counts.length === counts.length && made.counts.every((n, i) => n === counts[i])) return;
    const total = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
    const list = (ss: readonly (readonly number[])[]): string => ss.map((x) => `[${x.join(', ')}]`).join(', ');
    this.report({
      node: site,
      message: `${layer.type} was built for ${list(made.shapes)} (${total(made.counts)} parameters); applied here to ${list(shapes)} it would need ${total(counts)}: its weights do not fit (tf.js fails when the model runs)`,
      code: TFJS_CODES.shape,
      severity: 'error',
    });
  }

  /** a call that must return one tensor (a layer of a sequential model, a tensor with no output index) */
  private applyOne(layer: LayerObject, inputs: readonly TensorId[], site: Node, statement: Node, name?: string): TensorId {
    const outputs = this.apply(layer, inputs, site, statement, name);
    if (outputs.length !== 1) {
      this.report({ node: site, message: `${layer.model ? `model '${modelName(layer.model)}'` : layer.type} returns ${outputs.length} tensors here, where one is needed (a layer of a sequential model must have one output; tf.js throws)`, code: TFJS_CODES.invalidConfig, severity: 'error' });
    }
    return outputs[0]!;
  }

  /** a model used as a layer: its layer objects (and so its weights, counted once) applied to `inputs` */
  private applyModel(inner: ModelObject, inputs: readonly TensorId[], site: Node, statement: Node): readonly TensorId[] {
    const label = `model '${modelName(inner)}', applied here as a layer,`;
    if (this.expanding.has(inner) || inner === this.model) this.report({ node: site, message: `${label} contains itself`, code: TFJS_CODES.invalidConfig, severity: 'error' });
    if (inner.poisoned) this.report({ node: site, message: `${label} is not analysed: ${inner.poisoned.reason}`, code: TFJS_CODES.unresolved, severity: 'info' });
    const frozen = !this.trainableWhenCompiled(inner, this.model.compiledAt);
    this.expanding.add(inner);
    if (frozen) this.frozenModels++;
    const first = this.applications.length;
    try {
      return this.expandModel(inner, inputs, site, statement, label);
    } finally {
      this.expanding.delete(inner);
      if (frozen) this.frozenModels--;
      // tf.js runs a nested model's call inside one tidy, which keeps its intermediates to the end of the
      // call (measured 0.75-0.99 of the inlined replay's figure): the profile does not replay it
      for (const app of this.applications.slice(first)) for (const op of app.ops) if (!this.profileGaps.has(op)) this.profileGaps.set(op, NESTED_MODEL_GAP);
    }
  }

  private expandModel(inner: ModelObject, inputs: readonly TensorId[], site: Node, statement: Node, label: string): readonly TensorId[] {
    if (inner.style === 'sequential') {
      if (inner.layers.length === 0) this.report({ node: site, message: `${label} has no layers memlens can see${inner.escaped ? `: ${inner.escaped.reason}` : ''}`, code: TFJS_CODES.unresolved, severity: 'info' });
      if (inputs.length !== 1) this.report({ node: site, message: `${label} is a sequential model: it takes one tensor, got ${inputs.length}`, code: TFJS_CODES.shape, severity: 'error' });
      let x = inputs[0]!;
      inner.layers.forEach((entry, i) => {
        if (i === 0 && entry.layer.type === 'inputLayer') return;
        x = this.applyOne(entry.layer, [x], site, statement);
      });
      return [x];
    }
    const outputs = this.tensors(inner.outputs, 'outputs', inner, site);
    const declared = this.tensors(inner.inputs, 'inputs', inner, site);
    if (declared.length !== inputs.length) this.report({ node: site, message: `${label} takes ${declared.length} input${declared.length === 1 ? '' : 's'}, got ${inputs.length} (tf.js throws)`, code: TFJS_CODES.shape, severity: 'error' });
    const built = new Map<number, TensorId>(declared.map((t, i) => [t.serial, inputs[i]!]));
    return this.walk(outputs, built, site, statement, (t) =>
      this.report({ node: t.producer.site, message: `${label} reads this tf.input, which is not among its inputs`, code: TFJS_CODES.shape, severity: 'error' }),
    );
  }

  /**
   * the graph of `outputs`, producers in creation order (deep chains do not recurse deeply); `built`
   * holds what is known already; several tensors of one call (returnState) come from one application
   */
  private walk(outputs: readonly SymbolicTensor[], built: Map<number, TensorId>, site: Node | undefined, statement: Node | undefined, input: (t: SymbolicTensor, p: InputProducer) => TensorId, bind = false): TensorId[] {
    const calls = new Map<number, readonly TensorId[]>();
    const visit = (t: SymbolicTensor): TensorId => {
      const done = built.get(t.serial);
      if (done !== undefined) return done;
      const p = t.producer;
      let id: TensorId;
      if (p.kind === 'input') id = input(t, p);
      else {
        const args = [p.layer, p.inputs.map(visit), site ?? p.site, statement ?? p.site] as const;
        if (p.output) {
          let outs = calls.get(p.output.call);
          if (!outs) calls.set(p.output.call, (outs = this.apply(...args)));
          const picked = outs[p.output.index];
          if (picked === undefined) this.report({ node: p.site, message: `${p.layer.type} returns ${outs.length} tensors here, not ${p.output.index + 1}`, code: TFJS_CODES.invalidConfig, severity: 'error' });
          id = picked;
        } else id = this.applyOne(...args, site ? undefined : (this.tensorName(t) ?? layerName(p.layer)));
      }
      built.set(t.serial, id);
      const bound = bind ? this.tensorNames.get(t.serial) : undefined;
      if (bound) this.tensorBindings.push({ node: bound.node, tensor: id });
      return id;
    };
    for (const t of upstreamTensors(outputs)) visit(t);
    return outputs.map(visit);
  }

  /**
   * A custom layer (a class of the file extending tf.layers.Layer): one op with the output shape
   * its computeOutputShape() gives and the weights its build() made; what its call() computes
   * inside is not modelled, so the TensorFlow.js profile does not replay it.
   */
  private applyCustom(layer: LayerObject, custom: CustomLayer, inputs: readonly TensorId[], site: Node, statement: Node, name?: string): TensorId {
    const plan = custom.plan(inputs.map((id) => this.builder.shapeOf(id)));
    if (!plan.ok) this.unresolved(plan.problem, `custom layer ${custom.className}`);
    const shared = this.firstOps.get(layer);
    const count = (trainable: boolean): number => plan.weights.filter((w) => w.trainable === trainable).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    const r = this.builder.add({
      op: 'opaque',
      inputs,
      args: { shape: [...plan.outputShape], trainable: count(true), non_trainable: count(false) },
      site: rangeOfNode(site),
      statement: rangeOfNode(statement),
      ...(name ? { name } : {}),
      ...(shared?.[0] !== undefined ? { sharesParamsWith: shared[0] } : {}),
    });
    if (isRejection(r)) this.report({ node: site, message: `${custom.className}: ${r.message}`, code: TFJS_CODES.shape, severity: 'error' });
    this.profileGaps.set(r, `custom layer ${custom.className}: its call() is not replayed`);
    if (!shared) this.firstOps.set(layer, [r]);
    this.applications.push({ layer, ops: [r], output: r, outputs: [r], site });
    return r;
  }

  build(outputs: readonly TensorId[]): Graph {
    const built = this.builder.build(outputs);
    const graph: Graph = {
      ...built,
      ...(this.profileGaps.size > 0 ? { profileGaps: new Map(this.profileGaps) } : {}),
      ...(this.profileAs.size > 0 ? { profileAs: new Map(this.profileAs) } : {}),
      ...(this.profileLayers.size > 0 ? { profileLayers: new Map(this.profileLayers) } : {}),
    };
    if (this.frozen.size === 0) return graph;
    const ops = graph.ops.map((op): OpNode =>
      this.frozen.has(op.id) ? { ...op, params: { trainable: 0, nonTrainable: op.params.trainable + op.params.nonTrainable } } : op,
    );
    return { ...graph, ops };
  }

  /** the per-sample shape of a tensor of this graph */
  shapeOf(id: TensorId): readonly number[] {
    return this.builder.shapeOf(id);
  }

  tensorName(t: SymbolicTensor): string | undefined {
    return this.tensorNames.get(t.serial)?.name;
  }

  /** the model's own graph; all of it frozen when the model was not trainable when compiled */
  buildOwn(): Graph {
    const frozen = !this.trainableWhenCompiled(this.model, this.model.compiledAt);
    if (frozen) this.frozenModels++;
    return this.model.style === 'sequential' ? this.buildSequential() : this.buildFunctional();
  }

  buildSequential(): Graph {
    const model = this.model;
    const first = model.layers[0]!;
    const declared = this.declaredShape(first.layer);
    if (!declared.ok) this.report(declared.problem);
    if (!declared.shape) {
      this.report({
        node: first.site,
        message: `the first layer of '${modelName(model)}' declares no inputShape or batchInputShape: tf.js infers the shapes at the first call, memlens cannot; add inputShape to analyse the model`,
        code: TFJS_CODES.noInputShape,
        severity: 'info',
      });
    }
    let x = this.input(declared.shape, inputDType(declared.dtype), first.site);
    model.layers.forEach((entry, i) => {
      // tf.layers.inputLayer({inputShape}) declares the input and computes nothing
      if (i === 0 && entry.layer.type === 'inputLayer') return;
      x = this.applyOne(entry.layer, [x], entry.site, entry.statement, layerName(entry.layer));
    });
    return this.build([x]);
  }

  /** the per-sample input a first layer declares; a model as the first layer: its own input */
  private declaredShape(layer: LayerObject): ReturnType<typeof declaredInputShape> {
    const inner = layer.model;
    if (!inner) return declaredInputShape(layer);
    if (this.expanding.has(inner)) return { ok: true, shape: undefined, dtype: undefined };
    if (inner.style === 'sequential') {
      const first = inner.layers[0];
      if (!first) return { ok: true, shape: undefined, dtype: undefined };
      this.expanding.add(inner);
      try {
        return this.declaredShape(first.layer);
      } finally {
        this.expanding.delete(inner);
      }
    }
    const inputs = inner.inputs?.kind === 'array' && inner.inputs.items.length === 1 ? inner.inputs.items[0] : inner.inputs;
    const p = inputs?.kind === 'tensor' ? inputs.producer : undefined;
    const dims = p?.kind === 'input' ? intList(p.shape) : undefined;
    const dtype = p?.kind === 'input' && p.dtype.kind === 'string' ? p.dtype.value : undefined;
    return { ok: true, shape: dims && dims.every((d) => d >= 1) ? dims : undefined, dtype };
  }

  buildFunctional(): Graph {
    const model = this.model;
    const outputs = this.tensors(model.outputs, 'outputs');
    const declaredInputs = this.tensors(model.inputs, 'inputs');
    const built = new Map<number, TensorId>();
    const input = (t: SymbolicTensor, p: InputProducer): TensorId => {
      if (!declaredInputs.includes(t)) {
        this.report({ node: p.site, message: `this tf.input is used by '${modelName(model)}' but is not among its inputs`, code: TFJS_CODES.shape, severity: 'error' });
      }
      const shape = p.shape;
      if (shape.kind === 'unknown') this.unresolved(shape, 'the input shape');
      // `tf.input({shape: [latentSize]})` with a size known only at run time is not a bad config
      const unknownDim = shape.kind === 'array' ? shape.items.find((d) => d.kind === 'unknown') : undefined;
      if (unknownDim?.kind === 'unknown') this.unresolved(unknownDim, 'the input shape');
      const dims = intList(shape);
      if (!dims) this.report({ node: p.site, message: 'tf.input needs shape: a list of integers (null only for the batch)', code: TFJS_CODES.invalidConfig, severity: 'error' });
      if (dims.some((d) => d < 1)) this.report({ node: p.site, message: `the input shape [${dims.join(', ')}] has a free dimension: memlens needs every per-sample size`, code: TFJS_CODES.unresolved, severity: 'info' });
      const dtype = p.dtype.kind === 'string' ? p.dtype.value : undefined;
      return this.input(dims, inputDType(dtype), p.site, this.tensorName(t));
    };
    const ids = this.walk(outputs, built, undefined, undefined, input, true);
    // an input no output depends on is still an input of the model
    this.walk(declaredInputs.filter((t) => !built.has(t.serial)), built, undefined, undefined, input, true);
    return this.build(ids);
  }

  private tensors(value: Value | undefined, what: string, model: ModelObject = this.model, site: Node = model.site): SymbolicTensor[] {
    const where = model === this.model ? 'tf.model' : `model '${modelName(model)}', applied here as a layer:`;
    if (value === undefined) this.report({ node: site, message: `${where} needs ${what}`, code: TFJS_CODES.invalidConfig, severity: 'error' });
    if (value.kind === 'unknown') this.unresolved(value, `the ${what} of ${model === this.model ? 'the model' : `model '${modelName(model)}'`}`);
    if (value.kind === 'tensor') return [value];
    if (value.kind === 'array' && value.items.every((t) => t.kind === 'tensor')) return value.items as SymbolicTensor[];
    const bad = value.kind === 'array' ? value.items.find((t) => t.kind === 'unknown') : undefined;
    if (bad?.kind === 'unknown') this.unresolved(bad, `the ${what} of ${model === this.model ? 'the model' : `model '${modelName(model)}'`}`);
    this.report({ node: site, message: `the ${what} of ${model === this.model ? 'tf.model' : `model '${modelName(model)}'`} are not symbolic tensors memlens can follow`, code: TFJS_CODES.unresolved, severity: 'info' });
  }
}


/** an input's shape; tf.js makes the batch shape as `[null].concat(shape)`, so `shape: 4` is [4] */
function intList(v: Value): number[] | undefined {
  if (v.kind === 'number' && Number.isInteger(v.value)) return [v.value];
  if (v.kind !== 'array') return undefined;
  const out: number[] = [];
  for (const item of v.items) {
    if (item.kind === 'null') out.push(-1);
    else if (item.kind === 'number' && Number.isInteger(item.value)) out.push(item.value);
    else return undefined;
  }
  return out;
}

export function modelName(model: ModelObject): string {
  if (model.name && model.scopeName && model.name !== model.scopeName) return `${model.scopeName}.${model.name}`;
  return model.name ?? model.scopeName ?? `model@${model.site.startPosition.row + 1}`;
}

function layerName(layer: LayerObject): string | undefined {
  const n = layer.config?.kind === 'object' ? layer.config.props.get('name') : undefined;
  return n?.kind === 'string' ? n.value : undefined;
}

/** the model's config: settings, channels-last, then compile()/fit() values, then CLI overrides */
function modelConfig(model: ModelObject, defaults: ModelConfig, overrides: ConfigOverrides | undefined, diagnostics: CoreDiagnostic[]): ModelConfig {
  const own: { -readonly [K in keyof ConfigOverrides]: ConfigOverrides[K] } = { layout: 'nhwc' };
  if (model.optimizer) {
    const opt = optimizerOf(model.optimizer.value);
    if (opt === 'unknown') {
      diagnostics.push({ range: rangeOfNode(model.optimizer.node), severity: 'info', code: TFJS_CODES.unresolved, message: 'the optimizer is not statically resolvable; the memlens settings apply' });
    } else if (opt) own.optimizer = opt;
  }
  if (model.batchSize) {
    const b = model.batchSize.value;
    if (b.kind === 'number' && Number.isInteger(b.value) && b.value >= 1) own.batch = b.value;
    else diagnostics.push({ range: rangeOfNode(model.batchSize.node), severity: 'info', code: TFJS_CODES.unresolved, message: `the batch size is not statically resolvable${b.kind === 'unknown' ? ` (${b.reason})` : ''}; the memlens settings apply` });
  }
  return mergeConfig(defaults, own, overrides);
}

export function buildGraphs(
  models: readonly ModelObject[],
  tensorNames: ReadonlyMap<number, { name: string; node: Node }>,
  defaults: ModelConfig,
  overrides?: ConfigOverrides,
): BuildResult {
  const diagnostics: CoreDiagnostic[] = [];
  const out: BuiltModel[] = [];
  const madeWeights = new Map<LayerObject, { readonly counts: readonly number[]; readonly shapes: readonly (readonly number[])[] }>();
  for (const model of models) {
    if (model.poisoned) {
      diagnostics.push({
        range: rangeOfNode(model.poisoned.node),
        severity: 'info',
        code: TFJS_CODES.controlFlow,
        message: `model '${modelName(model)}' is not analysed: ${model.poisoned.reason}`,
      });
      out.push({ model, applications: [] });
      continue;
    }
    if (model.style === 'sequential' && model.layers.length === 0) {
      if (model.escaped) {
        diagnostics.push({
          range: rangeOfNode(model.escaped.node),
          severity: 'info',
          code: TFJS_CODES.unresolved,
          message: `model '${modelName(model)}' has no layers memlens can see: ${model.escaped.reason}`,
        });
      }
      out.push({ model, applications: [] });
      continue;
    }
    const mb = new ModelBuilder(model, madeWeights, modelConfig(model, defaults, overrides, diagnostics), diagnostics, tensorNames);
    try {
      const graph = mb.buildOwn();
      out.push({ model, graph, applications: mb.applications, tensorBindings: mb.tensorBindings });
    } catch (err) {
      if (!(err instanceof BuildStop)) throw err;
      out.push({ model, applications: mb.applications });
    }
  }
  return { models: out, diagnostics };
}

/** hover / definition entries: each layer call maps to its ops, each model variable to its graph */
export function refsFor(built: readonly BuiltModel[], graphIndex: ReadonlyMap<BuiltModel, number>): SourceRef[] {
  const refs: SourceRef[] = [];
  for (const b of built) {
    const gi = graphIndex.get(b);
    if (gi === undefined || !b.graph) continue;
    const name = b.graph.name;
    const nameRange = b.graph.nameRange;
    refs.push({ range: nameRange, kind: 'model', name, definition: nameRange, isDefinition: true, graph: gi });
    if (b.model.nameNode) refs.push({ range: b.graph.range, kind: 'model', name, definition: nameRange, isDefinition: false, graph: gi });
    const bySite = new Map<string, { range: SourceRange; name: string; ops: OpId[]; tensors: TensorId[] }>();
    const add = (node: Node, label: string, app: LayerApplication): void => {
      const key = `${node.startIndex}:${node.endIndex}`;
      let entry = bySite.get(key);
      if (!entry) {
        entry = { range: rangeOfNode(node), name: label, ops: [], tensors: [] };
        bySite.set(key, entry);
      }
      entry.ops.push(...app.ops);
      entry.tensors.push(app.output);
    };
    for (const app of b.applications) {
      const label = layerName(app.layer) ?? app.layer.type;
      add(app.site, label, app);
      if (app.layer.site.startIndex !== app.site.startIndex || app.layer.site.endIndex !== app.site.endIndex) add(app.layer.site, label, app);
    }
    for (const e of bySite.values()) refs.push({ range: e.range, kind: 'op', name: e.name, isDefinition: false, graph: gi, ops: e.ops, tensors: e.tensors });
    // variables of the functional API: one entry per identifier, every tensor it was bound to
    const byName = new Map<string, { node: Node; tensors: TensorId[] }>();
    for (const t of b.tensorBindings ?? []) {
      const key = `${t.node.startIndex}:${t.node.endIndex}`;
      const entry = byName.get(key) ?? { node: t.node, tensors: [] };
      entry.tensors.push(t.tensor);
      byName.set(key, entry);
    }
    for (const e of byName.values()) {
      const range = rangeOfNode(e.node);
      refs.push({ range, kind: 'tensor', name: e.node.text, definition: range, isDefinition: true, graph: gi, tensors: e.tensors });
    }
  }
  return refs;
}

/** a symbolic tensor's per-sample shape (-1: a free dimension), or why it has none */
export type ShapeResult = { readonly ok: true; readonly shape: readonly number[] } | { readonly ok: false; readonly node: Node; readonly reason: string };

/**
 * The shape of a symbolic tensor while the builder is still running (`x.shape` in a block
 * helper): each tensor upstream of it is planned and shape-checked by the same ModelBuilder as
 * the final graph, one layer application at a time on its inputs' shapes, and cached by serial.
 */
export function inferTensorShape(t: SymbolicTensor, cache: Map<number, ShapeResult>): ShapeResult {
  const config = mergeConfig(BUILTIN_DEFAULTS, { layout: 'nhwc' });
  for (const u of upstreamTensors([t])) {
    if (cache.has(u.serial)) continue;
    cache.set(u.serial, shapeOfOne(u, cache, config));
  }
  return cache.get(t.serial)!;
}

function shapeOfOne(t: SymbolicTensor, cache: ReadonlyMap<number, ShapeResult>, config: ModelConfig): ShapeResult {
  const p = t.producer;
  if (p.kind === 'input') {
    if (p.shape.kind === 'unknown') return { ok: false, node: p.shape.node, reason: p.shape.reason };
    const unknownDim = p.shape.kind === 'array' ? p.shape.items.find((d) => d.kind === 'unknown') : undefined;
    if (unknownDim?.kind === 'unknown') return { ok: false, node: unknownDim.node, reason: unknownDim.reason };
    const dims = intList(p.shape);
    return dims ? { ok: true, shape: dims } : { ok: false, node: p.site, reason: 'tf.input needs shape: a list of integers' };
  }
  const inputs: (readonly number[])[] = [];
  for (const i of p.inputs) {
    const r = cache.get(i.serial)!;
    if (!r.ok) return r;
    if (r.shape.some((d) => d < 0)) return { ok: false, node: p.site, reason: `its input has a free dimension [${r.shape.map((d) => (d < 0 ? 'null' : d)).join(', ')}]` };
    inputs.push(r.shape);
  }
  const model: ModelObject = { kind: 'model', serial: -1, style: 'functional', site: p.site, layers: [] };
  const diagnostics: CoreDiagnostic[] = [];
  // a throwaway builder: the weights it makes are not the document's
  const mb = new ModelBuilder(model, new Map(), config, diagnostics, new Map());
  try {
    const ids = p.inputs.map((i, k) => mb.input(inputs[k]!, i.producer.kind === 'input' && i.producer.dtype.kind === 'string' ? inputDType(i.producer.dtype.value) : undefined, p.site));
    const outputs = mb.apply(p.layer, ids, p.site, p.site);
    const output = outputs[p.output?.index ?? 0];
    if (output === undefined) return { ok: false, node: p.site, reason: 'the layer returns fewer tensors than asked for' };
    return { ok: true, shape: mb.shapeOf(output) };
  } catch (err) {
    if (!(err instanceof BuildStop)) throw err;
    return { ok: false, node: p.site, reason: `its shape is not known: ${diagnostics[0]?.message ?? 'the layer does not fit its input'}` };
  }
}
