// memlens-ignore comments and the rule switches / thresholds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { isIgnored, parseIgnores } from '../../../server/src/core/rules/ignore';
import { DEFAULT_THRESHOLDS } from '../../../server/src/core/rules/types';
import { parseRuleSettings } from '../../../server/src/lsp/ruleSettings';
import { fixture } from './fixture';

const codes = (text: string, options = {}): string[] => (analyzeDocument(text, 'nnm', options).findings ?? []).map((f) => `${f.code}@${f.range.start.line}`);

test('parseIgnores: listed codes, bare marker = all, // in TypeScript', () => {
  const m = parseIgnores('a\n# memlens-ignore NNM205, NNM206\nb # memlens-ignore\n', '#');
  assert.deepEqual([...m.get(1)!], ['NNM205', 'NNM206']);
  assert.deepEqual([...m.get(2)!], ['*']);
  assert.ok(isIgnored(m, 'NNM205', 2)); // the line above
  assert.ok(isIgnored(m, 'NNM209', 2)); // its own line, bare marker
  assert.ok(!isIgnored(m, 'NNM209', 1));
  assert.ok(!isIgnored(m, 'NNM205', 4));
  const ts = parseIgnores('// memlens-ignore NNM203\n# memlens-ignore NNM204\n', '//');
  assert.deepEqual([...ts.keys()], [0]);
});

test('an ignore comment on the line above silences only the named code', () => {
  const text = fixture('deadTensor.trigger');
  assert.deepEqual(codes(text), ['NNM209@9']);
  const silenced = text.replace('  side = ', '  # memlens-ignore NNM209\n  side = ');
  assert.deepEqual(codes(silenced), []);
  const other = text.replace('  side = ', '  # memlens-ignore NNM205\n  side = ');
  assert.deepEqual(codes(other), ['NNM209@10']);
  const sameLine = text.replace('# debugging branch', '# memlens-ignore NNM209');
  assert.deepEqual(codes(sameLine), []);
});

test('rule levels: off removes a rule, a severity replaces its default', () => {
  const text = fixture('simdUnderfill.trigger');
  assert.deepEqual(codes(text, { rules: { levels: { simdUnderfill: 'off' }, thresholds: DEFAULT_THRESHOLDS } }), []);
  const a = analyzeDocument(text, 'nnm', { rules: { levels: { simdUnderfill: 'warning' }, thresholds: DEFAULT_THRESHOLDS } });
  assert.deepEqual(a.findings!.map((f) => f.severity), ['warning']);
  assert.equal(a.diagnostics.filter((d) => d.code === 'NNM206').length, 1);
});

test('thresholds: raising the lowering threshold above 3.45 GiB silences NNM204', () => {
  const text = fixture('loweringBloat.trigger');
  assert.deepEqual(codes(text), ['NNM204@9']);
  const high = { ...DEFAULT_THRESHOLDS, loweringBloatBytes: 4 * 1024 ** 3 };
  assert.deepEqual(codes(text, { rules: { levels: {}, thresholds: high } }), []);
});

test('settings: memlens.rules / memlens.thresholds parse, bad values reported and ignored', () => {
  const problems: string[] = [];
  const s = parseRuleSettings({ batchBloat: 'off', precision: 'info', deadTensor: false, budget: 'information', nope: 'off', simdUnderfill: 'loud' }, { loweringBloatBytes: '1GiB', batchBloatShare: 2 }, problems);
  assert.deepEqual(s.levels, { batchBloat: 'off', precision: 'info', deadTensor: 'off', budget: 'info' });
  assert.equal(s.thresholds.loweringBloatBytes, 1024 ** 3);
  assert.equal(s.thresholds.batchBloatShare, DEFAULT_THRESHOLDS.batchBloatShare);
  assert.equal(problems.length, 3);
});
