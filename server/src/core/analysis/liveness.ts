// Liveness over the schedule: the interval of every value (first write .. last read), buffers
// (values that share storage: views, legal in-place outputs), in-place legality, and the exact
// bytes live at every step as fixed + perSample x N, split by category.
import type { Graph, OpId, TensorId } from '../ir';
import { symbolic, type SymbolicBytes } from '../units';
import { graphColumns } from '../graphColumns';
import { withGetters } from '../getters';
import { PHASES, VALUE_KINDS, stepNode, type Schedule, type ValueKind } from './schedule';

export type Category =
  | 'weights'
  | 'buffers'
  | 'optimizer'
  | 'kvCache' // generate mode: always live, like the three above
  | 'activations' // forward outputs not kept for backward
  | 'savedActivations'
  | 'activationGradients'
  | 'weightGradients'
  | 'workspace';

export const CATEGORIES: readonly Category[] = [
  'weights',
  'buffers',
  'optimizer',
  'kvCache',
  'activations',
  'savedActivations',
  'activationGradients',
  'weightGradients',
  'workspace',
];

export interface InPlaceDecision {
  readonly op: OpId;
  /** the input whose buffer the output overwrites (legal) or would overwrite */
  readonly input?: TensorId;
  readonly legal: boolean;
  /** why not, for the diagnostic */
  readonly reason?: string;
}

export interface Liveness {
  /** [liveFrom, liveTo] of each value, by value id; [-1, -1] for a value never written */
  readonly valueFrom: Int32Array;
  readonly valueTo: Int32Array;
  /** buffer id of each value (-1: never written) */
  readonly bufferOf: Int32Array;
  /** the buffers (storage shared by one or more values; the unit the planner places), as columns */
  readonly bufferColumns: BufferColumns;
  /** value ids read by some backward step */
  readonly savedValues: { has(value: number): boolean };
  /** in-place requests, legal or not, in program order */
  readonly inPlace: readonly InPlaceDecision[];
  /** bytes live at each step, planned buffers only (always-live state excluded), by category (a getter: built on first read) */
  readonly perStep: readonly Readonly<Record<Category, SymbolicBytes>>[];
  /** the same figures packed: index step * CATEGORIES.length + category index (a getter) */
  readonly byCategory: StepBytes;
  /** planned buffers live at each step, all categories: index step */
  readonly totals: StepBytes;
}

/** buffer b's fields at index b: no object per buffer on the keystroke path */
export interface BufferColumns {
  readonly count: number;
  readonly liveFrom: Int32Array;
  readonly liveTo: Int32Array;
  /** the buffer's size: that of its largest value */
  readonly fixed: Float64Array;
  readonly perSample: Float64Array;
  /** index into CATEGORIES */
  readonly category: Int32Array;
  /** its values in id order: values[valueStart[b] .. valueStart[b + 1]) */
  readonly valueStart: Int32Array;
  readonly values: Int32Array;
}

/** per-step byte figures as two parallel arrays: fixed and per sample */
export interface StepBytes {
  readonly fixed: Float64Array;
  readonly perSample: Float64Array;
}

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  /** join b's set into a's; the root stays a's root */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[rb] = ra;
  }
}

const CATEGORY_OF_KIND: Readonly<Record<ValueKind, Category>> = {
  activation: 'activations',
  recomputed: 'activations',
  'saved-extra': 'savedActivations',
  'activation-gradient': 'activationGradients',
  'weight-gradient': 'weightGradients',
  workspace: 'workspace',
};
/** category code by value-kind code */
const CATEGORY_CODE_OF_KIND: readonly number[] = VALUE_KINDS.map((k) => CATEGORIES.indexOf(CATEGORY_OF_KIND[k]));

