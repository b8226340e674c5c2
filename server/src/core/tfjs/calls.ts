// Calls: arguments, dispatch to the modelled tf API, and local functions inlined into a fresh scope.
import type { SyntaxNode as Node } from './syntax';
import { isLocalModule, loadModule } from './localImports';
import { Scope, UNDEFINED, unknown, type Binding, type FunctionValue, type ObjectValue, type Unknown, type Value } from './values';
import { identifiersIn, isAssignmentTarget, isModelMutation, isTfjsPackage, named, parameterName, parameterNodes, stringValue } from './staticValues';
import { BreakSignal, LIMITS, ReturnSignal } from './interpreterState';
import { Classes } from './classes';

export abstract class CallEvaluator extends Classes {
  private callDepth = 0;

  /** implemented in statements.ts */
  abstract execBlock(statements: readonly Node[], scope: Scope): void;

  private evalArgs(argsNode: Node | null, scope: Scope): { values: Value[]; nodes: Node[] } | Unknown {
    const values: Value[] = [];
    const nodes: Node[] = [];
    if (!argsNode) return { values, nodes };
    for (const c of named(argsNode)) {
      if (c.type === 'comment') continue;
      if (c.type === 'spread_element') {
        const inner = c.namedChild(0);
        const v = inner ? this.eval(inner, scope) : UNDEFINED;
        if (v.kind !== 'array') return unknown(c, v.kind === 'unknown' ? v.reason : 'a spread of a value that is not a static array');
        for (const item of v.items) {
          values.push(item);
          nodes.push(c);
        }
      } else {
        values.push(this.eval(c, scope));
        nodes.push(c);
      }
    }
    return { values, nodes };
  }

  protected evalCall(node: Node, scope: Scope): Value {
    const fnNode = node.childForFieldName('function');
    const argsNode = node.childForFieldName('arguments');
    if (!fnNode) return unknown(node, 'an incomplete call');
    if (argsNode?.type === 'template_string') return unknown(node, 'a tagged template');
    // require('@tensorflow/tfjs')
    if (fnNode.type === 'identifier' && fnNode.text === 'require' && !scope.lookup('require')) {
      const arg = argsNode?.namedChild(0);
      if (arg?.type === 'string' && isTfjsPackage(stringValue(arg))) return { kind: 'tf', path: '' };
      if (arg?.type === 'string' && isLocalModule(stringValue(arg))) {
        const loaded = this.imports ? loadModule(stringValue(arg), this.imports) : 'the file has no path on disk (an untitled document)';
        if (typeof loaded === 'string') return unknown(node, `memlens could not read '${stringValue(arg)}': ${loaded}`);
        return loaded.get('module.exports') ?? { kind: 'object', props: new Map(loaded), nodes: new Map() };
      }
      return unknown(node, 'a module loaded at run time');
    }
    if (fnNode.type === 'import') return unknown(node, 'a module loaded at run time');
    if (fnNode.type === 'super') {
      const superArgs = this.evalArgs(argsNode, scope);
      return 'kind' in superArgs ? superArgs : this.superCall(scope.lookup('super')?.value, superArgs.values, node);
    }
    const callee = this.eval(fnNode, scope);
    const args = this.evalArgs(argsNode, scope);
    if ('kind' in args) return args;
    // `shape.sort()`, `shape.copyWithin()`: a method memlens does not evaluate may change the array in
    // place, so the array is no longer known (keeping it would give a wrong shape, silently)
    if (callee.kind === 'unknown' && fnNode.type === 'member_expression') {
      const receiver = fnNode.childForFieldName('object');
      const binding = receiver?.type === 'identifier' ? scope.lookup(receiver.text) : undefined;
      if (binding?.value.kind === 'array') binding.value = unknown(node, `${receiver!.text}.${shortCallee(fnNode)}() may change it, and memlens does not evaluate that method`);
    }
    // never silent: `tf.sequential()` where `tf` itself is not known makes no model, so say why
    if (callee.kind === 'unknown' && isModelFactoryCall(fnNode)) {
      this.notes.push({ node, message: `this model is not analysed: ${fnNode.text}() is not statically known (${callee.reason})`, code: 'unresolved' });
    }
    if (callee.kind !== 'tf' && callee.kind !== 'method' && callee.kind !== 'function' && callee.kind !== 'builtin') {
      // a model handed to code memlens cannot follow may get its layers there
      for (const a of args.values) if (a.kind === 'model' && !a.escaped) a.escaped = unknown(node, `it is passed to ${fnNode.text}(), which memlens cannot follow`);
      // a callback handed to such code (an event handler, `.then`) runs at run time: see what it builds
      const why = callee.kind === 'unknown' ? `${shortCallee(fnNode)}() is not followed: ${callee.reason}` : `${shortCallee(fnNode)}() calls it at run time`;
      args.values.forEach((a, i) => {
        if (a.kind === 'function') this.runCallback(a, args.nodes[i]!, why);
      });
    }
    switch (callee.kind) {
      case 'tf':
        return this.callTf(callee.path, args.values, args.nodes, node);
      case 'method':
        return this.callMethod(callee.target, callee.name, args.values, args.nodes, node);
      case 'function': {
        // `obj.method()` runs with `this` = obj when obj is a static object (a class instance of ours)
        const receiver = fnNode.type === 'member_expression' ? fnNode.childForFieldName('object') : null;
        const self = receiver ? (receiver.type === 'this' ? scope.lookup('this')?.value : receiver.type === 'identifier' ? scope.lookup(receiver.text)?.value : undefined) : undefined;
        return this.callFunction(callee, args.values, node, self?.kind === 'object' ? self : undefined);
      }
      case 'builtin':
        return this.callBuiltin(callee, args.values, node);
      case 'unknown':
        return unknown(node, callee.reason);
      default:
        return unknown(node, 'the result of a call computed at run time');
    }
  }

