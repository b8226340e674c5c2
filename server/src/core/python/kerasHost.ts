// Keras in Python, as the interpreter's host: keras / tf.keras namespaces, layer objects, symbolic
// tensors, Sequential / functional / subclassed models, compile / fit / build. Everything else
// (Python builtins, torch, local imports) is the torch host's, to which this one hands over.
// Layers become the tf.js frontend's LayerObjects, so one Keras layer table serves both.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { LayerObject, SymbolicTensor, Value } from '../tfjs/values';
import { declaredInputShape } from '../tfjs/layers';
import { builtin } from './builtins';
import { StepLimit, type Host, type Interpreter } from './interpreter';
import { exampleOf, isExampleFactory, type ExampleTensor } from './kerasExamples';
import { layersOf, replayGraph } from './kerasNested';
import { kerasOp } from './kerasOps';
import { modelMember } from './kerasMembers';
import { callInputs, isKerasPath, normalize } from './kerasCalls';
import { isFunctional, type KerasDiagnostic, type KerasModel } from './kerasTypes';
import { CustomLayers } from './kerasWeights';
import { opConfig } from '../tfjs/layerConfig';
import { KERAS_LAYERS, KERAS_MERGE_FUNCTIONS, kerasConfig, toValue } from './kerasNames';
import type { TorchHost } from './torchHost';
import { TraceStop } from './trace';
import { describe, isUnknown, iterate, lookupClassAttr, mro, NONE, unknown, type CallArgs, type ClassValue, type Instance, type PyValue, type Scope } from './values';

/** `import keras`, `from tensorflow import keras`, `import tensorflow as tf` */
export function mentionsKeras(text: string): boolean {
  return /^\s*(import|from)\s+(keras|tensorflow)\b/m.test(text);
}

/** a layer object whose constructor memlens could not follow: the reason, where */
interface BrokenLayer {
  readonly node: Node;
  readonly reason: string;
}

const CLASS = (name: string, bases: readonly ClassValue[] = []): ClassValue => ({ kind: 'class', name, bases, attrs: new Map(), isModule: false });

export class KerasHost implements Host {
  interp!: Interpreter;
  readonly models: KerasModel[] = [];
  readonly diagnostics: KerasDiagnostic[] = [];
  readonly tensorNames = new Map<number, { name: string; node: Node }>();
  private serial = 0;
  /** keras.layers.Layer, keras.Model, keras.Sequential and the rest, per analysis (user code may set attributes on them) */
  private readonly layerBase = CLASS('Layer');
  private readonly modelBase = CLASS('Model', [this.layerBase]);
  private readonly sequentialClass = CLASS('Sequential', [this.modelBase]);
  private readonly inputLayerClass = CLASS('InputLayer', [this.layerBase]);
  private readonly tensorClass = CLASS('KerasTensor');
  private readonly exampleClass = CLASS('Tensor');
  private readonly optimizerClass = CLASS('Optimizer');
  private readonly layerClasses = new Map<string, ClassValue>();
  private readonly layerObjects = new WeakMap<Instance, LayerObject>();
  private readonly broken = new WeakMap<Instance, BrokenLayer>();
  private readonly symbolic = new WeakMap<Instance, SymbolicTensor>();
  private readonly examples = new WeakMap<Instance, ExampleTensor>();
  private readonly modelOf = new WeakMap<Instance, KerasModel>();
  private readonly optimizers = new WeakMap<Instance, { name: string; momentum: PyValue }>();
  private readonly inputLayers = new WeakMap<Instance, SymbolicTensor>();
  /** Sequential models being expanded into the graph that calls them */
  private readonly expanding = new Set<KerasModel>();
  /** call() methods being followed: unknown control flow there stops the model */
  private calling = 0;
  /** subclass constructors running: an unknown branch in one stops its model */
  private readonly constructing: Instance[] = [];
  private readonly poisoned = new WeakMap<Instance, { node: Node; reason: string }>();
  /** custom layers' shapes, build() and weights */
  private readonly custom = new CustomLayers(this);

  constructor(private readonly torch: TorchHost) {
    this.layerBase.attrs.set('__init__', builtin('Layer.__init__', () => NONE));
    // super().__init__(inputs=..., outputs=...) in a subclass: a functional model built in a class
    this.modelBase.attrs.set('__init__', builtin('Model.__init__', (args, site) => {
      const inst = this.constructing[this.constructing.length - 1];
      const model = inst ? this.modelOf.get(inst) : undefined;
      const inputs = args.positional[0] ?? args.keywords.get('inputs');
      const outputs = args.positional[1] ?? args.keywords.get('outputs');
      if (model && (inputs || outputs)) {
        model.inputs = inputs ?? unknown(site, 'keras.Model needs inputs');
        model.outputs = outputs ?? unknown(site, 'keras.Model needs outputs');
      }
      return NONE;
    }));
  }

