// A model stopped at the expansion limit: the error says so, and no memory figure of the partial
// graph is shown (it would describe a model nobody wrote), nor any finding computed from one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../server/src/core/analyze';
import { modelLensTitle } from '../../server/src/lsp/features/codeLens';

test('nested repeats past the op limit: NNM151, a truncated graph without liveness or memory findings', () => {
  // b expands 1,000 relus per call and is called 2,000 times: 2,000,000 ops, past the 1,000,000 limit;
  // the outer repeat sees it after its first iteration and stops the model there
  const text = [
    'block b(x) {',
    '  return repeat 1000 relu(x)',
    '}',
    'model m {',
    '  x = input(8)',
    '  x = repeat 2000 b(x)',
    '  return x',
    '}',
  ].join('\n');
  const result = analyzeDocument(text, 'nnm');
  const limit = result.diagnostics.filter((d) => d.code === 'NNM151');
  assert.equal(limit.length, 1);
  assert.equal(limit[0]!.message, 'repeat 2000 would expand to about 2,000,000 ops, over the limit of 1,000,000 per model');
  assert.equal(result.diagnostics.filter((d) => d.code.startsWith('NNM2')).length, 0);
  const model = result.models[0]!;
  assert.equal(model.graph.truncated, true);
  assert.equal(model.memory, undefined);
  // the input and the first iteration's 1,000 relus were built before the check stopped it
  assert.equal(model.graph.ops.length, 1_001);
  assert.equal(modelLensTitle(model), '0 params so far · expansion stopped at a limit: no memory figures');
});

test('straight-line statements past the op limit: the op counter stops the model', () => {
  // each statement adds 1,000 ops; the 1,001st repeat's first-iteration check would pass the limit
  const body = Array.from({ length: 1100 }, () => '  x = repeat 1000 relu(x)').join('\n');
  const result = analyzeDocument(`model m {\n  x = input(8)\n${body}\n  return x\n}\n`, 'nnm');
  const limit = result.diagnostics.filter((d) => d.code === 'NNM151');
  assert.equal(limit.length, 1);
  assert.equal(result.models[0]!.graph.truncated, true);
  assert.equal(result.models[0]!.memory, undefined);
  assert.ok(result.models[0]!.graph.ops.length <= 1_000_001);
});

test('a model within the limits is not truncated', () => {
  const result = analyzeDocument('model m {\n  x = input(8)\n  return relu(x)\n}\n', 'nnm');
  assert.equal(result.models[0]!.graph.truncated, undefined);
  assert.ok(result.models[0]!.memory);
});
