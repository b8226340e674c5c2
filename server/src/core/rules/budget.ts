// NNM201: the planned peak does not fit the device memory. Reported on the model name and on the
// statement of the step that holds the peak, with the overshoot and the largest batch that fits.
import type { CoreDiagnostic, Graph } from '../ir';
import type { MemoryAnalysis } from '../analysis/memory';
import { formatBytes, formatSymbolic } from '../units';
import { plannedExceeds } from './describe';
import { opAt } from '../graphObjects';
import { perDeviceOfAnalysis, totalDevices } from '../analysis/perDevice';
import type { ModelAnalysis } from '../document';
import type { RawFinding } from './types';

export const BUDGET_CODE = 'NNM201';

export function budgetDiagnostics(graph: Graph, memory: MemoryAnalysis): CoreDiagnostic[] {
  const config = graph.config;
  const device = config.device;
  if (memory.overflow) {
    return [
      {
        range: graph.nameRange,
        severity: 'error',
        code: BUDGET_CODE,
        message: `${graph.name}: memory at batch ${config.batch} is too large to count exactly (over 2^53 bytes); it cannot fit ${device.name}`,
      },
    ];
  }
  if (!plannedExceeds(memory, device.memoryBytes)) return [];
  const planned = memory.bytes.planned;
  const limit = memory.maxBatch.planned;
  const advice =
    limit.batch !== null
      ? `the largest batch that fits is ${limit.batch}`
      : limit.reason === 'unbounded'
        ? `the batch does not change it: ${formatBytes(memory.bytes.alwaysLive.fixed)} is always live`
        : 'not even batch 1 fits';
  const peak = memory.peakStep;
  const where = peak && peak.line !== null ? ` at line ${peak.line + 1} (${peak.phase})` : '';
  const message =
    `${graph.name}: planned peak ${formatBytes(planned)} @ batch ${config.batch} (${config.mode}, ${config.precision})${where} ` +
    `exceeds ${device.name}'s ${formatBytes(device.memoryBytes)} by ${formatBytes(planned - device.memoryBytes)}; ${advice} ` +
    `(peak step live bytes: ${formatSymbolic(memory.bytes.lowerBoundAffine)})`;
  const out: CoreDiagnostic[] = [{ range: graph.nameRange, severity: 'error', code: BUDGET_CODE, message }];
  // one op object, not the whole graph's: a million-op model would build them all here
  const node = peak?.op !== undefined ? opAt(graph, peak.op) : undefined;
  if (node) {
    out.push({
      range: node.statement,
      severity: 'error',
      code: BUDGET_CODE,
      message: `memory peaks here (${peak!.phase} ${node.op}): ${message}`,
      related: [{ range: graph.nameRange, message: `model ${graph.name}` }],
    });
  }
  return out;
}

/**
 * NNM201 under parallelism: one device's memory (analysis/perDevice.ts) against the device's. No
 * finding when it fits, or when there is no per-device figure (the hover and code lens say why).
 */
export function perDeviceBudgetFinding(model: ModelAnalysis, memory: MemoryAnalysis): RawFinding[] {
  const { graph } = model;
  const config = graph.config;
  const device = config.device;
  const r = memory.overflow ? undefined : perDeviceOfAnalysis(model.footprint.params, config, memory);
  if (!r || 'error' in r || r.bytes.total <= device.memoryBytes) return [];
  const p = r.parallelism;
  const total = totalDevices(p);
  const limit = r.maxGlobalBatch;
  const advice =
    limit === null ? 'the batch does not change it' : limit === 0 ? 'not even a micro-batch of 1 fits' : `the largest global batch that fits is ${limit}`;
  const kind = device.kind.toUpperCase();
  const message =
    `${graph.name}: ${formatBytes(r.bytes.total)} per ${kind} at micro-batch ${r.microBatch} (global batch ${config.batch} on ${total} devices) ` +
    `exceeds ${device.name}'s ${formatBytes(device.memoryBytes)} by ${formatBytes(r.bytes.total - device.memoryBytes)}; ${advice}`;
  const fixes = limit !== null && limit > 0 && limit !== config.batch ? [{ kind: 'batch' as const, model: graph.name, batch: limit, why: `the largest that fits each ${device.name}` }] : [];
  return [{ range: graph.nameRange, message, fixes }];
}
