// Syntax and value helpers of the static interpreter: node shapes, literals, truthiness,
// static member access.
import type { SyntaxNode as Node } from './syntax';
import { num, UNDEFINED, unknown, type Value } from './values';
import { ARRAY_METHODS, builtinMember, STRING_METHODS } from './builtinNames';

/** packages whose exports are the TensorFlow.js API */
export const TFJS_PACKAGES: readonly string[] = ['@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-core'];


export function named(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

export function isTfjsPackage(source: string): boolean {
  return TFJS_PACKAGES.some((p) => source === p || source.startsWith(`${p}/`));
}

export function parameterNodes(fnNode: Node): Node[] {
  const params = fnNode.childForFieldName('parameters');
  if (params) return named(params).filter((p) => p.type !== 'comment');
  const single = fnNode.childForFieldName('parameter');
  return single ? [single] : [];
}

export function parameterName(p: Node): string {
  const pattern = p.type === 'identifier' ? p : (p.childForFieldName('pattern') ?? p);
  return pattern.text;
}

/** the node itself stands in for an identifier of the same text (shorthand patterns) */
export function asIdentifier(node: Node): Node {
  return node;
}

export function identifiersIn(node: Node): Node[] {
  const out: Node[] = [];
  const types = ['identifier', 'shorthand_property_identifier', 'shorthand_property_identifier_pattern'];
  if (types.includes(node.type)) out.push(node);
  for (const d of node.descendantsOfType(types)) if (d) out.push(d);
  return out;
}

/** `id = require('@tensorflow/tfjs…')`: the identifier is (re)bound to a TensorFlow.js package */
export function assignsTfjsPackage(id: Node): boolean {
  const parent = id.parent;
  if (parent?.type !== 'assignment_expression' || parent.childForFieldName('left')?.startIndex !== id.startIndex) return false;
  const right = parent.childForFieldName('right');
  if (right?.type !== 'call_expression' || right.childForFieldName('function')?.text !== 'require') return false;
  const arg = right.childForFieldName('arguments')?.namedChild(0);
  return arg?.type === 'string' && isTfjsPackage(stringValue(arg));
}

export function isAssignmentTarget(id: Node): boolean {
  const parent = id.parent;
  if (!parent) return false;
  switch (parent.type) {
    case 'assignment_expression':
    case 'augmented_assignment_expression':
      return parent.childForFieldName('left')=== id;
    case 'update_expression':
      return true;
    case 'variable_declarator':
      return parent.childForFieldName('name')=== id;
    default:
      return false;
  }
}

/** `model.add(...)` changes a model's structure; summary(), compile() and fit() do not */
export function isModelMutation(id: Node): boolean {
  const parent = id.parent;
  if (parent?.type !== 'member_expression' || parent.childForFieldName('object') !== id) return isAssignmentTarget(id);
  return parent.childForFieldName('property')?.text === 'add';
}

export function containsModelCall(region: Node): boolean {
  const text = region.text;
  return /\.(add|apply)\s*\(|layers\.|sequential\s*\(|model\s*\(/.test(text);
}

/** the statement a call belongs to, for inlay hints: the enclosing expression statement when the call is its whole expression */
export function statementOf(call: Node): Node {
  const parent = call.parent;
  if (parent?.type === 'expression_statement') return call;
  if (parent?.type === 'await_expression' && parent.parent?.type === 'expression_statement') return call;
  return call;
}

export function propertyKey(key: Node | null): string | undefined {
  if (!key) return undefined;
  switch (key.type) {
    case 'property_identifier':
    case 'shorthand_property_identifier_pattern':
    case 'identifier':
      return key.text;
    case 'string':
      return stringValue(key);
    case 'number':
      return String(Number(key.text));
    default:
      return undefined;
  }
}

export function parseNumber(node: Node): Value {
  const text = node.text.replace(/_/g, '');
  if (text.endsWith('n')) return unknown(node, 'a BigInt literal');
  const v = Number(text);
  return Number.isNaN(v) && !/^0[oO]/.test(text) ? unknown(node, 'a number memlens cannot read') : num(/^0[oO]/.test(text) ? parseInt(text.slice(2), 8) : v);
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', v: '\v' };

export function stringValue(node: Node): string {
  return literalText(named(node));
}

/** the text of string fragments and escape sequences (a string literal's or a template's parts) */
export function literalText(parts: readonly Node[]): string {
  let out = '';
  for (const c of parts) {
    if (c.type === 'string_fragment') out += c.text;
    else if (c.type === 'escape_sequence') {
      const ch = c.text.slice(1);
      out += ESCAPES[ch] ?? (ch.startsWith('u') || ch.startsWith('x') ? String.fromCharCode(parseInt(ch.replace(/[u{}x]/g, ''), 16) || 0) : ch);
    }
  }
  return out;
}

export function truthy(v: Value): boolean | undefined {
  switch (v.kind) {
    case 'unknown':
      return undefined;
    case 'number':
      return v.value !== 0 && !Number.isNaN(v.value);
    case 'string':
      return v.value !== '';
    case 'bool':
      return v.value;
    case 'null':
    case 'undefined':
      return false;
    default:
      return true;
  }
}

export function primitiveText(v: Value): string | undefined {
  if (v.kind === 'string') return v.value;
  if (v.kind === 'number' || v.kind === 'bool') return String(v.value);
  return undefined;
}

/** null or undefined: what `??`, optional chaining and absent options test */
export function isNullish(v: Value): boolean {
  return v.kind === 'null' || v.kind === 'undefined';
}

/** JavaScript's ToNumber on a primitive (`undefined > 0` is `NaN > 0`: false); undefined for other values */
export function toNumber(v: Value): number | undefined {
  switch (v.kind) {
    case 'number':
      return v.value;
    case 'bool':
      return v.value ? 1 : 0;
    case 'null':
      return 0;
    case 'undefined':
      return NaN;
    case 'string':
      return Number(v.value);
    default:
      return undefined;
  }
}

/** a string for String(v) / join / template-like conversions; undefined when only known at run time */
export function textOf(v: Value): string | undefined {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'number':
    case 'bool':
      return String(v.value);
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'array': {
      const parts = v.items.map((i) => (isNullish(i) ? '' : textOf(i)));
      return parts.every((p) => p !== undefined) ? parts.join(',') : undefined;
    }
    default:
      return undefined;
  }
}

export function looseEqual(a: Value, b: Value): boolean | undefined {
  if (isNullish(a) || isNullish(b)) return isNullish(a) && isNullish(b);
  if ((a.kind === 'number' || a.kind === 'string' || a.kind === 'bool') && a.kind === b.kind) return a.value === b.value;
  if (a.kind === 'number' || a.kind === 'string' || a.kind === 'bool' || b.kind === 'number' || b.kind === 'string' || b.kind === 'bool') return false;
  return a === b;
}

/** `a === b`: primitives by value, objects by identity; undefined when either is unknown */
export function strictEqual(a: Value, b: Value): boolean | undefined {
  if (a.kind === 'unknown' || b.kind === 'unknown') return undefined;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'number' || a.kind === 'string' || a.kind === 'bool') return a.value === (b as typeof a).value;
  if (a.kind === 'null' || a.kind === 'undefined') return true;
  return a === b;
}

/** `value.name` statically */
export function member(value: Value, name: string, node: Node): Value {
  switch (value.kind) {
    case 'unknown':
      return unknown(node, value.reason);
    case 'tf':
      return { kind: 'tf', path: value.path ? `${value.path}.${name}` : name };
    case 'array':
      if (name === 'length') return num(value.items.length);
      if (/^\d+$/.test(name)) return value.items[Number(name)] ?? UNDEFINED;
      if (ARRAY_METHODS.has(name)) return { kind: 'builtin', name: `array.${name}`, receiver: value };
      return unknown(node, `array.${name} is not a built-in memlens evaluates`);
    case 'string':
      if (name === 'length') return num(value.value.length);
      if (/^\d+$/.test(name)) return value.value[Number(name)] === undefined ? UNDEFINED : { kind: 'string', value: value.value[Number(name)]! };
      if (STRING_METHODS.has(name)) return { kind: 'builtin', name: `string.${name}`, receiver: value };
      return unknown(node, `string.${name} is not a built-in memlens evaluates`);
    case 'builtin':
      return value.receiver ? unknown(node, `'${name}' of a built-in method`) : builtinMember(value.name, name, node);
    case 'object':
      return value.props.get(name) ?? UNDEFINED;
    case 'model':
    case 'layer':
      return { kind: 'method', target: value, name };
    case 'tensor':
      return unknown(node, `tensor.${name} is known only once memlens has inferred the shapes`);
    case 'null':
      return unknown(node, `reading '${name}' of null`);
    case 'undefined':
      return unknown(node, `reading '${name}' of undefined`);
    default:
      return unknown(node, `'${name}' of ${value.kind} is computed at run time`);
  }
}
