import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devicePreset } from '../../../server/src/core/devices';
import { DEFAULT_SETTINGS, parseSettings } from '../../../server/src/lsp/settings';

test('no settings: defaults, nothing overridden', () => {
  assert.deepEqual(parseSettings(undefined), DEFAULT_SETTINGS);
  assert.deepEqual(parseSettings({}), DEFAULT_SETTINGS);
});

test('analysis defaults parsed with the .nnm config syntax', () => {
  const s = parseSettings({
    mode: 'infer',
    batch: 64,
    precision: 'mixed',
    optimizer: 'sgd(momentum: 0.9)',
    device: 'a100-40gb',
    layout: 'nhwc',
    lowering: 'direct',
  });
  assert.deepEqual(s.problems, []);
  assert.deepEqual(s.defaults, {
    mode: 'infer',
    batch: 64,
    precision: 'mixed',
    optimizer: { kind: 'sgd', momentum: 0.9 },
    device: devicePreset('a100-40gb'),
    layout: 'nhwc',
    lowering: 'direct',
  });
  assert.deepEqual(parseSettings({ device: 'gpu(memory: 16GiB)' }).defaults.device?.memoryBytes, 16 * 1024 ** 3);
});

test('feature switches from the nested sections VS Code sends', () => {
  const s = parseSettings({ inlayHints: { enabled: false, showParams: false }, codeLens: { enabled: false }, diagnostics: { delayMs: 0 } });
  assert.deepEqual([s.inlayHints, s.codeLens, s.diagnostics], [{ enabled: false, showParams: false }, { enabled: false }, { delayMs: 0 }]);
});

test('invalid values are reported and ignored, the rest still applies', () => {
  const s = parseSettings({ mode: 'trian', batch: 0, device: 'v200', optimizer: 12, precision: 'fp16', diagnostics: { delayMs: -5 }, inlayHints: { enabled: 'yes' } });
  assert.deepEqual(s.defaults, { precision: 'fp16' });
  // mode, batch, device and optimizer, then the delay and the switch, each named
  assert.equal(s.problems.length, 6);
  assert.ok(s.problems.every((p) => p.startsWith('memlens.')), s.problems.join('\n'));
  for (const message of ['memlens.inlayHints.enabled: expected true or false, got "yes"', 'memlens.diagnostics.delayMs: expected a number of milliseconds >= 0, got -5']) {
    assert.ok(s.problems.includes(message), s.problems.join('\n'));
  }
  assert.equal(s.diagnostics.delayMs, 150);
  assert.equal(s.inlayHints.enabled, true);
});

test('a group that is not an object, and a value too long to show, are named briefly', () => {
  const nested = { a: { b: { c: { d: [1, [2, [3]]] } } }, long: 'x'.repeat(10_000) };
  const s = parseSettings({ inlayHints: 'yes', rules: 7, device: nested });
  assert.deepEqual(s.problems.map((p) => p.split(':')[0]), ['memlens.device', 'memlens.inlayHints', 'memlens.rules']);
  assert.ok(s.problems.every((p) => p.length < 200), s.problems.join('\n'));
});

test('the data-parallel settings: numbers as VS Code sends them, bad values reported and ignored', () => {
  const s = parseSettings({ devices: 8, zero: 3, offload: 'cpu', gradientAccumulation: 4 });
  assert.deepEqual(s.defaults, { devices: 8, zero: 3, offload: 'cpu', gradientAccumulation: 4 });
  assert.deepEqual(s.problems, []);
  const bad = parseSettings({ devices: 0, zero: 5, offload: 'disk' });
  assert.deepEqual(bad.defaults, {});
  assert.deepEqual(bad.problems, [
    'memlens.devices: devices must be from 1 to 2147483647, got 0',
    'memlens.zero: zero must be a ZeRO stage 0, 1, 2 or 3, got 5',
    "memlens.offload: 'disk' is not a valid offload; expected none | cpu",
  ]);
});

test('the tensor- and pipeline-parallel settings: sequenceParallel as the JSON boolean VS Code sends, bad values reported and ignored', () => {
  const s = parseSettings({ tensorParallel: 4, sequenceParallel: true, pipeline: 2, microbatches: 8 });
  assert.deepEqual(s.defaults, { tensorParallel: 4, sequenceParallel: true, pipeline: 2, microbatches: 8 });
  assert.deepEqual(s.problems, []);
  assert.deepEqual(parseSettings({ sequenceParallel: false }).defaults, { sequenceParallel: false });
  const bad = parseSettings({ tensorParallel: 0, sequenceParallel: 'on', pipeline: 5000, microbatches: 1.5 });
  assert.deepEqual(bad.defaults, {});
  assert.deepEqual(bad.problems, [
    'memlens.tensorParallel: tensorParallel must be from 1 to 4096, got 0',
    "memlens.sequenceParallel: 'on' is not a valid sequenceParallel; expected true | false",
    'memlens.pipeline: pipeline must be from 1 to 4096, got 5000',
    'memlens.microbatches: microbatches: expected an integer, got 1.5',
  ]);
});
