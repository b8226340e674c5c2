// Tensor methods, torch.* and torch.nn.functional.* on traced tensors, as registry ops.
// Views (view, reshape, flatten, squeeze) are the registry's aliasing reshape; ops memlens has
// no registry entry for stop the trace with the reason, never a guess.
import type { ArgValue } from '../ops/types';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { MORE_ACTIVATION_FUNCTIONS, MORE_IN_PLACE_FORMS, INPLACE_PARAM, softmaxAxis, type ActivationFunction } from './activationLayers';
import { adaptiveCall, expandOverBatch, flattenCall, padPerAxis, perSampleAxis, poolCall, reshapeTo, upsampleAttrs, upsampleSize, type LayerCall } from './layers';
import { TraceStop, type Trace } from './trace';
import { planEinsum, type Dim } from './einsum';
import { reductionCall } from './reductions';
import { describe, int, intOf, NONE, numberOf, type CallArgs, type PyValue, type TensorValue } from './values';

export interface TensorContext {
  readonly trace: Trace;
  readonly site: Node;
}

function fail(site: Node, reason: string): never {
  throw new TraceStop(site, reason);
}

/** a layer's view of a tensor call: emit ops on the trace, fail at the call site */
export function layerCallOf(ctx: TensorContext): LayerCall {
  return {
    self: undefined as never,
    site: ctx.site,
    config: new Map(),
    emit: (op, inputs, args, inPlace) => ctx.trace.emit(op, inputs, args, ctx.site, undefined, inPlace ?? false),
    fail: (reason) => fail(ctx.site, reason),
    batchOn: (t, axis) => ctx.trace.batchOn(t, axis, ctx.site),
  };
}

function arg(args: CallArgs, i: number, name: string): PyValue | undefined {
  return args.positional[i] ?? args.keywords.get(name);
}

function intArg(args: CallArgs, i: number, name: string, dflt: number | undefined, site: Node): number {
  const v = arg(args, i, name);
  if (v === undefined || v.kind === 'none') {
    if (dflt === undefined) fail(site, `\`${name}\` is missing`);
    return dflt;
  }
  const n = intOf(v);
  if (n === undefined) fail(site, `\`${name}\` is ${describe(v)}, not a known integer`);
  return n;
}

/** the size of one axis: the batch axis answers a multiple of N */
function size(x: TensorValue, dim: number, site: Node): PyValue {
  const d = dim < 0 ? dim + x.shape.length : dim;
  if (d < 0 || d >= x.shape.length) fail(site, `dim ${dim} is out of range for ${describe(x)}`);
  return d === x.batchAxis ? { kind: 'symint', coef: x.shape[d]! } : int(x.shape[d]!);
}

export function shapeTuple(x: TensorValue): PyValue {
  return { kind: 'tuple', items: x.shape.map((d, i) => (i === x.batchAxis ? { kind: 'symint', coef: d } : int(d))) };
}

/** view / reshape targets: ints, N multiples and one -1 */
function reshape(ctx: TensorContext, x: TensorValue, dims: readonly PyValue[]): TensorValue {
  const flat = dims.length === 1 && (dims[0]!.kind === 'tuple' || dims[0]!.kind === 'list') ? (dims[0] as { items: readonly PyValue[] }).items : dims;
  const total = x.shape.reduce((a, b) => a * b, 1); // per N
  let batchAxis = -1;
  let known = 1;
  let hole = -1;
  const shape: number[] = [];
  flat.forEach((v, i) => {
    if (v.kind === 'symint') {
      if (batchAxis >= 0) fail(ctx.site, 'a reshape with the batch N in two axes');
      batchAxis = i;
      shape.push(v.coef);
      known *= v.coef;
      return;
    }
    const n = intOf(v);
    if (n === undefined) fail(ctx.site, `the reshape size ${describe(v)} is not known statically`);
    if (n === -1) {
      if (hole >= 0) fail(ctx.site, 'a reshape with two -1 sizes');
      hole = i;
      shape.push(-1);
      return;
    }
    shape.push(n);
    known *= n;
  });
  if (hole >= 0) {
    if (batchAxis < 0) {
      // the -1 takes the batch: view(-1, C) on [N, T, C] gives [N T, C]
      if (total % known !== 0) fail(ctx.site, `cannot view ${describe(x)} as [${flat.map(describe).join(', ')}]`);
      shape[hole] = total / known;
      batchAxis = hole;
    } else {
      if (total % known !== 0) fail(ctx.site, `cannot view ${describe(x)} as [${flat.map(describe).join(', ')}]`);
      shape[hole] = total / known;
    }
  } else if (known !== total || batchAxis < 0) fail(ctx.site, `cannot view ${describe(x)} as [${flat.map(describe).join(', ')}]: the batch N must stay in one axis`);
  return reshapeTo(layerCallOf(ctx), x, shape, batchAxis);
}

