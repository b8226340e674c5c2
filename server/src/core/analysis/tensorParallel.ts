// Megatron-style tensor parallelism (Shoeybi et al. 2019) read from the graph alone: which ops
// split their weights over T devices and which activations each device holds 1/T of. An attention
// op splits its heads; a dense whose output reaches exactly one other dense through elementwise
// ops is column-parallel and that dense row-parallel (the MLP pair, all-reduced after the second);
// an embedding splits its vocabulary. Everything else is replicated and whole on every device, or
// with sequence parallelism (Korthikanti et al. 2022) 1/T along the sequence.
import type { Graph, ParamCount } from '../ir';
import { graphColumns, type GraphColumns } from '../graphColumns';
import { VALUE_KIND_CODE, type Schedule } from './schedule';

/** what an op does under tensor parallelism (TensorSplit.role) */
export const REPLICATED = 0;
export const HEADS = 1; // attention: q, k, v, out projections split by heads
export const COLUMN = 2; // dense whose output columns are split
export const ROW = 3; // dense whose input rows are split; output all-reduced
export const VOCAB = 4; // embedding: 1/T of the table's rows

export interface TensorSplit {
  readonly degree: number;
  readonly sequenceParallel: boolean;
  /** per op: REPLICATED, HEADS, COLUMN, ROW or VOCAB */
  readonly role: Uint8Array;
  /** per tensor: 1 when each device holds 1/T of it */
  readonly split: Uint8Array;
  /** sequence parallelism: the attention ops' sequence lengths; a per-sample [L, d] tensor of such an L is split along it */
  readonly sequences: ReadonlySet<number>;
}

const ELEMENTWISE_BINARY = new Set(['add', 'mul', 'sub']);
// activations that mix the feature axis (softmax) or own per-channel weights (prelu) do not act per column
const NOT_PER_COLUMN = new Set(['softmax', 'prelu']);

function isElementwise(c: GraphColumns, graph: Graph, op: number): boolean {
  const spec = c.opSpec[op];
  if (!spec) return false;
  const name = graph.ops[op]!.op;
  if (spec.family === 'activation') return !NOT_PER_COLUMN.has(name);
  if (!ELEMENTWISE_BINARY.has(name)) return false;
  // no broadcasting: every operand has the output's elements
  const out = c.opOutput[op]!;
  for (let k = c.inputStart[op]!; k < c.inputStart[op + 1]!; k++) if (c.tensorElements[c.inputs[k]!] !== c.tensorElements[out]) return false;
  return true;
}

/** consumers of every tensor, CSR */
function consumersOf(c: GraphColumns): { start: Int32Array; ops: Int32Array } {
  const start = new Int32Array(c.tensorCount + 1);
  for (let k = 0; k < c.inputs.length; k++) start[c.inputs[k]! + 1]!++;
  for (let t = 0; t < c.tensorCount; t++) start[t + 1]! += start[t]!;
  const fill = start.slice(0, c.tensorCount);
  const ops = new Int32Array(c.inputs.length);
  for (let op = 0; op < c.opCount; op++) for (let k = c.inputStart[op]!; k < c.inputStart[op + 1]!; k++) ops[fill[c.inputs[k]!]!++] = op;
  return { start, ops };
}

interface Reach {
  /** the one dense reached, or -1 */
  readonly target: number;
  /** tensors from the dense's output up to the target's input */
  readonly region: readonly number[];
  /** operands of binary ops in the region that come from outside it */
  readonly foreign: readonly number[];
}

/** follow a dense's output through elementwise ops; a pair when exactly one dense is reached and nothing else reads the region */
function reachFrom(graph: Graph, c: GraphColumns, consumers: { start: Int32Array; ops: Int32Array }, op: number): Reach | undefined {
  const region: number[] = [c.opOutput[op]!];
  const inRegion = new Set(region);
  const targets = new Set<number>();
  const foreign: number[] = [];
  for (let i = 0; i < region.length; i++) {
    const t = region[i]!;
    if (c.tensorIsOutput[t] === 1) return undefined;
    for (let k = consumers.start[t]!; k < consumers.start[t + 1]!; k++) {
      const user = consumers.ops[k]!;
      if (graph.ops[user]!.op === 'dense' && c.inputs[c.inputStart[user]!] === t) targets.add(user);
      else if (isElementwise(c, graph, user)) {
        const out = c.opOutput[user]!;
        if (!inRegion.has(out)) {
          inRegion.add(out);
          region.push(out);
        }
        for (let j = c.inputStart[user]!; j < c.inputStart[user + 1]!; j++) if (!inRegion.has(c.inputs[j]!)) foreign.push(c.inputs[j]!);
      } else return undefined;
    }
  }
  if (targets.size !== 1) return undefined;
  const [target] = targets;
  return { target: target!, region, foreign: foreign.filter((t) => !inRegion.has(t)) };
}

