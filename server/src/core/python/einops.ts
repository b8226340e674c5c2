// einops' rearrange and repeat (and the Rearrange layer) on traced tensors, read from their pattern
// strings: 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' is a reshape that splits the groups of the
// left side, a permutation, and a reshape that merges the groups of the right side. Written from
// the einops documentation; the batch axis must stay one axis of its own or lead a merged group.
import { expandOverBatch, reshapeTo } from './layers';
import { describe, intOf, type LayerCall, type LayerSpec, type PyValue, type TensorValue } from './values';

/** one element of a pattern side: an axis name, a parenthesised group, or the ellipsis */
type Element = { readonly kind: 'axis'; readonly name: string } | { readonly kind: 'group'; readonly names: readonly string[] } | { readonly kind: 'ellipsis' };

/** an axis after the left side is split: its size, per N on the batch axis */
interface Axis {
  readonly name: string;
  readonly size: number;
  readonly batch: boolean;
}

function parseSide(text: string, fail: (r: string) => never): Element[] {
  const out: Element[] = [];
  const tokens = text.match(/\(|\)|\.\.\.|…|[A-Za-z_][A-Za-z0-9_]*|\d+|\S/g) ?? [];
  let group: string[] | undefined;
  for (const t of tokens) {
    if (t === '(') {
      if (group) fail('nested parentheses in an einops pattern');
      group = [];
    } else if (t === ')') {
      if (!group) fail('an unmatched ) in an einops pattern');
      out.push({ kind: 'group', names: group });
      group = undefined;
    } else if (t === '...' || t === '…') {
      if (group) fail('an ellipsis inside a group is not modelled yet');
      out.push({ kind: 'ellipsis' });
    } else if (/^\d+$/.test(t)) {
      // '1' is an axis of size 1, as an empty group is
      if (t !== '1') fail(`the number ${t} in an einops pattern is not modelled yet (only 1)`);
      if (group) continue;
      out.push({ kind: 'group', names: [] });
    } else if (/^[A-Za-z_]/.test(t)) {
      if (group) group.push(t);
      else out.push({ kind: 'axis', name: t });
    } else fail(`'${t}' in an einops pattern`);
  }
  if (group) fail('an unclosed ( in an einops pattern');
  return out;
}

/** the named sizes given as keywords (p1=16): known integers, or the symbolic batch */
function sizesOf(keywords: ReadonlyMap<string, PyValue>, fail: (r: string) => never): Map<string, { size: number; batch: boolean }> {
  const out = new Map<string, { size: number; batch: boolean }>();
  for (const [name, v] of keywords) {
    if (v.kind === 'symint') out.set(name, { size: v.coef, batch: true });
    else {
      const n = intOf(v);
      if (n === undefined || n < 1) fail(`the einops size ${name}=${describe(v)} is not a known positive integer`);
      out.set(name, { size: n, batch: false });
    }
  }
  return out;
}

/** the left side bound to x's axes: every name with its size, in order */
function splitAxes(x: TensorValue, left: readonly Element[], sizes: ReadonlyMap<string, { size: number; batch: boolean }>, fail: (r: string) => never): Axis[] {
  const ellipses = left.filter((e) => e.kind === 'ellipsis').length;
  if (ellipses > 1) fail('two ellipses on one side of an einops pattern');
  const covered = x.shape.length - (left.length - ellipses);
  if (covered < 0 || (ellipses === 0 && covered !== 0)) fail(`the einops pattern names ${left.length} axes; ${describe(x)} has ${x.shape.length}`);
  const axes: Axis[] = [];
  let dim = 0;
  for (const e of left) {
    if (e.kind === 'ellipsis') {
      for (let k = 0; k < covered; k++, dim++) axes.push({ name: `…${k}`, size: x.shape[dim]!, batch: dim === x.batchAxis });
      continue;
    }
    const size = x.shape[dim]!;
    const batch = dim === x.batchAxis;
    dim++;
    const names = e.kind === 'axis' ? [e.name] : e.names;
    if (batch) {
      // the batch N is one axis of its own: (b h) on the left would split it
      if (names.length !== 1) fail(`the einops pattern splits the batch axis of ${describe(x)}`);
      axes.push({ name: names[0]!, size, batch: true });
      continue;
    }
    const unknown = names.filter((n) => !sizes.has(n));
    const known = names.filter((n) => sizes.has(n)).reduce((p, n) => p * sizes.get(n)!.size, 1);
    if (unknown.length > 1) fail(`the einops group (${names.join(' ')}) has ${unknown.length} sizes not given`);
    if (unknown.length === 0 ? known !== size : size % known !== 0) fail(`the einops group (${names.join(' ')}) does not divide axis ${dim - 1} of size ${size}`);
    for (const n of names) axes.push({ name: n, size: sizes.has(n) ? sizes.get(n)!.size : size / known, batch: false });
  }
  const names = axes.map((a) => a.name);
  if (new Set(names).size !== names.length) fail('an axis named twice on the left of an einops pattern');
  return axes;
}

