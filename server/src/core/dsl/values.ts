// Compile-time values of the .nnm evaluator and their pure operations.
// Integers stay exact: every integer result is checked to be a safe integer (< 2^53).
import type { BinaryOp } from './ast';

export type Value =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'real'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  /** a bare word that is not a bound name: `same`, `valid`, `nchw`, `fp16` */
  | { readonly kind: 'symbol'; readonly name: string }
  | { readonly kind: 'size'; readonly bytes: number }
  | { readonly kind: 'list'; readonly items: readonly Value[] }
  | { readonly kind: 'tensor'; readonly id: number }
  /** the result of something already reported: silently poisons what uses it */
  | { readonly kind: 'error' };

export const ERROR: Value = { kind: 'error' };

export function int(value: number): Value {
  return { kind: 'int', value };
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'int':
      return `the integer ${v.value}`;
    case 'real':
      return `the number ${v.value}`;
    case 'bool':
      return `the boolean ${v.value}`;
    case 'string':
      return `the string ${JSON.stringify(v.value)}`;
    case 'symbol':
      return `'${v.name}'`;
    case 'size':
      return `a size (${v.bytes} bytes)`;
    case 'list':
      return `a list of ${v.items.length}`;
    case 'tensor':
      return 'a tensor';
    case 'error':
      return 'an error';
  }
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** an integer from an int, or from a real that is an exact safe integer (1e3) */
export function asInt(v: Value): Checked<number> {
  if (v.kind === 'int') return { ok: true, value: v.value };
  if (v.kind === 'real') {
    if (Number.isSafeInteger(v.value)) return { ok: true, value: v.value };
    if (Number.isInteger(v.value) || !Number.isFinite(v.value)) {
      return { ok: false, message: `${formatReal(v.value)} is too large to be an exact integer (the limit is 2^53 - 1)` };
    }
    return { ok: false, message: `expected an integer, got ${v.value}` };
  }
  return { ok: false, message: `expected an integer, got ${describeValue(v)}` };
}

export function asNumber(v: Value): Checked<number> {
  if (v.kind === 'int' || v.kind === 'real') return { ok: true, value: v.value };
  return { ok: false, message: `expected a number, got ${describeValue(v)}` };
}

export function formatReal(x: number): string {
  return Math.abs(x) >= 1e21 || !Number.isFinite(x) ? x.toExponential() : String(x);
}

/** arithmetic and comparisons on compile-time numbers; `and`/`or` are handled by the evaluator (short-circuit) */
export function binaryOp(op: BinaryOp, a: Value, b: Value): Checked<Value> {
  if (op === '==' || op === '!=') {
    const eq = valuesEqual(a, b);
    if (eq === undefined) return { ok: false, message: `cannot compare ${describeValue(a)} with ${describeValue(b)}` };
    return { ok: true, value: { kind: 'bool', value: op === '==' ? eq : !eq } };
  }
  // lists join as in Python: a growing list of tensors (DenseNet's features = features + [new])
  if (op === '+' && a.kind === 'list' && b.kind === 'list') return { ok: true, value: { kind: 'list', items: [...a.items, ...b.items] } };
  if ((a.kind !== 'int' && a.kind !== 'real') || (b.kind !== 'int' && b.kind !== 'real')) {
    const tensorHint = a.kind === 'tensor' || b.kind === 'tensor' ? " (operators work on compile-time numbers; use add(a, b) / mul(a, b) for tensors)" : '';
    return { ok: false, message: `'${op}' needs two numbers, got ${describeValue(a)} and ${describeValue(b)}${tensorHint}` };
  }
  const x = a.value;
  const y = b.value;
  const ints = a.kind === 'int' && b.kind === 'int';
  switch (op) {
    case '<':
      return bool(x < y);
    case '<=':
      return bool(x <= y);
    case '>':
      return bool(x > y);
    case '>=':
      return bool(x >= y);
    case '+':
      return numeric(x + y, ints);
    case '-':
      return numeric(x - y, ints);
    case '*':
      return numeric(x * y, ints);
    case '/':
      if (y === 0) return { ok: false, message: 'division by zero' };
      return ints ? numeric(Math.floor(x / y), true) : numeric(x / y, false);
    case '%':
      if (y === 0) return { ok: false, message: 'remainder of a division by zero' };
      // floor modulo: the result takes the sign of the divisor, matching floor division
      return numeric(x - y * Math.floor(x / y), ints);
    default:
      return { ok: false, message: `'${op}' is not an arithmetic operator` };
  }
}

function bool(value: boolean): Checked<Value> {
  return { ok: true, value: { kind: 'bool', value } };
}

function numeric(x: number, isInt: boolean): Checked<Value> {
  if (isInt) {
    if (!Number.isSafeInteger(x)) return { ok: false, message: 'integer overflow: the result is beyond 2^53 - 1' };
    return { ok: true, value: { kind: 'int', value: x } };
  }
  if (!Number.isFinite(x)) return { ok: false, message: 'number overflow: the result is not finite' };
  return { ok: true, value: { kind: 'real', value: x } };
}

function valuesEqual(a: Value, b: Value): boolean | undefined {
  const num = (v: Value) => (v.kind === 'int' || v.kind === 'real' ? v.value : undefined);
  const word = (v: Value) => (v.kind === 'string' ? v.value : v.kind === 'symbol' ? v.name : undefined);
  if (num(a) !== undefined && num(b) !== undefined) return num(a) === num(b);
  if (a.kind === 'bool' && b.kind === 'bool') return a.value === b.value;
  if (word(a) !== undefined && word(b) !== undefined) return word(a) === word(b);
  if (a.kind === 'size' && b.kind === 'size') return a.bytes === b.bytes;
  return undefined;
}