function transpose(ctx: TensorContext, x: TensorValue, perm: readonly number[]): TensorValue {
  const rank = x.shape.length;
  const p = perm.map((d) => (d < 0 ? d + rank : d));
  if (p.length !== rank || new Set(p).size !== rank || p.some((d) => d < 0 || d >= rank)) fail(ctx.site, `[${perm.join(', ')}] is not a permutation of ${rank} axes`);
  const batchAxis = p.indexOf(x.batchAxis);
  const perSample = p.filter((d) => d !== x.batchAxis).map((d) => (d > x.batchAxis ? d - 1 : d));
  const out = ctx.trace.emit('transpose', [x], { perm: perSample }, ctx.site);
  return { ...out, shape: p.map((d) => x.shape[d]!), batchAxis };
}

/**
 * torch's activation functions: the registry op, and after the input the arguments in torch's
 * order (name, registry argument, default); `inplace` and `training` are flags
 */
const ACTIVATION_FUNCTIONS: Readonly<Record<string, ActivationFunction>> = {
  relu: { op: 'relu', params: [INPLACE_PARAM] },
  relu6: { op: 'relu6', params: [INPLACE_PARAM] },
  sigmoid: { op: 'sigmoid', params: [] },
  tanh: { op: 'tanh', params: [] },
  gelu: { op: 'gelu', params: [] },
  silu: { op: 'silu', params: [INPLACE_PARAM] },
  elu: { op: 'elu', params: [['alpha', 'alpha', 1], INPLACE_PARAM] },
  leaky_relu: { op: 'leaky_relu', params: [['negative_slope', 'alpha', 0.01], INPLACE_PARAM] },
  hardswish: { op: 'hardswish', params: [INPLACE_PARAM] },
  hardsigmoid: { op: 'hardsigmoid', params: [INPLACE_PARAM] },
  ...MORE_ACTIVATION_FUNCTIONS,
};

/** the in-place forms torch has (F.relu_, torch.selu_, x.tanh_, ...) */
const IN_PLACE_FORMS = new Set(['relu_', 'elu_', 'leaky_relu_', 'sigmoid_', 'tanh_', ...MORE_IN_PLACE_FORMS]);

export function isActivationFunction(name: string): boolean {
  return ACTIVATION_FUNCTIONS[name] !== undefined || IN_PLACE_FORMS.has(name);
}

/** F.relu(x, inplace=True), x.relu_(), torch.sigmoid(x), F.hardtanh(x, 0, 6) and their kin; `first`: the first argument after the input */
function activation(ctx: TensorContext, name: string, x: TensorValue, args: CallArgs, first: number): TensorValue {
  const trailing = name.endsWith('_');
  const spec = ACTIVATION_FUNCTIONS[trailing ? name.slice(0, -1) : name]!;
  const a: Record<string, ArgValue> = {};
  let inPlace = trailing;
  spec.params.forEach(([py, reg, dflt], i) => {
    const v = arg(args, first + i, py);
    if (typeof dflt === 'boolean') {
      const on = v === undefined || v.kind === 'none' ? dflt : v.kind === 'bool' ? v.value : fail(ctx.site, `\`${py}\` is ${describe(v)}, not a known boolean`);
      if (py === 'inplace') inPlace ||= on;
      else a[reg] = on;
      return;
    }
    const n = v === undefined ? dflt ?? undefined : numberOf(v);
    if (n === undefined) fail(ctx.site, v ? `\`${py}\` is ${describe(v)}, not a known number` : `\`${py}\` is missing`);
    a[reg] = n;
  });
  return ctx.trace.emit(spec.op, [x], a, ctx.site, undefined, inPlace);
}

/** torch.exp / log / pow(x, p) and their methods: one elementwise op each (pow by a known number) */
function expLogPow(ctx: TensorContext, name: string, x: TensorValue, exponent: PyValue | undefined): TensorValue {
  if (name !== 'pow') return ctx.trace.emit(name, [x], {}, ctx.site);
  const p = numberOf(exponent ?? NONE);
  return p === undefined ? fail(ctx.site, 'pow with an exponent that is not a known number') : ctx.trace.emit('pow', [x], { exponent: p }, ctx.site);
}

