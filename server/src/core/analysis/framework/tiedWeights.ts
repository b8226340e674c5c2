// Weight tensors tied across layers (Graph.tiedWeights: PyTorch's `decoder.weight = encoder.weight`)
// in the eager replay: each op that reads a tied tensor makes a gradient of that tensor alone at its
// own backward, and the engine sums it with the other readers' (the owner's included) like a
// weight read twice. The rest of an op's weights make one gradient, as without a tie.
import type { Graph, OpId } from '../../ir';

/** one weight gradient an op's backward makes, keyed by what the engine sums it with */
export interface WeightGradPiece {
  readonly key: string;
  readonly elements: number;
}

/** the weight gradients of each op that has tied tensors, owner and reader alike: its untied rest, then one per tied tensor */
export function tiedGradPieces(graph: Graph): Map<OpId, WeightGradPiece[]> {
  const tied = new Map<OpId, Map<number, { elements: number; counted: boolean }>>();
  const add = (op: OpId, tensor: number, elements: number, counted: boolean): void => {
    const of = tied.get(op) ?? new Map<number, { elements: number; counted: boolean }>();
    of.set(tensor, { elements, counted });
    tied.set(op, of);
  };
  for (const t of graph.tiedWeights ?? []) {
    add(t.owner, t.tensor, t.elements, true);
    add(t.reader, t.tensor, t.elements, false);
  }
  const pieces = new Map<OpId, WeightGradPiece[]>();
  for (const [op, tensors] of tied) {
    // the owner counts its tied tensors among its params; a reader's params leave them out
    let rest = graph.ops[op]!.params.trainable;
    for (const t of tensors.values()) if (t.counted) rest -= t.elements;
    pieces.set(op, [{ key: `op:${op}`, elements: rest }, ...[...tensors].map(([tensor, t]) => ({ key: `tensor:${tensor}`, elements: t.elements }))]);
  }
  return pieces;
}

/** a tie's reader whose output carries no gradient otherwise: the replay would miss its tied gradient */
export function tieGaps(graph: Graph, requiresGrad: Uint8Array): string[] {
  const gaps = new Set<string>();
  for (const t of graph.tiedWeights ?? []) {
    const reader = graph.ops[t.reader]!;
    if (requiresGrad[reader.output] !== 1) gaps.add(`${reader.op} training (a tied weight read by a layer without a gradient of its own)`);
  }
  return [...gaps];
}
