// A static interpreter for the part of Python that builds models: literals, arithmetic,
// containers, comprehensions, functions, classes, known control flow. It never runs user code:
// it follows the source, and anything it cannot know is an `unknown` with the reason.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { binary, compare, MAX_ITEMS, unary } from './operators';
import { pythonMethod } from './pyMethods';
import {
  describe,
  dictKey,
  FALSE,
  int,
  intOf,
  isUnknown,
  iterate,
  lookupClassAttr,
  mroAfter,
  NONE,
  TRUE,
  truthy,
  unknown,
  Scope,
  type CallArgs,
  type ClassValue,
  type FunctionValue,
  type PyValue,
  type Unknown,
} from './values';
import { releaseVariable, TraceStop } from './trace';

/** evaluation stopped at its step limit (a loop or recursion too large to follow) */
export class StepLimit extends Error {}

type Flow = { kind: 'normal' } | { kind: 'return'; value: PyValue } | { kind: 'break' } | { kind: 'continue' };
const NORMAL: Flow = { kind: 'normal' };

export interface Note {
  readonly node: Node;
  readonly message: string;
}

/** what the interpreter asks of the world beyond plain Python (torch, imports, module calls) */
export interface Host {
  /** a name no scope defines: builtins */
  builtin(name: string): PyValue | undefined;
  /** `import a.b.c` / `from a import b`: the value, or undefined to leave it unresolved */
  importModule(path: string, site: Node, level: number): PyValue | undefined;
  /** attribute of a value the interpreter itself does not know (namespaces, tensors, modules) */
  getAttr(obj: PyValue, name: string, site: Node): PyValue | undefined;
  setAttr(obj: PyValue, name: string, value: PyValue, site: Node): boolean;
  /** call of anything that is not a plain Python function */
  call(callee: PyValue, args: CallArgs, site: Node): PyValue | undefined;
  /** obj[index] for values beyond lists, tuples and dicts */
  subscript(obj: PyValue, index: PyValue, site: Node): PyValue | undefined;
  setSubscript(obj: PyValue, index: PyValue, value: PyValue, site: Node): boolean;
  /** `with` items: torch.no_grad() and the like */
  enterWith?(value: PyValue): (() => void) | undefined;
  /** an assignment bound a value to a simple name */
  bound?(name: Node, value: PyValue, scope: Scope): void;
  /** a statement is about to run (the trace records which statement its ops belong to) */
  statement?(node: Node): void;
  binary?(op: string, a: PyValue, b: PyValue, site: Node): PyValue | undefined;
}

const MAX_DEPTH = 64;
/** nested expressions (each level a few stack frames) */
const MAX_NESTING = 400;

export class Interpreter {
  steps = 0;
  private depth = 0;
  readonly notes: Note[] = [];

  constructor(
    private readonly host: Host,
    private readonly maxSteps: number,
  ) {}

  note(node: Node, message: string): void {
    this.notes.push({ node, message });
  }

  private tick(): void {
    if (++this.steps > this.maxSteps) throw new StepLimit();
  }

  /** work a host does for the program outside statements (the values deepcopy makes) counts as steps */
  charge(steps = 1): void {
    this.steps += steps - 1;
    this.tick();
  }

  // ------------------------------------------------------------------ statements

  execBlock(nodes: readonly Node[], scope: Scope): Flow {
    for (const stmt of nodes) {
      const flow = this.exec(stmt, scope);
      if (flow.kind !== 'normal') return flow;
    }
    return NORMAL;
  }

  private body(node: Node | null): readonly Node[] {
    if (!node) return [];
    return node.type === 'block' ? node.namedChildren.filter((c) => c.type !== 'comment') : [node];
  }

  exec(stmt: Node, scope: Scope): Flow {
    this.tick();
    this.host.statement?.(stmt);
    switch (stmt.type) {
      case 'expression_statement': {
        for (const e of stmt.namedChildren) this.evalStatementExpr(e, scope);
        return NORMAL;
      }
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement':
        this.execImport(stmt, scope);
        return NORMAL;
      case 'function_definition':
        scope.vars.set(stmt.childForFieldName('name')!.text, this.makeFunction(stmt, scope));
        return NORMAL;
      case 'class_definition':
        this.execClass(stmt, scope, []);
        return NORMAL;
      case 'decorated_definition':
        this.execDecorated(stmt, scope);
        return NORMAL;
      case 'return_statement': {
        const e = stmt.namedChildren[0];
        return { kind: 'return', value: e ? this.eval(e, scope) : NONE };
      }
      case 'if_statement':
        return this.execIf(stmt, scope);
      case 'for_statement':
        return this.execFor(stmt, scope);
      case 'while_statement':
        return this.execWhile(stmt, scope);
      case 'with_statement':
        return this.execWith(stmt, scope);
      case 'try_statement': {
        // the handlers run only when the body raises, which static evaluation never sees
        const flow = this.execBlock(this.body(stmt.childForFieldName('body')), scope);
        const fin = stmt.namedChildren.find((c) => c.type === 'finally_clause');
        if (fin) this.execBlock(this.body(fin.namedChildren.find((c) => c.type === 'block') ?? null), scope);
        for (const c of stmt.namedChildren) if (c.type === 'else_clause' && flow.kind === 'normal') return this.execBlock(this.body(c.childForFieldName('body')), scope);
        return flow;
      }
      case 'break_statement':
        return { kind: 'break' };
      case 'continue_statement':
        return { kind: 'continue' };
      case 'pass_statement':
      case 'comment':
      case 'global_statement':
      case 'nonlocal_statement':
      case 'assert_statement':
      case 'raise_statement':
      case 'delete_statement':
      case 'print_statement':
      case 'exec_statement':
      case 'type_alias_statement':
        return NORMAL;
      default:
        return NORMAL;
    }
  }

