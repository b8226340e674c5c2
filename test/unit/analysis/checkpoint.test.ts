// Checkpointing: the schedule honours OpNode.checkpointSegment (recompute steps ahead of the
// segment's backward, inner activations freed in forward), and the sqrt(n) estimate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferTable, memoryOf, TestGraph } from './graphs';

const adam = { kind: 'adam', momentum: 0 } as const;

test('a checkpointed dense+relu segment is recomputed before its backward', () => {
  const g = new TestGraph({ mode: 'train', batch: 1, optimizer: adam });
  const x = g.op('input', [], { shape: [16] });
  const h = g.op('dense', [x], { units: 32 }, { checkpointSegment: 0 });
  const r = g.op('relu', [h], {}, { checkpointSegment: 0 });
  const y = g.op('dense', [r], { units: 8 });
  const m = memoryOf(g.build([y]), { checkpointEstimate: false });
  assert.deepEqual(
    m.steps.map((s) => `${s.phase}:${s.opName ?? ''}@${s.line ?? ''}`),
    [
      'forward:input@0',
      'forward:dense@1',
      'forward:relu@2',
      'forward:dense@3',
      'backward:dense@3',
      'recompute:dense@1',
      'recompute:relu@2',
      'backward:relu@2',
      'backward:dense@1',
      'optimizer:@',
    ],
  );
  assert.deepEqual(bufferTable(m), [
    'activation:0 [0,8] 0+64N', // boundary: read by the recompute and by dense1's backward
    'activation:1 [1,2] 0+128N',
    'activation:2 [2,4] 0+128N', // the segment output, kept for dense2's backward only
    'activation:3 [3,4] 0+32N',
    'activation-gradient:3 [4,4] 0+32N',
    'activation-gradient:2 [4,7] 0+128N',
    'weight-gradient:op3 [4,9] 1056+0N',
    'recomputed:1 [5,6] 0+128N',
    'recomputed:2 [6,7] 0+128N', // relu's backward reads the recomputed output
    'activation-gradient:1 [7,8] 0+128N',
    'weight-gradient:op1 [8,9] 2176+0N',
  ]);
  const relu = m.tensors[r]!;
  assert.deepEqual([relu.recomputed, relu.savedForBackward, relu.liveTo], [true, true, 4]);
  assert.equal(m.tensors[h]!.recomputed, true);
});

test('sqrt(n) estimate on a 9-layer dense chain: 3 segments, saved activations 576 -> 320 B x N', () => {
  const g = new TestGraph({ mode: 'train', batch: 1024, optimizer: adam });
  let t = g.op('input', [], { shape: [16] });
  for (let i = 0; i < 9; i++) t = g.op('dense', [t], { units: 16 });
  const m = memoryOf(g.build([t]));
  // every dense keeps its input: x and 8 hidden outputs, 64 B each per sample
  assert.deepEqual(m.bytes.savedActivations, { fixed: 0, perSample: 576 });
  const ck = m.checkpoint!;
  assert.equal(ck.segments, 3);
  assert.equal(ck.opsPerSegment, 3);
  // boundaries x, h3, h6 plus the recomputed inputs of the last segment's two inner layers
  assert.deepEqual(ck.savedActivations, { fixed: 0, perSample: 320 });
  // every op sits in a segment and is recomputed once: one extra forward pass
  assert.equal(ck.recomputeFraction, 1);
  // peak at dense9's backward: saved 576 N + output, its gradient and dh8 (3 x 64 N); fixed: state + dW9 (272 x 4)
  assert.deepEqual(m.bytes.lowerBoundAffine, { fixed: 29376 + 1088, perSample: 768 });
  // checkpointed: boundaries 192 N + recomputed h7', h8' 128 N + output, its gradient, dh8 192 N
  assert.equal(ck.lowerBound, 29376 + 1088 + 512 * 1024);
  assert.ok(ck.planned >= ck.lowerBound);
});

test('no checkpoint estimate in infer mode', () => {
  const g = new TestGraph({ mode: 'infer', batch: 1 });
  const x = g.op('input', [], { shape: [4] });
  const m = memoryOf(g.build([g.op('dense', [x], { units: 4 })]));
  assert.equal(m.checkpoint, undefined);
});

test('recompute cost of the marked segments: the ops run again and the bytes they write', () => {
  const g = new TestGraph({ mode: 'train', batch: 4, optimizer: adam });
  const x = g.op('input', [], { shape: [16] });
  const h = g.op('dense', [x], { units: 32 }, { checkpointSegment: 0 });
  const f = g.op('flatten', [h], {}, { checkpointSegment: 0 });
  const r = g.op('relu', [f], {}, { checkpointSegment: 0 });
  const y = g.op('dense', [r], { units: 8 });
  const m = memoryOf(g.build([y]), { checkpointEstimate: false });
  // one segment; dense and relu run again (the flatten is a view), 128 + 128 B per sample
  assert.deepEqual(m.recompute, { segments: 1, ops: 2, bytes: { fixed: 0, perSample: 256 }, fraction: (32 + 32 + 32) / (32 + 32 + 32 + 8) });
});

test('no recompute cost without a marked segment, nor in infer mode', () => {
  const build = (mode: 'train' | 'infer', segment: number | undefined) => {
    const g = new TestGraph({ mode, batch: 1, optimizer: adam });
    const x = g.op('input', [], { shape: [4] });
    return memoryOf(g.build([g.op('dense', [x], { units: 4 }, segment === undefined ? {} : { checkpointSegment: segment })]), { checkpointEstimate: false });
  };
  assert.equal(build('train', undefined).recompute, undefined);
  assert.equal(build('infer', 0).recompute, undefined);
  assert.deepEqual(build('train', 0).recompute, { segments: 1, ops: 1, bytes: { fixed: 0, perSample: 16 }, fraction: 1 });
});
