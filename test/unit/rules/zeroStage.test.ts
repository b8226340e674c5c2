// NNM210: data-parallel training over the device memory where a higher ZeRO stage would fit,
// with the quick fix that sets the stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { applyEdits } from '../../../server/src/core/fixes/edits';
import { previewFix, type FixSource } from '../../../server/src/core/fixes/preview';
import type { Finding } from '../../../server/src/core/document';

// 7.5e9 parameters (99,999 x 75,000 + 75,000), mixed precision and Adam: 16 bytes a parameter
const model = (config: string) => `config {
  mode: train
  batch: 64
  precision: mixed
  optimizer: adam
  device: a100-40gb
  ${config}
}
model big {
  x = input(99999)
  return dense(x, 75000)
}
`;

const findings = (text: string): Finding[] => (analyzeDocument(text, 'nnm').findings ?? []).filter((f) => f.code === 'NNM210');

test('64 devices at stage 0 hold 120 GB each; stage 1 (31.4 GB of model states) fits 40 GiB: the fix sets it', () => {
  const text = model('devices: 64');
  const [f, ...rest] = findings(text);
  assert.ok(f);
  assert.deepEqual(rest, []);
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /^per GPU 112 GiB of 40 GiB on 64 x a100-40gb at ZeRO stage 0; stage 1 shards the optimizer state over the 64 devices: 29\.2 GiB per GPU \(-82\.5 GiB\), fits$/);
  assert.deepEqual(f.fixes, [{ kind: 'zero', model: 'big', stage: 1 }]);
  const src: FixSource = { text, language: 'nnm', options: {}, analysis: analyzeDocument(text, 'nnm') };
  const p = previewFix(src, f, f.fixes[0]!)!;
  assert.equal(p.title, 'Use ZeRO stage 1 (per device peak 112 GiB -> 29.2 GiB, fits 40 GiB)');
  const fixed = applyEdits(text, p.edits);
  assert.match(fixed, /devices: 64\n\s+zero: 1\n/);
  assert.deepEqual(findings(fixed), [], 'fixed: nothing left to say');
});

test('the smallest stage that fits is proposed; none when even stage 3 is over, on one device, or when it fits', () => {
  // 4 devices on 40 GiB: stage 1 holds 2 + 2 + 12/4 bytes a parameter (48.9 GiB), stage 2 2 + 14/4 (38.4 GiB) plus activations
  assert.deepEqual(findings(model('devices: 4')).map((f) => f.fixes), [[{ kind: 'zero', model: 'big', stage: 2 }]]);
  // 2 devices: stage 3 is 8 bytes a parameter, 55.9 GiB: over at every stage
  assert.deepEqual(findings(model('devices: 2')), []);
  assert.deepEqual(findings(model('devices: 1')), []);
  assert.deepEqual(findings(model('devices: 64\n  zero: 1')), []);
});
