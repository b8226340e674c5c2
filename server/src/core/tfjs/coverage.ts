// Never silent: every `tf.sequential(...)` / `tf.model(...)` call of the file either made a model
// that was analysed or reported, sits in a branch memlens evaluated and found statically dead, or
// gets a diagnostic here saying that the function holding it is never run by code memlens follows.
import type { SyntaxNode as Node } from './syntax';
import { named } from './staticValues';

const FUNCTION_TYPES: ReadonlySet<string> = new Set([
  'function_declaration', 'generator_function_declaration', 'function_expression', 'function', 'arrow_function', 'method_definition', 'generator_function',
]);

/** per top-level statement and set of TensorFlow.js names: the model-making calls in it */
const siteCache = new WeakMap<Node, { key: string; sites: Node[] }>();

/**
 * `tfNames`: each name bound to a TensorFlow.js value and its path from the package root
 * ('' for the namespace, 'sequential' for `import {sequential}`)
 */
function modelCalls(stmt: Node, tfNames: ReadonlyMap<string, string>, key: string): Node[] {
  const kept = siteCache.get(stmt);
  if (kept?.key === key) return kept.sites;
  const sites: Node[] = [];
  // cheap filter: the statement must name a factory
  if (/\b(sequential|model)\s*\(/.test(stmt.text)) {
    for (const call of stmt.descendantsOfType('call_expression')) {
      const fn = call.childForFieldName('function');
      if (!fn) continue;
      let path: string | undefined;
      if (fn.type === 'identifier') path = tfNames.get(fn.text);
      else if (fn.type === 'member_expression') {
        const obj = fn.childForFieldName('object');
        const prop = fn.childForFieldName('property')?.text;
        const base = obj?.type === 'identifier' ? tfNames.get(obj.text) : undefined;
        if (base !== undefined && prop) path = base ? `${base}.${prop}` : prop;
      }
      if (path === 'sequential' || path === 'model') sites.push(call);
    }
  }
  siteCache.set(stmt, { key, sites });
  return sites;
}

function enclosingFunction(node: Node): Node | undefined {
  for (let p = node.parent; p; p = p.parent) if (FUNCTION_TYPES.has(p.type)) return p;
  return undefined;
}

function functionLabel(fn: Node): string {
  const own = fn.childForFieldName('name')?.text;
  if (own) return `'${own}'`;
  const parent = fn.parent;
  if (parent?.type === 'variable_declarator' || parent?.type === 'pair' || parent?.type === 'public_field_definition') {
    const name = (parent.childForFieldName('name') ?? parent.childForFieldName('key'))?.text;
    if (name) return `'${name}'`;
  }
  return 'the function around it';
}

/** the model-making calls that no evaluation reached, with why */
export function unreachedModels(
  root: Node,
  tfNames: ReadonlyMap<string, string>,
  invoked: ReadonlySet<Node>,
  builtSites: ReadonlySet<number>,
): { node: Node; message: string }[] {
  const key = [...tfNames].map(([n, p]) => `${n}=${p}`).join(',');
  const out: { node: Node; message: string }[] = [];
  for (const stmt of named(root)) {
    for (const site of modelCalls(stmt, tfNames, key)) {
      if (builtSites.has(site.startIndex)) continue;
      const fn = enclosingFunction(site);
      // top-level code and the bodies memlens ran: a branch it found statically not taken
      if (!fn || invoked.has(fn)) continue;
      out.push({
        node: site,
        message: `this model is not analysed: ${functionLabel(fn)} is never run by code memlens follows (call it from the top level or from a function memlens evaluates, with static arguments)`,
      });
    }
  }
  return out;
}
