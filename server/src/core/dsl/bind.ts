// Binding the evaluated arguments of a call to an op's argument schema: positional order,
// variadics, named arguments, defaults, required ones, kinds and bounds. Pure: it returns
// what it bound and the diagnostics, each on the exact argument range.
import type { CoreDiagnostic, SourceRange, TensorId } from '../ir';
import type { ArgSpec, ArgValue, OpSpec } from '../ops/types';
import type { Ident } from './ast';
import { diag, type CodeName } from './codes';
import { didYouMean } from './suggest';
import { asInt, asNumber, describeValue, type Value } from './values';

/** one evaluated call argument */
export interface EvArg {
  readonly name?: Ident;
  readonly value: Value;
  readonly range: SourceRange;
  /** the unbound bare word this argument was written as (`same`, or a typo) */
  readonly word?: string;
}

export interface BoundOp {
  /** false when an argument was wrong or poisoned: the op is not built */
  readonly ok: boolean;
  readonly inputs: TensorId[];
  readonly args: Record<string, ArgValue>;
  /** source range of each bound argument, by spec name: shape errors blame it */
  readonly ranges: Map<string, SourceRange>;
}

type Converted = { ok: true; value: ArgValue } | { ok: false; code: CodeName; message: string } | { ok: false; poisoned: true };

const PADDING_WORDS = ['same', 'valid'];

/** human description of what an argument kind accepts */
export function kindText(spec: ArgSpec): string {
  switch (spec.kind) {
    case 'tensor':
      return 'a tensor';
    case 'int':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'bool':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'ints':
      return 'a list of integers';
    case 'intOrInts':
      return 'an integer or a list of integers';
    case 'padding':
      return "an integer, a list of integers, 'same' or 'valid'";
    case 'enum':
      return (spec.values ?? []).join(' | ');
  }
}

export function bindOpArgs(
  spec: OpSpec,
  args: readonly EvArg[],
  calleeRange: SourceRange,
  diagnostics: CoreDiagnostic[],
  unknownWord: (arg: EvArg) => void,
): BoundOp {
  const tensors = new Map<string, TensorId[]>();
  const values: Record<string, ArgValue> = {};
  const ranges = new Map<string, SourceRange>();
  const variadicValues = new Map<string, Value[]>();
  let ok = true;
  const bound = new Set<string>();

  const bindOne = (s: ArgSpec, a: EvArg): void => {
    ranges.set(s.name, a.range);
    bound.add(s.name);
    if (s.kind === 'tensor') {
      if (a.value.kind === 'tensor') {
        const list = tensors.get(s.name) ?? [];
        list.push(a.value.id);
        tensors.set(s.name, list);
      } else if (a.value.kind === 'error') ok = false;
      else if (a.word !== undefined) {
        unknownWord(a);
        ok = false;
      } else {
        diagnostics.push(diag('argumentType', a.range, `${spec.name}: '${s.name}' must be a tensor, got ${describeValue(a.value)}`));
        ok = false;
      }
      return;
    }
    const c = convert(s, a.value);
    if (c.ok) {
      values[s.name] = c.value;
    } else {
      ok = false;
      if ('poisoned' in c) return;
      if (a.word !== undefined && s.kind !== 'enum' && s.kind !== 'padding' && s.kind !== 'string') unknownWord(a);
      else diagnostics.push(diag(c.code, a.range, `${spec.name}: '${s.name}' ${c.message}`));
    }
  };

  // positional arguments, in schema order; a variadic takes the following arguments of its kind
  const positional = spec.args.filter((s) => s.kind === 'tensor' || s.positional);
  let p = 0;
  const posArgs = args.filter((a) => a.name === undefined);
  for (let k = 0; k < posArgs.length; k++) {
    const a = posArgs[k]!;
    const s = positional[p];
    if (!s) {
      diagnostics.push(
        diag('tooManyArguments', a.range, `${spec.name} takes ${positional.length} positional argument${positional.length === 1 ? '' : 's'} (${positional.map((x) => x.name).join(', ')}); name the others`),
      );
      ok = false;
      break;
    }
    if (s.variadic) {
      const isTensor = s.kind === 'tensor';
      if (isTensor) {
        bindOne(s, a);
        while (k + 1 < posArgs.length && fitsVariadic(posArgs[k + 1]!.value, true)) bindOne(s, posArgs[++k]!);
      } else {
        const items: Value[] = [a.value];
        const first = a.range;
        let last = a.range;
        while (k + 1 < posArgs.length && fitsVariadic(posArgs[k + 1]!.value, false)) {
          items.push(posArgs[++k]!.value);
          last = posArgs[k]!.range;
        }
        variadicValues.set(s.name, items);
        bindOne(s, { value: { kind: 'list', items }, range: { start: first.start, end: last.end } });
      }
    } else {
      bindOne(s, a);
    }
    p++;
  }

  for (const a of args) {
    if (!a.name) continue;
    const name = a.name.name;
    const s = spec.args.find((x) => x.name === name);
    if (!s) {
      diagnostics.push(
        diag('unknownArgument', a.name.range, `${spec.name} has no argument '${name}'${didYouMean(name, spec.args.map((x) => x.name))} (arguments: ${spec.args.map((x) => x.name).join(', ')})`),
      );
      ok = false;
      continue;
    }
    if (bound.has(name)) {
      diagnostics.push(diag('duplicateArgument', a.name.range, `${spec.name}: '${name}' is given twice`));
      ok = false;
      continue;
    }
    if (s.variadic && s.kind !== 'tensor' && a.value.kind !== 'list') {
      bindOne(s, { ...a, value: { kind: 'list', items: [a.value] } });
    } else bindOne(s, a);
  }

  for (const s of spec.args) {
    if (bound.has(s.name)) continue;
    if (s.kind === 'tensor' || (s.required && s.default === undefined)) {
      diagnostics.push(diag('missingArgument', calleeRange, `${spec.name} needs '${s.name}' (${kindText(s)}): ${s.doc}`));
      ok = false;
    }
  }

  const inputs: TensorId[] = [];
  for (const s of spec.args) if (s.kind === 'tensor') inputs.push(...(tensors.get(s.name) ?? []));
  return { ok, inputs, args: values, ranges };
}

