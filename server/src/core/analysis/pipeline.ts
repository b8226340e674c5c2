// Pipeline parallelism: the ops split into P contiguous stages, one per device, run under the
// 1F1B schedule (Narayanan et al. 2021, PipeDream-Flush): stage k holds the saved activations of
// min(P - k, M) micro-batches in flight, so the first stage holds the most. What a stage holds of
// one micro-batch is read from the liveness of the whole step, restricted to the stage's steps
// and to the buffers its ops write or read; with tensor parallelism each buffer at its 1/T share.
import type { Graph, ParamCount } from '../ir';
import { graphColumns } from '../graphColumns';
import { CATEGORIES, type Liveness } from './liveness';
import { PHASES, type Schedule } from './schedule';
import { REPLICATED, rankParamsOfOp, sequenceBuffers, valueDivisors, type SequenceBuffers, type TensorSplit } from './tensorParallel';
import { symbolic, type SymbolicBytes } from '../units';
import type { KvCache } from './kvCache';

export interface PipelineStages {
  readonly count: number;
  /** per op: its stage */
  readonly stageOfOp: Int32Array;
}

/** one top-level statement or one iteration of a top-level repeat / block call: what a stage boundary may not cut */
function unitKey(graph: Graph, op: number): string {
  const node = graph.ops[op]!;
  const frame = node.callStack[0];
  const at = frame ? frame.site.start : node.statement.start;
  return `${at.line}:${at.character}#${frame?.iteration ?? ''}`;
}

/**
 * P contiguous stages: stage k ends at the boundary between units (top-level statements, repeat
 * iterations) where the running parameter count comes closest to (k + 1) / P of the total, every
 * stage keeping at least one unit (ties: the earlier boundary). A model without parameters is
 * balanced by op count instead.
 */
export function pipelineStagesOf(graph: Graph, count: number): PipelineStages | { readonly error: string } {
  const c = graphColumns(graph);
  const unitEnd: number[] = [];
  const unitWeight: number[] = [];
  let totalParams = 0;
  for (let op = 0; op < c.opCount; op++) {
    const params = c.opTrainable[op]! + c.opNonTrainable[op]!;
    totalParams += params;
    if (op === 0 || unitKey(graph, op) !== unitKey(graph, op - 1)) {
      unitEnd.push(op);
      unitWeight.push(params);
    } else {
      unitEnd[unitEnd.length - 1] = op;
      unitWeight[unitWeight.length - 1]! += params;
    }
  }
  const units = unitEnd.length;
  if (units < count) return { error: `pipeline ${count} needs at least ${count} top-level layers (statements or repeat iterations); the model has ${units}` };
  const weights = totalParams > 0 ? unitWeight : unitEnd.map((end, i) => end - (i === 0 ? -1 : unitEnd[i - 1]!));
  const cumulative: number[] = [];
  weights.reduce((sum, w, i) => (cumulative[i] = sum + w), 0);
  const total = cumulative[units - 1]!;
  const stageOfOp = new Int32Array(c.opCount);
  let first = 0; // first unit of the current stage
  for (let k = 0; k < count; k++) {
    let last = units - 1;
    if (k < count - 1) {
      const target = ((k + 1) * total) / count;
      last = first;
      // leave one unit for each later stage
      for (let u = first + 1; u <= units - (count - k); u++) if (Math.abs(cumulative[u]! - target) < Math.abs(cumulative[last]! - target)) last = u;
    }
    const fromOp = first === 0 ? 0 : unitEnd[first - 1]! + 1;
    for (let op = fromOp; op <= unitEnd[last]!; op++) stageOfOp[op] = k;
    first = last + 1;
  }
  return { count, stageOfOp };
}

/** live non-state bytes at one step, affine in the micro-batch (perDevice.ts's StepTransient; not imported: perDevice imports this file) */
export interface StageStep {
  readonly activations: SymbolicBytes;
  readonly workspace: SymbolicBytes;
}