/** x reshaped to `shape` with the batch at `batchAxis`, unless it already has that shape */
function reshaped(call: LayerCall, x: TensorValue, shape: readonly number[], batchAxis: number): TensorValue {
  if (batchAxis === x.batchAxis && shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
  return reshapeTo(call, x, shape, batchAxis);
}

/** rearrange(x, pattern, **sizes); with `allowNew`, repeat's new axes of size 1 or the batch */
function apply(call: LayerCall, x: TensorValue, pattern: string, keywords: ReadonlyMap<string, PyValue>, allowNew: boolean): TensorValue {
  const fail = call.fail;
  if (allowNew && x.batchAxis < 0) return repeatOverBatch(x, pattern, keywords, fail, (t) => expandOverBatch(call, t));
  const sides = pattern.split('->');
  if (sides.length !== 2) fail(`the einops pattern '${pattern}' has no single ->`);
  if (x.batchAxis < 0) fail(`einops on ${describe(x)}, which does not grow with the batch, is not modelled yet`);
  const sizes = sizesOf(keywords, fail);
  const left = parseSide(sides[0]!, fail);
  const right = parseSide(sides[1]!, fail);
  const axes = splitAxes(x, left, sizes, fail);
  const byName = new Map(axes.map((a) => [a.name, a]));
  let ellipsis = 0;
  const leftEllipsis = axes.filter((a) => a.name.startsWith('…')).map((a) => a.name);
  // the right side's groups, as names of split axes (new ones for repeat)
  const groups: string[][] = right.map((e) => (e.kind === 'ellipsis' ? ((ellipsis++, leftEllipsis)) : e.kind === 'axis' ? [e.name] : [...e.names]));
  if (ellipsis > 1) fail('two ellipses on one side of an einops pattern');
  const used = groups.flat();
  for (const name of used) {
    if (byName.has(name)) continue;
    if (!allowNew) fail(`'${name}' is on the right of the einops pattern only`);
    // repeat along a new axis: the batch (a view, as expand is) when x does not grow with it yet
    const s = sizes.get(name);
    if (!s?.batch || s.size !== 1 || x.batchAxis >= 0) fail(`repeat along the new axis '${name}' (${s ? (s.batch ? `${s.size} N` : s.size) : 'no size'}) is not modelled yet: only a new batch axis`);
  }
  const missing = axes.find((a) => !used.includes(a.name) && a.size !== 1);
  if (missing) fail(`the einops pattern drops axis '${missing.name}' of size ${missing.size} (a reduction)`);
  if (used.some((n) => !byName.has(n))) {
    // a batch-independent tensor repeated over the batch: torch's expand, no new memory
    if (groups.some((g) => g.length > 1 && g.some((n) => !byName.has(n)))) fail('repeat merging the new batch axis into a group is not modelled yet');
    return x;
  }
  // 1. split the left groups
  const splitBatch = axes.findIndex((a) => a.batch);
  let t = reshaped(call, x, axes.map((a) => a.size), splitBatch);
  // 2. permute the named axes into the right side's order (size-1 axes not on the right are dropped later)
  const order = [...used, ...axes.map((a) => a.name).filter((n) => !used.includes(n))];
  const perm = order.map((n) => axes.findIndex((a) => a.name === n));
  if (perm.some((p, i) => p !== i)) {
    const batchAxis = perm.indexOf(t.batchAxis);
    const perSample = perm.filter((d) => d !== t.batchAxis).map((d) => (d > t.batchAxis ? d - 1 : d));
    const out = call.emit('transpose', [t], { perm: perSample });
    t = { ...out, shape: perm.map((d) => t.shape[d]!), batchAxis };
  }
  // 3. merge the right groups; a group led by the batch axis keeps it (N h), any other place fails
  let batchAxis = -1;
  const shape = groups.map((g, i) => {
    const members = g.map((n) => byName.get(n)!);
    const b = members.findIndex((m) => m.batch);
    if (b > 0) fail(`the einops group (${g.join(' ')}) merges the batch axis behind another axis`);
    if (b === 0) batchAxis = i;
    return members.reduce((p, m) => p * m.size, 1);
  });
  if (batchAxis < 0) fail('the einops pattern drops the batch axis');
  return reshaped(call, t, shape, batchAxis);
}

/**
 * repeat of a tensor that does not grow with the batch (a class token) along a new batch axis, every
 * other axis kept in order: torch's expand, a view, no new memory
 */
function repeatOverBatch(x: TensorValue, pattern: string, keywords: ReadonlyMap<string, PyValue>, fail: (r: string) => never, expandView: (x: TensorValue) => TensorValue): TensorValue {
  const sides = pattern.split('->');
  if (sides.length !== 2) fail(`the einops pattern '${pattern}' has no single ->`);
  const sizes = sizesOf(keywords, fail);
  const left = parseSide(sides[0]!, fail);
  const right = parseSide(sides[1]!, fail);
  const fresh = right.filter((e) => e.kind === 'axis' && !left.some((l) => l.kind === 'axis' && l.name === e.name));
  const batch = fresh.length === 1 && fresh[0]!.kind === 'axis' ? sizes.get(fresh[0]!.name) : undefined;
  const same = (a: readonly Element[], b: readonly Element[]): boolean => a.length === b.length && a.every((e, i) => JSON.stringify(e) === JSON.stringify(b[i]));
  const unit = (e: Element): boolean => e.kind === 'group' && e.names.length === 0;
  // '() n d -> b n d' and '... d -> b ... d': the new batch axis takes a size-1 axis's place or comes first
  const rest = right.filter((e) => e !== fresh[0]);
  const shapeKept = same(rest, left) || same(rest, left.filter((e, i) => !(i === 0 && unit(e))));
  if (!batch?.batch || batch.size !== 1 || !shapeKept) fail(`repeat '${pattern}' is modelled only along a new batch axis, got ${describe(x)}`);
  // '() n d -> b n d' on a [1, n, d] token: a view that grows with N (torch's expand), which layers may read
  const leadingUnit = rest.length === left.length - 1 && right[0] === fresh[0] && x.shape[0] === 1;
  return leadingUnit ? expandView(x) : x;
}

export function rearrange(call: LayerCall, x: TensorValue, pattern: string, keywords: ReadonlyMap<string, PyValue>): TensorValue {
  return apply(call, x, pattern, keywords, false);
}

export function repeat(call: LayerCall, x: TensorValue, pattern: string, keywords: ReadonlyMap<string, PyValue>): TensorValue {
  return apply(call, x, pattern, keywords, true);
}

/** einops.layers.torch.Rearrange(pattern, **sizes): rearrange as a module, no weights */
export const REARRANGE_LAYER: LayerSpec = {
  name: 'Rearrange',
  signature: [['pattern'], ['**sizes']],
  forward(call, inputs) {
    const x = inputs[0];
    if (!x || x.kind !== 'tensor') return call.fail(`Rearrange expects a tensor, got ${x ? describe(x) : 'nothing'}`);
    const pattern = call.config.get('pattern');
    if (!pattern || pattern.kind !== 'str') return call.fail(`the einops pattern is ${pattern ? describe(pattern) : 'missing'}, not a known string`);
    const sizes = new Map([...call.config].filter(([k]) => k !== 'pattern'));
    return rearrange(call, x, pattern.value, sizes);
  },
};
