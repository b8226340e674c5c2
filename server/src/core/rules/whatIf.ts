// What-if analyses for rules that must say what a change would do: the same graph under another
// precision or with a block checkpointed, run through the liveness engine again (not estimated).
import { computeFootprint, stateBytes, weightFormat, type Footprint } from '../analysis/footprint';
import { analyzeMemory, engineOf, type MemoryAnalysis } from '../analysis/memory';
import { activationDType } from '../graphBuilder';
import { tensorBytesPerSample, type Graph, type OpNode, type Precision, type SourceRange } from '../ir';
import { rangeId, rangeKey } from './types';
import { maxBatchOfColumns } from '../analysis/batch';
import { computeLiveness, requestsInPlace } from '../analysis/liveness';
import { buildSchedule, opInfos, type OpInfo } from '../analysis/schedule';
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
 * bytes of each value change. Checked, not assumed: where the registry's answers (what an op saves,
 * whether it needs extra state or workspace) or in-place legality could differ, it re-analyses.
 */
export function lowerBoundUnderPrecision(graph: Graph, footprint: Footprint, memory: MemoryAnalysis, precision: Precision): LowerBoundWhatIf {
  const engine = engineOf(memory);
  const target = withPrecision(graph, precision);
  if (!engine) return lowerBoundOfGraph(target);
  const { schedule, liveness } = engine;
  const from = activationDType(graph.config);
  const to = activationDType(target.config);
  // retyping fp32 -> fp16 could make an fp32 tensor and an fp16 one the same storage (in-place legality)
  if (from !== to && graph.tensors.some((t) => t.dtype === to) && graph.ops.some(requestsInPlace)) return lowerBoundOfGraph(target);
  const infos = opInfos(target, schedule.lowering);
  if (!sameStructure(schedule.opInfo, infos)) return lowerBoundOfGraph(target);

  const format = weightFormat(graph.config);
  const targetFormat = weightFormat(target.config);
  const valueBytes = (v: number): SymbolicBytes => {
    const value = schedule.values[v]!;
    switch (value.kind) {
      case 'activation':
      case 'recomputed':
      case 'activation-gradient': {
        const t = target.tensors[value.tensor!]!;
        return { fixed: 0, perSample: tensorBytesPerSample(t) };
      }
      case 'saved-extra':
        return infos[value.op]!.saved!.extra;
      case 'workspace':
        return infos[value.op]!.workspace;
      case 'weight-gradient':
        // trainable x bytes per gradient; the byte sizes are powers of two, so this is exact
        return { fixed: (value.bytes.fixed / format.gradient) * targetFormat.gradient, perSample: 0 };
    }
  };
  const steps = schedule.steps.length;
  const fixed = new Float64Array(steps + 1);
  const perSample = new Float64Array(steps + 1);
  for (const b of liveness.buffers) {
    if (b.liveFrom < 0) continue;
    // a buffer is as large as its largest value (the same rule as the liveness engine's)
    let bytes = valueBytes(b.values[0]!);
    for (let i = 1; i < b.values.length; i++) {
      const x = valueBytes(b.values[i]!);
      if (x.perSample > bytes.perSample || (x.perSample === bytes.perSample && x.fixed > bytes.fixed)) bytes = x;
    }
    fixed[b.liveFrom]! += bytes.fixed;
    fixed[b.liveTo + 1]! -= bytes.fixed;
    perSample[b.liveFrom]! += bytes.perSample;
    perSample[b.liveTo + 1]! -= bytes.perSample;
  }
  for (let i = 1; i < steps; i++) {
    fixed[i]! += fixed[i - 1]!;
    perSample[i]! += perSample[i - 1]!;
  }
  const state = stateBytes(footprint.params, target.config);
  const alwaysLive = [state.weights, state.buffers, state.optimizer].reduce(addBytes, ZERO_BYTES);
  return lowerBoundOfTotals(graph, alwaysLive, fixed.subarray(0, steps), perSample.subarray(0, steps));
}

/** the same steps and values: every op saves the same inputs, and extra state and workspace stay (non)zero */
function sameStructure(a: readonly OpInfo[], b: readonly OpInfo[]): boolean {
  if (a.length !== b.length) return false;
  const zero = (x: SymbolicBytes): boolean => x.fixed === 0 && x.perSample === 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.spec !== y.spec || zero(x.workspace) !== zero(y.workspace) || !x.saved !== !y.saved) return false;
    if (!x.saved || !y.saved) continue;
    if (x.saved.output !== y.saved.output || zero(x.saved.extra) !== zero(y.saved.extra)) return false;
    if (x.saved.inputs.length !== y.saved.inputs.length || x.saved.inputs.some((v, k) => v !== y.saved!.inputs[k])) return false;
  }
  return true;
}

/** the graph as the frontend would build it under another precision: activation-typed tensors retyped */
export function withPrecision(graph: Graph, precision: Precision): Graph {
  const config = { ...graph.config, precision };
  const from = activationDType(graph.config);
  const to = activationDType(config);
  const tensors = from === to ? graph.tensors : graph.tensors.map((t) => (t.dtype === from ? { ...t, dtype: to } : t));
  return { ...graph, tensors, config };
}

/** the graph with the ops expanded from top-level block calls / repeats checkpointed, a segment per call and iteration */
export function withCheckpoint(graph: Graph, calls: readonly SourceRange[]): Graph {
  let base = 0;
  for (const op of graph.ops) if (op.checkpointSegment !== undefined) base = Math.max(base, op.checkpointSegment + 1);
  const segments = new Map<string, number>();
  const chosen = new Set(calls.map(rangeId));
  const ops: OpNode[] = graph.ops.map((op) => {
    const top = op.callStack[0];
    if (!top || !chosen.has(rangeId(top.site))) return op;
    const key = `${rangeKey(top.site)}#${top.iteration ?? 0}`;
    let segment = segments.get(key);
    if (segment === undefined) segments.set(key, (segment = base + segments.size));
    return { ...op, checkpointSegment: segment };
  });
  return { ...graph, ops };
}
