import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customDevice, devicePreset } from '../../../server/src/core/devices';
import {
  attrsText,
  batchLimitText,
  bytesText,
  configText,
  deviceText,
  fitDetailText,
  fitText,
  formatShape,
  lineText,
  optimizerText,
  paramsText,
  percentText,
  plannedFitText,
  symbolicAtBatch,
  symbolicText,
} from '../../../server/src/lsp/features/format';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';

test('shapes carry the symbolic batch in front', () => {
  assert.equal(formatShape([64, 112, 112]), '[N, 64, 112, 112]');
  assert.equal(formatShape([]), '[N]');
});

test('bytes: fixed + perSample x N, at the batch, and overflow stated rather than printed wrong', () => {
  assert.equal(symbolicText({ fixed: 0, perSample: 3 * 1024 ** 2 }), '3 MiB x N');
  assert.equal(symbolicText({ fixed: 1024, perSample: 0 }), '1 KiB');
  assert.equal(symbolicText({ fixed: 1024, perSample: 2048 }), '1 KiB + 2 KiB x N');
  assert.equal(symbolicAtBatch({ fixed: 1024, perSample: 2048 }, 4), '1 KiB + 2 KiB x N = 9 KiB at batch 4');
  assert.equal(symbolicAtBatch({ fixed: 1024, perSample: 0 }, 4), '1 KiB');
  assert.equal(bytesText(2 ** 60), 'over 2^53 B (overflow)');
  assert.equal(fitText(2 ** 60, customDevice('gpu', 1024)), 'exceeds gpu 1 KiB (overflow)');
});

test('params, optimizer, device and config lines', () => {
  assert.equal(paramsText({ trainable: 9408, nonTrainable: 0 }), '9,408');
  assert.equal(paramsText({ trainable: 1, nonTrainable: 2 }), '1 trainable, 2 non-trainable');
  assert.equal(optimizerText({ kind: 'sgd', momentum: 0.9 }), 'sgd(momentum: 0.9)');
  assert.equal(optimizerText({ kind: 'sgd', momentum: 0 }), 'sgd');
  assert.equal(deviceText(devicePreset('a100-40gb')!), 'a100-40gb');
  assert.equal(deviceText(customDevice('ipu', 900 * 1024 ** 2)), 'ipu 900 MiB');
  assert.equal(configText(BUILTIN_DEFAULTS), 'train · batch 32 · fp32 · sgd · v100-16gb');
  assert.equal(configText({ ...BUILTIN_DEFAULTS, mode: 'infer' }), 'infer · batch 32 · fp32 · v100-16gb');
  assert.equal(fitText(16 * 1024 ** 3, devicePreset('v100-16gb')!), 'fits v100-16gb');
  assert.equal(fitText(16 * 1024 ** 3 + 512, devicePreset('v100-16gb')!), 'exceeds v100-16gb by 512 B');
});

test('op arguments: those the registry would not have chosen, unset options left out', () => {
  assert.equal(
    attrsText('conv2d', { filters: 64, kernel: 7, stride: 2, pad: 3, dilation: 1, groups: 1, bias: false, activation: 'linear' }),
    'filters: 64, kernel: 7, stride: 2, pad: 3, bias: false',
  );
  assert.equal(attrsText('input', { shape: [3, 224, 224], dtype: null }), 'shape: [3, 224, 224]');
  assert.equal(attrsText('no_such_op', { a: 1 }), 'a: 1');
});

test('the hover says how much is left, or falls back to the overflow wording', () => {
  assert.equal(fitDetailText(12 * 1024 ** 3, devicePreset('v100-16gb')!), 'fits v100-16gb, 4 GiB to spare');
  assert.equal(fitDetailText(17 * 1024 ** 3, devicePreset('v100-16gb')!), 'exceeds v100-16gb by 1 GiB');
});

test('lines as the editor numbers them, percentages with one decimal', () => {
  assert.equal(lineText(0), 'line 1');
  assert.equal(percentText(0.007), '0.7%');
  assert.equal(percentText(0), '0%');
  assert.equal(percentText(0.125), '12.5%');
  assert.equal(percentText(0.0001), '<0.1%');
  assert.equal(percentText(Number.NaN), 'n/a');
});

test('batch limits: a number, or why there is none', () => {
  assert.equal(batchLimitText({ batch: 1234 }), '1,234');
  assert.equal(batchLimitText({ batch: null, reason: 'unbounded' }), 'any batch');
  assert.equal(batchLimitText({ batch: null, reason: 'none-fits' }), 'no batch fits');
});

test('the planned peak against the device, for the code lens', () => {
  const gpu = customDevice('gpu', 16 * 1024 ** 3);
  assert.equal(plannedFitText(6 * 1024 ** 3, gpu, { batch: 88 }), 'fits 16 GiB up to batch 88');
  assert.equal(plannedFitText(1024, gpu, { batch: null, reason: 'unbounded' }), 'fits 16 GiB at any batch');
  assert.equal(plannedFitText(16 * 1024 ** 3, gpu, { batch: 32 }), 'fits 16 GiB up to batch 32');
  assert.equal(plannedFitText(16 * 1024 ** 3 + 1024 ** 2, gpu, { batch: 31 }), 'exceeds 16 GiB by 1 MiB · fits up to batch 31');
  assert.equal(plannedFitText(17 * 1024 ** 3, gpu, { batch: null, reason: 'none-fits' }), 'exceeds 16 GiB by 1 GiB · no batch fits');
  assert.equal(plannedFitText(2 ** 60, gpu, { batch: null, reason: 'none-fits' }), 'exceeds 16 GiB (overflow) · no batch fits');
});
