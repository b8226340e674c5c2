// Classes of the file: `new PolicyNetwork(128)` runs the field initializers and the constructor
// with `this` an object of the class's methods (inherited ones too), so a model built in a
// constructor and extended in a method is followed. A class that extends `tf.layers.Layer` makes a
// custom layer: its computeOutputShape() and build() (with this.addWeight) are evaluated
// statically for the shapes it is applied to; the graph gets its output and its weights.
import type { SyntaxNode as Node } from './syntax';
import { nextSerial, NULL, Scope, UNDEFINED, unknown, type BuiltinValue, type ClassValue, type CustomPlan, type LayerObject, type ObjectValue, type Unknown, type Value } from './values';
import { named, propertyKey } from './staticValues';
import { LimitSignal } from './interpreterState';
import { Builtins } from './builtins';

/** the tf.js class a custom layer extends */
const TF_LAYER_CLASSES: ReadonlySet<string> = new Set(['layers.Layer', 'Layer']);

interface WeightLog {
  readonly weights: { shape: number[]; trainable: boolean }[];
  problem?: Unknown;
}

function obj(): ObjectValue {
  return { kind: 'object', props: new Map(), nodes: new Map() };
}

function isStatic(member: Node): boolean {
  return member.children.some((c) => c.type === 'static');
}

function isAccessor(member: Node): boolean {
  return member.children.some((c) => c.type === 'get' || c.type === 'set');
}

function classMembers(cls: ClassValue): Node[] {
  const body = cls.node.childForFieldName('body');
  return body ? named(body) : [];
}

/** per-sample dims from a tf.js shape (batch first); undefined when not a list of integers */
function perSample(v: Value): number[] | undefined {
  if (v.kind !== 'array' || v.items.length === 0) return undefined;
  const dims: number[] = [];
  for (const d of v.items.slice(1)) {
    if (d.kind !== 'number' || !Number.isInteger(d.value) || d.value < 1) return undefined;
    dims.push(d.value);
  }
  return dims;
}

export abstract class Classes extends Builtins {
  /** the weights a custom layer's addWeight calls made, by its instance */
  private readonly weightLogs = new WeakMap<ObjectValue, WeightLog>();
  /** `super` in a method: the superclass and the instance */
  private readonly supers = new WeakMap<ObjectValue, { readonly cls: ClassValue | undefined; readonly self: ObjectValue }>();

  classValue(node: Node, scope: Scope): ClassValue {
    const heritage = named(node).find((c) => c.type === 'class_heritage');
    const ext = heritage ? named(heritage).find((c) => c.type === 'extends_clause') : undefined;
    const superNode = ext?.childForFieldName('value') ?? (heritage && !ext ? heritage.namedChild(0) : null);
    const superclass = superNode ? this.eval(superNode, scope) : undefined;
    return { kind: 'class', name: node.childForFieldName('name')?.text ?? 'class', node, closure: scope, ...(superclass ? { superclass } : {}) };
  }

  /** the chain from the class up to its first superclass that is not a class of the file */
  private chain(cls: ClassValue): { classes: ClassValue[]; base: Value | undefined } {
    const classes: ClassValue[] = [];
    let c: ClassValue | undefined = cls;
    let base: Value | undefined;
    while (c && classes.length < 64 && !classes.includes(c)) {
      classes.push(c);
      base = c.superclass;
      c = base?.kind === 'class' ? base : undefined;
    }
    return { classes, base };
  }

