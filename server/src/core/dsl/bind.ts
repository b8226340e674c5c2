// Binding the evaluated arguments of a call to an op's argument schema: positional order,
// variadics, named arguments, defaults, required ones, kinds and bounds. Pure: it returns
// what it bound and the diagnostics, each on the exact argument range.
import type { CoreDiagnostic, SourceRange, TensorId } from '../ir';
import type { ArgSpec, ArgValue, OpSpec } from '../ops/types';
import type { Ident, Located } from './ast';
import { diag, type CodeName } from './codes';
import { didYouMean } from './suggest';
import { asInt, asNumber, describeValue, type Value } from './values';

/** one evaluated call argument */
export interface EvArg {
  readonly name?: Ident;
  readonly value: Value;
  /** what the argument's range is read from, on a diagnostic only */
  readonly at: Located;
  /** the unbound bare word this argument was written as (`same`, or a typo) */
  readonly word?: string;
}

/** what bindOpArgs bound; valid until its next call (its arrays are reused, see bindingOf) */
export interface BoundOp {
  /** false when an argument was wrong or poisoned: the op is not built */
  readonly ok: boolean;
  readonly inputs: TensorId[];
  /** non-tensor values by index in the spec's `args` (undefined: not given), for OpRequest.argValues */
  readonly values: readonly (ArgValue | undefined)[];
  /** where each bound argument was written, by index in the spec's `args`: shape errors blame it (rangeOfArg) */
  readonly ranges: readonly (Located | undefined)[];
}

/** the span from one argument to a later one (a variadic list written as several arguments) */
class Joined implements Located {
  constructor(
    private readonly first: Located,
    private readonly last: Located,
  ) {}

  get range(): SourceRange {
    return { start: this.first.range.start, end: this.last.range.end };
  }
}

