// What the interpreter cannot know from Python alone: torch's namespaces, nn.Module semantics,
// example tensors, model calls (each starts a trace), argparse defaults and local imports.
import type { DType, ModelConfig } from '../ir';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { builtin, mathMember, numpyMember, pythonBuiltin } from './builtins';
import { StepLimit, type Host, type Interpreter } from './interpreter';
import { LAYER_SINCE } from './moreLayers';
import { LAYERS, type LayerBuild, type LayerCall, type LayerSpec } from './layers';
import { collectModules, deepCopy, isModule, LAYER_CLASSES, MODULE_BASE, newInstance, parameter, setModuleAttr } from './modules';
import { binaryTensor, indexTensor, layerCallOf, shapeTuple, tensorFunction, tensorMethod } from './tensorOps';
import { reductionAfterForward } from './reductions';
import { rearrange, repeat } from './einops';
import { deepspeedInitialize, distributedMember, type ShardingCall } from './distributed';
import { Trace, TraceStop } from './trace';
import { LIBRARY_DIR, parseModule, resolveModule } from './imports';
import { readFromDisk, type ReadFile } from '../sourceFiles';
import { join } from 'node:path';
import { parserClass, parserMember } from './argparse';
import { checkpoint, checkpointSequential } from './checkpointCalls';
import { moduleMember, type ModelConversion } from './moduleMembers';
import { bindSignature } from './signature';
import { DTYPES, LIBRARY_LAYERS, OPAQUE, REARRANGE_CLASS, SINCE, TORCH_PACKAGES } from './torchNames';
import { castDType, constantInForward, derived, exampleTensor, flattenTensors, makeParameter, rootOf, staticView } from './torchTensors';
import { describe, dictKey, layerOf, lookupClassAttr, mroAfter, FALSE, int, intOf, isUnknown, iterate, NONE, NotKnown, numberOf, SequenceFirstInput, Scope, TRUE, unknown, type CallArgs, type ClassValue, type Instance, type ModuleState, type PyValue, type TensorValue } from './values';

export interface HostOptions {
  readonly defaults: ModelConfig;
  readonly torchVersion: string;
  /** the analysed file's path: local imports resolve next to it */
  readonly file?: string;
  readonly readFile?: ReadFile;
}

export interface Optimizer {
  readonly kind: 'sgd' | 'adam' | 'adamw';
  readonly momentum: number;
  readonly params: ReadonlySet<object>;
  /** zero_grad(set_to_none=True) was called; options the profiles do not model */
  setToNone: boolean;
  readonly unprofiled: readonly string[];
}

export class TorchHost implements Host {
  interp!: Interpreter;
  readonly traces: Trace[] = [];
  readonly optimizers: Optimizer[] = [];
  /** data-parallel wrappers (FSDP, DDP, deepspeed.initialize) and what each said about sharding (distributed.ts) */
  readonly sharding: ShardingCall[] = [];
  private readonly recordSharding = (call: ShardingCall): void => {
    this.sharding.push(call);
  };
  /** modules converted to another float precision (`.double()`, `.half()`, `.to(torch.bfloat16)`), with the call: a whole model so converted is analysed in that precision */
  readonly converted = new Map<Instance, ModelConversion>();
  /** modules that have no trace: their constructors ran, no example call was found */
  readonly built: { instance: Instance; nameNode: Node; scope: Scope }[] = [];
  /** constructor arguments of each torch.nn layer instance */
  private readonly layerConfig = new WeakMap<Instance, Map<string, PyValue>>();
  private readonly nameOf = new WeakMap<Instance, { node: Node; scope: Scope }>();
  private active: Trace | undefined;
  private noGrad = 0;
  /** module constructors running: an unknown branch in one poisons it */
  private readonly constructing: Instance[] = [];
  readonly poisoned = new WeakMap<Instance, { node: Node; reason: string }>();
  private labels = new Map<Instance, string>();

  constructor(private readonly options: HostOptions) {}

  attach(interp: Interpreter): void {
    this.interp = interp;
    interp.inForward = () => this.active !== undefined;
    interp.poison = (node, reason) => {
      const m = this.constructing[this.constructing.length - 1];
      if (m && !this.poisoned.has(m)) this.poisoned.set(m, { node, reason });
    };
  }

  builtin(name: string): PyValue | undefined {
    if (name === '__name__') return { kind: 'str', value: '__main__' };
    if (name === 'OrderedDict') return this.orderedDict();
    if (name === 'getattr' || name === 'setattr' || name === 'hasattr') return this.attrBuiltin(name);
    if (name === 'map') return builtin('map', (args, site) => this.mapCall(args, site));
    // library/ code says where torch would do something memlens does not model: a module holding the value is unknown, with the reason
    if (name === '__memlens_not_modelled__') return builtin(name, (args, site) => ({ ...unknown(site, args.positional[0]?.kind === 'str' ? args.positional[0].value : 'not modelled by memlens'), module: true }));
    if (name === 'type') return builtin('type', (args, site) => (args.positional[0]?.kind === 'instance' ? (args.positional[0] as Instance).cls : unknown(site, 'type() of a value memlens does not model')));
    return pythonBuiltin(name);
  }

