// NNM210: data-parallel training over the device memory where a higher ZeRO stage would fit,
// with the quick fix that sets the stage; or where checkpointing the repeated blocks would, with the
// quick fix that writes checkpoint: into the repeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { applyEdits } from '../../../server/src/core/fixes/edits';
import { previewFix, type FixSource } from '../../../server/src/core/fixes/preview';
import type { Finding } from '../../../server/src/core/document';
import { parallelismOf, perDeviceOfAnalysis } from '../../../server/src/core/analysis/perDevice';
import { perDeviceTotalOfGraph, withCheckpoint } from '../../../server/src/core/rules/whatIf';
import { blockCalls } from '../../../server/src/core/rules/checkpointCandidate';
import { formatBytes } from '../../../server/src/core/units';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

const ckFixture = (name: string): string => readFileSync(join(__dirname, '..', '..', 'fixtures', 'rules', `zeroStage.checkpoint.${name}.nnm`), 'utf8');
const perGpu = (text: string): number => {
  const m = analyzeDocument(text, 'nnm').models[0]!;
  const r = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!)!;
  assert.ok(!('error' in r));
  return r.bytes.total;
};

test('activations over each device, no ZeRO stage helps: checkpoint: 2 on the repeat fits; the fix writes it, the title from the re-analysed file', () => {
  const text = ckFixture('trigger');
  // states: 201,449,472 parameters x 16 B = 3 GiB at stage 0, so the 30.8 GiB are mostly activations
  assert.equal(perGpu(text), 33_019_527_168);
  const [f, ...rest] = findings(text);
  assert.ok(f);
  assert.deepEqual(rest, []);
  assert.equal(
    f.message,
    'per GPU 30.8 GiB of 24 GiB on 8 x a10g-24gb at ZeRO stage 0; checkpoint: 2 (every other block) on repeat mlp brings it to 18.8 GiB per GPU (-12 GiB), fits, recomputing 50% of a forward pass',
  );
  assert.equal(f.fixes.length, 1);
  const fix = f.fixes[0]!;
  assert.ok(fix.kind === 'checkpoint');
  assert.deepEqual([fix.label, fix.every, fix.perDevice], ['every other block of repeat mlp', 2, true]);
  const src: FixSource = { text, language: 'nnm', options: {}, analysis: analyzeDocument(text, 'nnm') };
  const p = previewFix(src, f, fix)!;
  const fixed = applyEdits(text, p.edits);
  assert.equal(fixed, text.replace('x = repeat 24 mlp(x)', 'x = repeat 24 mlp(x, checkpoint: 2)'));
  // 12 of the 24 blocks run again: half the forward pass's output elements, exactly
  assert.deepEqual(analyzeDocument(fixed, 'nnm').models[0]!.memory!.recompute?.fraction, 0.5);
  assert.equal(formatBytes(perGpu(fixed)), '18.8 GiB');
  assert.equal(p.title, 'Checkpoint every other block of repeat mlp (per GPU peak 30.8 GiB -> 18.8 GiB, fits 24 GiB; recomputes 50% of a forward pass)');
  assert.deepEqual(findings(fixed), [], 'fixed: nothing left to say');
  // the clean fixture is the fixed text below its comment
  assert.equal(ckFixture('clean').split('\n').slice(1).join('\n'), fixed.split('\n').slice(4).join('\n'));
  assert.deepEqual(findings(ckFixture('clean')), []);
});

