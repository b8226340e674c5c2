// NNM210 zeroStage: data-parallel training whose per-device memory is over the device, where a
// higher ZeRO stage (FSDP sharding) would fit: stage 1 shards the optimizer state over the devices,
// 2 also the gradients, 3 also the parameters (analysis/perDevice.ts, the ZeRO paper's accounting).
import { isParallel, parallelismOf, perDeviceOfAnalysis, type PerDeviceResult } from '../analysis/perDevice';
import type { ZeroStage } from '../ir';
import { formatBytes } from '../units';
import type { Rule } from './types';

const WHAT_IS_SHARDED: Readonly<Record<ZeroStage, string>> = {
  0: 'nothing',
  1: 'the optimizer state',
  2: 'the optimizer state and gradients',
  3: 'the optimizer state, gradients and parameters',
};

const totalOf = (r: PerDeviceResult | undefined): number | undefined => (r && !('error' in r) ? r.bytes.total : undefined);

export const zeroStageRule: Rule = {
  code: 'NNM210',
  name: 'zeroStage',
  defaultSeverity: 'warning',
  summary: 'data-parallel training over the device memory where a higher ZeRO stage would fit',
  check(model, { memory }) {
    const graph = model.graph;
    const config = graph.config;
    const p = parallelismOf(config);
    if (config.mode !== 'train' || !isParallel(p) || p.devices < 2 || memory.overflow) return [];
    const budget = config.device.memoryBytes;
    const now = totalOf(perDeviceOfAnalysis(model.footprint.params, config, memory));
    if (now === undefined || now <= budget) return [];
    for (let stage = (p.zero + 1) as ZeroStage; stage <= 3; stage = (stage + 1) as ZeroStage) {
      const after = totalOf(perDeviceOfAnalysis(model.footprint.params, config, memory, { ...p, zero: stage }));
      if (after === undefined || after > budget) continue;
      const kind = config.device.kind.toUpperCase();
      return [
        {
          range: graph.nameRange,
          message:
            `per ${kind} ${formatBytes(now)} of ${formatBytes(budget)} on ${p.devices} x ${config.device.name} at ZeRO stage ${p.zero}; ` +
            `stage ${stage} shards ${WHAT_IS_SHARDED[stage]} over the ${p.devices} devices: ${formatBytes(after)} per ${kind} (-${formatBytes(now - after)}), fits`,
          fixes: [{ kind: 'zero', model: graph.name, stage }],
        },
      ];
    }
    return [];
  },
};
