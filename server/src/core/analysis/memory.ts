// analyzeMemory: schedule -> liveness -> plan -> batch limits, in-place savings, checkpoint estimate
// and timeline for one model. A pure function of the graph (and its footprint, for the always-live
// state: weights, buffers, optimizer state and master weights).
import type { Graph, Mode, OpId, TensorId } from '../ir';
import { activationDType } from '../graphBuilder';
import { addBytes, atBatch, isSafeBytes, symbolic, ZERO_BYTES, type SymbolicBytes } from '../units';
import { maxBatchOfLines, searchMaxBatch, simdFill, type BatchLimit, type SimdFill } from './batch';
import { recomputeFraction, sqrtSegmentation } from './checkpoint';
import type { Footprint } from './footprint';
import { CATEGORIES, computeLiveness, inPlaceCandidate, requestsInPlace, type Category, type InPlaceDecision, type Liveness } from './liveness';
import { planBestFitInOrder, planColumns, type PlanStrategy } from './planner';
import { buildSchedule, type OpInfo, type Phase, type Schedule, type ValueKind } from './schedule';
import { buildTimeline, type TimelineRow } from './timeline';

export interface StepInfo {
  readonly index: number;
  readonly phase: Phase;
  readonly op?: OpId;
  readonly opName?: string;
  /** 0-based line of the statement the step comes from; null for the optimizer step */
  readonly line: number | null;
}

export interface BufferMemory {
  readonly id: number;
  readonly kind: ValueKind;
  readonly category: Category;
  /** the op that writes it (weight gradient: the op owning the weights) */
  readonly op: OpId;
  /** the tensor it holds or is the gradient of */
  readonly tensor?: TensorId;
  readonly bytes: SymbolicBytes;
  readonly liveFrom: number;
  readonly liveTo: number;
  /** offset in the planned arena at the configured batch */
  readonly offset: number;
}

export interface TensorMemory {
  readonly tensor: TensorId;
  readonly name: string;
  readonly bytes: SymbolicBytes;
  /** steps of its forward value: written at liveFrom, last read at liveTo (a backward step when saved) */
  readonly liveFrom: number;
  readonly liveTo: number;
  readonly liveFromLine: number | null;
  readonly liveToLine: number | null;
  readonly savedForBackward: boolean;
  /** recomputed during backward (checkpointed segment) */
  readonly recomputed: boolean;
  /** shares its input's buffer through a legal in-place op */
  readonly inPlace: boolean;
  readonly buffer: number | null;
  /** arena offset of its buffer at the configured batch; null when it never gets one */
  readonly offset: number | null;
}

export interface PeakStep {
  readonly index: number;
  readonly phase: Phase;
  readonly op?: OpId;
  readonly line: number | null;
  /** everything live there, always-live state included */
  readonly live: SymbolicBytes;
  /** buffers live there, largest first at the configured batch */
  readonly buffers: readonly number[];
}

export interface MemoryBytes {
  readonly weights: SymbolicBytes;
  readonly buffers: SymbolicBytes;
  /** optimizer state plus fp32 master weights (mixed precision) */
  readonly optimizer: SymbolicBytes;
  /** weights + buffers + optimizer: live for the whole run, outside the arena */
  readonly alwaysLive: SymbolicBytes;
  /** the largest workspace live at one step */
  readonly workspace: SymbolicBytes;
  /** the most saved-for-backward bytes live at one step (0 in infer mode) */
  readonly savedActivations: SymbolicBytes;
  /** every buffer its own storage for the whole run */
  readonly naive: SymbolicBytes;
  /** max over steps of live bytes, at the configured batch */
  readonly lowerBound: number;
  /** the peak step's live bytes as a function of N */
  readonly lowerBoundAffine: SymbolicBytes;
  /** always-live + planned arena, at the configured batch */
  readonly planned: number;
  /** planned / lowerBound - 1 */
  readonly fragmentation: number;
}

export interface InPlaceSaving {
  readonly op: OpId;
  readonly input: TensorId;
  readonly bytes: SymbolicBytes;
  /** how much the lower-bound peak drops at the configured batch if this op ran in place */
  readonly peakSaving: number;
}