  attach(interp: Interpreter): void {
    this.interp = interp;
    const torchForward = interp.inForward;
    interp.inForward = () => this.calling > 0 || torchForward();
    const torchPoison = interp.poison;
    interp.poison = (node, reason) => {
      const m = this.constructing[this.constructing.length - 1];
      if (m) {
        if (!this.poisoned.has(m)) this.poisoned.set(m, { node, reason });
      } else torchPoison(node, reason);
    };
  }

  // ------------------------------------------------------------------ Host: handed to torch unless Keras

  builtin(name: string): PyValue | undefined {
    return this.torch.builtin(name);
  }

  importModule(path: string, site: Node, level: number): PyValue | undefined {
    const root = path.split('.')[0];
    if (level === 0 && (root === 'keras' || root === 'tensorflow')) return { kind: 'namespace', path: normalize(path) };
    return this.torch.importModule(path, site, level);
  }

  getAttr(obj: PyValue, name: string, site: Node): PyValue | undefined {
    if (obj.kind === 'namespace' && isKerasPath(obj.path)) return this.namespaceMember(obj.path, name, site);
    if (obj.kind === 'namespace' && isExampleFactory(`${obj.path}.${name}`)) return this.exampleFactory(`${obj.path}.${name}`);
    if (obj.kind === 'instance') {
      if (name === 'add_weight' && this.isKerasSubclass(obj.cls)) return builtin(name, (args, s) => this.custom.addWeight(obj, args, s));
      const model = this.modelOf.get(obj);
      if (model) return modelMember(this, model, name, site);
      const t = this.symbolic.get(obj);
      if (t && name === 'shape') return this.custom.shapeValue(t, site);
      if (t) return unknown(site, `\`.${name}\` of a Keras symbolic tensor is not modelled by memlens`);
      if (this.custom.weight(obj)) return unknown(site, `\`.${name}\` of a Keras weight is not modelled by memlens`);
      if (this.layerObjects.has(obj) || this.broken.has(obj) || this.isKerasSubclass(obj.cls)) return unknown(site, `\`.${name}\` of a Keras layer is not modelled by memlens`);
    }
    return this.torch.getAttr(obj, name, site);
  }

  setAttr(obj: PyValue, name: string, value: PyValue): boolean {
    return this.torch.setAttr(obj, name, value);
  }

  subscript(obj: PyValue, index: PyValue, site: Node): PyValue | undefined {
    if (obj.kind === 'instance' && this.symbolic.has(obj)) return this.stopOr(site, `indexing a Keras symbolic tensor (\`${site.text}\`) is not modelled by memlens yet`);
    return this.torch.subscript(obj, index, site);
  }

  setSubscript(obj: PyValue, index: PyValue, value: PyValue): boolean {
    return this.torch.setSubscript(obj, index, value);
  }

  enterWith(value: PyValue): (() => void) | undefined {
    return this.torch.enterWith(value);
  }

  bound(name: Node, value: PyValue, scope: Scope): void {
    if (value.kind === 'instance') {
      const model = this.modelOf.get(value);
      if (model && !model.name && this.calling === 0) model.name = { node: name, scope };
      const t = this.symbolic.get(value);
      if (t && !this.tensorNames.has(t.serial)) this.tensorNames.set(t.serial, { name: name.text, node: name });
    }
    this.torch.bound(name, value, scope);
  }

  statement(node: Node): void {
    this.torch.statement(node);
  }

