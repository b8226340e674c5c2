// analyzeMemory: schedule -> liveness -> plan -> batch limits, in-place savings, checkpoint estimate
// and timeline for one model. A pure function of the graph (and its footprint, for the always-live
// state: weights, buffers, optimizer state and master weights).
import type { Graph, Mode, OpId, TensorId } from '../ir';
import { activationDType } from '../graphBuilder';
import { addBytes, atBatch, symbolic, ZERO_BYTES, type SymbolicBytes } from '../units';
import { maxBatchOfColumns, searchMaxBatch, simdFill, type BatchLimit, type SimdFill } from './batch';
import { recomputeCost, recomputeFraction, sqrtSegmentation, type RecomputeCost } from './checkpoint';
import { graphColumns } from '../graphColumns';
import type { Footprint } from './footprint';
import { CATEGORIES, categoryPeak, computeLiveness, inPlaceCandidate, type BufferColumns, type Category, type InPlaceDecision, type Liveness } from './liveness';
import { arenaFits, arenaWithSameDecisions, planBestFitInOrderColumns, planColumns, type Plan, type PlanCache, type PlanStrategy } from './planner';
import { buildSchedule, phaseOf, stepNode, valueBytes, valueKindOf, VALUE_KINDS, type OpInfo, type Phase, type Schedule, type ValueKind } from './schedule';
import { buildTimeline, type TimelineRow } from './timeline';
import { IntColumn } from '../columns';
import { withGetters } from '../getters';
import { FRAMEWORK_PROFILES, type ExpectedPeakResult } from './framework';
import { Attachment } from '../attach';

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
  /** offset in the planned arena at the configured batch (a getter: the plan runs on first read) */
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
  /** buffers live there, largest first at the configured batch (a getter) */
  readonly buffers: readonly number[];
}

export interface MemoryBytes {
  readonly weights: SymbolicBytes;
  readonly buffers: SymbolicBytes;
  /** optimizer state plus fp32 master weights (mixed precision) */
  readonly optimizer: SymbolicBytes;
  /** generate mode's KV cache (0 in the other modes) */
  readonly kvCache: SymbolicBytes;
  /** weights + buffers + optimizer + KV cache: live for the whole run, outside the arena */
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
  /** always-live + planned arena, at the configured batch (a getter: the plan runs on first read) */
  readonly planned: number;
  /** planned / lowerBound - 1 (a getter) */
  readonly fragmentation: number;
  /**
   * what the configured framework's allocator will hold at its peak, weights and buffers included,
   * at the configured batch (a getter; null where the framework's profile does not cover the model:
   * MemoryAnalysis.expected says why)
   */
  readonly expectedPeak: number | null;
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
  /** steps, buffers and tensors are getters: built on first read (hovers, reports), not per keystroke */
  readonly steps: readonly StepInfo[];
  readonly buffers: readonly BufferMemory[];
  readonly tensors: readonly TensorMemory[];
  /** one buffer without building them all (rule messages name a few) */
  buffer(id: number): BufferMemory | undefined;
  /** one tensor's row without building them all (a hover names one) */
  tensor(id: TensorId): TensorMemory | undefined;
  /** one step's row without building them all */
  step(index: number): StepInfo | undefined;
  /** live bytes at every step, always-live state included (a getter: objects built on first read) */
  readonly stepLive: readonly SymbolicBytes[];
  /** the same as two columns, what rules scan: stepLive[i] = stepLiveFixed[i] + stepLivePerSample[i] x N */
  readonly stepLiveFixed: Float64Array;
  readonly stepLivePerSample: Float64Array;
  readonly bytes: MemoryBytes;
  readonly planStrategy: PlanStrategy;
  /** batches the planner ran at (configured, max-batch search, SIMD fill): the cost driver, for the bench */
  readonly planRuns: number;
  readonly peakStep: PeakStep | null;
  readonly maxBatch: { readonly planned: BatchLimit; readonly lowerBound: BatchLimit };
  readonly simd: SimdFill & { readonly planned: number | null; readonly fits: boolean | null };
  readonly inPlace: {
    readonly decisions: readonly InPlaceDecision[];
    /** whether op could legally run in place and does not yet (one op's check: the diagnostics ask about the peak's ops only) */
    readonly isCandidate: (op: number) => boolean;
    /** the ops of `savings`, in the same order (read without building the savings) */
    readonly candidateOps: Int32Array;
    readonly savings: readonly InPlaceSaving[];
  };
  /** train mode only (undefined otherwise); a getter, computed on first read */
  readonly checkpoint?: CheckpointEstimate | undefined;
  /** what the model's own checkpointed segments recompute during backward; undefined when none is (a getter) */
  readonly recompute?: RecomputeCost | undefined;
  /** a getter, computed on first read */
  readonly timeline: readonly TimelineRow[];
  /** some figure left the exactly-countable range (> 2^53) */
  readonly overflow: boolean;
  /** the framework's expected peak with its breakdown, or why there is none (a getter) */
  readonly expected: ExpectedPeakResult;
}