export interface CheckpointEstimate {
  readonly segments: number;
  readonly opsPerSegment: number;
  readonly savedActivations: SymbolicBytes;
  readonly lowerBound: number;
  /** always-live + the best-fit-in-order arena (the estimate skips greedy by size) */
  readonly planned: number;
  /** recomputed output elements / forward output elements */
  readonly recomputeFraction: number;
}

export interface MemoryAnalysis {
  readonly mode: Mode;
  readonly batch: number;
  readonly lowering: 'im2col' | 'direct';
  readonly steps: readonly StepInfo[];
  readonly buffers: readonly BufferMemory[];
  readonly tensors: readonly TensorMemory[];
  /** live bytes at every step, always-live state included */
  readonly stepLive: readonly SymbolicBytes[];
  readonly bytes: MemoryBytes;
  readonly planStrategy: PlanStrategy;
  /** batches the planner ran at (configured, max-batch search, SIMD fill): the cost driver, for the bench */
  readonly planRuns: number;
  readonly peakStep: PeakStep | null;
  readonly maxBatch: { readonly planned: BatchLimit; readonly lowerBound: BatchLimit };
  readonly simd: SimdFill & { readonly planned: number | null; readonly fits: boolean | null };
  readonly inPlace: { readonly decisions: readonly InPlaceDecision[]; readonly savings: readonly InPlaceSaving[] };
  /** train mode only (undefined otherwise); a getter, computed on first read */
  readonly checkpoint?: CheckpointEstimate | undefined;
  /** a getter, computed on first read */
  readonly timeline: readonly TimelineRow[];
  /** some figure left the exactly-countable range (> 2^53) */
  readonly overflow: boolean;
}

export interface MemoryOptions {
  /** compute the sqrt(n) checkpoint estimate (train mode); default true */
  readonly checkpointEstimate?: boolean;
}

interface Core {
  readonly schedule: Schedule;
  readonly liveness: Liveness;
  readonly stepLive: SymbolicBytes[];
  readonly plannedAt: (batch: number) => { bytes: number; offsets: readonly number[]; strategy: PlanStrategy };
  /** distinct batches planned so far */
  readonly planRuns: () => number;
}

function runCore(graph: Graph, alwaysLive: SymbolicBytes, infos?: readonly OpInfo[], segments?: readonly (number | undefined)[]): Core {
  const schedule = buildSchedule(graph, infos, segments);
  const liveness = computeLiveness(graph, schedule);
  const stepLive: SymbolicBytes[] = [];
  for (let i = 0; i < schedule.steps.length; i++) {
    stepLive.push(symbolic(alwaysLive.fixed + liveness.totals.fixed[i]!, alwaysLive.perSample + liveness.totals.perSample[i]!));
  }
  const buffers = liveness.buffers;
  const starts = new Float64Array(buffers.length);
  const ends = new Float64Array(buffers.length);
  const fixed = new Float64Array(buffers.length);
  const perSample = new Float64Array(buffers.length);
  buffers.forEach((b, i) => {
    starts[i] = b.liveFrom;
    ends[i] = b.liveTo;
    fixed[i] = b.bytes.fixed;
    perSample[i] = b.bytes.perSample;
  });
  const cache = new Map<number, { bytes: number; offsets: readonly number[]; strategy: PlanStrategy }>();
  const plannedAt = (batch: number) => {
    const hit = cache.get(batch);
    if (hit) return hit;
    const sizes = new Float64Array(buffers.length);
    for (let i = 0; i < sizes.length; i++) sizes[i] = fixed[i]! + perSample[i]! * batch;
    const plan = planColumns({ starts, ends, sizes });
    const result = { bytes: plan.arena + atBatch(alwaysLive, batch), offsets: plan.offsets, strategy: plan.strategy };
    cache.set(batch, result);
    return result;
  };
  return { schedule, liveness, stepLive, plannedAt, planRuns: () => cache.size };
}

function peakIndex(lines: readonly SymbolicBytes[], batch: number): number {
  let best = -1;
  let value = -Infinity;
  lines.forEach((l, i) => {
    const v = atBatch(l, batch);
    if (v > value) {
      value = v;
      best = i;
    }
  });
  return best;
}