/** a method of a traced tensor; undefined when memlens does not know it */
export function tensorMethod(ctx: TensorContext, x: TensorValue, name: string, args: CallArgs): PyValue | undefined {
  const site = ctx.site;
  // sum, mean, max, min, amax, amin, argmax, argmin, norm (reductions.ts)
  const reduced = reductionCall(ctx, x, name, args, 0);
  if (reduced) return reduced;
  switch (name) {
    case 'size':
      return args.positional.length > 0 ? size(x, intArg(args, 0, 'dim', 0, site), site) : shapeTuple(x);
    case 'dim':
    case 'ndimension':
      return int(x.shape.length);
    case 'view':
    case 'reshape':
      return reshape(ctx, x, args.positional);
    case 'flatten':
      return flattenCall(layerCallOf(ctx), x, intArg(args, 0, 'start_dim', 0, site), intArg(args, 1, 'end_dim', -1, site));
    case 'permute':
      return transpose(ctx, x, (args.positional.length === 1 ? (args.positional[0] as { items?: PyValue[] }).items ?? [] : args.positional).map((v) => intOf(v) ?? fail(site, 'a permutation that is not known')));
    case 'transpose': {
      const a = intArg(args, 0, 'dim0', undefined, site);
      const b = intArg(args, 1, 'dim1', undefined, site);
      const perm = x.shape.map((_, i) => i);
      const r = x.shape.length;
      const [i, j] = [a < 0 ? a + r : a, b < 0 ? b + r : b];
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      return transpose(ctx, x, perm);
    }
    case 'contiguous':
    case 'clone':
    case 'detach':
    case 'float':
    case 'cpu':
    case 'cuda':
    case 'to':
      // views memlens already materialises (transpose), or device moves on one device
      if (name === 'float' && x.dtype !== 'fp32') return undefined;
      // a cast to another dtype is a new tensor of other bytes: not modelled
      if (name === 'to' && [...args.positional, ...args.keywords.values()].some((a) => a.kind === 'dtype' && a.dtype !== x.dtype)) return undefined;
      if (name === 'clone') return undefined;
      return x;
    case 'squeeze':
    case 'unsqueeze': {
      const d = intArg(args, 0, 'dim', name === 'squeeze' ? undefined : undefined, site);
      const rank = x.shape.length + (name === 'unsqueeze' ? 1 : 0);
      const k = d < 0 ? d + rank : d;
      const shape = [...x.shape];
      let batchAxis = x.batchAxis;
      if (name === 'unsqueeze') {
        shape.splice(k, 0, 1);
        if (k <= batchAxis) batchAxis++;
      } else {
        if (shape[k] !== 1 || k === batchAxis) return x;
        shape.splice(k, 1);
        if (k < batchAxis) batchAxis--;
      }
      return reshapeTo(layerCallOf(ctx), x, shape, batchAxis);
    }
    case 'relu':
    case 'sigmoid':
    case 'tanh':
    case 'hardshrink':
    case 'relu_':
    case 'sigmoid_':
    case 'tanh_':
      return activation(ctx, name, x, args, 0);
    case 'exp':
    case 'log':
    case 'pow':
      return expLogPow(ctx, name, x, arg(args, 0, 'exponent'));
    case 'softmax':
    case 'log_softmax':
      return alongAxis(ctx, name, x, args, 0);
    case 'add':
    case 'add_':
    case 'sub':
    case 'sub_':
    case 'mul':
    case 'mul_':
    case 'div':
    case 'div_':
    case 'matmul': {
      const y = args.positional[0];
      if (!y) return undefined;
      const op = { add: '+', sub: '-', mul: '*', div: '/', matmul: '@' }[name.replace(/_$/, '') as 'add']!;
      return binaryTensor(ctx, op, x, y, name.endsWith('_'));
    }
    case 'masked_fill':
    case 'masked_fill_':
      return maskedFill(ctx, x, args);
    case 'split':
      return split(ctx, x, args, false);
    case 'chunk':
      return split(ctx, x, args, true);
    case 'expand':
      return expand(ctx, x, args);
    case 'expand_as': {
      // a view that broadcasts x to y's shape: the product that reads it broadcasts the same way
      const y = args.positional[0];
      if (y?.kind !== 'tensor') return fail(site, `expand_as of ${y ? describe(y) : 'nothing'}`);
      if (y.shape.length !== x.shape.length || x.shape.some((d, i) => d !== 1 && d !== y.shape[i])) return fail(site, `${describe(x)} does not expand to ${describe(y)}`);
      return x;
    }
    case 'type_as':
      return x;
    case 'bernoulli_':
    case 'fill_':
    case 'zero_':
    case 'normal_':
    case 'uniform_':
      // written in place: no new memory
      return x;
    default:
      return undefined;
  }
}

/** softmax, log_softmax, softmin (dim None: torch's implicit dim) and glu (dim -1 by default) along one axis */
function alongAxis(ctx: TensorContext, name: string, x: TensorValue, args: CallArgs, dimIndex: number): TensorValue {
  const dim = arg(args, dimIndex, 'dim') ?? (name === 'glu' ? int(-1) : undefined);
  const dtype = args.keywords.get('dtype');
  if (dtype && dtype.kind !== 'none') fail(ctx.site, `${name} with a dtype is not modelled yet`);
  const stop = (r: string): never => fail(ctx.site, r);
  return ctx.trace.emit(name, [x], { axis: softmaxAxis(x, dim, stop, stop) }, ctx.site);
}

/**
 * A batch-independent operand next to one that grows with the batch, as the registry sees it: torch
 * aligns shapes from the right, so the axis that lines up with N must be 1, and it goes.
 */
