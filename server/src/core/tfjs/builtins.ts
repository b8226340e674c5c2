// JavaScript built-ins on static values: Array.isArray / from / of, the array methods that take
// callbacks (forEach, map, filter, reduce, some, every, find, ...), Object.keys / values / entries /
// assign, Number, String, parseInt, ... Callbacks are local functions, inlined per item, so
// `sizes.forEach((s, i) => model.add(...))` adds its layers like a loop.
import type { SyntaxNode as Node } from './syntax';
import { NULL, num, UNDEFINED, unknown, type BuiltinValue, type ObjectValue, type Value } from './values';
import { isNullish, strictEqual, textOf, toNumber, truthy } from './staticValues';
import { LIMITS } from './interpreterState';
import { TfApi } from './tfApi';

function str(value: string): Value {
  return { kind: 'string', value };
}

function bool(value: boolean): Value {
  return { kind: 'bool', value };
}

function arr(items: Value[]): Value {
  return { kind: 'array', items };
}

export abstract class Builtins extends TfApi {
  protected callBuiltin(fn: BuiltinValue, args: Value[], node: Node): Value {
    const bad = args.find((a) => a.kind === 'unknown');
    // a callback's own unknowns surface from its body; an unknown plain argument makes the result unknown
    if (bad?.kind === 'unknown' && !fn.name.startsWith('array.')) return unknown(node, bad.reason);
    if (fn.receiver?.kind === 'array') return this.arrayMethod(fn.receiver.items, fn.name.slice('array.'.length), args, node);
    if (fn.receiver?.kind === 'string') return stringMethod(fn.receiver.value, fn.name.slice('string.'.length), args, node);
    return this.globalBuiltin(fn.name, args, node);
  }

  /** run a callback on one item; a non-function argument is reported */
  private callback(cb: Value | undefined, args: Value[], node: Node): Value {
    if (cb?.kind === 'function') return this.callFunction(cb, args, node);
    if (cb?.kind === 'builtin') return this.callBuiltin(cb, args, node);
    return unknown(node, cb?.kind === 'unknown' ? cb.reason : 'the callback is not a function memlens can follow');
  }

  private arrayMethod(items: Value[], name: string, args: Value[], node: Node): Value {
    const [a0, a1] = args;
    const self = arr(items);
    if (items.length > LIMITS.iterations) return unknown(node, `an array of more than ${LIMITS.iterations} items`);
    const each = (i: number): Value[] => [items[i]!, num(i), self];
    switch (name) {
      case 'forEach':
        for (let i = 0; i < items.length; i++) this.callback(a0, each(i), node);
        return UNDEFINED;
      case 'map':
        return arr(items.map((_, i) => this.callback(a0, each(i), node)));
      case 'filter': {
        const out: Value[] = [];
        for (let i = 0; i < items.length; i++) {
          const keep = truthy(this.callback(a0, each(i), node));
          if (keep === undefined) return unknown(node, 'filter() on a condition only known at run time');
          if (keep) out.push(items[i]!);
        }
        return arr(out);
      }
      case 'some':
      case 'every':
      case 'find':
      case 'findIndex':
        for (let i = 0; i < items.length; i++) {
          const hit = truthy(this.callback(a0, each(i), node));
          if (hit === undefined) return unknown(node, `${name}() on a condition only known at run time`);
          if (name === 'every' ? !hit : hit) return name === 'some' ? bool(true) : name === 'every' ? bool(false) : name === 'find' ? items[i]! : num(i);
        }
        return name === 'some' ? bool(false) : name === 'every' ? bool(true) : name === 'find' ? UNDEFINED : num(-1);
      case 'reduce': {
        let i = 0;
        let acc: Value;
        if (args.length >= 2) acc = a1!;
        else if (items.length > 0) acc = items[i++]!;
        else return unknown(node, 'reduce() of an empty array with no initial value throws');
        for (; i < items.length; i++) acc = this.callback(a0, [acc, items[i]!, num(i), self], node);
        return acc;
      }
      case 'includes':
      case 'indexOf': {
        if (a0 === undefined) return name === 'includes' ? bool(false) : num(-1);
        for (let i = 0; i < items.length; i++) {
          const eq = strictEqual(items[i]!, a0);
          if (eq === undefined) return unknown(node, `${name}() on a value only known at run time`);
          if (eq) return name === 'includes' ? bool(true) : num(i);
        }
        return name === 'includes' ? bool(false) : num(-1);
      }
      case 'slice': {
        const [s, e] = [a0 === undefined ? 0 : toNumber(a0), a1 === undefined ? items.length : toNumber(a1)];
        return s === undefined || e === undefined ? unknown(node, 'slice() bounds memlens cannot read') : arr(items.slice(s, e));
      }
      case 'at': {
        const i = a0 === undefined ? 0 : toNumber(a0);
        return i === undefined ? unknown(node, 'at() of an index memlens cannot read') : (items.at(i) ?? UNDEFINED);
      }
      case 'concat':
        return arr(items.concat(...args.map((a) => (a.kind === 'array' ? a.items : [a]))));
      case 'join': {
        const sep = a0 === undefined ? ',' : textOf(a0);
        const parts = items.map((v) => (isNullish(v) ? '' : textOf(v)));
        return sep === undefined || parts.some((p) => p === undefined) ? unknown(node, 'join() of values only known at run time') : str(parts.join(sep));
      }
      case 'push':
        items.push(...args);
        return num(items.length);
      case 'unshift':
        items.unshift(...args);
        return num(items.length);
      case 'pop':
        return items.pop() ?? UNDEFINED;
      case 'shift':
        return items.shift() ?? UNDEFINED;
      case 'splice': {
        if (args.length === 0) return arr([]);
        const start = toNumber(a0!);
        const count = args.length < 2 ? items.length : toNumber(a1!);
        if (start === undefined || count === undefined) return unknown(node, 'splice() bounds memlens cannot read');
        return arr(items.splice(start, count, ...args.slice(2)));
      }
      case 'fill':
        items.fill(a0 ?? UNDEFINED);
        return self;
      case 'reverse':
        items.reverse();
        return self;
      case 'flat':
        return arr(items.flatMap((v) => (v.kind === 'array' ? v.items : [v])));
      case 'keys':
        return arr(items.map((_, i) => num(i)));
      case 'entries':
        return arr(items.map((v, i) => arr([num(i), v])));
      default:
        return unknown(node, `array.${name}() is not a built-in memlens evaluates`);
    }
  }

