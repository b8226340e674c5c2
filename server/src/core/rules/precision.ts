// NNM207 precision: fp32 training where mixed precision (fp16 activations and weights, fp32 master
// weights and optimizer state), or bf16 on devices that support it, would fit a larger batch.
import { formatBytes } from '../units';
import type { Precision } from '../ir';
import { lowerBoundUnderPrecision } from './whatIf';
import { plannedBelow } from './describe';
import type { FixSpec } from '../document';
import type { Rule } from './types';

export const precisionRule: Rule = {
  code: 'NNM207',
  name: 'precision',
  defaultSeverity: 'hint',
  summary: 'fp32 training where mixed precision or bf16 would fit a larger batch',
  check(model, { memory, thresholds }) {
    const graph = model.graph;
    const config = graph.config;
    if (config.mode !== 'train' || config.precision !== 'fp32' || memory.overflow || plannedBelow(memory, thresholds.precisionBytes)) return [];
    // lower bound against lower bound: the exact, cheap part of the engine (planning is within a few %)
    const now = memory.maxBatch.lowerBound;
    if (now.reason === 'unbounded') return [];
    const targets: Precision[] = config.device.supportsBf16 ? ['mixed', 'bf16'] : ['mixed'];
    const parts: string[] = [];
    const fixes: FixSpec[] = [];
    for (const precision of targets) {
      const after = lowerBoundUnderPrecision(graph, model.footprint, memory, precision);
      if (after.maxBatch === null || (now.batch !== null && after.maxBatch <= now.batch)) continue;
      parts.push(`${precision} ${formatBytes(after.lowerBound)} (-${formatBytes(memory.bytes.lowerBound - after.lowerBound)}), fits batch up to ${after.maxBatch}`);
      fixes.push({ kind: 'precision', model: graph.name, precision });
    }
    if (parts.length === 0) return [];
    const nowText = now.batch !== null ? `fits batch up to ${now.batch}` : 'fits no batch';
    return [
      {
        range: graph.nameRange,
        message: `fp32 training on ${config.device.name}: peak (lower bound) at batch ${config.batch} is ${formatBytes(memory.bytes.lowerBound)} and ${nowText}; ${parts.join('; ')}`,
        fixes,
      },
    ];
  },
};
