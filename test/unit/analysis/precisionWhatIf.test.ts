// The precision what-if (rules/whatIf.ts) retypes the element counts the registry gave under the
// configured precision instead of analysing the retyped graph again. That is exact only while the
// registry's saved/workspace rules read shapes and arguments, never dtypes: checked here against a
// full re-analysis for every example, every fixture and every mode, lowering and target precision.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { SourceLanguage } from '../../../server/src/core/frontend';
import { lowerBoundOfGraph, lowerBoundUnderPrecision, withPrecision } from '../../../server/src/core/rules/whatIf';
import type { ConfigOverrides } from '../../../server/src/core/config';
import type { Precision } from '../../../server/src/core/ir';
import { ready } from '../tfjs/helpers';

const ROOT = join(__dirname, '..', '..', '..');
const SOURCES: { file: string; language: SourceLanguage }[] = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.nnm')).map((f) => ({ file: join(ROOT, 'examples', f), language: 'nnm' as const })),
  ...readdirSync(join(ROOT, 'test', 'fixtures', 'rules')).map((f) => ({ file: join(ROOT, 'test', 'fixtures', 'rules', f), language: 'nnm' as const })),
  ...readdirSync(join(ROOT, 'test', 'fixtures', 'tfjs')).filter((f) => f.endsWith('.ts')).map((f) => ({ file: join(ROOT, 'test', 'fixtures', 'tfjs', f), language: 'typescript' as const })),
];
const TARGETS: Precision[] = ['fp32', 'fp16', 'bf16', 'mixed', 'int8', 'fp64'];
const VARIANTS: ConfigOverrides[] = [{}, { mode: 'infer' }, { lowering: 'direct' }, { precision: 'fp16' }];

before(ready); // the TypeScript frontend loads its tree-sitter grammar once

for (const { file, language } of SOURCES) {
  test(`precision what-if equals a full re-analysis: ${file.slice(ROOT.length + 1)}`, () => {
    const text = readFileSync(file, 'utf8');
    let compared = 0;
    for (const overrides of VARIANTS) {
      const analysis = analyzeDocument(text, language, { overrides });
      for (const model of analysis.models) {
        if (!model.memory) continue;
        for (const precision of TARGETS) {
          const fast = lowerBoundUnderPrecision(model.graph, model.footprint, model.memory, precision);
          const full = lowerBoundOfGraph(withPrecision(model.graph, precision));
          assert.deepEqual(fast, full, `${model.graph.name} ${JSON.stringify(overrides)} -> ${precision}`);
          compared++;
        }
      }
    }
    assert.ok(compared > 0, 'some model was compared');
  });
}