export interface MemoryOptions {
  /** compute the sqrt(n) checkpoint estimate (train mode); default true */
  readonly checkpointEstimate?: boolean;
  /** plans shared with other analyses of the same group (a quick fix's previews) */
  readonly planCache?: PlanCache;
}

interface Core {
  readonly schedule: Schedule;
  readonly liveness: Liveness;
  /** live bytes per step, always-live state included: fixed + perSample x N */
  readonly lineFixed: Float64Array;
  readonly linePerSample: Float64Array;
  readonly plannedAt: (batch: number) => PlanAt;
  /** whether the planned peak at the batch is within the budget (without keeping a plan) */
  readonly fitsAt: (batch: number, budget: number) => boolean;
  /** distinct batches planned (or checked against the budget) so far */
  readonly planRuns: () => number;
}

/** a plan at one batch: always-live state plus the arena */
interface PlanAt {
  readonly bytes: number;
  readonly offsets: readonly number[];
  readonly strategy: PlanStrategy;
  readonly plan: Plan;
}

function runCore(
  graph: Graph,
  alwaysLive: SymbolicBytes,
  infos?: readonly OpInfo[],
  segments?: readonly (number | undefined)[],
  shared?: PlanCache,
): Core {
  const schedule = buildSchedule(graph, infos, segments);
  const liveness = computeLiveness(graph, schedule);
  const steps = schedule.stepCount;
  const lineFixed = new Float64Array(steps);
  const linePerSample = new Float64Array(steps);
  const { fixed: liveFixed, perSample: livePerSample } = liveness.totals;
  for (let i = 0; i < steps; i++) {
    lineFixed[i] = alwaysLive.fixed + liveFixed[i]!;
    linePerSample[i] = alwaysLive.perSample + livePerSample[i]!;
  }
  const columns = liveness.bufferColumns;
  // the plan items' intervals, made for the first plan (most keystrokes plan nothing)
  let intervals: { starts: Float64Array; ends: Float64Array } | undefined;
  const itemsAt = (batch: number): { starts: Float64Array; ends: Float64Array; sizes: Float64Array } => {
    intervals ??= { starts: new Float64Array(columns.liveFrom), ends: new Float64Array(columns.liveTo) };
    return { starts: intervals.starts, ends: intervals.ends, sizes: sizesAt(columns, batch) };
  };
  const cache = new Map<number, PlanAt>();
  const plannedAt = (batch: number): PlanAt => {
    const hit = cache.get(batch);
    if (hit) return hit;
    const items = itemsAt(batch);
    let plan = shared?.get(items);
    if (!plan) {
      plan = planColumns(items);
      shared?.set(items, plan);
    }
    const result = { bytes: plan.arena + atBatch(alwaysLive, batch), offsets: plan.offsets, strategy: plan.strategy, plan };
    cache.set(batch, result);
    return result;
  };
  // the batch search asks only whether a batch fits: a plan that will not fit stops early
  const verdicts = new Map<number, boolean>();
  const fitsAt = (batch: number, budget: number): boolean => {
    const known = cache.get(batch);
    if (known) return known.bytes <= budget;
    let verdict = verdicts.get(batch);
    if (verdict === undefined) {
      const items = itemsAt(batch);
      const plan = shared?.get(items);
      verdict = plan ? plan.arena + atBatch(alwaysLive, batch) <= budget : arenaFits(items, budget - atBatch(alwaysLive, batch));
      verdicts.set(batch, verdict);
    }
    return verdict;
  };
  return { schedule, liveness, lineFixed, linePerSample, plannedAt, fitsAt, planRuns: () => cache.size + verdicts.size };
}

