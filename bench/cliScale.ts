// The CLI on the generated chains: `memlens report` as a user runs it (node bin/memlens.js, the
// dist/cli.js bundle), in text, --json and --json-detail, each once per size in its own process,
// stdout to a file. Wall time, the process's peak RSS (read by a preload at exit) and output bytes.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateModel } from './generate';
import { printTable } from './stats';

/** loaded with --require into the CLI's process: its peak RSS on stderr as it exits */
const RSS_PRELOAD = "process.on('exit', () => process.stderr.write(`\\nmemlens-bench maxRSS ${process.resourceUsage().maxRSS}\\n`));\n";

interface CliRun {
  readonly seconds: number;
  /** kB (resourceUsage().maxRSS) */
  readonly maxRssKb: number | null;
  readonly bytes: number;
  readonly status: number | null;
  readonly stopped: boolean;
}

const MODES: readonly { readonly name: string; readonly args: readonly string[] }[] = [
  { name: 'text', args: [] },
  { name: '--json', args: ['--json'] },
  { name: '--json-detail', args: ['--json-detail'] },
];

function runCli(root: string, dir: string, file: string, args: readonly string[], capMs: number): CliRun {
  const outPath = join(dir, 'out');
  const out = openSync(outPath, 'w');
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--require', join(dir, 'rss.cjs'), join(root, 'bin', 'memlens.js'), 'report', file, ...args], {
    cwd: dir,
    stdio: ['ignore', out, 'pipe'],
    encoding: 'utf8',
    timeout: capMs,
    maxBuffer: 1 << 20,
  });
  const seconds = (performance.now() - started) / 1000;
  closeSync(out);
  const rss = /memlens-bench maxRSS (\d+)/.exec(child.stderr ?? '');
  return { seconds, maxRssKb: rss ? Number(rss[1]) : null, bytes: statSync(outPath).size, status: child.status, stopped: child.error !== undefined };
}

export function benchCliScale(root: string, sizes: readonly number[], capMs: number): void {
  console.log(
    '\nmemlens report on the same chains (node bin/memlens.js, dist/cli.js, default node flags; one run each, stdout to a file): wall seconds,' +
      ' peak RSS per op (the whole process: node itself is about 45 MB), output bytes. The text table of a model over 1,000 ops lists its 20 largest tensors;' +
      ' --json is compact and without rows, --json-detail adds the tensors and steps rows',
  );
  if (!existsSync(join(root, 'dist', 'cli.js'))) {
    console.log('skipped: dist/cli.js is missing (npm run build)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'memlens-cli-scale-'));
  writeFileSync(join(dir, 'rss.cjs'), RSS_PRELOAD);
  const rows = sizes.map((ops): string[] => {
    const file = join(dir, `chain_${ops}.nnm`);
    writeFileSync(file, generateModel(ops));
    const cells = MODES.flatMap(({ args }) => {
      const r = runCli(root, dir, file, args, capMs);
      // exit 1 is an error diagnostic (the 1,000,000-op chain does not fit its device): still a report
      if (r.stopped || (r.status !== 0 && r.status !== 1)) return [r.stopped ? `stopped after ${capMs / 1000} s` : `status ${r.status}`, '-', '-'];
      return [r.seconds.toFixed(2), r.maxRssKb === null ? '-' : ((r.maxRssKb * 1024) / ops).toFixed(0), r.bytes.toLocaleString('en-US')];
    });
    return [`${ops.toLocaleString('en-US')} ops`, ...cells];
  });
  printTable(
    ['model', ...MODES.flatMap(({ name }) => [`${name} s`, `${name} RSS B per op`, `${name} bytes`])],
    rows,
  );
}
