// Tensors memlens makes for torch's factories (torch.randn(8, 3, 32, 32) as an example input,
// torch.arange in a forward, nn.Parameter), shape-only views outside a model, and the small
// helpers on tensor values that the torch host shares.
import type { DType } from '../ir';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { parameter } from './modules';
import { TraceStop, type Trace } from './trace';
import { intOf, iterate, unknown, type CallArgs, type PyValue, type TensorValue } from './values';

/** torch.randn(8, 3, 32, 32) and friends: an example tensor (its batch decided when a model reads it) */
export function exampleTensor(active: Trace | undefined, name: string, args: CallArgs, site: Node): PyValue {
  if (name.endsWith('_like')) {
    const src = args.positional[0];
    return src?.kind === 'tensor' ? { ...src, site } : unknown(site, `torch.${name} of a value that is not a known tensor`);
  }
  let dims: readonly PyValue[] = args.positional;
  if (name === 'full') {
    const sizeArg = args.keywords.get('size') ?? args.positional[0];
    dims = sizeArg && (sizeArg.kind === 'tuple' || sizeArg.kind === 'list') ? sizeArg.items : [];
  } else if (name === 'randint') {
    const sizeArg = args.keywords.get('size') ?? args.positional[args.positional.length - 1];
    dims = sizeArg && (sizeArg.kind === 'tuple' || sizeArg.kind === 'list') ? sizeArg.items : [];
  } else if (dims.length === 1 && (dims[0]!.kind === 'tuple' || dims[0]!.kind === 'list')) dims = (dims[0] as { items: readonly PyValue[] }).items;
  else if (dims.length === 0 && args.keywords.get('size')) dims = iterate(args.keywords.get('size')!) ?? [];
  const shape = dims.map(intOf);
  const batchAt = dims.findIndex((d) => d.kind === 'symint');
  if (active && !name.endsWith('_like') && batchAt >= 0 && dims.filter((d) => d.kind === 'symint').length === 1 && (dims[batchAt] as { coef: number }).coef === 1) {
    // one value per sample (stochastic depth's mask): a tensor of the graph that grows with N
    const rest = dims.map((d, i) => (i === batchAt ? 1 : intOf(d)));
    if (rest.every((d) => d !== undefined && d > 0)) {
      const dt = args.keywords.get('dtype');
      return active.perSampleConstant(rest as number[], batchAt, dt?.kind === 'dtype' ? dt.dtype : 'fp32', site);
    }
  }
  if (active && !name.endsWith('_like') && shape.length > 0 && shape.every((d) => d !== undefined && d > 0)) {
    const dt = args.keywords.get('dtype');
    return active.constant(shape as number[], dt?.kind === 'dtype' ? dt.dtype : name === 'randint' ? 'int64' : 'fp32', site);
  }
  if (shape.length === 0 || shape.some((d) => d === undefined || d < 0)) {
    // a square of the batch (a causal mask over len(src)) says the examples are sequence first: read them once more so
    if (active) throw new TraceStop(site, `a tensor made inside forward (\`${site.text}\`) whose shape depends on the batch is not modelled yet`, false, dims.filter((d) => d.kind === 'symint').length > 1 ? 1 : undefined);
    return unknown(site, `the shape of \`${site.text}\` is not known statically`);
  }
  const dt = args.keywords.get('dtype');
  const dtype: DType = dt?.kind === 'dtype' ? dt.dtype : name === 'randint' ? 'int64' : 'fp32';
  if (active) throw new TraceStop(site, `a tensor made inside forward (\`${site.text}\`) is not modelled yet`);
  const batchNode = firstDimLiteral(site, name === 'randint');
  return { kind: 'tensor', shape: shape as number[], batchAxis: -1, dtype, site, ...(batchNode ? { batchNode } : {}) };
}

