// The Keras models a Python file built -> graphs, through the tf.js frontend's graph builder
// (tfjs/graphs.ts) and its Keras layer table: the file's compile / fit give each model its mode,
// optimizer and batch; what is not understood is an information diagnostic where it is written.
import { mergeConfig, type ConfigOverrides } from '../config';
import type { SourceRef } from '../frontend';
import type { CoreDiagnostic, Graph, ModelConfig, Optimizer, SourceRange } from '../ir';
import { buildGraphs, rangeOfNode, refsFor, type BuiltModel } from '../tfjs/graphs';
import { TFJS_CODES } from '../tfjs/codes';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { ModelObject, Value } from '../tfjs/values';
import { PY_CODES } from './codes';
import { samplesOf, type KerasBatchSite } from './kerasExamples';
import type { KerasHost } from './kerasHost';
import { isFunctional, type KerasModel, type RunCall } from './kerasTypes';
import { camelToSnake } from './kerasNames';
import { describe, intOf, numberOf, type PyValue } from './values';

/** Keras' batch when model.fit() is given none */
export const KERAS_DEFAULT_BATCH = 32;

export interface KerasResult {
  readonly graphs: Graph[];
  readonly refs: SourceRef[];
  readonly diagnostics: CoreDiagnostic[];
  readonly built: BuiltModel[];
  readonly batchSites: KerasBatchSite[];
}

/** tf.js frontend codes -> the Python frontend's: a layer that does not fit is an error, the rest not understood */
const ERROR_CODES: ReadonlySet<string> = new Set([TFJS_CODES.shape, TFJS_CODES.invalidConfig]);

export function kerasGraphs(host: KerasHost, defaults: ModelConfig, overrides: ConfigOverrides | undefined, isLocal: (n: Node) => boolean, firstIndex: number): KerasResult {
  const out: KerasResult = { graphs: [], refs: [], diagnostics: [], built: [], batchSites: [] };
  const info = (node: Node, message: string, code: string = PY_CODES.unresolved): void => {
    if (isLocal(node)) out.diagnostics.push({ range: rangeOfNode(node), severity: 'info', code, message });
  };
  host.applyTrainable();
  for (const d of host.diagnostics) {
    if (isLocal(d.node)) out.diagnostics.push({ range: rangeOfNode(d.node), severity: d.error ? 'error' : 'info', code: d.error ? PY_CODES.shape : PY_CODES.unresolved, message: d.message });
  }
  // every graph is followed before any is reported: a model used inside a later one is nested, not missing its input
  const ios = host.models.map((model) => (isLocal(model.site) ? modelIO(host, model) : undefined));
  for (const [i, model] of host.models.entries()) {
    if (!isLocal(model.site)) continue;
    const name = modelName(model);
    const label = `model '${name}' (${host.describeModel(model)})`;
    const io = ios[i];
    if (io === undefined) {
      if (!model.nested) info(model.name?.node ?? model.site, `${label}: memlens needs its input shape to analyse it: ${howToGiveInput(model)}`, PY_CODES.noInput);
      continue;
    }
    if ('stop' in io) {
      const where = isLocal(io.stop.node) ? '' : ` (line ${io.stop.node.startPosition.row + 1} of an imported file)`;
      info(where ? model.site : io.stop.node, `${label}: ${io.stop.reason}${where}; the model is not analysed`);
      continue;
    }
    const object: ModelObject = {
      kind: 'model',
      serial: 0,
      style: 'functional',
      site: model.site,
      layers: [],
      inputs: { kind: 'array', items: io.inputs },
      outputs: host.valueOf(io.outputs, model.site, 'outputs'),
      name: model.name?.node.text ?? name,
      ...(model.name ? { nameNode: model.name.node } : {}),
      ...(model.name?.scope.functionName ? { scopeName: model.name.scope.functionName } : {}),
    };
    const run = batchOf(model);
    // a batch_size memlens cannot read: the tf.js builder says so where it is written
    if (run.unread) object.batchSize = { value: host.valueOf(run.unread.value, run.unread.node, 'batch_size'), node: run.unread.node };
    const own = ownConfig(host, model, run.batch, info);
    // Keras runs on TensorFlow, never on PyTorch: its closest profile is TensorFlow.js' (the same layers)
    const framework: ConfigOverrides = defaults.framework === 'pytorch' ? { framework: 'tfjs' } : {};
    const result = buildGraphs([object], host.tensorNames, mergeConfig(defaults, framework, own), overrides);
    const elsewhere = importedRanges(object, isLocal);
    for (const d of result.diagnostics) {
      const error = ERROR_CODES.has(d.code);
      const imported = elsewhere.has(rangeKey(d.range));
      out.diagnostics.push({
        range: imported ? rangeOfNode(model.site) : d.range,
        severity: error || d.severity === 'error' ? 'error' : 'info',
        code: error ? PY_CODES.shape : PY_CODES.unresolved,
        message: `${camelToSnake(d.message)}${imported ? ` (line ${d.range.start.line + 1} of an imported file)` : ''}`,
      });
    }
    const built = result.models[0]!;
    if (!built.graph) continue;
    out.batchSites.push({ model: built.graph.name, ...run.site });
    const index = firstIndex + out.graphs.length;
    const local = localOnly(built, model.site, isLocal);
    out.graphs.push(local.graph!);
    out.built.push(local);
    for (const r of refsFor([local], new Map([[local, index]]))) out.refs.push(r);
  }
  return out;
}