function sizesAt(columns: BufferColumns, batch: number): Float64Array {
  const sizes = new Float64Array(columns.count);
  for (let i = 0; i < sizes.length; i++) sizes[i] = columns.fixed[i]! + columns.perSample[i]! * batch;
  return sizes;
}

/** the step with the most live bytes at the batch (ties: the earliest); -1 without steps */
function peakIndex(fixed: Float64Array, perSample: Float64Array, batch: number): number {
  let best = -1;
  let value = -Infinity;
  for (let i = 0; i < fixed.length; i++) {
    const v = fixed[i]! + perSample[i]! * batch;
    if (v > value) {
      value = v;
      best = i;
    }
  }
  return best;
}

/** the schedule and liveness behind an analysis, for what-if rules that reuse them (see engineOf) */
export interface Engine {
  /** the graph analysed (tensor and pipeline parallelism read its ops) */
  readonly graph: Graph;
  readonly schedule: Schedule;
  readonly liveness: Liveness;
}

const engines = new Attachment<MemoryAnalysis, Engine>('memlens engine');

/** the schedule and liveness an analysis was computed from; undefined for one built by hand */
export function engineOf(memory: MemoryAnalysis): Engine | undefined {
  return engines.get(memory);
}

export function analyzeMemory(graph: Graph, footprint: Footprint, options: MemoryOptions = {}): MemoryAnalysis {
  const config = graph.config;
  const batch = config.batch;
  const { weights, buffers: stateBuffers, optimizer, kvCache } = footprint.bytes;
  const alwaysLive = [weights, stateBuffers, optimizer, kvCache].reduce(addBytes, ZERO_BYTES);
  const core = runCore(graph, alwaysLive, undefined, undefined, options.planCache);
  const { schedule, liveness, lineFixed, linePerSample } = core;
  const columns = liveness.bufferColumns;
  // the arena plan at the configured batch: computed on first read (code lens, hovers, reports, and
  // the rules that cannot decide from the bounds lowerBound <= planned <= naive), not per keystroke
  const plan = (): PlanAt => core.plannedAt(batch);

  const lineOf = (step: number): number | null => stepNode(graph, schedule, step)?.statement.start.line ?? null;
  const stepAt = (index: number): StepInfo => {
    const node = stepNode(graph, schedule, index);
    const phase = phaseOf(schedule, index);
    return node ? { index, phase, op: node.id, opName: node.op, line: node.statement.start.line } : { index, phase, line: null };
  };
  const steps = lazy((): StepInfo[] => {
    const out: StepInfo[] = [];
    for (let index = 0; index < schedule.stepCount; index++) out.push(stepAt(index));
    return out;
  });
  const bufferAt = (id: number): BufferMemory => {
    const root = columns.values[columns.valueStart[id]!]!;
    const tensor = schedule.valueTensor[root]!;
    return withGetters(
      {
        id,
        kind: valueKindOf(schedule, root),
        category: CATEGORIES[columns.category[id]!]!,
        op: schedule.valueOp[root]!,
        ...(tensor >= 0 ? { tensor } : {}),
        bytes: symbolic(columns.fixed[id]!, columns.perSample[id]!),
        liveFrom: columns.liveFrom[id]!,
        liveTo: columns.liveTo[id]!,
      },
      // a getter: a rule naming a buffer must not cost the arena plan
      { offset: (): number => plan().offsets[id]! },
    );
  };
  const bufferList = lazy((): BufferMemory[] => {
    const out: BufferMemory[] = [];
    for (let id = 0; id < columns.count; id++) out.push(bufferAt(id));
    return out;
  });
  // what a tensor's row needs beyond its own columns: a few sets over the in-place decisions and values
  const tensorFacts = lazy(() => {
    const inPlaceOutputs = new Set<TensorId>();
    for (const d of liveness.inPlace) if (d.legal) inPlaceOutputs.add(graph.ops[d.op]!.output);
    const recomputedTensors = new Set<TensorId>();
    const savedRecomputed = new Set<TensorId>();
    const recomputedKind = VALUE_KINDS.indexOf('recomputed');
    for (let v = 0; v < schedule.valueCount; v++) {
      const t = schedule.valueTensor[v]!;
      if (schedule.valueKind[v] !== recomputedKind || t < 0) continue;
      recomputedTensors.add(t);
      if (liveness.savedValues.has(v)) savedRecomputed.add(t);
    }
    return { inPlaceOutputs, recomputedTensors, savedRecomputed };
  });
  const tensorAt = (id: TensorId): TensorMemory => {
    const { inPlaceOutputs, recomputedTensors, savedRecomputed } = tensorFacts();
    const v = schedule.activationOf[id]!;
    const buffer = liveness.bufferOf[v]!;
    const from = liveness.valueFrom[v]!;
    const to = liveness.valueTo[v]!;
    return withGetters(
      {
        tensor: id,
        name: graph.tensors[id]!.name,
        bytes: valueBytes(schedule, v),
        liveFrom: from,
        liveTo: to,
        liveFromLine: lineOf(from),
        liveToLine: lineOf(to),
        savedForBackward: liveness.savedValues.has(v) || savedRecomputed.has(id),
        recomputed: recomputedTensors.has(id),
        inPlace: inPlaceOutputs.has(id),
        buffer: buffer >= 0 ? buffer : null,
      },
      // a getter: a hover naming a tensor must not cost the arena plan
      { offset: (): number | null => (buffer >= 0 ? plan().offsets[buffer]! : null) },
    );
  };
  const tensors = lazy((): TensorMemory[] => graph.tensors.map((t) => tensorAt(t.id)));
  const stepLive = lazy((): SymbolicBytes[] => Array.from(lineFixed, (f, i) => symbolic(f, linePerSample[i]!)));

  const peak = peakIndex(lineFixed, linePerSample, batch);
  const lowerBoundAffine = peak >= 0 ? symbolic(lineFixed[peak]!, linePerSample[peak]!) : alwaysLive;
  const lowerBound = atBatch(lowerBoundAffine, batch);
  const peakNode = peak >= 0 ? stepNode(graph, schedule, peak) : undefined;
  const peakBuffers = lazy((): number[] => buffersAt(columns, peak, batch));
  const peakStep: PeakStep | null =
    peak < 0
      ? null
      : withGetters(
          { index: peak, phase: phaseOf(schedule, peak), ...(peakNode ? { op: peakNode.id } : {}), line: lineOf(peak), live: lowerBoundAffine },
          // sorted on first read: at the peak of a large training graph most buffers are live
          { buffers: (): readonly number[] => peakBuffers() },
        );

  const naiveBuffers = naiveBytes(graph, schedule, liveness);
  // the framework's own allocator replayed: for hovers and reports, not the keystroke's diagnostics
  const expected = lazy((): ExpectedPeakResult => FRAMEWORK_PROFILES[config.framework].expectedPeak(graph, footprint));
  const bytes: MemoryBytes = withGetters(
    {
      weights,
      buffers: stateBuffers,
      optimizer,
      kvCache,
      alwaysLive,
      naive: addBytes(alwaysLive, naiveBuffers),
      lowerBound,
      lowerBoundAffine,
    },
    {
      // a pass over every buffer and step each: for reports and hovers, not the diagnostics
      workspace: lazy((): SymbolicBytes => categoryPeak(liveness, schedule.stepCount, 'workspace', batch)),
      savedActivations: lazy((): SymbolicBytes => categoryPeak(liveness, schedule.stepCount, 'savedActivations', batch)),
      planned: (): number => plan().bytes,
      fragmentation: (): number => (lowerBound > 0 ? plan().bytes / lowerBound - 1 : 0),
      expectedPeak: (): number | null => {
        const result = expected();
        return 'expected' in result ? result.expected.bytes : null;
      },
    },
  );

  // batch limits: exact for the lower bound, verified search for the planner
  const budget = config.device.memoryBytes;
  const lbLimit =
    lineFixed.length > 0 ? maxBatchOfColumns(lineFixed, linePerSample, budget) : maxBatchOfColumns([alwaysLive.fixed], [alwaysLive.perSample], budget);
  const fits = (n: number): boolean => core.fitsAt(n, budget);
  // the planner's limit needs two or three more plans: computed on first read (code lens, hovers,
  // an over-budget finding), not for every keystroke's diagnostics
  let plannedLimit: BatchLimit | undefined;
  const plannedBatchLimit = (): BatchLimit => {
    if (plannedLimit) return plannedLimit;
    if (lbLimit.batch === null) {
      plannedLimit = lbLimit.reason === 'unbounded' && !fits(1) ? { batch: null, reason: 'none-fits' } : lbLimit;
      return plannedLimit;
    }
    // no batch above the lower bound's limit fits (planned >= lower bound). Guess, then gallop to a
    // verified boundary: N fits, N + 1 does not; a right guess costs two plans, one at that limit
    const at = lbLimit.batch;
    let found: number | null;
    const predicted = guessFromDecisions(at);
    if (predicted !== undefined) found = searchMaxBatch(fits, at, predicted);
    else {
      // no placement to replay (the large-model planner): plan at the limit, and if that does not
      // fit, guess from its fragmentation
      const atLimit = core.plannedAt(at);
      if (atLimit.bytes <= budget) found = at;
      else {
        let lbAt = -Infinity;
        for (let i = 0; i < lineFixed.length; i++) lbAt = Math.max(lbAt, lineFixed[i]! + linePerSample[i]! * at);
        const ratio = atLimit.bytes / lbAt;
        const guess = maxBatchOfColumns(lineFixed.map((f) => f * ratio), linePerSample.map((p) => p * ratio), budget).batch ?? 1;
        found = searchMaxBatch(fits, at - 1, guess);
      }
    }
    plannedLimit = found === null ? { batch: null, reason: 'none-fits' } : { batch: found };
    return plannedLimit;
  };
  /**
   * The configured batch's placement replayed at other sizes predicts the planned peak there in
   * O(buffers): the largest N <= upper it says fits. Undefined when the plan keeps no decisions.
   */
  const guessFromDecisions = (upper: number): number | undefined => {
    const base = core.plannedAt(batch).plan;
    if (!base.decisions) return undefined;
    const predictedFits = (n: number): boolean => (arenaWithSameDecisions(base, sizesAt(columns, n)) ?? Infinity) + atBatch(alwaysLive, n) <= budget;
    let lo = 0;
    let hi = upper + 1;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (predictedFits(mid)) lo = mid;
      else hi = mid;
    }
    return Math.max(1, lo);
  };

  // which ops could run in place, and their peak savings, are found on first read
  const candidates = inPlaceCandidates(graph, schedule, liveness, lineFixed, linePerSample, batch);
  let savings: readonly InPlaceSaving[] | undefined;

  const lanes = simdFill(config.device, activationDType(config));

  // another plan unless the lanes' batch is the configured one: computed on first read (hover, SIMD rules)
  const simdPlanned = (): number | null => (lanes.batch === null ? null : core.plannedAt(lanes.batch).bytes);

  let linesSafe = true;
  for (let i = 0; i < lineFixed.length && linesSafe; i++) linesSafe = Number.isSafeInteger(lineFixed[i]!) && Number.isSafeInteger(linePerSample[i]!);
  // the planned peak never exceeds the naive one (no plan uses more than every buffer side by side)
  const overflow = footprint.overflow || !linesSafe || !Number.isSafeInteger(atBatch(bytes.naive, batch));

  // the checkpoint estimate (a second schedule) and the timeline are computed on first read: the
  // keystroke path (diagnostics, code lens) never reads them; hovers, the CLI and JSON.stringify do
  const wantsCheckpoint = config.mode === 'train' && options.checkpointEstimate !== false && schedule.backwardStart >= 0;
  let timeline: TimelineRow[] | undefined;
  let checkpoint: CheckpointEstimate | undefined;
  const recompute = lazy(() => recomputeCost(graph, schedule));
  const analysis: MemoryAnalysis = withGetters(
    {
      mode: config.mode,
      batch,
      lowering: schedule.lowering,
      buffer(id: number): BufferMemory | undefined {
        return Number.isInteger(id) && id >= 0 && id < columns.count ? bufferAt(id) : undefined;
      },
      tensor(id: TensorId): TensorMemory | undefined {
        return Number.isInteger(id) && id >= 0 && id < graph.tensors.length ? tensorAt(id) : undefined;
      },
      step(index: number): StepInfo | undefined {
        return Number.isInteger(index) && index >= 0 && index < schedule.stepCount ? stepAt(index) : undefined;
      },
      stepLiveFixed: lineFixed,
      stepLivePerSample: linePerSample,
      bytes,
      peakStep,
      maxBatch: withGetters({ lowerBound: lbLimit }, { planned: plannedBatchLimit }),
      simd: withGetters(
        { ...lanes },
        {
          planned: simdPlanned,
          fits: (): boolean | null => {
            const planned = simdPlanned();
            return planned === null ? null : planned <= budget;
          },
        },
      ),
      inPlace: withGetters(
        { decisions: liveness.inPlace, isCandidate: candidates.isCandidate },
        { candidateOps: candidates.ops, savings: (): readonly InPlaceSaving[] => (savings ??= candidates.savings()) },
      ),
      overflow,
    },
    {
      steps: (): readonly StepInfo[] => steps(),
      buffers: (): readonly BufferMemory[] => bufferList(),
      tensors: (): readonly TensorMemory[] => tensors(),
      stepLive: (): readonly SymbolicBytes[] => stepLive(),
      planStrategy: (): PlanStrategy => plan().strategy,
      planRuns: (): number => core.planRuns(),
      checkpoint: (): CheckpointEstimate | undefined => {
        if (wantsCheckpoint) checkpoint ??= checkpointEstimate(graph, alwaysLive, batch, schedule.opInfo);
        return checkpoint;
      },
      recompute: (): RecomputeCost | undefined => recompute(),
      expected: (): ExpectedPeakResult => expected(),
      timeline: (): readonly TimelineRow[] =>
        (timeline ??= buildTimeline(steps(), liveness.perStep, { weights, buffers: stateBuffers, optimizer, kvCache }, batch)),
    },
  );
  engines.set(analysis, { graph, schedule, liveness });
  return analysis;
}

