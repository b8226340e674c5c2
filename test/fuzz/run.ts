// `npm run fuzz`: the long fuzzing run, outside `npm test` (test/unit/fuzz/ runs a short smoke of
// the same properties). The suite lives in test/fuzz/ rather than a root fuzz/ folder so it is
// type-checked with the tests (test/tsconfig.json) and shares their LSP client.
//   npm run fuzz                     both targets below with their defaults
//   npm run fuzz -- documents [--cases 1000000] [--seed 1] [--chunk 10000] [--log fuzz.jsonl]
//        [--jobs 1] [--case-timeout 300] [--chunk-timeout 600] [--heap-mb 4096] [--shrink-ms 30000]
//   npm run fuzz -- lsp [--sequences 200] [--seed 1]   (needs dist/server.js: npm run build)
// Document cases run in chunks of one fast-check seed each (seed, seed+1, ...), each chunk in its
// own child process (chunkPool.ts), --jobs of them at once, under a heap cap (--heap-mb) and two
// wall-clock limits: one case (--case-timeout, seconds) and one chunk (--chunk-timeout, seconds).
// A child killed for time is a hang, one that dies a crash; either is printed with its seed, case
// index and case, the case is run again alone, and the chunk resumes after it. A failure the
// property finds is shrunk for at most --shrink-ms and printed with its seed; the chunk resumes
// after the failing case. One JSON line per child goes to the log, so a long run can be
// followed and summed.
import { appendFileSync } from 'node:fs';
import { runPool, type ChunkEvent } from './chunkPool';
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
  const log = option('log', '');
  const sums: Record<string, number> = {};
  let done = 0;
  let failures = 0;
  let slowest = { ms: 0, seed: 0, index: 0, fixture: '' };
  let slowestWallMs = 0;
  const started = Date.now();
  const onEvent = (e: ChunkEvent): void => {
    const byLanguage = e.type === 'report' ? e.report.byLanguage : e.byLanguage;
    const cases = e.type === 'report' ? e.report.cases : e.cases;
    done += cases;
    for (const [language, n] of Object.entries(byLanguage)) sums[language] = (sums[language] ?? 0) + n;
    if (e.type === 'stopped' || e.report.failure) failures++;
    if (e.type === 'report' && e.report.slowest && e.report.slowestCpuMs > slowest.ms) slowest = { ms: e.report.slowestCpuMs, seed: e.report.seed, ...e.report.slowest };
    slowestWallMs = Math.max(slowestWallMs, e.type === 'report' ? e.report.slowestMs : 0);
    const line = { ...e, at: new Date().toISOString(), done, elapsedS: Math.round((Date.now() - started) / 1000) };
    if (log) appendFileSync(log, JSON.stringify(line) + '\n');
    if (e.type === 'report') {
      const r = e.report;
      console.log(`seed ${r.seed}${r.from > 0 ? ` from case ${r.from}` : ''}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s (slowest ${Math.round(r.slowestCpuMs)} ms CPU, ${Math.round(r.slowestMs)} ms wall); total ${done}`);
    }
  };
  await runPool(total, option('seed', 1), {
    jobs: option('jobs', 1),
    chunk: option('chunk', 10_000),
    caseTimeoutS: option('case-timeout', 300),
    chunkTimeoutS: option('chunk-timeout', 600),
    heapMb: option('heap-mb', 4096),
    shrinkMs: option('shrink-ms', 30_000),
  }, onEvent);
  console.log(`documents: ${done} cases ${JSON.stringify(sums)}, ${failures} failures, slowest case ${Math.round(slowest.ms)} ms of CPU time (seed ${slowest.seed} case ${slowest.index}, ${slowest.fixture}), slowest wall time ${Math.round(slowestWallMs)} ms, ${Math.round((Date.now() - started) / 1000)} s`);
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