  binary(op: string, a: PyValue, b: PyValue, site: Node): PyValue | undefined {
    const ta = a.kind === 'instance' ? this.symbolic.get(a) : undefined;
    const tb = b.kind === 'instance' ? this.symbolic.get(b) : undefined;
    if (!ta && !tb) return this.torch.binary(op, a, b, site);
    const o = op.replace(/=$/, '');
    const wb = this.custom.weight(b);
    const wa = this.custom.weight(a);
    // x @ w: the weight as a dense kernel
    if (ta && wb && o === '@') return this.custom.readKernel(wb, ta, site);
    const other = tb ?? (wb ? this.custom.readTensor(wb, site) : undefined);
    const first = ta ?? (wa ? this.custom.readTensor(wa, site) : undefined);
    if (first && other) {
      if (o === '+' && ta && tb) return this.applyObject(this.layerObject('add', site), [ta, tb], site);
      if (o === '*' && ta && tb) return this.applyObject(this.layerObject('multiply', site), [ta, tb], site);
      const fn = { '+': 'add_broadcast', '*': 'mul', '-': 'sub', '/': 'div', '@': 'matmul' }[o];
      if (fn) return this.applyObject(this.layerObject(`${o}()`, site, opConfig(fn, {})), [first, other], site);
    }
    // a tensor and a number: x * 0.5, x / 2, x + 1, x - 1 (one new tensor each)
    const t = ta ?? tb!;
    const n = (ta ? b : a).kind === 'int' || (ta ? b : a).kind === 'float' ? ((ta ? b : a) as { value: number }).value : undefined;
    if (n !== undefined && !(first && other)) {
      const step: { op: string; args: Record<string, number> } | undefined = o === '*' ? { op: 'scale', args: { factor: n } } : o === '/' && ta && n !== 0 ? { op: 'scale', args: { factor: 1 / n } } : o === '+' ? { op: 'shift', args: { value: n } } : o === '-' && ta ? { op: 'shift', args: { value: -n } } : undefined;
      if (step) return this.applyObject(this.layerObject(`${o}()`, site, opConfig(step.op, step.args)), [t], site);
    }
    return this.stopOr(site, `\`${site.text}\` on a Keras symbolic tensor is not modelled by memlens yet`);
  }

  call(callee: PyValue, args: CallArgs, site: Node): PyValue | undefined {
    if (callee.kind === 'class') {
      if (callee === this.sequentialClass) return this.newSequential(args, site);
      if (callee === this.modelBase) return this.newFunctional(args, site);
      if (callee === this.inputLayerClass) return this.newInputLayer(args, site);
      if (callee === this.layerBase) return unknown(site, 'a bare keras.layers.Layer has no call() to follow');
      const spec = KERAS_LAYERS.get(callee.name);
      if (spec && this.layerClasses.get(callee.name) === callee) return this.newLayer(callee, args, site);
      if (this.isKerasSubclass(callee)) return this.newSubclass(callee, args, site);
      return this.torch.call(callee, args, site);
    }
    if (callee.kind === 'instance') {
      if (this.layerObjects.has(callee) || this.broken.has(callee)) return this.applyLayer(callee, args, site);
      if (this.modelOf.has(callee) || this.isKerasSubclass(callee.cls)) return this.callModel(callee, args, site);
      if (this.symbolic.has(callee)) return this.stopOr(site, 'a Keras tensor is not callable');
    }
    if (callee.kind === 'namespace' && isKerasPath(callee.path)) return this.applyOp(callee.path, args, site) ?? this.stopOr(site, `\`${callee.path}\` is not modelled by memlens yet`);
    return this.torch.call(callee, args, site);
  }

  // ------------------------------------------------------------------ namespaces

  private namespaceMember(path: string, name: string, site: Node): PyValue {
    const full = normalize(`${path}.${name}`);
    const inLayers = path === 'keras.layers' || path === 'keras.layers.experimental.preprocessing';
    if (path === 'keras' || path === 'keras.models') {
      if (name === 'Sequential') return this.sequentialClass;
      if (name === 'Model') return this.modelBase;
    }
    if (path === 'keras' || inLayers) {
      if (name === 'Input') return builtin(full, (args, s) => this.newInput(args, s));
      if (name === 'Layer') return this.layerBase;
      if (name === 'InputLayer') return this.inputLayerClass;
    }
    if (inLayers) {
      if (KERAS_LAYERS.has(name)) return this.layerClass(name);
      const merge = KERAS_MERGE_FUNCTIONS.get(name);
      if (merge) return builtin(full, (args, s) => this.mergeFunction(merge, args, s));
      if (/^[A-Z]/.test(name)) return unknown(site, `keras.layers.${name} is not modelled by memlens yet`);
    }
    if (path === 'keras.optimizers') return builtin(full, (args) => this.newOptimizer(name, args));
    if (isExampleFactory(full)) return this.exampleFactory(full);
    return { kind: 'namespace', path: full };
  }

  private layerClass(name: string): ClassValue {
    let cls = this.layerClasses.get(name);
    if (!cls) this.layerClasses.set(name, (cls = CLASS(name, [this.layerBase])));
    return cls;
  }

