// `npm run fuzz`: the long fuzzing run, outside `npm test` (test/unit/fuzz/ runs a short smoke of
// the same properties). The suite lives in test/fuzz/ rather than a root fuzz/ folder so it is
// type-checked with the tests (test/tsconfig.json) and shares their LSP client.
//   npm run fuzz                     both targets below with their defaults
//   npm run fuzz -- documents [--cases 1000000] [--seed 1] [--chunk 10000] [--log fuzz.jsonl]
//   npm run fuzz -- lsp [--sequences 200] [--seed 1]   (needs dist/server.js: npm run build)
// Document cases run in chunks of one fast-check seed each (seed, seed+1, ...): a failing chunk
// is shrunk and printed with its seed, and the run goes on with the next chunk. One JSON line per
// chunk goes to the log, so a long run can be followed and summed.
import { appendFileSync } from 'node:fs';
import { initTfjsFrontend } from '../../server/src/core/tfjs/parse';
import { prepareCorpus, runChunk, type ChunkReport } from './documents';
import { runLspFuzz } from './lspSequences';

function option(name: string, fallback: number): number;
function option(name: string, fallback: string): string;
function option(name: string, fallback: number | string): number | string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) return fallback;
  const raw = process.argv[i + 1]!;
  return typeof fallback === 'number' ? Number(raw) : raw;
}

async function documents(): Promise<number> {
  const total = option('cases', 1_000_000);
  const chunk = option('chunk', 10_000);
  const firstSeed = option('seed', 1);
  const log = option('log', '');
  await initTfjsFrontend();
  const corpus = prepareCorpus();
  const sums: Record<string, number> = {};
  let done = 0;
  let failures = 0;
  const started = Date.now();
  for (let seed = firstSeed; done < total; seed++) {
    const report: ChunkReport = runChunk(corpus, seed, Math.min(chunk, total - done));
    done += report.cases;
    for (const [language, n] of Object.entries(report.byLanguage)) sums[language] = (sums[language] ?? 0) + n;
    if (report.failure) {
      failures++;
      console.log(`FAIL seed ${seed} (${report.failure.kind}) ${report.failure.fixture}: ${report.failure.detail.split('\n')[0]}`);
      console.log(JSON.stringify({ seed, path: report.failure.path, counterexample: report.failure.counterexample }));
    }
    const line = { ...report, at: new Date().toISOString(), done, elapsedS: Math.round((Date.now() - started) / 1000) };
    if (log) appendFileSync(log, JSON.stringify(line) + '\n');
    console.log(`seed ${seed}: ${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s (slowest ${Math.round(report.slowestMs)} ms); total ${done}`);
  }
  console.log(`documents: ${done} cases ${JSON.stringify(sums)}, ${failures} failing chunks, ${Math.round((Date.now() - started) / 1000)} s`);
  return failures === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  const what = process.argv[2]?.startsWith('--') === false ? process.argv[2] : 'all';
  if (what === 'all') process.exitCode = Math.max(await documents(), await runLspFuzz(option('sequences', 200), option('seed', 1)));
  else if (what === 'documents') process.exitCode = await documents();
  else if (what === 'lsp') process.exitCode = await runLspFuzz(option('sequences', 200), option('seed', 1));
  else {
    console.error(`unknown fuzz target ${what}: documents | lsp`);
    process.exitCode = 2;
  }
}

void main();
