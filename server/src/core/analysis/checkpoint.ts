// Gradient checkpointing (Chen et al. 2016): keep only segment boundaries during the forward pass and
// recompute each segment's activations right before its backward. The schedule honours
// OpNode.checkpointSegment; this file builds the about-sqrt(n)-segments variant of a graph for the
// estimate and measures the recompute cost.
import type { Graph } from '../ir';
import { PHASES, stepNode, type Schedule } from './schedule';

/** a checkpoint segment per op id (undefined for inputs): the non-input ops cut into ceil(sqrt(n)) contiguous runs */
export function sqrtSegmentation(graph: Graph): { segmentOf: (number | undefined)[]; segments: number; opsPerSegment: number } {
  const segmentOf = new Array<number | undefined>(graph.ops.length).fill(undefined);
  let n = 0;
  for (const op of graph.ops) if (op.op !== 'input') n++;
  const segments = Math.max(1, Math.ceil(Math.sqrt(n)));
  const opsPerSegment = Math.max(1, Math.ceil(n / segments));
  let i = 0;
  for (const op of graph.ops) {
    if (op.op === 'input') continue;
    segmentOf[op.id] = Math.floor(i++ / opsPerSegment);
  }
  return { segmentOf, segments: Math.ceil(n / opsPerSegment), opsPerSegment };
}

/**
 * Recompute cost as a fraction of one forward pass, weighting each op by the elements it writes
 * (the registry has no FLOP counts; output elements are the proxy, and say so in the docs).
 */
export function recomputeFraction(graph: Graph, schedule: Schedule): number {
  let forward = 0;
  let recompute = 0;
  const forwardPhase = PHASES.indexOf('forward');
  const recomputePhase = PHASES.indexOf('recompute');
  for (let s = 0; s < schedule.stepCount; s++) {
    const node = stepNode(graph, schedule, s);
    if (!node || node.op === 'input') continue;
    const elements = graph.tensors[node.output]!.elementsPerSample;
    if (schedule.stepPhase[s] === forwardPhase) forward += elements;
    else if (schedule.stepPhase[s] === recomputePhase) recompute += elements;
  }
  return forward === 0 ? 0 : recompute / forward;
}