  private isKerasSubclass(cls: ClassValue): boolean {
    return mro(cls).includes(this.layerBase);
  }

  nextSerial(): number {
    return this.serial++;
  }

  /** the layer's weights are not known: the model holding it gets no figure */
  poison(layer: Instance, node: Node, reason: string): void {
    if (!this.poisoned.has(layer)) this.poisoned.set(layer, { node, reason });
  }

  /** inside call(), what memlens cannot follow stops the model there; elsewhere it is an unknown */
  stopOr(site: Node, reason: string): PyValue {
    if (this.calling > 0) throw new TraceStop(site, reason);
    return unknown(site, reason);
  }

  // ------------------------------------------------------------------ layers and tensors

  layerObject(type: string, site: Node, config: LayerObject['config'] = { kind: 'object', props: new Map(), nodes: new Map() }): LayerObject {
    return { kind: 'layer', serial: this.serial++, type, config, site, configNode: site.childForFieldName('arguments') ?? undefined, keras: true };
  }

  /**
   * `layer.trainable = False` / `model.trainable = False` after construction: the value last set
   * is the layer's; a model's covers every layer it holds that sets none of its own.
   */
  applyTrainable(): void {
    const visit = (v: PyValue, flag: PyValue | undefined, seen: Set<PyValue>): void => {
      if (seen.has(v)) return;
      seen.add(v);
      if (v.kind === 'list' || v.kind === 'tuple') return v.items.forEach((i) => visit(i, flag, seen));
      if (v.kind === 'dict') return [...v.entries.values()].forEach((i) => visit(i, flag, seen));
      if (v.kind !== 'instance') return;
      const own = v.attrs.get('trainable') ?? flag;
      const layer = this.layerObjects.get(v);
      if (layer && own !== undefined && layer.config?.kind === 'object') {
        layer.config.props.set('trainable', this.valueOf(own, layer.site, 'trainable'));
      }
      const model = this.modelOf.get(v);
      for (const entry of model?.layers ?? []) visit(entry.value, own, seen);
      const io = model && isFunctional(model) ? this.functionalIO(model) : undefined;
      if (io && typeof io !== 'string') for (const l of layersOf(io.outputs)) visit(this.layerInstanceOf.get(l) ?? NONE, own, seen);
      if (this.isKerasSubclass(v.cls) && !layer) for (const [k, a] of v.attrs) if (k !== 'trainable') visit(a, own, seen);
    };
    for (const inst of this.layerInstances) visit(inst, undefined, new Set());
    for (const m of this.models) visit(m.instance, undefined, new Set());
  }

  private readonly layerInstances: Instance[] = [];
  private readonly layerInstanceOf = new WeakMap<LayerObject, Instance>();

  private newLayer(cls: ClassValue, args: CallArgs, site: Node): PyValue {
    const spec = KERAS_LAYERS.get(cls.name)!;
    const inst: Instance = { kind: 'instance', cls, attrs: new Map() };
    const converted = kerasConfig(cls.name, spec, args, site, (v) => (v.kind === 'instance' ? this.layerObjects.get(v) : undefined));
    if (!converted.ok) {
      this.diagnostics.push({ node: converted.node, message: converted.message, error: converted.error });
      this.broken.set(inst, { node: converted.node, reason: converted.message });
      return inst;
    }
    const object = this.layerObject(spec.type, site, converted.config);
    this.layerObjects.set(inst, object);
    this.layerInstanceOf.set(object, inst);
    this.layerInstances.push(inst);
    return inst;
  }

  private tensor(t: SymbolicTensor): Instance {
    const inst: Instance = { kind: 'instance', cls: this.tensorClass, attrs: new Map() };
    this.symbolic.set(inst, t);
    return inst;
  }

  /** keras.Input(shape=(28, 28, 1)) or batch_shape=(None, 28, 28, 1) */
  private newInput(args: CallArgs, site: Node): PyValue {
    const shape = args.positional[0] ?? args.keywords.get('shape');
    const batchShape = args.keywords.get('batch_shape') ?? args.keywords.get('batch_input_shape');
    let value: Value;
    if (shape) value = toValue(shape, site, 'shape', () => undefined);
    else if (batchShape && (batchShape.kind === 'tuple' || batchShape.kind === 'list')) value = toValue({ kind: 'tuple', items: batchShape.items.slice(1) }, site, 'shape', () => undefined);
    else value = { kind: 'unknown', node: site, reason: 'keras.Input needs a shape' };
    const dtype = args.keywords.get('dtype');
    return this.tensor({ kind: 'tensor', serial: this.serial++, producer: { kind: 'input', site, shape: value, dtype: dtype ? toValue(dtype, site, 'dtype', () => undefined) : { kind: 'null' } } });
  }