  private globalBuiltin(name: string, args: Value[], node: Node): Value {
    const [a0, a1] = args;
    switch (name) {
      case 'Array.isArray':
        return bool(a0?.kind === 'array');
      case 'Array.of':
        return arr([...args]);
      case 'Array':
        if (args.length === 1 && a0?.kind === 'number') return Number.isInteger(a0.value) && a0.value >= 0 && a0.value <= LIMITS.iterations ? arr(Array.from({ length: a0.value }, () => UNDEFINED)) : unknown(node, 'an array length memlens does not unroll');
        return arr([...args]);
      case 'Array.from': {
        let items: Value[] | undefined;
        if (a0?.kind === 'array') items = [...a0.items];
        else if (a0?.kind === 'string') items = [...a0.value].map(str);
        else if (a0?.kind === 'object') {
          const length = a0.props.get('length');
          if (length?.kind === 'number' && Number.isInteger(length.value) && length.value >= 0 && length.value <= LIMITS.iterations) {
            items = Array.from({ length: length.value }, (_, i) => a0.props.get(String(i)) ?? UNDEFINED);
          }
        }
        if (!items) return unknown(node, 'Array.from() of a value memlens cannot list');
        return a1 === undefined ? arr(items) : arr(items.map((v, i) => this.callback(a1, [v, num(i)], node)));
      }
      case 'Object.keys':
      case 'Object.values':
      case 'Object.entries': {
        if (a0?.kind === 'array') {
          const keys = a0.items.map((_, i) => str(String(i)));
          return name === 'Object.keys' ? arr(keys) : name === 'Object.values' ? arr([...a0.items]) : arr(a0.items.map((v, i) => arr([keys[i]!, v])));
        }
        if (a0?.kind !== 'object') return unknown(node, `${name}() of a value that is not a static object`);
        const entries = [...a0.props];
        return arr(entries.map(([k, v]) => (name === 'Object.keys' ? str(k) : name === 'Object.values' ? v : arr([str(k), v]))));
      }
      case 'Object.assign': {
        if (a0?.kind !== 'object') return unknown(node, 'Object.assign() onto a value that is not a static object');
        for (const source of args.slice(1)) {
          if (isNullish(source)) continue;
          if (source.kind !== 'object') return unknown(node, 'Object.assign() from a value that is not a static object');
          copyProps(source, a0);
        }
        return a0;
      }
      case 'Object.fromEntries': {
        if (a0?.kind !== 'array') return unknown(node, 'Object.fromEntries() of a value that is not a static array');
        const out: ObjectValue = { kind: 'object', props: new Map(), nodes: new Map() };
        for (const e of a0.items) {
          const key = e.kind === 'array' ? textOf(e.items[0] ?? UNDEFINED) : undefined;
          if (e.kind !== 'array' || key === undefined) return unknown(node, 'Object.fromEntries() of entries memlens cannot read');
          out.props.set(key, e.items[1] ?? UNDEFINED);
        }
        return out;
      }
      case 'Object.freeze':
        return a0 ?? UNDEFINED;
      case 'Number': {
        const n = a0 === undefined ? 0 : toNumber(a0);
        return n === undefined ? unknown(node, 'Number() of a value that is not a primitive') : num(n);
      }
      case 'String': {
        const s = a0 === undefined ? '' : textOf(a0);
        return s === undefined ? unknown(node, 'String() of a value memlens cannot print') : str(s);
      }
      case 'Boolean': {
        const t = a0 === undefined ? false : truthy(a0);
        return t === undefined ? unknown(node, 'a condition only known at run time') : bool(t);
      }
      case 'parseInt':
      case 'Number.parseInt':
      case 'parseFloat':
      case 'Number.parseFloat': {
        const s = a0 === undefined ? undefined : textOf(a0);
        if (s === undefined) return unknown(node, `${name}() of a value memlens cannot read`);
        if (name.endsWith('Float')) return num(parseFloat(s));
        const radix = a1 === undefined ? undefined : toNumber(a1);
        return num(parseInt(s, radix));
      }
      case 'isNaN':
      case 'Number.isNaN':
      case 'isFinite':
      case 'Number.isFinite':
      case 'Number.isInteger': {
        const n = a0 === undefined ? NaN : toNumber(a0);
        if (n === undefined) return name.startsWith('Number.') ? bool(false) : unknown(node, `${name}() of a value that is not a primitive`);
        if (name.startsWith('Number.') && a0?.kind !== 'number') return bool(false);
        return bool(name.endsWith('isNaN') ? Number.isNaN(n) : name.endsWith('isInteger') ? Number.isInteger(n) : Number.isFinite(n));
      }
      default:
        return unknown(node, `${name}() is not a built-in memlens evaluates`);
    }
  }
}