export function alignTo(ctx: TensorContext, t: TensorValue, like: TensorValue): TensorValue {
  if (t.batchAxis >= 0 || like.batchAxis < 0) return t;
  const offset = like.shape.length - t.shape.length;
  if (offset < 0) fail(ctx.site, `${describe(t)} has more axes than ${describe(like)}`);
  const axis = like.batchAxis - offset;
  if (axis < 0) return t;
  if (t.shape[axis] !== 1) fail(ctx.site, `${describe(t)} broadcasts against the batch axis of ${describe(like)}`);
  const shape = t.shape.filter((_, i) => i !== axis);
  const out = ctx.trace.emit('reshape', [t], { shape: shape.length > 0 ? shape : [1] }, ctx.site);
  return { ...out, shape: shape.length > 0 ? shape : [1], batchAxis: -1 };
}

/** both operands of a tensor op, the batch-independent one aligned to the other */
function aligned(ctx: TensorContext, a: TensorValue, b: TensorValue): [TensorValue, TensorValue] {
  for (const t of [a, b]) if (t.trace !== ctx.trace || t.id === undefined) fail(ctx.site, `${describe(t)} was made outside this model`);
  if (a.batchAxis >= 0 && b.batchAxis >= 0 && (a.batchAxis !== b.batchAxis || a.shape.length !== b.shape.length)) {
    fail(ctx.site, `${describe(a)} and ${describe(b)}: elementwise ops between batched tensors of different layouts are not modelled`);
  }
  return [alignTo(ctx, a, b), alignTo(ctx, b, a)];
}

/** x + y, x - y, x * y, x / y, x @ y (and +=, *=) between tensors, or with a Python number */
export function binaryTensor(ctx: TensorContext, op: string, a: PyValue, b: PyValue, inPlace: boolean): PyValue | undefined {
  if (a.kind !== 'tensor' || b.kind !== 'tensor') {
    const t = a.kind === 'tensor' ? a : b.kind === 'tensor' ? b : undefined;
    const n = numberOf(a.kind === 'tensor' ? b : a);
    if (!t || n === undefined) return undefined;
    const tensorFirst = a.kind === 'tensor';
    switch (op) {
      case '*':
        return ctx.trace.emit('scale', [t], { factor: n }, ctx.site, undefined, inPlace);
      case '/':
        if (!tensorFirst) fail(ctx.site, `\`${ctx.site.text}\`: a number divided by a tensor is not modelled yet`);
        if (n === 0) fail(ctx.site, 'division by zero');
        return ctx.trace.emit('scale', [t], { factor: 1 / n }, ctx.site, undefined, inPlace);
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return ctx.trace.emit('compare', [t], { value: n }, ctx.site);
      case '**':
        if (!tensorFirst) fail(ctx.site, `\`${ctx.site.text}\`: a number to the power of a tensor is not modelled yet`);
        return ctx.trace.emit('pow', [t], { exponent: n }, ctx.site);
      case '+':
      case '-':
        // x - c and c - x make one new tensor each, like x + c
        return ctx.trace.emit('shift', [t], { value: op === '-' && tensorFirst ? -n : n }, ctx.site, undefined, inPlace);
      default:
        fail(ctx.site, `\`${ctx.site.text}\`: the operator ${op} between a tensor and a number is not modelled yet`);
    }
  }
  const [x, y] = aligned(ctx, a, b);
  switch (op) {
    case '+':
      return ctx.trace.emit(ctx.trace.builder.shapeOf(x.id!).join() === ctx.trace.builder.shapeOf(y.id!).join() ? 'add' : 'add_broadcast', [x, y], {}, ctx.site, undefined, inPlace);
    case '-':
      return ctx.trace.emit('sub', [x, y], {}, ctx.site, undefined, inPlace);
    case '*':
      return ctx.trace.emit('mul', [x, y], {}, ctx.site, undefined, inPlace);
    case '/':
      return ctx.trace.emit('div', [x, y], {}, ctx.site, undefined, inPlace);
    case '@':
      for (const t of [a, b]) if (t.batchAxis >= t.shape.length - 2) fail(ctx.site, `${describe(t)}: a matrix product over the batch axis couples the samples`);
      return ctx.trace.emit('matmul', [x, y], {}, ctx.site);
    default:
      fail(ctx.site, `the tensor operator ${op} is not modelled yet`);
  }
}

/** x.masked_fill(mask, value): the mask aligned to x */
function maskedFill(ctx: TensorContext, x: TensorValue, args: CallArgs): TensorValue {
  const mask = args.positional[0] ?? args.keywords.get('mask');
  if (!mask || mask.kind !== 'tensor') fail(ctx.site, 'masked_fill with a mask that is not a known tensor');
  // a mask of fewer axes than x, made outside the model (a causal [T, T]), broadcasts over the batch: shared by it
  const shared = mask.shape.length < x.shape.length && x.batchAxis >= 0 && x.batchAxis < x.shape.length - mask.shape.length ? ctx.trace.batchOn(mask, -1, ctx.site) : mask;
  const [t, m] = aligned(ctx, x, shared);
  return ctx.trace.emit('masked_fill', [t, m], {}, ctx.site);
}