  private evalStatementExpr(e: Node, scope: Scope): void {
    try {
      this.evalStatementKind(e, scope);
    } catch (err) {
      // outside a forward, a model call memlens cannot follow leaves its names unknown, nothing more
      if (!(err instanceof TraceStop) || this.inForward()) throw err;
      this.note(err.node, err.reason);
      this.havoc([e], scope, err.node, err.reason);
    }
  }

  private evalStatementKind(e: Node, scope: Scope): void {
    switch (e.type) {
      case 'assignment':
        this.execAssign(e, scope);
        return;
      case 'augmented_assignment':
        this.execAugAssign(e, scope);
        return;
      default:
        this.eval(e, scope);
    }
  }

  private execAssign(e: Node, scope: Scope): void {
    const right = e.childForFieldName('right');
    const left = e.childForFieldName('left')!;
    if (!right) {
      // an annotation without a value (`x: int`)
      return;
    }
    // a = b = value: tree-sitter nests the assignments on the right
    if (right.type === 'assignment') {
      this.execAssign(right, scope);
      const inner = right.childForFieldName('left')!;
      this.assign(left, this.eval(inner, scope), scope);
      return;
    }
    this.assign(left, this.eval(right, scope), scope);
  }

  private execAugAssign(e: Node, scope: Scope): void {
    const left = e.childForFieldName('left')!;
    const op = e.childForFieldName('operator')!.type.slice(0, -1);
    const current = this.eval(left, scope);
    const r = this.eval(e.childForFieldName('right')!, scope);
    // lists extend in place; tensors too (`out += shortcut`), which the host decides
    if (op === '+' && current.kind === 'list') {
      const items = iterate(r);
      if (items && current.items.length + items.length <= MAX_ITEMS) {
        for (const x of [...items]) current.items.push(x);
        return;
      }
    }
    this.assign(left, this.binaryOp(`${op}=`, current, r, e), scope);
  }

  assign(target: Node, value: PyValue, scope: Scope): void {
    switch (target.type) {
      case 'identifier': {
        const previous = scope.vars.get(target.text);
        if (previous) releaseVariable(previous);
        scope.vars.set(target.text, value);
        this.host.bound?.(target, value, scope);
        return;
      }
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list':
      case 'expression_list':
        this.assignPattern(target, value, scope);
        return;
      case 'parenthesized_expression':
        this.assign(target.namedChildren[0]!, value, scope);
        return;
      case 'attribute': {
        const obj = this.eval(target.childForFieldName('object')!, scope);
        const name = target.childForFieldName('attribute')!.text;
        if (obj.kind === 'instance' && !obj.module) {
          obj.attrs.set(name, value);
          return;
        }
        if (obj.kind === 'class') {
          obj.attrs.set(name, value);
          return;
        }
        if (!this.host.setAttr(obj, name, value, target) && !isUnknown(obj)) this.note(target, `memlens does not follow the assignment to \`${target.text}\``);
        return;
      }
      case 'subscript': {
        const obj = this.eval(target.childForFieldName('value')!, scope);
        const index = this.subscriptIndex(target, scope);
        if (obj.kind === 'list') {
          const i = intOf(index);
          if (i !== undefined && obj.items[i < 0 ? i + obj.items.length : i] !== undefined) {
            obj.items[i < 0 ? i + obj.items.length : i] = value;
            return;
          }
        }
        if (obj.kind === 'dict') {
          const key = dictKey(index);
          if (key !== undefined) {
            obj.entries.set(key, value);
            return;
          }
        }
        if (!this.host.setSubscript(obj, index, value, target) && !isUnknown(obj)) this.note(target, `memlens does not follow the assignment to \`${target.text}\``);
        return;
      }
      default:
        return;
    }
  }

  private assignPattern(target: Node, value: PyValue, scope: Scope): void {
    const targets = target.namedChildren;
    const items = iterate(value);
    const star = targets.findIndex((t) => t.type === 'list_splat_pattern');
    if (!items || (star < 0 ? items.length !== targets.length : items.length < targets.length - 1)) {
      const why = items ? `${describe(value)} does not unpack into ${targets.length} names` : `${describe(value)} cannot be unpacked statically`;
      for (const t of targets) this.assign(t.type === 'list_splat_pattern' ? t.namedChildren[0]! : t, isUnknown(value) ? value : unknown(target, why), scope);
      return;
    }
    if (star < 0) {
      targets.forEach((t, i) => this.assign(t, items[i]!, scope));
      return;
    }
    const after = targets.length - star - 1;
    targets.slice(0, star).forEach((t, i) => this.assign(t, items[i]!, scope));
    this.assign(targets[star]!.namedChildren[0]!, { kind: 'list', items: items.slice(star, items.length - after) }, scope);
    targets.slice(star + 1).forEach((t, i) => this.assign(t, items[items.length - after + i]!, scope));
  }

  /** names a block would bind: a branch that is skipped leaves them unknown, never stale */
  private havoc(nodes: readonly Node[], scope: Scope, node: Node, reason: string): void {
    const names = new Set<string>();
    const visit = (n: Node): void => {
      if (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda') {
        const name = n.childForFieldName('name');
        if (name) names.add(name.text);
        return;
      }
      if (n.type === 'assignment' || n.type === 'augmented_assignment' || n.type === 'for_statement' || n.type === 'for_in_clause') {
        const left = n.childForFieldName('left');
        if (left) for (const id of [left, ...left.descendantsOfType('identifier')]) if (id.type === 'identifier' && id.parent?.type !== 'attribute') names.add(id.text);
      }
      for (const c of n.namedChildren) visit(c);
    };
    for (const n of nodes) visit(n);
    for (const name of names) scope.vars.set(name, unknown(node, reason));
  }

  private execIf(stmt: Node, scope: Scope): Flow {
    const cond = this.eval(stmt.childForFieldName('condition')!, scope);
    const t = truthy(cond);
    if (t === undefined) return this.unknownBranch(stmt, scope, cond);
    if (t) return this.execBlock(this.body(stmt.childForFieldName('consequence')), scope);
    for (const alt of stmt.namedChildren) {
      if (alt.type === 'elif_clause') {
        const c = this.eval(alt.childForFieldName('condition')!, scope);
        const ct = truthy(c);
        if (ct === undefined) return this.unknownBranch(alt, scope, c);
        if (ct) return this.execBlock(this.body(alt.childForFieldName('consequence')), scope);
      } else if (alt.type === 'else_clause') {
        return this.execBlock(this.body(alt.childForFieldName('body')), scope);
      }
    }
    return NORMAL;
  }

