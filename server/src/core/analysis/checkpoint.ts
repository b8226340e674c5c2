// Gradient checkpointing (Chen et al. 2016): keep only segment boundaries during the forward pass and
// recompute each segment's activations right before its backward. The schedule honours
// OpNode.checkpointSegment; this file builds the about-sqrt(n)-segments variant of a graph for the
// estimate and measures the recompute cost (of the estimate, and of the segments the model marks).
import type { Graph } from '../ir';
import { atBatch, formatBytes, formatInt, formatSymbolic, symbolic, type SymbolicBytes } from '../units';
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

/** what the checkpointed segments of a schedule cost: the forward work they do again during backward */
export interface RecomputeCost {
  /** checkpointed segments replayed (a segment none of whose ops runs a backward is never replayed) */
  readonly segments: number;
  /** ops run again, views (reshape, flatten: no new bytes, no work) not counted */
  readonly ops: number;
  /** the bytes those ops write again, their outputs: the activations recomputed */
  readonly bytes: SymbolicBytes;
  /** recomputed output elements / forward output elements, as recomputeFraction */
  readonly fraction: number;
}

/**
 * The recompute steps of a schedule, counted. The registry has no FLOP counts, so the cost is the
 * ops and the activation bytes run again; undefined when nothing is recomputed.
 */
export function recomputeCost(graph: Graph, schedule: Schedule): RecomputeCost | undefined {
  const recomputePhase = PHASES.indexOf('recompute');
  let segments = 0;
  let ops = 0;
  let fixed = 0;
  let perSample = 0;
  for (let s = 0; s < schedule.stepCount; s++) {
    if (schedule.stepPhase[s] !== recomputePhase) continue;
    // the recompute steps of one segment run back to back, each segment's after a backward step
    if (s === 0 || schedule.stepPhase[s - 1] !== recomputePhase) segments++;
    const op = schedule.stepOp[s]!;
    if (schedule.opInfo[op]?.spec?.aliasesInput) continue;
    ops++;
    // a recompute step's first write is the op's output (schedule.ts, emitRecompute)
    const out = schedule.writes[schedule.writeStart[s]!]!;
    fixed += schedule.valueFixed[out]!;
    perSample += schedule.valuePerSample[out]!;
  }
  if (segments === 0) return undefined;
  return { segments, ops, bytes: symbolic(fixed, perSample), fraction: recomputeFraction(graph, schedule) };
}

/** 0.485 -> "48.5%" */
export function shareText(fraction: number): string {
  return `${(100 * fraction).toFixed(1).replace(/\.0$/, '')}%`;
}

/** "4 ops in 2 segments run again during backward: 512 B of activations at batch 4 (128 B x N), 50% of a forward pass" */
export function recomputeLine(cost: RecomputeCost, batch: number): string {
  const plural = (n: number, word: string): string => `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;
  const share = shareText(cost.fraction);
  return (
    `${plural(cost.ops, 'op')} in ${plural(cost.segments, 'segment')} run again during backward: ` +
    `${formatBytes(atBatch(cost.bytes, batch))} of activations at batch ${formatInt(batch)} (${formatSymbolic(cost.bytes)}), ${share} of a forward pass`
  );
}
