// Exact schedule, live intervals and the three totals on small graphs, computed by hand in
// docs/memory-model.md (worked examples).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimeline } from '../../../server/src/core/analysis/timeline';
import { branchConcat, bufferTable, memoryOf, mlp, residual, TestGraph } from './graphs';

test('3-op chain (infer): intervals, naive / lower bound / planned, peak at the relu', () => {
  const m = memoryOf(mlp({ mode: 'infer', batch: 32 }));
  assert.deepEqual(
    m.steps.map((s) => `${s.phase}:${s.opName}@${s.line}`),
    ['forward:input@0', 'forward:dense@1', 'forward:relu@2', 'forward:dense@3'],
  );
  assert.deepEqual(bufferTable(m), [
    'activation:0 [0,1] 0+64N',
    'activation:1 [1,2] 0+128N',
    'activation:2 [2,3] 0+128N',
    'activation:3 [3,3] 0+32N',
  ]);
  // weights (16*32+32 + 32*8+8) * 4 B = 3232 B, always live
  assert.deepEqual(m.bytes.alwaysLive, { fixed: 3232, perSample: 0 });
  assert.deepEqual(m.bytes.naive, { fixed: 3232, perSample: 352 });
  assert.deepEqual(m.stepLive, [
    { fixed: 3232, perSample: 64 },
    { fixed: 3232, perSample: 192 },
    { fixed: 3232, perSample: 256 },
    { fixed: 3232, perSample: 160 },
  ]);
  assert.deepEqual(m.bytes.lowerBoundAffine, { fixed: 3232, perSample: 256 });
  assert.equal(m.bytes.lowerBound, 3232 + 256 * 32);
  assert.equal(m.bytes.planned, 3232 + 256 * 32);
  assert.equal(m.bytes.fragmentation, 0);
  assert.deepEqual(
    { index: m.peakStep!.index, phase: m.peakStep!.phase, line: m.peakStep!.line },
    { index: 2, phase: 'forward', line: 2 },
  );
  // greedy by size: h at 0, r on top of it, x beside r (disjoint in time), y in the hole h left
  assert.deepEqual(m.buffers.map((b) => b.offset), [4096, 0, 4096, 0]);
  assert.deepEqual(
    m.tensors.map((t) => [t.liveFrom, t.liveTo, t.savedForBackward]),
    [
      [0, 1, false],
      [1, 2, false],
      [2, 3, false],
      [3, 3, false],
    ],
  );
});

test('residual block (infer): im2col workspace holds the peak at the convolution', () => {
  const m = memoryOf(residual({ mode: 'infer', batch: 2 }));
  // conv 3x3 over [4, 8, 8], pad 1: im2col = 64 positions x 36 = 2304 fp32 per sample = 9216 B
  assert.deepEqual(bufferTable(m), [
    'activation:0 [0,3] 0+1024N',
    'activation:1 [1,2] 0+1024N',
    'activation:2 [2,3] 0+1024N',
    'activation:3 [3,4] 0+1024N',
    'activation:4 [4,4] 0+1024N',
    'workspace:op1 [1,1] 0+9216N',
  ]);
  assert.deepEqual(m.bytes.workspace, { fixed: 0, perSample: 9216 });
  assert.deepEqual(m.bytes.naive, { fixed: 576, perSample: 14336 });
  assert.deepEqual(m.bytes.lowerBoundAffine, { fixed: 576, perSample: 11264 });
  assert.equal(m.bytes.planned, 576 + 11264 * 2);
  assert.equal(m.peakStep!.index, 1);
  assert.equal(m.lowering, 'im2col');
  // peak buffers, largest first: the workspace, then x and c
  assert.deepEqual(m.peakStep!.buffers, [5, 0, 1]);
});

test('residual block with direct lowering (IPU-style): no workspace, peak moves to the relu', () => {
  const m = memoryOf(residual({ mode: 'infer', batch: 2, lowering: 'direct' }));
  assert.deepEqual(m.bytes.workspace, { fixed: 0, perSample: 0 });
  assert.deepEqual(m.bytes.lowerBoundAffine, { fixed: 576, perSample: 3072 });
  assert.equal(m.peakStep!.index, 2);
  assert.equal(m.bytes.planned, 576 + 3072 * 2);
});

test('lowering auto is direct on an IPU', () => {
  const m = memoryOf(residual({ mode: 'infer', batch: 1, device: { name: 'ipu', kind: 'ipu', memoryBytes: 900 * 1024 ** 2, vectorBits: 0, supportsBf16: false } }));
  assert.equal(m.lowering, 'direct');
  assert.deepEqual(m.bytes.workspace, { fixed: 0, perSample: 0 });
  assert.deepEqual(m.simd, { lanes: 0, batch: null, planned: null, fits: null });
});

