// missedInPlace skips grouping ops by call site when no step at the peak is the forward step of a
// candidate op (rules/missedInPlace.ts peakLowerable, asking memory.inPlace.isCandidate of the
// peak's ops only): then every saving, alone or together, must be zero. Checked against the full
// computation on every example and rule fixture, at several batches and modes, and both branches
// must occur.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { combinedSaving, inPlaceSites, PeakProfile, peakLowerable } from '../../../server/src/core/rules/missedInPlace';
import type { ConfigOverrides } from '../../../server/src/core/config';

const ROOT = join(__dirname, '..', '..', '..');
const FILES = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.nnm')).map((f) => join(ROOT, 'examples', f)),
  ...readdirSync(join(ROOT, 'test', 'fixtures', 'rules')).filter((f) => f.endsWith('.nnm')).map((f) => join(ROOT, 'test', 'fixtures', 'rules', f)),
];
const VARIANTS: ConfigOverrides[] = [{}, { batch: 1 }, { batch: 256 }, { mode: 'infer' }, { mode: 'infer', batch: 7 }];

test('peakLowerable is false only where every in-place saving is zero', () => {
  let skipped = 0;
  let lowerable = 0;
  for (const file of FILES) {
    const text = readFileSync(file, 'utf8');
    for (const overrides of VARIANTS) {
      for (const model of analyzeDocument(text, 'nnm', { overrides }).models) {
        if (!model.memory) continue;
        // the one-op question the shortcut asks agrees with the full candidate list
        const listed = new Set(model.memory.inPlace.candidateOps);
        for (let op = 0; op < model.graph.ops.length; op++) assert.equal(model.memory.inPlace.isCandidate(op), listed.has(op), `op ${op}`);
        assert.deepEqual([...model.memory.inPlace.candidateOps], model.memory.inPlace.savings.map((s) => s.op));
        const profile = new PeakProfile(model.memory);
        const sites = inPlaceSites(model.graph, model.memory, profile);
        const where = `${file.slice(ROOT.length + 1)} ${model.graph.name} ${JSON.stringify(overrides)}`;
        if (peakLowerable(model.graph.ops.length, model.memory, profile)) {
          lowerable++;
          continue;
        }
        skipped++;
        for (const s of sites) assert.equal(s.saving, 0, `${where}: ${s.opName} at line ${s.site.start.line + 1}`);
        assert.equal(combinedSaving(profile, sites), 0, where);
      }
    }
  }
  // both branches are exercised (counts of models x variants in the current examples and fixtures)
  assert.ok(skipped > 0 && lowerable > 0, `skipped ${skipped}, lowerable ${lowerable}`);
});
