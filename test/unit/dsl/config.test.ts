import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_DEFAULTS, mergeConfig } from '../../../server/src/core/config';
import { customDevice, DEVICE_PRESETS } from '../../../server/src/core/devices';
import { parseConfigSetting } from '../../../server/src/core/dsl/config';
import { analyzeNnm } from '../../../server/src/core/dsl/frontend';
import { analyze } from './helpers';

const GiB = 1024 ** 3;

test('parseConfigSetting: every key in .nnm syntax', () => {
  assert.deepEqual(parseConfigSetting('mode', 'infer'), { value: { mode: 'infer' } });
  assert.deepEqual(parseConfigSetting('batch', ' 64 '), { value: { batch: 64 } });
  assert.deepEqual(parseConfigSetting('batch', '16 * 4'), { value: { batch: 64 } });
  assert.deepEqual(parseConfigSetting('precision', 'mixed'), { value: { precision: 'mixed' } });
  assert.deepEqual(parseConfigSetting('optimizer', 'adamw'), { value: { optimizer: { kind: 'adamw', momentum: 0 } } });
  assert.deepEqual(parseConfigSetting('optimizer', 'sgd(momentum: 0.9)'), { value: { optimizer: { kind: 'sgd', momentum: 0.9 } } });
  assert.deepEqual(parseConfigSetting('optimizer', 'sgd'), { value: { optimizer: { kind: 'sgd', momentum: 0 } } });
  assert.deepEqual(parseConfigSetting('optimizer', 'adam(set_to_none: true)'), { value: { optimizer: { kind: 'adam', momentum: 0, setToNone: true } } });
  assert.deepEqual(parseConfigSetting('optimizer', 'sgd(momentum: 0.9, set_to_none: true)'), { value: { optimizer: { kind: 'sgd', momentum: 0.9, setToNone: true } } });
  assert.deepEqual(parseConfigSetting('optimizer', 'adamw(set_to_none: false)'), { value: { optimizer: { kind: 'adamw', momentum: 0 } } });
  assert.deepEqual(parseConfigSetting('layout', 'nhwc'), { value: { layout: 'nhwc' } });
  assert.deepEqual(parseConfigSetting('lowering', 'im2col'), { value: { lowering: 'im2col' } });
  for (const name of Object.keys(DEVICE_PRESETS)) assert.deepEqual(parseConfigSetting('device', name), { value: { device: DEVICE_PRESETS[name] } }, name);
  assert.deepEqual(parseConfigSetting('device', 'gpu(memory: 16GiB)'), { value: { device: customDevice('gpu', 16 * GiB) } });
  assert.deepEqual(parseConfigSetting('device', 'ipu(memory: 900MiB)'), { value: { device: customDevice('ipu', 900 * 1024 ** 2) } });
  assert.deepEqual(parseConfigSetting('device', 'cpu(memory: 512MB)'), { value: { device: customDevice('cpu', 512e6) } });
});

test('parseConfigSetting: clear errors, never a wrong value', () => {
  assert.deepEqual(parseConfigSetting('batch', '1e30'), { error: 'batch: 1e+30 is too large to be an exact integer (the limit is 2^53 - 1)' });
  assert.deepEqual(parseConfigSetting('batch', '0'), { error: 'batch must be from 1 to 2147483647, got 0' });
  assert.deepEqual(parseConfigSetting('batch', '2.5'), { error: 'batch: expected an integer, got 2.5' });
  assert.deepEqual(parseConfigSetting('mode', 'trian'), { error: "'trian' is not a valid mode; expected train | infer | generate; did you mean 'train'?" });
  assert.deepEqual(parseConfigSetting('optimizer', 'sgd(momentum: 1)'), { error: 'momentum must be at least 0 and below 1, got 1' });
  assert.deepEqual(parseConfigSetting('optimizer', 'adam(momentum: 0.9)'), { error: "adam(...) takes only 'set_to_none'" });
  assert.deepEqual(parseConfigSetting('optimizer', 'sgd(nesterov: true)'), { error: "sgd(...) takes 'momentum' and 'set_to_none'" });
  assert.deepEqual(parseConfigSetting('optimizer', 'adam(set_to_none: 1)'), { error: 'set_to_none: expected true or false, got the integer 1' });
  assert.deepEqual(parseConfigSetting('device', 'gpu'), { error: 'a custom gpu needs its memory: gpu(memory: 16GiB)' });
  assert.deepEqual(parseConfigSetting('device', 'gpu(memory: 0)'), { error: 'memory must be a positive size such as 16GiB or 512MB, got the integer 0' });
  assert.deepEqual(parseConfigSetting('device', 'gpu(memory: 99999999999TiB)'), { error: '99999999999TiB is too large to count exactly in bytes' });
  assert.deepEqual(parseConfigSetting('bacth', '2'), { error: "unknown config key 'bacth'; did you mean 'batch'?" });
  assert.match(parseConfigSetting('device', 'gpu(memory: 16GiB').error ?? '', /^invalid device 'gpu\(memory: 16GiB': .*not closed/);
  assert.match(parseConfigSetting('layout', '').error ?? '', /^invalid layout '': expected an expression/);
});

