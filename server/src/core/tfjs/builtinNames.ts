// The names of the JavaScript built-ins the interpreter evaluates (builtins.ts evaluates them):
// what `Array.isArray`, `sizes.map` or `name.split` resolve to before they are called.
import type { SyntaxNode as Node } from './syntax';
import { num, unknown, type Value } from './values';

/** globals of JavaScript the interpreter evaluates when the file does not bind the name */
export const GLOBAL_BUILTINS: ReadonlySet<string> = new Set(['Array', 'Object', 'Number', 'String', 'Boolean', 'parseInt', 'parseFloat', 'isNaN', 'isFinite']);

const STATIC_MEMBERS: ReadonlySet<string> = new Set([
  'Array.isArray', 'Array.from', 'Array.of',
  'Object.keys', 'Object.values', 'Object.entries', 'Object.assign', 'Object.fromEntries', 'Object.freeze',
  'Number.isInteger', 'Number.isFinite', 'Number.isNaN', 'Number.parseInt', 'Number.parseFloat',
]);

const NUMBER_CONSTANTS: Readonly<Record<string, number>> = {
  MAX_SAFE_INTEGER: Number.MAX_SAFE_INTEGER,
  MIN_SAFE_INTEGER: Number.MIN_SAFE_INTEGER,
  EPSILON: Number.EPSILON,
  POSITIVE_INFINITY: Infinity,
  NEGATIVE_INFINITY: -Infinity,
};

export const ARRAY_METHODS: ReadonlySet<string> = new Set([
  'forEach', 'map', 'filter', 'reduce', 'some', 'every', 'find', 'findIndex', 'includes', 'indexOf',
  'slice', 'concat', 'join', 'push', 'fill', 'flat', 'reverse', 'keys', 'entries', 'at', 'unshift', 'pop', 'shift', 'splice',
]);

export const STRING_METHODS: ReadonlySet<string> = new Set([
  'toUpperCase', 'toLowerCase', 'trim', 'startsWith', 'endsWith', 'includes', 'indexOf', 'split', 'slice', 'repeat', 'padStart', 'padEnd', 'replace', 'match', 'search', 'toString',
]);

/** `Array.isArray`, `Number.MAX_SAFE_INTEGER`, ...: a member of a global built-in */
export function builtinMember(owner: string, name: string, node: Node): Value {
  const path = `${owner}.${name}`;
  if (owner === 'Number' && name in NUMBER_CONSTANTS) return num(NUMBER_CONSTANTS[name]!);
  return STATIC_MEMBERS.has(path) ? { kind: 'builtin', name: path } : unknown(node, `${path} is not a built-in memlens evaluates`);
}
