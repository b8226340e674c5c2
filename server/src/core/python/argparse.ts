// argparse, statically: `parser.add_argument('--nz', type=int, default=100)` then `opt = parser.parse_args()`
// gives a namespace of the defaults, which is what model code built from command-line options reads.
import { builtin } from './builtins';
import { FALSE, NONE, TRUE, type ClassValue, type Instance, type PyValue } from './values';
import { newInstance } from './modules';

export function parserClass(): ClassValue {
  return { kind: 'class', name: 'ArgumentParser', bases: [], attrs: new Map(), isModule: false };
}

export function parserMember(parser: Instance, name: string): PyValue | undefined {
  const defaults = (parser.attrs.get('__defaults') ?? { kind: 'dict', entries: new Map() }) as { kind: 'dict'; entries: Map<string | number, PyValue> };
  parser.attrs.set('__defaults', defaults);
  if (name === 'add_argument')
    return builtin('add_argument', (args, site) => {
      const flags = args.positional.filter((a) => a.kind === 'str').map((a) => (a as { value: string }).value);
      const long = flags.find((f) => f.startsWith('--')) ?? flags[0];
      if (!long) return NONE;
      const destV = args.keywords.get('dest');
      const dest = destV?.kind === 'str' ? destV.value : long.replace(/^-+/, '').replace(/-/g, '_');
      const action = args.keywords.get('action');
      let value: PyValue = args.keywords.get('default') ?? (action?.kind === 'str' && action.value === 'store_true' ? FALSE : action?.kind === 'str' && action.value === 'store_false' ? TRUE : NONE);
      const type = args.keywords.get('type');
      if (type?.kind === 'builtin' && value.kind === 'str') value = type.call({ positional: [value], keywords: new Map() }, site);
      defaults.entries.set(dest, value);
      return NONE;
    });
  if (name === 'parse_args' || name === 'parse_known_args')
    return builtin(name, () => {
      const ns = newInstance({ kind: 'class', name: 'Namespace', bases: [], attrs: new Map(), isModule: false }, undefined as never);
      for (const [k, v] of defaults.entries) ns.attrs.set(String(k), v);
      return name === 'parse_args' ? ns : { kind: 'tuple', items: [ns, { kind: 'list', items: [] }] };
    });
  if (name === 'add_argument_group') return builtin(name, () => parser);
  return builtin(name, () => NONE);
}
