// Code-action computation on the largest example: the lightbulb request for every finding of the
// file, cold (first request at a document version: each fix re-analyses its edited text to title
// itself), after the code lens (an editor asks for it on each change; the planned figures are then
// known) and warm (the same version asked again: previews are memoised per analysis). Also the
// cost the rules add to one analysis (what-if runs of precision and checkpoint included).
// Run: node --import tsx bench/codeActions.ts [file.nnm]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import { DEFAULT_THRESHOLDS } from '../server/src/core/rules/types';
import { RULES } from '../server/src/core/rules';
import { codeActions } from '../server/src/lsp/features/codeActions';
import { measure, measureEach, type Summary } from './stats';

export interface CodeActionBench {
  readonly file: string;
  readonly findings: number;
  readonly actions: number;
  /** all findings' actions, first request at a version (re-analysis per fix) */
  readonly cold: Summary;
  /** the same request again at the same version */
  readonly warm: Summary;
  /** first request at a version whose code lens figures (planned peak, max batch) were read before, as an editor asks for them on each change */
  readonly afterCodeLens: Summary;
  /** source.fixAll.memlens, first request */
  readonly fixAllCold: Summary;
  readonly analyzeWithRules: Summary;
  readonly analyzeWithoutRules: Summary;
}

export function benchCodeActions(file: string): CodeActionBench {
  const text = readFileSync(file, 'utf8');
  const uri = 'file:///bench.nnm';
  const options = {};
  const off = { rules: { levels: Object.fromEntries(RULES.map((r) => [r.name, 'off' as const])), thresholds: DEFAULT_THRESHOLDS } };
  /** a document version: its text and its analysis */
  interface Version {
    readonly text: string;
    readonly analysis: ReturnType<typeof analyzeDocument>;
  }
  const request = ({ text, analysis }: Version, only?: string[]) => {
    let n = 0;
    for (const f of analysis.findings ?? []) {
      n += codeActions({ uri, text, language: 'nnm', options, analysis }, { range: f.range, context: { diagnostics: [], ...(only ? { only } : {}) } }).length;
    }
    return n;
  };
  const base: Version = { text, analysis: analyzeDocument(text, 'nnm', options) };
  const actions = request(base);
  // each cold run gets an analysis of its own, made untimed just before it as the server makes one
  // per edit: its previews are not memoised yet, and the heap holds one analysis as in the server
  const runs = { warmup: 2, minRuns: 7, maxRuns: 100, budgetMs: 4000 };
  // each version's text differs (a trailing comment), as after an edit: nothing keyed by the text is reused
  let edits = 0;
  const version = (): Version => {
    const edited = `${text}# edit ${++edits}\n`;
    return { text: edited, analysis: analyzeDocument(edited, 'nnm', options) };
  };
  const cold = measureEach(version, (a) => void request(a), runs);
  const warm = measure(() => void request(base), { ...runs, minRuns: 20, maxRuns: 200 });
  const afterCodeLens = measureEach(
    () => {
      const v = version();
      for (const m of v.analysis.models) {
        void m.memory?.bytes.planned;
        void m.memory?.maxBatch.planned;
      }
      return v;
    },
    (a) => void request(a),
    runs,
  );
  const fixAllCold = measureEach(version, (v) => {
    codeActions({ uri, text: v.text, language: 'nnm', options, analysis: v.analysis }, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], only: ['source.fixAll'] } });
  }, runs);
  return {
    file,
    findings: base.analysis.findings?.length ?? 0,
    actions,
    cold,
    warm,
    afterCodeLens,
    fixAllCold,
    analyzeWithRules: measure(() => void analyzeDocument(text, 'nnm', options), runs),
    analyzeWithoutRules: measure(() => void analyzeDocument(text, 'nnm', off), runs),
  };
}

if (require.main === module) {
  const file = process.argv[2] ?? join(__dirname, '..', 'examples', 'resnet50.nnm');
  const r = benchCodeActions(file);
  const ms = (s: Summary) => `median ${s.median.toFixed(2)} ms (p95 ${s.p95.toFixed(2)}, ${s.runs} runs)`;
  console.log(`code actions on ${file}: ${r.findings} findings, ${r.actions} actions`);
  console.log(`  all findings, first request at a version: ${ms(r.cold)}`);
  console.log(`  all findings, same version again:         ${ms(r.warm)}`);
  console.log(`  first request after the code lens:         ${ms(r.afterCodeLens)}`);
  console.log(`  source.fixAll.memlens, first request:      ${ms(r.fixAllCold)}`);
  console.log(`  analyzeDocument with rules:                ${ms(r.analyzeWithRules)}`);
  console.log(`  analyzeDocument, every rule off:           ${ms(r.analyzeWithoutRules)}`);
}
