// Runs the @vscode/test-electron suite (electron/run.ts) as one node:test case; where VS Code
// cannot be downloaded the runner prints its SKIP line and this case is reported as skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';

it('the @vscode/test-electron suite passes inside VS Code', { timeout: 1_200_000 }, (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'electron', 'run.ts')], {
    encoding: 'utf8',
    timeout: 1_140_000,
    killSignal: 'SIGKILL',
  });
  const skip = run.stdout.split('\n').find((line) => line.startsWith('SKIP '));
  if (run.status === 0 && skip) {
    t.skip(skip.slice('SKIP '.length));
    return;
  }
  assert.equal(run.status, 0, `test-electron failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
});
