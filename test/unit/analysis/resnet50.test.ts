// The ResNet-50 figures quoted in docs/memory-model.md, from examples/resnet50.nnm through the
// .nnm frontend: if the accounting changes, the docs table must change with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { MemoryAnalysis } from '../../../server/src/core/analysis/memory';

const text = readFileSync(join(__dirname, '../../../examples/resnet50.nnm'), 'utf8');

function memory(mode: 'train' | 'infer', batch: number): MemoryAnalysis {
  const result = analyzeDocument(text, 'nnm', { overrides: { mode, batch } });
  const m = result.models[0]?.memory;
  assert.ok(m);
  return m;
}

test('ResNet-50 train fp32 batch 32: peak, totals, saved activations, max batch on 16 GiB', () => {
  const m = memory('train', 32);
  assert.deepEqual(
    { index: m.peakStep!.index, phase: m.peakStep!.phase, line: m.peakStep!.line },
    { index: 183, phase: 'backward', line: 32 },
  );
  assert.deepEqual(m.bytes.lowerBoundAffine, { fixed: 226708704, perSample: 84797440 });
  assert.equal(m.bytes.lowerBound, 2940226784);
  assert.equal(m.bytes.planned, 2961891040);
  // weights + momentum (25,557,032 x 4 each) + batch-norm buffers (53,120 x 4)
  assert.deepEqual(m.bytes.alwaysLive, { fixed: 204668736, perSample: 0 });
  // the most saved-for-backward bytes live at one step: 21,075,968 fp32 elements per sample
  assert.equal(m.bytes.savedActivations.perSample, 84303872);
  // the planner's 0.7% fragmentation costs one sample against the lower bound
  assert.deepEqual(m.maxBatch, { planned: { batch: 198 }, lowerBound: { batch: 199 } });
  assert.equal(m.steps.length, 350);
});

test('ResNet-50 infer fp32 batch 32: the im2col workspace of a 3x3 convolution holds the peak', () => {
  const m = memory('infer', 32);
  assert.equal(m.peakStep!.phase, 'forward');
  assert.equal(m.peakStep!.line, 26);
  // the largest workspace is the 7x7 stem's, 112 x 112 x (7 x 7 x 3) fp32 per sample; the peak is a
  // 3x3 convolution of stage 1 (56 x 56 x 576 im2col) while the block's input is still live
  assert.deepEqual(m.bytes.workspace, { fixed: 0, perSample: 112 * 112 * 147 * 4 });
  const peakWorkspace = m.buffers.find((b) => b.kind === 'workspace' && b.liveFrom === m.peakStep!.index);
  assert.deepEqual(peakWorkspace?.bytes, { fixed: 0, perSample: 56 * 56 * 576 * 4 });
  assert.equal(m.bytes.planned, m.bytes.lowerBound);
});

test('ResNet-50 with `checkpoint: true` on stage 3 repeat: 5 segments recomputed, lower peak', () => {
  const source = text.replace('x = repeat 5 bottleneck(x, 256, 1024)', 'x = repeat 5 bottleneck(x, 256, 1024, checkpoint: true)');
  const m = analyzeDocument(source, 'nnm').models[0]!.memory!;
  const recompute = m.steps.filter((s) => s.phase === 'recompute');
  // 5 bottlenecks of 10 ops each, replayed before their backward, all pointing at line 31
  assert.equal(recompute.length, 50);
  assert.deepEqual([...new Set(recompute.map((s) => s.line))], [30]);
  assert.equal(m.bytes.lowerBound, 2683264224);
  assert.ok(m.bytes.lowerBound < memory('train', 32).bytes.lowerBound);
});
