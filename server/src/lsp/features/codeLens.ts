// Code lens above each model: its totals in one line.
import type { CodeLens } from 'vscode-languageserver';
import type { DocumentAnalysis, ModelAnalysis } from '../../core/document';
import { atBatch, formatCount } from '../../core/units';
import { toLspRange } from '../position';
import { bytesText, fitText } from './format';

/** "25.6M params · weights 97.5 MiB · activations 5.2 GiB @ batch 32 · train total 5.5 GiB · fits v100-16gb" */
export function modelLensTitle(model: ModelAnalysis): string {
  const { footprint, graph } = model;
  const c = graph.config;
  const b = footprint.bytes;
  const total = atBatch(b.total, c.batch);
  const params = footprint.params.trainable + footprint.params.nonTrainable;
  return [
    `${formatCount(params)} params`,
    `weights ${bytesText(b.weights.fixed)}`,
    `activations ${bytesText(atBatch(b.activations, c.batch))} @ batch ${c.batch}`,
    `${c.mode} total ${bytesText(total)}`,
    fitText(total, c.device),
  ].join(' · ');
}

export function codeLenses(analysis: DocumentAnalysis, enabled: boolean): CodeLens[] {
  if (!enabled) return [];
  return analysis.models.map((model) => {
    const start = model.graph.range.start;
    return {
      range: toLspRange({ start, end: start }),
      // an empty command id: VS Code shows the title as plain text
      command: { title: modelLensTitle(model), command: '' },
    };
  });
}