  private newInputLayer(args: CallArgs, site: Node): PyValue {
    const shape = args.keywords.get('input_shape') ?? args.keywords.get('shape') ?? args.positional[0];
    const t = this.newInput({ positional: shape ? [shape] : [], keywords: new Map([...args.keywords].filter(([k]) => k === 'dtype' || k === 'batch_shape' || k === 'batch_input_shape')) }, site);
    const inst: Instance = { kind: 'instance', cls: this.inputLayerClass, attrs: new Map() };
    this.inputLayers.set(inst, this.symbolic.get(t as Instance)!);
    return inst;
  }

  /** the symbolic tensors a layer is called on: one, or a list for merge layers */
  symbolicArgs(x: PyValue | undefined): SymbolicTensor[] | undefined {
    if (x?.kind === 'instance') {
      const t = this.symbolic.get(x);
      return t ? [t] : undefined;
    }
    const items = x ? iterate(x) : undefined;
    if (!items || items.length === 0 || x?.kind === 'str') return undefined;
    const ts = items.map((i) => (i.kind === 'instance' ? this.symbolic.get(i) : undefined));
    return ts.every((t) => t !== undefined) ? (ts as SymbolicTensor[]) : undefined;
  }

  applyObject(layer: LayerObject, inputs: readonly SymbolicTensor[], site: Node): PyValue {
    return this.tensor({ kind: 'tensor', serial: this.serial++, producer: { kind: 'apply', layer, inputs, site } });
  }

  private applyLayer(layer: Instance, args: CallArgs, site: Node): PyValue {
    const broken = this.broken.get(layer);
    if (broken) return this.stopOr(broken.node, broken.reason);
    const object = this.layerObjects.get(layer)!;
    const x = callInputs(object.type, args);
    if (typeof x === 'string') return this.stopOr(site, `\`${site.text}\`: ${x}`);
    const inputs = this.symbolicArgs(x);
    if (!inputs) {
      const missing = x && (isUnknown(x) ? x : (iterate(x) ?? []).find(isUnknown));
      if (missing) return this.stopOr(missing.node, missing.reason);
      return this.stopOr(site, x && x.kind === 'instance' && this.examples.has(x) ? 'a layer called on a concrete tensor is computed at run time' : `the input of \`${site.text}\` is not a Keras tensor memlens follows`);
    }
    return this.applyObject(object, inputs, site);
  }

  /** tf.nn.relu(x), keras.ops.reshape(x, ...) on Keras tensors: one op (kerasOps.ts); undefined when the function is not one memlens knows */
  private applyOp(path: string, args: CallArgs, site: Node): PyValue | undefined {
    // tf.matmul(x, self.w): the weight as a dense kernel
    const [a, b] = [args.positional[0] ?? args.keywords.get('a'), args.positional[1] ?? args.keywords.get('b')];
    const kernel = path.endsWith('.matmul') ? this.custom.weight(b) : undefined;
    const x = a?.kind === 'instance' ? this.symbolic.get(a) : undefined;
    if (kernel && x && args.keywords.size === 0) return this.custom.readKernel(kernel, x, site);
    const r = kerasOp(path, args, (v) => {
      const w = this.custom.weight(v);
      return w ? [this.custom.readTensor(w, site)] : this.symbolicArgs(v);
    });
    if (r === undefined) return undefined;
    if (typeof r === 'string') return this.stopOr(site, `\`${site.text}\`: ${r}`);
    const fn = site.childForFieldName('function')?.text ?? path;
    // the type is how messages name it: `tf.nn.relu()`, never a layer type of the table
    return this.applyObject(this.layerObject(`${fn}()`, site, opConfig(r.op, r.args)), r.inputs, site);
  }

  private mergeFunction(className: string, args: CallArgs, site: Node): PyValue {
    const rest: CallArgs = { positional: args.positional.slice(1), keywords: new Map([...args.keywords].filter(([k]) => k !== 'inputs')) };
    const layer = this.newLayer(this.layerClass(className), rest, site);
    return this.applyLayer(layer as Instance, { positional: [args.positional[0] ?? args.keywords.get('inputs') ?? NONE], keywords: new Map() }, site);
  }

