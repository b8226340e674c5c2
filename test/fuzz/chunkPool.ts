// Runs document-fuzz chunks in child processes (chunkWorker.ts), `jobs` at a time, each under a
// heap cap and two wall-clock limits: a case that runs longer than `caseTimeoutS` (read from the
// child's progress file) or a chunk longer than `chunkTimeoutS` is killed. A killed or dead child
// is reported as a hang or crash at the case it was running (seed + index + the case), that case
// is run once more alone to tell a stuck case from a slow machine, and the chunk resumes after
// it in a fresh child. A failure the child itself finds (and shrinks, time-bounded) resumes the
// same way, so every chunk covers all its cases.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceLanguage } from '../../server/src/core/frontend';
import type { CaseProgress, ChunkFailure, ChunkReport, DocumentCase } from './documents';

/** room for one progress record in the child's progress file (padding overwrites a longer one) */
export const PROGRESS_BYTES = 2048;

export interface PoolOptions {
  readonly jobs: number;
  readonly chunk: number;
  readonly caseTimeoutS: number;
  readonly chunkTimeoutS: number;
  readonly heapMb: number;
  readonly shrinkMs: number;
}

/** a child that did not report: killed for time, or died (heap cap, signal, exit code) */
export interface Stopped {
  readonly kind: 'hang' | 'crash';
  readonly seed: number;
  readonly detail: string;
  readonly phase: CaseProgress['phase'] | undefined;
  /** the case running when it stopped (undefined if it stopped before its first case) */
  readonly index: number | undefined;
  readonly c: DocumentCase | undefined;
  /** what running that case again alone in a fresh child did */
  readonly alone?: string;
}

/** one JSON line of the log: a child's report, or how a child stopped */
export type ChunkEvent =
  | { readonly type: 'report'; readonly report: ChunkReport }
  | { readonly type: 'stopped'; readonly from: number; readonly byLanguage: Partial<Record<SourceLanguage, number>>; readonly cases: number; readonly stopped: Stopped };

/** the children running now and their progress files' folder, gone with the parent so a stopped run leaves neither behind */
const children = new Set<ChildProcess>();
let progressDir: string | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    if (progressDir) rmSync(progressDir, { recursive: true, force: true });
    process.exit(130);
  });
}

type ChildResult = { readonly report: ChunkReport } | { readonly stopped: Stopped; readonly progress: CaseProgress | undefined };

function readProgress(file: string): CaseProgress | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8').trim()) as CaseProgress;
  } catch {
    return undefined; // not written yet, or read mid-write
  }
}