export function computeLiveness(graph: Graph, schedule: Schedule): Liveness {
  const n = schedule.valueCount;
  // typed arrays and flags, not Sets and Maps: this runs over every value on every keystroke
  const from = new Int32Array(n).fill(-1);
  const to = new Int32Array(n).fill(-1);
  const savedFlag = new Uint8Array(n);
  const saved = { has: (v: number): boolean => savedFlag[v] === 1 };
  const touch = (v: number, s: number): void => {
    if (from[v]! < 0 || s < from[v]!) from[v] = s;
    if (s > to[v]!) to[v] = s;
  };
  const { readStart, reads, writeStart, writes, stepPhase } = schedule;
  const backwardPhase = PHASES.indexOf('backward');
  for (let index = 0; index < schedule.stepCount; index++) {
    for (let k = writeStart[index]!; k < writeStart[index + 1]!; k++) touch(writes[k]!, index);
    const backward = stepPhase[index] === backwardPhase;
    for (let k = readStart[index]!; k < readStart[index + 1]!; k++) {
      const v = reads[k]!;
      touch(v, index);
      if (backward) savedFlag[v] = 1;
    }
  }
  for (const v of schedule.lossReads) touch(v, schedule.lossStep);
  // the caller keeps the model outputs until the forward pass ends
  for (const t of graph.outputs) {
    const v = schedule.activationOf[t]!;
    if (from[v]! >= 0) touch(v, schedule.forwardEnd);
  }

  const uf = new UnionFind(n);
  // copies by the typed-array constructor: Int32Array.from walks an iterator per element
  const bufFrom = new Int32Array(from);
  const bufTo = new Int32Array(to);
  const join = (a: number, b: number): void => {
    const ra = uf.find(a);
    const rb = uf.find(b);
    if (ra === rb) return;
    uf.union(ra, rb);
    bufFrom[ra] = minLive(bufFrom[ra]!, bufFrom[rb]!);
    bufTo[ra] = Math.max(bufTo[ra]!, bufTo[rb]!);
  };
  // views share their source's buffer: join into the source so the buffer keeps its identity
  const views = schedule.views;
  for (let k = 0; k < views.length; k += 2) join(views[k + 1]!, views[k]!);

  const inPlace = decideInPlace(graph, schedule, uf, bufTo, join);

  // buffers in order of their first value; members counted first, then filled (CSR)
  const rootToBuffer = new Int32Array(n).fill(-1);
  const bufferOf = new Int32Array(n).fill(-1);
  let count = 0;
  for (let v = 0; v < n; v++) {
    if (from[v]! < 0) continue;
    const r = uf.find(v);
    let b = rootToBuffer[r]!;
    if (b < 0) {
      b = count++;
      rootToBuffer[r] = b;
    }
    bufferOf[v] = b;
  }
  const valueStart = new Int32Array(count + 1);
  for (let v = 0; v < n; v++) if (bufferOf[v]! >= 0) valueStart[bufferOf[v]! + 1]!++;
  for (let b = 0; b < count; b++) valueStart[b + 1]! += valueStart[b]!;
  const values = new Int32Array(valueStart[count]!);
  const fill = valueStart.slice(0, count);
  const liveFrom = new Int32Array(count);
  const liveTo = new Int32Array(count);
  const fixed = new Float64Array(count);
  const perSample = new Float64Array(count);
  const category = new Int32Array(count);
  const anySaved = new Uint8Array(count);
  const { valueFixed, valuePerSample, valueKind } = schedule;
  for (let v = 0; v < n; v++) {
    const b = bufferOf[v]!;
    if (b < 0) continue;
    if (fill[b] === valueStart[b]) {
      // the first value: the root's interval and kind name the buffer
      const root = uf.find(v);
      liveFrom[b] = bufFrom[root]!;
      liveTo[b] = bufTo[root]!;
      category[b] = CATEGORY_CODE_OF_KIND[valueKind[root]!]!;
      fixed[b] = valueFixed[v]!;
      perSample[b] = valuePerSample[v]!;
    } else if (valuePerSample[v]! > perSample[b]! || (valuePerSample[v] === perSample[b] && valueFixed[v]! > fixed[b]!)) {
      // a buffer is as large as its largest value
      fixed[b] = valueFixed[v]!;
      perSample[b] = valuePerSample[v]!;
    }
    values[fill[b]!++] = v;
    if (savedFlag[v] === 1) anySaved[b] = 1;
  }
  const activations = CATEGORIES.indexOf('activations');
  const savedActivations = CATEGORIES.indexOf('savedActivations');
  for (let b = 0; b < count; b++) if (category[b] === activations && anySaved[b] === 1) category[b] = savedActivations;
  const columns: BufferColumns = { count, liveFrom, liveTo, fixed, perSample, category, valueStart, values };

  const stepCount = schedule.stepCount;
  const totals = liveTotals(stepCount, columns);
  // by category: 8 figures per step, built on first read (the timeline), not per keystroke
  let byCategory: StepBytes | undefined;
  let perStep: Record<Category, SymbolicBytes>[] | undefined;
  const categories = (): StepBytes => (byCategory ??= liveByCategory(stepCount, columns));
  return withGetters(
    { valueFrom: from, valueTo: to, bufferOf, bufferColumns: columns, savedValues: saved, inPlace, totals },
    {
      byCategory: categories,
      perStep: (): readonly Readonly<Record<Category, SymbolicBytes>>[] => (perStep ??= rowsOf(stepCount, categories())),
    },
  );
}