  private unknownBranch(stmt: Node, scope: Scope, cond: PyValue): Flow {
    const condNode = stmt.childForFieldName('condition')!;
    const reason = `the condition \`${condNode.text}\` is not known statically${isUnknown(cond) ? ` (${cond.reason})` : ''}`;
    if (this.inForward()) throw new TraceStop(condNode, reason);
    this.note(condNode, `${reason}: memlens follows neither branch`);
    const blocks: Node[] = [];
    for (let s: Node | null = stmt; s; s = null) {
      for (const c of s.namedChildren) if (c.type === 'block' || c.type === 'elif_clause' || c.type === 'else_clause') blocks.push(c);
    }
    this.havoc(blocks, scope, condNode, reason);
    this.poison(condNode, reason);
    return NORMAL;
  }

  /** set by the host while a forward is being traced: unknown control flow then stops the trace */
  inForward: () => boolean = () => false;
  /** set by the host: an unknown branch in a module constructor makes its parameters unknown */
  poison: (node: Node, reason: string) => void = () => {};

  private execFor(stmt: Node, scope: Scope): Flow {
    const right = stmt.childForFieldName('right')!;
    const iterable = this.eval(right, scope);
    const list = iterate(iterable);
    const body = this.body(stmt.childForFieldName('body'));
    if (!list) {
      const reason = `the loop over \`${right.text}\` is not known statically${isUnknown(iterable) ? ` (${iterable.reason})` : ''}`;
      if (this.inForward()) throw new TraceStop(right, reason);
      this.note(right, `${reason}: memlens skips it`);
      this.havoc([stmt], scope, right, reason);
      this.poison(right, reason);
      return NORMAL;
    }
    const left = stmt.childForFieldName('left')!;
    for (const item of list) {
      this.tick();
      this.assign(left, item, scope);
      const flow = this.execBlock(body, scope);
      if (flow.kind === 'break') return NORMAL;
      if (flow.kind === 'return') return flow;
    }
    const alt = stmt.namedChildren.find((c) => c.type === 'else_clause');
    return alt ? this.execBlock(this.body(alt.childForFieldName('body')), scope) : NORMAL;
  }

  private execWhile(stmt: Node, scope: Scope): Flow {
    const condNode = stmt.childForFieldName('condition')!;
    const body = this.body(stmt.childForFieldName('body'));
    for (;;) {
      this.tick();
      const c = truthy(this.eval(condNode, scope));
      if (c === undefined) {
        const reason = `the loop condition \`${condNode.text}\` is not known statically`;
        if (this.inForward()) throw new TraceStop(condNode, reason);
        this.note(condNode, `${reason}: memlens skips the loop`);
        this.havoc(body, scope, condNode, reason);
        this.poison(condNode, reason);
        return NORMAL;
      }
      if (!c) return NORMAL;
      const flow = this.execBlock(body, scope);
      if (flow.kind === 'break') return NORMAL;
      if (flow.kind === 'return') return flow;
    }
  }

  private execWith(stmt: Node, scope: Scope): Flow {
    const exits: (() => void)[] = [];
    const clause = stmt.namedChildren.find((c) => c.type === 'with_clause');
    for (const item of clause?.namedChildren ?? []) {
      const valueNode = item.childForFieldName('value');
      if (!valueNode) continue;
      // `with open(f) as fh`: tree-sitter puts the alias in an as_pattern
      const expr = valueNode.type === 'as_pattern' ? valueNode.namedChildren[0]! : valueNode;
      const value = this.eval(expr, scope);
      const exit = this.host.enterWith?.(value);
      if (exit) exits.push(exit);
      if (valueNode.type === 'as_pattern') {
        const target = valueNode.childForFieldName('alias') ?? valueNode.namedChildren[1];
        const id = target?.type === 'as_pattern_target' ? target.namedChildren[0] : target;
        if (id) this.assign(id, value, scope);
      }
    }
    try {
      return this.execBlock(this.body(stmt.childForFieldName('body')), scope);
    } finally {
      for (const exit of exits.reverse()) exit();
    }
  }

  private execImport(stmt: Node, scope: Scope): void {
    if (stmt.type === 'import_statement') {
      for (const name of stmt.namedChildren) {
        if (name.type === 'aliased_import') {
          const path = name.childForFieldName('name')!.text;
          const v = this.host.importModule(path, name, 0);
          scope.vars.set(name.childForFieldName('alias')!.text, v ?? unknown(name, `the module \`${path}\` is not known to memlens`));
        } else if (name.type === 'dotted_name') {
          // `import torch.nn` binds `torch`
          const root = name.namedChildren[0]!.text;
          this.host.importModule(name.text, name, 0);
          const v = this.host.importModule(root, name, 0);
          scope.vars.set(root, v ?? unknown(name, `the module \`${root}\` is not known to memlens`));
        }
      }
      return;
    }
    if (stmt.type !== 'import_from_statement') return;
    const moduleNode = stmt.childForFieldName('module_name')!;
    let level = 0;
    let path = moduleNode.text;
    if (moduleNode.type === 'relative_import') {
      const prefix = moduleNode.namedChildren.find((c) => c.type === 'import_prefix');
      level = prefix ? prefix.text.length : 0;
      path = moduleNode.namedChildren.find((c) => c.type === 'dotted_name')?.text ?? '';
    }
    const mod = this.host.importModule(path, moduleNode, level);
    if (stmt.namedChildren.some((c) => c.type === 'wildcard_import')) {
      if (mod && mod.kind === 'dict') for (const [k, v] of mod.entries) if (typeof k === 'string' && !k.startsWith('_')) scope.vars.set(k, v);
      return;
    }
    for (const name of stmt.namedChildren) {
      if (name === moduleNode) continue;
      const isAlias = name.type === 'aliased_import';
      const imported = isAlias ? name.childForFieldName('name')!.text : name.type === 'dotted_name' ? name.text : undefined;
      if (imported === undefined) continue;
      const bindAs = isAlias ? name.childForFieldName('alias')!.text : imported;
      // `from . import blocks`: a submodule when the package does not define the name
      const v = (mod === undefined ? undefined : this.member(mod, imported, name)) ?? this.host.importModule(path ? `${path}.${imported}` : imported, name, level);
      scope.vars.set(bindAs, v ?? unknown(name, `\`${imported}\` from \`${'.'.repeat(level)}${path}\` is not known to memlens`));
    }
  }

