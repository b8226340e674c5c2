// The op ceiling: a model just past the old 250,000-op limit is analysed with exact figures; one
// past the 1,000,000-op limit gets NNM151 and no memory figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';

test('260,000 identical dense layers (past the old 250,000 limit): exact params and bytes', () => {
  const n = 260_000;
  const result = analyzeDocument(`model m {\n  x = input(8)\n  return repeat ${n} dense(x, 8)\n}\n`, 'nnm');
  assert.deepEqual(result.diagnostics.map((d) => d.code), []);
  const model = result.models[0]!;
  assert.equal(model.graph.truncated, undefined);
  assert.equal(model.graph.ops.length, n + 1);
  const f = model.footprint!;
  // each dense(8 -> 8) has 8 x 8 weights and 8 biases; fp32 is 4 bytes a value
  assert.equal(f.params.trainable, n * (8 * 8 + 8));
  assert.equal(f.bytes.weights.fixed, 4 * n * 72);
  assert.equal(f.bytes.gradients.fixed, 4 * n * 72);
  // the input and every layer output keep 8 fp32 values per sample for the backward pass
  assert.equal(f.bytes.activations.perSample, (n + 1) * 8 * 4);
  assert.equal(f.bytes.total.fixed, 2 * 4 * n * 72);
  assert.ok(model.memory);
});

test('past 1,000,000 ops: NNM151 with the documented limit, no memory figures', () => {
  const text = 'block b(x) {\n  return repeat 1000 relu(x)\n}\nmodel m {\n  x = input(8)\n  return repeat 1001 b(x)\n}\n';
  const result = analyzeDocument(text, 'nnm');
  assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.message}`), [
    'NNM151 repeat 1001 would expand to about 1,001,000 ops, over the limit of 1,000,000 per model',
  ]);
  assert.equal(result.models[0]!.graph.truncated, true);
  assert.equal(result.models[0]!.memory, undefined);
});