function modelName(model: KerasModel): string {
  if (!model.name) return `model@${model.site.startPosition.row + 1}`;
  const fn = model.name.scope.functionName;
  return fn ? `${fn}.${model.name.node.text}` : model.name.node.text;
}

function howToGiveInput(model: KerasModel): string {
  if (model.style === 'subclassed') return 'call `model.build((None, ...))` or call the model on `keras.Input(shape=...)`';
  return 'start its layers with `keras.Input(shape=...)`, give the first layer `input_shape=...`, or call `model.build((None, ...))`';
}

function modelIO(host: KerasHost, model: KerasModel): { inputs: Value[]; outputs: PyValue } | { stop: { node: Node; reason: string } } | undefined {
  if (model.stopped) return { stop: model.stopped };
  if (model.style === 'sequential') {
    if (model.layers.length === 0) return { stop: { node: model.site, reason: 'it has no layers' } };
    return host.sequentialIO(model);
  }
  if (!isFunctional(model)) return model.traced;
  const inputs = host.valueOf(model.inputs!, model.site, 'inputs');
  return { inputs: inputs.kind === 'array' ? inputs.items : [inputs], outputs: model.outputs! };
}

/**
 * The batch a model runs at: fit() first (training), then predict() / evaluate(), then a direct
 * call on an example. fit and predict cut x into batches of batch_size (Keras' 32 when none is
 * given), so an array of fewer samples is one batch of them all: min(batch_size, samples).
 * A direct call is one batch of the whole example. With where the batch fix edits it.
 */
function batchOf(model: KerasModel): { batch?: number; unread?: { value: PyValue; node: Node }; site: Omit<KerasBatchSite, 'model'> } {
  const run: RunCall | undefined = model.fit ?? model.predict;
  const example = run ? run.example : model.example;
  const samples = example ? samplesOf(example) : undefined;
  const exampleSite = example ? { example: { samples: samples!, ...(example.firstNode ? { firstNode: example.firstNode } : {}) } } : {};
  if (!run) return { ...(samples !== undefined ? { batch: samples } : {}), site: exampleSite };
  const given = run.batch ? intOf(run.batch.value) : KERAS_DEFAULT_BATCH;
  const call: KerasBatchSite['call'] = run.batch ? (run.batch.node.type === 'integer' ? { literal: run.batch.node } : { unknown: true }) : run.argumentsNode ? { argumentsNode: run.argumentsNode } : { unknown: true };
  const site = { call, ...exampleSite };
  if (given === undefined) return { unread: run.batch!, site };
  return { batch: samples !== undefined ? Math.min(given, samples) : given, site };
}

