// Liveness over the schedule: the interval of every value (first write .. last read), buffers
// (values that share storage: views, legal in-place outputs), in-place legality, and the exact
// bytes live at every step as fixed + perSample x N, split by category.
import type { Graph, OpId, TensorId } from '../ir';
import { symbolic, type SymbolicBytes } from '../units';
import type { Schedule, ValueKind } from './schedule';

export type Category =
  | 'weights'
  | 'buffers'
  | 'optimizer'
  | 'activations' // forward outputs not kept for backward
  | 'savedActivations'
  | 'activationGradients'
  | 'weightGradients'
  | 'workspace';

export const CATEGORIES: readonly Category[] = [
  'weights',
  'buffers',
  'optimizer',
  'activations',
  'savedActivations',
  'activationGradients',
  'weightGradients',
  'workspace',
];

/** storage shared by one or more values; the unit the planner places */
export interface Buffer {
  readonly id: number;
  readonly values: readonly number[];
  readonly bytes: SymbolicBytes;
  readonly liveFrom: number;
  readonly liveTo: number;
  readonly category: Category;
}

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
  readonly valueFrom: ArrayLike<number>;
  readonly valueTo: ArrayLike<number>;
  /** buffer id of each value (-1: never written) */
  readonly bufferOf: ArrayLike<number>;
  readonly buffers: readonly Buffer[];
  /** value ids read by some backward step */
  readonly savedValues: { has(value: number): boolean };
  /** in-place requests, legal or not, in program order */
  readonly inPlace: readonly InPlaceDecision[];
  /** bytes live at each step, planned buffers only (always-live state excluded), by category (a getter: built on first read) */
  readonly perStep: readonly Readonly<Record<Category, SymbolicBytes>>[];
  /** the same figures packed: index step * CATEGORIES.length + category index */
  readonly byCategory: StepBytes;
  /** planned buffers live at each step, all categories: index step */
  readonly totals: StepBytes;
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

export function computeLiveness(graph: Graph, schedule: Schedule): Liveness {
  const n = schedule.values.length;
  // typed arrays and flags, not Sets and Maps: this runs over every value on every keystroke
  const from = new Int32Array(n).fill(-1);
  const to = new Int32Array(n).fill(-1);
  const savedFlag = new Uint8Array(n);
  const saved = { has: (v: number): boolean => savedFlag[v] === 1 };
  const touch = (v: number, s: number): void => {
    if (from[v]! < 0 || s < from[v]!) from[v] = s;
    if (s > to[v]!) to[v] = s;
  };
  for (const step of schedule.steps) {
    const index = step.index;
    for (const v of step.writes) touch(v, index);
    const backward = step.phase === 'backward';
    for (const v of step.reads) {
      touch(v, index);
      if (backward) savedFlag[v] = 1;
    }
    if (step.lossReads) for (const v of step.lossReads) touch(v, index);
  }
  // the caller keeps the model outputs until the forward pass ends
  for (const t of graph.outputs) {
    const v = schedule.activationOf[t]!;
    if (from[v]! >= 0) touch(v, schedule.forwardEnd);
  }

  const uf = new UnionFind(n);
  const bufFrom = Int32Array.from(from);
  const bufTo = Int32Array.from(to);
  const join = (a: number, b: number): void => {
    const ra = uf.find(a);
    const rb = uf.find(b);
    if (ra === rb) return;
    uf.union(ra, rb);
    bufFrom[ra] = minLive(bufFrom[ra]!, bufFrom[rb]!);
    bufTo[ra] = Math.max(bufTo[ra]!, bufTo[rb]!);
  };
  // views share their source's buffer: join into the source so the buffer keeps its identity
  for (const [view, source] of schedule.views) join(source, view);

  const inPlace = decideInPlace(graph, schedule, uf, bufTo, join);

  const rootToBuffer = new Int32Array(n).fill(-1);
  const members: number[][] = [];
  const bufferOf = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (from[v]! < 0) continue;
    const r = uf.find(v);
    let b = rootToBuffer[r]!;
    if (b < 0) {
      b = members.length;
      rootToBuffer[r] = b;
      members.push([]);
    }
    members[b]!.push(v);
    bufferOf[v] = b;
  }
  const buffers: Buffer[] = members.map((vs, id) => {
    const root = uf.find(vs[0]!);
    let bytes = schedule.values[vs[0]!]!.bytes;
    for (const v of vs) {
      const b = schedule.values[v]!.bytes;
      if (b.perSample > bytes.perSample || (b.perSample === bytes.perSample && b.fixed > bytes.fixed)) bytes = b;
    }
    const kind = schedule.values[root]!.kind;
    let category = CATEGORY_OF_KIND[kind];
    if (category === 'activations' && vs.some((v) => saved.has(v))) category = 'savedActivations';
    return { id, values: vs, bytes, liveFrom: bufFrom[root]!, liveTo: bufTo[root]!, category };
  });

  const stepCount = schedule.steps.length;
  const { byCategory, totals } = liveByStep(stepCount, buffers);
  let perStep: Record<Category, SymbolicBytes>[] | undefined;
  return {
    valueFrom: from,
    valueTo: to,
    bufferOf,
    buffers,
    savedValues: saved,
    inPlace,
    byCategory,
    totals,
    get perStep(): readonly Readonly<Record<Category, SymbolicBytes>>[] {
      perStep ??= rowsOf(stepCount, byCategory);
      return perStep;
    },
  };
}