  callFunction(fn: FunctionValue, args: Value[], site: Node, thisValue?: Value): Value {
    if (this.callDepth >= LIMITS.callDepth) {
      this.notes.push({ node: site, message: `calls nested deeper than ${LIMITS.callDepth} levels are not followed`, code: 'limit' });
      return unknown(site, 'a call nested too deeply');
    }
    this.invoked.add(fn.node);
    const scope = new Scope(fn.closure);
    const self = thisValue ?? fn.self;
    if (self) scope.declare('this', { value: self, isConst: true });
    if (fn.home && self) scope.declare('super', { value: this.superOf(fn.home, self), isConst: true });
    this.bindParameters(fn.node, args, scope);
    if (self?.kind === 'object') this.parameterProperties(fn.node, scope, self);
    const body = fn.node.childForFieldName('body');
    if (!body) return UNDEFINED;
    const savedName = this.functionName;
    this.callDepth++;
    this.functionName = fn.name !== '<anonymous>' ? fn.name : savedName;
    try {
      if (body.type !== 'statement_block') return this.eval(body, scope);
      this.execBlock(named(body), scope);
      return UNDEFINED;
    } catch (signal) {
      if (signal instanceof ReturnSignal) return signal.value;
      if (signal instanceof BreakSignal) return UNDEFINED;
      throw signal;
    } finally {
      this.callDepth--;
      this.functionName = savedName;
    }
  }

  /**
   * A callback that code memlens cannot follow may run at run time, any number of times: it is
   * evaluated once with unknown parameters, so that the models it builds itself are analysed
   * (`onClick(() => { const model = createModel(); })`); the models of the enclosing code it
   * changes are not analysed, and the variables it assigns become unknown.
   */
  runCallback(fn: FunctionValue, site: Node, reason: string): void {
    const body = fn.node.childForFieldName('body');
    if (!body) return;
    const cause = unknown(site, `it is changed in a callback (${reason})`);
    const outer = identifiersIn(body)
      .map((id) => ({ id, binding: fn.closure.lookup(id.text) }))
      .filter((e): e is { id: Node; binding: Binding } => e.binding !== undefined);
    for (const { id, binding } of outer) if (binding.value.kind === 'model' && isModelMutation(id) && !binding.value.poisoned) binding.value.poisoned = cause;
    const written = outer.filter(({ id, binding }) => !binding.isConst && isAssignmentTarget(id)).map((e) => e.binding);
    const args = parameterNodes(fn.node).map((p) => unknown(p, `'${parameterName(p)}' is a callback parameter, known at run time`));
    this.callFunction(fn, args, site);
    for (const binding of written) binding.value = unknown(site, `it is assigned in a callback (${reason})`);
  }