function maxOfCategory(liveness: Liveness, category: Category, batch: number): SymbolicBytes {
  const k = CATEGORIES.length;
  const c = CATEGORIES.indexOf(category);
  const { fixed, perSample } = liveness.byCategory;
  let best = -1;
  let value = 0;
  for (let i = c; i < fixed.length; i += k) {
    const v = fixed[i]! + perSample[i]! * batch;
    if (v > value) {
      value = v;
      best = i;
    }
  }
  return best < 0 ? ZERO_BYTES : symbolic(fixed[best]!, perSample[best]!);
}

/** the schedule and liveness behind an analysis, for what-if rules that reuse them (see engineOf) */
export interface Engine {
  readonly schedule: Schedule;
  readonly liveness: Liveness;
}

const engines = new WeakMap<MemoryAnalysis, Engine>();

/** the schedule and liveness an analysis was computed from; undefined for one built by hand */
export function engineOf(memory: MemoryAnalysis): Engine | undefined {
  return engines.get(memory);
}

export function analyzeMemory(graph: Graph, footprint: Footprint, options: MemoryOptions = {}): MemoryAnalysis {
  const config = graph.config;
  const batch = config.batch;
  const { weights, buffers: stateBuffers, optimizer } = footprint.bytes;
  const alwaysLive = [weights, stateBuffers, optimizer].reduce(addBytes, ZERO_BYTES);
  const core = runCore(graph, alwaysLive);
  const { schedule, liveness, stepLive } = core;
  const plan = core.plannedAt(batch);

  // object literals, not spreads: these run once per step and buffer on every keystroke
  const steps: StepInfo[] = schedule.steps.map((s) =>
    s.node
      ? { index: s.index, phase: s.phase, op: s.node.id, opName: s.node.op, line: s.node.statement.start.line }
      : { index: s.index, phase: s.phase, line: null },
  );
  const bufferList: BufferMemory[] = liveness.buffers.map((b) => {
    const root = schedule.values[b.values[0]!]!;
    const offset = plan.offsets[b.id]!;
    return root.tensor !== undefined
      ? { id: b.id, kind: root.kind, category: b.category, op: root.op, tensor: root.tensor, bytes: b.bytes, liveFrom: b.liveFrom, liveTo: b.liveTo, offset }
      : { id: b.id, kind: root.kind, category: b.category, op: root.op, bytes: b.bytes, liveFrom: b.liveFrom, liveTo: b.liveTo, offset };
  });

  const inPlaceOutputs = new Set<TensorId>();
  for (const d of liveness.inPlace) if (d.legal) inPlaceOutputs.add(graph.ops[d.op]!.output);
  const recomputedTensors = new Set<TensorId>();
  const savedRecomputed = new Set<TensorId>();
  for (const v of schedule.values) {
    if (v.kind !== 'recomputed' || v.tensor === undefined) continue;
    recomputedTensors.add(v.tensor);
    if (liveness.savedValues.has(v.id)) savedRecomputed.add(v.tensor);
  }
  const lineOf = (step: number): number | null => schedule.steps[step]?.node?.statement.start.line ?? null;
  const tensors: TensorMemory[] = graph.tensors.map((t) => {
    const v = schedule.activationOf[t.id]!;
    const buffer = liveness.bufferOf[v]!;
    const from = liveness.valueFrom[v]!;
    const to = liveness.valueTo[v]!;
    return {
      tensor: t.id,
      name: t.name,
      bytes: schedule.values[v]!.bytes,
      liveFrom: from,
      liveTo: to,
      liveFromLine: lineOf(from),
      liveToLine: lineOf(to),
      savedForBackward: liveness.savedValues.has(v) || savedRecomputed.has(t.id),
      recomputed: recomputedTensors.has(t.id),
      inPlace: inPlaceOutputs.has(t.id),
      buffer: buffer >= 0 ? buffer : null,
      offset: buffer >= 0 ? plan.offsets[buffer]! : null,
    };
  });

  const peak = peakIndex(stepLive, batch);
  const lowerBoundAffine = peak >= 0 ? stepLive[peak]! : alwaysLive;
  const lowerBound = atBatch(lowerBoundAffine, batch);
  const peakStep: PeakStep | null =
    peak < 0
      ? null
      : {
          index: peak,
          phase: schedule.steps[peak]!.phase,
          ...(schedule.steps[peak]!.node ? { op: schedule.steps[peak]!.node!.id } : {}),
          line: lineOf(peak),
          live: stepLive[peak]!,
          buffers: buffersAt(liveness, peak, batch),
        };

  const naiveBuffers = naiveBytes(graph, schedule, liveness);
  const bytes: MemoryBytes = {
    weights,
    buffers: stateBuffers,
    optimizer,
    alwaysLive,
    workspace: maxOfCategory(liveness, 'workspace', batch),
    savedActivations: maxOfCategory(liveness, 'savedActivations', batch),
    naive: addBytes(alwaysLive, naiveBuffers),
    lowerBound,
    lowerBoundAffine,
    planned: plan.bytes,
    fragmentation: lowerBound > 0 ? plan.bytes / lowerBound - 1 : 0,
  };

  // batch limits: exact for the lower bound, verified search for the planner
  const budget = config.device.memoryBytes;
  const lbLimit = maxBatchOfLines(stepLive.length > 0 ? stepLive : [alwaysLive], budget);
  const fits = (n: number): boolean => core.plannedAt(n).bytes <= budget;
  // the planner's limit needs two or three more plans: computed on first read (code lens, hovers,
  // an over-budget finding), not for every keystroke's diagnostics
  let plannedLimit: BatchLimit | undefined;
  const plannedBatchLimit = (): BatchLimit => {
    if (plannedLimit) return plannedLimit;
    if (lbLimit.batch === null) {
      plannedLimit = lbLimit.reason === 'unbounded' && !fits(1) ? { batch: null, reason: 'none-fits' } : lbLimit;
    } else if (fits(lbLimit.batch)) {
      plannedLimit = lbLimit; // the lower bound already fails at N + 1
    } else {
      // guess from the fragmentation at the lower bound's limit, then gallop to a verified boundary
      const at = lbLimit.batch;
      let lbAt = -Infinity;
      for (const l of stepLive) lbAt = Math.max(lbAt, atBatch(l, at));
      const ratio = core.plannedAt(at).bytes / lbAt;
      const guess = maxBatchOfLines(stepLive.map((l) => symbolic(l.fixed * ratio, l.perSample * ratio)), budget).batch ?? 1;
      const found = searchMaxBatch(fits, at - 1, guess);
      plannedLimit = found === null ? { batch: null, reason: 'none-fits' } : { batch: found };
    }
    return plannedLimit;
  };

  const lanes = simdFill(config.device, activationDType(config));
  // another plan unless the lanes' batch is the configured one: computed on first read (hover, SIMD rules)
  const simdPlanned = (): number | null => (lanes.batch === null ? null : core.plannedAt(lanes.batch).bytes);

  const overflow =
    footprint.overflow ||
    !stepLive.every(isSafeBytes) ||
    !Number.isSafeInteger(plan.bytes) ||
    !Number.isSafeInteger(atBatch(bytes.naive, batch));

  // the checkpoint estimate (a second schedule) and the timeline are computed on first read: the
  // keystroke path (diagnostics, code lens) never reads them; hovers, the CLI and JSON.stringify do
  const wantsCheckpoint = config.mode === 'train' && options.checkpointEstimate !== false && schedule.backwardStart >= 0;
  let timeline: TimelineRow[] | undefined;
  let checkpoint: CheckpointEstimate | undefined;
  const analysis: MemoryAnalysis = {
    mode: config.mode,
    batch,
    lowering: schedule.lowering,
    steps,
    buffers: bufferList,
    tensors,
    stepLive,
    bytes,
    planStrategy: plan.strategy,
    get planRuns(): number {
      return core.planRuns();
    },
    peakStep,
    maxBatch: {
      lowerBound: lbLimit,
      get planned(): BatchLimit {
        return plannedBatchLimit();
      },
    },
    simd: {
      ...lanes,
      get planned(): number | null {
        return simdPlanned();
      },
      get fits(): boolean | null {
        const planned = simdPlanned();
        return planned === null ? null : planned <= budget;
      },
    },
    inPlace: { decisions: liveness.inPlace, savings: inPlaceSavings(graph, schedule, liveness, stepLive, batch) },
    get checkpoint(): CheckpointEstimate | undefined {
      if (wantsCheckpoint) checkpoint ??= checkpointEstimate(graph, alwaysLive, batch, schedule.opInfo);
      return checkpoint;
    },
    get timeline(): readonly TimelineRow[] {
      timeline ??= buildTimeline(schedule.steps, liveness.perStep, { weights, buffers: stateBuffers, optimizer }, batch);
      return timeline;
    },
    overflow,
  };
  engines.set(analysis, { schedule, liveness });
  return analysis;
}

