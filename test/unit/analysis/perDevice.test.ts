// Per-device memory under data parallelism and ZeRO (analysis/perDevice.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { ConfigOverrides } from '../../../server/src/core/config';
import { perDeviceOfAnalysis, type PerDeviceResult } from '../../../server/src/core/analysis/perDevice';

function perDevice(text: string, overrides: ConfigOverrides): PerDeviceResult {
  const model = analyzeDocument(text, 'nnm', { overrides }).models[0]!;
  assert.ok(model.memory, 'the model has a memory analysis');
  const r = perDeviceOfAnalysis(model.footprint.params, model.graph.config, model.memory);
  assert.ok(r);
  return r;
}

function bytesOf(r: PerDeviceResult) {
  assert.ok('bytes' in r, 'error' in r ? r.error : '');
  return r.bytes;
}

// 99,999 inputs x 75,000 units + 75,000 biases = 75,000 x 100,000 = 7.5e9 parameters
const ZERO_PAPER_MODEL = `config {
  mode: train
  batch: 64
  precision: mixed
  optimizer: adam
}
model big {
  x = input(99999)
  return dense(x, 75000)
}
`;

test('the ZeRO paper table: 7.5B parameters, 64 devices, mixed precision + Adam', () => {
  // Rajbhandari et al. 2020, figure 1: 120 GB, 31.4 GB, 16.6 GB, 1.9 GB of model states per device
  const expected = [
    120_000_000_000, // (2 + 2 + 12) x 7.5e9
    31_406_250_000, // (2 + 2 + 12/64) x 7.5e9
    16_640_625_000, // (2 + 14/64) x 7.5e9
    1_875_000_000, // 16/64 x 7.5e9
  ];
  for (const zero of [0, 1, 2, 3] as const) {
    const r = perDevice(ZERO_PAPER_MODEL, { devices: 64, zero });
    const b = bytesOf(r);
    assert.equal(b.weights + b.gradients + b.optimizer, expected[zero], `stage ${zero}`);
    assert.equal(b.host, 0);
    assert.equal('microBatch' in r && r.microBatch, 1);
  }
});