test('branch and concat (infer): both branches live at the concat', () => {
  const m = memoryOf(branchConcat({ mode: 'infer', batch: 1 }));
  assert.deepEqual(bufferTable(m), [
    'activation:0 [0,2] 0+128N',
    'activation:1 [1,3] 0+128N',
    'activation:2 [2,3] 0+128N',
    'activation:3 [3,4] 0+256N',
    'activation:4 [4,4] 0+16N',
  ]);
  assert.deepEqual(m.bytes.naive, { fixed: 0, perSample: 656 });
  assert.deepEqual(
    m.stepLive.map((l) => l.perSample),
    [128, 256, 384, 512, 272],
  );
  assert.equal(m.peakStep!.index, 3);
  assert.equal(m.bytes.planned, 512);
  assert.deepEqual(m.buffers.map((b) => b.offset), [0, 256, 384, 0, 256]);
});

test('two-layer MLP in train mode with Adam: backward schedule, saved tensors, gradients', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: { kind: 'adam', momentum: 0 } }));
  assert.deepEqual(
    m.steps.map((s) => `${s.phase}:${s.opName ?? ''}`),
    ['forward:input', 'forward:dense', 'forward:relu', 'forward:dense', 'backward:dense', 'backward:relu', 'backward:dense', 'optimizer:'],
  );
  assert.deepEqual(bufferTable(m), [
    'activation:0 [0,6] 0+64N', // x: saved by dense1's backward
    'activation:1 [1,2] 0+128N', // h: relu keeps its output, so h dies at the relu
    'activation:2 [2,5] 0+128N', // r: saved by dense2 (input) and relu (output)
    'activation:3 [3,4] 0+32N', // y: read by the loss at the first backward step
    'activation-gradient:3 [4,4] 0+32N',
    'activation-gradient:2 [4,5] 0+128N',
    'weight-gradient:op3 [4,7] 1056+0N', // (32*8+8) * 4
    'activation-gradient:1 [5,6] 0+128N',
    'weight-gradient:op1 [6,7] 2176+0N', // (16*32+32) * 4; no gradient for the input
  ]);
  // weights 3232 + Adam 2 x 3232
  assert.deepEqual(m.bytes.alwaysLive, { fixed: 9696, perSample: 0 });
  assert.deepEqual(m.bytes.optimizer, { fixed: 6464, perSample: 0 });
  assert.deepEqual(m.bytes.naive, { fixed: 12928, perSample: 640 });
  assert.deepEqual(m.stepLive, [
    { fixed: 9696, perSample: 64 },
    { fixed: 9696, perSample: 192 },
    { fixed: 9696, perSample: 320 },
    { fixed: 9696, perSample: 224 },
    { fixed: 10752, perSample: 384 },
    { fixed: 10752, perSample: 448 },
    { fixed: 12928, perSample: 192 },
    { fixed: 12928, perSample: 0 },
  ]);
  assert.deepEqual(
    { index: m.peakStep!.index, phase: m.peakStep!.phase, line: m.peakStep!.line },
    { index: 5, phase: 'backward', line: 2 },
  );
  assert.equal(m.bytes.lowerBound, 10752 + 448 * 32);
  assert.equal(m.bytes.planned, 25088);
  assert.deepEqual(m.bytes.savedActivations, { fixed: 0, perSample: 192 });
  assert.deepEqual(m.buffers.map((b) => b.offset), [12288, 0, 4096, 8192, 9216, 0, 14336, 8192, 0]);
  assert.deepEqual(
    m.tensors.map((t) => [t.name.split('#')[0], t.liveFrom, t.liveTo, t.liveToLine, t.savedForBackward]),
    [
      ['input', 0, 6, 1, true],
      ['dense', 1, 2, 2, false],
      ['relu', 2, 5, 2, true],
      ['dense', 3, 4, 3, false],
    ],
  );
});

test('mixed precision: fp16 activations and gradients, fp32 master weights and Adam state', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 32, precision: 'mixed', optimizer: { kind: 'adam', momentum: 0 } }));
  // weights 808 x 2; Adam 2 x 808 x 4 + master 808 x 4
  assert.deepEqual(m.bytes.weights, { fixed: 1616, perSample: 0 });
  assert.deepEqual(m.bytes.optimizer, { fixed: 9696, perSample: 0 });
  // the same schedule at half the activation and gradient bytes
  assert.deepEqual(m.bytes.lowerBoundAffine, { fixed: 1616 + 9696 + 528, perSample: 224 });
  assert.deepEqual(m.simd, { lanes: 64, batch: 64, planned: m.simd.planned, fits: true });
});