/** parts one split or chunk may make: each is a slice op of the trace */
const MAX_SPLIT_PARTS = 10_000;

/** x.split(size or sizes, dim) and x.chunk(n, dim): views, one slice op each */
function split(ctx: TensorContext, x: TensorValue, args: CallArgs, chunk: boolean): PyValue {
  const dim = intArg(args, 1, 'dim', 0, ctx.site);
  const axis = perSampleAxis(x, dim, (r) => fail(ctx.site, r));
  const d = dim < 0 ? dim + x.shape.length : dim;
  const size = x.shape[d]!;
  const first = args.positional[0] ?? args.keywords.get(chunk ? 'chunks' : 'split_size_or_sections') ?? args.keywords.get('split_size');
  let sizes: number[];
  if (first && (first.kind === 'list' || first.kind === 'tuple')) sizes = first.items.map((v) => intOf(v) ?? fail(ctx.site, 'split sizes that are not known'));
  else {
    const n = first ? intOf(first) : undefined;
    if (n === undefined || n < 1) fail(ctx.site, 'a split size that is not a known positive integer');
    const step = chunk ? Math.ceil(size / n) : n;
    // x.split(64) of an axis of 64 * 10**12 made a tuple of 10**12 slices until V8 gave up (a fuzzer's case)
    if (Math.ceil(size / step) > MAX_SPLIT_PARTS) fail(ctx.site, `a split into ${Math.ceil(size / step).toLocaleString('en-US')} parts is not followed (more than ${MAX_SPLIT_PARTS.toLocaleString('en-US')})`);
    sizes = [];
    for (let at = 0; at < size; at += step) sizes.push(Math.min(step, size - at));
  }
  if (sizes.length > MAX_SPLIT_PARTS) fail(ctx.site, `a split into ${sizes.length.toLocaleString('en-US')} parts is not followed (more than ${MAX_SPLIT_PARTS.toLocaleString('en-US')})`);
  if (sizes.reduce((p, q) => p + q, 0) !== size) fail(ctx.site, `split sizes [${sizes.join(', ')}] do not add up to ${size}`);
  const parts: PyValue[] = [];
  let start = 0;
  for (const n of sizes) {
    const out = ctx.trace.emit('slice', [x], { axis, start, stop: start + n }, ctx.site);
    parts.push({ ...out, batchAxis: x.batchAxis });
    start += n;
  }
  return { kind: 'tuple', items: parts };
}

/** x.expand(B, -1, -1) of a batch-independent tensor (a class token): a view, the batch broadcasts later */
function expand(ctx: TensorContext, x: TensorValue, args: CallArgs): TensorValue {
  const sizes = args.positional.length === 1 && (args.positional[0]!.kind === 'tuple' || args.positional[0]!.kind === 'list') ? (args.positional[0] as { items: readonly PyValue[] }).items : args.positional;
  if (sizes.length !== x.shape.length) fail(ctx.site, `expand to ${sizes.length} axes of ${describe(x)} is not modelled`);
  let batchAt = -1;
  sizes.forEach((v, i) => {
    const n = intOf(v);
    const keeps = n === -1 || n === x.shape[i];
    const batch = v.kind === 'symint' && v.coef === 1 && x.shape[i] === 1 && x.batchAxis < 0;
    if (batch) batchAt = i;
    if (!keeps && !batch) fail(ctx.site, `expanding axis ${i} of ${describe(x)} to ${describe(v)} is not modelled yet`);
  });
  // a class token over the batch (cls.expand(N, -1, -1)): a view that grows with N, which layers may read
  return batchAt === 0 && x.trace ? expandOverBatch(layerCallOf(ctx), x) : x;
}

/**
 * F.pad(x, pad, mode='constant', value=0): `pad` holds (before, after) pairs from the last axis
 * back, as torch reads it; the registry's zeropad lists them from the first spatial axis. Only
 * spatial axes of a batched [N, C, ...] tensor are modelled.
 */
