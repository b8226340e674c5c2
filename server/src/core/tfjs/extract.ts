// From a syntax tree to model descriptions: bind the TensorFlow.js imports, evaluate the
// module's top level, then every top-level function (or class method) that builds a model
// and is not called from elsewhere in the file, with its parameters unknown.
import type { Node } from 'web-tree-sitter';
import { Interpreter, isTfjsPackage, LimitSignal, named, stringValue, type Note } from './interp';
import { Scope, type FunctionValue, type ModelObject } from './values';

export interface Extraction {
  readonly models: readonly ModelObject[];
  readonly notes: readonly Note[];
  readonly tensorNames: ReadonlyMap<number, { name: string; node: Node }>;
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
        const body = decl.childForFieldName('body');
        for (const m of body ? named(body) : []) {
          if (m.type !== 'method_definition') continue;
          const name = `${className}.${m.childForFieldName('name')?.text ?? 'method'}`;
          out.push({ fn: { kind: 'function', name, node: m, closure: scope }, name });
        }
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

/** how often each identifier is written as a callee `name(` in the text */
function callCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/([A-Za-z_$][\w$]*)\s*(?:<[^<>()]*>)?\(/g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

export function extractModels(root: Node, text: string): Extraction {
  const interp = new Interpreter();
  const scope = new Scope();
  const statements = named(root);
  for (const stmt of statements) if (stmt.type === 'import_statement') bindImport(stmt, scope);
  try {
    interp.execBlock(statements, scope);
  } catch (signal) {
    if (!(signal instanceof LimitSignal)) throw signal;
    interp.notes.push({ node: signal.node, message: signal.message, code: 'limit' });
  }
  const tfNames = scope.names().filter((n) => scope.lookup(n)?.value.kind === 'tf');
  if (tfNames.length > 0) {
    const counts = callCounts(text);
    for (const entry of entries(root, scope)) {
      if (interp.invoked.has(entry.fn.node.startIndex)) continue;
      const isDeclaration = entry.fn.node.type === 'function_declaration' || entry.fn.node.type === 'generator_function_declaration';
      const baseName = entry.name.includes('.') ? undefined : entry.name;
      if (baseName && (counts.get(baseName) ?? 0) > (isDeclaration ? 1 : 0)) continue;
      const body = entry.fn.node.text;
      if (!tfNames.some((n) => body.includes(n))) continue;
      try {
        interp.evalStandalone(entry.fn);
      } catch (signal) {
        if (!(signal instanceof LimitSignal)) throw signal;
        interp.notes.push({ node: signal.node, message: signal.message, code: 'limit' });
        break;
      }
    }
  }
  return { models: interp.models, notes: interp.notes, tensorNames: interp.tensorNames };
}
