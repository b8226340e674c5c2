// Python's arithmetic and comparisons on known values. An integer that is a multiple of the
// batch N (x.size(0) * T) stays symbolic as long as the result is still a multiple of N.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { describe, FALSE, int, isUnknown, numberOf, TRUE, unknown, type PyValue } from './values';

let site: Node;

/** items a list, tuple or string made by arithmetic may hold: beyond, the value is unknown (no model needs more) */
export const MAX_ITEMS = 1_000_000;

function num(v: number, float: boolean): PyValue {
  return float ? { kind: 'float', value: v } : Number.isSafeInteger(v) ? int(v) : unknown(site, 'an integer too large to count exactly');
}

function isFloat(v: PyValue): boolean {
  return v.kind === 'float';
}

/** Python's floor division and modulo (the sign follows the divisor) */
function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function mod(a: number, b: number): number {
  return a - b * Math.floor(a / b);
}

function symbolic(op: string, a: PyValue, b: PyValue, site: Node): PyValue | undefined {
  if (a.kind !== 'symint' && b.kind !== 'symint') return undefined;
  const fail = (): PyValue => unknown(site, `\`${site.text}\` depends on the batch size N in a way memlens does not follow`);
  if (op === '*') {
    if (a.kind === 'symint' && b.kind === 'int') return { kind: 'symint', coef: a.coef * b.value };
    if (b.kind === 'symint' && a.kind === 'int') return { kind: 'symint', coef: b.coef * a.value };
    return fail();
  }
  if ((op === '//' || op === '/') && a.kind === 'symint' && b.kind === 'int' && b.value > 0 && a.coef % b.value === 0) return { kind: 'symint', coef: a.coef / b.value };
  if ((op === '//' || op === '/') && a.kind === 'symint' && b.kind === 'symint' && a.coef % b.coef === 0) return op === '/' ? { kind: 'float', value: a.coef / b.coef } : int(a.coef / b.coef);
  return fail();
}

export function binary(op: string, a: PyValue, b: PyValue, at: Node): PyValue {
  site = at;
  if (isUnknown(a)) return a;
  if (isUnknown(b)) return b;
  const sym = symbolic(op, a, b, site);
  if (sym) return sym;
  const x = numberOf(a);
  const y = numberOf(b);
  if (x !== undefined && y !== undefined) {
    const float = isFloat(a) || isFloat(b);
    switch (op) {
      case '+':
        return num(x + y, float);
      case '-':
        return num(x - y, float);
      case '*':
        return num(x * y, float);
      case '/':
        return y === 0 ? unknown(site, 'division by zero') : { kind: 'float', value: x / y };
      case '//':
        return y === 0 ? unknown(site, 'division by zero') : num(floorDiv(x, y), float);
      case '%':
        return y === 0 ? unknown(site, 'division by zero') : num(mod(x, y), float);
      case '**':
        return num(x ** y, float || y < 0);
      case '<<':
        return num(x * 2 ** y, false);
      case '>>':
        return num(Math.floor(x / 2 ** y), false);
      case '&':
        return int(x & y);
      case '|':
        return int(x | y);
      case '^':
        return int(x ^ y);
    }
  }
  if (op === '+' && a.kind === 'str' && b.kind === 'str') return a.value.length + b.value.length > MAX_ITEMS * 10 ? tooLong() : { kind: 'str', value: a.value + b.value };
  if (op === '+' && (a.kind === 'list' || a.kind === 'tuple') && a.kind === b.kind) {
    const bi = (b as { items: readonly PyValue[] }).items;
    if (a.items.length + bi.length > MAX_ITEMS) return tooLong();
    const items = a.items.concat(bi);
    return a.kind === 'list' ? { kind: 'list', items } : { kind: 'tuple', items };
  }
  if (op === '*' && (a.kind === 'list' || a.kind === 'tuple' || a.kind === 'str') && b.kind === 'int') return repeat(a, b.value);
  if (op === '*' && (b.kind === 'list' || b.kind === 'tuple' || b.kind === 'str') && a.kind === 'int') return repeat(b, a.value);
  if (op === '%' && a.kind === 'str') return percentFormat(a.value, b, site);
  return unknown(site, `\`${describe(a)} ${op} ${describe(b)}\` is not modelled by memlens`);
}

/** printf-style `'level_%d' % i` with %d %i %s %r %%, on known ints, floats, strings and booleans */
function percentFormat(format: string, args: PyValue, site: Node): PyValue {
  const values = args.kind === 'tuple' ? args.items : [args];
  let next = 0;
  let failed: string | undefined;
  const out = format.replace(/%([%disr])/g, (_, conv: string) => {
    if (conv === '%') return '%';
    const v = values[next++];
    if (!v) {
      failed = 'not enough arguments for the format string';
      return '';
    }
    if (conv === 'd' || conv === 'i') {
      if (v.kind === 'int') return String(v.value);
      if (v.kind === 'bool') return v.value ? '1' : '0';
      if (v.kind === 'float') return String(Math.trunc(v.value));
    } else if (v.kind === 'str') return conv === 'r' ? `'${v.value}'` : v.value;
    else if (v.kind === 'int' || v.kind === 'float' || v.kind === 'bool' || v.kind === 'none') return describe(v);
    failed = `%${conv} of ${describe(v)}`;
    return '';
  });
  if (failed) return unknown(site, `'${format}' % ...: ${failed}`);
  if (/%[^%disr]/.test(format.replace(/%%/g, ''))) return unknown(site, `the format '${format}' uses a conversion memlens does not model (only %d %i %s %r)`);
  if (next !== values.length) return unknown(site, 'not all arguments converted during string formatting');
  return { kind: 'str', value: out };
}