function padCall(ctx: TensorContext, x: TensorValue, args: CallArgs): TensorValue {
  const site = ctx.site;
  const raw = arg(args, 1, 'pad');
  const pairs = raw && (raw.kind === 'list' || raw.kind === 'tuple') ? raw.items.map(intOf) : undefined;
  if (!pairs || pairs.length === 0 || pairs.length % 2 !== 0 || pairs.some((v) => v === undefined)) return fail(site, `F.pad needs an even number of known integers, got ${raw ? describe(raw) : 'none'}`);
  const modeValue = arg(args, 2, 'mode');
  const modeName = modeValue === undefined ? 'constant' : modeValue.kind === 'str' ? modeValue.value : fail(site, `the padding mode is ${describe(modeValue)}, not a known string`);
  const mode = modeName === 'constant' ? 'zeros' : modeName === 'reflect' || modeName === 'replicate' ? modeName : fail(site, `F.pad mode '${modeName}' is not modelled yet`);
  const spatial = x.shape.length - 2;
  const padded = pairs.length / 2;
  if (x.batchAxis !== 0 || spatial < 1 || padded > spatial) return fail(site, `F.pad of ${padded} axes is modelled for the spatial axes of a batched [N, C, ...] tensor, got ${describe(x)}`);
  const pad = padPerAxis(pairs as number[], spatial);
  if (pad.some((p) => p < 0)) return fail(site, 'F.pad with a negative amount (a crop) is not modelled yet');
  // torch 1.13 pads every spatial axis or none in the reflect and replicate modes
  if (mode !== 'zeros' && padded !== spatial) return fail(site, `F.pad in mode '${modeName}' pads all ${spatial} spatial axes of ${describe(x)} in torch (${2 * spatial} values), got ${pairs.length}`);
  return ctx.trace.emit('zeropad', [x], { pad, mode }, site);
}

/** F.interpolate(x, size=None, scale_factor=None, mode='nearest'): torch's output size (layers.ts' upsampleSize); the mode does not change memory */
function interpolate(ctx: TensorContext, x: TensorValue, args: CallArgs): TensorValue {
  const r = upsampleSize(x, arg(args, 1, 'size') ?? NONE, arg(args, 2, 'scale_factor') ?? NONE);
  if (typeof r === 'string') return fail(ctx.site, `F.interpolate: ${r}`);
  return ctx.trace.emit('upsample', [x], { ...r, ...upsampleAttrs(arg(args, 3, 'mode')) }, ctx.site);
}

/**
 * F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False): without a
 * mask torch 2 runs a fused kernel (flash or memory-efficient), which holds no L x S scores; its
 * dropout is applied inside the kernel (no mask tensor)
 */
function scaledDotProductAttention(ctx: TensorContext, q: TensorValue, args: CallArgs): TensorValue {
  const site = ctx.site;
  const k = arg(args, 1, 'key');
  const v = arg(args, 2, 'value');
  if (k?.kind !== 'tensor' || v?.kind !== 'tensor') return fail(site, 'scaled_dot_product_attention of keys or values that are not known tensors');
  const mask = arg(args, 3, 'attn_mask');
  if (mask && mask.kind !== 'none') return fail(site, 'scaled_dot_product_attention with an attn_mask is not modelled yet (is_causal=True is)');
  const causal = arg(args, 5, 'is_causal');
  if (causal && causal.kind !== 'bool') return fail(site, `is_causal is ${describe(causal)}, not a known boolean`);
  if (q.batchAxis !== 0 || k.batchAxis !== 0 || v.batchAxis !== 0) return fail(site, 'scaled_dot_product_attention is modelled for batched [N, ..., L, E] operands');
  return ctx.trace.emit('scaled_dot_product_attention', [q, k, v], { causal: causal?.kind === 'bool' && causal.value, fused: true }, site);
}

/** torch.einsum(equation, a, b): permute and view each operand, one matrix product, view and permute back */
function einsumCall(ctx: TensorContext, args: CallArgs): TensorValue {
  const site = ctx.site;
  const eq = args.positional[0];
  const rest = args.positional.slice(1);
  const operands = rest.length === 1 && (rest[0]!.kind === 'list' || rest[0]!.kind === 'tuple') ? rest[0]!.items : rest;
  if (eq?.kind !== 'str') return fail(site, `the einsum equation is ${eq ? describe(eq) : 'missing'}, not a known string`);
  if (operands.length !== 2 || operands.some((t) => t.kind !== 'tensor')) return fail(site, 'einsum is modelled for two known tensors');
  const [a, b] = operands as [TensorValue, TensorValue];
  const plan = planEinsum(eq.value, a, b);
  if (typeof plan === 'string') return fail(site, plan);
  const dims = (ds: readonly Dim[]): PyValue[] => ds.map((d) => (d.batch ? { kind: 'symint', coef: d.size } : int(d.size)));
  const arranged = (t: TensorValue, perm: readonly number[], view: readonly Dim[]): TensorValue => {
    const moved = perm.every((p, i) => p === i) ? t : transpose(ctx, t, perm);
    const same = view.length === moved.shape.length && view.every((d, i) => d.size === moved.shape[i]);
    if (same) return moved;
    return moved.batchAxis < 0 ? fail(site, 'einsum of a tensor that does not grow with the batch needs no view yet') : reshape(ctx, moved, dims(view));
  };
  const pa = arranged(a, plan.permuteA, plan.viewA);
  const pb = b.batchAxis < 0 && plan.permuteB.every((p, i) => p === i) && plan.viewB.length === b.shape.length ? b : arranged(b, plan.permuteB, plan.viewB);
  const product = binaryTensor(ctx, '@', pa, pb, false) as TensorValue;
  const out = arranged(product, plan.viewOut.map((_, i) => i), plan.viewOut);
  return plan.permuteOut.every((p, i) => p === i) ? out : transpose(ctx, out, plan.permuteOut);
}

