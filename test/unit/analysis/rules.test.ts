// NNM201 (budget, planned peak) on the model name and on the peak step's statement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customDevice } from '../../../server/src/core/devices';
import { budgetDiagnostics } from '../../../server/src/core/rules/budget';
import { memoryOf, mlp } from './graphs';

const adam = { kind: 'adam', momentum: 0 } as const;

test('planned peak over the device: error on the model and on the peak statement, with the largest batch', () => {
  const graph = mlp({ mode: 'train', batch: 32, optimizer: adam, device: customDevice('gpu', 20000) });
  const diags = budgetDiagnostics(graph, memoryOf(graph));
  // planned 25088 B; (20000 - 10752) / 448 = 20.6 -> batch 20
  const message =
    "test: planned peak 24.5 KiB @ batch 32 (train, fp32) at line 3 (backward) exceeds gpu's 19.5 KiB by 4.97 KiB; " +
    'the largest batch that fits is 20 (peak step live bytes: 10.5 KiB + 448 B x N)';
  assert.deepEqual(
    diags.map((d) => [d.code, d.severity, d.range.start.line, d.message]),
    [
      ['NNM201', 'error', 0, message],
      ['NNM201', 'error', 2, `memory peaks here (backward relu): ${message}`],
    ],
  );
});

test('no budget finding when the planned peak fits', () => {
  const graph = mlp({ mode: 'train', batch: 32, optimizer: adam, device: customDevice('gpu', 25088) });
  assert.deepEqual(budgetDiagnostics(graph, memoryOf(graph)), []);
});

test('budget: not even batch 1 fits', () => {
  const graph = mlp({ mode: 'train', batch: 4, optimizer: adam, device: customDevice('gpu', 9000) });
  const [first] = budgetDiagnostics(graph, memoryOf(graph));
  assert.match(first!.message, /; not even batch 1 fits \(/);
});