const lastAxis = (shape: readonly number[]): number => shape[shape.length - 1]!;

/** the tensor-parallel plan of a graph over `degree` devices, or why T cannot split it */
export function tensorSplitOf(graph: Graph, degree: number, sequenceParallel: boolean): TensorSplit | { readonly error: string } {
  const c = graphColumns(graph);
  const role = new Uint8Array(c.opCount);
  const split = new Uint8Array(c.tensorCount);
  const line = (op: number): number => graph.ops[op]!.site.start.line + 1;
  for (let op = 0; op < c.opCount; op++) {
    const name = graph.ops[op]!.op;
    const attrs = c.opAttrs[op]!;
    if (name === 'attention' || name === 'cross_attention') {
      const heads = Number(attrs['heads']);
      const kvHeads = typeof attrs['kv_heads'] === 'number' ? attrs['kv_heads'] : heads;
      if (heads % degree !== 0) return { error: `tensorParallel ${degree} does not divide the ${heads} heads of ${name} at line ${line(op)}` };
      if (kvHeads % degree !== 0) return { error: `tensorParallel ${degree} does not divide the ${kvHeads} kv_heads of ${name} at line ${line(op)}` };
      role[op] = HEADS;
    } else if (name === 'embedding') role[op] = VOCAB;
  }
  const consumers = consumersOf(c);
  const reaches = new Map<number, Reach>();
  for (let op = 0; op < c.opCount; op++) {
    if (graph.ops[op]!.op !== 'dense') continue;
    const r = reachFrom(graph, c, consumers, op);
    if (r) reaches.set(op, r);
  }
  // group the column denses by the row dense they feed (SwiGLU: two columns, one row)
  const groups = new Map<number, number[]>();
  for (const [op, r] of reaches) groups.set(r.target, [...(groups.get(r.target) ?? []), op]);
  for (const [row, columns] of groups) {
    if (role[row] !== REPLICATED || columns.some((op) => role[op] !== REPLICATED)) continue; // a dense takes one role
    const region = new Set(columns.flatMap((op) => reaches.get(op)!.region));
    if (columns.some((op) => reaches.get(op)!.foreign.some((t) => !region.has(t)))) continue;
    for (const op of columns) {
      const units = lastAxis(c.tensorShape[c.opOutput[op]!]!);
      if (units % degree !== 0) return { error: `tensorParallel ${degree} does not divide the ${units} units of the column-parallel dense at line ${line(op)}` };
      role[op] = COLUMN;
    }
    role[row] = ROW;
    for (const t of region) split[t] = 1;
  }
  const sequences = new Set<number>();
  if (sequenceParallel) {
    for (let op = 0; op < c.opCount; op++) {
      if (role[op] !== HEADS) continue;
      const steps = c.tensorShape[c.inputs[c.inputStart[op]!]!]![0]!;
      if (steps % degree !== 0) return { error: `sequenceParallel: tensorParallel ${degree} does not divide the sequence of ${steps} positions of the attention at line ${line(op)}` };
      sequences.add(steps);
    }
  }
  return { degree, sequenceParallel, role, split, sequences };
}

/** the trainable parameters one op keeps on each tensor-parallel device */
export function rankParamsOfOp(graph: Graph, s: TensorSplit, op: number): number {
  const node = graph.ops[op]!;
  const all = node.params.trainable;
  const t = s.degree;
  const c = graphColumns(graph);
  const out = c.tensorShape[c.opOutput[op]!]!;
  const bias = node.attrs['bias'] !== false;
  switch (s.role[op]) {
    case HEADS: {
      // q, k, v (weights and biases) and the out projection's weight by heads; its bias d is whole
      const d = lastAxis(out);
      const whole = bias ? d : 0;
      return (all - whole) / t + whole;
    }
    case COLUMN:
      return all / t;
    case ROW: {
      const whole = bias ? lastAxis(out) : 0;
      return (all - whole) / t + whole;
    }
    case VOCAB: {
      // a table padded to a multiple of T: the largest share has ceil(vocab / T) rows
      const dim = Number(node.attrs['dim']);
      return Math.ceil(Number(node.attrs['vocab']) / t) * dim;
    }
    default:
      return all;
  }
}