/** run cases [from, from + cases) of `seed` in a child under the limits */
function runInChild(seed: number, from: number, cases: number, shrinkMs: number, o: PoolOptions, dir: string): Promise<ChildResult> {
  const progressFile = join(dir, `${seed}-${from}.progress`);
  const child = fork(join(__dirname, 'chunkWorker.ts'), [seed, from, cases, shrinkMs, progressFile].map(String), {
    execArgv: ['--import', 'tsx', `--max-old-space-size=${o.heapMb}`],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  return new Promise((resolve) => {
    let report: ChunkReport | undefined;
    let killedFor: string | undefined;
    let progress: CaseProgress | undefined;
    let lastChange = Date.now();
    const started = Date.now();
    const watch = setInterval(() => {
      const now = readProgress(progressFile);
      if (now && JSON.stringify(now) !== JSON.stringify(progress)) {
        progress = now;
        lastChange = Date.now();
      }
      // before its first case the child is loading the parsers and the corpus: only the chunk limit holds
      const caseS = progress ? (Date.now() - lastChange) / 1000 : 0;
      const chunkS = (Date.now() - started) / 1000;
      if (caseS > o.caseTimeoutS) killedFor = `one case ran over ${o.caseTimeoutS} s`;
      else if (chunkS > o.chunkTimeoutS) killedFor = `the chunk ran over ${o.chunkTimeoutS} s`;
      if (killedFor) {
        clearInterval(watch);
        child.kill('SIGKILL');
      }
    }, 500);
    child.on('message', (m) => (report = m as ChunkReport));
    child.on('exit', (code, signal) => {
      children.delete(child);
      clearInterval(watch);
      progress = readProgress(progressFile) ?? progress;
      rmSync(progressFile, { force: true });
      if (report && !killedFor) return resolve({ report });
      const stopped: Stopped = {
        kind: killedFor ? 'hang' : 'crash',
        seed,
        detail: killedFor ?? `the child died (exit code ${code}, signal ${signal}; heap cap ${o.heapMb} MiB)`,
        phase: progress?.phase,
        index: progress?.index,
        c: progress?.c,
      };
      resolve({ stopped, progress });
    });
  });
}

function failureLine(seed: number, f: ChunkFailure): string {
  return `FAIL seed ${seed} case ${f.index} (${f.kind}) ${f.fixture}: ${f.detail.split('\n')[0]}\n${JSON.stringify({ seed, index: f.index, path: f.path, counterexample: f.counterexample, shrinkInterrupted: f.shrinkInterrupted })}`;
}

/** all `cases` cases of one seed, in as many children as its failures take */
export async function runSeed(seed: number, cases: number, o: PoolOptions, dir: string, onEvent: (e: ChunkEvent) => void): Promise<void> {
  let from = 0;
  while (from < cases) {
    const result = await runInChild(seed, from, cases - from, o.shrinkMs, o, dir);
    if ('report' in result) {
      onEvent({ type: 'report', report: result.report });
      const f = result.report.failure;
      if (!f) return;
      console.log(failureLine(seed, f));
      from = f.index + 1;
      continue;
    }
    const { stopped, progress } = result;
    // the case it was running, again alone and unshrunk: does it stop a fresh child too?
    let alone: string | undefined;
    if (stopped.index !== undefined && stopped.phase === 'run') {
      const again = await runInChild(seed, stopped.index, 1, 0, o, dir);
      alone = 'report' in again ? (again.report.failure ? `fails alone: ${again.report.failure.kind}: ${again.report.failure.detail.split('\n')[0]}` : `passes alone in ${Math.round(again.report.slowestCpuMs)} ms of CPU time`) : `stops alone too: ${again.stopped.detail}`;
    }
    // the cases run: those before the stopped one, and in the run phase the stopped one itself
    const byLanguage: Partial<Record<SourceLanguage, number>> = { ...(progress?.byLanguage ?? {}) };
    if (progress?.phase === 'run') byLanguage[progress.language] = (byLanguage[progress.language] ?? 0) + 1;
    const ran = progress ? progress.index - from + 1 : 0;
    onEvent({ type: 'stopped', from, byLanguage, cases: ran, stopped: { ...stopped, alone } });
    console.log(`STOP seed ${seed} case ${stopped.index} (${stopped.kind}, ${stopped.phase}): ${stopped.detail}; ${alone ?? ''}\n${JSON.stringify({ seed, index: stopped.index, counterexample: stopped.c })}`);
    if (stopped.index === undefined) return; // died before its first case: nothing to resume after
    from = stopped.index + 1;
  }
}

/** seeds firstSeed, firstSeed+1, ... of `chunk` cases each until `total` cases, `jobs` at a time */
export async function runPool(total: number, firstSeed: number, o: PoolOptions, onEvent: (e: ChunkEvent) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-fuzz-'));
  progressDir = dir;
  let scheduled = 0;
  let seed = firstSeed;
  const next = async (): Promise<void> => {
    while (scheduled < total) {
      const cases = Math.min(o.chunk, total - scheduled);
      scheduled += cases;
      await runSeed(seed++, cases, o, dir, onEvent);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, next));
  rmSync(dir, { recursive: true, force: true });
}
