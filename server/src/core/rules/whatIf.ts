// What-if analyses for rules that must say what a change would do: the same graph under another
// precision or with a block checkpointed, run through the liveness engine again (not estimated).
import { computeFootprint, stateBytes, weightFormat, type Footprint } from '../analysis/footprint';
import { analyzeMemory, engineOf, type Engine, type MemoryAnalysis } from '../analysis/memory';
import { activationDType } from '../graphBuilder';
import { DTYPE_BYTES, type DType, type Graph, type OpNode, type ParamCount, type Precision, type SourceRange } from '../ir';
import { rangeId, rangeKey } from './types';
import { maxBatchOfColumns } from '../analysis/batch';
import { computeLiveness, type Liveness } from '../analysis/liveness';
import { buildSchedule, VALUE_KIND_CODE, type Schedule } from '../analysis/schedule';
import { perDeviceMemory, stepTransients, type Parallelism } from '../analysis/perDevice';
import { DTYPES, graphColumns } from '../graphColumns';
import { Attachment } from '../attach';
import { addBytes, atBatch, ZERO_BYTES, type SymbolicBytes } from '../units';

export function memoryOfGraph(graph: Graph): MemoryAnalysis {
  return analyzeMemory(graph, computeFootprint(graph), { checkpointEstimate: false });
}

export interface LowerBoundWhatIf {
  /** max over steps of live bytes at the configured batch */
  readonly lowerBound: number;
  /** the largest batch whose lower bound fits the device (null: unbounded or none fits) */
  readonly maxBatch: number | null;
}

/**
 * The lower bound alone (schedule + liveness, no arena planning and no batch search), cheap enough
 * for a hint computed on every keystroke.
 */
export function lowerBoundOfGraph(graph: Graph): LowerBoundWhatIf {
  const { weights, buffers, optimizer } = computeFootprint(graph).bytes;
  const alwaysLive = [weights, buffers, optimizer].reduce(addBytes, ZERO_BYTES);
  const liveness = computeLiveness(graph, buildSchedule(graph));
  return lowerBoundOfTotals(graph, alwaysLive, liveness.totals.fixed, liveness.totals.perSample);
}

/**
 * One device's total under parallelism `p` for a changed graph of the same parameters (a
 * checkpointed one), from its schedule and liveness alone: no arena planning, no batch search.
 * Train mode (no KV cache); undefined when there is no figure.
 */
export function perDeviceTotalOfGraph(graph: Graph, params: ParamCount, p: Parallelism): { total: number; liveness: Liveness; schedule: Schedule } | undefined {
  const schedule = buildSchedule(graph);
  const liveness = computeLiveness(graph, schedule);
  const r = perDeviceMemory(params, graph.config, stepTransients(liveness.perStep), p);
  return 'error' in r ? undefined : { total: r.bytes.total, liveness, schedule };
}

/** max over steps of always-live + live bytes at the batch, and the largest batch that fits */
function lowerBoundOfTotals(graph: Graph, alwaysLive: SymbolicBytes, fixed: Float64Array, perSample: Float64Array): LowerBoundWhatIf {
  const steps = fixed.length;
  const lineFixed = new Float64Array(Math.max(1, steps)).fill(alwaysLive.fixed);
  const linePerSample = new Float64Array(Math.max(1, steps)).fill(alwaysLive.perSample);
  for (let i = 0; i < steps; i++) {
    lineFixed[i] = alwaysLive.fixed + fixed[i]!;
    linePerSample[i] = alwaysLive.perSample + perSample[i]!;
  }
  const batch = graph.config.batch;
  let lowerBound = -Infinity;
  for (let i = 0; i < lineFixed.length; i++) lowerBound = Math.max(lowerBound, atBatch({ fixed: lineFixed[i]!, perSample: linePerSample[i]! }, batch));
  return { lowerBound, maxBatch: maxBatchOfColumns(lineFixed, linePerSample, graph.config.device.memoryBytes).batch };
}

/**
 * lowerBoundOfGraph(withPrecision(graph, precision)) without a second schedule: a precision change
 * retypes tensors, so the steps, live intervals and buffers stay those of the analysis and only the
 * bytes of each value change: element counts times the target's bytes per element. The registry's
 * saved and workspace rules count elements from shapes and arguments, never dtypes, so they need not
 * run again (test/unit/analysis/precisionWhatIf.test.ts checks both ways agree on every example).
 * Where in-place legality could differ, it re-analyses.
 */
export function lowerBoundUnderPrecision(graph: Graph, footprint: Footprint, memory: MemoryAnalysis, precision: Precision): LowerBoundWhatIf {
  const engine = engineOf(memory);
  const targetConfig = { ...graph.config, precision };
  if (!engine) return lowerBoundOfGraph(withPrecision(graph, precision));
  const from = activationDType(graph.config);
  const to = activationDType(targetConfig);
  // retyping fp32 -> fp16 could make an fp32 tensor and an fp16 one the same storage (in-place legality)
  if (from !== to && retypingMayAlias(graph, to)) return lowerBoundOfGraph(withPrecision(graph, precision));
  const toBytes = DTYPE_BYTES[to];
  const gradientBytes = weightFormat(targetConfig).gradient;
  // the step figures depend on the target's bytes per activation and per gradient only: mixed and
  // bf16 share them, so the precision rule's two what-ifs scan the buffers once
  let byBytes = retypedCache.get(engine);
  if (!byBytes) retypedCache.set(engine, (byBytes = new Map()));
  const key = `${toBytes}/${gradientBytes}`;
  let lines = byBytes.get(key);
  if (!lines) byBytes.set(key, (lines = retypedLines(graph, engine, from, toBytes, gradientBytes)));
  const state = stateBytes(footprint.params, targetConfig);
  const alwaysLive = [state.weights, state.buffers, state.optimizer].reduce(addBytes, ZERO_BYTES);
  return lowerBoundOfTotals(graph, alwaysLive, lines.fixed, lines.perSample);
}

