// The memory view's per-device part: what one device holds when the config asks for parallelism
// (analysis/perDevice.ts), with the code lens' own line above the bar, so the two never disagree.
import type { ModelAnalysis } from '../core/document';
import { isParallel, parallelismOf, perDeviceOfAnalysis } from '../core/analysis/perDevice';
import { perDeviceText } from '../lsp/features/format';
import { memoryViewData, type MemoryViewData, type ViewPerDevice } from './memoryView';

/** null on one plain device or without a memory analysis */
export function perDeviceView(model: ModelAnalysis): ViewPerDevice | null {
  const { graph, footprint, memory } = model;
  const config = graph.config;
  if (!memory || !isParallel(parallelismOf(config))) return null;
  const r = perDeviceOfAnalysis(footprint.params, config, memory);
  if (!r) return null;
  const head = { line: perDeviceText(r, config.device), kind: config.device.kind.toUpperCase(), budget: config.device.memoryBytes };
  if ('error' in r) return { ...head, bytes: null, total: null, host: 0, microBatch: null };
  const b = r.bytes;
  const bytes = { weights: b.weights, gradients: b.gradients, optimizer: b.optimizer, kvCache: b.kvCache, activations: b.activations, workspace: b.workspace };
  return { ...head, bytes, total: b.total, host: b.host, microBatch: r.microBatch };
}

/** the view's data with its per-device part: what the editor's view and the HTML report draw */
export function modelViewData(model: ModelAnalysis, detail = true): MemoryViewData | undefined {
  return memoryViewData(model, detail, perDeviceView(model));
}
