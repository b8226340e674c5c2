// Shapes read while the builder runs: `x.shape`, `layer.outputShape`, `model.outputs[0].shape`.
// Each is computed from the layers that made the tensor, by graphs.ts' inferTensorShape (the same
// planning and shape rules as the final graph), and given as tf.js gives it: batch axis first, null.
import type { SyntaxNode as Node } from './syntax';
import { inferTensorShape, type ShapeResult } from './graphs';
import { declaredInputShape } from './layers';
import { NULL, num, unknown, type LayerObject, type ModelObject, type SymbolicTensor, type Value } from './values';

/** what the shape queries of one interpreter share */
export interface ShapeState {
  /** per tensor serial */
  readonly shapes: Map<number, ShapeResult>;
  /** each layer's applications in order, each with every tensor it returned (`layer.outputShape`) */
  readonly layerOutputs: Map<LayerObject, (readonly SymbolicTensor[])[]>;
  /** the chain of tensors of a sequential model, rebuilt when a layer was added */
  readonly chains: Map<ModelObject, { readonly count: number; readonly tensors: readonly SymbolicTensor[] | Value }>;
  /** every model made so far (a layer of a sequential model takes its shape from the model) */
  readonly models: readonly ModelObject[];
  /** a fresh serial (the interpreter's creation order) */
  readonly serial: () => number;
}

function shapeValue(dims: readonly number[]): Value {
  return { kind: 'array', items: [NULL, ...dims.map((d) => (d < 0 ? NULL : num(d)))] };
}

function tensorShape(t: SymbolicTensor, state: ShapeState, node: Node): Value {
  const r = inferTensorShape(t, state.shapes);
  return r.ok ? shapeValue(r.shape) : unknown(node, r.reason);
}

/** `x.shape`, `x.rank`, `x.dtype` of a symbolic tensor */
export function tensorMember(t: SymbolicTensor, name: string, state: ShapeState, node: Node): Value {
  switch (name) {
    case 'shape':
      return tensorShape(t, state, node);
    case 'rank': {
      const s = tensorShape(t, state, node);
      return s.kind === 'array' ? num(s.items.length) : s;
    }
    case 'dtype': {
      const p = t.producer;
      if (p.kind === 'input') return p.dtype.kind === 'string' ? p.dtype : p.dtype.kind === 'unknown' ? p.dtype : { kind: 'string', value: 'float32' };
      return unknown(node, "the dtype of a layer's output is not modelled");
    }
    case 'sourceLayer':
      return t.producer.kind === 'apply' ? t.producer.layer : unknown(node, 'an input has no source layer memlens models');
    default:
      return unknown(node, `tensor.${name} is computed at run time`);
  }
}

/** the tensors of a sequential model: its declared input, then each layer's output */
function sequentialChain(model: ModelObject, state: ShapeState, node: Node): readonly SymbolicTensor[] | Value {
  const kept = state.chains.get(model);
  if (kept && kept.count === model.layers.length) return kept.tensors;
  let tensors: readonly SymbolicTensor[] | Value;
  const first = model.layers[0];
  const declared = first ? declaredInputShape(first.layer) : undefined;
  if (model.poisoned) tensors = unknown(node, model.poisoned.reason);
  else if (!first) tensors = unknown(node, 'the model has no layers yet');
  else if (!declared?.ok || !declared.shape) tensors = unknown(node, 'the first layer declares no inputShape: tf.js knows the shapes only at the first call');
  else {
    const shape: Value = { kind: 'array', items: declared.shape.map((d) => num(d)) };
    const dtype: Value = declared.dtype ? { kind: 'string', value: declared.dtype } : { kind: 'undefined' };
    const chain: SymbolicTensor[] = [{ kind: 'tensor', serial: state.serial(), producer: { kind: 'input', site: first.site, shape, dtype } }];
    for (const entry of model.layers) chain.push({ kind: 'tensor', serial: state.serial(), producer: { kind: 'apply', layer: entry.layer, inputs: [chain[chain.length - 1]!], site: entry.site } });
    tensors = chain;
  }
  state.chains.set(model, { count: model.layers.length, tensors });
  return tensors;
}

function asTensors(v: Value | undefined): SymbolicTensor[] | undefined {
  if (v?.kind === 'tensor') return [v];
  if (v?.kind === 'array' && v.items.every((t) => t.kind === 'tensor')) return v.items as SymbolicTensor[];
  return undefined;
}

/** the shape of one or several tensors: a list of shapes when several, as tf.js' outputShape */
function shapesOf(tensors: readonly SymbolicTensor[], state: ShapeState, node: Node): Value {
  const shapes = tensors.map((t) => tensorShape(t, state, node));
  const bad = shapes.find((s) => s.kind === 'unknown');
  if (bad) return bad;
  return shapes.length === 1 ? shapes[0]! : { kind: 'array', items: shapes };
}

/** the model and layer members that are shapes or tensors; undefined for the others (methods) */
export function modelMember(model: ModelObject, name: string, state: ShapeState, node: Node): Value | undefined {
  if (!['inputs', 'outputs', 'inputShape', 'outputShape', 'layers'].includes(name)) return undefined;
  let inputs: SymbolicTensor[] | undefined;
  let outputs: SymbolicTensor[] | undefined;
  if (model.style === 'sequential') {
    if (name === 'layers') return { kind: 'array', items: model.layers.map((l) => l.layer) };
    const chain = sequentialChain(model, state, node);
    if (!Array.isArray(chain)) return chain as Value;
    inputs = [chain[0]!];
    outputs = [chain[chain.length - 1]!];
  } else {
    if (name === 'layers') return unknown(node, "a functional model's layers (its input layers among them) are not modelled");
    inputs = asTensors(model.inputs);
    outputs = asTensors(model.outputs);
  }
  const wanted = name.startsWith('input') ? inputs : outputs;
  if (!wanted) return unknown(node, `the model's ${name.startsWith('input') ? 'inputs' : 'outputs'} are not symbolic tensors memlens can follow`);
  if (name === 'inputs' || name === 'outputs') return { kind: 'array', items: [...wanted] };
  return shapesOf(wanted, state, node);
}

/** `layer.outputShape` once the layer has been applied (or added to a sequential model) */
export function layerMember(layer: LayerObject, name: string, state: ShapeState, node: Node): Value | undefined {
  if (name !== 'outputShape') return undefined;
  let applications = state.layerOutputs.get(layer) ?? [];
  if (applications.length === 0) {
    for (const model of state.models) {
      if (model.style !== 'sequential' || !model.layers.some((l) => l.layer === layer)) continue;
      const chain = sequentialChain(model, state, node);
      if (!Array.isArray(chain)) return chain as Value;
      const i = model.layers.findIndex((l) => l.layer === layer);
      applications = [[chain[i + 1]!]];
    }
  }
  if (applications.length === 0) return unknown(node, `the ${layer.type} layer's outputShape is known once it is applied`);
  // one shape per application; a layer returning several tensors (returnState) has a list of shapes
  const shapes = applications.map((outputs) => shapesOf(outputs, state, node));
  const bad = shapes.find((s) => s.kind === 'unknown');
  if (bad) return bad;
  const texts = new Set(shapes.map((s) => JSON.stringify(s)));
  return texts.size === 1 ? shapes[0]! : unknown(node, `the ${layer.type} layer is applied to tensors of different shapes: tf.js has no single outputShape`);
}