/** the source range an argument of the spec was bound from, by the argument's name */
export function rangeOfArg(spec: OpSpec, bound: BoundOp, name: string): SourceRange | undefined {
  const args = spec.args;
  for (let i = 0; i < args.length; i++) if (args[i]!.name === name) return bound.ranges[i]?.range;
  return undefined;
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

/** the state of one binding (module-level helpers: no closures on the hot path); it is also the result */
interface Binding extends BoundOp {
  readonly spec: OpSpec;
  /** indexes of the schema's positional arguments (tensors always are), in order */
  readonly positional: readonly number[];
  diagnostics: CoreDiagnostic[];
  unknownWord: (arg: EvArg) => void;
  /** tensor inputs by spec index: one list per tensor argument, each at its exact size */
  readonly tensors: (TensorId[] | undefined)[];
  /** values and ranges by spec index (arrays, not objects keyed by each op's names: those lookups go megamorphic) */
  readonly values: (ArgValue | undefined)[];
  readonly ranges: (Located | undefined)[];
  ok: boolean;
  inputs: TensorId[];
}

/** bind argument `a` to the spec's argument number `i` */
function bindOne(b: Binding, i: number, a: EvArg): void {
  const s = b.spec.args[i]!;
  b.ranges[i] = a.at;
  if (s.kind === 'tensor') {
    // a list of tensors given to a variadic tensor argument: its items, in order (concat(features))
    if (s.variadic && a.value.kind === 'list' && a.value.items.length > 0 && a.value.items.every((v) => v.kind === 'tensor' || v.kind === 'error')) {
      for (const item of a.value.items) bindOne(b, i, { ...a, value: item });
      return;
    }
    if (a.value.kind === 'tensor') {
      const list = b.tensors[i];
      // exact size for the usual one to four inputs; a long variadic list grows by pushes (linear)
      if (list === undefined) b.tensors[i] = [a.value.id];
      else if (list.length < 4) b.tensors[i] = [...list, a.value.id];
      else list.push(a.value.id);
    } else if (a.value.kind === 'error') b.ok = false;
    else if (a.word !== undefined) {
      b.unknownWord(a);
      b.ok = false;
    } else {
      b.diagnostics.push(diag('argumentType', a.at.range, `${b.spec.name}: '${s.name}' must be a tensor, got ${describeValue(a.value)}`));
      b.ok = false;
    }
    return;
  }
  // the usual cases without result objects: a number or boolean of the right kind, within bounds
  const v = a.value;
  const numeric = s.kind === 'int' || s.kind === 'intOrInts' || s.kind === 'padding' ? v.kind === 'int' : s.kind === 'number' && (v.kind === 'int' || v.kind === 'real');
  if (numeric && (v.kind === 'int' || v.kind === 'real') && inBounds(s, v.value)) {
    b.values[i] = v.value;
    return;
  }
  if (s.kind === 'bool' && v.kind === 'bool') {
    b.values[i] = v.value;
    return;
  }
  const c = convert(s, v);
  if (c.ok) {
    b.values[i] = c.value;
  } else {
    b.ok = false;
    if ('poisoned' in c) return;
    if (a.word !== undefined && s.kind !== 'enum' && s.kind !== 'padding' && s.kind !== 'string') b.unknownWord(a);
    else b.diagnostics.push(diag(c.code, a.at.range, `${b.spec.name}: '${s.name}' ${c.message}`));
  }
}

export function bindOpArgs(
  spec: OpSpec,
  args: readonly EvArg[],
  /** the call: a missing argument is reported at its callee's name */
  call: { readonly callee: Located },
  diagnostics: CoreDiagnostic[],
  unknownWord: (arg: EvArg) => void,
): BoundOp {
  const specArgs = spec.args;
  const b = bindingOf(spec, diagnostics, unknownWord);
  const ranges = b.ranges;

  // positional arguments, in schema order; a variadic takes the following arguments of its kind
  const positional = b.positional;
  let p = 0;
  // positional arguments come first: the parser rejects one after a named argument
  let positionalCount = 0;
  while (positionalCount < args.length && args[positionalCount]!.name === undefined) positionalCount++;
  const anyNamed = positionalCount < args.length;
  for (let k = 0; k < positionalCount; k++) {
    const a = args[k]!;
    const si = positional[p];
    if (si === undefined) {
      diagnostics.push(
        diag('tooManyArguments', a.at.range, `${spec.name} takes ${positional.length} positional argument${positional.length === 1 ? '' : 's'} (${positional.map((x) => specArgs[x]!.name).join(', ')}); name the others`),
      );
      b.ok = false;
      break;
    }
    const s = specArgs[si]!;
    if (s.variadic) {
      const isTensor = s.kind === 'tensor';
      if (isTensor) {
        bindOne(b, si, a);
        while (k + 1 < positionalCount && fitsVariadic(args[k + 1]!.value, true)) bindOne(b, si, args[++k]!);
      } else {
        const items: Value[] = [a.value];
        const first = a.at;
        let last = a.at;
        while (k + 1 < positionalCount && fitsVariadic(args[k + 1]!.value, false)) {
          items.push(args[++k]!.value);
          last = args[k]!.at;
        }
        // input([3, 224, 224]) is input(3, 224, 224)
        const value: Value = items.length === 1 && items[0]!.kind === 'list' ? items[0]! : { kind: 'list', items };
        bindOne(b, si, { value, at: new Joined(first, last) });
      }
    } else {
      bindOne(b, si, a);
    }
    p++;
  }

  if (anyNamed) {
    for (const a of args) {
      if (!a.name) continue;
      const name = a.name.name;
      let si = -1;
      for (let i = 0; i < specArgs.length; i++) {
        if (specArgs[i]!.name === name) {
          si = i;
          break;
        }
      }
      if (si < 0) {
        diagnostics.push(
          diag('unknownArgument', a.name.range, `${spec.name} has no argument '${name}'${didYouMean(name, specArgs.map((x) => x.name))} (arguments: ${specArgs.map((x) => x.name).join(', ')})`),
        );
        b.ok = false;
        continue;
      }
      if (ranges[si] !== undefined) {
        diagnostics.push(diag('duplicateArgument', a.name.range, `${spec.name}: '${name}' is given twice`));
        b.ok = false;
        continue;
      }
      const s = specArgs[si]!;
      if (s.variadic && s.kind !== 'tensor' && a.value.kind !== 'list') {
        bindOne(b, si, { ...a, value: { kind: 'list', items: [a.value] } });
      } else bindOne(b, si, a);
    }
  }

  for (let i = 0; i < specArgs.length; i++) {
    if (ranges[i] !== undefined) continue;
    const s = specArgs[i]!;
    if (s.kind === 'tensor' || (s.required && s.default === undefined)) {
      diagnostics.push(diag('missingArgument', call.callee.range, `${spec.name} needs '${s.name}' (${kindText(s)}): ${s.doc}`));
      b.ok = false;
    }
  }

  const inputs = gatherInputs(b.tensors);
  b.inputs = inputs;
  // let go of the caller's list and callback: the binding outlives this elaboration
  b.diagnostics = NO_DIAGNOSTICS;
  b.unknownWord = ignoreWord;
  return b;
}

/**
 * `n` undefined slots at their exact size: an array grown by pushes reserves room for 16 more,
 * and the few arrays made per op are most of what an elaboration allocates.
 */
function emptySlots<T>(n: number): (T | undefined)[] {
  const out = new Array<T | undefined>(n);
  for (let i = 0; i < n; i++) out[i] = undefined;
  return out;
}

const NO_DIAGNOSTICS: CoreDiagnostic[] = [];
function ignoreWord(): void {}

/** placeholder until the inputs are gathered (never pushed to) */
const NO_INPUTS: TensorId[] = [];

/** by spec (the registry's specs live as long as the process) */
const bindings = new Map<OpSpec, Binding>();
/** the tensor inputs in schema order: the one list as it is when only one argument is a tensor */
function gatherInputs(tensors: readonly (TensorId[] | undefined)[]): TensorId[] {
  let only: TensorId[] | undefined;
  let lists = 0;
  for (const list of tensors) {
    if (list === undefined) continue;
    only = list;
    lists++;
  }
  if (lists <= 1) return only ?? [];
  const out: TensorId[] = [];
  for (const list of tensors) if (list !== undefined) for (const id of list) out.push(id);
  return out;
}

/**
 * The binding state of a spec, cleared for a new call. One per spec for the process: a binding
 * is used up before the next call to bindOpArgs (the builder copies what it keeps), and three
 * arrays and a record made per op were a tenth of what an elaboration allocates.
 */
function bindingOf(spec: OpSpec, diagnostics: CoreDiagnostic[], unknownWord: (arg: EvArg) => void): Binding {
  let b = bindings.get(spec);
  if (b === undefined) {
    const positional: number[] = [];
    spec.args.forEach((s, i) => {
      if (s.kind === 'tensor' || s.positional) positional.push(i);
    });
    const n = spec.args.length;
    b = { spec, positional, diagnostics, unknownWord, tensors: emptySlots(n), values: emptySlots(n), ranges: emptySlots(n), ok: true, inputs: NO_INPUTS };
    bindings.set(spec, b);
  }
  b.diagnostics = diagnostics;
  b.unknownWord = unknownWord;
  b.ok = true;
  b.inputs = NO_INPUTS;
  for (let i = 0; i < b.ranges.length; i++) {
    b.tensors[i] = undefined;
    b.values[i] = undefined;
    b.ranges[i] = undefined;
  }
  return b;
}

function fitsVariadic(v: Value, tensor: boolean): boolean {
  return tensor ? v.kind === 'tensor' : v.kind !== 'tensor';
}

function convert(s: ArgSpec, v: Value): Converted {
  if (v.kind === 'error') return { ok: false, poisoned: true };
  if (v.kind === 'list' && v.items.some((x) => x.kind === 'error')) return { ok: false, poisoned: true };
  switch (s.kind) {
    case 'int':
      if (s.variadic && v.kind === 'list') return intList(s, v.items, v);
      return intValue(s, v);
    case 'number': {
      const n = asNumber(v);
      if (!n.ok) return wrongKind(s, v);
      return bounds(s, n.value) ?? { ok: true, value: n.value };
    }
    case 'bool':
      return v.kind === 'bool' ? { ok: true, value: v.value } : wrongKind(s, v);
    case 'string':
      if (v.kind === 'string') return { ok: true, value: v.value };
      if (v.kind === 'symbol') return { ok: true, value: v.name };
      return wrongKind(s, v);
    case 'ints':
      return v.kind === 'list' ? intList(s, v.items, v) : wrongKind(s, v);
    case 'intOrInts':
      return v.kind === 'list' ? intList(s, v.items, v) : intValue(s, v);
    case 'padding': {
      const w = v.kind === 'symbol' ? v.name : v.kind === 'string' ? v.value : undefined;
      if (w !== undefined) {
        if (PADDING_WORDS.includes(w)) return { ok: true, value: w };
        return { ok: false, code: 'argumentType', message: `must be ${kindText(s)}, got '${w}'${didYouMean(w, PADDING_WORDS)}` };
      }
      return v.kind === 'list' ? intList(s, v.items, v) : intValue(s, v);
    }
    case 'enum': {
      const w = v.kind === 'symbol' ? v.name : v.kind === 'string' ? v.value : undefined;
      const allowed = s.values ?? [];
      if (w !== undefined && allowed.includes(w)) return { ok: true, value: w };
      const shown = w !== undefined ? `'${w}'` : describeValue(v);
      return { ok: false, code: 'argumentType', message: `must be one of ${allowed.join(' | ')}, got ${shown}${w !== undefined ? didYouMean(w, allowed) : ''}` };
    }
    case 'tensor':
      return wrongKind(s, v);
  }
}

function wrongKind(s: ArgSpec, v: Value): Converted {
  return { ok: false, code: 'argumentType', message: `must be ${kindText(s)}, got ${describeValue(v)}` };
}

function intValue(s: ArgSpec, v: Value): Converted {
  if (v.kind !== 'int' && v.kind !== 'real') return wrongKind(s, v);
  const n = asInt(v);
  if (!n.ok) return { ok: false, code: 'number', message: n.message };
  return bounds(s, n.value) ?? { ok: true, value: n.value };
}

function intList(s: ArgSpec, items: readonly Value[], whole: Value): Converted {
  if (items.length === 0) return { ok: false, code: 'argumentType', message: 'must not be an empty list' };
  const out: number[] = [];
  for (const item of items) {
    if (item.kind !== 'int' && item.kind !== 'real') return wrongKind(s, whole);
    const n = asInt(item);
    if (!n.ok) return { ok: false, code: 'number', message: n.message };
    const b = bounds(s, n.value);
    if (b) return b;
    out.push(n.value);
  }
  return { ok: true, value: out };
}

/** what bounds() accepts */
function inBounds(s: ArgSpec, x: number): boolean {
  return (s.min === undefined || x >= s.min) && (s.maxExclusive === undefined || x < s.maxExclusive);
}

function bounds(s: ArgSpec, x: number): Converted | undefined {
  if (s.min !== undefined && x < s.min) return { ok: false, code: 'argumentRange', message: `must be at least ${s.min}, got ${x}` };
  if (s.maxExclusive !== undefined && !(x < s.maxExclusive)) return { ok: false, code: 'argumentRange', message: `must be below ${s.maxExclusive}, got ${x}` };
  return undefined;
}
