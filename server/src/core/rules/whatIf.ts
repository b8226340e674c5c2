// What-if analyses for rules that must say what a change would do: the same graph under another
// precision or with a block checkpointed, run through the liveness engine again (not estimated).
import { computeFootprint } from '../analysis/footprint';
import { analyzeMemory, type MemoryAnalysis } from '../analysis/memory';
import { activationDType } from '../graphBuilder';
import type { Graph, OpNode, Precision, SourceRange } from '../ir';
import { rangeKey } from './types';

export function memoryOfGraph(graph: Graph): MemoryAnalysis {
  return analyzeMemory(graph, computeFootprint(graph), { checkpointEstimate: false });
}

/** the graph as the frontend would build it under another precision: activation-typed tensors retyped */
export function withPrecision(graph: Graph, precision: Precision): Graph {
  const config = { ...graph.config, precision };
  const from = activationDType(graph.config);
  const to = activationDType(config);
  const tensors = from === to ? graph.tensors : graph.tensors.map((t) => (t.dtype === from ? { ...t, dtype: to } : t));
  return { ...graph, tensors, config };
}

/** the graph with the ops expanded from one top-level block call / repeat checkpointed, a segment per iteration */
export function withCheckpoint(graph: Graph, call: SourceRange): Graph {
  const key = rangeKey(call);
  let base = 0;
  for (const op of graph.ops) if (op.checkpointSegment !== undefined) base = Math.max(base, op.checkpointSegment + 1);
  const ops: OpNode[] = graph.ops.map((op) => {
    const top = op.callStack[0];
    if (!top || rangeKey(top.site) !== key) return op;
    return { ...op, checkpointSegment: base + (top.iteration ?? 0) };
  });
  return { ...graph, ops };
}