/** buffers live at `step` with bytes at the batch, largest first (ties: lower id) */
function buffersAt(liveness: Liveness, step: number, batch: number): number[] {
  const ids: number[] = [];
  const size: number[] = [];
  for (const b of liveness.buffers) {
    const bytes = atBatch(b.bytes, batch);
    size.push(bytes);
    if (b.liveFrom <= step && step <= b.liveTo && bytes > 0) ids.push(b.id);
  }
  return ids.sort((a, b) => size[b]! - size[a]! || a - b);
}

/** no reuse: every buffer that views do not share gets its own storage for the whole run */
function naiveBytes(graph: Graph, schedule: Schedule, liveness: Liveness): SymbolicBytes {
  // summed in the same order as addBytes would, without an object per buffer
  let fixed = ZERO_BYTES.fixed;
  let perSample = ZERO_BYTES.perSample;
  for (const b of liveness.buffers) {
    fixed += b.bytes.fixed;
    perSample += b.bytes.perSample;
  }
  // a legal in-place output shares its input's buffer at runtime; with no reuse it has its own
  for (const d of liveness.inPlace) {
    if (!d.legal) continue;
    const bytes = schedule.values[schedule.activationOf[graph.ops[d.op]!.output]!]!.bytes;
    fixed += bytes.fixed;
    perSample += bytes.perSample;
  }
  return symbolic(fixed, perSample);
}

