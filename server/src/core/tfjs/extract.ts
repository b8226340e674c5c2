// From a syntax tree to model descriptions: bind the TensorFlow.js imports, evaluate the
// module's top level, then every top-level function (or class method) that builds a model
// and is not called from elsewhere in the file, with its parameters unknown.
import type { SyntaxNode as Node } from './syntax';
import { BreakSignal, LimitSignal, ReturnSignal, type Note } from './interpreterState';
import { bindLocalImport, collectExports, type Exports, type ImportContext } from './localImports';
import { Interpreter } from './statements';
import { isTfjsPackage, named, stringValue } from './staticValues';
import { Scope, type FunctionValue, type ModelObject, type ObjectValue } from './values';

export interface Extraction {
  readonly models: readonly ModelObject[];
  readonly notes: readonly Note[];
  readonly tensorNames: ReadonlyMap<number, { name: string; node: Node }>;
  /** the functions whose bodies ran */
  readonly invoked: ReadonlySet<Node>;
}

/** bind `import * as tf`, `import tf`, `import {layers as L}` from a TensorFlow.js package */
function bindImport(stmt: Node, scope: Scope): void {
  const source = stmt.childForFieldName('source');
  if (!source || !isTfjsPackage(stringValue(source))) return;
  const clause = named(stmt).find((c) => c.type === 'import_clause');
  if (!clause) return;
  for (const c of named(clause)) {
    if (c.type === 'identifier') scope.declare(c.text, { value: { kind: 'tf', path: '' }, isConst: true, node: c });
    else if (c.type === 'namespace_import') {
      const id = c.namedChild(0);
      if (id) scope.declare(id.text, { value: { kind: 'tf', path: '' }, isConst: true, node: id });
    } else if (c.type === 'named_imports') {
      for (const spec of named(c)) {
        if (spec.type !== 'import_specifier') continue;
        const name = spec.childForFieldName('name');
        const alias = spec.childForFieldName('alias') ?? name;
        if (name && alias) scope.declare(alias.text, { value: { kind: 'tf', path: propertyName(name) }, isConst: true, node: alias });
      }
    }
  }
}

function propertyName(node: Node): string {
  return node.type === 'string' ? stringValue(node) : node.text;
}

interface Entry {
  readonly fn: FunctionValue;
  readonly name: string;
  /** for a class method: the class's methods, the `this` it runs with */
  readonly methods?: ReadonlyMap<string, FunctionValue>;
}

