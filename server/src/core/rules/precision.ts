// NNM207 precision: fp32 training where mixed precision (fp16 activations and weights, fp32 master
// weights and optimizer state), or bf16 on devices that support it, would fit a larger batch.
import { formatBytes } from '../units';
import type { Precision } from '../ir';
import { memoryOfGraph, withPrecision } from './whatIf';
import type { FixSpec, Rule } from './types';

export const precisionRule: Rule = {
  code: 'NNM207',
  name: 'precision',
  defaultSeverity: 'hint',
  summary: 'fp32 training where mixed precision or bf16 would fit a larger batch',
  check(model, { memory }) {
    const graph = model.graph;
    const config = graph.config;
    if (config.mode !== 'train' || config.precision !== 'fp32' || memory.overflow) return [];
    const now = memory.maxBatch.planned;
    if (now.reason === 'unbounded') return [];
    const targets: Precision[] = config.device.supportsBf16 ? ['mixed', 'bf16'] : ['mixed'];
    const parts: string[] = [];
    const fixes: FixSpec[] = [];
    for (const precision of targets) {
      const after = memoryOfGraph(withPrecision(graph, precision));
      const limit = after.maxBatch.planned.batch;
      if (limit === null || (now.batch !== null && limit <= now.batch)) continue;
      const saving = memory.bytes.planned - after.bytes.planned;
      parts.push(`${precision} needs ${formatBytes(after.bytes.planned)} at batch ${config.batch} (-${formatBytes(saving)}) and fits batch up to ${limit}`);
      fixes.push({ kind: 'precision', model: graph.name, precision });
    }
    if (parts.length === 0) return [];
    const nowText = now.batch !== null ? `fp32 fits batch up to ${now.batch}` : 'fp32 fits no batch';
    return [
      {
        range: graph.nameRange,
        message: `fp32 training on ${config.device.name}: ${parts.join('; ')} (${nowText}, planned ${formatBytes(memory.bytes.planned)})`,
        fixes,
      },
    ];
  },
};
