// Gradient checkpointing (Chen et al. 2016): keep only segment boundaries during the forward pass and
// recompute each segment's activations right before its backward. The schedule honours
// OpNode.checkpointSegment; this file builds the about-sqrt(n)-segments variant of a graph for the
// estimate and measures the recompute cost.
import type { Graph, OpNode } from '../ir';
import type { Schedule } from './schedule';

/** the graph with its non-input ops cut into ceil(sqrt(n)) contiguous checkpoint segments */
export function sqrtSegmentation(graph: Graph): { graph: Graph; segments: number; opsPerSegment: number } {
  const body = graph.ops.filter((op) => op.op !== 'input');
  const n = body.length;
  const segments = Math.max(1, Math.ceil(Math.sqrt(n)));
  const opsPerSegment = Math.max(1, Math.ceil(n / segments));
  const segmentOf = new Map<number, number>();
  body.forEach((op, i) => segmentOf.set(op.id, Math.floor(i / opsPerSegment)));
  const ops: OpNode[] = graph.ops.map((op) => {
    const segment = segmentOf.get(op.id);
    return segment === undefined ? op : { ...op, checkpointSegment: segment };
  });
  return { graph: { ...graph, ops }, segments: Math.ceil(n / opsPerSegment), opsPerSegment };
}

/**
 * Recompute cost as a fraction of one forward pass, weighting each op by the elements it writes
 * (the registry has no FLOP counts; output elements are the proxy, and say so in the docs).
 */
export function recomputeFraction(graph: Graph, schedule: Schedule): number {
  let forward = 0;
  let recompute = 0;
  for (const step of schedule.steps) {
    if (!step.node || step.node.op === 'input') continue;
    const elements = graph.tensors[step.node.output]!.elementsPerSample;
    if (step.phase === 'forward') forward += elements;
    else if (step.phase === 'recompute') recompute += elements;
  }
  return forward === 0 ? 0 : recompute / forward;
}