const retypedCache = new Attachment<Engine, Map<string, { fixed: Float64Array; perSample: Float64Array }>>('memlens retyped lines');

/** live bytes per step (planned buffers only) with every value retyped to the given byte widths */
function retypedLines(graph: Graph, engine: Engine, from: DType, toBytes: number, gradientBytes: number): { fixed: Float64Array; perSample: Float64Array } {
  const { schedule, liveness } = engine;
  const infos = schedule.opInfo;
  const fromGradient = weightFormat(graph.config).gradient;
  // tensor sizes from the graph's columns: one pass over every buffer's values on each keystroke
  const { tensorElements, tensorDType } = graphColumns(graph);
  const fromCode = DTYPES.indexOf(from);
  const bytesOfCode = DTYPES.map((d) => DTYPE_BYTES[d]);
  const { activation: ACTIVATION, recomputed: RECOMPUTED, 'activation-gradient': ACTIVATION_GRADIENT, 'saved-extra': SAVED_EXTRA, workspace: WORKSPACE, 'weight-gradient': WEIGHT_GRADIENT } =
    VALUE_KIND_CODE;
  // the bytes of value v under the target precision, as fixed and perSample
  let vf = 0;
  let vp = 0;
  const retype = (v: number): void => {
    const kind = schedule.valueKind[v]!;
    if (kind === ACTIVATION || kind === RECOMPUTED || kind === ACTIVATION_GRADIENT) {
      // withPrecision retypes the activation-typed tensors only
      const t = schedule.valueTensor[v]!;
      const code = tensorDType[t]!;
      vf = 0;
      vp = tensorElements[t]! * (code === fromCode ? toBytes : bytesOfCode[code]!);
    } else if (kind === SAVED_EXTRA) {
      const info = infos[schedule.valueOp[v]!]!;
      const bytes = info.extraDType ? DTYPE_BYTES[info.extraDType] : toBytes;
      vf = info.extraElements.fixed * bytes;
      vp = info.extraElements.perSample * bytes;
    } else if (kind === WORKSPACE) {
      const info = infos[schedule.valueOp[v]!]!;
      vf = info.workspaceElements.fixed * toBytes;
      vp = info.workspaceElements.perSample * toBytes;
    } else if (kind === WEIGHT_GRADIENT) {
      // trainable x bytes per gradient; the byte sizes are powers of two, so this is exact
      vf = (schedule.valueFixed[v]! / fromGradient) * gradientBytes;
      vp = 0;
    }
  };
  const steps = schedule.stepCount;
  const fixed = new Float64Array(steps + 1);
  const perSample = new Float64Array(steps + 1);
  const buffers = liveness.bufferColumns;
  for (let b = 0; b < buffers.count; b++) {
    const liveFrom = buffers.liveFrom[b]!;
    if (liveFrom < 0) continue;
    // a buffer is as large as its largest value (the same rule as the liveness engine's)
    const first = buffers.valueStart[b]!;
    const last = buffers.valueStart[b + 1]!;
    retype(buffers.values[first]!);
    let bf = vf;
    let bp = vp;
    for (let k = first + 1; k < last; k++) {
      retype(buffers.values[k]!);
      if (vp > bp || (vp === bp && vf > bf)) {
        bf = vf;
        bp = vp;
      }
    }
    const end = buffers.liveTo[b]! + 1;
    fixed[liveFrom]! += bf;
    fixed[end]! -= bf;
    perSample[liveFrom]! += bp;
    perSample[end]! -= bp;
  }
  for (let i = 1; i < steps; i++) {
    fixed[i]! += fixed[i - 1]!;
    perSample[i]! += perSample[i - 1]!;
  }
  return { fixed: fixed.subarray(0, steps), perSample: perSample.subarray(0, steps) };
}

/** some tensor already has the target dtype and some op asks to run in place (read from the columns) */
function retypingMayAlias(graph: Graph, to: DType): boolean {
  const c = graphColumns(graph);
  const code = DTYPES.indexOf(to);
  return c.tensorDType.includes(code) && c.opRequestsInPlace.includes(1);
}

/** the graph as the frontend would build it under another precision: activation-typed tensors retyped */
export function withPrecision(graph: Graph, precision: Precision): Graph {
  const config = { ...graph.config, precision };
  const from = activationDType(graph.config);
  const to = activationDType(config);
  const tensors = from === to ? graph.tensors : graph.tensors.map((t) => (t.dtype === from ? { ...t, dtype: to } : t));
  return { ...graph, tensors, config };
}

/**
 * the graph with the ops expanded from top-level block calls / repeats checkpointed, a segment per
 * call and iteration; `every` k > 1 takes a repeat's iterations 0, k, 2k, ... only (`checkpoint: k`)
 */
export function withCheckpoint(graph: Graph, calls: readonly SourceRange[], every = 1): Graph {
  let base = 0;
  for (const op of graph.ops) if (op.checkpointSegment !== undefined) base = Math.max(base, op.checkpointSegment + 1);
  const segments = new Map<string, number>();
  const chosen = new Set(calls.map(rangeId));
  const ops: OpNode[] = graph.ops.map((op) => {
    const top = op.callStack[0];
    if (!top || !chosen.has(rangeId(top.site)) || (top.iteration ?? 0) % every !== 0) return op;
    const key = `${rangeKey(top.site)}#${top.iteration ?? 0}`;
    let segment = segments.get(key);
    if (segment === undefined) segments.set(key, (segment = base + segments.size));
    return { ...op, checkpointSegment: segment };
  });
  return { ...graph, ops };
}