  /** tf.zeros((8, 28, 28, 1)), np.random.rand(8, 32): an example input, its first axis the batch */
  private exampleFactory(path: string): PyValue {
    return builtin(path, (args, site) => {
      const example = exampleOf(path, args, site);
      if (typeof example === 'string') return unknown(site, example);
      const inst: Instance = { kind: 'instance', cls: this.exampleClass, attrs: new Map() };
      this.examples.set(inst, example);
      return inst;
    });
  }

  exampleIn(v: PyValue | undefined): ExampleTensor | undefined {
    return v?.kind === 'instance' ? this.examples.get(v) : undefined;
  }

  private newOptimizer(name: string, args: CallArgs): PyValue {
    const inst: Instance = { kind: 'instance', cls: CLASS(name, [this.optimizerClass]), attrs: new Map() };
    this.optimizers.set(inst, { name, momentum: args.keywords.get('momentum') ?? (name === 'SGD' ? (args.positional[1] ?? NONE) : NONE) });
    return inst;
  }

  /** an optimizer written as a string or keras.optimizers.X(...): its name and momentum */
  optimizerOf(v: PyValue): { name: string; momentum: PyValue } | undefined {
    if (v.kind === 'str') return { name: v.value, momentum: NONE };
    return v.kind === 'instance' ? this.optimizers.get(v) : undefined;
  }

  // ------------------------------------------------------------------ models

  private newModel(style: KerasModel['style'], inst: Instance, site: Node): KerasModel {
    const model: KerasModel = { style, instance: inst, site, layers: [] };
    this.modelOf.set(inst, model);
    this.models.push(model);
    return model;
  }

  private newSequential(args: CallArgs, site: Node): PyValue {
    const inst: Instance = { kind: 'instance', cls: this.sequentialClass, attrs: new Map() };
    const model = this.newModel('sequential', inst, site);
    const list = args.positional[0] ?? args.keywords.get('layers');
    if (!list || list.kind === 'none') return inst;
    const items = iterate(list);
    if (!items) {
      model.stopped = { node: isUnknown(list) ? list.node : site, reason: isUnknown(list) ? list.reason : 'the layers of keras.Sequential are not a list memlens knows' };
      return inst;
    }
    const listNode = site.childForFieldName('arguments')?.namedChildren.find((n) => n.type === 'list' || n.type === 'tuple' || n.type === 'keyword_argument');
    const itemNodes = listNode?.type === 'list' || listNode?.type === 'tuple' ? listNode.namedChildren.filter((n) => n.type !== 'comment') : [];
    items.forEach((v, i) => model.layers.push({ value: v, node: itemNodes.length === items.length ? itemNodes[i]! : (v.kind === 'instance' ? this.layerObjects.get(v)?.site : undefined) ?? site }));
    return inst;
  }

  private newFunctional(args: CallArgs, site: Node): PyValue {
    const inst: Instance = { kind: 'instance', cls: this.modelBase, attrs: new Map() };
    const model = this.newModel('functional', inst, site);
    model.inputs = args.positional[0] ?? args.keywords.get('inputs') ?? unknown(site, 'keras.Model needs inputs');
    model.outputs = args.positional[1] ?? args.keywords.get('outputs') ?? unknown(site, 'keras.Model needs outputs');
    return inst;
  }

  /** class Net(keras.Model) / class Block(layers.Layer): __init__ runs as Python, call() when it is called */
  private newSubclass(cls: ClassValue, args: CallArgs, site: Node): PyValue {
    const inst: Instance = { kind: 'instance', cls, attrs: new Map() };
    if (mro(cls).includes(this.modelBase)) {
      const model = this.newModel('subclassed', inst, site);
      // model.build(shape) is Keras' (which then runs the class's own build() before call()), not the class's alone
      if (lookupClassAttr(cls, 'build')?.value.kind === 'function') inst.attrs.set('build', modelMember(this, model, 'build', site));
    }
    const builtinBase = mro(cls).find((c) => this.layerClasses.get(c.name) === c || c === this.sequentialClass);
    if (builtinBase) {
      this.poisoned.set(inst, { node: site, reason: `a subclass of keras ${builtinBase.name} is not followed by memlens yet` });
      return inst;
    }
    this.constructing.push(inst);
    try {
      const init = this.interp.getAttr(inst, '__init__', site);
      if (init.kind === 'function') this.interp.callFunction(init, args, site);
    } catch (e) {
      if (!(e instanceof TraceStop)) throw e;
      if (!this.poisoned.has(inst)) this.poisoned.set(inst, { node: e.node, reason: e.reason });
    } finally {
      this.constructing.pop();
    }
    return inst;
  }

