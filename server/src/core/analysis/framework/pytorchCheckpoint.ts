// torch.utils.checkpoint's segments as the PyTorch CPU replay (pytorchCpu.ts) runs them: which ops
// one call ran, what it was given and returned, and how torch 1.13 checkpointed it.
import type { Graph } from '../../ir';
import type { Storage } from './allocations';

/** the CPU generator's state (torch.get_rng_state(): a 5,056-byte uint8 tensor), saved per checkpoint call */
export const RNG_STATE_BYTES = 5056;

/** the ops of one torch.utils.checkpoint call, the tensors it was given and the ones it returns */
export interface CheckpointSegment {
  readonly ops: readonly number[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /**
   * CheckpointFunction (torch 1.13's default) runs the forward without autograd and the segment's
   * whole backward inside its own; use_reentrant=False runs it with autograd under saved-tensor
   * hooks that keep nothing, and runs it again at the first unpack of a saved tensor
   */
  readonly reentrant: boolean;
  /** the call keeps the CPU RNG state (preserve_rng_state=True, torch's default) */
  readonly preservesRngState: boolean;
  rngState?: Storage | undefined;
  /** autograd holds the call's arguments (and RNG state) for the recompute */
  recorded: boolean;
  recomputed: boolean;
  /** the gradients CheckpointFunction's backward was called with: held until it returns */
  held: Storage[];
  /** use_reentrant=False: the ops whose autograd node packed a saved tensor (a Holder); the first one the backward reaches recomputes */
  readonly packs: Set<number>;
}

/**
 * A reentrant checkpoint's outputs carry a gradient only if one of its tensor arguments does,
 * whatever weights it holds (torch 1.13 warns "None of the inputs have requires_grad=True" and
 * computes no gradient for them); a non-reentrant one's weights get theirs
 */
export function checkpointCut(graph: Graph, segments: ReadonlyMap<number, CheckpointSegment>): (op: number, requires: Uint8Array) => boolean {
  return (i, requires) => {
    const op = graph.ops[i]!;
    const segment = op.checkpointSegment === undefined ? undefined : segments.get(op.checkpointSegment);
    return segment !== undefined && segment.reentrant && segment.outputs.includes(op.output) && !segment.inputs.some((t) => requires[t] === 1);
  };
}

export function checkpointSegments(graph: Graph): Map<number, CheckpointSegment> {
  const segments = new Map<number, CheckpointSegment & { ops: number[]; inputs: number[]; outputs: number[] }>();
  const segmentOf = new Map<number, number>();
  for (const op of graph.ops) {
    if (op.checkpointSegment === undefined) continue;
    let s = segments.get(op.checkpointSegment);
    const mode = graph.checkpointModes?.get(op.checkpointSegment) ?? { reentrant: true, preservesRngState: true };
    if (!s) segments.set(op.checkpointSegment, (s = { ops: [], inputs: [], outputs: [], ...mode, recorded: true, recomputed: false, held: [], packs: new Set() }));
    s.ops.push(op.id);
    segmentOf.set(op.output, op.checkpointSegment);
    for (const t of op.inputs) if (segmentOf.get(t) !== op.checkpointSegment && !s.inputs.includes(t)) s.inputs.push(t);
  }
  const read = (t: number, by: number | undefined): void => {
    const s = segmentOf.get(t);
    if (s === undefined || s === by) return;
    const seg = segments.get(s)!;
    if (!seg.outputs.includes(t)) seg.outputs.push(t);
  };
  for (const op of graph.ops) for (const t of op.inputs) read(t, op.checkpointSegment);
  for (const t of graph.outputs) read(t, undefined);
  return segments;
}
