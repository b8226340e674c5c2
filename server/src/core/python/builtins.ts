// Python's builtins and `math` as far as model code uses them, on known values only.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { compare } from './operators';
import { describe, FALSE, int, intOf, isSubclass, isUnknown, iterate, NONE, numberOf, TRUE, truthy, unknown, type BuiltinValue, type CallArgs, type PyValue } from './values';

type Impl = (args: CallArgs, site: Node) => PyValue;

export function builtin(name: string, call: Impl, self?: PyValue): BuiltinValue {
  return self === undefined ? { kind: 'builtin', name, call } : { kind: 'builtin', name, call, self };
}

function arg(args: CallArgs, i: number, name?: string): PyValue | undefined {
  return args.positional[i] ?? (name ? args.keywords.get(name) : undefined);
}

function firstUnknown(args: CallArgs): PyValue | undefined {
  return args.positional.find(isUnknown) ?? [...args.keywords.values()].find(isUnknown);
}

function items(v: PyValue | undefined, site: Node): readonly PyValue[] | PyValue {
  if (!v) return unknown(site, 'a missing argument');
  const list = iterate(v);
  if (list) return list;
  return isUnknown(v) ? v : unknown(site, `${describe(v)} is not a known iterable`);
}

function minMax(which: 'min' | 'max'): Impl {
  return (args, site) => {
    const list = args.positional.length === 1 ? items(args.positional[0], site) : args.positional;
    if (!Array.isArray(list)) return list as PyValue;
    if (list.length === 0) return unknown(site, `${which}() of an empty sequence`);
    let best = list[0]!;
    for (const v of list.slice(1)) {
      const r = compare(which === 'max' ? '>' : '<', v, best, site);
      if (r.kind !== 'bool') return r;
      if (r.value) best = v;
    }
    return best;
  };
}

/** the longest range() memlens materialises: model code loops over layers, not over data */
const MAX_RANGE = 100_000;