/** top-level functions and class methods that may build models */
function entries(root: Node, scope: Scope): Entry[] {
  const out: Entry[] = [];
  for (const stmt of named(root)) {
    const decl = stmt.type === 'export_statement' ? (stmt.childForFieldName('declaration') ?? stmt.childForFieldName('value')) : stmt;
    if (!decl) continue;
    switch (decl.type) {
      case 'function_declaration':
      case 'generator_function_declaration': {
        const name = decl.childForFieldName('name')?.text;
        const v = name ? scope.lookup(name)?.value : undefined;
        if (name && v?.kind === 'function') out.push({ fn: v, name });
        break;
      }
      case 'lexical_declaration':
      case 'variable_declaration':
        for (const d of named(decl)) {
          const value = d.childForFieldName('value');
          const name = d.childForFieldName('name');
          if (!value || name?.type !== 'identifier') continue;
          if (value.type !== 'arrow_function' && value.type !== 'function_expression' && value.type !== 'function') continue;
          const v = scope.lookup(name.text)?.value;
          if (v?.kind === 'function') out.push({ fn: v, name: name.text });
        }
        break;
      case 'class_declaration':
      case 'abstract_class_declaration': {
        const className = decl.childForFieldName('name')?.text ?? 'class';
        // a class that is instantiated runs where `new` is; a custom layer's methods build no model
        const heritage = named(decl).find((c) => c.type === 'class_heritage')?.text ?? '';
        if (callCount(named(root), className) > 0 || /\bLayer\b/.test(heritage)) break;
        const body = decl.childForFieldName('body');
        const methods = new Map<string, FunctionValue>();
        for (const m of body ? named(body) : []) {
          if (m.type !== 'method_definition') continue;
          const short = m.childForFieldName('name')?.text ?? 'method';
          methods.set(short, { kind: 'function', name: `${className}.${short}`, node: m, closure: scope });
        }
        for (const fn of methods.values()) out.push({ fn, name: fn.name, methods });
        break;
      }
      case 'arrow_function':
      case 'function_expression':
      case 'function':
        out.push({ fn: { kind: 'function', name: 'default', node: decl, closure: scope }, name: 'default' });
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * The entries that may build a model: those that mention a TensorFlow.js name, and those that
 * call one of them by name (`function main() { return createModel(10); }`), transitively.
 */
function buildersOf(all: readonly Entry[], tfNames: readonly string[]): Set<Entry> {
  const found = new Set(all.filter((e) => tfNames.some((n) => e.fn.node.text.includes(n))));
  const shortName = (e: Entry): string => e.name.slice(e.name.lastIndexOf('.') + 1);
  for (let grew = true; grew; ) {
    grew = false;
    const names = [...found].map(shortName);
    for (const e of all) {
      if (found.has(e)) continue;
      const text = e.fn.node.text;
      if (names.some((n) => new RegExp(`\\b${n.replace(/\$/g, '\\$')}\\s*\\(`).test(text))) {
        found.add(e);
        grew = true;
      }
    }
  }
  return found;
}

/** how often each identifier is written as a callee `name(`, per top-level statement (kept while the statement is reused) */
const callCountCache = new WeakMap<Node, Map<string, number>>();

function statementCallCounts(stmt: Node): Map<string, number> {
  let counts = callCountCache.get(stmt);
  if (!counts) {
    counts = new Map();
    for (const m of stmt.text.matchAll(/([A-Za-z_$][\w$]*)\s*(?:<[^<>()]*>)?\(/g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    callCountCache.set(stmt, counts);
  }
  return counts;
}

function callCount(statements: readonly Node[], name: string): number {
  let n = 0;
  for (const s of statements) n += statementCallCounts(s).get(name) ?? 0;
  return n;
}

/** a top-level function evaluated on its own, and the top-level statement that holds it */
export interface StandaloneEntry {
  readonly fn: FunctionValue;
  readonly statement: Node;
  readonly methods?: ReadonlyMap<string, FunctionValue>;
}

export interface ModulePass {
  /** what the module's top level itself built */
  readonly topLevel: Extraction;
  /** functions to evaluate on their own, in source order */
  readonly entries: readonly StandaloneEntry[];
  /** the text of every top-level statement that is not an entry: entries depend on it */
  readonly fingerprint: string;
  readonly budget: { steps: number };
  /** false when the step budget ran out: entries are not evaluated */
  readonly complete: boolean;
  /** the module's names bound to TensorFlow.js values, with their path ('' for the namespace) */
  readonly tfNames: ReadonlyMap<string, string>;
}

/** bind the imports, run the top level, and find the functions that build models on their own */
export function runModule(root: Node, imports?: ImportContext): ModulePass {
  const budget = { steps: 0 };
  const interp = new Interpreter(budget);
  const scope = new Scope();
  const statements = named(root);
  interp.imports = imports;
  // a page's script uses the global `tf` of a script tag; a declaration of the file's own replaces it
  scope.declare('tf', { value: { kind: 'tf', path: '' }, isConst: false });
  bindImports(statements, scope, interp, imports);
  const complete = guarded(interp, () => interp.execBlock(statements, scope));
  const standalone: StandaloneEntry[] = [];
  const tfNames = scope.names().filter((n) => scope.lookup(n)?.value.kind === 'tf');
  if (complete && tfNames.length > 0) {
    const all = entries(root, scope);
    const builds = buildersOf(all, tfNames);
    for (const entry of all) {
      if (interp.invoked.has(entry.fn.node)) continue;
      const isDeclaration = entry.fn.node.type === 'function_declaration' || entry.fn.node.type === 'generator_function_declaration';
      const baseName = entry.name.includes('.') ? undefined : entry.name;
      if (baseName && callCount(statements, baseName) > (isDeclaration ? 1 : 0)) continue;
      if (!builds.has(entry)) continue;
      let statement = entry.fn.node;
      while (statement.parent && statement.parent !== root) statement = statement.parent;
      standalone.push({ fn: entry.fn, statement, ...(entry.methods ? { methods: entry.methods } : {}) });
    }
  }
  const hosts = new Set(standalone.filter((e) => e.statement.type !== 'class_declaration').map((e) => e.statement));
  const fingerprint = statements.filter((s) => !hosts.has(s)).map((s) => `${s.startPosition.column}:${s.text}`).join('\n');
  const tfPaths = new Map<string, string>();
  for (const n of tfNames) {
    const v = scope.lookup(n)?.value;
    if (v?.kind === 'tf') tfPaths.set(n, v.path);
  }
  return { topLevel: done(interp), entries: standalone, fingerprint, budget, complete, tfNames: tfPaths };
}

function bindImports(statements: readonly Node[], scope: Scope, interp: Interpreter, imports: ImportContext | undefined): void {
  for (const stmt of statements) {
    if (stmt.type !== 'import_statement') continue;
    bindImport(stmt, scope);
    const problem = bindLocalImport(stmt, scope, imports);
    if (problem) interp.notes.push({ node: stmt, message: problem, code: 'unresolved' });
  }
}

/** an imported file's top level, run on its own for what it exports (its models are not reported here) */
export function evaluateImported(root: Node, context: ImportContext): Exports {
  const interp = new Interpreter({ steps: 0 });
  const scope = new Scope();
  const statements = named(root);
  interp.imports = context;
  // CommonJS: `module.exports = {...}`, `exports.x = ...`
  const commonExports: ObjectValue = { kind: 'object', props: new Map(), nodes: new Map() };
  const moduleObject: ObjectValue = { kind: 'object', props: new Map([['exports', commonExports]]), nodes: new Map() };
  scope.declare('module', { value: moduleObject, isConst: true, node: root });
  scope.declare('exports', { value: commonExports, isConst: true, node: root });
  bindImports(statements, scope, interp, context);
  guarded(interp, () => interp.execBlock(statements, scope));
  const exports = new Map(collectExports(root, scope, context));
  const assigned = moduleObject.props.get('exports');
  if (assigned && assigned !== commonExports) exports.set('module.exports', assigned);
  else for (const [k, v] of commonExports.props) if (!exports.has(k)) exports.set(k, v);
  return exports;
}

/** evaluate one function on its own, parameters unknown */
export function runEntry(entry: StandaloneEntry, budget: { steps: number }): Extraction & { readonly complete: boolean } {
  const interp = new Interpreter(budget);
  // a class method runs with a fresh `this` holding the class's methods
  const self: ObjectValue | undefined = entry.methods ? { kind: 'object', props: new Map(entry.methods), nodes: new Map() } : undefined;
  const complete = guarded(interp, () => interp.evalStandalone(entry.fn, self));
  return { ...done(interp), complete };
}

/** the whole document in one go (no caching) */
export function extractModels(root: Node): Extraction {
  const pass = runModule(root);
  const parts: Extraction[] = [pass.topLevel];
  for (const entry of pass.entries) {
    const r = runEntry(entry, pass.budget);
    parts.push(r);
    if (!r.complete) break;
  }
  return {
    models: parts.flatMap((p) => p.models),
    notes: parts.flatMap((p) => p.notes),
    tensorNames: new Map(parts.flatMap((p) => [...p.tensorNames])),
    invoked: new Set(parts.flatMap((p) => [...p.invoked])),
  };
}

function done(interp: Interpreter): Extraction {
  return { models: interp.models, notes: interp.notes, tensorNames: interp.tensorNames, invoked: interp.invoked };
}

/** run one evaluation; false when the step budget ran out (nothing more is evaluated) */
function guarded(interp: Interpreter, run: () => void): boolean {
  try {
    run();
    return true;
  } catch (signal) {
    // a `return` or `break` outside any function or loop (recovered syntax errors) ends the evaluation quietly
    if (signal instanceof ReturnSignal || signal instanceof BreakSignal) return true;
    if (!(signal instanceof LimitSignal)) throw signal;
    interp.notes.push({ node: signal.node, message: signal.message, code: 'limit' });
    return false;
  }
}