/** F.* and torch.* functions on traced tensors; undefined when memlens does not know them */
export function tensorFunction(ctx: TensorContext, name: string, args: CallArgs): PyValue | undefined {
  const x = args.positional[0];
  const site = ctx.site;
  if (name === 'einsum') return einsumCall(ctx, args);
  if (name === 'cat' || name === 'concat') {
    const list = x && (x.kind === 'list' || x.kind === 'tuple') ? x.items : undefined;
    if (!list || list.some((t) => t.kind !== 'tensor')) fail(site, 'torch.cat of values that are not known tensors');
    const like = (list as TensorValue[]).find((t) => t.batchAxis >= 0) ?? (list[0] as TensorValue);
    const ts = (list as TensorValue[]).map((t) => alignTo(ctx, t, like));
    const dim = intArg(args, 1, 'dim', 0, site);
    const axis = perSampleAxis(like, dim, (r) => fail(site, r));
    return ctx.trace.emit('concat', ts, { axis }, site);
  }
  if (!x || x.kind !== 'tensor') return undefined;
  if (isActivationFunction(name)) return activation(ctx, name, x, args, 1);
  const reduced = reductionCall(ctx, x, name, args, 1);
  if (reduced) return reduced;
  switch (name) {
    case 'exp':
    case 'log':
    case 'pow':
      return expLogPow(ctx, name, x, arg(args, 1, 'exponent'));
    case 'interpolate':
    case 'upsample':
      return interpolate(ctx, x, args);
    case 'scaled_dot_product_attention':
      return scaledDotProductAttention(ctx, x, args);
    case 'softmax':
    case 'log_softmax':
    case 'softmin':
    case 'glu':
      return alongAxis(ctx, name, x, args, 1);
    case 'flatten':
      return flattenCall(layerCallOf(ctx), x, intArg(args, 1, 'start_dim', 0, site), intArg(args, 2, 'end_dim', -1, site));
    case 'reshape':
      return reshape(ctx, x, args.positional.slice(1));
    case 'max_pool1d':
    case 'max_pool2d':
    case 'max_pool3d':
    case 'avg_pool1d':
    case 'avg_pool2d':
    case 'avg_pool3d': {
      const dims = Number(name.slice(-2, -1));
      const kind = name.startsWith('max') ? 'Max' : 'Avg';
      const c = new Map<string, PyValue>([
        ['kernel_size', arg(args, 1, 'kernel_size') ?? NONE],
        ['stride', arg(args, 2, 'stride') ?? NONE],
        ['padding', arg(args, 3, 'padding') ?? int(0)],
        ['dilation', kind === 'Max' ? arg(args, 4, 'dilation') ?? int(1) : int(1)],
        ['ceil_mode', (kind === 'Max' ? arg(args, 5, 'ceil_mode') : arg(args, 4, 'ceil_mode')) ?? { kind: 'bool', value: false }],
        ['return_indices', args.keywords.get('return_indices') ?? { kind: 'bool', value: false }],
      ]);
      return poolCall(layerCallOf(ctx), x, kind, dims, c);
    }
    case 'adaptive_avg_pool1d':
    case 'adaptive_avg_pool2d':
    case 'adaptive_max_pool2d':
      return adaptiveCall(layerCallOf(ctx), x, name.includes('max') ? 'Max' : 'Avg', Number(name.slice(-2, -1)), arg(args, 1, 'output_size') ?? NONE);
    case 'dropout':
    case 'dropout2d': {
      const p = numberOf(arg(args, 1, 'p') ?? { kind: 'float', value: 0.5 });
      const training = arg(args, 2, 'training');
      if (p === undefined) fail(site, 'the dropout probability is not known');
      // F.dropout defaults to training=True; `training=self.training` follows the module
      const on = training === undefined ? true : training.kind === 'bool' ? training.value : fail(site, 'whether dropout is in training mode is not known');
      if (!on) return x;
      return ctx.trace.emit('dropout', [x], { rate: p, spatial: name === 'dropout2d' }, site);
    }
    case 'pad':
      return padCall(ctx, x, args);
    case 'add':
    case 'mul': {
      const y = args.positional[1];
      return y ? binaryTensor(ctx, name === 'add' ? '+' : '*', x, y, false) : undefined;
    }
    case 'layer_norm': {
      // the weight and bias are the module's own tensors, counted with it
      const shape = arg(args, 1, 'normalized_shape');
      const dims = shape && (shape.kind === 'tuple' || shape.kind === 'list') ? shape.items.length : shape && intOf(shape) !== undefined ? 1 : undefined;
      if (dims === undefined) fail(site, 'layer_norm with a normalized_shape that is not known');
      return ctx.trace.emit('layernorm', [x], { dims, affine: false, center: false, scale: false }, site);
    }
    case 'transpose':
    case 'permute':
    case 'squeeze':
    case 'unsqueeze':
    case 'split':
    case 'chunk':
    case 'masked_fill':
      return tensorMethod(ctx, x, name, { positional: args.positional.slice(1), keywords: args.keywords });
    case 'matmul':
    case 'bmm':
    case 'sub':
    case 'div': {
      const y = args.positional[1];
      return y ? binaryTensor(ctx, name === 'sub' ? '-' : name === 'div' ? '/' : '@', x, y, false) : undefined;
    }
    default:
      return undefined;
  }
}