  /** `new C(args)` */
  instantiate(cls: ClassValue, args: Value[], argNodes: Node[], site: Node): Value {
    const { classes, base } = this.chain(cls);
    const isLayer = base?.kind === 'tf' && TF_LAYER_CLASSES.has(base.path);
    if (base?.kind === 'unknown' && !isLayer) return unknown(site, `${cls.name} extends a class memlens cannot follow (${base.reason})`);
    const self = obj();
    // methods, base class first so that a subclass overrides
    for (const c of [...classes].reverse()) {
      for (const m of classMembers(c)) {
        if (m.type !== 'method_definition' || isStatic(m)) continue;
        const name = propertyKey(m.childForFieldName('name'));
        if (name === undefined || name === 'constructor') continue;
        if (isAccessor(m)) {
          // not followed yet: reading it says so, where it would otherwise read as undefined
          // and the next diagnostic would blame a layer for a missing option
          self.props.set(name, unknown(m, `${cls.name}.${name} is a get/set accessor, which memlens does not follow yet`));
          self.nodes.set(name, m);
          continue;
        }
        self.props.set(name, { kind: 'function', name: `${cls.name}.${name}`, node: m, closure: c.closure, self, home: c });
        self.nodes.set(name, m);
      }
    }
    let result: Value = self;
    if (isLayer) {
      const config = args[0];
      const log: WeightLog = { weights: [] };
      this.weightLogs.set(self, log);
      self.props.set('addWeight', { kind: 'builtin', name: 'Layer.addWeight', receiver: self });
      self.props.set('built', { kind: 'bool', value: false });
      const frozen = config?.kind === 'object' && config.props.get('trainable')?.kind === 'bool' && !(config.props.get('trainable') as { value: boolean }).value;
      self.props.set('trainable', { kind: 'bool', value: !frozen });
      const layer: LayerObject = {
        kind: 'layer',
        serial: nextSerial(),
        type: cls.name,
        config: config?.kind === 'object' || config?.kind === 'unknown' ? config : undefined,
        site,
        configNode: argNodes[0],
        custom: { className: cls.name, self, plan: this.customPlanner(cls.name, self, log, site) },
      };
      result = layer;
    }
    this.construct(cls, self, args, site);
    return result;
  }

  /** fields, then the constructor (an implicit one passes its arguments to the superclass') */
  private construct(cls: ClassValue, self: ObjectValue, args: Value[], site: Node): void {
    const scope = new Scope(cls.closure);
    scope.declare('this', { value: self, isConst: true });
    let ctor: Node | undefined;
    for (const m of classMembers(cls)) {
      if (m.type === 'public_field_definition' && !isStatic(m)) {
        const name = propertyKey(m.childForFieldName('name'));
        const valueNode = m.childForFieldName('value');
        if (name !== undefined) self.props.set(name, valueNode ? this.eval(valueNode, scope) : UNDEFINED);
      } else if (m.type === 'method_definition' && m.childForFieldName('name')?.text === 'constructor') ctor = m;
    }
    const superclass = cls.superclass?.kind === 'class' ? cls.superclass : undefined;
    if (ctor) this.callFunction({ kind: 'function', name: cls.name, node: ctor, closure: cls.closure, self, home: cls }, args, site, self);
    else if (superclass) this.construct(superclass, self, args, site);
  }

  /** what `super` is in a method of `home` running on `self` */
  superOf(home: ClassValue, self: Value): Value {
    const superclass = home.superclass;
    const out = obj();
    if (self.kind !== 'object') return unknown(home.node, "'super' outside an instance");
    this.supers.set(out, { cls: superclass?.kind === 'class' ? superclass : undefined, self });
    if (superclass?.kind === 'class') {
      for (const [name, v] of self.props) {
        // the superclass' own methods, bound to the same instance
        if (v.kind !== 'function' || !v.home) continue;
        const m = this.chain(superclass).classes.flatMap(classMembers).find((n) => n.type === 'method_definition' && propertyKey(n.childForFieldName('name')) === name);
        if (m) out.props.set(name, { kind: 'function', name: v.name, node: m, closure: superclass.closure, self, home: superclass });
      }
    } else if (superclass?.kind === 'tf') {
      // tf.layers.Layer's own methods, as far as shapes and weights go
      out.props.set('computeOutputShape', { kind: 'builtin', name: 'Layer.computeOutputShape' });
      for (const name of ['build', 'getConfig', 'call']) out.props.set(name, { kind: 'builtin', name: 'Layer.noop' });
    }
    return out;
  }

  /** `super(args)` in a constructor */
  protected superCall(superValue: Value | undefined, args: Value[], site: Node): Value {
    const s = superValue?.kind === 'object' ? this.supers.get(superValue) : undefined;
    if (s?.cls) this.construct(s.cls, s.self, args, site);
    return UNDEFINED;
  }

  protected override callBuiltin(fn: BuiltinValue, args: Value[], node: Node): Value {
    switch (fn.name) {
      case 'Layer.noop':
        return UNDEFINED;
      case 'Layer.computeOutputShape':
        return args[0] ?? UNDEFINED;
      case 'Layer.addWeight':
        return this.addWeight(fn.receiver, args, node);
      default:
        return super.callBuiltin(fn, args, node);
    }
  }

