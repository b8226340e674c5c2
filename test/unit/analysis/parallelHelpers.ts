// Shared by the tensor- and pipeline-parallel tests: a small transformer and the per-stage figures.
import assert from 'node:assert/strict';
import type { ModelAnalysis } from '../../../server/src/core/document';
import { engineOf } from '../../../server/src/core/analysis/memory';
import { kvCacheOf } from '../../../server/src/core/analysis/kvCache';
import { pipelineStagesOf, stageFigures, type StageFigures } from '../../../server/src/core/analysis/pipeline';
import type { TensorSplit } from '../../../server/src/core/analysis/tensorParallel';

const LAYER = `block layer(x) {
  x = add(x, attention(layernorm(x), heads: 4))
  return add(x, dense(gelu(dense(layernorm(x), 64)), 16))
}`;

/** `layers` pre-layernorm transformer layers on [L = 8, d = 16], 4 heads, a 64-wide GELU MLP, fp32, Adam, batch 8 */
export function smallTransformer(config: string, layers = 2): string {
  return `config {\n  mode: train\n  batch: 8\n  precision: fp32\n  optimizer: adam\n${config}}\n${LAYER}\nmodel m {\n  x = input(8, 16)\n  return repeat ${layers} layer(x)\n}\n`;
}

/** the figures of one stage (the whole model without pipelining) */
export function figures(m: ModelAnalysis, split: TensorSplit | undefined, pipeline = 1, microbatches = 1): StageFigures[] {
  const e = engineOf(m.memory!)!;
  const stages = pipelineStagesOf(m.graph, pipeline);
  assert.ok(!('error' in stages));
  return stageFigures(m.graph, e.schedule, e.liveness, stages, split, microbatches, kvCacheOf(m.graph));
}