test('precedence: defaults < file config < model config < overrides', () => {
  const defaults = mergeConfig(BUILTIN_DEFAULTS, { batch: 1, mode: 'infer', precision: 'bf16', layout: 'nchw' });
  const src = [
    'config {',
    '  batch: 8',
    '  precision: fp16',
    '}',
    'model m {',
    '  config {',
    '    batch: 4',
    '  }',
    '  return input(1)',
    '}',
  ].join('\n');
  const plain = analyzeNnm(src, defaults).graphs[0]!.config;
  assert.deepEqual([plain.mode, plain.precision, plain.batch], ['infer', 'fp16', 4]);
  const over = analyzeNnm(src, defaults, { batch: 2, precision: 'fp32' }).graphs[0]!.config;
  assert.deepEqual([over.mode, over.precision, over.batch], ['infer', 'fp32', 2]);
});

test('config keys in the file: valid values reach the graph, invalid ones keep the default', () => {
  const src = 'config {\n  device: a100-80gb\n  optimizer: adam\n  lowering: direct\n  batch: 0\n}\nmodel m {\n  return input(1)\n}\n';
  const r = analyze(src);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['NNM141']);
  const c = r.graphs[0]!.config;
  assert.equal(c.device.name, 'a100-80gb');
  assert.equal(c.device.memoryBytes, 80 * GiB);
  assert.deepEqual(c.optimizer, { kind: 'adam', momentum: 0 });
  assert.equal(c.lowering, 'direct');
  assert.equal(c.batch, BUILTIN_DEFAULTS.batch);
});

test('config entries may be separated by commas on one line', () => {
  const r = analyze('config { batch: 3, mode: infer }\nmodel m {\n  return input(1)\n}\n');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual([r.graphs[0]!.config.batch, r.graphs[0]!.config.mode], [3, 'infer']);
});

test('parseConfigSetting: the data-parallel keys (devices, zero, offload, gradientAccumulation)', () => {
  assert.deepEqual(parseConfigSetting('devices', '8'), { value: { devices: 8 } });
  assert.deepEqual(parseConfigSetting('zero', '3'), { value: { zero: 3 } });
  assert.deepEqual(parseConfigSetting('zero', '0'), { value: { zero: 0 } });
  assert.deepEqual(parseConfigSetting('offload', 'cpu'), { value: { offload: 'cpu' } });
  assert.deepEqual(parseConfigSetting('gradientAccumulation', '4'), { value: { gradientAccumulation: 4 } });
  assert.deepEqual(parseConfigSetting('devices', '0'), { error: 'devices must be from 1 to 2147483647, got 0' });
  assert.deepEqual(parseConfigSetting('devices', '2.5'), { error: 'devices: expected an integer, got 2.5' });
  assert.deepEqual(parseConfigSetting('gradientAccumulation', '0'), { error: 'gradientAccumulation must be from 1 to 2147483647, got 0' });
  assert.deepEqual(parseConfigSetting('zero', '4'), { error: 'zero must be a ZeRO stage 0, 1, 2 or 3, got 4' });
  assert.deepEqual(parseConfigSetting('offload', 'nvme'), { error: "'nvme' is not a valid offload; expected none | cpu; did you mean 'none'?" });
});

test('config { devices, zero, offload, gradientAccumulation } in .nnm: values and diagnostics', () => {
  const ok = analyze('config {\n  devices: 8\n  zero: 2\n  offload: cpu\n  gradientAccumulation: 4\n}\nmodel m {\n  x = input(4)\n  return dense(x, 2)\n}\n');
  const config = ok.graphs[0]!.config;
  assert.deepEqual([config.devices, config.zero, config.offload, config.gradientAccumulation], [8, 2, 'cpu', 4]);
  const bad = analyze('config {\n  zero: 5\n}\nmodel m {\n  x = input(4)\n  return dense(x, 2)\n}\n');
  assert.deepEqual(bad.diagnostics.map((d) => d.message), ['zero must be a ZeRO stage 0, 1, 2 or 3, got 5']);
});

test('parseConfigSetting: the tensor- and pipeline-parallel keys (tensorParallel, sequenceParallel, pipeline, microbatches)', () => {
  assert.deepEqual(parseConfigSetting('tensorParallel', '8'), { value: { tensorParallel: 8 } });
  assert.deepEqual(parseConfigSetting('sequenceParallel', 'true'), { value: { sequenceParallel: true } });
  assert.deepEqual(parseConfigSetting('sequenceParallel', 'false'), { value: { sequenceParallel: false } });
  assert.deepEqual(parseConfigSetting('pipeline', '2 * 2'), { value: { pipeline: 4 } });
  assert.deepEqual(parseConfigSetting('microbatches', '16'), { value: { microbatches: 16 } });
  // the degrees stop at 4,096 devices; micro-batches at the batch limit
  assert.deepEqual(parseConfigSetting('tensorParallel', '4097'), { error: 'tensorParallel must be from 1 to 4096, got 4097' });
  assert.deepEqual(parseConfigSetting('pipeline', '0'), { error: 'pipeline must be from 1 to 4096, got 0' });
  assert.deepEqual(parseConfigSetting('microbatches', '0'), { error: 'microbatches must be from 1 to 2147483647, got 0' });
  assert.deepEqual(parseConfigSetting('sequenceParallel', '1'), { error: 'this value is not a valid sequenceParallel; expected true | false' });
});

test('config { tensorParallel, sequenceParallel, pipeline, microbatches } in .nnm: values', () => {
  const ok = analyze('config {\n  tensorParallel: 2\n  sequenceParallel: true\n  pipeline: 2\n  microbatches: 4\n}\nmodel m {\n  x = input(4)\n  return dense(x, 2)\n}\n');
  assert.deepEqual(ok.diagnostics, []);
  const config = ok.graphs[0]!.config;
  assert.deepEqual([config.tensorParallel, config.sequenceParallel, config.pipeline, config.microbatches], [2, true, 2, 4]);
});
