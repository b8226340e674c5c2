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
import { upstreamTensors, type CustomLayer, type LayerObject, type ModelObject, type SymbolicTensor, type Unknown, type Value } from './values';

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
      const m = momentum?.kind === 'number' ? momentum.value : 0.9;
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

  constructor(
    private readonly model: ModelObject,
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

  apply(layer: LayerObject, inputs: readonly TensorId[], site: Node, statement: Node, name?: string): TensorId {
    if (layer.custom) return this.applyCustom(layer, layer.custom, inputs, site, statement, name);
    const shapes = inputs.map((id) => this.builder.shapeOf(id));
    const plan = planLayer(layer, shapes);
    if (!plan.ok) this.report(plan.problem);
    const shared = this.firstOps.get(layer);
    const ops: OpId[] = [];
    let current: readonly TensorId[] = inputs;
    // the layer's inputs, then each step's output: what a step's `from` indexes
    const produced: TensorId[] = [...inputs];
    plan.steps.forEach((step, i) => {
      const last = i === plan.steps.length - 1;
      const r = this.builder.add({
        op: step.op,
        inputs: step.from ? step.from.map((j) => produced[j]!) : current,
        args: step.args,
        site: rangeOfNode(site),
        statement: rangeOfNode(statement),
        ...(last && name ? { name } : {}),
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
      if (!plan.trainable) this.frozen.add(r);
      current = [r];
    });
    if (ops.length > 1) for (const op of ops) this.profileLayers.set(op, ops[0]!);
    if (!shared) this.firstOps.set(layer, ops);
    this.applications.push({ layer, ops, output: current[0]!, site });
    return current[0]!;
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
    this.applications.push({ layer, ops: [r], output: r, site });
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

  buildSequential(): Graph {
    const model = this.model;
    const first = model.layers[0]!;
    const declared = declaredInputShape(first.layer);
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
    for (const entry of model.layers) x = this.apply(entry.layer, [x], entry.site, entry.statement, layerName(entry.layer));
    return this.build([x]);
  }

  buildFunctional(): Graph {
    const model = this.model;
    const outputs = this.tensors(model.outputs, 'outputs');
    const declaredInputs = this.tensors(model.inputs, 'inputs');
    const built = new Map<number, TensorId>();
    const visit = (t: SymbolicTensor): TensorId => {
      const done = built.get(t.serial);
      if (done !== undefined) return done;
      let id: TensorId;
      const p = t.producer;
      if (p.kind === 'input') {
        if (!declaredInputs.includes(t)) {
          this.report({ node: p.site, message: `this tf.input is used by '${modelName(model)}' but is not among its inputs`, code: TFJS_CODES.shape, severity: 'error' });
        }
        const shape = p.shape;
        if (shape.kind === 'unknown') this.unresolved(shape, 'the input shape');
        const dims = intList(shape);
        if (!dims) this.report({ node: p.site, message: 'tf.input needs shape: a list of integers (null only for the batch)', code: TFJS_CODES.invalidConfig, severity: 'error' });
        if (dims.some((d) => d < 1)) this.report({ node: p.site, message: `the input shape [${dims.join(', ')}] has a free dimension: memlens needs every per-sample size`, code: TFJS_CODES.unresolved, severity: 'info' });
        const dtype = p.dtype.kind === 'string' ? p.dtype.value : undefined;
        id = this.input(dims, inputDType(dtype), p.site, this.tensorName(t));
      } else {
        // iterative depth is bounded by the number of tensors created, each visited once
        const inputs = p.inputs.map(visit);
        id = this.apply(p.layer, inputs, p.site, p.site, this.tensorName(t) ?? layerName(p.layer));
      }
      built.set(t.serial, id);
      const bound = this.tensorNames.get(t.serial);
      if (bound) this.tensorBindings.push({ node: bound.node, tensor: id });
      return id;
    };
    // visit producers in creation order so deep chains do not recurse deeply
    for (const t of upstreamTensors(outputs)) visit(t);
    for (const t of declaredInputs) if (!built.has(t.serial)) visit(t);
    return this.build(outputs.map(visit));
  }

  private tensors(value: Value | undefined, what: string): SymbolicTensor[] {
    if (value === undefined) this.report({ node: this.model.site, message: `tf.model needs ${what}`, code: TFJS_CODES.invalidConfig, severity: 'error' });
    if (value.kind === 'unknown') this.unresolved(value, `the model's ${what}`);
    if (value.kind === 'tensor') return [value];
    if (value.kind === 'array' && value.items.every((t) => t.kind === 'tensor')) return value.items as SymbolicTensor[];
    const bad = value.kind === 'array' ? value.items.find((t) => t.kind === 'unknown') : undefined;
    if (bad?.kind === 'unknown') this.unresolved(bad, `the model's ${what}`);
    this.report({ node: this.model.site, message: `the ${what} of tf.model are not symbolic tensors memlens can follow`, code: TFJS_CODES.unresolved, severity: 'info' });
  }
}


function intList(v: Value): number[] | undefined {
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
    const mb = new ModelBuilder(model, modelConfig(model, defaults, overrides, diagnostics), diagnostics, tensorNames);
    try {
      const graph = model.style === 'sequential' ? mb.buildSequential() : mb.buildFunctional();
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
  const mb = new ModelBuilder(model, config, diagnostics, new Map());
  try {
    const ids = p.inputs.map((i, k) => mb.input(inputs[k]!, i.producer.kind === 'input' && i.producer.dtype.kind === 'string' ? inputDType(i.producer.dtype.value) : undefined, p.site));
    return { ok: true, shape: mb.shapeOf(mb.apply(p.layer, ids, p.site, p.site)) };
  } catch (err) {
    if (!(err instanceof BuildStop)) throw err;
    return { ok: false, node: p.site, reason: `its shape is not known: ${diagnostics[0]?.message ?? 'the layer does not fit its input'}` };
  }
}