function minLive(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function describe(graph: Graph, t: TensorId): string {
  return `'${graph.tensors[t]!.name}'`;
}

const NONE: readonly number[] = [];

/** the reason when the caller only asks whether an op can run in place (no message built per op) */
const UNEXPLAINED = '';

/**
 * which input of `op` its output could overwrite, or why none can; with `explain` false the reason
 * is empty (the in-place savings ask this of every op on every keystroke and discard the reasons)
 */
export function inPlaceCandidate(
  graph: Graph,
  schedule: Schedule,
  opIndex: number,
  bufferEnd: (v: number) => number,
  explain = true,
): { input: TensorId } | { input?: TensorId; reason: string } {
  // read from the graph's columns: the in-place savings ask this of every op on every keystroke
  const c = graphColumns(graph);
  const first = c.inputStart[opIndex]!;
  const inputCount = c.inputStart[opIndex + 1]! - first;
  const output = c.opOutput[opIndex]!;
  const opName = (): string => graph.ops[opIndex]!.op;
  const { spec, saved } = schedule.opInfo[opIndex]!;
  if (!spec || !saved || spec.inPlace === 'never' || inputCount === 0) {
    return { reason: explain ? `${opName()} cannot write its output over its input` : UNEXPLAINED };
  }
  const training = graph.config.mode === 'train';
  if (spec.inPlace === 'inferOnly' && training) {
    return { input: c.inputs[first]!, reason: explain ? `${opName()}'s backward needs its input, so it can run in place only in infer mode` : UNEXPLAINED };
  }
  if (training) {
    if (saved.inputs.includes(0) && inputCount === 1) {
      const reason = explain ? `${opName()}'s backward reads its input ${describe(graph, c.inputs[first]!)}, which an in-place write would destroy` : UNEXPLAINED;
      return { input: c.inputs[first]!, reason };
    }
  }
  const step = opIndex; // forward step index = op index
  const keptForBackward = training ? saved.inputs : NONE;
  // add / mul / average: any operand that dies here (elementwise ops are single-input otherwise)
  const operandCount = spec.family === 'activation' || spec.family === 'norm' ? 1 : inputCount;
  let firstReason: string | undefined;
  for (let i = 0; i < operandCount; i++) {
    const t = c.inputs[first + i]!;
    if (c.tensorElements[t] !== c.tensorElements[output] || c.tensorDType[t] !== c.tensorDType[output]) {
      firstReason ??= explain ? `${describe(graph, t)} and the output differ in size or dtype` : UNEXPLAINED;
      continue;
    }
    if (keptForBackward.includes(i)) {
      firstReason ??= explain ? `${opName()}'s backward reads ${describe(graph, t)}` : UNEXPLAINED;
      continue;
    }
    if (c.tensorIsOutput[t] === 1) {
      firstReason ??= explain ? `${describe(graph, t)} is a model output` : UNEXPLAINED;
      continue;
    }
    const end = bufferEnd(schedule.activationOf[t]!);
    if (end > step) {
      if (explain) {
        const reader = stepNode(graph, schedule, end);
        const where = reader ? ` (line ${reader.statement.start.line + 1}, ${PHASES[schedule.stepPhase[end]!]})` : '';
        firstReason ??= `${describe(graph, t)} is read again later${where}`;
      } else firstReason ??= UNEXPLAINED;
      continue;
    }
    return { input: t };
  }
  return { input: c.inputs[first]!, reason: firstReason ?? (explain ? `${opName()} has no operand it can overwrite` : UNEXPLAINED) };
}

function decideInPlace(
  graph: Graph,
  schedule: Schedule,
  uf: UnionFind,
  bufTo: Int32Array,
  join: (a: number, b: number) => void,
): InPlaceDecision[] {
  const out: InPlaceDecision[] = [];
  const bufferEnd = (v: number): number => bufTo[uf.find(v)]!;
  const columns = graphColumns(graph);
  for (let i = 0; i < columns.opCount; i++) {
    if (columns.opRequestsInPlace[i] !== 1) continue;
    const c = inPlaceCandidate(graph, schedule, i, bufferEnd);
    if ('reason' in c) {
      out.push({ op: i, legal: false, reason: c.reason, ...(c.input !== undefined ? { input: c.input } : {}) });
      continue;
    }
    join(schedule.activationOf[c.input]!, schedule.activationOf[columns.opOutput[i]!]!);
    out.push({ op: i, input: c.input, legal: true });
  }
  return out;
}


/** live bytes per step over all categories: difference arrays, O(buffers + steps) */
function liveTotals(stepCount: number, buffers: BufferColumns, category = -1): StepBytes {
  const fixed = new Float64Array(stepCount + 1);
  const perSample = new Float64Array(stepCount + 1);
  for (let b = 0; b < buffers.count; b++) {
    const from = buffers.liveFrom[b]!;
    if (from < 0 || (category >= 0 && buffers.category[b] !== category)) continue;
    const end = buffers.liveTo[b]! + 1;
    fixed[from]! += buffers.fixed[b]!;
    fixed[end]! -= buffers.fixed[b]!;
    perSample[from]! += buffers.perSample[b]!;
    perSample[end]! -= buffers.perSample[b]!;
  }
  for (let s = 1; s < stepCount; s++) {
    fixed[s]! += fixed[s - 1]!;
    perSample[s]! += perSample[s - 1]!;
  }
  return { fixed: fixed.subarray(0, stepCount), perSample: perSample.subarray(0, stepCount) };
}

/**
 * The live bytes of one category at the step where they are largest at the batch (the first such
 * step; zero when they never are positive).
 */
export function categoryPeak(liveness: Liveness, stepCount: number, category: Category, batch: number): SymbolicBytes {
  const { fixed, perSample } = liveTotals(stepCount, liveness.bufferColumns, CATEGORIES.indexOf(category));
  let best = -1;
  let value = 0;
  for (let s = 0; s < stepCount; s++) {
    const v = fixed[s]! + perSample[s]! * batch;
    if (v > value) {
      value = v;
      best = s;
    }
  }
  return best < 0 ? symbolic(0, 0) : symbolic(fixed[best]!, perSample[best]!);
}

/** difference arrays over the steps: O(buffers + steps x categories) */
function liveByCategory(stepCount: number, buffers: BufferColumns): StepBytes {
  const k = CATEGORIES.length;
  const fixed = new Float64Array((stepCount + 1) * k);
  const perSample = new Float64Array((stepCount + 1) * k);
  for (let b = 0; b < buffers.count; b++) {
    const from = buffers.liveFrom[b]!;
    if (from < 0) continue;
    const c = buffers.category[b]!;
    const end = (buffers.liveTo[b]! + 1) * k + c;
    fixed[from * k + c]! += buffers.fixed[b]!;
    fixed[end]! -= buffers.fixed[b]!;
    perSample[from * k + c]! += buffers.perSample[b]!;
    perSample[end]! -= buffers.perSample[b]!;
  }
  for (let i = k; i < stepCount * k; i++) {
    fixed[i]! += fixed[i - k]!;
    perSample[i]! += perSample[i - k]!;
  }
  return { fixed: fixed.subarray(0, stepCount * k), perSample: perSample.subarray(0, stepCount * k) };
}

function rowsOf(stepCount: number, byCategory: StepBytes): Record<Category, SymbolicBytes>[] {
  const k = CATEGORIES.length;
  const out: Record<Category, SymbolicBytes>[] = [];
  for (let s = 0; s < stepCount; s++) {
    const row = {} as Record<Category, SymbolicBytes>;
    CATEGORIES.forEach((c, i) => {
      row[c] = symbolic(byCategory.fixed[s * k + i]!, byCategory.perSample[s * k + i]!);
    });
    out.push(row);
  }
  return out;
}
