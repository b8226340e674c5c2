// Local imports: `import {IMAGE_H} from './data'`, `import buildModel from './model'`,
// `export {x} from './y'`, read from disk next to the importing file (never executed), parsed and
// evaluated once per analysis, with import cycles detected.
import { dirname, join } from 'node:path';
import type { ReadFile } from '../sourceFiles';
import { parseDocument } from './parse';
import { isTfjsPackage, named, stringValue } from './staticValues';
import { copyTree, type SyntaxNode as Node } from './syntax';
import { unknown, type Scope, type Value } from './values';

/** what a module exports, by name ('default' for its default export) */
export type Exports = ReadonlyMap<string, Value>;

/** evaluates one imported file's top level and says what it exports (extract.ts) */
export type EvaluateModule = (root: Node, context: ImportContext) => Exports;

export interface ImportContext {
  /** the importing file's path */
  readonly file: string;
  readonly read: ReadFile;
  readonly evaluate: EvaluateModule;
  /** every file's exports, once per analysis; 'loading' while its top level runs (a cycle) */
  readonly loaded: Map<string, Exports | 'loading'>;
}

/** a relative module specifier: only those are files of the workspace */
export function isLocalModule(source: string): boolean {
  return source.startsWith('./') || source.startsWith('../');
}

const EXTENSIONS = ['', '.js', '.ts', '.mjs', '.cjs', '.jsx', '.tsx', '/index.js', '/index.ts'];

/** a module's exports, or why they cannot be read */
export function loadModule(source: string, context: ImportContext): Exports | string {
  const stem = join(dirname(context.file), source);
  for (const ext of EXTENSIONS) {
    const file = stem + ext;
    if (ext === '' && !/\.[cm]?[jt]sx?$/.test(file)) continue;
    const known = context.loaded.get(file);
    if (known === 'loading') return `'${source}' imports this file back (an import cycle)`;
    if (known) return known;
    const text = context.read(file);
    if (text === undefined) continue;
    const parsed = parseDocument(text, 'tsx', `import:${file}`);
    if (!parsed) return `memlens' parser is not loaded yet`;
    try {
      const { root, cache } = copyTree(parsed.tree, text, parsed.statements);
      parsed.keepStatements(cache);
      context.loaded.set(file, 'loading');
      const exports = context.evaluate(root, { ...context, file });
      context.loaded.set(file, exports);
      return exports;
    } finally {
      parsed.release();
    }
  }
  return `memlens found no file '${source}' next to this one`;
}

/** bind the names an `import ... from './x'` statement brings in; unresolved names get an unknown value naming the module */
export function bindLocalImport(stmt: Node, scope: Scope, context: ImportContext | undefined): string | undefined {
  const sourceNode = stmt.childForFieldName('source');
  if (!sourceNode) return undefined;
  const source = stringValue(sourceNode);
  if (isTfjsPackage(source) || !isLocalModule(source)) return undefined;
  const clause = named(stmt).find((c) => c.type === 'import_clause');
  // `import type {X} from './x'`: erased by the compiler, nothing to bind or read
  if (!clause || stmt.children.some((c) => c.type === 'type')) return undefined;
  const loaded = context ? loadModule(source, context) : 'the file has no path on disk (an untitled document)';
  const problem = typeof loaded === 'string' ? loaded : undefined;
  const missing: string[] = [];
  const bind = (local: Node, exported: string): void => {
    // a CommonJS module's `module.exports` is its default export
    const value = typeof loaded === 'string' ? undefined : (loaded.get(exported) ?? (exported === 'default' ? loaded.get('module.exports') : undefined));
    if (!value) missing.push(exported);
    const reason = problem ? `'${exported}' is imported from '${source}', which memlens could not read: ${problem}` : `'${source}' exports no '${exported}' that memlens can follow`;
    scope.declare(local.text, { value: value ?? unknown(local, reason), isConst: true, node: local });
  };
  for (const c of named(clause)) {
    if (c.type === 'identifier') bind(c, 'default');
    else if (c.type === 'namespace_import') {
      const id = c.namedChild(0);
      if (id && typeof loaded !== 'string') scope.declare(id.text, { value: { kind: 'object', props: new Map(loaded), nodes: new Map() }, isConst: true, node: id });
      else if (id) bind(id, '*');
    } else if (c.type === 'named_imports') {
      for (const spec of named(c)) {
        if (spec.type !== 'import_specifier' || spec.children.some((c) => c.type === 'type')) continue;
        const name = spec.childForFieldName('name');
        const alias = spec.childForFieldName('alias') ?? name;
        if (name && alias) bind(alias, name.type === 'string' ? stringValue(name) : name.text);
      }
    }
  }
  if (missing.length === 0) return undefined;
  return `memlens could not import ${missing.map((m) => `'${m}'`).join(', ')} from '${source}': ${problem ?? 'the module does not export it (or not in a form memlens follows)'}`;
}

const TYPE_DECLARATIONS: ReadonlySet<string> = new Set(['interface_declaration', 'type_alias_declaration']);

/** the names a module's top level exports, read from its scope after it ran */
export function collectExports(root: Node, scope: Scope, context: ImportContext): Exports {
  const out = new Map<string, Value>();
  const put = (exported: string, local: string): void => {
    const v = scope.lookup(local)?.value;
    if (v) out.set(exported, v);
  };
  for (const stmt of named(root)) {
    if (stmt.type !== 'export_statement') continue;
    const isDefault = stmt.children.some((c) => c.type === 'default');
    const decl = stmt.childForFieldName('declaration');
    const value = stmt.childForFieldName('value');
    const sourceNode = stmt.childForFieldName('source');
    if (decl) {
      // a type has no value at run time: importing it binds nothing a model could read, and is no error
      if (TYPE_DECLARATIONS.has(decl.type)) {
        const name = decl.childForFieldName('name');
        if (name) out.set(isDefault ? 'default' : name.text, unknown(name, `'${name.text}' is a TypeScript type, which has no value at run time`));
        continue;
      }
      for (const name of declaredNames(decl)) put(isDefault ? 'default' : name, name);
      continue;
    }
    if (value && isDefault) {
      if (value.type === 'identifier') put('default', value.text);
      continue;
    }
    const clause = named(stmt).find((c) => c.type === 'export_clause');
    const from = sourceNode && isLocalModule(stringValue(sourceNode)) ? loadModule(stringValue(sourceNode), context) : undefined;
    if (!clause) {
      // export * from './y'
      if (from && typeof from !== 'string') for (const [k, v] of from) if (k !== 'default') out.set(k, v);
      continue;
    }
    for (const spec of named(clause)) {
      if (spec.type !== 'export_specifier') continue;
      const name = spec.childForFieldName('name')?.text;
      const alias = spec.childForFieldName('alias')?.text ?? name;
      if (!name || !alias) continue;
      if (sourceNode) {
        const v = from && typeof from !== 'string' ? from.get(name) : undefined;
        if (v) out.set(alias, v);
      } else put(alias, name);
    }
  }
  return out;
}

function declaredNames(decl: Node): string[] {
  if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
    return named(decl)
      .filter((d) => d.type === 'variable_declarator')
      .map((d) => d.childForFieldName('name'))
      .filter((n): n is Node => n?.type === 'identifier')
      .map((n) => n.text);
  }
  const name = decl.childForFieldName('name');
  return name ? [name.text] : [];
}