/** the parameters on one tensor-parallel device: `params` less what the split ops leave on the others */
export function rankParams(graph: Graph, s: TensorSplit, params: ParamCount): ParamCount {
  let trainable = params.trainable;
  const c = graphColumns(graph);
  for (let op = 0; op < c.opCount; op++) {
    if (s.role[op] === REPLICATED || c.opSharesParams[op] === 1) continue;
    trainable -= graph.ops[op]!.params.trainable - rankParamsOfOp(graph, s, op);
  }
  return { trainable, nonTrainable: params.nonTrainable };
}

/**
 * whether sequence parallelism splits a tensor: a per-sample [L, d] sequence of a length some
 * attention reads (checked to divide by T); a feature map or a pooled vector stays whole
 */
function splitsAlongSequence(c: GraphColumns, s: TensorSplit, t: number): boolean {
  if (!s.sequenceParallel || c.tensorBatchIndependent[t] === 1) return false;
  const shape = c.tensorShape[t]!;
  return shape.length === 2 && s.sequences.has(shape[0]!);
}

/** per schedule value: T when each device holds 1/T of it, else 1 */
export function valueDivisors(graph: Graph, schedule: Schedule, s: TensorSplit): Float64Array {
  const c = graphColumns(graph);
  const out = new Float64Array(schedule.valueCount).fill(1);
  const byTensor = (t: number): boolean => s.split[t] === 1 || splitsAlongSequence(c, s, t);
  for (let v = 0; v < schedule.valueCount; v++) {
    const kind = schedule.valueKind[v]!;
    if (kind === VALUE_KIND_CODE['weight-gradient']) continue; // model states: rankParams
    const tensor = schedule.valueTensor[v]!;
    const op = schedule.valueOp[v]!;
    let divided: boolean;
    if (kind === VALUE_KIND_CODE['saved-extra'] || kind === VALUE_KIND_CODE.workspace) {
      // an op's own state: per head for attention, else as its output is split
      divided = op >= 0 && (s.role[op] === HEADS || byTensor(c.opOutput[op]!));
    } else divided = tensor >= 0 && byTensor(tensor);
    if (divided) out[v] = s.degree;
  }
  return out;
}

/**
 * Sequence parallelism's communication buffers (Megatron-LM): a column-parallel op (the QKV
 * projection, the MLP's first dense) all-gathers its sequence-split input into one buffer Megatron
 * keeps and reuses, as large as the largest such input; a row-parallel dense's whole output (its
 * partial sums) exists until it is reduce-scattered, and in the backward its gradient is all-gathered
 * whole. Per op: the gathered bytes of a column op's input, and a row op's whole output, per device.
 */
export interface SequenceBuffers {
  /** per op: the whole input a column-parallel or attention op gathers (0 elsewhere) */
  readonly gatheredFixed: Float64Array;
  readonly gatheredPerSample: Float64Array;
  /** per op: the whole output of a row-parallel dense, live at its forward and backward steps */
  readonly rowFixed: Float64Array;
  readonly rowPerSample: Float64Array;
}

export function sequenceBuffers(graph: Graph, schedule: Schedule, s: TensorSplit): SequenceBuffers | undefined {
  if (!s.sequenceParallel) return undefined;
  const c = graphColumns(graph);
  const out: SequenceBuffers = {
    gatheredFixed: new Float64Array(c.opCount),
    gatheredPerSample: new Float64Array(c.opCount),
    rowFixed: new Float64Array(c.opCount),
    rowPerSample: new Float64Array(c.opCount),
  };
  for (let op = 0; op < c.opCount; op++) {
    const role = s.role[op];
    if (role === HEADS || role === COLUMN) {
      const v = schedule.activationOf[c.inputs[c.inputStart[op]!]!]!;
      out.gatheredFixed[op] = schedule.valueFixed[v]!;
      out.gatheredPerSample[op] = schedule.valuePerSample[v]!;
    } else if (role === ROW) {
      const v = schedule.activationOf[c.opOutput[op]!]!;
      out.rowFixed[op] = schedule.valueFixed[v]!;
      out.rowPerSample[op] = schedule.valuePerSample[v]!;
    }
  }
  return out;
}
