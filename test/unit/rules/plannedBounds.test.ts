// Rules compare the planned peak with a limit through the bounds lowerBound <= planned <= naive and
// run the arena plan only when the bounds do not decide (rules/describe.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { atBatch } from '../../../server/src/core/units';
import { plannedBelow, plannedExceeds } from '../../../server/src/core/rules/describe';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

test('plannedExceeds / plannedBelow agree with the plan at every interesting limit, on every example', () => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.nnm'))) {
    for (const overrides of [{}, { mode: 'infer' as const }, { batch: 1 }]) {
      const memory = analyzeDocument(readFileSync(join(EXAMPLES, file), 'utf8'), 'nnm', { overrides }).models[0]!.memory!;
      const { lowerBound, naive } = memory.bytes;
      const naiveBytes = atBatch(naive, memory.batch);
      const planned = memory.bytes.planned;
      assert.ok(lowerBound <= planned && planned <= naiveBytes, `${file}: ${lowerBound} <= ${planned} <= ${naiveBytes}`);
      for (const limit of [0, lowerBound - 1, lowerBound, (lowerBound + planned) / 2, planned - 1, planned, planned + 1, naiveBytes, naiveBytes + 1]) {
        assert.equal(plannedExceeds(memory, limit), planned > limit, `${file} ${JSON.stringify(overrides)} exceeds ${limit}`);
        assert.equal(plannedBelow(memory, limit), planned < limit, `${file} ${JSON.stringify(overrides)} below ${limit}`);
      }
    }
  }
});

test('the diagnostics of ResNet-50 (fits 16 GiB by the bounds) run no arena plan; the code lens figure runs one', () => {
  const model = analyzeDocument(readFileSync(join(EXAMPLES, 'resnet50.nnm'), 'utf8'), 'nnm').models[0]!;
  const memory = model.memory!;
  assert.equal(memory.planRuns, 0);
  assert.equal(memory.bytes.planned, 2_961_891_040); // as in analysis/resnet50.test.ts
  assert.equal(memory.planRuns, 1);
});