function copyProps(from: ObjectValue, to: ObjectValue): void {
  for (const [k, v] of from.props) {
    to.props.set(k, v);
    const n = from.nodes.get(k);
    if (n) to.nodes.set(k, n);
  }
}

function stringMethod(s: string, name: string, args: Value[], node: Node): Value {
  const texts = args.map(textOf);
  if (texts.some((t) => t === undefined)) return unknown(node, `string.${name}() of a value memlens cannot read`);
  const [t0, t1] = texts as string[];
  const n0 = args[0] === undefined ? undefined : toNumber(args[0]);
  const n1 = args[1] === undefined ? undefined : toNumber(args[1]);
  switch (name) {
    case 'toUpperCase':
      return str(s.toUpperCase());
    case 'toLowerCase':
      return str(s.toLowerCase());
    case 'trim':
      return str(s.trim());
    case 'toString':
      return str(s);
    case 'startsWith':
      return bool(s.startsWith(t0 ?? 'undefined'));
    case 'endsWith':
      return bool(s.endsWith(t0 ?? 'undefined'));
    case 'includes':
      return bool(s.includes(t0 ?? 'undefined'));
    case 'indexOf':
      return num(s.indexOf(t0 ?? 'undefined'));
    case 'split':
      return t0 === undefined ? arr([str(s)]) : arr(s.split(t0).map(str));
    case 'slice':
      return str(s.slice(n0, n1));
    case 'repeat':
      return n0 !== undefined && n0 >= 0 && n0 * s.length <= 1_000_000 ? str(s.repeat(n0)) : unknown(node, 'a repeat memlens does not build');
    case 'padStart':
    case 'padEnd':
      return n0 !== undefined && n0 <= 10_000 ? str(name === 'padStart' ? s.padStart(n0, t1) : s.padEnd(n0, t1)) : unknown(node, 'a padding memlens does not build');
    case 'match':
    case 'search': {
      // a string pattern becomes a RegExp; one with no special character is a plain substring
      // search (and evaluating a user's pattern could backtrack without end, so others stay unknown)
      if (args[0]?.kind !== 'string' || /[\\^$.*+?()[\]{}|]/.test(t0!)) return unknown(node, `string.${name}() with a pattern memlens does not evaluate`);
      const at = s.indexOf(t0!);
      if (name === 'search') return num(at);
      return at < 0 ? NULL : arr([str(t0!)]);
    }
    case 'replace':
      return args[0]?.kind === 'string' && t1 !== undefined ? str(s.replace(t0!, t1)) : unknown(node, 'a replacement memlens does not evaluate');
    default:
      return unknown(node, `string.${name}() is not a built-in memlens evaluates`);
  }
}
