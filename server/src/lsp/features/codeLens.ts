// Code lenses above each model: the planned peak against the device, then the footprint split.
// Cheap on every keystroke: plain fields of the analyses only (no lazy getter is read).
import type { CodeLens } from 'vscode-languageserver';
import type { DocumentAnalysis, ModelAnalysis } from '../../core/document';
import { atBatch, formatCount } from '../../core/units';
import { toLspRange } from '../position';
import { bytesText, fitText, perDeviceText, plannedFitText } from './format';
import { isParallel, parallelismOf, perDeviceOfAnalysis } from '../../core/analysis/perDevice';

/** "25.6M params · peak 2.76 GiB @ batch 32 (train, fp32) · fits 16 GiB up to batch 198" */
export function modelLensTitle(model: ModelAnalysis): string {
  const { footprint, graph, memory } = model;
  const c = graph.config;
  const params = `${formatCount(footprint.params.trainable + footprint.params.nonTrainable)} params`;
  if (graph.truncated) return `${params} so far · expansion stopped at a limit: no memory figures`;
  if (!memory) {
    const total = atBatch(footprint.bytes.total, c.batch);
    return [params, `${c.mode} total ${bytesText(total)} @ batch ${c.batch}`, fitText(total, c.device)].join(' · ');
  }
  const planned = memory.bytes.planned;
  const parts = [params, `peak ${bytesText(planned)} @ batch ${c.batch} (${c.mode}, ${c.precision})`, plannedFitText(planned, c.device, memory.maxBatch.planned)];
  // data parallelism / ZeRO asked for: reads the per-step categories (a getter), only then
  const perDevice = isParallel(parallelismOf(c)) ? perDeviceOfAnalysis(footprint.params, c, memory) : undefined;
  if (perDevice) parts.push(perDeviceText(perDevice, c.device));
  return parts.join(' · ');
}

/** "weights 97.5 MiB · activations 4.5 GiB @ batch 32": every forward output kept, no reuse */
export function footprintLensTitle(model: ModelAnalysis): string {
  const { footprint, graph } = model;
  const b = footprint.bytes;
  return [`weights ${bytesText(b.weights.fixed)}`, `activations ${bytesText(atBatch(b.activations, graph.config.batch))} @ batch ${graph.config.batch}`].join(' · ');
}

/** the client's command that opens the memory view on a model (its uri and line) */
export const SHOW_MEMORY_VIEW = 'memlens.showMemoryView';

export function codeLenses(analysis: DocumentAnalysis, enabled: boolean, uri?: string): CodeLens[] {
  if (!enabled) return [];
  return analysis.models.flatMap((model) => {
    const start = model.graph.range.start;
    const range = toLspRange({ start, end: start });
    // an empty command id: VS Code shows the title as plain text; lenses on one line share a row
    const lenses: CodeLens[] = [modelLensTitle(model), footprintLensTitle(model)].map((title) => ({ range, command: { title, command: '' } }));
    if (uri && model.memory) lenses.push({ range, command: { title: '$(graph) memory view', command: SHOW_MEMORY_VIEW, arguments: [uri, model.graph.nameRange.start.line] } });
    return lenses;
  });
}