/** a value computed on first call and kept */
function lazy<T>(compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
}

/** buffers live at `step` with bytes at the batch, largest first (ties: lower id) */
function buffersAt(columns: BufferColumns, step: number, batch: number): number[] {
  const ids: number[] = [];
  const size = sizesAt(columns, batch);
  for (let b = 0; b < columns.count; b++) {
    if (columns.liveFrom[b]! <= step && step <= columns.liveTo[b]! && size[b]! > 0) ids.push(b);
  }
  return ids.sort((a, b) => size[b]! - size[a]! || a - b);
}

/** no reuse: every buffer that views do not share gets its own storage for the whole run */
function naiveBytes(graph: Graph, schedule: Schedule, liveness: Liveness): SymbolicBytes {
  // summed in the same order as addBytes would, without an object per buffer
  let fixed = ZERO_BYTES.fixed;
  let perSample = ZERO_BYTES.perSample;
  const columns = liveness.bufferColumns;
  for (let b = 0; b < columns.count; b++) {
    fixed += columns.fixed[b]!;
    perSample += columns.perSample[b]!;
  }
  // a legal in-place output shares its input's buffer at runtime; with no reuse it has its own
  for (const d of liveness.inPlace) {
    if (!d.legal) continue;
    const v = schedule.activationOf[graph.ops[d.op]!.output]!;
    fixed += schedule.valueFixed[v]!;
    perSample += schedule.valuePerSample[v]!;
  }
  return symbolic(fixed, perSample);
}