/** what one device of a stage holds, before the micro-batch is chosen */
export interface StageFigures {
  readonly stage: number;
  /** parameters on the device (its 1/T share of the split ops) */
  readonly params: ParamCount;
  /** micro-batches whose activations the stage holds at once under 1F1B */
  readonly inFlight: number;
  /** the saved activations one micro-batch leaves on the stage after its forward, per device */
  readonly stash: SymbolicBytes;
  /** live bytes at each of the stage's steps: one micro-batch's plus the stash of the other in-flight ones */
  readonly steps: readonly StageStep[];
  readonly kvCachePerSample: number;
}

const ACTIVATION_CATEGORIES = new Set([CATEGORIES.indexOf('activations'), CATEGORIES.indexOf('savedActivations'), CATEGORIES.indexOf('activationGradients')]);
const SAVED = CATEGORIES.indexOf('savedActivations');
const WORKSPACE = CATEGORIES.indexOf('workspace');
const BACKWARD = PHASES.indexOf('backward');
const RECOMPUTE = PHASES.indexOf('recompute');
const OPTIMIZER = PHASES.indexOf('optimizer');

/** each buffer's bytes on one device: the largest of its values at its 1/T share (liveness's rule) */
function deviceBufferBytes(graph: Graph, schedule: Schedule, liveness: Liveness, split: TensorSplit | undefined): { fixed: Float64Array; perSample: Float64Array } {
  const cols = liveness.bufferColumns;
  if (!split || split.degree === 1) return { fixed: cols.fixed, perSample: cols.perSample };
  const divisor = valueDivisors(graph, schedule, split);
  const fixed = new Float64Array(cols.count);
  const perSample = new Float64Array(cols.count);
  for (let b = 0; b < cols.count; b++) {
    for (let k = cols.valueStart[b]!; k < cols.valueStart[b + 1]!; k++) {
      const v = cols.values[k]!;
      // the largest share: exact where T divides, as tensorSplitOf checks for the split widths
      const f = Math.ceil(schedule.valueFixed[v]! / divisor[v]!);
      const p = Math.ceil(schedule.valuePerSample[v]! / divisor[v]!);
      if (k === cols.valueStart[b] || p > perSample[b]! || (p === perSample[b] && f > fixed[b]!)) {
        fixed[b] = f;
        perSample[b] = p;
      }
    }
  }
  return { fixed, perSample };
}

/** the stages a buffer's values are written or read in (a tensor crossing stages is relayed by those between), and read in by backward */
function bufferStages(schedule: Schedule, liveness: Liveness, stages: PipelineStages): { lo: Int32Array; hi: Int32Array; backLo: Int32Array; backHi: Int32Array } {
  const n = liveness.bufferColumns.count;
  const lo = new Int32Array(n).fill(stages.count);
  const hi = new Int32Array(n).fill(-1);
  const backLo = new Int32Array(n).fill(stages.count);
  const backHi = new Int32Array(n).fill(-1);
  const mark = (v: number, k: number, backward: boolean): void => {
    const b = liveness.bufferOf[v]!;
    if (b < 0) return;
    lo[b] = Math.min(lo[b]!, k);
    hi[b] = Math.max(hi[b]!, k);
    if (!backward) return;
    backLo[b] = Math.min(backLo[b]!, k);
    backHi[b] = Math.max(backHi[b]!, k);
  };
  for (let s = 0; s < schedule.stepCount; s++) {
    const op = schedule.stepOp[s]!;
    if (op < 0) continue;
    const k = stages.stageOfOp[op]!;
    const phase = schedule.stepPhase[s]!;
    for (let i = schedule.writeStart[s]!; i < schedule.writeStart[s + 1]!; i++) mark(schedule.writes[i]!, k, false);
    for (let i = schedule.readStart[s]!; i < schedule.readStart[s + 1]!; i++) mark(schedule.reads[i]!, k, phase === BACKWARD || phase === RECOMPUTE);
  }
  return { lo, hi, backLo, backHi };
}

