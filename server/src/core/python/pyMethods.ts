// Methods of Python's lists, dicts and strings on known values.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { builtin } from './builtins';
import { compare, MAX_ITEMS } from './operators';
import { describe, dictKey, int, intOf, iterate, keyValue, NONE, unknown, type DictValue, type ListValue, type PyValue } from './values';

function listMethod(list: ListValue, name: string): PyValue | undefined {
  const items = list.items;
  switch (name) {
    case 'append':
      return builtin(name, (args) => {
        items.push(args.positional[0] ?? NONE);
        return NONE;
      });
    case 'extend':
      return builtin(name, (args, site) => {
        const more = iterate(args.positional[0] ?? NONE);
        if (!more) return unknown(site, `extend() of ${describe(args.positional[0] ?? NONE)}`);
        if (items.length + more.length > MAX_ITEMS) return unknown(site, 'extend() past the item limit');
        for (const x of [...more]) items.push(x);
        return NONE;
      });
    case 'insert':
      return builtin(name, (args, site) => {
        const i = intOf(args.positional[0] ?? NONE);
        if (i === undefined) return unknown(site, 'insert() at an index that is not known');
        items.splice(i < 0 ? Math.max(0, items.length + i) : i, 0, args.positional[1] ?? NONE);
        return NONE;
      });
    case 'pop':
      return builtin(name, (args, site) => {
        const i = args.positional[0] ? intOf(args.positional[0]) : -1;
        if (i === undefined || items.length === 0) return unknown(site, 'pop() that is not known');
        return items.splice(i < 0 ? items.length + i : i, 1)[0] ?? unknown(site, 'pop() out of range');
      });
    case 'copy':
      return builtin(name, () => ({ kind: 'list', items: [...items] }));
    case 'reverse':
      return builtin(name, () => {
        items.reverse();
        return NONE;
      });
    case 'clear':
      return builtin(name, () => {
        items.length = 0;
        return NONE;
      });
    case 'index':
      return builtin(name, (args, site) => {
        const k = items.findIndex((v) => compare('==', v, args.positional[0] ?? NONE, site).kind === 'bool' && (compare('==', v, args.positional[0] ?? NONE, site) as { value: boolean }).value);
        return k < 0 ? unknown(site, 'index() of a value not in the list') : int(k);
      });
    case 'count':
      return builtin(name, (args, site) => int(items.filter((v) => { const r = compare('==', v, args.positional[0] ?? NONE, site); return r.kind === 'bool' && r.value; }).length));
    default:
      return undefined;
  }
}

function dictMethod(dict: DictValue, name: string): PyValue | undefined {
  const entries = dict.entries;
  switch (name) {
    case 'keys':
      return builtin(name, () => ({ kind: 'list', items: [...entries.keys()].map(keyValue) }));
    case 'values':
      return builtin(name, () => ({ kind: 'list', items: [...entries.values()] }));
    case 'items':
      return builtin(name, () => ({ kind: 'list', items: [...entries].map(([k, v]) => ({ kind: 'tuple', items: [keyValue(k), v] })) }));
    case 'get':
      return builtin(name, (args, site) => {
        const k = dictKey(args.positional[0] ?? NONE);
        if (k === undefined) return unknown(site, 'get() of a key that is not known');
        return entries.get(k) ?? args.positional[1] ?? NONE;
      });
    case 'setdefault':
      return builtin(name, (args, site) => {
        const k = dictKey(args.positional[0] ?? NONE);
        if (k === undefined) return unknown(site, 'setdefault() of a key that is not known');
        if (!entries.has(k)) entries.set(k, args.positional[1] ?? NONE);
        return entries.get(k)!;
      });
    case 'pop':
      return builtin(name, (args, site) => {
        const k = dictKey(args.positional[0] ?? NONE);
        if (k === undefined) return unknown(site, 'pop() of a key that is not known');
        const v = entries.get(k) ?? args.positional[1];
        entries.delete(k);
        return v ?? unknown(site, `the key ${String(k)} is not in the dict`);
      });
    case 'update':
      return builtin(name, (args, site) => {
        const src = args.positional[0];
        if (src && src.kind !== 'dict') return unknown(site, 'update() from a value that is not a known dict');
        if (src) for (const [k, v] of src.entries) entries.set(k, v);
        for (const [k, v] of args.keywords) entries.set(k, v);
        return NONE;
      });
    case 'copy':
      return builtin(name, () => ({ kind: 'dict', entries: new Map(entries) }));
    default:
      return undefined;
  }
}

function strMethod(s: string, name: string): PyValue | undefined {
  const str = (value: string): PyValue => ({ kind: 'str', value });
  switch (name) {
    case 'upper':
      return builtin(name, () => str(s.toUpperCase()));
    case 'lower':
      return builtin(name, () => str(s.toLowerCase()));
    case 'strip':
      return builtin(name, () => str(s.trim()));
    case 'startswith':
      return builtin(name, (args) => ({ kind: 'bool', value: args.positional[0]?.kind === 'str' && s.startsWith(args.positional[0].value) }));
    case 'endswith':
      return builtin(name, (args) => ({ kind: 'bool', value: args.positional[0]?.kind === 'str' && s.endsWith(args.positional[0].value) }));
    case 'split':
      return builtin(name, (args) => ({ kind: 'list', items: (args.positional[0]?.kind === 'str' ? s.split(args.positional[0].value) : s.trim().split(/\s+/)).map(str) }));
    case 'replace':
      return builtin(name, (args, site) => (args.positional[0]?.kind === 'str' && args.positional[1]?.kind === 'str' ? str(s.split(args.positional[0].value).join(args.positional[1].value)) : unknown(site, 'replace() of values that are not known strings')));
    case 'join':
      return builtin(name, (args, site) => {
        const parts = iterate(args.positional[0] ?? NONE);
        if (!parts || parts.some((p) => p.kind !== 'str')) return unknown(site, 'join() of values that are not known strings');
        return str(parts.map((p) => (p as { value: string }).value).join(s));
      });
    case 'format':
      return builtin(name, (args, site) => {
        let i = 0;
        let failed = false;
        const out = s.replace(/\{([^{}]*)\}/g, (_, key: string) => {
          const v = key === '' ? args.positional[i++] : /^\d+$/.test(key) ? args.positional[Number(key)] : args.keywords.get(key);
          if (!v || (v.kind !== 'str' && v.kind !== 'int' && v.kind !== 'float' && v.kind !== 'bool')) failed = true;
          return v ? (v.kind === 'str' ? v.value : describe(v)) : '';
        });
        return failed ? unknown(site, 'format() of values that are not known') : str(out);
      });
    default:
      return undefined;
  }
}

/** a method of a list, dict or string; undefined when memlens does not model it */
export function pythonMethod(obj: PyValue, name: string, _site: Node): PyValue | undefined {
  if (obj.kind === 'list') return listMethod(obj, name);
  if (obj.kind === 'dict') return dictMethod(obj, name);
  if (obj.kind === 'str') return strMethod(obj.value, name);
  if (obj.kind === 'tuple' && (name === 'index' || name === 'count')) return listMethod({ kind: 'list', items: [...obj.items] }, name);
  // a named tuple's field (torch.max(x, 1).values)
  const field = obj.kind === 'tuple' ? obj.fields?.indexOf(name) ?? -1 : -1;
  if (obj.kind === 'tuple' && field >= 0) return obj.items[field];
  return undefined;
}