/** compile() and fit(): training with the optimizer; the batch from batchOf */
function ownConfig(host: KerasHost, model: KerasModel, batch: number | undefined, info: (node: Node, message: string) => void): Partial<{ -readonly [K in keyof ModelConfig]: ModelConfig[K] }> {
  const own: Partial<{ -readonly [K in keyof ModelConfig]: ModelConfig[K] }> = {};
  // training when fit() runs; predict() / evaluate() alone are inference; compile() alone says training
  if (model.fit) own.mode = 'train';
  else if (model.predict) own.mode = 'infer';
  else if (model.compiled) own.mode = 'train';
  if (batch !== undefined && batch > 0) own.batch = batch;
  if (model.optimizer) {
    const opt = optimizerOf(host, model.optimizer.value);
    if (typeof opt === 'string') info(model.optimizer.node, `${opt}; the memlens optimizer setting applies`);
    else own.optimizer = opt;
  }
  return own;
}

/**
 * Keras optimizers by the state they keep per weight: SGD none (momentum: one), Adam, AdamW,
 * Adamax, Nadam and Adadelta two; RMSprop and Adagrad one (counted as SGD with momentum).
 */
function optimizerOf(host: KerasHost, v: PyValue): Optimizer | string {
  const o = host.optimizerOf(v);
  if (!o) return `the optimizer ${describe(v)} is not one memlens knows${v.kind === 'unknown' ? ` (${v.reason})` : ''}`;
  const momentum = o.momentum.kind === 'none' ? 0 : numberOf(o.momentum);
  if (momentum === undefined) return `the momentum of the optimizer is not known statically`;
  // momentum=1e308 * 10 would put Infinity into the model's config (a fuzzer's case)
  if (!Number.isFinite(momentum)) return `the momentum of the optimizer is ${momentum}, not a finite number`;
  switch (o.name.toLowerCase()) {
    case 'sgd':
      return { kind: 'sgd', momentum };
    case 'adam':
    case 'adamax':
    case 'nadam':
    case 'adadelta':
      return { kind: 'adam', momentum: 0 };
    case 'adamw':
      return { kind: 'adamw', momentum: 0 };
    case 'rmsprop':
      if (momentum > 0) return `RMSprop with momentum keeps two values per weight, which memlens does not model yet`;
      return { kind: 'sgd', momentum: 0.9 };
    case 'adagrad':
      return { kind: 'sgd', momentum: 0.9 };
    default:
      return `the optimizer '${o.name}' is not one memlens knows`;
  }
}

function rangeKey(r: SourceRange): string {
  return `${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;
}

/** the ranges of every node of the model's layers and tensors that lies in an imported file */
function importedRanges(model: ModelObject, isLocal: (n: Node) => boolean): Set<string> {
  const out = new Set<string>();
  const seen = new Set<object>();
  const note = (n: Node | undefined): void => {
    if (n && !isLocal(n)) out.add(rangeKey(rangeOfNode(n)));
  };
  const visit = (v: Value | undefined): void => {
    if (!v || seen.has(v)) return;
    seen.add(v);
    if (v.kind === 'unknown') note(v.node);
    else if (v.kind === 'array') v.items.forEach(visit);
    else if (v.kind === 'object') {
      for (const n of v.nodes.values()) note(n);
      for (const x of v.props.values()) visit(x);
    } else if (v.kind === 'layer') {
      note(v.site);
      note(v.configNode);
      visit(v.config);
    } else if (v.kind === 'tensor') {
      note(v.producer.site);
      if (v.producer.kind === 'input') visit(v.producer.shape);
      else {
        visit(v.producer.layer);
        v.producer.inputs.forEach(visit);
      }
    }
  };
  visit(model.outputs);
  visit(model.inputs);
  return out;
}

/**
 * A model whose layers were written in an imported file: their ops point at the call that built
 * the model here, and hover keeps to what this document holds.
 */
function localOnly(built: BuiltModel, site: Node, isLocal: (n: Node) => boolean): BuiltModel {
  const moved = new Set(built.applications.filter((a) => !isLocal(a.site)).flatMap((a) => a.ops));
  if (moved.size === 0) return built;
  const here = rangeOfNode(site);
  const graph = { ...built.graph!, ops: built.graph!.ops.map((op) => (moved.has(op.id) ? { ...op, site: here, statement: here } : op)) };
  return {
    ...built,
    graph,
    applications: built.applications.filter((a) => isLocal(a.site)).map((a) => (isLocal(a.layer.site) ? a : { ...a, layer: { ...a.layer, site: a.site } })),
    ...(built.tensorBindings ? { tensorBindings: built.tensorBindings.filter((t) => isLocal(t.node)) } : {}),
  };
}
