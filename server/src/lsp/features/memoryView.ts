// `memlens/memoryView`: what the memory view and the status bar show for one open document: each
// model's view data (report/memoryView.ts), the model under the cursor, and, for the batch slider,
// the same at another batch (the document analysed again with only the batch overridden).
import { ProtocolRequestType } from 'vscode-languageserver/node';
import type { DocumentAnalysis } from '../../core/document';
import type { MemoryViewData } from '../../report/memoryView';
import { modelViewData } from '../../report/perDeviceView';
import { formatBytes } from '../../core/units';

export interface MemoryViewParams {
  readonly uri: string;
  /** 0-based line of the cursor: the model it is in (or the last one above it) is the active one */
  readonly line?: number;
  /** draw at this batch instead of the configured one (the view's slider) */
  readonly batch?: number;
  /** the figures only, without each model's steps and buffers (the status bar) */
  readonly summary?: boolean;
}

export interface MemoryViewResult {
  readonly uri: string;
  readonly models: readonly MemoryViewData[];
  /** index into models, -1 when there is none */
  readonly active: number;
  /** the batch the file or settings configure, to reset the slider to */
  readonly configuredBatch: number | null;
  /** the active model's figures as the hovers write them, for the status bar */
  /** `perDevice`: one device's total under parallelism (null otherwise, or without a figure) */
  readonly status: { readonly planned: string; readonly budget: string; readonly expected: string | null; readonly perDevice: string | null } | null;
}

export const MemoryViewRequest = new ProtocolRequestType<MemoryViewParams, MemoryViewResult, never, void, void>('memlens/memoryView');

/** the batches the slider may ask for: beyond this a planner run per step of the slider is too slow to follow */
export const MAX_VIEW_BATCH = 65536;

export function memoryView(analysis: DocumentAnalysis, params: MemoryViewParams, atBatch: (batch: number) => DocumentAnalysis): MemoryViewResult {
  const configured = analysis.models[0]?.graph.config.batch ?? null;
  const wanted = params.batch !== undefined && Number.isSafeInteger(params.batch) && params.batch >= 1 && params.batch <= MAX_VIEW_BATCH ? params.batch : undefined;
  const drawn = wanted !== undefined && analysis.models.some((m) => m.graph.config.batch !== wanted) ? atBatch(wanted) : analysis;
  const models = drawn.models.flatMap((m) => modelViewData(m, params.summary !== true) ?? []);
  let active = models.length > 0 ? 0 : -1;
  if (params.line !== undefined) models.forEach((m, i) => m.line <= params.line! && (active = i));
  const m = models[active];
  const perDevice = m?.perDevice?.total ?? null;
  const status = m
    ? { planned: formatBytes(m.planned), budget: formatBytes(m.budget), expected: m.expectedPeak === null ? null : formatBytes(m.expectedPeak), perDevice: perDevice === null ? null : formatBytes(perDevice) }
    : null;
  return { uri: params.uri, models, active, configuredBatch: configured, status };
}