  /** `this.addWeight(name, shape, dtype, initializer, regularizer, trainable)` */
  private addWeight(self: Value | undefined, args: Value[], node: Node): Value {
    const log = self?.kind === 'object' ? this.weightLogs.get(self) : undefined;
    if (!log) return unknown(node, 'addWeight() outside a custom layer');
    const [nameV, shapeV, , , , trainableV] = args;
    const label = nameV?.kind === 'string' ? `'${nameV.value}'` : '';
    const dims = shapeV?.kind === 'array' && shapeV.items.every((d) => d.kind === 'number' && Number.isInteger(d.value) && d.value >= 1) ? shapeV.items.map((d) => (d as { value: number }).value) : undefined;
    if (!dims) {
      const bad = shapeV?.kind === 'array' ? shapeV.items.find((d) => d.kind === 'unknown') : shapeV;
      const why = bad?.kind === 'unknown' ? bad.reason : 'it is not a list of positive integers';
      log.problem ??= unknown(node, `the shape of addWeight(${label}) is not statically resolvable: ${why}`);
      return unknown(node, log.problem.reason);
    }
    const layerTrainable = self?.kind === 'object' && self.props.get('trainable')?.kind === 'bool' ? (self.props.get('trainable') as { value: boolean }).value : true;
    log.weights.push({ shape: dims, trainable: layerTrainable && !(trainableV?.kind === 'bool' && !trainableV.value) });
    const variable = obj();
    variable.props.set('shape', { kind: 'array', items: dims.map((d) => ({ kind: 'number', value: d })) });
    if (nameV) variable.props.set('name', nameV);
    return variable;
  }

  /**
   * The custom layer's plan for given input shapes: build(inputShape) once (its addWeight calls
   * are the weights), computeOutputShape(inputShape) per shape (tf.js' default: the input shape).
   */
  private customPlanner(className: string, self: ObjectValue, log: WeightLog, site: Node): (shapes: readonly (readonly number[])[]) => CustomPlan {
    const plans = new Map<string, CustomPlan>();
    let built = false;
    return (shapes) => {
      const key = JSON.stringify(shapes);
      const kept = plans.get(key);
      if (kept) return kept;
      const withBatch: Value[] = shapes.map((s) => ({ kind: 'array', items: [NULL, ...s.map((d): Value => ({ kind: 'number', value: d }))] }));
      const arg: Value = withBatch.length === 1 ? withBatch[0]! : { kind: 'array', items: withBatch };
      const fail = (problem: Unknown): CustomPlan => ({ ok: false, problem });
      let plan: CustomPlan;
      try {
        const build = self.props.get('build');
        if (!built) {
          built = true;
          if (build?.kind === 'function') {
            const r = this.callFunction(build, [arg], site, self);
            if (r.kind === 'unknown' && !log.problem) log.problem = unknown(r.node, `${className}.build() is not followed: ${r.reason}`);
          }
          self.props.set('built', { kind: 'bool', value: true });
        }
        const cos = self.props.get('computeOutputShape');
        const out = cos?.kind === 'function' ? this.callFunction(cos, [arg], site, self) : arg;
        const dims = perSample(out);
        const inner = out.kind === 'array' ? out.items.find((d) => d.kind === 'unknown') : undefined;
        if (log.problem) plan = fail(unknown(log.problem.node, `${className}.build(): ${log.problem.reason}`));
        else if (out.kind === 'unknown' || inner?.kind === 'unknown') {
          const u = inner?.kind === 'unknown' ? inner : (out as Unknown);
          plan = fail(unknown(u.node, `${className}.computeOutputShape() is not statically resolvable: ${u.reason}`));
        }
        else if (!dims) plan = fail(unknown(cos?.kind === 'function' ? cos.node : site, `${className}.computeOutputShape() returns ${out.kind === 'array' ? 'several shapes or a shape with free dimensions' : 'no shape'}, which memlens does not model`));
        else plan = { ok: true, outputShape: dims, weights: log.weights.map((w) => ({ shape: [...w.shape], trainable: w.trainable })) };
      } catch (signal) {
        if (!(signal instanceof LimitSignal)) throw signal;
        plan = fail(unknown(signal.node, signal.message));
      }
      plans.set(key, plan);
      return plan;
    };
  }
}