test('SGD with momentum keeps one state slot; plain SGD none', () => {
  const momentum = memoryOf(mlp({ mode: 'train', batch: 1, optimizer: { kind: 'sgd', momentum: 0.9 } }));
  const plain = memoryOf(mlp({ mode: 'train', batch: 1, optimizer: { kind: 'sgd', momentum: 0 } }));
  assert.deepEqual(momentum.bytes.optimizer, { fixed: 3232, perSample: 0 });
  assert.deepEqual(plain.bytes.optimizer, { fixed: 0, perSample: 0 });
});

test('timeline: per-step categories add up to the step totals', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: { kind: 'adam', momentum: 0 } }));
  const peak = m.timeline[5]!;
  assert.equal(peak.total, 25088);
  assert.deepEqual(peak.bytes, {
    weights: 3232,
    buffers: 0,
    optimizer: 6464,
    kvCache: 0,
    activations: 0,
    savedActivations: 64 * 32 + 128 * 32,
    activationGradients: 2 * 128 * 32,
    weightGradients: 1056,
    workspace: 0,
  });
  m.timeline.forEach((row, i) => assert.equal(row.total, m.stepLive[i]!.fixed + m.stepLive[i]!.perSample * 32));
});

test('formatTimeline: one line per step, bar scaled to the peak, non-zero categories', () => {
  const m = memoryOf(mlp({ mode: 'train', batch: 32, optimizer: { kind: 'adam', momentum: 0 } }));
  const lines = formatTimeline(m.timeline, 10).split('\n');
  assert.equal(lines.length, 8);
  assert.equal(
    lines[5],
    '   5 bwd L3   relu             24.5 KiB |##########| W 3.16 KiB, O 6.31 KiB, saved 6 KiB, dact 8 KiB, dW 1.03 KiB <- peak',
  );
  assert.equal(lines[7], '   7 opt      optimizer        12.6 KiB |#####     | W 3.16 KiB, O 6.31 KiB, dW 3.16 KiB');
});

test('dropout at inference is the identity: its output is its input (no buffer); in training a new buffer and a mask', () => {
  const chain = (mode: 'infer' | 'train') => {
    const g = new TestGraph({ mode, batch: 2 });
    const x = g.op('input', [], { shape: [16] });
    const h = g.op('dense', [x], { units: 32 });
    const d = g.op('dropout', [h], { rate: 0.5 });
    return memoryOf(g.build([g.op('dense', [d], { units: 8 })]));
  };
  const infer = chain('infer');
  // the dropout's tensor (2) shares the dense output's buffer (1), which lives until the last dense reads it
  assert.deepEqual(bufferTable(infer), ['activation:0 [0,1] 0+64N', 'activation:1 [1,3] 0+128N', 'activation:3 [3,3] 0+32N']);
  // peak while the first dense runs: its input (64 B) and output (128 B); the dropout adds nothing
  assert.deepEqual(infer.bytes.lowerBoundAffine, { fixed: 3232, perSample: 64 + 128 });
  const train = chain('train');
  assert.ok(bufferTable(train).includes('activation:2 [2,4] 0+128N'));
  // the keep mask: one bool per element
  assert.ok(bufferTable(train).includes('saved-extra:op2 [2,5] 0+32N'));
});

test('stochastic depth keeps one scaled mask value per sample (row) or one in all (batch); identity at inference', () => {
  const branch = (mode: 'infer' | 'train', sdMode: string) => {
    const g = new TestGraph({ mode, batch: 2 });
    const x = g.op('input', [], { shape: [16] });
    const h = g.op('dense', [x], { units: 32 });
    const d = g.op('stochastic_depth', [h], { p: 0.2, mode: sdMode });
    return memoryOf(g.build([g.op('dense', [d], { units: 8 })]));
  };
  assert.ok(bufferTable(branch('train', 'row')).includes('saved-extra:op2 [2,5] 0+4N'));
  assert.ok(bufferTable(branch('train', 'batch')).includes('saved-extra:op2 [2,5] 4+0N'));
  assert.deepEqual(bufferTable(branch('infer', 'row')), ['activation:0 [0,1] 0+64N', 'activation:1 [1,3] 0+128N', 'activation:3 [3,3] 0+32N']);
});
