// NNM203 batch bloat: at the configured batch, bytes that grow with the batch dominate the peak
// although a smaller batch would still fill the device's SIMD lanes (a graph processor such as
// the IPU needs no batch for that at all). Names the three largest batch-sized buffers at the peak.
import { activationDType } from '../graphBuilder';
import { formatBytes } from '../units';
import { bufferBytes, describeBuffer, lowerBoundAt, percent } from './describe';
import type { FixSpec } from '../document';
import type { Rule } from './types';

export const batchBloatRule: Rule = {
  code: 'NNM203',
  name: 'batchBloat',
  defaultSeverity: 'warning',
  summary: 'memory that grows with the batch dominates the peak beyond what fills the SIMD lanes',
  check(model, { memory, thresholds }) {
    const graph = model.graph;
    const batch = graph.config.batch;
    const peak = memory.peakStep;
    if (!peak || memory.overflow) return [];
    const total = peak.live.fixed + peak.live.perSample * batch;
    const growing = peak.live.perSample * batch;
    if (total <= 0 || growing < thresholds.batchBloatBytes || growing / total < thresholds.batchBloatShare) return [];
    const fill = memory.simd.batch ?? 1;
    if (batch <= fill) return [];
    const top = peak.buffers
      .filter((id) => memory.buffer(id)!.bytes.perSample > 0)
      .slice(0, 3)
      .map((id) => `${describeBuffer(graph, memory, id)} ${formatBytes(bufferBytes(memory, id))}`);
    const fillText =
      memory.simd.batch !== null && memory.simd.planned !== null
        ? `; batch ${fill}, which fills the ${memory.simd.lanes} ${activationDType(graph.config)} lanes, needs ${formatBytes(memory.simd.planned)} planned`
        : `; ${graph.config.device.name} needs no batch to fill SIMD lanes`;
    const fixes: FixSpec[] = [{ kind: 'batch', model: graph.name, batch: fill, why: memory.simd.batch !== null ? 'fills the SIMD lanes' : 'graph processors need no batch' }];
    return [
      {
        range: graph.nameRange,
        message:
          `batch ${batch}: ${percent(growing, total)} of the peak (${formatBytes(growing)} of ${formatBytes(total)}) grows with the batch; ` +
          `largest: ${top.join(', ')}. Batch 1 needs ${formatBytes(lowerBoundAt(memory, 1))} (lower bound)${fillText}`,
        fixes,
      },
    ];
  },
};