  /** map(f, xs, ...): f called on the items in order, as a list (a map object is only iterated in model code) */
  private mapCall(args: CallArgs, site: Node): PyValue {
    const [fn, ...sources] = args.positional;
    if (!fn || sources.length === 0) return unknown(site, 'map() without a function and an iterable');
    const lists = sources.map((v) => iterate(v));
    if (lists.some((l) => l === undefined)) return unknown(site, 'map() over a value that is not a known iterable');
    const n = Math.min(...lists.map((l) => l!.length));
    const out: PyValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.interp.call(fn, { positional: lists.map((l) => l![i]!), keywords: new Map() }, site));
    return { kind: 'list', items: out };
  }

  /**
   * torchinfo.summary(model, input_size=(B, C, H, W), dtypes=[...]) and torchsummary.summary(model,
   * (C, H, W), batch_size=-1): both run the model on an example of that size, as an example call
   * does (torchsummary's batch is batch_size, or 2 when it is -1, as its own forward uses)
   */
  private summaryCall(path: string, args: CallArgs, site: Node): PyValue {
    const model = args.positional[0] ?? args.keywords.get('model');
    const size = args.keywords.get('input_size') ?? args.positional[1];
    if (!model || !isModule(model)) return unknown(site, `${path}.summary of a value that is not a known model`);
    const dims = size && (size.kind === 'tuple' || size.kind === 'list') ? size.items.map(intOf) : undefined;
    if (!dims || dims.length === 0 || dims.some((d) => d === undefined || d < 1)) return unknown(site, `${path}.summary with an input size that is not known integers (one input is modelled)`);
    let shape = dims as number[];
    if (path === 'torchsummary') {
      const b = intOf(args.keywords.get('batch_size') ?? args.positional[2] ?? int(-1));
      shape = [b !== undefined && b > 0 ? b : 2, ...shape];
    }
    const dtypes = args.keywords.get('dtypes');
    const first = dtypes && (dtypes.kind === 'list' || dtypes.kind === 'tuple') ? dtypes.items[0] : undefined;
    const dtype: DType = first?.kind === 'dtype' ? first.dtype : 'fp32';
    const x: TensorValue = { kind: 'tensor', shape, batchAxis: -1, dtype, site };
    return this.interp.call(model, { positional: [x], keywords: new Map() }, site);
  }

  /**
   * A pragma's input shape for a model without an example, from its first layer: channels or
   * features are the layer's, the rest a starting point the user edits (224 x 224 images, 128 tokens)
   */
  inputGuess(model: Instance): string | undefined {
    const first = collectModules(model).find((e) => e.module !== model && e.module.cls.layer && !e.module.cls.layer.container);
    const config = first ? this.layerConfig.get(first.module) : undefined;
    if (!first || !config) return undefined;
    const n = (k: string): number | undefined => intOf(config.get(k) ?? NONE);
    const layer = first.module.cls.name;
    const channels = n('in_channels');
    if (channels !== undefined && /^Conv(Transpose)?2d$/.test(layer)) return `[N, ${channels}, 224, 224]`;
    if (channels !== undefined && /^Conv(Transpose)?1d$/.test(layer)) return `[N, ${channels}, 128]`;
    if (channels !== undefined && /^Conv(Transpose)?3d$/.test(layer)) return `[N, ${channels}, 16, 112, 112]`;
    if (layer === 'Linear' && n('in_features') !== undefined) return `[N, ${n('in_features')}]`;
    if (layer === 'Embedding') return '[N, 128] int64';
    const size = n('input_size');
    if ((layer === 'LSTM' || layer === 'GRU' || layer === 'RNN') && size !== undefined) return config.get('batch_first')?.kind === 'bool' && (config.get('batch_first') as { value: boolean }).value ? `[N, 128, ${size}]` : `[128, N, ${size}]`;
    return undefined;
  }

  /** einops.rearrange / repeat on a traced tensor (a parameter is read as a tensor first) */
  private einopsCall(name: 'rearrange' | 'repeat', args: CallArgs, site: Node): PyValue {
    const active = this.active;
    const first = args.positional[0];
    const x = first?.kind === 'parameter' && active ? active.weightView(first, site) : first;
    const pattern = args.positional[1];
    if (!x || x.kind !== 'tensor' || !x.trace) return unknown(site, `einops.${name} of ${x ? describe(x) : 'nothing'}`);
    if (this.active !== x.trace) return derived(x, site);
    if (!pattern || pattern.kind !== 'str') throw new TraceStop(site, `the einops pattern is ${pattern ? describe(pattern) : 'missing'}, not a known string`);
    const call = layerCallOf({ trace: x.trace as Trace, site });
    return name === 'rearrange' ? rearrange(call, x, pattern.value, args.keywords) : repeat(call, x, pattern.value, args.keywords);
  }

  private attrBuiltin(name: 'getattr' | 'setattr' | 'hasattr'): PyValue {
    return builtin(name, (args, site) => {
      const [obj, key, third] = args.positional;
      if (!obj || !key || key.kind !== 'str') {
        // a module attribute memlens cannot name may be a submodule: its model's count is not known
        if (name === 'setattr' && obj && isModule(obj)) this.poisonModule(obj, site, `\`${site.text}\` sets an attribute whose name is not known statically`);
        return unknown(site, `${name}() with a name that is not a known string`);
      }
      if (name === 'setattr') {
        if (!third) return unknown(site, 'setattr() without a value');
        if (isModule(obj)) {
          this.mayHold(obj, key.value, third);
          setModuleAttr(obj, key.value, third);
        }
        else if (obj.kind === 'instance') obj.attrs.set(key.value, third);
        return NONE;
      }
      if (obj.kind === 'namespace' && obj.path.startsWith('torch') && name === 'hasattr') {
        // code that tests the installed torch follows the configured torch version
        const full = `${obj.path}.${key.value}`;
        const since = SINCE[full] ?? (obj.path === 'torch.nn' ? LAYER_SINCE[key.value] : undefined);
        if (since) {
          const has = this.versionAtLeast(since);
          this.versionNote(site, `\`${site.text}\` is ${has ? 'True' : 'False'} for torch ${this.options.torchVersion} (\`${full}\` arrived in ${since.join('.')}): memlens follows the ${has ? 'True' : 'False'} branch. Set \`memlens.python.torchVersion\` (CLI \`--torch-version\`) to analyse for another torch.`);
          return has ? TRUE : FALSE;
        }
        if (obj.path === 'torch.nn' && (LAYER_CLASSES.has(key.value) || LIBRARY_LAYERS.has(key.value))) return TRUE;
        return unknown(site, `whether torch ${this.options.torchVersion} has \`${full}\` is not known to memlens`);
      }
      const v = this.interp.getAttr(obj, key.value, site);
      if (name === 'hasattr') return isUnknown(v) ? (obj.kind === 'instance' ? FALSE : v) : TRUE;
      return isUnknown(v) && third ? third : v;
    });
  }

  /** a deep copy of a module keeps its constructor arguments, and what made it unknown */
  private copiedModule(from: Instance, to: Instance): void {
    // a module that builds itself (a layer made of its own class, cloned num_layers times) makes
    // num_layers^depth copies: each one costs a step per entry it holds (what the copy allocated),
    // so the step limit stops it, not the heap or a budget of seconds
    const st = to.module;
    this.interp.charge(1 + to.attrs.size + (st ? st.children.size + st.params.size + st.buffers.size : 0));
    const config = this.layerConfig.get(from);
    if (config) this.layerConfig.set(to, config);
    const poisoned = this.poisoned.get(from);
    if (poisoned) this.poisoned.set(to, poisoned);
  }

  /** where the configured torch version decided a branch, for the hover (once per site) */
  readonly versionNotes = new Map<Node, string>();

  private versionNote(site: Node, text: string): void {
    if (!this.versionNotes.has(site)) this.versionNotes.set(site, text);
  }

  private versionAtLeast(since: readonly [number, number]): boolean {
    const [major = 0, minor = 0] = this.options.torchVersion.split('.').map(Number);
    return major > since[0] || (major === since[0] && minor >= since[1]);
  }

  private orderedDict(): PyValue {
    return builtin('OrderedDict', (args, site) => {
      const entries = new Map<string | number, PyValue>();
      const src = args.positional[0];
      for (const p of src ? iterate(src) ?? [] : []) {
        const kv = iterate(p);
        const k = kv && kv[0] ? dictKey(kv[0]) : undefined;
        if (!kv || k === undefined) return unknown(site, 'OrderedDict() of pairs that are not known');
        entries.set(k, kv[1]!);
      }
      return { kind: 'dict', entries };
    });
  }

  // ------------------------------------------------------------------ imports, namespaces

  importModule(path: string, site: Node, level: number): PyValue | undefined {
    const root = path.split('.')[0]!;
    if (level === 0 && (root === 'torch' || root === 'math' || root === 'argparse' || root === 'dataclasses' || root === 'collections' || root === 'torchinfo' || root === 'torchsummary' || root === 'deepspeed' || OPAQUE.has(root))) return { kind: 'namespace', path };
    // torchvision's models are described by memlens itself, in Python, in library/
    // as is peft's LoRA (library/peft: LoraConfig, get_peft_model)
    if (level === 0 && (root === 'torchvision' || root === 'peft')) return this.loadModule(path, 0, join(LIBRARY_DIR, '__root__.py'), readFromDisk) ?? unknown(site, `\`${path}\` is not described by memlens yet`);
    return this.loadLocal(path, level);
  }

  /** files being evaluated, innermost last: relative imports resolve against the last */
  private readonly files: string[] = [];
  private readonly loaded = new Map<string, PyValue>();
  private importing = 0;

  /** a local module's globals as a dict, evaluated once per analysis; undefined when no file is found */
  private loadLocal(path: string, level: number): PyValue | undefined {
    const from = this.files[this.files.length - 1] ?? this.options.file;
    if (!from) return undefined;
    return this.loadModule(path, level, from, this.options.readFile ?? readFromDisk);
  }

  private loadModule(path: string, level: number, from: string, read: ReadFile): PyValue | undefined {
    const found = resolveModule(path, level, from, read);
    if (!found) return undefined;
    const cached = this.loaded.get(found.file);
    if (cached) return cached;
    const statements = parseModule(found.file, found.text);
    if (!statements) return undefined;
    if (found.file.startsWith(LIBRARY_DIR) && statements[0]) this.libraryDocs.add(statements[0].anchor.doc);
    const globals: PyValue = { kind: 'dict', entries: new Map() };
    this.loaded.set(found.file, globals);
    const scope = new Scope(undefined);
    scope.vars.set('__name__', { kind: 'str', value: path || '__init__' });
    this.files.push(found.file);
    this.importing++;
    try {
      this.interp.execBlock(statements, scope);
    } finally {
      this.importing--;
      this.files.pop();
    }
    for (const [k, v] of scope.vars) globals.entries.set(k, v);
    return globals;
  }

  getAttr(obj: PyValue, name: string, site: Node): PyValue | undefined {
    switch (obj.kind) {
      case 'namespace':
        return this.namespaceMember(obj.path, name, site);
      case 'dict':
        // `import model` then `model.Net`: a local module's globals
        return obj.entries.get(name);
      case 'super':
        if (name === '__init__') {
          // super().__init__(*layers) in a subclass of nn.Sequential (or of any torch layer): the layer's constructor on self
          const self = obj.self;
          const layer = self.kind === 'instance' ? mroAfter(self.cls, obj.after).find((c) => c.layer)?.layer : undefined;
          if (layer && isModule(self)) return builtin(`${layer.name}.__init__`, (args, s) => (this.constructLayer(self, args, s, layer), NONE));
          return builtin('Module.__init__', () => NONE);
        }
        return isModule(obj.self) ? moduleMember(this, obj.self, name, site) : undefined;
      case 'instance':
        if (isModule(obj)) return moduleMember(this, obj, name, site);
        if (obj.cls.name === 'ArgumentParser') return parserMember(obj, name);
        return undefined;
      case 'tensor':
        return this.tensorMember(obj, name, site);
      case 'parameter':
        // `weight.new_zeros(...)`: a new tensor of the weight's dtype (word_language_model's init_hidden), not a read of the weight
        if (NEW_TENSOR.has(name)) return newTensor(this.active, obj.dtype, name);
        // in a forward, a parameter or buffer is a tensor like the others
        if (this.active && !['requires_grad', 'requires_grad_', 'data', 'numel'].includes(name)) return this.tensorMember(this.active.weightView(obj, site), name, site);
        if (name === 'requires_grad') return obj.requiresGrad ? TRUE : FALSE;
        if (name === 'shape') return { kind: 'tuple', items: obj.shape.map(int) };
        if (name === 'requires_grad_')
          return builtin('requires_grad_', (args) => {
            const v = args.positional[0] ?? TRUE;
            obj.requiresGrad = v.kind === 'bool' ? v.value : true;
            return obj;
          });
        if (name === 'numel') return builtin('numel', () => int(obj.shape.reduce((a, b) => a * b, 1)));
        if (name === 'data') return obj;
        return undefined;
      case 'class':
        if (obj.isModule && name === '__init__') return builtin('Module.__init__', () => NONE);
        return undefined;
      default:
        return undefined;
    }
  }

  private namespaceMember(path: string, name: string, site: Node): PyValue | undefined {
    const full = `${path}.${name}`;
    if (path === 'math') return mathMember(name);
    if (path === 'numpy') return numpyMember(name) ?? { kind: 'namespace', path: full };
    if (path === 'argparse' && name === 'ArgumentParser') return parserClass();
    if (path === 'dataclasses') return name === 'dataclass' || name === 'field' ? builtin(full, () => NONE) : undefined;
    if (path === 'collections' && name === 'OrderedDict') return this.orderedDict();
    // torch's module clones (TransformerEncoder's num_layers copies of its layer)
    if (path === 'copy' && name === 'deepcopy') return builtin(full, (args) => deepCopy(args.positional[0] ?? NONE, (from, to) => this.copiedModule(from, to)));
    // torchinfo / torchsummary before torch itself: their names start with "torch"
    if (path === 'torchinfo' || path === 'torchsummary') return name === 'summary' ? builtin(full, (args, s) => this.summaryCall(path, args, s)) : { kind: 'namespace', path: full };
    if (path.startsWith('torch')) return this.torchMember(full, site) ?? { kind: 'namespace', path: full };
    if (path === 'deepspeed' && name === 'initialize') return deepspeedInitialize(this.recordSharding);
    if (path === 'einops' && (name === 'rearrange' || name === 'repeat')) return builtin(full, (args, s) => this.einopsCall(name, args, s));
    if (path === 'einops.layers.torch' && name === 'Rearrange') return REARRANGE_CLASS;
    return { kind: 'namespace', path: full };
  }

  /** torch.X, torch.nn.X, torch.nn.functional.X and friends */
  /** torch members by dotted path: every `nn.X` / `F.x` of every keystroke's evaluation is looked up once */
  private readonly members = new Map<string, PyValue | null>();

  private torchMember(full: string, site: Node): PyValue | undefined {
    const seen = this.members.get(full);
    if (seen !== undefined) return seen ?? undefined;
    const v = this.lookupTorchMember(full, site);
    // an unknown names its expression: it is not shared
    if (v?.kind !== 'unknown') this.members.set(full, v ?? null);
    return v;
  }

  private lookupTorchMember(full: string, site: Node): PyValue | undefined {
    const parallel = distributedMember(full, this.recordSharding);
    if (parallel) return parallel;
    const parts = full.split('.');
    const name = parts[parts.length - 1]!;
    const ns = parts.slice(0, -1).join('.');
    if (full === 'torch.__version__') {
      this.versionNote(site, `\`torch.__version__\` is '${this.options.torchVersion}' here: memlens follows the branches for that torch. Set \`memlens.python.torchVersion\` (CLI \`--torch-version\`) to analyse for another.`);
      return { kind: 'str', value: this.options.torchVersion };
    }
    if (ns === 'torch' && DTYPES[name]) return { kind: 'dtype', dtype: DTYPES[name]! };
    if (ns === 'torch.nn' || ns === 'torch.nn.modules') {
      if (name === 'Module') return MODULE_BASE;
      if (name === 'Parameter') return builtin('nn.Parameter', (args, s) => makeParameter(args, s));
      const since = LAYER_SINCE[name];
      if (since && !this.versionAtLeast(since)) {
        this.versionNote(site, `\`torch.nn.${name}\` arrived in torch ${since.join('.')}; memlens analyses for torch ${this.options.torchVersion}. Set \`memlens.python.torchVersion\` (CLI \`--torch-version\`) to analyse for another torch.`);
        return { ...unknown(site, `torch.nn.${name} is not in torch ${this.options.torchVersion} (it arrived in ${since.join('.')}; memlens.python.torchVersion)`), module: true };
      }
      if (LIBRARY_LAYERS.has(name)) return this.libraryMember(LIBRARY_LAYERS.get(name)!, name, site);
      const cls = LAYER_CLASSES.get(name);
      if (cls) return cls;
      if (/^[A-Z]/.test(name)) return { ...unknown(site, `torch.nn.${name} is not modelled by memlens yet`), module: true };
    }
    if (ns === 'torch.nn.init' || ns === 'torch.nn.utils') return builtin(full, () => NONE);
    // subpackages are namespaces (torch.nn.Linear, torch.optim.SGD), not functions
    if ((ns === 'torch' && TORCH_PACKAGES.has(name)) || (ns === 'torch.nn' && (name === 'functional' || name === 'init' || name === 'utils' || name === 'modules'))) return undefined;
    if (ns === 'torch.nn.functional' || ns === 'torch') {
      if (ns === 'torch' && ['randn', 'rand', 'zeros', 'ones', 'empty', 'full', 'randint', 'randn_like', 'zeros_like', 'ones_like', 'rand_like', 'empty_like', 'full_like'].includes(name)) return builtin(full, (args, s) => exampleTensor(this.active, name, args, s));
      if (ns === 'torch' && (name === 'no_grad' || name === 'inference_mode' || name === 'enable_grad')) return builtin(full, () => ({ kind: 'str', value: `__ctx:${name}` }));
      if (ns === 'torch' && (name === 'manual_seed' || name === 'set_num_threads' || name === 'set_grad_enabled')) return builtin(full, () => NONE);
      if (ns === 'torch' && name === 'device') return builtin(full, (args) => args.positional[0] ?? NONE);
      if (['cross_entropy', 'nll_loss', 'mse_loss', 'l1_loss', 'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'smooth_l1_loss', 'kl_div'].includes(name)) return builtin(full, (args, s) => this.loss(name, args, s));
      return builtin(full, (args, s) => this.tensorCall(name, args, s));
    }
    if (ns === 'torch.optim' && ['SGD', 'Adam', 'AdamW'].includes(name)) return builtin(full, (args) => this.optimizer(name, args));
    // the pre-0.4 wrapper: a tensor is its own Variable since torch 0.4
    if (full === 'torch.autograd.Variable' || full === 'torch.autograd.variable.Variable') return builtin(full, (args) => args.positional[0] ?? NONE);
    if (full === 'torch.utils.checkpoint.checkpoint') return builtin(full, (args, s) => checkpoint(this.interp, this.active, args.positional[0], args.positional.slice(1), args.keywords, s));
    if (full === 'torch.utils.checkpoint.checkpoint_sequential') return builtin(full, (args, s) => checkpointSequential(this.interp, this.active, args, s));
    return undefined;
  }

  /** a torch.nn class memlens describes in Python (library/): the class from that file's globals */
  private libraryMember(path: string, name: string, site: Node): PyValue {
    const globals = this.loadModule(path, 0, join(LIBRARY_DIR, '__root__.py'), readFromDisk);
    const cls = globals?.kind === 'dict' ? globals.entries.get(name) : undefined;
    return cls ?? { ...unknown(site, `torch.nn.${name} is not described by memlens (library/${path.replace('.', '/')}.py is missing)`), module: true };
  }

  private tensorCall(name: string, args0: CallArgs, site: Node): PyValue {
    const active = this.active;
    const args = active ? { positional: args0.positional.map((v) => (v.kind === 'parameter' ? active.weightView(v, site) : v)), keywords: args0.keywords } : args0;
    const x = args.positional[0];
    if (active && (name === 'arange' || ((name === 'tril' || name === 'triu') && x?.kind === 'tensor' && x.batchAxis < 0 && x.trace === active))) return constantInForward(active, name, args, site);
    if (x?.kind === 'tensor' && !x.trace && (name === 'tril' || name === 'triu')) return x;
    if (x?.kind === 'tensor' && x.trace && this.active !== x.trace) return reductionAfterForward(x.trace as Trace, x, name, args, 1, site, this.current) ?? derived(x, site);
    if (x?.kind === 'tensor' && x.trace) {
      const trace = x.trace as Trace;
      let r: PyValue | undefined;
      try {
        r = tensorFunction({ trace, site }, name, args);
      } catch (e) {
        // the layer tables' NotKnown (F.avg_pool2d(x, ) has no kernel_size) stops the trace, as for a module (found by the fuzzer)
        if (e instanceof NotKnown) throw new TraceStop(site, `torch.${name}: ${e.message}`);
        throw e;
      }
      if (r) return r;
      throw new TraceStop(site, `torch.${name} is not modelled by memlens yet`);
    }
    if ((x?.kind === 'list' || x?.kind === 'tuple') && x.items[0]?.kind === 'tensor' && (x.items[0] as TensorValue).trace) {
      const r = tensorFunction({ trace: (x.items[0] as TensorValue).trace as Trace, site }, name, args);
      if (r) return r;
    }
    // einsum('...', a, b): the operands follow the equation
    const traced = name === 'einsum' ? args.positional.find((v): v is TensorValue => v.kind === 'tensor' && v.trace !== undefined) : undefined;
    if (traced && this.active === traced.trace) {
      const r = tensorFunction({ trace: traced.trace as Trace, site }, name, args);
      if (r) return r;
    }
    if (this.active) throw new TraceStop(site, `\`${site.text}\` is not modelled by memlens inside forward`);
    return unknown(site, `torch.${name} outside a model is not followed by memlens`);
  }

  private optimizer(name: string, args: CallArgs): PyValue {
    const params = new Set<object>();
    for (const p of iterate(args.positional[0] ?? NONE) ?? []) if (p.kind === 'parameter') params.add(p);
    const momentum = intOf(args.keywords.get('momentum') ?? int(0)) ?? (args.keywords.get('momentum')?.kind === 'float' ? (args.keywords.get('momentum') as { value: number }).value : 0);
    // options that change what step() allocates (weight_decay on AdamW is in place); false, 0 or None change nothing
    const modelled = new Set(['lr', 'betas', 'eps', ...(name === 'SGD' ? ['momentum'] : name === 'AdamW' ? ['weight_decay'] : [])]);
    const unprofiled = [...args.keywords].filter(([k, v]) => !modelled.has(k) && v.kind !== 'none' && numberOf(v) !== 0).map(([k]) => k);
    const opt: Optimizer = { kind: name === 'SGD' ? 'sgd' : name === 'Adam' ? 'adam' : 'adamw', momentum, params, setToNone: false, unprofiled: args.positional.length > 2 ? [...unprofiled, 'positional options after lr'] : unprofiled };
    this.optimizers.push(opt);
    const inst = newInstance({ kind: 'class', name: `optim.${name}`, bases: [], attrs: new Map(), isModule: false }, undefined as never);
    inst.attrs.set('zero_grad', builtin('zero_grad', (a) => {
      opt.setToNone = numberOf(a.keywords.get('set_to_none') ?? a.positional[0] ?? FALSE) === 1;
      return NONE;
    }));
    inst.attrs.set('step', builtin('step', () => NONE));
    return inst;
  }


  /**
   * A loss of a model's output, in its forward or after it: an op of the model's graph (softmax
   * cross-entropy keeps its probabilities for the gradient) whose one number is also an output.
   */
  private loss(name: string, args: CallArgs, site: Node, reductionDefault = 'mean'): PyValue {
    const input = args.positional[0] ?? args.keywords.get('input');
    const target = args.positional[1] ?? args.keywords.get('target');
    const x = input?.kind === 'tensor' ? rootOf(input) : undefined;
    if (!x?.trace || x.id === undefined) return unknown(site, `the loss \`${site.text}\` is not of a model memlens follows`);
    const trace = x.trace as Trace;
    trace.training.loss = name;
    const r = args.keywords.get('reduction') ?? { kind: 'str', value: reductionDefault };
    if (r.kind !== 'str' || !['mean', 'sum', 'none'].includes(r.value)) throw new TraceStop(site, `the loss reduction ${describe(r)} is not known`);
    if (!target || target.kind !== 'tensor') throw new TraceStop(site, `the targets of \`${site.text}\` are not a known tensor`);
    const t0 = rootOf(target);
    const statement = trace.statement;
    if (this.active !== trace && this.current) trace.statement = this.current;
    try {
      const t = t0.trace === trace ? t0 : trace.input(t0, site);
      const out = trace.emit(name, [x, t], { reduction: r.value }, site, undefined, false, name);
      if (this.active !== trace) trace.losses.push(out);
      return out;
    } catch (e) {
      // after the forward, a loss memlens cannot follow leaves the model's graph as it is
      if (e instanceof TraceStop && this.active !== trace) return unknown(e.node, e.reason);
      throw e;
    } finally {
      trace.statement = statement;
    }
  }

  // ------------------------------------------------------------------ argparse

  // ------------------------------------------------------------------ modules

  /**
   * `self.x = <unknown>` in a constructor: when the value came out of a call (an unmodelled class,
   * a builder memlens cannot follow, nn.Parameter of an unknown shape), it may be a module or a
   * parameter torch registers, so the module's count is not known (a figure is exact or absent)
   */
  mayHold(m: Instance & { module: ModuleState }, name: string, value: PyValue): void {
    if (value.kind !== 'unknown') return;
    if (value.module) this.poisonModule(m, value.node, value.reason);
    else if (!this.active && value.node.type === 'call' && this.constructing.includes(m)) this.poisonModule(m, value.node, `\`${name}\` is not known (${value.reason}): it may hold parameters`);
  }

  poisonModule(m: Instance, node: Node, reason: string): void {
    if (!this.poisoned.has(m)) this.poisoned.set(m, { node, reason });
  }

  setAttr(obj: PyValue, name: string, value: PyValue): boolean {
    if (isModule(obj)) {
      // `self.attn = nn.SomethingUnmodelled(...)`: its parameters would be missing from the count
      this.mayHold(obj, name, value);
      setModuleAttr(obj, name, value);
      return true;
    }
    if (obj.kind === 'parameter' && name === 'requires_grad') {
      if (value.kind === 'bool') obj.requiresGrad = value.value;
      return true;
    }
    return false;
  }

  subscript(obj0: PyValue, index: PyValue, site: Node): PyValue | undefined {
    const obj = obj0.kind === 'parameter' && this.active ? this.active.weightView(obj0, site) : obj0;
    if (isModule(obj) && layerOf(obj.cls)?.container) {
      const children = [...obj.module.children.values()];
      if (layerOf(obj.cls)!.name === 'ModuleDict') return index.kind === 'str' ? obj.module.children.get(index.value) : undefined;
      const i = intOf(index);
      if (i !== undefined) return children[i < 0 ? i + children.length : i] ?? unknown(site, `index ${i} is out of range`);
      if (index.kind === 'slice') {
        const picked = this.interp.index({ kind: 'list', items: children }, index, site);
        if (picked.kind !== 'list') return picked;
        const seq = this.construct(obj.cls, { positional: picked.items, keywords: new Map() }, site);
        return seq;
      }
      return undefined;
    }
    if (obj.kind === 'tensor' && obj.trace) {
      const trace = obj.trace as Trace;
      if (this.active !== trace) return derived(obj, site);
      return indexTensor({ trace, site }, obj, index);
    }
    if (obj.kind === 'tensor' && index.kind === 'str') return undefined;
    return undefined;
  }

  setSubscript(obj: PyValue, index: PyValue, value: PyValue): boolean {
    if (isModule(obj) && layerOf(obj.cls)?.container && isModule(value)) {
      const key = layerOf(obj.cls)!.name === 'ModuleDict' ? (index.kind === 'str' ? index.value : undefined) : intOf(index);
      if (key === undefined) return false;
      const keys = [...obj.module.children.keys()];
      const k = typeof key === 'number' ? keys[key < 0 ? key + keys.length : key] : key;
      if (k === undefined) return false;
      obj.module.children.set(k, value);
      return true;
    }
    return false;
  }

  private tensorMember(x: TensorValue, name: string, site: Node): PyValue | undefined {
    if (name === 'shape') return shapeTuple(x);
    if (name === 'ndim') return int(x.shape.length);
    if (name === 'dtype') return { kind: 'dtype', dtype: x.dtype };
    if (name === 'T' || name === 'data' || name === 'device') return name === 'data' ? x : unknown(site, `\`.${name}\` of a tensor is not modelled`);
    if (name === 'backward')
      return builtin('backward', () => {
        if (x.trace) (x.trace as Trace).training.backward = true;
        return NONE;
      });
    if (name === 'item' || name === 'numpy' || name === 'tolist') return builtin(name, (_a, s) => unknown(s, `\`.${name}()\` reads a value only a run knows`));
    if (NEW_TENSOR.has(name)) return newTensor(this.active, x.dtype, name);
    return builtin(`Tensor.${name}`, (args, s) => {
      if (!x.trace) {
        const dtype = castDType(name, args);
        if (dtype) return { ...x, dtype };
        if (name === 'to' || name === 'cuda' || name === 'cpu') return x;
        if (name === 'size') return args.positional[0] ? int(x.shape[intOf(args.positional[0]) ?? 0] ?? 0) : { kind: 'tuple', items: x.shape.map(int) };
        if (name === 'view' || name === 'reshape' || name === 'tril' || name === 'triu' || name === 'unsqueeze' || name === 'transpose') return staticView(x, name, args, s);
        // filling an example tensor in place keeps its shape
        if (['fill_', 'zero_', 'normal_', 'uniform_', 'random_', 'bernoulli_', 'requires_grad_'].includes(name)) return x;
        return unknown(s, `\`.${name}()\` of a tensor outside a model is not followed`);
      }
      const trace = x.trace as Trace;
      if (this.active !== trace) {
        // after the forward (a loss on the outputs): the model's graph is complete
        if (name === 'detach' || name === 'to' || name === 'cpu' || name === 'cuda' || name === 'contiguous') return x;
        if (name === 'size' || name === 'dim') return tensorMethod({ trace, site: s }, x, name, args) ?? unknown(s, `\`.${name}()\``);
        return reductionAfterForward(trace, x, name, args, 0, s, this.current) ?? derived(x, s);
      }
      const r = tensorMethod({ trace, site: s }, x, name, args);
      if (r) return r;
      throw new TraceStop(s, `the tensor method \`.${name}()\` is not modelled by memlens yet`);
    });
  }

  binary(op: string, a0: PyValue, b0: PyValue, site: Node): PyValue | undefined {
    const a = a0.kind === 'parameter' && this.active ? this.active.weightView(a0, site) : a0;
    const b = b0.kind === 'parameter' && this.active ? this.active.weightView(b0, site) : b0;
    const t = a.kind === 'tensor' ? a : b.kind === 'tensor' ? b : undefined;
    // outside a model a tensor is its shape: with a number, + - * / ** keep it (W = torch.randn(4, 1) * 5)
    if (t && !t.trace && !this.active && ['+', '-', '*', '/', '**'].includes(op) && numberOf(t === a ? b : a) !== undefined) {
      return { kind: 'tensor', shape: t.shape, batchAxis: t.batchAxis, dtype: t.dtype, site };
    }
    if (!t?.trace) return undefined;
    if (this.active !== t.trace) return derived(t, site);
    // `x += y` arrives as '+='; comparisons keep their own '='
    const inPlace = op.length === 2 && op.endsWith('=') && !['==', '!=', '<=', '>='].includes(op);
    const r = binaryTensor({ trace: t.trace as Trace, site }, inPlace ? op.slice(0, -1) : op, a, b, inPlace);
    if (r) return r;
    throw new TraceStop(site, `\`${site.text}\` is not modelled by memlens yet`);
  }

  enterWith(value: PyValue): (() => void) | undefined {
    if (value.kind === 'str' && (value.value === '__ctx:no_grad' || value.value === '__ctx:inference_mode')) {
      this.noGrad++;
      return () => {
        this.noGrad--;
      };
    }
    return undefined;
  }

  /** the documents of library/ files: a module bound to a variable there is a part the user's code builds, not a model of its own */
  private readonly libraryDocs = new Set<object>();

  bound(name: Node, value: PyValue, scope: Scope): void {
    if (isModule(value) && !value.cls.layer?.loss && !this.nameOf.has(value) && !this.active && this.importing === 0 && !this.libraryDocs.has(name.anchor.doc)) {
      this.nameOf.set(value, { node: name, scope });
      this.built.push({ instance: value, nameNode: name, scope });
    }
  }

  /** the statement running now, at any level */
  private current: Node | undefined;

  statement(node: Node): void {
    this.current = node;
    if (this.active) this.active.statement = node;
  }

  // ------------------------------------------------------------------ calls

  call(callee: PyValue, args: CallArgs, site: Node): PyValue | undefined {
    if (callee.kind === 'class') return this.construct(callee, args, site);
    if (callee.kind === 'instance' && isModule(callee)) return this.callModule(callee, args, site);
    if (callee.kind === 'namespace') {
      // inside a forward, an unmodelled torch call is where the trace stops, with its name
      if (this.active && callee.path.startsWith('torch')) throw new TraceStop(site, `\`${callee.path}\` is not modelled by memlens yet`);
      return unknown(site, `\`${callee.path}\` is not known to memlens`);
    }
    return undefined;
  }

  construct(cls: ClassValue, args: CallArgs, site: Node): PyValue {
    if (cls.name === 'ArgumentParser' && !cls.isModule) return newInstance(cls, site);
    const inst = newInstance(cls, site);
    if (cls.layer) return this.constructLayer(inst, args, site);
    if (cls.unknownBase) this.poisonModule(inst, cls.unknownBase.node, `${cls.name} derives from a class memlens does not model (${cls.unknownBase.reason})`);
    this.constructing.push(inst);
    try {
      if (cls.fields && !cls.attrs.has('__init__')) return this.dataclassInit(inst, cls, args, site);
      const init = this.interp.getAttr(inst, '__init__', site);
      if (init.kind === 'function') {
        const r = this.interp.callFunction(init, args, site);
        if (isUnknown(r) && r.reason.includes('is called without')) return r;
      } else if (init.kind === 'unknown' && !cls.isModule) return init;
      return inst;
    } catch (e) {
      if (e instanceof TraceStop && !this.active) {
        this.poisonModule(inst, e.node, e.reason);
        return inst;
      }
      throw e;
    } finally {
      this.constructing.pop();
    }
  }

  private dataclassInit(inst: Instance, cls: ClassValue, args: CallArgs, site: Node): PyValue {
    const fields = cls.fields ?? [];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = args.positional[i] ?? args.keywords.get(f.name) ?? f.default;
      if (v === undefined) return unknown(site, `${cls.name}() is called without its field \`${f.name}\``);
      inst.attrs.set(f.name, v);
    }
    const post = this.interp.getAttr(inst, '__post_init__', site);
    if (post.kind === 'function') this.interp.callFunction(post, { positional: [], keywords: new Map() }, site);
    return inst;
  }

  private constructLayer(inst: Instance & { module?: ModuleState }, args: CallArgs, site: Node, spec: LayerSpec = inst.cls.layer!): PyValue {
    const st = inst.module!;
    if (spec.container) {
      const items: PyValue[] = [];
      const src = args.positional;
      if (spec.name === 'ModuleDict' || (src.length === 1 && src[0]!.kind === 'dict')) {
        const d = src[0];
        if (d && d.kind === 'dict') for (const [k, v] of d.entries) if (isModule(v)) st.children.set(String(k), v);
        return inst;
      }
      for (const v of spec.name === 'ModuleList' ? (src[0] ? iterate(src[0]) ?? [] : []) : src) items.push(v);
      for (const v of items) {
        if (isModule(v)) st.children.set(String(st.children.size), v);
        else if (isUnknown(v)) this.poisonModule(inst, site, `a member of \`${site.text}\` is not known: ${v.reason}`);
        else this.poisonModule(inst, site, `${describe(v)} is not a module`);
      }
      return inst;
    }
    const config = bindSignature(spec.signature, args);
    if (typeof config === 'string') return this.layerFailure(inst, site, `${spec.name}(): ${config}`, !config.includes('not known statically'));
    this.layerConfig.set(inst, config);
    const fail = (reason: string): never => {
      throw new TraceStop(site, `${spec.name}: ${reason}`, true);
    };
    const counted = (shape: readonly number[]): readonly number[] => {
      if (shape.some((d) => d < 0)) fail(`a weight of shape [${shape.join(', ')}] has a negative size (torch raises)`);
      if (!Number.isSafeInteger(shape.reduce((a, b) => a * b, 1)) || shape.some((d) => !Number.isSafeInteger(d))) fail(`a weight of shape [${shape.join(', ')}] has more elements than can be counted exactly`);
      return shape;
    };
    const build: LayerBuild = {
      param: (name, shape) => st.params.set(name, shape ? parameter(counted(shape)) : undefined),
      buffer: (name, shape, dtype, persistent) => st.buffers.set(name, shape ? parameter(counted(shape), dtype ?? 'fp32', true, persistent ?? true) : undefined),
      attr: (name, value) => inst.attrs.set(name, value),
    };
    try {
      spec.init?.(config, build, fail);
    } catch (e) {
      if (e instanceof TraceStop) return this.layerFailure(inst, e.node, e.reason, true);
      if (e instanceof NotKnown) return this.layerFailure(inst, site, `${spec.name}: ${e.message}`, false);
      throw e;
    }
    return inst;
  }

  /** a layer's constructor memlens cannot follow (info) or torch would reject (an error, as torch raises) */
  readonly errors: { node: Node; message: string }[] = [];

  private layerFailure(inst: Instance, node: Node, reason: string, torchRaises: boolean): PyValue {
    if (torchRaises) this.errors.push({ node, message: reason });
    else this.interp.note(node, reason);
    this.poisonModule(inst, node, reason);
    for (const m of this.constructing) this.poisonModule(m, node, reason);
    return inst;
  }

  /** `model(x)`: outside any forward it starts the model's trace; inside, it is a layer call */
  callModule(m: Instance & { module: ModuleState }, args: CallArgs, site: Node): PyValue {
    const base = layerOf(m.cls);
    if (base?.loss) {
      const r = this.layerConfig.get(m)?.get('reduction');
      return this.loss(base.loss, args, site, r?.kind === 'str' ? r.value : 'mean');
    }
    if (!this.active) return this.startTrace(m, args, site);
    const trace = this.active;
    return trace.within(site, () => this.callInTrace(trace, m, args, site));
  }

  private callInTrace(trace: Trace, m: Instance & { module: ModuleState }, args: CallArgs, site: Node): PyValue {
    // a subclass of a torch layer runs its own forward when it defines one, else the layer's
    const own = lookupClassAttr(m.cls, 'forward');
    const spec = own && !own.owner.layer ? undefined : layerOf(m.cls);
    const poisoned = this.poisoned.get(m);
    if (poisoned) throw new TraceStop(site, poisoned.reason);
    if (spec?.container) {
      if (spec.name !== 'Sequential') throw new TraceStop(site, `a ${spec.name} is not callable`);
      let x: PyValue = args.positional[0] ?? NONE;
      for (const child of m.module.children.values()) x = this.callModule(child as Instance & { module: ModuleState }, { positional: [x], keywords: new Map() }, site);
      trace.moduleCalls.push({ module: this.labels.get(m) ?? spec.name, outputs: flattenTensors(x).filter((t) => t.id !== undefined) });
      return x;
    }
    if (spec) {
      if (!spec.forward) throw new TraceStop(site, `calling ${spec.name} is not modelled by memlens yet`);
      // a parameter or buffer given to a layer (a registered mask) is read as a tensor, as in tensor calls
      const asTensor = (v: PyValue): PyValue => (v.kind === 'parameter' ? trace.weightView(v, site) : v);
      args = { positional: args.positional.map(asTensor), keywords: new Map([...args.keywords].map(([k, v]) => [k, asTensor(v)])) };
      const config = this.layerConfig.get(m) ?? new Map<string, PyValue>();
      const label = this.labels.get(m) ?? spec.name;
      const call: LayerCall = {
        self: m,
        site,
        config,
        keywords: args.keywords,
        emit: (op, inputs, a, inPlace, weightless) => {
          const out = trace.emit(op, inputs, a, site, weightless ? undefined : m, inPlace ?? false, label);
          // the construction site (`self.conv1 = nn.Conv2d(...)`) shows what the layer made too
          if (m.module.site && m.module.site !== site) trace.applications.push({ site: m.module.site, label, ops: [out.id!], output: out.id! });
          return out;
        },
        fail: (reason) => {
          throw new TraceStop(site, `${label}: ${reason}`, true);
        },
        batchOn: (t, axis) => trace.batchOn(t, axis, site),
      };
      let out: PyValue;
      try {
        out = spec.forward(call, [...args.positional, ...[...args.keywords.values()]]);
      } catch (e) {
        if (e instanceof SequenceFirstInput) throw new TraceStop(site, `${label}: ${e.message}`, true, 1);
        if (e instanceof NotKnown) throw new TraceStop(site, `${label}: ${e.message}`);
        throw e;
      }
      trace.moduleCalls.push({ module: label, outputs: flattenTensors(out).filter((t) => t.id !== undefined) });
      return out;
    }
    const forward = this.interp.getAttr(m, 'forward', site);
    if (forward.kind !== 'function') throw new TraceStop(site, `${m.cls.name} has no forward memlens can follow`);
    const r = this.interp.callFunction(forward, args, site);
    if (isUnknown(r)) throw new TraceStop(r.node, r.reason);
    return r;
  }

  /** a class's `# memlens: input` pragma: the model traced on the declared inputs */
  pragmaTrace(m: Instance & { module: ModuleState }, inputs: readonly TensorValue[], classNode: Node, comment: Node): void {
    const name = classNode.childForFieldName('name')!;
    const scope = new Scope(undefined);
    this.nameOf.set(m, { node: name, scope });
    this.built.push({ instance: m, nameNode: name, scope });
    this.startTrace(m, { positional: inputs, keywords: new Map() }, comment);
  }

  private startTrace(m: Instance & { module: ModuleState }, args: CallArgs, site: Node, exampleBatchAxis = 0, inputAxes: ReadonlyMap<TensorValue, number> = new Map()): PyValue {
    const tensors = [...args.positional, ...args.keywords.values()];
    if (!tensors.some((t) => t.kind === 'tensor')) return unknown(site, `\`${site.text}\` is not called on a known example tensor`);
    if (this.importing > 0) return unknown(site, 'an example call in an imported file is not analysed; analyse that file itself');
    if (this.traces.some((t) => t.root === m)) return unknown(site, 'memlens analyses the first example call of a model');
    const named = this.nameOf.get(m);
    // `model.decode(z)` runs a submodule outside the model's forward: not a model of its own
    const owner = named ? undefined : this.built.find((b) => collectModules(b.instance).some((e) => e.module === m && e.module !== b.instance));
    if (owner) return unknown(site, `\`${site.text}\` calls a part of \`${owner.nameNode.text}\` outside its forward; memlens analyses a model from its forward`);
    const fn = named?.scope.functionName;
    const name = named ? (fn ? `${fn}.${named.node.text}` : named.node.text) : m.cls.name;
    // `model.double()` / `.half()` before the call: its activations are in that precision too
    const conversion = this.converted.get(m);
    const defaults = conversion ? { ...this.options.defaults, precision: conversion.precision } : this.options.defaults;
    const trace = new Trace(name, m, defaults, m.module.site, named?.node ?? m.module.site, site, exampleBatchAxis, inputAxes);
    if (conversion) trace.conversion = conversion;
    trace.training.inference = this.noGrad > 0 || !m.module.training;
    this.traces.push(trace);
    this.labels = new Map(collectModules(m).map((e) => [e.module, e.name || m.cls.name]));
    const poisoned = this.poisoned.get(m) ?? collectModules(m).map((e) => this.poisoned.get(e.module)).find((p) => p);
    if (poisoned) {
      trace.stopped = new TraceStop(poisoned.node, poisoned.reason);
      return unknown(site, poisoned.reason);
    }
    this.active = trace;
    try {
      const inputs = args.positional.map((a) => (a.kind === 'tensor' ? trace.input(a, site) : a));
      const keywords = new Map([...args.keywords].map(([k, a]) => [k, a.kind === 'tensor' ? trace.input(a, site) : a] as const));
      const out = this.callModule(m, { positional: inputs, keywords }, site);
      trace.output = flattenTensors(out).filter((t) => t.trace === trace);
      return out;
    } catch (e) {
      if (e instanceof StepLimit) trace.stopped = new TraceStop(site, 'the forward was still running at the evaluation step limit');
      if (!(e instanceof TraceStop)) throw e;
      trace.stopped = e;
      // examples made by factories carry no batch axis of their own: a sequence-first model reads
      // them as [L, N, ...] (word_language_model's torch.randint(0, V, (35, 4))), so trace once more so
      const examples = [...args.positional, ...args.keywords.values()].filter((a): a is TensorValue => a.kind === 'tensor');
      // an example read with its batch on an axis of its own (an initial state): once more, that example so
      if (e.retryInputAxes && e.retryInputAxes.size > inputAxes.size) {
        this.traces.splice(this.traces.indexOf(trace), 1);
        this.active = undefined;
        return this.startTrace(m, args, site, exampleBatchAxis, e.retryInputAxes);
      }
      if (e.retryBatchAxis !== undefined && exampleBatchAxis === 0 && examples.every((t) => !t.trace && t.batchAxis < 0 && t.shape.length > e.retryBatchAxis!)) {
        const at = this.traces.indexOf(trace);
        this.traces.splice(at, 1);
        this.active = undefined;
        const retried = this.startTrace(m, args, site, e.retryBatchAxis);
        const second = this.traces[this.traces.length - 1];
        if (second && second !== trace && !second.stopped) return retried;
        // the other axis did not fit either: the reading that got further explains more (a
        // sequence-first model stopped later by something memlens does not follow); else the first's reason stands
        if (second && second !== trace && second.builder.opCount > trace.builder.opCount) return retried;
        if (second && second !== trace) this.traces.splice(this.traces.indexOf(second), 1);
        this.traces.splice(at, 0, trace);
      }
      return unknown(e.node, e.reason);
    } finally {
      this.active = undefined;
    }
  }
}


export { LAYERS };

/** `x.new_zeros(size)` and the like: torch's factory of that name, in x's dtype unless one is given */
const NEW_TENSOR: ReadonlySet<string> = new Set(['new_zeros', 'new_ones', 'new_empty', 'new_full']);

function newTensor(active: Trace | undefined, dtype: DType, name: string): PyValue {
  return builtin(name, (args, s) => exampleTensor(active, name.slice(4), { positional: args.positional, keywords: args.keywords.has('dtype') ? args.keywords : new Map([...args.keywords, ['dtype', { kind: 'dtype', dtype }]]) }, s));
}