/** the parameters each stage's ops keep on one tensor-parallel device, one pass over the ops */
function stageParams(graph: Graph, stages: PipelineStages, split: TensorSplit | undefined): ParamCount[] {
  const c = graphColumns(graph);
  const out = Array.from({ length: stages.count }, () => ({ trainable: 0, nonTrainable: 0 }));
  for (let op = 0; op < c.opCount; op++) {
    const stage = out[stages.stageOfOp[op]!]!;
    stage.nonTrainable += c.opNonTrainable[op]!;
    const whole = c.opTrainable[op]!;
    const isSplit = split && split.role[op] !== REPLICATED && c.opSharesParams[op] !== 1;
    stage.trainable += isSplit ? whole - (graph.ops[op]!.params.trainable - rankParamsOfOp(graph, split, op)) : whole;
  }
  return out;
}

/** CSR lists: items[start[k] .. start[k + 1]) for k < count */
interface Lists {
  readonly start: Int32Array;
  readonly items: Int32Array;
}

/** each stage's steps in order: its ops' steps and the steps of no op (the optimizer step), which every stage runs */
function stepsByStage(schedule: Schedule, stages: PipelineStages): Lists {
  const stageOf = (s: number): number => {
    const op = schedule.stepOp[s]!;
    return op >= 0 ? stages.stageOfOp[op]! : -1;
  };
  return lists(stages.count, schedule.stepCount, (s, add) => {
    const k = stageOf(s);
    if (k >= 0) add(k);
    else for (let all = 0; all < stages.count; all++) add(all);
  });
}

/** the buffers of each stage: those whose stage range holds it */
function buffersByStage(count: number, where: { lo: Int32Array; hi: Int32Array }, bufferCount: number): Lists {
  return lists(count, bufferCount, (b, add) => {
    for (let k = where.lo[b]!; k <= where.hi[b]!; k++) add(k);
  });
}

/** items 0 .. n - 1 into `count` lists, in item order (two passes: count, then fill) */
function lists(count: number, n: number, each: (item: number, add: (list: number) => void) => void): Lists {
  const start = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) each(i, (k) => start[k + 1]!++);
  for (let k = 0; k < count; k++) start[k + 1]! += start[k]!;
  const fill = start.slice(0, count);
  const items = new Int32Array(start[count]!);
  for (let i = 0; i < n; i++) each(i, (k) => (items[fill[k]!++] = i));
  return { start, items };
}

/**
 * the largest input a stage's column-parallel ops gather: Megatron keeps that buffer from step to
 * step (its global memory buffer), so it is held at every step of the stage
 */
function gatherBuffer(g: SequenceBuffers, steps: Lists, first: number, end: number, schedule: Schedule): { fixed: number; perSample: number } {
  let kept = { fixed: 0, perSample: 0 };
  for (let i = first; i < end; i++) {
    const op = schedule.stepOp[steps.items[i]!]!;
    if (op < 0) continue;
    const f = g.gatheredFixed[op]!;
    const p = g.gatheredPerSample[op]!;
    if (p > kept.perSample || (p === kept.perSample && f > kept.fixed)) kept = { fixed: f, perSample: p };
  }
  return kept;
}

