// Inlay hints at the end of each top-level model statement: the activation memory it adds
// (per sample, x N) and the parameters it adds.
import type { InlayHint } from 'vscode-languageserver';
import type { DocumentAnalysis, ModelAnalysis } from '../../core/document';
import type { SourceRange } from '../../core/ir';
import { addBytes, atBatch, formatCount, ZERO_BYTES, type SymbolicBytes } from '../../core/units';
import { comparePositions, rangeKey, toLspPosition } from '../position';
import { bytesText, symbolicText } from './format';
import { Attachment } from '../../core/attach';

export interface InlayHintOptions {
  readonly enabled: boolean;
  readonly showParams: boolean;
}

export interface StatementCost {
  readonly statement: SourceRange;
  readonly bytes: SymbolicBytes;
  readonly params: number;
}

/** computed once per analysis: the editor asks for hints on every scroll */
const costsOf = new Attachment<ModelAnalysis, readonly StatementCost[]>('memlens statement costs');

/** sums of the per-op figures of every op (expanded blocks included) by top-level statement, in source order */
export function statementCosts(model: ModelAnalysis): readonly StatementCost[] {
  let costs = costsOf.get(model);
  if (!costs) {
    costs = sumByStatement(model);
    costsOf.set(model, costs);
  }
  return costs;
}

function sumByStatement(model: ModelAnalysis): StatementCost[] {
  const byStatement = new Map<string, { statement: SourceRange; bytes: SymbolicBytes; params: number }>();
  for (const op of model.graph.ops) {
    const f = model.footprint.perOp[op.id];
    if (!f) continue;
    const key = rangeKey(op.statement);
    const entry = byStatement.get(key) ?? { statement: op.statement, bytes: ZERO_BYTES, params: 0 };
    entry.bytes = addBytes(entry.bytes, f.outputBytes);
    entry.params += f.params.trainable + f.params.nonTrainable;
    byStatement.set(key, entry);
  }
  return [...byStatement.values()].sort((a, b) => comparePositions(a.statement.start, b.statement.start));
}

/** "3.06 MiB x N · +9.41K params" */
export function statementLabel(cost: StatementCost, showParams: boolean): string {
  const parts = [symbolicText(cost.bytes)];
  if (showParams && cost.params > 0) parts.push(`+${formatCount(cost.params)} params`);
  return parts.join(' · ');
}

export function inlayHints(analysis: DocumentAnalysis, range: SourceRange, options: InlayHintOptions): InlayHint[] {
  if (!options.enabled) return [];
  const hints: InlayHint[] = [];
  for (const model of analysis.models) {
    const batch = model.graph.config.batch;
    for (const cost of statementCosts(model)) {
      const at = cost.statement.end;
      if (comparePositions(at, range.start) < 0 || comparePositions(at, range.end) > 0) continue;
      hints.push({
        position: toLspPosition(at),
        label: statementLabel(cost, options.showParams),
        paddingLeft: true,
        tooltip: `${bytesText(atBatch(cost.bytes, batch))} at batch ${batch}`,
      });
    }
  }
  return hints;
}