/** for each op that could legally run in place but does not: the lower-bound peak drop if it did */
function inPlaceSavings(graph: Graph, schedule: Schedule, liveness: Liveness, stepLive: readonly SymbolicBytes[], batch: number): InPlaceSaving[] {
  if (stepLive.length === 0) return [];
  // the largest and second-largest step at the batch: merging input and output only changes the op's own step
  let first = -1;
  let second = -1;
  stepLive.forEach((l, i) => {
    const v = atBatch(l, batch);
    if (first < 0 || v > atBatch(stepLive[first]!, batch)) {
      second = first;
      first = i;
    } else if (second < 0 || v > atBatch(stepLive[second]!, batch)) second = i;
  });
  const peak = atBatch(stepLive[first]!, batch);
  const bufferEnd = (v: number): number => liveness.buffers[liveness.bufferOf[v]!]?.liveTo ?? -1;
  const out: InPlaceSaving[] = [];
  for (let i = 0; i < graph.ops.length; i++) {
    const op = graph.ops[i]!;
    const spec = schedule.opInfo[i]!.spec;
    if (!spec || spec.inPlace === 'never' || requestsInPlace(op)) continue;
    const c = inPlaceCandidate(graph, schedule, i, bufferEnd);
    if ('reason' in c) continue;
    const size = schedule.values[schedule.activationOf[op.output]!]!.bytes;
    const others = i === first ? (second >= 0 ? atBatch(stepLive[second]!, batch) : 0) : peak;
    const after = Math.max(others, atBatch(stepLive[i]!, batch) - atBatch(size, batch));
    out.push({ op: op.id, input: c.input, bytes: size, peakSaving: peak - after });
  }
  return out;
}

function checkpointEstimate(graph: Graph, alwaysLive: SymbolicBytes, batch: number, infos: readonly OpInfo[]): CheckpointEstimate {
  const seg = sqrtSegmentation(graph);
  const core = runCore(graph, alwaysLive, infos, seg.segmentOf);
  const peak = peakIndex(core.stepLive, batch);
  return {
    segments: seg.segments,
    opsPerSegment: seg.opsPerSegment,
    savedActivations: maxOfCategory(core.liveness, 'savedActivations', batch),
    lowerBound: peak >= 0 ? atBatch(core.stepLive[peak]!, batch) : atBatch(alwaysLive, batch),
    // an estimate: the O(n log n) planner alone keeps it cheap enough for every keystroke
    planned: planBestFitInOrder(core.liveness.buffers.map((b) => ({ start: b.liveFrom, end: b.liveTo, size: atBatch(b.bytes, batch) }))).arena + atBatch(alwaysLive, batch),
    recomputeFraction: recomputeFraction(graph, core.schedule),
  };
}
