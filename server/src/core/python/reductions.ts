// Reductions of traced tensors: sum / mean, max / min (with their indices), amax / amin and
// argmax / argmin, over some axes, the batch axis or all of them (the registry's reduce,
// reduce_max, max_indexed and argmax). A reduction over the batch axis does not grow with N.
import type { ArgValue } from '../ops/types';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { TraceStop, type Trace } from './trace';
import { describe, intOf, unknown, type CallArgs, type PyValue, type TensorValue } from './values';

export interface ReductionContext {
  readonly trace: Trace;
  readonly site: Node;
}

function fail(site: Node, reason: string): never {
  throw new TraceStop(site, reason);
}

/** the registry arguments of a reduction and the torch shape of its result */
interface Reduction {
  readonly args: Record<string, ArgValue>;
  readonly shape: number[];
  readonly batchAxis: number;
}

/**
 * Which axes of x a reduction over `dims` (undefined: all of them) takes, as the registry sees them:
 * per-sample axes, and whether the batch axis goes too
 */
function reduction(site: Node, x: TensorValue, dims: readonly number[] | undefined, keepdim: boolean): Reduction {
  const rank = x.shape.length;
  const full = dims === undefined ? x.shape.map((_, i) => i) : dims.map((d) => (d < 0 ? d + rank : d));
  // a 0-d tensor takes dim 0 or -1, as torch does
  full.forEach((d, i) => {
    if (d < 0 || d >= Math.max(rank, 1)) fail(site, `dim ${dims![i]} is out of range for ${describe(x)}`);
  });
  if (rank === 0) full.length = 0;
  if (new Set(full).size !== full.length) fail(site, `the reduction of ${describe(x)} names an axis twice`);
  const batch = x.batchAxis >= 0 && full.includes(x.batchAxis);
  // a merged batch axis (N T after a view) stays an axis of the per-sample shape, holding T
  const merged = x.batchAxis >= 0 && x.shape[x.batchAxis] !== 1;
  if (batch && merged && keepdim) fail(site, `a reduction with keepdim over the merged batch axis of ${describe(x)} is not modelled yet`);
  const perSample = (d: number): number => (x.batchAxis >= 0 && !merged && d > x.batchAxis ? d - 1 : d);
  // a 0-d tensor is [1] to the registry
  const axes = rank === 0 ? [0] : full.filter((d) => d !== x.batchAxis || merged).map(perSample);
  const shape = keepdim ? x.shape.map((s, i) => (full.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !full.includes(i));
  const batchAxis = x.batchAxis < 0 || batch ? -1 : keepdim ? x.batchAxis : x.batchAxis - full.filter((d) => d < x.batchAxis).length;
  const args: Record<string, ArgValue> = { axes, keepdims: keepdim };
  if (batch) {
    args['batch'] = true;
    if (keepdim) args['batch_axis'] = x.batchAxis;
  }
  return { args, shape, batchAxis };
}

function arg(args: CallArgs, i: number, name: string): PyValue | undefined {
  return args.positional[i] ?? args.keywords.get(name);
}

/** `dim`: an int, a tuple or list of them, or None / absent (every axis) */
function dimsOf(site: Node, v: PyValue | undefined, what: string): number[] | undefined {
  if (v === undefined || v.kind === 'none') return undefined;
  const items = v.kind === 'tuple' || v.kind === 'list' ? v.items : [v];
  return items.map((d) => intOf(d) ?? fail(site, `the ${what} axes ${describe(v)} are not known integers`));
}

function flag(site: Node, v: PyValue | undefined, name: string): boolean {
  if (v === undefined || v.kind === 'none') return false;
  return v.kind === 'bool' ? v.value : fail(site, `\`${name}\` is ${describe(v)}, not a known boolean`);
}

function emit(ctx: ReductionContext, op: string, inputs: readonly TensorValue[], r: Reduction, kind: string): TensorValue {
  const out = ctx.trace.emit(op, inputs, { ...r.args, kind }, ctx.site);
  return { ...out, shape: r.shape, batchAxis: r.batchAxis };
}

/** x.sum(dim=None, keepdim=False) / torch.mean(x, dim, keepdim): `first` is where dim stands */
export function sumOrMean(ctx: ReductionContext, x: TensorValue, kind: 'sum' | 'mean', args: CallArgs, first: number): TensorValue {
  const dtype = args.keywords.get('dtype');
  if (dtype && dtype.kind !== 'none') fail(ctx.site, `a ${kind} with a dtype is not modelled yet`);
  const dims = dimsOf(ctx.site, arg(args, first, 'dim'), kind);
  if (dims !== undefined && dims.length === 0) fail(ctx.site, `a ${kind} over an empty list of axes is not modelled`);
  const r = reduction(ctx.site, x, dims, flag(ctx.site, arg(args, first + 1, 'keepdim'), 'keepdim'));
  return emit(ctx, 'reduce', [x], r, kind);
}

/**
 * x.max() / x.min(): one value; x.max(dim, keepdim=False) / torch.max(x, dim): (values, indices),
 * the indices int64 (an argmax op, which the values' backward keeps); x.max(y) of two tensors is
 * torch.maximum, not modelled
 */
export function maxOrMin(ctx: ReductionContext, x: TensorValue, kind: 'max' | 'min', args: CallArgs, first: number): PyValue {
  const d = arg(args, first, 'dim');
  if (d?.kind === 'tensor' || args.keywords.has('other')) fail(ctx.site, `${kind} of two tensors (torch.${kind === 'max' ? 'maximum' : 'minimum'}) is not modelled yet`);
  if (d === undefined || d.kind === 'none') return emit(ctx, 'reduce_max', [x], reduction(ctx.site, x, undefined, false), kind);
  const dim = intOf(d) ?? fail(ctx.site, `the ${kind} axis ${describe(d)} is not a known integer`);
  const r = reduction(ctx.site, x, [dim], flag(ctx.site, arg(args, first + 1, 'keepdim'), 'keepdim'));
  const indices = emit(ctx, 'argmax', [x], r, `arg${kind}`);
  const values = emit(ctx, 'max_indexed', [x, indices], r, kind);
  return { kind: 'tuple', items: [values, indices], fields: ['values', 'indices'] };
}

/** x.amax(dim=(), keepdim=False) / torch.amin(x, dim): every axis when dim is () or absent */
export function amaxOrAmin(ctx: ReductionContext, x: TensorValue, kind: 'max' | 'min', args: CallArgs, first: number): TensorValue {
  const dims = dimsOf(ctx.site, arg(args, first, 'dim'), `a${kind}`);
  const r = reduction(ctx.site, x, dims === undefined || dims.length === 0 ? undefined : dims, flag(ctx.site, arg(args, first + 1, 'keepdim'), 'keepdim'));
  return emit(ctx, 'reduce_max', [x], r, kind);
}

/** x.argmax(dim=None, keepdim=False): int64 indices; without dim, one index into the flattened tensor (keepdim then keeps every axis as 1) */
export function argmaxOrArgmin(ctx: ReductionContext, x: TensorValue, kind: 'argmax' | 'argmin', args: CallArgs, first: number): TensorValue {
  const d = arg(args, first, 'dim');
  const keepdim = flag(ctx.site, arg(args, first + 1, 'keepdim'), 'keepdim');
  const dims = d === undefined || d.kind === 'none' ? undefined : [intOf(d) ?? fail(ctx.site, `the ${kind} axis ${describe(d)} is not a known integer`)];
  return emit(ctx, 'argmax', [x], reduction(ctx.site, x, dims, keepdim), kind);
}

/** x.norm(p='fro', dim=None, keepdim=False) / torch.norm(x, p, dim, keepdim): the 2-norm; other orders are not modelled */
export function norm(ctx: ReductionContext, x: TensorValue, args: CallArgs, first: number): TensorValue {
  const p = arg(args, first, 'p');
  if (p !== undefined && p.kind !== 'none' && !(p.kind === 'str' && p.value === 'fro')) fail(ctx.site, `a norm of order ${describe(p)} is not modelled yet (the default 'fro' is)`);
  const dtype = args.keywords.get('dtype');
  if (dtype && dtype.kind !== 'none') fail(ctx.site, 'a norm with a dtype is not modelled yet');
  const dims = dimsOf(ctx.site, arg(args, first + 1, 'dim'), 'norm');
  const r = reduction(ctx.site, x, dims === undefined || dims.length === 0 ? undefined : dims, flag(ctx.site, arg(args, first + 2, 'keepdim'), 'keepdim'));
  const out = ctx.trace.emit('vector_norm', [x], r.args, ctx.site);
  return { ...out, shape: r.shape, batchAxis: r.batchAxis };
}

/** the reductions a tensor method or a torch.* function names (`first`: where the arguments after the tensor start) */
export function reductionCall(ctx: ReductionContext, x: TensorValue, name: string, args: CallArgs, first: number): PyValue | undefined {
  switch (name) {
    case 'sum':
    case 'mean':
      return sumOrMean(ctx, x, name, args, first);
    case 'max':
    case 'min':
      return maxOrMin(ctx, x, name, args, first);
    case 'amax':
    case 'amin':
      return amaxOrAmin(ctx, x, name === 'amax' ? 'max' : 'min', args, first);
    case 'argmax':
    case 'argmin':
      return argmaxOrArgmin(ctx, x, name, args, first);
    case 'norm':
      return norm(ctx, x, args, first);
    default:
      return undefined;
  }
}

/**
 * A reduction of a model's output after its forward. `out.sum()` / `out.mean()` /
 * `torch.sum(out)` of every axis is the step's loss, an op of the graph as a loss function's is;
 * a max / min there is a pair of values the interpreter can unpack (`_, pred = out.max(1)`) but no
 * op; anything else is left to the caller (undefined).
 */
export function reductionAfterForward(trace: Trace, x: TensorValue, name: string, args: CallArgs, first: number, site: Node, statement: Node | undefined): PyValue | undefined {
  const whole = (name === 'sum' || name === 'mean') && (arg(args, first, 'dim') ?? { kind: 'none' }).kind === 'none';
  if (whole && x.trace === trace && x.id !== undefined && !args.keywords.has('dtype')) {
    const saved = trace.statement;
    if (statement) trace.statement = statement;
    try {
      const loss = sumOrMean({ trace, site }, x, name, args, first);
      trace.losses.push(loss);
      return loss;
    } catch (e) {
      // a loss memlens cannot follow leaves the model's graph as it is
      if (e instanceof TraceStop) return unknown(e.node, e.reason);
      throw e;
    } finally {
      trace.statement = saved;
    }
  }
  const d = arg(args, first, 'dim');
  if ((name === 'max' || name === 'min') && d !== undefined && d.kind !== 'none' && d.kind !== 'tensor') {
    const value = (dtype: TensorValue['dtype']): TensorValue => ({ kind: 'tensor', trace, shape: [], batchAxis: -1, dtype, site, base: x });
    return { kind: 'tuple', items: [value(x.dtype), value('int64')], fields: ['values', 'indices'] };
  }
  return undefined;
}
