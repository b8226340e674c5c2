// The TensorFlow.js API as the interpreter models it: tf.* factories, Math.*, and model and layer methods.
import type { SyntaxNode as Node } from './syntax';
import {
  nextSerial,
  num,
  UNDEFINED,
  unknown,
  type FunctionValue,
  type LayerObject,
  type ModelObject,
  type SymbolicTensor,
  type Value,
} from './values';
import { isNullish, named, parseNumber, statementOf } from './staticValues';
import { ExpressionEvaluator } from './expressions';
import { recurrentOutputCount } from './recurrentLayers';
import { LIMITS } from './interpreterState';

const MATH_FUNCTIONS: Readonly<Record<string, (...xs: number[]) => number>> = {
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  trunc: Math.trunc,
  abs: Math.abs,
  sqrt: Math.sqrt,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  log2: Math.log2,
};

export abstract class TfApi extends ExpressionEvaluator {
  /** implemented in calls.ts */
  abstract callFunction(fn: FunctionValue, args: Value[], site: Node, thisValue?: Value): Value;

  protected callTf(path: string, args: Value[], argNodes: Node[], node: Node): Value {
    if (path.startsWith('#Math.')) {
      const fn = MATH_FUNCTIONS[path.slice(6)];
      if (!fn) return unknown(node, `${path.slice(1)} is computed at run time`);
      const xs: number[] = [];
      for (const a of args) {
        if (a.kind === 'unknown') return unknown(node, a.reason);
        if (a.kind !== 'number') return unknown(node, `${path.slice(1)} of a value that is not a number`);
        xs.push(a.value);
      }
      return num(fn(...xs));
    }
    const config = args[0];
    const configNode = argNodes[0];
    if (path === 'sequential') return this.newSequential(config, node);
    if (path === 'model') {
      const model = this.newModel('functional', node);
      if (config?.kind === 'object') {
        model.inputs = config.props.get('inputs') ?? unknown(configNode ?? node, 'tf.model needs inputs');
        model.outputs = config.props.get('outputs') ?? unknown(configNode ?? node, 'tf.model needs outputs');
      } else {
        model.poisoned = config?.kind === 'unknown' ? config : unknown(configNode ?? node, 'the config of tf.model is not a static object');
      }
      return model;
    }
    if (path === 'input' || path === 'layers.input') {
      const cfg = config?.kind === 'object' ? config : undefined;
      let shape: Value = cfg?.props.get('shape') ?? UNDEFINED;
      if (isNullish(shape) && cfg?.props.has('batchShape')) {
        const b = cfg.props.get('batchShape')!;
        shape = b.kind === 'array' ? { kind: 'array', items: b.items.slice(1) } : b;
      }
      if (config?.kind === 'unknown') shape = config;
      if (isNullish(shape)) shape = unknown(configNode ?? node, 'tf.input needs a shape');
      const t: SymbolicTensor = { kind: 'tensor', serial: nextSerial(), producer: { kind: 'input', site: node, shape, dtype: cfg?.props.get('dtype') ?? UNDEFINED } };
      return t;
    }
    if (path.startsWith('layers.') && path.split('.').length === 2) {
      const layer: LayerObject = {
        kind: 'layer',
        serial: nextSerial(),
        type: path.slice('layers.'.length),
        config: config?.kind === 'object' || config?.kind === 'unknown' ? config : undefined,
        site: node,
        configNode,
      };
      return layer;
    }
    if (path.startsWith('train.')) {
      const name = path.slice('train.'.length);
      return { kind: 'optimizer', name, momentum: args[1] ?? UNDEFINED, centered: args[4] ?? UNDEFINED };
    }
    if (path === 'tidy') {
      const fn = args.find((a) => a.kind === 'function');
      if (fn?.kind === 'function') return this.callFunction(fn, [], node);
    }
    return unknown(node, `tf.${path} is computed at run time`);
  }

  private newModel(style: ModelObject['style'], site: Node): ModelObject {
    this.charge(site, LIMITS.stepsPerModel);
    const model: ModelObject = { kind: 'model', serial: nextSerial(), style, site, layers: [], ...(this.functionName ? { scopeName: this.functionName } : {}) };
    this.models.push(model);
    return model;
  }

  private newSequential(config: Value | undefined, node: Node): ModelObject {
    const model = this.newModel('sequential', node);
    if (config === undefined || isNullish(config)) return model;
    if (config.kind !== 'object') {
      model.poisoned = config.kind === 'unknown' ? config : unknown(node, 'the config of tf.sequential is not a static object');
      return model;
    }
    const layers = config.props.get('layers');
    if (layers === undefined || isNullish(layers)) return model;
    if (layers.kind !== 'array') {
      model.poisoned = layers.kind === 'unknown' ? layers : unknown(config.nodes.get('layers') ?? node, 'the layers are not a static array');
      return model;
    }
    const listNode = config.nodes.get('layers');
    const itemNodes = listNode?.type === 'array' ? named(listNode).filter((n) => n.type !== 'comment') : [];
    layers.items.forEach((item, i) => {
      const itemNode = itemNodes.length === layers.items.length ? itemNodes[i]! : (listNode ?? node);
      if (item.kind === 'layer') model.layers.push({ layer: item, site: item.site, statement: itemNode });
      else if (item.kind === 'model') model.layers.push({ layer: modelLayer(item, itemNode), site: itemNode, statement: itemNode });
      else if (!model.poisoned) model.poisoned = item.kind === 'unknown' ? item : unknown(itemNode, 'this element is not a tf.layers call memlens can follow');
    });
    return model;
  }