/** the first index in sorted[from .. to) whose value is >= x */
function lowerBound(sorted: Int32Array, from: number, to: number, x: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Every stage's figures on one of its devices, under `microbatches` micro-batches per step. Each
 * stage sees only its own steps and buffers: O(buffers x the stages each spans x log steps + steps).
 */
export function stageFigures(
  graph: Graph,
  schedule: Schedule,
  liveness: Liveness,
  stages: PipelineStages,
  split: TensorSplit | undefined,
  microbatches: number,
  kvCache: KvCache,
): StageFigures[] {
  const cols = liveness.bufferColumns;
  const bytes = deviceBufferBytes(graph, schedule, liveness, split);
  const where = bufferStages(schedule, liveness, stages);
  const stepLists = stepsByStage(schedule, stages);
  const bufferLists = buffersByStage(stages.count, where, cols.count);
  const params = stageParams(graph, stages, split);
  const gather = split ? sequenceBuffers(graph, schedule, split) : undefined;
  const degree = split?.degree ?? 1;
  const kvCachePerSample = new Array<number>(stages.count).fill(0);
  for (const layer of kvCache.layers) kvCachePerSample[stages.stageOfOp[layer.op]!]! += Math.ceil(layer.bytesPerSample / degree);
  // the forward step of an op is its id: a stage's last forward step is its last op
  const lastForward = new Int32Array(stages.count).fill(-1);
  for (let op = 0; op < stages.stageOfOp.length; op++) lastForward[stages.stageOfOp[op]!] = op;
  const out: StageFigures[] = [];
  for (let k = 0; k < stages.count; k++) {
    const first = stepLists.start[k]!;
    const end = stepLists.start[k + 1]!;
    const n = end - first;
    // difference arrays over the stage's own steps
    const act = { fixed: new Float64Array(n + 1), perSample: new Float64Array(n + 1) };
    const ws = { fixed: new Float64Array(n + 1), perSample: new Float64Array(n + 1) };
    let stashFixed = 0;
    let stashPerSample = 0;
    for (let i = bufferLists.start[k]!; i < bufferLists.start[k + 1]!; i++) {
      const b = bufferLists.items[i]!;
      const from = cols.liveFrom[b]!;
      const category = cols.category[b]!;
      const into = category === WORKSPACE ? ws : ACTIVATION_CATEGORIES.has(category) ? act : undefined;
      if (from < 0 || !into) continue;
      const to = cols.liveTo[b]!;
      const i0 = lowerBound(stepLists.items, first, end, from) - first;
      const i1 = lowerBound(stepLists.items, first, end, to + 1) - first;
      into.fixed[i0]! += bytes.fixed[b]!;
      into.fixed[i1]! -= bytes.fixed[b]!;
      into.perSample[i0]! += bytes.perSample[b]!;
      into.perSample[i1]! -= bytes.perSample[b]!;
      // kept past the stage's forward for the stage's own backward
      if (category === SAVED && where.backLo[b]! <= k && k <= where.backHi[b]! && from <= lastForward[k]! && to > lastForward[k]!) {
        stashFixed += bytes.fixed[b]!;
        stashPerSample += bytes.perSample[b]!;
      }
    }
    const inFlight = Math.min(stages.count - k, microbatches);
    const others = inFlight - 1;
    const kept = gather ? gatherBuffer(gather, stepLists, first, end, schedule) : undefined;
    const steps: StageStep[] = [];
    let a = { fixed: 0, perSample: 0 };
    let w = { fixed: 0, perSample: 0 };
    for (let i = 0; i < n; i++) {
      a = { fixed: a.fixed + act.fixed[i]!, perSample: a.perSample + act.perSample[i]! };
      w = { fixed: w.fixed + ws.fixed[i]!, perSample: w.perSample + ws.perSample[i]! };
      let wf = w.fixed;
      let wp = w.perSample;
      if (gather && kept) {
        // the kept gather buffer at every step; a row dense's whole output at its own steps
        wf += kept.fixed;
        wp += kept.perSample;
        const op = schedule.stepOp[stepLists.items[first + i]!]!;
        const phase = schedule.stepPhase[stepLists.items[first + i]!]!;
        if (op >= 0 && phase !== OPTIMIZER) {
          wf += gather.rowFixed[op]!;
          wp += gather.rowPerSample[op]!;
        }
      }
      steps.push({ activations: symbolic(a.fixed + others * stashFixed, a.perSample + others * stashPerSample), workspace: symbolic(wf, wp) });
    }
    out.push({ stage: k, params: params[k]!, inFlight, stash: symbolic(stashFixed, stashPerSample), steps, kvCachePerSample: kvCachePerSample[k]! });
  }
  return out;
}
