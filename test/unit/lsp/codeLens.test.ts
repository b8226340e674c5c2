import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customDevice } from '../../../server/src/core/devices';
import { codeLenses } from '../../../server/src/lsp/features/codeLens';
import { buildAnalysis } from './fixture';

test('one lens above each model with its totals and the device verdict', () => {
  assert.deepEqual(codeLenses(buildAnalysis(), true), [
    {
      range: { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } },
      command: { title: '335K params · weights 1.28 MiB · activations 4.59 MiB @ batch 8 · train total 7.15 MiB · fits v100-16gb', command: '' },
    },
  ]);
});

test('a model over its device budget: exceeds ... by X; infer mode says infer total', () => {
  const analysis = buildAnalysis({ batch: 1024, mode: 'infer', device: customDevice('gpu', 256 * 1024 ** 2) });
  // infer: weights 1.28 MiB + 588 KiB x 1024 = 589.3 MiB, over 256 MiB by 333 MiB
  assert.equal(
    codeLenses(analysis, true)[0]!.command!.title,
    '335K params · weights 1.28 MiB · activations 588 MiB @ batch 1024 · infer total 589 MiB · exceeds gpu 256 MiB by 333 MiB',
  );
});

test('disabled: no lenses', () => {
  assert.deepEqual(codeLenses(buildAnalysis(), false), []);
});
