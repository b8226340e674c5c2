import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { warmupModel, warmUp } from '../../../server/src/lsp/warmup';

test('the warm-up model is a valid model with blocks, repeats and residuals: no errors', () => {
  const analysis = analyzeDocument(warmupModel(20), 'nnm', {});
  assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(analysis.models.length, 1);
  // input and stem conv + relu (3); two units of conv, bn, relu, conv, bn, add, relu (7); the strided
  // unit with its projection conv (8); maxpool, globalavgpool, flatten (3); 20 residual units of
  // dense, relu, dense, add (4); the dense + softmax head (2)
  assert.equal(analysis.models[0]!.graph.ops.length, 3 + 2 * 7 + 8 + 3 + 20 * 4 + 2);
  assert.ok(analysis.models[0]!.memory, 'liveness is computed: the memory passes are what the warm-up exercises');
});

test('warmUp waits for an idle turn before each analysis and before each hand-over to the features', async () => {
  const events: string[] = [];
  const done = await warmUp({
    runs: 3,
    units: 4,
    streamedUnits: 0,
    options: () => ({}),
    features: (a) => events.push(`features ${a.models[0]!.graph.ops.length} ops`),
    idle: async () => void events.push('idle'),
  });
  assert.equal(done, 3);
  // 3 + 2 x 7 + 8 + 3 + 4 x 4 + 2 = 46 ops
  assert.deepEqual(events, ['idle', 'idle', 'features 46 ops', 'idle', 'idle', 'features 46 ops', 'idle', 'idle', 'features 46 ops']);
});

test('with streamedUnits, every odd run analyses a growing model through the streamed elaboration, capped', async () => {
  const ops: number[] = [];
  const outlines: string[] = [];
  await warmUp({
    runs: 8,
    units: 4,
    streamedUnits: 45,
    options: () => ({}),
    features: (a) => {
      ops.push(a.models[0]!.graph.ops.length);
      outlines.push(a.outline.map((o) => o.name).join(','));
    },
    idle: async () => undefined,
  });
  // 30 ops around the residual units, 4 per unit: 4; 10; 4; 30; 4; 45 (capped); 4; 45
  assert.deepEqual(ops, [46, 70, 46, 150, 46, 210, 46, 210]);
  // the streamed runs are whole analyses: outline and references are built from the streamed sketch
  assert.equal(outlines[1], outlines[0]);
});

test('warmUp stops at a throwing feature without throwing itself', async () => {
  const done = await warmUp({
    runs: 5,
    units: 4,
    streamedUnits: 10,
    options: () => ({}),
    features: () => {
      throw new Error('a defect');
    },
    idle: async () => undefined,
  });
  assert.equal(done, 0);
});