function tooLong(): PyValue {
  return unknown(site, `a value of more than ${MAX_ITEMS.toLocaleString('en-US')} items is not followed`);
}

function repeat(v: PyValue & { kind: 'list' | 'tuple' | 'str' }, n: number): PyValue {
  const k = Math.max(0, n);
  const length = v.kind === 'str' ? v.value.length : v.items.length;
  if (length * k > (v.kind === 'str' ? MAX_ITEMS * 10 : MAX_ITEMS)) return tooLong();
  if (v.kind === 'str') return { kind: 'str', value: v.value.repeat(k) };
  const items: PyValue[] = [];
  for (let i = 0; i < k; i++) for (const x of v.items) items.push(x);
  return v.kind === 'list' ? { kind: 'list', items } : { kind: 'tuple', items };
}

export function unary(op: string, v: PyValue, at: Node): PyValue {
  site = at;
  if (isUnknown(v)) return v;
  const x = numberOf(v);
  if (x === undefined) return unknown(site, `\`${op}${describe(v)}\` is not modelled by memlens`);
  if (op === '-') return num(-x, isFloat(v));
  if (op === '+') return num(x, isFloat(v));
  if (op === '~') return int(~x);
  return unknown(site, `the operator ${op} is not modelled`);
}

function equal(a: PyValue, b: PyValue): boolean | undefined {
  const x = numberOf(a);
  const y = numberOf(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (a.kind === 'str' && b.kind === 'str') return a.value === b.value;
  if (a.kind === 'none' || b.kind === 'none') return a.kind === b.kind;
  if ((a.kind === 'tuple' || a.kind === 'list') && a.kind === b.kind) {
    const bi = (b as { items: readonly PyValue[] }).items;
    if (a.items.length !== bi.length) return false;
    for (let i = 0; i < bi.length; i++) {
      const e = equal(a.items[i]!, bi[i]!);
      if (e !== true) return e;
    }
    return true;
  }
  if (a.kind === 'dtype' && b.kind === 'dtype') return a.dtype === b.dtype;
  if (a.kind === 'str' || b.kind === 'str') return (a.kind === 'int' || a.kind === 'float' || b.kind === 'int' || b.kind === 'float') ? false : undefined;
  if (a.kind === 'class' || a.kind === 'instance' || a.kind === 'function') return a === b;
  return undefined;
}

export function compare(op: string, a: PyValue, b: PyValue, site: Node): PyValue {
  if (op === 'is' || op === 'is not') {
    const same = a.kind === 'none' || b.kind === 'none' ? (isUnknown(a) || isUnknown(b) ? undefined : a.kind === b.kind) : a === b ? true : a.kind === 'bool' && b.kind === 'bool' ? a.value === b.value : isUnknown(a) || isUnknown(b) ? undefined : a.kind !== b.kind ? false : undefined;
    if (same === undefined) return unknown(site, `\`${site.text}\` is not known statically`);
    return same === (op === 'is') ? TRUE : FALSE;
  }
  if (isUnknown(a)) return a;
  if (isUnknown(b)) return b;
  if (op === 'in' || op === 'not in') {
    const items = b.kind === 'list' || b.kind === 'tuple' ? b.items : b.kind === 'dict' ? [...b.entries.keys()].map((k): PyValue => (typeof k === 'number' ? int(k) : { kind: 'str', value: k })) : undefined;
    if (b.kind === 'str' && a.kind === 'str') return b.value.includes(a.value) === (op === 'in') ? TRUE : FALSE;
    if (!items) return unknown(site, `\`${site.text}\` is not known statically`);
    let found: boolean | undefined = false;
    for (const item of items) {
      const e = equal(a, item);
      if (e === true) {
        found = true;
        break;
      }
      if (e === undefined) found = undefined;
    }
    if (found === undefined) return unknown(site, `\`${site.text}\` is not known statically`);
    return found === (op === 'in') ? TRUE : FALSE;
  }
  if (op === '==' || op === '!=' || op === '<>') {
    const e = equal(a, b);
    if (e === undefined) return unknown(site, `\`${site.text}\` is not known statically`);
    return e === (op === '==') ? TRUE : FALSE;
  }
  const x = numberOf(a);
  const y = numberOf(b);
  let r: boolean | undefined;
  if (x !== undefined && y !== undefined) r = op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : op === '>=' ? x >= y : undefined;
  else if (a.kind === 'str' && b.kind === 'str') r = op === '<' ? a.value < b.value : op === '<=' ? a.value <= b.value : op === '>' ? a.value > b.value : a.value >= b.value;
  if (r === undefined) return unknown(site, `\`${site.text}\` is not known statically`);
  return r ? TRUE : FALSE;
}