const PY_BUILTINS: Record<string, Impl> = {
  range(args, site) {
    const u = firstUnknown(args);
    if (u) return u;
    const n = args.positional.map(intOf);
    if (n.some((x) => x === undefined) || n.length === 0) return unknown(site, 'range() of values that are not known integers');
    const [start, stop, step] = n.length === 1 ? [0, n[0]!, 1] : [n[0]!, n[1]!, n[2] ?? 1];
    if (step === 0) return unknown(site, 'range() with step 0');
    // the length first: a huge range is refused without materialising its first 100,000 items
    const length = Math.max(0, Math.ceil((stop! - start!) / step!));
    if (length > MAX_RANGE) return unknown(site, `a range of more than ${MAX_RANGE.toLocaleString('en-US')} items`);
    const out: PyValue[] = [];
    for (let k = 0; k < length; k++) out.push(int(start! + k * step!));
    return { kind: 'list', items: out };
  },
  len(args, site) {
    const v = args.positional[0];
    if (!v) return unknown(site, 'len() without an argument');
    if (v.kind === 'tensor') {
      const d = v.shape[0];
      return v.batchAxis === 0 ? { kind: 'symint', coef: d ?? 1 } : d === undefined ? unknown(site, 'len() of a scalar') : int(d);
    }
    const list = iterate(v);
    return list ? int(list.length) : isUnknown(v) ? v : unknown(site, `len() of ${describe(v)}`);
  },
  // memlens' lists stand for Python's iterators too (parameters(), map(), zip()): next() takes the first item off
  iter(args, site) {
    const list = items(args.positional[0], site);
    return Array.isArray(list) ? { kind: 'list', items: [...list] } : (list as PyValue);
  },
  next(args, site) {
    const it = args.positional[0];
    if (it?.kind !== 'list') return it && isUnknown(it) ? it : unknown(site, `next() of ${it ? describe(it) : 'nothing'}`);
    return it.items.shift() ?? args.positional[1] ?? unknown(site, 'next() of an exhausted iterator (StopIteration)');
  },
  enumerate(args, site) {
    const list = items(args.positional[0], site);
    if (!Array.isArray(list)) return list as PyValue;
    const start = intOf(arg(args, 1, 'start') ?? int(0)) ?? 0;
    return { kind: 'list', items: list.map((v, i) => ({ kind: 'tuple', items: [int(start + i), v] })) };
  },
  zip(args, site) {
    const lists = args.positional.map((a) => items(a, site));
    const bad = lists.find((l) => !Array.isArray(l));
    if (bad) return bad as PyValue;
    const ls = lists as (readonly PyValue[])[];
    const n = Math.min(...ls.map((l) => l.length));
    return { kind: 'list', items: Array.from({ length: n }, (_, i) => ({ kind: 'tuple', items: ls.map((l) => l[i]!) })) };
  },
  min: minMax('min'),
  max: minMax('max'),
  sum(args, site) {
    const list = items(args.positional[0], site);
    if (!Array.isArray(list)) return list as PyValue;
    let total = numberOf(arg(args, 1, 'start') ?? int(0)) ?? 0;
    let float = false;
    for (const v of list) {
      const x = numberOf(v);
      if (x === undefined) return unknown(site, `sum() over ${describe(v)}`);
      float ||= v.kind === 'float';
      total += x;
    }
    return float ? { kind: 'float', value: total } : int(total);
  },
  abs(args, site) {
    const v = args.positional[0];
    const x = v ? numberOf(v) : undefined;
    if (x === undefined) return v && isUnknown(v) ? v : unknown(site, 'abs() of a value that is not a known number');
    return v!.kind === 'float' ? { kind: 'float', value: Math.abs(x) } : int(Math.abs(x));
  },
  round(args, site) {
    const x = numberOf(args.positional[0] ?? NONE);
    if (x === undefined) return unknown(site, 'round() of a value that is not a known number');
    const digits = args.positional[1] ? intOf(args.positional[1]) : undefined;
    if (digits !== undefined) return { kind: 'float', value: Number(x.toFixed(digits)) };
    // Python rounds half to even
    const r = Math.round(x);
    return int(Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r);
  },
  int(args, site) {
    const v = args.positional[0] ?? int(0);
    if (v.kind === 'symint') return v;
    if (v.kind === 'str' && /^\s*[-+]?\d+\s*$/.test(v.value)) return int(Number(v.value));
    const x = numberOf(v);
    if (x === undefined) return isUnknown(v) ? v : unknown(site, `int() of ${describe(v)}`);
    const n = Math.trunc(x);
    return Number.isSafeInteger(n) ? int(n) : unknown(site, `int() of ${describe(v)} is too large to count exactly`);
  },
  float(args, site) {
    const v = args.positional[0] ?? int(0);
    if (v.kind === 'str' && /^\s*[-+]?(inf|infinity)\s*$/i.test(v.value)) return { kind: 'float', value: v.value.includes('-') ? -Infinity : Infinity };
    if (v.kind === 'str' && !Number.isNaN(Number(v.value))) return { kind: 'float', value: Number(v.value) };
    const x = numberOf(v);
    return x === undefined ? (isUnknown(v) ? v : unknown(site, `float() of ${describe(v)}`)) : { kind: 'float', value: x };
  },
  str(args, site) {
    const v = args.positional[0] ?? { kind: 'str', value: '' };
    if (v.kind === 'str') return v;
    if (v.kind === 'int' || v.kind === 'float' || v.kind === 'bool' || v.kind === 'none') return { kind: 'str', value: describe(v) };
    return unknown(site, `str() of ${describe(v)}`);
  },
  bool(args, site) {
    const t = truthy(args.positional[0] ?? FALSE);
    return t === undefined ? unknown(site, 'bool() of a value that is not known') : t ? TRUE : FALSE;
  },
  list(args, site) {
    if (args.positional.length === 0) return { kind: 'list', items: [] };
    const list = items(args.positional[0], site);
    return Array.isArray(list) ? { kind: 'list', items: [...list] } : (list as PyValue);
  },
  tuple(args, site) {
    if (args.positional.length === 0) return { kind: 'tuple', items: [] };
    const list = items(args.positional[0], site);
    return Array.isArray(list) ? { kind: 'tuple', items: [...list] } : (list as PyValue);
  },
  dict(args, site) {
    const entries = new Map<string | number, PyValue>();
    const src = args.positional[0];
    if (src?.kind === 'dict') for (const [k, v] of src.entries) entries.set(k, v);
    else if (src) {
      const pairs = items(src, site);
      if (!Array.isArray(pairs)) return pairs as PyValue;
      for (const p of pairs) {
        const kv = iterate(p);
        const k = kv?.[0];
        if (!kv || kv.length !== 2 || !k || (k.kind !== 'str' && k.kind !== 'int')) return unknown(site, 'dict() of pairs that are not known');
        entries.set(k.value, kv[1]!);
      }
    }
    for (const [k, v] of args.keywords) entries.set(k, v);
    return { kind: 'dict', entries };
  },
  sorted(args, site) {
    const list = items(args.positional[0], site);
    if (!Array.isArray(list)) return list as PyValue;
    const nums = list.map(numberOf);
    if (nums.some((x) => x === undefined)) return unknown(site, 'sorted() of values that are not known numbers');
    return { kind: 'list', items: list.map((v, i) => ({ v, x: nums[i]! })).sort((a, b) => a.x - b.x).map((e) => e.v) };
  },
  reversed(args, site) {
    const list = items(args.positional[0], site);
    return Array.isArray(list) ? { kind: 'list', items: [...list].reverse() } : (list as PyValue);
  },
  any(args, site) {
    const list = items(args.positional[0], site);
    if (!Array.isArray(list)) return list as PyValue;
    const ts = list.map(truthy);
    if (ts.includes(true)) return TRUE;
    return ts.includes(undefined) ? unknown(site, 'any() of values that are not known') : FALSE;
  },
  all(args, site) {
    const list = items(args.positional[0], site);
    if (!Array.isArray(list)) return list as PyValue;
    const ts = list.map(truthy);
    if (ts.includes(false)) return FALSE;
    return ts.includes(undefined) ? unknown(site, 'all() of values that are not known') : TRUE;
  },
  isinstance(args, site) {
    const [v, cls] = args.positional;
    if (!v || !cls) return unknown(site, 'isinstance() needs two arguments');
    const classes = cls.kind === 'tuple' ? cls.items : [cls];
    for (const c of classes) {
      if (c.kind === 'class' && v.kind === 'instance') {
        if (isSubclass(v.cls, c)) return TRUE;
        continue;
      }
      // a function or a literal is no instance of a class a file defines or of a torch.nn class
      if (c.kind === 'class' && ['function', 'builtin', 'none', 'int', 'float', 'str', 'bool'].includes(v.kind)) continue;
      if (c.kind === 'builtin') {
        const k = { int: ['int', 'bool'], float: ['float'], str: ['str'], bool: ['bool'], list: ['list'], tuple: ['tuple'], dict: ['dict'] }[c.name];
        if (k) {
          if (isUnknown(v)) return unknown(site, 'isinstance() of a value that is not known');
          if (k.includes(v.kind)) return TRUE;
          continue;
        }
      }
      return unknown(site, `isinstance() against ${describe(c)} is not modelled`);
    }
    return FALSE;
  },
  print: () => NONE,
  repr: (args, site) => unknown(site, 'repr() is not modelled'),
};

