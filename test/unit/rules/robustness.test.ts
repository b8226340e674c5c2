// Rules, fixes and code actions on broken text: a fixture with a random span deleted or replaced
// must analyse and answer every code action without throwing (fixed seed, so failures replay).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { codeActions } from '../../../server/src/lsp/features/codeActions';
import { fixture } from './fixture';

const names = readdirSync(join(__dirname, '..', '..', 'fixtures', 'rules')).map((f) => f.replace(/\.nnm$/, ''));

test('mangled fixtures: analysis and every code action stay total', () => {
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.nat(), fc.nat(40), fc.constantFrom('', ')', '(', ',', 'x', ' inplace: true', '\n', '#', '}'), (name, at, len, insert) => {
      const text0 = fixture(name);
      const start = at % text0.length;
      const text = text0.slice(0, start) + insert + text0.slice(start + len);
      const analysis = analyzeDocument(text, 'nnm');
      const input = { uri: 'file:///f.nnm', text, language: 'nnm' as const, options: {}, analysis };
      for (const f of analysis.findings ?? []) {
        const actions = codeActions(input, { range: f.range, context: { diagnostics: [] } });
        assert.ok(actions.some((a) => a.title.startsWith(`Ignore ${f.code}`)));
      }
      codeActions(input, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ['source.fixAll'] } });
    }),
    { seed: 4242, numRuns: 60 },
  );
});
