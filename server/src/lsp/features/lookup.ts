// Lookups in a DocumentAnalysis shared by the features: which ref is at a position, which model
// a ref belongs to, and sums of per-op findings over a set of ops (a block expansion).
import type { DocumentAnalysis, ModelAnalysis } from '../../core/document';
import type { SourceRef } from '../../core/frontend';
import type { OpId, ParamCount, Position } from '../../core/ir';
import { addBytes, ZERO_BYTES, type SymbolicBytes } from '../../core/units';
import { innermostAt } from '../position';

export function refAt(analysis: DocumentAnalysis, pos: Position): SourceRef | undefined {
  return innermostAt(analysis.refs, pos);
}

export function modelOf(analysis: DocumentAnalysis, ref: { readonly graph?: number }): ModelAnalysis | undefined {
  return ref.graph === undefined ? undefined : analysis.models[ref.graph];
}

export interface OpsTotals {
  readonly opCount: number;
  readonly params: ParamCount;
  readonly weightBytes: number;
  /** output bytes of every op in the set */
  readonly activations: SymbolicBytes;
}

export function opsTotals(model: ModelAnalysis, ops: readonly OpId[]): OpsTotals {
  let trainable = 0;
  let nonTrainable = 0;
  let weightBytes = 0;
  let activations = ZERO_BYTES;
  let opCount = 0;
  for (const id of ops) {
    const f = model.footprint.perOp[id];
    if (!f) continue;
    opCount++;
    trainable += f.params.trainable;
    nonTrainable += f.params.nonTrainable;
    weightBytes += f.weightBytes;
    activations = addBytes(activations, f.outputBytes);
  }
  return { opCount, params: { trainable, nonTrainable }, weightBytes, activations };
}