/**
 * The ops that could legally run in place but do not, with the input each would overwrite, in
 * program order; and, built when first read, the lower-bound peak drop if each did. Most keystrokes
 * read only which ops these are (missedInPlace finds no step at the peak they could lower).
 */
function inPlaceCandidates(
  graph: Graph,
  schedule: Schedule,
  liveness: Liveness,
  lineFixed: Float64Array,
  linePerSample: Float64Array,
  batch: number,
): { readonly isCandidate: (op: number) => boolean; readonly ops: () => Int32Array; readonly savings: () => InPlaceSaving[] } {
  const steps = lineFixed.length;
  if (steps === 0) return { isCandidate: () => false, ops: () => new Int32Array(0), savings: () => [] };
  const columns = liveness.bufferColumns;
  const bufferEnd = (v: number): number => {
    const b = liveness.bufferOf[v]!;
    return b >= 0 ? columns.liveTo[b]! : -1;
  };
  const graphOps = graphColumns(graph);
  /** the input op i would overwrite, -1 when it cannot or already does */
  const candidateInput = (i: number): number => {
    const spec = schedule.opInfo[i]?.spec;
    if (!spec || spec.inPlace === 'never' || graphOps.opRequestsInPlace[i] === 1) return -1;
    const c = inPlaceCandidate(graph, schedule, i, bufferEnd, false);
    return 'reason' in c ? -1 : c.input;
  };
  let candidates: { ops: Int32Array; inputs: Int32Array } | undefined;
  const all = (): { ops: Int32Array; inputs: Int32Array } => {
    if (candidates) return candidates;
    const ops = new IntColumn();
    const inputs = new IntColumn();
    for (let i = 0; i < graphOps.opCount; i++) {
      const input = candidateInput(i);
      if (input < 0) continue;
      ops.push(i);
      inputs.push(input);
    }
    return (candidates = { ops: ops.finish(), inputs: inputs.finish() });
  };
  const savings = (): InPlaceSaving[] => {
    const { ops: candidateOps, inputs: candidateInputs } = all();
    const liveAt = (i: number): number => lineFixed[i]! + linePerSample[i]! * batch;
    // the largest and second-largest step at the batch: merging input and output only changes the op's own step
    let first = -1;
    let second = -1;
    for (let i = 0; i < steps; i++) {
      const v = liveAt(i);
      if (first < 0 || v > liveAt(first)) {
        second = first;
        first = i;
      } else if (second < 0 || v > liveAt(second)) second = i;
    }
    const peak = liveAt(first);
    const out: InPlaceSaving[] = [];
    for (let k = 0; k < candidateOps.length; k++) {
      const i = candidateOps[k]!;
      const size = valueBytes(schedule, schedule.activationOf[graphOps.opOutput[i]!]!);
      const others = i === first ? (second >= 0 ? liveAt(second) : 0) : peak;
      const after = Math.max(others, liveAt(i) - atBatch(size, batch));
      out.push({ op: i, input: candidateInputs[k]!, bytes: size, peakSaving: peak - after });
    }
    return out;
  };
  const isCandidate = (op: number): boolean => Number.isInteger(op) && op >= 0 && op < graphOps.opCount && candidateInput(op) >= 0;
  return { isCandidate, ops: () => all().ops, savings };
}

function checkpointEstimate(graph: Graph, alwaysLive: SymbolicBytes, batch: number, infos: readonly OpInfo[]): CheckpointEstimate {
  const seg = sqrtSegmentation(graph);
  const core = runCore(graph, alwaysLive, infos, seg.segmentOf);
  const peak = peakIndex(core.lineFixed, core.linePerSample, batch);
  const columns = core.liveness.bufferColumns;
  return {
    segments: seg.segments,
    opsPerSegment: seg.opsPerSegment,
    savedActivations: categoryPeak(core.liveness, core.schedule.stepCount, 'savedActivations', batch),
    lowerBound: peak >= 0 ? core.lineFixed[peak]! + core.linePerSample[peak]! * batch : atBatch(alwaysLive, batch),
    // an estimate: the O(n log n) planner alone keeps it cheap enough for every keystroke
    planned:
      planBestFitInOrderColumns({ starts: new Float64Array(columns.liveFrom), ends: new Float64Array(columns.liveTo), sizes: sizesAt(columns, batch) }).arena +
      atBatch(alwaysLive, batch),
    recomputeFraction: recomputeFraction(graph, core.schedule),
  };
}