/** Python slice bounds on an axis of `size` (steps > 0 only), as start, stop, step */
function sliceRange(size: number, s: { start: PyValue; stop: PyValue; step: PyValue }, site: Node): [number, number, number] {
  const step = s.step.kind === 'none' ? 1 : intOf(s.step);
  if (step === undefined || step < 1) fail(site, 'a slice with a step that is not a known positive integer');
  const bound = (v: PyValue, dflt: number): number => {
    if (v.kind === 'none') return dflt;
    const i = intOf(v);
    if (i === undefined) fail(site, `the slice bound ${describe(v)} is not known statically`);
    return Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  };
  const start = bound(s.start, 0);
  return [start, Math.max(start, bound(s.stop, size)), step];
}

/** basic indexing of a traced tensor: ints select, slices narrow, None adds an axis, ... skips */
export function indexTensor(ctx: TensorContext, x: TensorValue, index: PyValue): TensorValue {
  const items = index.kind === 'tuple' ? index.items : [index];
  const ellipsis = items.findIndex((v) => v.kind === 'str' && v.value === '...');
  const explicit = items.filter((v) => v.kind !== 'none' && !(v.kind === 'str' && v.value === '...')).length;
  if (explicit > x.shape.length) fail(ctx.site, `too many indices for ${describe(x)}`);
  let t = x;
  let axis = 0;
  for (let k = 0; k < items.length; k++) {
    const v = items[k]!;
    if (k === ellipsis) {
      axis = t.shape.length - items.slice(k + 1).filter((w) => w.kind !== 'none').length;
      continue;
    }
    if (v.kind === 'none') {
      const shape = [...t.shape];
      shape.splice(axis, 0, 1);
      t = reshapeTo(layerCallOf(ctx), t, shape, axis <= t.batchAxis ? t.batchAxis + 1 : t.batchAxis);
      axis++;
      continue;
    }
    const size = t.shape[axis]!;
    if (v.kind === 'slice') {
      const [start, stop, step] = sliceRange(size, v, ctx.site);
      if (start === 0 && stop === size && step === 1) {
        axis++;
        continue;
      }
      if (axis === t.batchAxis) fail(ctx.site, 'slicing the batch axis is not modelled');
      const out = ctx.trace.emit('slice', [t], { axis: perSampleAxis(t, axis, (r) => fail(ctx.site, r)), start, stop, step }, ctx.site);
      t = { ...out, batchAxis: t.batchAxis };
      axis++;
      continue;
    }
    if (v.kind === 'list') {
      // advanced indexing with a list of ints (x[:, [-1], :]): a new tensor, the axis kept
      const picks = v.items.map((w) => intOf(w));
      if (picks.length === 0 || picks.some((p) => p === undefined)) fail(ctx.site, `indexing with ${describe(v)} is not modelled yet (a list of known integers is)`);
      if (axis === t.batchAxis) fail(ctx.site, 'indexing the batch axis picks samples, which memlens does not model');
      const indices = (picks as number[]).map((p) => (p < 0 ? p + size : p));
      const bad = indices.findIndex((p) => p < 0 || p >= size);
      if (bad >= 0) fail(ctx.site, `index ${picks[bad]} is out of range for axis ${axis} of ${describe(t)}`);
      const out = ctx.trace.emit('take', [t], { axis: perSampleAxis(t, axis, (r) => fail(ctx.site, r)), indices }, ctx.site);
      t = { ...out, batchAxis: t.batchAxis };
      axis++;
      continue;
    }
    const i = intOf(v);
    if (i === undefined) fail(ctx.site, `indexing with ${describe(v)} is not modelled yet`);
    if (axis === t.batchAxis) fail(ctx.site, 'indexing the batch axis picks samples, which memlens does not model');
    const j = i < 0 ? i + size : i;
    if (j < 0 || j >= size) fail(ctx.site, `index ${i} is out of range for axis ${axis} of ${describe(t)}`);
    const out = ctx.trace.emit('slice', [t], { axis: perSampleAxis(t, axis, (r) => fail(ctx.site, r)), start: j, select: true }, ctx.site);
    t = { ...out, batchAxis: axis < t.batchAxis ? t.batchAxis - 1 : t.batchAxis };
  }
  return t;
}