export function pythonBuiltin(name: string): BuiltinValue | undefined {
  const impl = PY_BUILTINS[name];
  return impl ? builtin(name, impl) : undefined;
}

const MATH_1: Record<string, (x: number) => number> = {
  sqrt: Math.sqrt,
  exp: Math.exp,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  fabs: Math.abs,
};

/** math.X: functions on known numbers, and the constants */
/** math.prod / numpy.prod of known numbers: an int when every factor is one, a float otherwise, as Python and numpy give */
function knownProduct(values: readonly PyValue[] | undefined, name: string, site: Node): PyValue {
  const list = values?.map(numberOf);
  if (!values || !list || list.some((x) => x === undefined)) return unknown(site, `${name}() of values that are not known numbers`);
  const product = (list as number[]).reduce((a, b) => a * b, 1);
  return values.every((v) => v.kind === 'int' || v.kind === 'bool') ? int(product) : { kind: 'float', value: product };
}

/** numpy.prod of known numbers (a model sized by `int(np.prod(img_shape))`); a scalar is its own product */
export function numpyMember(name: string): PyValue | undefined {
  if (name !== 'prod') return undefined;
  return builtin('numpy.prod', (args, site) => {
    const x = args.positional[0];
    if (!x || args.positional.length > 1 || args.keywords.size > 0) return unknown(site, 'numpy.prod() with an axis or options is not modelled');
    return knownProduct(iterate(x) ?? [x], 'numpy.prod', site);
  });
}

export function mathMember(name: string): PyValue | undefined {
  if (name === 'pi') return { kind: 'float', value: Math.PI };
  if (name === 'e') return { kind: 'float', value: Math.E };
  if (name === 'inf') return { kind: 'float', value: Infinity };
  const f1 = MATH_1[name];
  const numeric = (f: (xs: number[]) => PyValue): BuiltinValue =>
    builtin(`math.${name}`, (args, site) => {
      const xs = args.positional.map(numberOf);
      if (xs.some((x) => x === undefined)) return unknown(site, `math.${name}() of values that are not known numbers`);
      return f(xs as number[]);
    });
  if (f1) return numeric((xs) => ({ kind: 'float', value: f1(xs[0]!) }));
  switch (name) {
    case 'log':
      return numeric((xs) => ({ kind: 'float', value: xs.length > 1 ? Math.log(xs[0]!) / Math.log(xs[1]!) : Math.log(xs[0]!) }));
    case 'ceil':
      return numeric((xs) => int(Math.ceil(xs[0]!)));
    case 'floor':
      return numeric((xs) => int(Math.floor(xs[0]!)));
    case 'trunc':
      return numeric((xs) => int(Math.trunc(xs[0]!)));
    case 'pow':
      return numeric((xs) => ({ kind: 'float', value: xs[0]! ** xs[1]! }));
    case 'gcd':
      return numeric((xs) => int(xs.reduce((a, b) => gcd(a, b), 0)));
    case 'prod':
      return builtin('math.prod', (args, site) => knownProduct(iterate(args.positional[0] ?? NONE), 'math.prod', site));
    case 'isqrt':
      return numeric((xs) => int(Math.floor(Math.sqrt(xs[0]!))));
    default:
      return undefined;
  }
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}