  /** `new C(...)`: a class of the file, `Array`, or an object made at run time */
  protected evalNew(node: Node, scope: Scope): Value {
    const ctorNode = node.childForFieldName('constructor');
    if (!ctorNode) return unknown(node, 'an incomplete expression');
    const ctor = this.eval(ctorNode, scope);
    const args = this.evalArgs(node.childForFieldName('arguments'), scope);
    if ('kind' in args) return args;
    if (ctor.kind === 'class') return this.instantiate(ctor, args.values, args.nodes, node);
    if (ctor.kind === 'builtin' && (ctor.name === 'Array' || ctor.name === 'Object')) return this.callBuiltin(ctor, args.values, node);
    // `new Promise((resolve) => ...)`: its callback runs at run time
    args.values.forEach((a, i) => {
      if (a.kind === 'function') this.runCallback(a, args.nodes[i]!, `new ${ctorNode.text}() calls it at run time`);
    });
    return unknown(node, ctor.kind === 'unknown' ? ctor.reason : 'an object constructed at run time');
  }

  /** evaluate a function on its own: its parameters are unknown */
  evalStandalone(fn: FunctionValue, thisValue?: Value): void {
    const args = parameterNodes(fn.node).map((p) => unknown(p, `'${parameterName(p)}' is a function parameter`));
    this.callFunction(fn, args, fn.node, thisValue);
  }

  /** TypeScript's `constructor(private readonly units = 3)` also sets `this.units` */
  private parameterProperties(fnNode: Node, scope: Scope, self: ObjectValue): void {
    if (fnNode.type !== 'method_definition' || fnNode.childForFieldName('name')?.text !== 'constructor') return;
    for (const p of parameterNodes(fnNode)) {
      if (!p.children.some((c) => c.type === 'accessibility_modifier' || c.type === 'readonly' || c.type === 'override_modifier')) continue;
      const pattern = p.childForFieldName('pattern');
      const binding = pattern?.type === 'identifier' ? scope.lookup(pattern.text) : undefined;
      if (pattern && binding) self.props.set(pattern.text, binding.value);
    }
  }

  private bindParameters(fnNode: Node, args: Value[], scope: Scope): void {
    const params = parameterNodes(fnNode);
    params.forEach((p, i) => {
      if (p.type === 'rest_pattern' || p.namedChild(0)?.type === 'rest_pattern') {
        const target = p.type === 'rest_pattern' ? p.namedChild(0) : p.namedChild(0)?.namedChild(0);
        if (target) this.bindPattern(target, args.slice(i).some((a) => a.kind === 'unknown') ? args[i]! : { kind: 'array', items: args.slice(i) }, scope, false, p);
        return;
      }
      const pattern = p.type === 'identifier' ? p : p.childForFieldName('pattern');
      if (!pattern) return;
      let value = args[i] ?? UNDEFINED;
      const dflt = p.childForFieldName('value');
      if (value.kind === 'undefined' && dflt) value = this.eval(dflt, scope);
      this.bindPattern(pattern, value, scope, false, p);
    });
  }
}

/** `ui.setTrainButtonCallback` -> `setTrainButtonCallback`, for messages */
/** `x.sequential` / `x.model` on a plain name: how every TensorFlow.js model is made */
function isModelFactoryCall(fnNode: Node): boolean {
  if (fnNode.type !== 'member_expression' || fnNode.childForFieldName('object')?.type !== 'identifier') return false;
  const prop = fnNode.childForFieldName('property')?.text;
  return prop === 'sequential' || prop === 'model';
}

function shortCallee(fnNode: Node): string {
  const prop = fnNode.type === 'member_expression' ? fnNode.childForFieldName('property') : null;
  return (prop ?? fnNode).text;
}