/** torch.arange / tril inside a forward: a batch-independent tensor of the graph */
export function constantInForward(trace: Trace, name: string, args: CallArgs, site: Node): PyValue {
  if (name !== 'arange') {
    const x = args.positional[0] as TensorValue;
    return trace.constant(x.shape, x.dtype, site);
  }
  const nums = args.positional.map((v) => (v.kind === 'int' || v.kind === 'float' ? v.value : undefined));
  if (nums.length === 0 || nums.some((n) => n === undefined)) throw new TraceStop(site, `the bounds of \`${site.text}\` are not known statically`);
  const [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
  const length = Math.ceil((end - start) / step);
  if (!(length > 0)) throw new TraceStop(site, `\`${site.text}\` is empty`);
  const dt = args.keywords.get('dtype');
  const float = args.positional.some((v) => v.kind === 'float');
  return trace.constant([length], dt?.kind === 'dtype' ? dt.dtype : float ? 'fp32' : 'int64', site);
}

export function makeParameter(args: CallArgs, site: Node): PyValue {
  const t = args.positional[0];
  if (!t || t.kind !== 'tensor') return unknown(site, 'nn.Parameter of a value that is not a known tensor');
  const rg = args.keywords.get('requires_grad') ?? args.positional[1];
  const p = parameter(t.shape, t.dtype);
  if (rg?.kind === 'bool') p.requiresGrad = rg.value;
  return p;
}

/** view / tril of a tensor made outside any model (a causal mask): only its shape matters */
export function staticView(x: TensorValue, name: string, args: CallArgs, site: Node): PyValue {
  if (name === 'tril' || name === 'triu') return x;
  // a position table built before registering it as a buffer: pe.unsqueeze(0).transpose(0, 1)
  if (name === 'unsqueeze' || name === 'transpose') {
    const axes = args.positional.map(intOf);
    const rank = x.shape.length + (name === 'unsqueeze' ? 1 : 0);
    const at = axes.map((a) => (a !== undefined && a < 0 ? a + rank : a));
    if (at.length !== (name === 'unsqueeze' ? 1 : 2) || at.some((a) => a === undefined || a < 0 || a >= rank)) return unknown(site, `\`${site.text}\` is not known statically`);
    const shape = [...x.shape];
    if (name === 'unsqueeze') shape.splice(at[0]!, 0, 1);
    else [shape[at[0]!], shape[at[1]!]] = [shape[at[1]!]!, shape[at[0]!]!];
    return { ...x, shape, site, base: rootOf(x) };
  }
  const dims = (args.positional.length === 1 && (args.positional[0]!.kind === 'tuple' || args.positional[0]!.kind === 'list') ? iterate(args.positional[0]!)! : args.positional).map(intOf);
  const total = x.shape.reduce((a, b) => a * b, 1);
  const known = dims.filter((d) => d !== -1).reduce<number>((a, b) => a * (b ?? NaN), 1);
  if (dims.some((d) => d === undefined) || !Number.isInteger(total / known)) return unknown(site, `\`${site.text}\` is not known statically`);
  return { ...x, shape: dims.map((d) => (d === -1 ? total / known : d!)), site, base: rootOf(x) };
}

export /** `8` in torch.randn(8, 3), torch.zeros((8, 3)) or torch.randint(0, 10, (8, 35)), when written as a literal */
function firstDimLiteral(call: Node, sizeLast: boolean): Node | undefined {
  const args = call.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment') ?? [];
  const size = call.childForFieldName('arguments')?.namedChildren.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'size')?.childForFieldName('value');
  let first = size ?? (sizeLast ? args[args.length - 1] : args[0]);
  if (first && (first.type === 'tuple' || first.type === 'list')) first = first.namedChildren[0];
  return first?.type === 'integer' ? first : undefined;
}

export /** a value computed from a model's output after its forward: it belongs to the model (a loss marks training) but is no op of its graph */
function derived(x: TensorValue, site: Node): TensorValue {
  return { kind: 'tensor', trace: x.trace!, shape: [], batchAxis: -1, dtype: x.dtype, site, base: rootOf(x) };
}

export /** the tensor a chain of shape-only views was taken of */
function rootOf(x: TensorValue): TensorValue {
  let t = x;
  while (t.base) t = t.base;
  return t;
}

export 
function flattenTensors(v: PyValue): TensorValue[] {
  if (v.kind === 'tensor') return [v];
  if (v.kind === 'tuple' || v.kind === 'list') return v.items.flatMap(flattenTensors);
  if (v.kind === 'dict') return [...v.entries.values()].flatMap(flattenTensors);
  return [];
}

/** the dtype an example tensor's cast makes (`x.half()`, `x.to(torch.bfloat16)`, `x.long()`); undefined for other methods */
export function castDType(name: string, args: CallArgs): DType | undefined {
  if (name === 'to') {
    const d = args.positional.find((a) => a.kind === 'dtype') ?? args.keywords.get('dtype');
    return d?.kind === 'dtype' ? d.dtype : undefined;
  }
  return TENSOR_CASTS[name];
}

const TENSOR_CASTS: Readonly<Record<string, DType>> = { float: 'fp32', double: 'fp64', half: 'fp16', bfloat16: 'bf16', long: 'int64', int: 'int32', bool: 'bool' };