function fitsVariadic(v: Value, tensor: boolean): boolean {
  return tensor ? v.kind === 'tensor' : v.kind !== 'tensor';
}

function convert(s: ArgSpec, v: Value): Converted {
  if (v.kind === 'error') return { ok: false, poisoned: true };
  if (v.kind === 'list' && v.items.some((x) => x.kind === 'error')) return { ok: false, poisoned: true };
  const wrong = (): Converted => ({ ok: false, code: 'argumentType', message: `must be ${kindText(s)}, got ${describeValue(v)}` });
  switch (s.kind) {
    case 'int':
      if (s.variadic && v.kind === 'list') return intList(s, v.items, wrong);
      return intValue(s, v, wrong);
    case 'number': {
      const n = asNumber(v);
      if (!n.ok) return wrong();
      return bounds(s, n.value) ?? { ok: true, value: n.value };
    }
    case 'bool':
      return v.kind === 'bool' ? { ok: true, value: v.value } : wrong();
    case 'string':
      if (v.kind === 'string') return { ok: true, value: v.value };
      if (v.kind === 'symbol') return { ok: true, value: v.name };
      return wrong();
    case 'ints':
      return v.kind === 'list' ? intList(s, v.items, wrong) : wrong();
    case 'intOrInts':
      return v.kind === 'list' ? intList(s, v.items, wrong) : intValue(s, v, wrong);
    case 'padding': {
      const w = v.kind === 'symbol' ? v.name : v.kind === 'string' ? v.value : undefined;
      if (w !== undefined) {
        if (PADDING_WORDS.includes(w)) return { ok: true, value: w };
        return { ok: false, code: 'argumentType', message: `must be ${kindText(s)}, got '${w}'${didYouMean(w, PADDING_WORDS)}` };
      }
      return v.kind === 'list' ? intList(s, v.items, wrong) : intValue(s, v, wrong);
    }
    case 'enum': {
      const w = v.kind === 'symbol' ? v.name : v.kind === 'string' ? v.value : undefined;
      const allowed = s.values ?? [];
      if (w !== undefined && allowed.includes(w)) return { ok: true, value: w };
      const shown = w !== undefined ? `'${w}'` : describeValue(v);
      return { ok: false, code: 'argumentType', message: `must be one of ${allowed.join(' | ')}, got ${shown}${w !== undefined ? didYouMean(w, allowed) : ''}` };
    }
    case 'tensor':
      return wrong();
  }
}

function intValue(s: ArgSpec, v: Value, wrong: () => Converted): Converted {
  if (v.kind !== 'int' && v.kind !== 'real') return wrong();
  const n = asInt(v);
  if (!n.ok) return { ok: false, code: 'number', message: n.message };
  return bounds(s, n.value) ?? { ok: true, value: n.value };
}

function intList(s: ArgSpec, items: readonly Value[], wrong: () => Converted): Converted {
  if (items.length === 0) return { ok: false, code: 'argumentType', message: 'must not be an empty list' };
  const out: number[] = [];
  for (const item of items) {
    if (item.kind !== 'int' && item.kind !== 'real') return wrong();
    const n = asInt(item);
    if (!n.ok) return { ok: false, code: 'number', message: n.message };
    const b = bounds(s, n.value);
    if (b) return b;
    out.push(n.value);
  }
  return { ok: true, value: out };
}

function bounds(s: ArgSpec, x: number): Converted | undefined {
  if (s.min !== undefined && x < s.min) return { ok: false, code: 'argumentRange', message: `must be at least ${s.min}, got ${x}` };
  if (s.maxExclusive !== undefined && !(x < s.maxExclusive)) return { ok: false, code: 'argumentRange', message: `must be below ${s.maxExclusive}, got ${x}` };
  return undefined;
}