test('every block when every other block is not enough; nothing when even that is over; both fixes when ZeRO also fits', () => {
  // micro-batch 256: every other block kept is over 24 GiB, every block checkpointed is not
  const twice = ckFixture('trigger').replace('batch: 1024', 'batch: 2048');
  const [f] = findings(twice);
  assert.ok(f);
  const fix = f.fixes[0]!;
  assert.ok(fix.kind === 'checkpoint' && fix.every === 1 && fix.label === 'every block of repeat mlp');
  const src: FixSource = { text: twice, language: 'nnm', options: {}, analysis: analyzeDocument(twice, 'nnm') };
  const fixed = applyEdits(twice, previewFix(src, f, fix)!.edits);
  assert.equal(fixed, twice.replace('x = repeat 24 mlp(x)', 'x = repeat 24 mlp(x, checkpoint: true)'));
  assert.ok(perGpu(fixed) <= 24 * 1024 ** 3);
  assert.match(f.message, /; checkpoint: true on repeat mlp brings it to [\d.]+ GiB per GPU \(-[\d.]+ GiB\), fits, recomputing 100% of a forward pass$/);
  // micro-batch 2048: over even with every block checkpointed
  assert.deepEqual(findings(ckFixture('trigger').replace('batch: 1024', 'batch: 16384')), []);
  // micro-batch 100: 3 GiB of states + 222 MiB a sample of activations = 24.7 GiB; stage 1 takes 12 x 7/8 bytes a parameter (1.97 GiB) off, enough
  const both = findings(ckFixture('trigger').replace('batch: 1024', 'batch: 800'));
  assert.deepEqual(both.map((x) => x.fixes.map((y) => (y.kind === 'checkpoint' ? `checkpoint ${y.every}` : y.kind === 'zero' ? `zero ${y.stage}` : y.kind))), [['zero 1', 'checkpoint 2']]);
});

test('the what-if per-device total (schedule and liveness, no plan) is the full analysis of the checkpointed text', () => {
  const text = ckFixture('trigger');
  const m = analyzeDocument(text, 'nnm').models[0]!;
  const sites = blockCalls(m.graph).filter((c) => c.repeat).map((c) => c.site);
  for (const [every, written] of [[1, 'true'], [2, '2']] as const) {
    const whatIf = perDeviceTotalOfGraph(withCheckpoint(m.graph, sites, every), m.footprint.params, parallelismOf(m.graph.config))!;
    assert.equal(whatIf.total, perGpu(text.replace('x = repeat 24 mlp(x)', `x = repeat 24 mlp(x, checkpoint: ${written})`)));
  }
});

test('NNM201 under parallelism judges one device: the per-GPU figure, with the largest global batch that fits each device', () => {
  const text = ckFixture('trigger');
  const budget = (t: string) => (analyzeDocument(t, 'nnm').findings ?? []).filter((f) => f.code === 'NNM201');
  const [f, ...rest] = budget(text);
  assert.ok(f);
  assert.deepEqual(rest, []);
  // 33,019,527,168 B per GPU (perGpu above) against 24 GiB; micro-batch 1024 / 8
  assert.match(f.message, /^stack: 30\.8 GiB per GPU at micro-batch 128 \(global batch 1024 on 8 devices\) exceeds a10g-24gb's 24 GiB by 6\.75 GiB; the largest global batch that fits is (\d+)$/);
  const largest = Number(/fits is (\d+)$/.exec(f.message)![1]);
  assert.equal(largest % 8, 0, 'a whole micro-batch per device');
  assert.deepEqual(f.fixes, [{ kind: 'batch', model: 'stack', batch: largest, why: 'the largest that fits each a10g-24gb' }]);
  // that batch fits each device, 8 more does not
  const at = (batch: number) => perGpu(text.replace('batch: 1024', `batch: ${batch}`));
  assert.ok(at(largest) <= 24 * 2 ** 30 && at(largest + 8) > 24 * 2 ** 30);
  // with checkpoint: 2 each GPU holds 18.8 GiB: no NNM201, though the whole batch on one device would be over
  assert.deepEqual(budget(text.replace('repeat 24 mlp(x)', 'repeat 24 mlp(x, checkpoint: 2)')), []);
  assert.equal(budget(text.replace('  devices: 8\n', '')).length, 2, 'on one device: the plan, on the model and at its peak statement');
});