function minLive(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function sameStorage(graph: Graph, a: TensorId, b: TensorId): boolean {
  const x = graph.tensors[a]!;
  const y = graph.tensors[b]!;
  return x.elementsPerSample === y.elementsPerSample && x.dtype === y.dtype;
}

function describe(graph: Graph, t: TensorId): string {
  return `'${graph.tensors[t]!.name}'`;
}

const NONE: readonly number[] = [];

/** which input of `op` its output could overwrite, or why none can */
export function inPlaceCandidate(
  graph: Graph,
  schedule: Schedule,
  opIndex: number,
  bufferEnd: (v: number) => number,
): { input: TensorId } | { input?: TensorId; reason: string } {
  const op = graph.ops[opIndex]!;
  const { spec, saved } = schedule.opInfo[opIndex]!;
  if (!spec || !saved || spec.inPlace === 'never' || op.inputs.length === 0) {
    return { reason: `${op.op} cannot write its output over its input` };
  }
  const training = graph.config.mode === 'train';
  if (spec.inPlace === 'inferOnly' && training) {
    return { input: op.inputs[0], reason: `${op.op}'s backward needs its input, so it can run in place only in infer mode` };
  }
  if (training) {
    if (saved.inputs.includes(0) && op.inputs.length === 1) {
      return { input: op.inputs[0], reason: `${op.op}'s backward reads its input ${describe(graph, op.inputs[0]!)}, which an in-place write would destroy` };
    }
  }
  const step = opIndex; // forward step index = op index
  const keptForBackward = training ? saved.inputs : NONE;
  // add / mul / average: any operand that dies here (elementwise ops are single-input otherwise)
  const operands = spec.family === 'activation' || spec.family === 'norm' ? [0] : op.inputs.map((_, i) => i);
  let firstReason: string | undefined;
  for (const i of operands) {
    const t = op.inputs[i]!;
    if (!sameStorage(graph, t, op.output)) {
      firstReason ??= `${describe(graph, t)} and the output differ in size or dtype`;
      continue;
    }
    if (keptForBackward.includes(i)) {
      firstReason ??= `${op.op}'s backward reads ${describe(graph, t)}`;
      continue;
    }
    if (graph.outputs.includes(t)) {
      firstReason ??= `${describe(graph, t)} is a model output`;
      continue;
    }
    const end = bufferEnd(schedule.activationOf[t]!);
    if (end > step) {
      const reader = schedule.steps[end]!;
      const where = reader.node ? ` (line ${reader.node.statement.start.line + 1}, ${reader.phase})` : '';
      firstReason ??= `${describe(graph, t)} is read again later${where}`;
      continue;
    }
    return { input: t };
  }
  return { input: op.inputs[operands[0]!], reason: firstReason ?? `${op.op} has no operand it can overwrite` };
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
  for (let i = 0; i < graph.ops.length; i++) {
    const op = graph.ops[i]!;
    if (!requestsInPlace(op)) continue;
    const c = inPlaceCandidate(graph, schedule, i, bufferEnd);
    if ('reason' in c) {
      out.push({ op: op.id, legal: false, reason: c.reason, ...(c.input !== undefined ? { input: c.input } : {}) });
      continue;
    }
    join(schedule.activationOf[c.input]!, schedule.activationOf[op.output]!);
    out.push({ op: op.id, input: c.input, legal: true });
  }
  return out;
}

export function requestsInPlace(op: { inPlace: boolean; attrs: Readonly<Record<string, unknown>> }): boolean {
  return op.inPlace || op.attrs['inplace'] === true;
}

/** difference arrays over the steps: O(buffers + steps x categories) */
function liveByStep(stepCount: number, buffers: readonly Buffer[]): { byCategory: StepBytes; totals: StepBytes } {
  const k = CATEGORIES.length;
  const fixed = new Float64Array((stepCount + 1) * k);
  const perSample = new Float64Array((stepCount + 1) * k);
  const index = new Map<Category, number>(CATEGORIES.map((c, i) => [c, i]));
  for (const b of buffers) {
    if (b.liveFrom < 0) continue;
    const c = index.get(b.category)!;
    fixed[b.liveFrom * k + c]! += b.bytes.fixed;
    fixed[(b.liveTo + 1) * k + c]! -= b.bytes.fixed;
    perSample[b.liveFrom * k + c]! += b.bytes.perSample;
    perSample[(b.liveTo + 1) * k + c]! -= b.bytes.perSample;
  }
  const totals: StepBytes = { fixed: new Float64Array(stepCount), perSample: new Float64Array(stepCount) };
  for (let s = 0; s < stepCount; s++) {
    let tf = 0;
    let tp = 0;
    for (let c = 0; c < k; c++) {
      const i = s * k + c;
      if (s > 0) {
        fixed[i]! += fixed[i - k]!;
        perSample[i]! += perSample[i - k]!;
      }
      tf += fixed[i]!;
      tp += perSample[i]!;
    }
    totals.fixed[s] = tf;
    totals.perSample[s] = tp;
  }
  return { byCategory: { fixed: fixed.subarray(0, stepCount * k), perSample: perSample.subarray(0, stepCount * k) }, totals };
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