  protected callMethod(target: ModelObject | LayerObject, name: string, args: Value[], argNodes: Node[], node: Node): Value {
    if (target.kind === 'layer') {
      if (name !== 'apply') return unknown(node, `layer.${name}() is computed at run time`);
      return this.applyLayer(target, args, argNodes, node);
    }
    const model = target;
    switch (name) {
      case 'add': {
        const layer = args[0];
        if (layer?.kind === 'layer') {
          model.layers.push({ layer, site: layer.site, statement: statementOf(node) });
        } else if (layer?.kind === 'model') {
          // a model added as a layer: its layers run in its place, its weights are its own
          const site = argNodes[0] ?? node;
          model.layers.push({ layer: modelLayer(layer, site), site, statement: statementOf(node) });
        } else if (!model.poisoned) {
          model.poisoned = layer?.kind === 'unknown' ? layer : unknown(argNodes[0] ?? node, 'the added value is not a tf.layers call memlens can follow');
        }
        return UNDEFINED;
      }
      case 'compile': {
        model.compiledAt = nextSerial();
        const cfg = args[0];
        if (cfg?.kind === 'object' && cfg.props.has('optimizer')) model.optimizer = { value: cfg.props.get('optimizer')!, node: cfg.nodes.get('optimizer')! };
        return UNDEFINED;
      }
      case 'fit':
      case 'fitDataset': {
        const cfgIndex = name === 'fit' ? 2 : 1;
        const cfg = args[cfgIndex];
        if (cfg?.kind === 'object' && cfg.props.has('batchSize')) model.batchSize = { value: cfg.props.get('batchSize')!, node: cfg.nodes.get('batchSize')! };
        if (name === 'fitDataset') this.datasetBatch(model, argNodes[0]);
        return unknown(node, 'training history is computed at run time');
      }
      case 'apply':
        return this.applyLayer(modelLayer(model, node), args, argNodes, node);
      default:
        return unknown(node, `model.${name}() is computed at run time`);
    }
  }

  /** `model.trainable = false` (a GAN's discriminator inside the combined model): recorded in order */
  protected setModelMember(model: ModelObject, name: string, value: Value, node: Node): void {
    if (name === 'trainable') (model.trainableSets ??= []).push({ serial: nextSerial(), value, node });
  }

  /** `model.fitDataset(ds.batch(32), ...)`: the batch size is the literal given to .batch() */
  private datasetBatch(model: ModelObject, dsNode: Node | undefined): void {
    if (!dsNode || dsNode.type !== 'call_expression') return;
    const fn = dsNode.childForFieldName('function');
    if (fn?.type !== 'member_expression' || fn.childForFieldName('property')?.text !== 'batch') return;
    const arg = dsNode.childForFieldName('arguments')?.namedChild(0);
    if (arg && model.batchSize === undefined) {
      const v = arg.type === 'number' ? parseNumber(arg) : unknown(arg, 'the dataset batch size is not a literal');
      model.batchSize = { value: v, node: arg };
    }
  }

  /**
   * `layer.apply(x)`, `layer.apply([a, b])`, `lstm.apply(x, {initialState: [h, c]})`: the symbolic
   * tensor it returns, or one per output where the layer returns several (returnState, a model
   * with a list of outputs)
   */
  private applyLayer(layer: LayerObject, args: readonly Value[], argNodes: readonly Node[], node: Node): Value {
    const arg = args[0];
    if (arg === undefined) return unknown(node, 'apply() needs a tensor');
    if (arg.kind === 'unknown') return unknown(node, arg.reason);
    const inputs: SymbolicTensor[] = [];
    if (arg.kind === 'tensor') inputs.push(arg);
    else if (arg.kind === 'array' && arg.items.every((t) => t.kind === 'tensor')) inputs.push(...(arg.items as SymbolicTensor[]));
    else if (arg.kind === 'array') {
      const bad = arg.items.find((t) => t.kind === 'unknown');
      return unknown(node, bad?.kind === 'unknown' ? bad.reason : 'apply() on values that are not symbolic tensors');
    } else return unknown(argNodes[0] ?? node, 'apply() on a concrete tensor is computed at run time');
    const kwargs = args[1];
    const state = kwargs?.kind === 'object' ? kwargs.props.get('initialState') : undefined;
    if (state !== undefined && state.kind !== 'null') {
      const states = state.kind === 'array' ? state.items : [state];
      const bad = states.find((t) => t.kind !== 'tensor');
      if (bad) return unknown(kwargs?.kind === 'object' ? (kwargs.nodes.get('initialState') ?? node) : node, bad.kind === 'unknown' ? bad.reason : 'the initialState is not symbolic tensors memlens can follow');
      inputs.push(...(states as SymbolicTensor[]));
    }
    const count = outputCount(layer);
    const call = count === 1 ? undefined : nextSerial();
    const items = Array.from({ length: count }, (_, index): SymbolicTensor => ({
      kind: 'tensor',
      serial: nextSerial(),
      producer: { kind: 'apply', layer, inputs, site: node, ...(call === undefined ? {} : { output: { call, index } }) },
    }));
    this.layerOutputs.set(layer, [...(this.layerOutputs.get(layer) ?? []), items]);
    return count === 1 ? items[0]! : { kind: 'array', items };
  }
}

/** a model used as a layer: a layer object that stands for it (its own layers carry the weights) */
function modelLayer(model: ModelObject, site: Node): LayerObject {
  return { kind: 'layer', serial: nextSerial(), type: 'model', config: undefined, site, configNode: undefined, model };
}

/** how many tensors apply() returns: a model's outputs when they are a list, a recurrent layer's with returnState */
function outputCount(layer: LayerObject): number {
  const model = layer.model;
  if (model) return model.style === 'functional' && model.outputs?.kind === 'array' ? model.outputs.items.length : 1;
  return recurrentOutputCount(layer);
}
