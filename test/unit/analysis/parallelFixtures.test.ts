// test/fixtures/parallel: one fixture per way a tensor- or pipeline-parallel setting can be wrong,
// its expected message beside it (<name>.expected.txt). A bad value is a config diagnostic
// (NNM141); a value the model cannot be split by gives no per-device figure, only the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { perDeviceOfAnalysis } from '../../../server/src/core/analysis/perDevice';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'parallel');
const names = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.nnm'))
  .map((f) => f.slice(0, -'.nnm'.length));

test('every fixture has its expected message', () => {
  assert.equal(names.length, 10);
  for (const name of names) assert.ok(readFileSync(join(FIXTURES, `${name}.expected.txt`), 'utf8').trim().length > 0, name);
});

for (const name of names) {
  test(`fixture ${name}`, () => {
    const expected = readFileSync(join(FIXTURES, `${name}.expected.txt`), 'utf8').trim();
    const a = analyzeDocument(readFileSync(join(FIXTURES, `${name}.nnm`), 'utf8'), 'nnm');
    const errors = a.diagnostics.filter((d) => d.severity === 'error');
    if (name.endsWith('.value')) {
      assert.deepEqual(errors.map((d) => [d.code, d.message]), [['NNM141', expected]]);
      return;
    }
    assert.deepEqual(errors, []);
    const m = a.models[0]!;
    const r = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!);
    assert.ok(r && 'error' in r, 'no figure');
    assert.equal(r.error, expected);
  });
}
