// Pipeline parallelism (analysis/pipeline.ts): stages cut at unit boundaries by parameter count,
// 1F1B's in-flight micro-batches, the micro-batch, and the fullest stage as the per-device figure.
// The model: four transformer layers of tensorParallel.test.ts (3,280 parameters each), fp32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { ModelAnalysis } from '../../../server/src/core/document';
import { perDeviceOfAnalysis, type Parallelism } from '../../../server/src/core/analysis/perDevice';
import { pipelineStagesOf } from '../../../server/src/core/analysis/pipeline';
import { figures, smallTransformer } from './parallelHelpers';

const analysed = (layers: number): ModelAnalysis => analyzeDocument(smallTransformer('', layers), 'nnm').models[0]!;
const P = (over: Partial<Parallelism>): Parallelism => ({
  devices: 1, zero: 0, offload: 'none', gradientAccumulation: 1, tensorParallel: 1, sequenceParallel: false, pipeline: 1, microbatches: 1, ...over,
});

/** the stage of every unit: the input op, then the first op of each layer (8 ops a layer) */
function unitStages(m: ModelAnalysis, count: number): number[] {
  const s = pipelineStagesOf(m.graph, count);
  assert.ok(!('error' in s), 'error' in s ? s.error : '');
  return [0, 1, 9, 17, 25].map((op) => s.stageOfOp[op]!);
}

test('stages end where the running parameter count comes closest to k/P of the total', () => {
  const m = analysed(4);
  assert.equal(m.footprint.params.trainable, 4 * 3_280);
  // P = 2: 6,560 is reached exactly after the second layer
  assert.deepEqual(unitStages(m, 2), [0, 0, 0, 1, 1]);
  // P = 3: targets 4,373 and 8,747; the running counts 3,280 and 9,840 are the closest (1,093 off each)
  assert.deepEqual(unitStages(m, 3), [0, 0, 1, 1, 2]);
  // P = 5: one unit each, the parameter-less input alone on stage 0
  assert.deepEqual(unitStages(m, 5), [0, 1, 2, 3, 4]);
});

test('1F1B: stage k holds min(P - k, M) micro-batches; each extra one adds its saved activations at every step', () => {
  const m = analysed(4);
  const one = figures(m, undefined, 3, 1);
  const many = figures(m, undefined, 3, 8);
  const few = figures(m, undefined, 3, 2);
  assert.deepEqual(many.map((f) => f.inFlight), [3, 2, 1]);
  assert.deepEqual(few.map((f) => f.inFlight), [2, 2, 1]);
  // stage 0 (the input and one layer) saves 9,344 B a sample (tensorParallel.test.ts); stage 1 two layers
  assert.deepEqual(one.map((f) => f.stash.perSample), [9_344, 18_688, 9_344]);
  for (let k = 0; k < 3; k++) {
    const extra = (many[k]!.inFlight - 1) * one[k]!.stash.perSample;
    assert.deepEqual(
      many[k]!.steps.map((s) => s.activations.perSample - extra),
      one[k]!.steps.map((s) => s.activations.perSample),
    );
  }
  // every stage's steps: its own forward and backward steps plus the optimizer step
  assert.equal(one.reduce((n, f) => n + f.steps.length, 0), m.memory!.steps.length + 2);
});

test('per device: the fullest stage, at the micro-batch batch / (devices x K x M)', () => {
  const m = analysed(4);
  const r = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!, P({ pipeline: 2, microbatches: 4 }));
  assert.ok(r && 'bytes' in r);
  // batch 8 / 4 micro-batches = 2 samples; both stages have 6,560 parameters, stage 0 holds 2 in flight
  assert.equal(r.microBatch, 2);
  assert.equal(r.stage, 0);
  assert.equal(r.bytes.weights, 6_560 * 4);
  // Adam in fp32: two 4-byte slots, no master copy
  assert.equal(r.bytes.optimizer, 6_560 * 8);
  const bad = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!, P({ devices: 2, pipeline: 2, microbatches: 8 }));
  assert.deepEqual(bad && 'error' in bad ? bad.error : undefined, 'batch 8 does not divide into 2 device(s) x 1 accumulation step(s) x 8 micro-batch(es)');
});

test('the largest global batch under a pipeline: every stage fits, in multiples of devices x M', () => {
  const m = analysed(4);
  const r = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!, P({ pipeline: 2, microbatches: 4 }));
  assert.ok(r && 'bytes' in r);
  assert.ok(r.maxGlobalBatch !== null && r.maxGlobalBatch % 4 === 0);
  const fits = analyzeDocument(smallTransformer('', 4).replace('batch: 8', `batch: ${r.maxGlobalBatch}`), 'nnm').models[0]!;
  const atMax = perDeviceOfAnalysis(fits.footprint.params, fits.graph.config, fits.memory!, P({ pipeline: 2, microbatches: 4 }));
  assert.ok(atMax && 'bytes' in atMax && atMax.bytes.total <= fits.graph.config.device.memoryBytes);
  // one sample more per micro-batch does not fit the fullest stage: re-evaluated at that batch
  const over = analyzeDocument(smallTransformer('', 4).replace('batch: 8', `batch: ${r.maxGlobalBatch + 4}`), 'nnm').models[0]!;
  const at = perDeviceOfAnalysis(over.footprint.params, over.graph.config, over.memory!, P({ pipeline: 2, microbatches: 4 }));
  assert.ok(at && 'bytes' in at);
  assert.ok(at.bytes.total > over.graph.config.device.memoryBytes);
});
