// Per-device memory under data parallelism and ZeRO (analysis/perDevice.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { ConfigOverrides } from '../../../server/src/core/config';
import { customDevice } from '../../../server/src/core/devices';
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

// 8 -> 4 -> 2, fp32 + Adam: 36 + 10 = 46 parameters; weights 184 B, gradients 184 B, Adam 2 x 184 B.
// Transients per sample (fp32): the peak is the last dense's backward, 80 B/sample = saved x (32) and
// relu output (16), the logits (8), and the activation gradients dL/dlogits (8) and dL/dh (16).
const SMALL_MLP = `config {
  mode: train
  batch: 16
  precision: fp32
  optimizer: adam
}
model small {
  x = input(8)
  h = relu(dense(x, 4))
  return dense(h, 2)
}
`;

test('small MLP: 2 devices x 2 accumulation steps, stage 0 then stage 2', () => {
  const plain = perDevice(SMALL_MLP, { devices: 2, gradientAccumulation: 2 });
  assert.equal('microBatch' in plain && plain.microBatch, 4); // 16 / (2 x 2)
  assert.deepEqual(bytesOf(plain), { weights: 184, gradients: 184, optimizer: 368, activations: 320, workspace: 0, kvCache: 0, total: 1056, host: 0 });
  // stage 2 over 2 devices: 23 parameters' gradients (92 B) and Adam state (184 B) each
  const zero2 = perDevice(SMALL_MLP, { devices: 2, gradientAccumulation: 2, zero: 2 });
  assert.deepEqual(bytesOf(zero2), { weights: 184, gradients: 92, optimizer: 184, activations: 320, workspace: 0, kvCache: 0, total: 780, host: 0 });
});

test('small MLP: 4 devices, stage 2 and 3 with optimizer offload (46 parameters pad to 4 x 12)', () => {
  const zero2 = perDevice(SMALL_MLP, { devices: 4, zero: 2, offload: 'cpu' });
  assert.deepEqual(bytesOf(zero2), { weights: 184, gradients: 48, optimizer: 0, activations: 320, workspace: 0, kvCache: 0, total: 552, host: 96 });
  const zero3 = perDevice(SMALL_MLP, { devices: 4, zero: 3, offload: 'cpu' });
  assert.deepEqual(bytesOf(zero3), { weights: 0, gradients: 48, optimizer: 0, activations: 320, workspace: 0, kvCache: 0, total: 368, host: 144 });
});

test('small MLP: a batch that does not divide gives a reason, no figure', () => {
  const r = perDevice(SMALL_MLP, { devices: 3 });
  assert.ok('error' in r);
  assert.equal(r.error, 'batch 16 does not divide into 3 device(s) x 1 accumulation step(s)');
});

test('small MLP: the largest global batch that fits a 1000-byte device', () => {
  // resident 736 B; (1000 - 736) / 80 = 3 samples per micro-batch, x 2 devices x 2 steps
  const r = perDevice(SMALL_MLP, { devices: 2, gradientAccumulation: 2, device: customDevice('gpu', 1000) });
  assert.equal('maxGlobalBatch' in r && r.maxGlobalBatch, 12);
});
