import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { codeLenses, modelLensTitle } from '../../../server/src/lsp/features/codeLens';
import { buildAnalysis } from './fixture';

/** a 3-op dense chain, train, plain SGD, on a 1 MiB gpu (the hover tests work its figures out) */
const CHAIN = [
  'config {',
  '  mode: train',
  '  batch: 4',
  '  optimizer: sgd',
  '  device: gpu(memory: 1MiB)',
  '}',
  'model chain {', // 6
  '  x = input(1000)', // 4,000 B per sample
  '  h = dense(x, 100, bias: false)', // 100,000 params, 400 B per sample
  '  a = relu(h)', // 400 B per sample
  '  return dense(a, 10, bias: false)', // 1,000 params, 40 B per sample
  '}',
  '',
].join('\n');

const titles = (text: string): string[] => codeLenses(analyzeDocument(text, 'nnm'), true).map((l) => l.command!.title);

test('two lenses above each model: the planned peak against the device, then weights and activations', () => {
  const lenses = codeLenses(analyzeDocument(CHAIN, 'nnm'), true);
  const range = { start: { line: 6, character: 0 }, end: { line: 6, character: 0 } };
  assert.deepEqual(lenses, [
    // peak at the first dense's backward: weights 404,000 + x 16,000 + gradient of h 1,600 + weight gradients 404,000
    // = 825,600 B; there 808,000 + 4,400 N <= 1 MiB up to N = 54
    { range, command: { title: '101K params · peak 806 KiB @ batch 4 (train, fp32) · fits 1 MiB up to batch 54', command: '' } },
    // 101,000 * 4 B; (4,000 + 400 + 400 + 40) * 4 B
    { range, command: { title: 'weights 395 KiB · activations 18.9 KiB @ batch 4', command: '' } },
  ]);
});

test('over the budget: by how much, and the largest batch that still fits', () => {
  // 808,000 + 4,400 * 64 = 1,089,600 B, 41,024 B over 1 MiB
  assert.equal(titles(CHAIN.replace('batch: 4', 'batch: 64'))[0], '101K params · peak 1.04 MiB @ batch 64 (train, fp32) · exceeds 1 MiB by 40.1 KiB · fits up to batch 54');
});

test('when not even batch 1 fits: "no batch fits"', () => {
  // weights and their gradients alone (808,000 B) exceed 512 KiB; 825,600 - 524,288 = 301,312 B
  assert.equal(titles(CHAIN.replace('1MiB', '512KiB'))[0], '101K params · peak 806 KiB @ batch 4 (train, fp32) · exceeds 512 KiB by 294 KiB · no batch fits');
});

test('the mode is named in the lens', () => {
  // infer: peak at the first dense, weights 404,000 + x 16,000 + h 1,600 = 421,600 B (404,000 + 4,400 N <= 1,048,576 up to N = 146)
  assert.equal(titles(CHAIN.replace('mode: train', 'mode: infer'))[0], '101K params · peak 412 KiB @ batch 4 (infer, fp32) · fits 1 MiB up to batch 146');
});

test('the hand-built fixture: one pair of lenses at the model line', () => {
  const lenses = codeLenses(buildAnalysis(), true);
  assert.equal(lenses.length, 2);
  assert.ok(lenses.every((l) => l.range.start.line === 7 && l.command?.command === ''));
  assert.equal(lenses[1]!.command!.title, 'weights 1.28 MiB · activations 4.59 MiB @ batch 8');
});

test('without the liveness analysis the first lens falls back to the footprint total', () => {
  const { graph, footprint } = buildAnalysis().models[0]!;
  // 2.56 MiB + 588 KiB x 8 (the hover tests work it out)
  assert.equal(modelLensTitle({ graph, footprint }), '335K params · train total 7.15 MiB @ batch 8 · fits v100-16gb');
});

test('disabled: no lenses', () => {
  assert.deepEqual(codeLenses(buildAnalysis(), false), []);
});
