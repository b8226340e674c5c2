// One chunk of the document fuzzer in a child process of `npm run fuzz` (chunkPool.ts forks it),
// so that a case that never returns or exhausts the heap costs a child, not the run. Before each
// case it overwrites its progress file (synchronously, so the parent can read which case was
// running when it had to kill the child); at the end it sends its ChunkReport to the parent.
//   argv: <seed> <from> <cases> <shrinkMs> <progressFile>
import { openSync, writeSync } from 'node:fs';
import { initTfjsFrontend } from '../../server/src/core/tfjs/parse';
import { PROGRESS_BYTES } from './chunkPool';
import { prepareCorpus, runChunk, type CaseProgress } from './documents';

async function main(): Promise<void> {
  const [seed, from, cases, shrinkMs] = process.argv.slice(2, 6).map(Number) as [number, number, number, number];
  const fd = openSync(process.argv[6]!, 'w');
  const record = (p: CaseProgress): void => {
    writeSync(fd, JSON.stringify(p).padEnd(PROGRESS_BYTES), 0, 'utf8');
  };
  await initTfjsFrontend();
  const report = runChunk(prepareCorpus(), seed, cases, { from, shrinkMs, onCase: record });
  process.send!(report, () => process.disconnect());
}

void main();
