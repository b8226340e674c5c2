// `npm run bench`: as-you-type latency (issue 2, "Speed"). Prints plain numbers, no pass/fail.
//   1. parse + analysis (analyzeDocument) per example and for generated models of 1k / 10k / 100k ops
//   2. the LSP round trip didChange -> publishDiagnostics on resnet50.nnm against dist/server.js
//   3. the TensorFlow.js frontend benchmark (bench/tfjs.ts) when it exists
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import { generateModel } from './generate';
import { lspRoundTrip } from './lsp';
import { measure, ms, printTable, type Summary } from './stats';

const ROOT = join(__dirname, '..');
const EXAMPLES = join(ROOT, 'examples');

function describe(text: string): { ops: number; errors: number } {
  const result = analyzeDocument(text, 'nnm');
  return {
    ops: result.models.reduce((n, m) => n + m.graph.ops.length, 0),
    errors: result.diagnostics.filter((d) => d.severity === 'error').length,
  };
}

function row(name: string, text: string, summary: Summary): string[] {
  const { ops, errors } = describe(text);
  return [name, String(text.split('\n').length), String(ops), String(errors), String(summary.runs), ms(summary.median), ms(summary.p95)];
}

function benchExamples(): void {
  console.log('\nparse + analysis (analyzeDocument), per example, ms');
  const rows: string[][] = [];
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.nnm')).sort()) {
    const text = readFileSync(join(EXAMPLES, file), 'utf8');
    const summary = measure(() => analyzeDocument(text, 'nnm'), { warmup: 30, minRuns: 50, maxRuns: 2000, budgetMs: 1500 });
    rows.push(row(file, text, summary));
  }
  printTable(['example', 'lines', 'ops', 'errors', 'runs', 'median', 'p95'], rows);
}

function benchScaling(): void {
  console.log('\nparse + analysis of generated residual chains, ms');
  const sizes: [number, { warmup: number; minRuns: number; maxRuns: number; budgetMs: number }][] = [
    [1_000, { warmup: 20, minRuns: 30, maxRuns: 500, budgetMs: 1500 }],
    [10_000, { warmup: 5, minRuns: 15, maxRuns: 100, budgetMs: 3000 }],
    [100_000, { warmup: 2, minRuns: 7, maxRuns: 15, budgetMs: 8000 }],
  ];
  const rows: string[][] = [];
  let previous: Summary | undefined;
  for (const [ops, options] of sizes) {
    const text = generateModel(ops);
    const summary = measure(() => analyzeDocument(text, 'nnm'), options);
    const growth = previous ? (summary.median / previous.median).toFixed(1) : '-';
    rows.push([...row(`${ops.toLocaleString('en-US')} ops`, text, summary), growth]);
    previous = summary;
  }
  printTable(['model', 'lines', 'ops', 'errors', 'runs', 'median', 'p95', 'x per 10x ops'], rows);
}

/** latest modification time of any file under `dir` */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function benchLsp(): Promise<void> {
  console.log('\nLSP round trip on resnet50.nnm: didChange -> publishDiagnostics (dist/server.js over stdio), ms');
  if (!existsSync(join(ROOT, 'server', 'src', 'lsp', 'server.ts'))) {
    console.log('skipped: server/src/lsp/server.ts does not exist yet');
    return;
  }
  const serverPath = join(ROOT, 'dist', 'server.js');
  const stale = existsSync(serverPath) && newestSource(join(ROOT, 'server', 'src')) > statSync(serverPath).mtimeMs;
  if (!existsSync(serverPath) || stale) {
    console.log(`dist/server.js is ${stale ? 'older than server/src' : 'missing'}: running npm run build`);
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0 || !existsSync(serverPath)) {
      console.log('skipped: npm run build failed');
      return;
    }
  }
  const filePath = join(EXAMPLES, 'resnet50.nnm');
  const result = await lspRoundTrip({
    serverPath,
    filePath,
    text: readFileSync(filePath, 'utf8'),
    isolatedEdits: 40,
    pauseMs: 250,
    bursts: 5,
    keystrokesPerBurst: 8,
    keystrokeGapMs: 30,
  });
  printTable(
    ['edit', 'runs', 'median', 'p95'],
    [
      ['one keystroke after a pause', String(result.isolated.runs), ms(result.isolated.median), ms(result.isolated.p95)],
      ['last keystroke of a burst (30 ms apart)', String(result.burst.runs), ms(result.burst.median), ms(result.burst.p95)],
    ],
  );
  console.log(`(sync: ${result.syncKind}; diagnostics on open: ${result.diagnosticsOnOpen}; a burst waits for the server's debounce delay)`);
}

function benchTfjs(): void {
  const script = join(ROOT, 'bench', 'tfjs.ts');
  if (!existsSync(script)) {
    console.log('\nTensorFlow.js frontend: skipped, bench/tfjs.ts does not exist yet');
    return;
  }
  console.log('\nTensorFlow.js frontend (bench/tfjs.ts)');
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) console.log(`bench/tfjs.ts exited with status ${run.status}`);
}

async function main(): Promise<void> {
  console.log(`memlens bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
  benchExamples();
  benchScaling();
  try {
    await benchLsp();
  } catch (err) {
    console.log(`LSP round trip failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
  benchTfjs();
}

void main();