  /** a model or subclassed layer called: on symbolic tensors it is part of a graph, on an example tensor it gets its input */
  private callModel(inst: Instance, args: CallArgs, site: Node): PyValue {
    const x = args.positional[0] ?? args.keywords.get('inputs');
    const model = this.modelOf.get(inst);
    const example = x?.kind === 'instance' ? this.examples.get(x) : undefined;
    if (model && example && this.calling === 0) {
      model.example ??= example;
      this.giveInput(model, example, site);
      return unknown(site, 'the output of a Keras model run is computed at run time');
    }
    const symbolic = this.symbolicArgs(x);
    if (!symbolic) return this.stopOr(x && isUnknown(x) ? x.node : site, x && isUnknown(x) ? x.reason : `\`${site.text}\` is not called on a Keras tensor memlens follows`);
    if (model && isFunctional(model)) {
      model.nested = true;
      return this.applyFunctional(model, symbolic, site);
    }
    if (model?.style === 'subclassed' && this.calling === 0 && !model.traced && !model.stopped && symbolic.every((t) => t.producer.kind === 'input')) {
      // net(keras.Input(shape=...)) at top level builds the model on that input
      try {
        const outputs = this.runCall(inst, args, site);
        model.traced = { inputs: symbolic, outputs };
        return outputs;
      } catch (e) {
        if (!(e instanceof TraceStop)) throw e;
        model.stopped = { node: e.node, reason: e.reason };
        return unknown(e.node, e.reason);
      }
    }
    if (model) model.nested = true;
    if (model?.style === 'sequential') {
      if (this.expanding.has(model)) return this.stopOr(site, 'a Sequential model that contains itself');
      this.expanding.add(model);
      try {
        let t: PyValue = x!;
        for (const entry of model.layers) {
          if (entry.value.kind === 'instance' && this.inputLayers.has(entry.value)) continue;
          if (entry.value.kind === 'instance' && this.symbolic.has(entry.value)) continue;
          t = this.interp.call(entry.value, { positional: [t], keywords: new Map() }, site);
          if (isUnknown(t)) return t;
        }
        return t;
      } finally {
        this.expanding.delete(model);
      }
    }
    return this.runCall(inst, args, site);
  }