  /** a name out of an imported module: a dict of its globals, or a namespace the host knows */
  private member(mod: PyValue, name: string, site: Node): PyValue | undefined {
    if (mod.kind === 'dict') return mod.entries.get(name);
    return this.host.getAttr(mod, name, site);
  }

  // ------------------------------------------------------------------ definitions

  makeFunction(node: Node, scope: Scope, owner?: ClassValue): FunctionValue {
    const defaults = new Map<string, PyValue>();
    const params = node.childForFieldName('parameters');
    for (const p of params?.namedChildren ?? []) {
      if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') {
        defaults.set(p.childForFieldName('name')!.text, this.eval(p.childForFieldName('value')!, scope));
      }
    }
    return { kind: 'function', name: node.childForFieldName('name')?.text ?? '<lambda>', node, closure: scope, defaults, ...(owner ? { owner } : {}) };
  }

  private execDecorated(stmt: Node, scope: Scope): void {
    const def = stmt.childForFieldName('definition')!;
    const decorators = stmt.namedChildren.filter((c) => c.type === 'decorator').map((d) => d.namedChildren[0]!);
    const names = decorators.map((d) => (d.type === 'call' ? d.childForFieldName('function')! : d).text);
    if (def.type === 'class_definition') {
      this.execClass(def, scope, names);
      return;
    }
    // unknown decorators are the identity; the function is what the model code calls
    scope.vars.set(def.childForFieldName('name')!.text, this.makeFunction(def, scope));
  }

  private execClass(node: Node, scope: Scope, decorators: readonly string[]): void {
    const name = node.childForFieldName('name')!.text;
    const bases: ClassValue[] = [];
    let isModule = false;
    let unknownBase: Unknown | undefined;
    for (const b of node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (b.type === 'keyword_argument') continue;
      const v = this.eval(b, scope);
      if (v.kind === 'class') {
        bases.push(v);
        isModule ||= v.isModule;
        unknownBase ??= v.unknownBase;
      } else if (isUnknown(v) && v.module) {
        // a torch.nn class memlens does not model: the subclass is a module whose parameters are not known
        isModule = true;
        unknownBase ??= v;
      } else if (!isUnknown(v) || !/^(object|ABC|Generic.*)$/.test(b.text)) {
        // an unknown base (a mixin from elsewhere): the class still works where it is a module
        if (isUnknown(v)) this.note(b, `the base class \`${b.text}\` is not known to memlens: its methods are not followed`);
      }
    }
    const attrs = new Map<string, PyValue>();
    const dataclass = decorators.some((d) => d === 'dataclass' || d.endsWith('.dataclass'));
    const fields: { name: string; default?: PyValue }[] = [];
    const cls: ClassValue = { kind: 'class', name, bases, attrs, isModule, node, ...(dataclass ? { fields } : {}), ...(unknownBase ? { unknownBase } : {}) };
    const classScope = new Scope(scope, scope.functionName);
    for (const stmt of this.body(node.childForFieldName('body'))) {
      this.tick();
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition')! : stmt;
      if (def.type === 'function_definition') {
        const decos = stmt.type === 'decorated_definition' ? stmt.namedChildren.filter((c) => c.type === 'decorator').map((d) => d.text) : [];
        const fn = this.makeFunction(def, scope, cls);
        const isStatic = decos.includes('@staticmethod');
        const isProperty = decos.includes('@property');
        attrs.set(def.childForFieldName('name')!.text, isStatic ? { ...fn, owner: undefined as never } : isProperty ? { kind: 'builtin', name: `property:${fn.name}`, call: () => NONE, self: fn } : fn);
        continue;
      }
      if (stmt.type === 'expression_statement' && stmt.namedChildren[0]?.type === 'assignment') {
        const a = stmt.namedChildren[0]!;
        const left = a.childForFieldName('left')!;
        const right = a.childForFieldName('right');
        if (dataclass && a.childForFieldName('type') && left.type === 'identifier') {
          const dflt = right ? this.fieldDefault(right, classScope) : undefined;
          fields.push(dflt === undefined ? { name: left.text } : { name: left.text, default: dflt });
          if (dflt !== undefined) attrs.set(left.text, dflt);
          continue;
        }
      }
      this.exec(stmt, classScope);
      for (const [k, v] of classScope.vars) attrs.set(k, v);
    }
    scope.vars.set(name, cls);
  }

  /** a dataclass field's default: `field(default_factory=list)` and friends included */
  private fieldDefault(node: Node, scope: Scope): PyValue {
    if (node.type === 'call' && /(^|\.)field$/.test(node.childForFieldName('function')!.text)) {
      for (const kw of node.childForFieldName('arguments')!.namedChildren) {
        if (kw.type !== 'keyword_argument') continue;
        const key = kw.childForFieldName('name')!.text;
        if (key === 'default') return this.eval(kw.childForFieldName('value')!, scope);
        if (key === 'default_factory') return this.call(this.eval(kw.childForFieldName('value')!, scope), { positional: [], keywords: new Map() }, node);
      }
      return unknown(node, 'a dataclass field without a default');
    }
    return this.eval(node, scope);
  }

  // ------------------------------------------------------------------ calls

  call(callee: PyValue, args: CallArgs, site: Node): PyValue {
    this.tick();
    if (callee.kind === 'function') return this.callFunction(callee, args, site);
    if (callee.kind === 'builtin') return callee.call(args, site);
    const r = this.host.call(callee, args, site);
    if (r !== undefined) return r;
    if (isUnknown(callee)) return callee.module ? { ...unknown(site, callee.reason), module: true } : unknown(site, callee.reason);
    return unknown(site, `calling ${describe(callee)} is not modelled by memlens`);
  }

  callFunction(fn: FunctionValue, args: CallArgs, site: Node): PyValue {
    if (this.depth >= MAX_DEPTH) {
      // unbounded recursion (a module whose constructor builds itself): torch raises RecursionError
      const reason = `calls nest deeper than ${MAX_DEPTH} levels`;
      if (this.inForward()) throw new TraceStop(site, reason);
      this.poison(site, reason);
      return unknown(site, reason);
    }
    const scope = new Scope(fn.closure, fn.closure.functionName ?? fn.name);
    if (fn.owner) this.methodOf.set(scope, fn);
    const bound = this.bindParameters(fn, args, scope, site);
    if (bound) return bound;
    const body = fn.node.childForFieldName('body')!;
    this.depth++;
    try {
      if (fn.node.type === 'lambda') return this.eval(body, scope);
      const flow = this.execBlock(this.body(body), scope);
      return flow.kind === 'return' ? flow.value : NONE;
    } finally {
      this.depth--;
      // the frame's locals, arguments included, held their tensors until the call returned; so did
      // the caller's references to the arguments, even where the callee rebound the parameter's name
      // (`x = self.fc(x)` inside MLP.forward frees nothing the caller passed)
      for (const value of scope.vars.values()) releaseVariable(value);
      for (const value of args.positional) releaseVariable(value);
      for (const value of args.keywords.values()) releaseVariable(value);
    }
  }

  /** binds arguments to the parameters in `scope`; returns an unknown when they do not fit */
  private bindParameters(fn: FunctionValue, args: CallArgs, scope: Scope, site: Node): PyValue | undefined {
    const positional = fn.self !== undefined ? [fn.self, ...args.positional] : [...args.positional];
    const keywords = new Map(args.keywords);
    let i = 0;
    let keywordOnly = false;
    const params = fn.node.childForFieldName('parameters')?.namedChildren ?? [];
    for (const p of params) {
      switch (p.type) {
        case 'identifier':
        case 'typed_parameter':
        case 'default_parameter':
        case 'typed_default_parameter': {
          const nameNode = p.type === 'identifier' ? p : p.type === 'typed_parameter' ? p.namedChildren[0]! : p.childForFieldName('name')!;
          const name = nameNode.text;
          if (nameNode.type === 'list_splat_pattern' || nameNode.type === 'dictionary_splat_pattern') {
            this.bindSplat(nameNode, positional.slice(i), keywords, scope);
            if (nameNode.type === 'list_splat_pattern') {
              i = positional.length;
              keywordOnly = true;
            }
            continue;
          }
          let value: PyValue | undefined;
          if (!keywordOnly && i < positional.length) value = positional[i++];
          else if (keywords.has(name)) {
            value = keywords.get(name);
            keywords.delete(name);
          } else value = fn.defaults.get(name);
          if (value === undefined) return unknown(site, `\`${fn.name}\` is called without its argument \`${name}\``);
          scope.vars.set(name, value);
          continue;
        }
        case 'list_splat_pattern':
        case 'dictionary_splat_pattern':
          this.bindSplat(p, positional.slice(i), keywords, scope);
          if (p.type === 'list_splat_pattern') {
            i = positional.length;
            keywordOnly = true;
          }
          continue;
        case 'keyword_separator':
          keywordOnly = true;
          continue;
        default:
          continue;
      }
    }
    return undefined;
  }

  private bindSplat(p: Node, rest: readonly PyValue[], keywords: Map<string, PyValue>, scope: Scope): void {
    const id = p.namedChildren[0];
    if (!id) return;
    if (p.type === 'list_splat_pattern') scope.vars.set(id.text, { kind: 'tuple', items: rest });
    else {
      scope.vars.set(id.text, { kind: 'dict', entries: new Map(keywords) });
      keywords.clear();
    }
  }

  evalArgs(list: Node | null, scope: Scope): CallArgs {
    const positional: PyValue[] = [];
    const keywords = new Map<string, PyValue>();
    for (const a of list?.namedChildren ?? []) {
      if (a.type === 'keyword_argument') keywords.set(a.childForFieldName('name')!.text, this.eval(a.childForFieldName('value')!, scope));
      else if (a.type === 'list_splat') {
        const v = this.eval(a.namedChildren[0]!, scope);
        const items = iterate(v);
        if (items && positional.length + items.length <= MAX_ITEMS) for (const x of items) positional.push(x);
        else positional.push(isUnknown(v) ? v : unknown(a, `\`${a.text}\` cannot be unpacked statically`));
      } else if (a.type === 'dictionary_splat') {
        const v = this.eval(a.namedChildren[0]!, scope);
        if (v.kind === 'dict') for (const [k, x] of v.entries) keywords.set(String(k), x);
      } else if (a.type === 'comment') continue;
      else if (a.type === 'generator_expression') positional.push(this.eval(a, scope));
      else positional.push(this.eval(a, scope));
    }
    return { positional, keywords };
  }

  // ------------------------------------------------------------------ expressions

  private nesting = 0;

  eval(node: Node, scope: Scope): PyValue {
    this.tick();
    // expressions nested thousands deep would overflow the stack: beyond a depth no model needs, unknown
    if (this.nesting >= MAX_NESTING) return unknown(node, `an expression nested deeper than ${MAX_NESTING} levels`);
    this.nesting++;
    try {
      return this.evalNode(node, scope);
    } finally {
      this.nesting--;
    }
  }

  private evalNode(node: Node, scope: Scope): PyValue {
    switch (node.type) {
      case 'integer': {
        const t = node.text.replace(/_/g, '').toLowerCase();
        const v = t.startsWith('0x') || t.startsWith('0o') || t.startsWith('0b') ? Number(t) : Number(t.replace(/l$/, ''));
        return Number.isSafeInteger(v) ? int(v) : unknown(node, 'an integer too large to count exactly');
      }
      case 'float':
        return { kind: 'float', value: Number(node.text.replace(/_/g, '')) };
      case 'true':
        return TRUE;
      case 'false':
        return FALSE;
      case 'none':
        return NONE;
      case 'string':
        return this.evalString(node, scope);
      case 'concatenated_string': {
        let s = '';
        for (const part of node.namedChildren) {
          const v = this.evalString(part, scope);
          if (v.kind !== 'str') return v;
          s += v.value;
        }
        return { kind: 'str', value: s };
      }
      case 'identifier': {
        const v = scope.lookup(node.text) ?? this.host.builtin(node.text);
        return v ?? unknown(node, `\`${node.text}\` is not defined where memlens can see it`);
      }
      case 'parenthesized_expression':
        return node.namedChildren[0] ? this.eval(node.namedChildren[0], scope) : { kind: 'tuple', items: [] };
      case 'tuple':
      case 'expression_list':
        return { kind: 'tuple', items: this.evalItems(node, scope) };
      case 'list':
        return { kind: 'list', items: [...this.evalItems(node, scope)] };
      case 'set':
        return { kind: 'list', items: [...this.evalItems(node, scope)] };
      case 'dictionary':
        return this.evalDict(node, scope);
      case 'list_comprehension':
      case 'generator_expression':
      case 'set_comprehension':
        return this.evalComprehension(node, scope, 'list');
      case 'dictionary_comprehension':
        return this.evalComprehension(node, scope, 'dict');
      case 'attribute':
        return this.getAttr(this.eval(node.childForFieldName('object')!, scope), node.childForFieldName('attribute')!.text, node);
      case 'subscript':
        return this.evalSubscript(node, scope);
      case 'call':
        return this.evalCall(node, scope);
      case 'binary_operator':
        return this.binaryOp(node.childForFieldName('operator')!.type, this.eval(node.childForFieldName('left')!, scope), this.eval(node.childForFieldName('right')!, scope), node);
      case 'unary_operator':
        return unary(node.childForFieldName('operator')!.type, this.eval(node.childForFieldName('argument')!, scope), node);
      case 'not_operator': {
        const t = truthy(this.eval(node.childForFieldName('argument')!, scope));
        return t === undefined ? unknown(node, `\`${node.text}\` is not known statically`) : t ? FALSE : TRUE;
      }
      case 'boolean_operator': {
        const op = node.childForFieldName('operator')!.type;
        const left = this.eval(node.childForFieldName('left')!, scope);
        const t = truthy(left);
        if (t === undefined) return unknown(node, `\`${node.text}\` is not known statically`);
        if (op === 'and' ? !t : t) return left;
        return this.eval(node.childForFieldName('right')!, scope);
      }
      case 'comparison_operator':
        return this.evalComparison(node, scope);
      case 'conditional_expression': {
        const [a, cond, b] = node.namedChildren;
        const t = truthy(this.eval(cond!, scope));
        if (t === undefined) {
          if (this.inForward()) throw new TraceStop(cond!, `the condition \`${cond!.text}\` is not known statically`);
          return unknown(node, `the condition \`${cond!.text}\` is not known statically`);
        }
        return this.eval(t ? a! : b!, scope);
      }
      case 'lambda':
        return { kind: 'function', name: '<lambda>', node, closure: scope, defaults: new Map() };
      case 'named_expression': {
        const v = this.eval(node.childForFieldName('value')!, scope);
        this.assign(node.childForFieldName('name')!, v, scope);
        return v;
      }
      case 'keyword_argument':
        return this.eval(node.childForFieldName('value')!, scope);
      case 'ellipsis':
        return { kind: 'str', value: '...' };
      case 'await':
      case 'yield':
        return unknown(node, `\`${node.type}\` is not modelled by memlens`);
      default:
        return unknown(node, `a \`${node.type}\` expression is not modelled by memlens`);
    }
  }

  binaryOp(op: string, a: PyValue, b: PyValue, site: Node): PyValue {
    // instances too: a Keras symbolic tensor is one (`x + shortcut` in a functional model)
    if (a.kind === 'tensor' || b.kind === 'tensor' || a.kind === 'parameter' || b.kind === 'parameter' || a.kind === 'instance' || b.kind === 'instance') {
      const r = this.host.binary?.(op, a, b, site);
      if (r) return r;
    }
    return binary(op.replace(/=$/, ''), a, b, site);
  }

  private evalItems(node: Node, scope: Scope): readonly PyValue[] {
    const out: PyValue[] = [];
    for (const c of node.namedChildren) {
      if (c.type === 'comment') continue;
      // tree-sitter-python reads `*x.shape, y` as (*x).shape: the splat is of the whole attribute
      const splattedAttribute = c.type === 'attribute' && c.childForFieldName('object')?.type === 'list_splat';
      if (c.type === 'list_splat' || splattedAttribute) {
        const v = splattedAttribute
          ? this.getAttr(this.eval(c.childForFieldName('object')!.namedChildren[0]!, scope), c.childForFieldName('attribute')!.text, c)
          : this.eval(c.namedChildren[0]!, scope);
        const items = iterate(v);
        if (items && out.length + items.length <= MAX_ITEMS) for (const x of items) out.push(x);
        else out.push(isUnknown(v) ? v : unknown(c, `\`${c.text}\` cannot be unpacked statically`));
      } else out.push(this.eval(c, scope));
    }
    return out;
  }

  private evalDict(node: Node, scope: Scope): PyValue {
    const entries = new Map<string | number, PyValue>();
    for (const c of node.namedChildren) {
      if (c.type === 'pair') {
        const k = dictKey(this.eval(c.childForFieldName('key')!, scope));
        if (k === undefined) return unknown(c, `the key \`${c.childForFieldName('key')!.text}\` is not known statically`);
        entries.set(k, this.eval(c.childForFieldName('value')!, scope));
      } else if (c.type === 'dictionary_splat') {
        const v = this.eval(c.namedChildren[0]!, scope);
        if (v.kind !== 'dict') return unknown(c, `\`${c.text}\` is not a known dict`);
        for (const [k, x] of v.entries) entries.set(k, x);
      }
    }
    return { kind: 'dict', entries };
  }

  private evalString(node: Node, scope: Scope): PyValue {
    if (node.type !== 'string') return unknown(node, 'not a string');
    const start = node.namedChildren.find((c) => c.type === 'string_start')?.text ?? '"';
    const raw = /r/i.test(start);
    let s = '';
    for (const part of node.namedChildren) {
      if (part.type === 'string_content') s += raw ? part.text : unescape(part.text);
      else if (part.type === 'escape_sequence') s += raw ? part.text : unescape(part.text);
      else if (part.type === 'interpolation') {
        const e = part.childForFieldName('expression');
        const v = e ? this.eval(e, scope) : unknown(part, 'an empty interpolation');
        if (v.kind === 'str') s += v.value;
        else if (v.kind === 'int' || v.kind === 'float' || v.kind === 'bool' || v.kind === 'none') s += describe(v);
        else return unknown(part, `the f-string part \`${part.text}\` is not known statically`);
      }
    }
    return { kind: 'str', value: s };
  }

  private evalComprehension(node: Node, scope: Scope, into: 'list' | 'dict'): PyValue {
    const inner = new Scope(scope, scope.functionName);
    const clauses = node.namedChildren.filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause');
    const bodyNode = node.childForFieldName('body')!;
    const items: PyValue[] = [];
    const entries = new Map<string | number, PyValue>();
    let failure: PyValue | undefined;
    const run = (k: number): void => {
      if (failure) return;
      if (k === clauses.length) {
        if (into === 'dict' && bodyNode.type === 'pair') {
          const key = dictKey(this.eval(bodyNode.childForFieldName('key')!, inner));
          if (key === undefined) failure = unknown(bodyNode, 'a dict comprehension key that is not known statically');
          else entries.set(key, this.eval(bodyNode.childForFieldName('value')!, inner));
        } else items.push(this.eval(bodyNode, inner));
        return;
      }
      const c = clauses[k]!;
      if (c.type === 'if_clause') {
        const t = truthy(this.eval(c.namedChildren[0]!, inner));
        if (t === undefined) failure = unknown(c, `the filter \`${c.text}\` is not known statically`);
        else if (t) run(k + 1);
        return;
      }
      const right = c.childForFieldName('right')!;
      const iterable = this.eval(right, inner);
      const list = iterate(iterable);
      if (!list) {
        failure = isUnknown(iterable) ? iterable : unknown(right, `\`${right.text}\` is not a known iterable`);
        return;
      }
      for (const item of list) {
        this.tick();
        this.assign(c.childForFieldName('left')!, item, inner);
        run(k + 1);
      }
    };
    run(0);
    if (failure) return failure;
    return into === 'dict' ? { kind: 'dict', entries } : { kind: 'list', items };
  }

  private evalComparison(node: Node, scope: Scope): PyValue {
    const operands = node.namedChildren;
    const ops: string[] = [];
    for (let i = 0; i < node.children.length; i++) {
      const c = node.children[i]!;
      if (node.fields[i] === 'operators') ops.push(c.children.length > 0 ? c.children.map((x) => x.type).join(' ') : c.type);
    }
    let left = this.eval(operands[0]!, scope);
    for (let i = 0; i < ops.length; i++) {
      const right = this.eval(operands[i + 1]!, scope);
      // mask == 0 on tensors is a tensor, not a truth value
      const tensors = left.kind === 'tensor' || right.kind === 'tensor' || left.kind === 'parameter' || right.kind === 'parameter';
      const elementwise = tensors && ops.length === 1 && ['==', '!=', '<', '<=', '>', '>='].includes(ops[i]!);
      const r = (elementwise ? this.host.binary?.(ops[i]!, left, right, node) : undefined) ?? compare(ops[i]!, left, right, node);
      if (r.kind === 'tensor') return r;
      if (r.kind !== 'bool') return r;
      if (!r.value) return FALSE;
      left = right;
    }
    return TRUE;
  }

  subscriptIndex(node: Node, scope: Scope): PyValue {
    const parts: Node[] = [];
    for (let i = 0; i < node.children.length; i++) if (node.fields[i] === 'subscript') parts.push(node.children[i]!);
    const values = parts.map((p) => (p.type === 'slice' ? this.evalSlice(p, scope) : this.eval(p, scope)));
    return values.length === 1 ? values[0]! : { kind: 'tuple', items: values };
  }

  private evalSlice(node: Node, scope: Scope): PyValue {
    // `a:b:c` with any part missing: the colons (kept in the copied tree) say which part is which
    const slots: (Node | undefined)[] = [undefined, undefined, undefined];
    let slot = 0;
    for (const c of node.children) {
      if (c.type === ':') slot++;
      else if (c.isNamed) slots[slot] = c;
    }
    const part = (n: Node | undefined): PyValue => (n ? this.eval(n, scope) : NONE);
    return { kind: 'slice', start: part(slots[0]), stop: part(slots[1]), step: part(slots[2]) };
  }

  private evalSubscript(node: Node, scope: Scope): PyValue {
    const obj = this.eval(node.childForFieldName('value')!, scope);
    const index = this.subscriptIndex(node, scope);
    return this.index(obj, index, node);
  }

  index(obj: PyValue, index: PyValue, site: Node): PyValue {
    if (obj.kind === 'list' || obj.kind === 'tuple' || obj.kind === 'str') {
      const items = obj.kind === 'str' ? [...obj.value].map((c): PyValue => ({ kind: 'str', value: c })) : obj.items;
      const i = intOf(index);
      if (i !== undefined) {
        const v = items[i < 0 ? i + items.length : i];
        return v ?? unknown(site, `index ${i} is out of range for ${describe(obj)}`);
      }
      if (index.kind === 'slice') {
        const picked = sliceItems(items, index);
        if (!picked) return unknown(site, 'a slice whose bounds are not known statically');
        if (obj.kind === 'str') return { kind: 'str', value: picked.map((p) => (p.kind === 'str' ? p.value : '')).join('') };
        return obj.kind === 'list' ? { kind: 'list', items: picked } : { kind: 'tuple', items: picked };
      }
    }
    if (obj.kind === 'dict') {
      const k = dictKey(index);
      const v = k === undefined ? undefined : obj.entries.get(k);
      if (v !== undefined) return v;
    }
    const r = this.host.subscript(obj, index, site);
    if (r !== undefined) return r;
    if (isUnknown(obj)) return obj;
    return unknown(site, `\`${site.text}\` is not known statically`);
  }

  private evalCall(node: Node, scope: Scope): PyValue {
    const fnNode = node.childForFieldName('function')!;
    const argsNode = node.childForFieldName('arguments');
    // super() needs the method's class and self, which the call itself does not carry
    if (fnNode.type === 'identifier' && fnNode.text === 'super' && !scope.lookup('super')) return this.evalSuper(node, scope);
    const callee = this.eval(fnNode, scope);
    const args = argsNode?.type === 'generator_expression' ? { positional: [this.eval(argsNode, scope)], keywords: new Map<string, PyValue>() } : this.evalArgs(argsNode, scope);
    return this.call(callee, args, node);
  }

  private evalSuper(node: Node, scope: Scope): PyValue {
    let fn: FunctionValue | undefined;
    for (let s: Scope | undefined = scope; s && !fn; s = s.parent) fn = this.methodOf.get(s);
    const self = scope.lookup('self');
    if (!fn?.owner || !self) return unknown(node, 'super() outside a method');
    return { kind: 'super', self, after: fn.owner };
  }

  /** the scope of each running method (super() reads it) */
  readonly methodOf = new WeakMap<Scope, FunctionValue>();

  getAttr(obj: PyValue, name: string, site: Node): PyValue {
    if (obj.kind === 'unknown') return obj;
    if (obj.kind === 'super') {
      const cls = obj.self.kind === 'instance' ? obj.self.cls : obj.self.kind === 'class' ? obj.self : undefined;
      if (cls) {
        const order = mroAfter(cls, obj.after);
        for (const c of order) {
          const v = c.attrs.get(name);
          if (v !== undefined) return v.kind === 'function' ? { ...v, self: obj.self } : v;
        }
      }
      const r = this.host.getAttr(obj, name, site);
      return r ?? unknown(site, `super().${name} is not known to memlens`);
    }
    if (obj.kind === 'instance') {
      // a plain object's __dict__ is its attributes themselves: `self.__dict__.update(kwargs)` sets them
      if (name === '__dict__' && !obj.module) return { kind: 'dict', entries: obj.attrs };
      const own = obj.module ? undefined : obj.attrs.get(name);
      if (own !== undefined) return own;
      const r = obj.module ? this.host.getAttr(obj, name, site) : undefined;
      if (r !== undefined) return r;
      const found = lookupClassAttr(obj.cls, name);
      if (found) {
        const v = found.value;
        if (v.kind === 'function' && v.owner !== undefined) return { ...v, self: obj };
        if (v.kind === 'builtin' && v.name.startsWith('property:') && v.self?.kind === 'function') return this.callFunction({ ...v.self, self: obj }, { positional: [], keywords: new Map() }, site);
        return v;
      }
      const fallback = this.host.getAttr(obj, name, site);
      return fallback ?? unknown(site, `${describe(obj)} has no attribute \`${name}\` memlens knows of`);
    }
    if (obj.kind === 'class') {
      const found = lookupClassAttr(obj, name);
      if (found) return found.value;
    }
    if (obj.kind === 'list' || obj.kind === 'dict' || obj.kind === 'str' || obj.kind === 'tuple') {
      const m = pythonMethod(obj, name, site);
      if (m) return m;
      if (obj.kind === 'dict') {
        const r = this.host.getAttr(obj, name, site);
        if (r) return r;
      }
      // a mutation memlens cannot follow must not leave a model built from a stale list
      const reason = `the method \`.${name}()\` of ${obj.kind === 'str' ? 'a string' : `a ${obj.kind}`} is not modelled by memlens`;
      if (obj.kind === 'list' || obj.kind === 'dict') this.poison(site, reason);
      return unknown(site, reason);
    }
    const r = this.host.getAttr(obj, name, site);
    return r ?? unknown(site, `\`${name}\` of ${describe(obj)} is not known to memlens`);
  }
}



function sliceItems<T>(items: readonly T[], s: { start: PyValue; stop: PyValue; step: PyValue }): T[] | undefined {
  const n = items.length;
  const step = s.step.kind === 'none' ? 1 : intOf(s.step);
  if (step === undefined || step === 0) return undefined;
  const bound = (v: PyValue, dflt: number): number | undefined => {
    if (v.kind === 'none') return dflt;
    const i = intOf(v);
    if (i === undefined) return undefined;
    const j = i < 0 ? i + n : i;
    return step > 0 ? Math.min(Math.max(j, 0), n) : Math.min(Math.max(j, -1), n - 1);
  };
  const start = bound(s.start, step > 0 ? 0 : n - 1);
  const stop = bound(s.stop, step > 0 ? n : -1);
  if (start === undefined || stop === undefined) return undefined;
  const out: T[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(items[i]!);
  return out;
}

export function sliceBounds(n: number, s: { start: PyValue; stop: PyValue; step: PyValue }): number[] | undefined {
  return sliceItems(Array.from({ length: n }, (_, i) => i), s);
}

function unescape(s: string): string {
  return s.replace(/\\(n|t|r|\\|'|"|0)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' })[c] ?? c);
}
