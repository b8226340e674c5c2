// NNM206 SIMD underfill: the batch is below the lanes the device fills with data parallelism
// (1024-bit GPU: 32 fp32 / 64 fp16 lanes), so part of every vector sits idle.
import { activationDType } from '../graphBuilder';
import { formatBytes } from '../units';
import { fitWords, percent } from './describe';
import type { FixSpec } from '../document';
import type { Rule } from './types';

export const simdUnderfillRule: Rule = {
  code: 'NNM206',
  name: 'simdUnderfill',
  defaultSeverity: 'info',
  summary: 'the batch leaves SIMD lanes of the device idle',
  check(model, { memory }) {
    const config = model.graph.config;
    const fill = memory.simd.batch;
    if (fill === null || config.batch >= fill || memory.simd.planned === null) return [];
    const dtype = activationDType(config);
    const budget = config.device.memoryBytes;
    const fixes: FixSpec[] = memory.simd.fits ? [{ kind: 'batch', model: model.graph.name, batch: fill, why: `fills ${memory.simd.lanes} ${dtype} lanes` }] : [];
    return [
      {
        range: model.graph.nameRange,
        message:
          `batch ${config.batch} fills ${config.batch} of the ${memory.simd.lanes} ${dtype} lanes of ${config.device.name}'s ` +
          `${config.device.vectorBits}-bit vectors (${percent(config.batch, memory.simd.lanes)}); batch ${fill} fills them: ` +
          `planned peak ${formatBytes(memory.simd.planned)} (now ${formatBytes(memory.bytes.planned)}), ${fitWords(memory.simd.planned, budget)}`,
        fixes,
      },
    ];
  },
};