  /** a functional model's inputs and outputs as symbolic tensors, or why they are not */
  functionalIO(model: KerasModel): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; list: boolean } | string {
    const tensors = (v: PyValue | undefined, what: string): SymbolicTensor[] | string => {
      if (v && isUnknown(v)) return v.reason;
      const ts = this.symbolicArgs(v);
      return ts ?? `the ${what} of the model are not Keras tensors memlens follows`;
    };
    const inputs = tensors(model.inputs, 'inputs');
    if (typeof inputs === 'string') return inputs;
    const outputs = tensors(model.outputs, 'outputs');
    if (typeof outputs === 'string') return outputs;
    return { inputs, outputs, list: model.outputs?.kind === 'list' || model.outputs?.kind === 'tuple' };
  }

  /** `encoder(x)`: the functional model's graph applied to x, its layers (and weights) its own */
  private applyFunctional(model: KerasModel, given: SymbolicTensor[], site: Node): PyValue {
    const io = this.functionalIO(model);
    if (typeof io === 'string') return this.stopOr(site, `${this.describeModel(model)} called as a layer: ${io}`);
    const outputs = replayGraph(io, given, () => this.serial++);
    if (typeof outputs === 'string') return this.stopOr(site, `\`${site.text}\`: ${outputs}`);
    const values = outputs.map((t) => this.tensor(t));
    return io.list ? { kind: 'list', items: values } : values[0]!;
  }

  /** the call() method of a subclassed model or layer, followed as data flow */
  private runCall(inst: Instance, args: CallArgs, site: Node): PyValue {
    const poisoned = this.poisoned.get(inst);
    if (poisoned) throw new TraceStop(poisoned.node, poisoned.reason);
    const found = lookupClassAttr(inst.cls, 'call');
    if (!found || found.value.kind !== 'function') throw new TraceStop(site, `${inst.cls.name} has no call() memlens can follow`);
    this.calling++;
    try {
      const first = !this.custom.isBuilt(inst);
      this.custom.buildOnce(inst, args, site);
      const r = this.interp.callFunction({ ...found.value, self: inst }, args, site);
      if (isUnknown(r)) throw new TraceStop(r.node, r.reason);
      if (first) this.custom.checkWeightsRead(inst, site);
      return r;
    } finally {
      this.calling--;
    }
  }

  /**
   * model.build(shape) or an example call, fit or predict: Sequential keeps the shape, a subclassed
   * model is traced on it; the example's dtype is what Keras feeds (`build` has none of its own)
   */
  giveInput(model: KerasModel, example: ExampleTensor, node: Node, typed = true): void {
    if (model.inputShape || model.traced || model.stopped || isFunctional(model)) return;
    const shape = toValue({ kind: 'tuple', items: example.dims.slice(1) }, node, 'input_shape', () => undefined);
    const dtype: Value = typed && example.dtype !== 'float32' ? { kind: 'string', value: example.dtype } : { kind: 'null' };
    model.inputShape = { shape, node, dtype };
    if (model.style !== 'subclassed') return;
    const input: SymbolicTensor = { kind: 'tensor', serial: this.serial++, producer: { kind: 'input', site: node, shape, dtype } };
    try {
      const outputs = this.runCall(model.instance, { positional: [this.tensor(input)], keywords: new Map() }, node);
      model.traced = { inputs: [input], outputs };
    } catch (e) {
      if (!(e instanceof TraceStop)) throw e;
      model.stopped = { node: e.node, reason: e.reason };
    }
  }

  /** a Python value as the tf.js frontend's value: Keras tensors and layers as theirs */
  valueOf(v: PyValue, node: Node, key: string): Value {
    return toValue(v, node, key, (x) => (x.kind === 'instance' ? (this.symbolic.get(x) ?? this.layerObjects.get(x)) : undefined));
  }

  /**
   * A Sequential model's graph as a chain from its input: a leading keras.Input or InputLayer,
   * model.build(shape) or an example call, or the first layer's input_shape. Undefined without one.
   */
  sequentialIO(model: KerasModel): { inputs: SymbolicTensor[]; outputs: PyValue } | { stop: { node: Node; reason: string } } | undefined {
    const first = model.layers[0]?.value;
    let input: SymbolicTensor | undefined;
    let rest = model.layers;
    const leading = first?.kind === 'instance' ? (this.symbolic.get(first) ?? this.inputLayers.get(first)) : undefined;
    if (leading?.producer.kind === 'input') {
      input = leading;
      rest = model.layers.slice(1);
    } else if (model.inputShape) {
      input = { kind: 'tensor', serial: this.serial++, producer: { kind: 'input', site: model.inputShape.node, shape: model.inputShape.shape, dtype: model.inputShape.dtype } };
    } else {
      const layer = first?.kind === 'instance' ? this.layerObjects.get(first) : undefined;
      const declared = layer ? declaredInputShape(layer) : undefined;
      if (declared && !declared.ok) return { stop: { node: declared.problem.node, reason: declared.problem.message } };
      if (!layer || !declared?.ok || !declared.shape) return undefined;
      const shape: Value = { kind: 'array', items: declared.shape.map((d): Value => (d < 0 ? { kind: 'null' } : { kind: 'number', value: d })) };
      input = { kind: 'tensor', serial: this.serial++, producer: { kind: 'input', site: layer.site, shape, dtype: declared.dtype ? { kind: 'string', value: declared.dtype } : { kind: 'null' } } };
    }
    let t: PyValue = this.tensor(input);
    try {
      for (const entry of rest) {
        if (isUnknown(entry.value)) return { stop: { node: entry.value.node, reason: entry.value.reason } };
        t = this.interp.call(entry.value, { positional: [t], keywords: new Map() }, entry.node);
        if (isUnknown(t)) return { stop: { node: t.node, reason: t.reason } };
      }
    } catch (e) {
      // this runs after the evaluation, whose step budget may already be spent (found by the fuzzer)
      if (e instanceof StepLimit) return { stop: { node: model.site, reason: 'the evaluation of the file reached its step limit before this model could be run' } };
      if (!(e instanceof TraceStop)) throw e;
      return { stop: { node: e.node, reason: e.reason } };
    }
    return { inputs: [input], outputs: t };
  }

  describeModel(model: KerasModel): string {
    return model.style === 'subclassed' ? model.instance.cls.name : describe(model.instance).replace(/^a /, '');
  }
}
