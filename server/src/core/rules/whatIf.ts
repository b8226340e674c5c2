// What-if analyses for rules that must say what a change would do: the same graph under another
// precision or with a block checkpointed, run through the liveness engine again (not estimated).
import { computeFootprint } from '../analysis/footprint';
import { analyzeMemory, type MemoryAnalysis } from '../analysis/memory';
import { activationDType } from '../graphBuilder';
import type { Graph, OpNode, Precision, SourceRange } from '../ir';
import { rangeKey } from './types';
import { maxBatchOfLines } from '../analysis/batch';
import { CATEGORIES, computeLiveness } from '../analysis/liveness';
import { buildSchedule } from '../analysis/schedule';
import { addBytes, atBatch, ZERO_BYTES } from '../units';

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
 * The lower bound alone (schedule + liveness, no arena planning and no batch search): about a third
 * of a full memory analysis, cheap enough for a hint computed on every keystroke.
 */
export function lowerBoundOfGraph(graph: Graph): LowerBoundWhatIf {
  const { weights, buffers, optimizer } = computeFootprint(graph).bytes;
  const alwaysLive = [weights, buffers, optimizer].reduce(addBytes, ZERO_BYTES);
  const liveness = computeLiveness(graph, buildSchedule(graph));
  const lines = liveness.perStep.map((row) => CATEGORIES.reduce((acc, c) => addBytes(acc, row[c]), alwaysLive));
  const all = lines.length > 0 ? lines : [alwaysLive];
  const batch = graph.config.batch;
  return {
    lowerBound: Math.max(...all.map((l) => atBatch(l, batch))),
    maxBatch: maxBatchOfLines(all, graph.config.device.memoryBytes).batch,
  };
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
  const ops: OpNode[] = graph.ops.map((op) => {
    const top = op.callStack[0];
    if (!top || !calls.some((c) => rangeKey(c) === rangeKey(top.site))) return op;
    const key = `${rangeKey(top.site)}#${top.iteration ?? 0}`;
    let segment = segments.get(key);
    if (segment === undefined) segments.set(key, (segment = base + segments.size));
    return { ...op, checkpointSegment: segment };
  });
  return { ...graph, ops };
}
