// `npm run bench`: as-you-type latency (issue 2, "Speed"). Prints plain numbers, no pass/fail.
//   1. parse + analysis (analyzeDocument) per example and for generated models of 1k / 10k / 100k ops
//   2. the LSP round trip didChange -> publishDiagnostics on resnet50.nnm against dist/server.js
//   3. the planner: time and planned / lower bound (bench/planner.ts)
//   4. the Python (PyTorch) frontend on a generated 2,000-line file (bench/python.ts)
//   5. the other benchmarks in bench/ (TensorFlow.js frontend, code actions) when they exist
// `npm run bench -- scale lsp` runs only the named sections (examples, scale, planner, lsp, python, others);
// `npm run bench -- public` the public-repository evaluation (bench/publicModels.ts), never run by default.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { buildSync } from 'esbuild';
import { basename, dirname, join, relative } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { analyzeNnm } from '../server/src/core/dsl/frontend';
import { SERVER_NODE_FLAGS } from '../client/src/serverFlags';
import { benchCliScale } from './cliScale';
import { lspRoundTrip } from './lsp';
import { benchPlanner } from './planner';
import type { ScaleResult } from './scaleWorker';
import { generateModel, generateTfjsFile } from './generate';
import { measure, ms, printTable, summarize, type Summary } from './stats';

const ROOT = join(__dirname, '..');
const EXAMPLES = join(ROOT, 'examples');

function describe(text: string): { ops: number; errors: number } {
  const result = analyzeDocument(text, 'nnm');
  return {
    ops: result.models.reduce((n, m) => n + m.graph.ops.length, 0),
    errors: result.diagnostics.filter((d) => d.severity === 'error').length,
  };
}

/** analyzeDocument, then the planned peak the code lens shows (the arena plan runs on its first read) */
function analyzeWithPlan(text: string): void {
  for (const m of analyzeDocument(text, 'nnm').models) void m.memory?.bytes.planned;
}

function benchExamples(): void {
  console.log('\nparse + analysis (analyzeDocument: everything the diagnostics need) per example, ms;');
  console.log('parse+elab = the .nnm frontend alone; +plan = analyzeDocument and the planned peak (the code lens figure)');
  const options = { warmup: 30, minRuns: 50, maxRuns: 2000, budgetMs: 1500 };
  const rows: string[][] = [];
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.nnm')).sort()) {
    const text = readFileSync(join(EXAMPLES, file), 'utf8');
    const { ops, errors } = describe(text);
    const frontend = measure(() => analyzeNnm(text, BUILTIN_DEFAULTS), options);
    const full = measure(() => analyzeDocument(text, 'nnm'), options);
    const withPlan = measure(() => analyzeWithPlan(text), options);
    rows.push([
      file,
      String(text.split('\n').length),
      String(ops),
      String(errors),
      String(full.runs),
      ms(frontend.median),
      ms(full.median),
      ms(full.p95),
      ms(full.min),
      ms(withPlan.median),
    ]);
  }
  printTable(['example', 'lines', 'ops', 'errors', 'runs', 'parse+elab median', 'median', 'p95', 'min', '+plan median'], rows);
}

/**
 * per generated size: the timed budget in the child, its untimed calls (default 12) and how many
 * of the rounds it runs in (default all); every child is stopped at SCALE_CAP_MS
 */
const SCALE_SIZES: readonly { ops: number; budgetMs: number; minWarmup?: number; rounds?: number }[] = [
  { ops: 1_000, budgetMs: 2_000 },
  { ops: 10_000, budgetMs: 4_000 },
  { ops: 100_000, budgetMs: 8_000 },
  // the op limit per model: one analysis takes seconds, so one untimed call and one round
  { ops: 1_000_000, budgetMs: 1, minWarmup: 1, rounds: 1 },
];
const SCALE_CAP_MS = 240_000;

/** the tree-sitter runtime and grammars, which a bundle loads from its own folder (as dist/server.js does) */
const GRAMMARS: readonly string[] = [
  'web-tree-sitter/tree-sitter.wasm',
  'tree-sitter-typescript/tree-sitter-typescript.wasm',
  'tree-sitter-typescript/tree-sitter-tsx.wasm',
  'tree-sitter-python/tree-sitter-python.wasm',
];

/**
 * a bench script as one CommonJS file in a temporary folder (what the extension runs is a bundle
 * too); `grammars`: with the tree-sitter wasm files (and the Python library folder) copied next to
 * it, as the build puts them in dist/
 */
function bundle(script: string, grammars = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-bench-'));
  const outfile = join(dir, basename(script).replace(/\.ts$/, '.js'));
  // as esbuild.mjs builds the server: web-tree-sitter's ESM build crashes when bundled to CommonJS
  const alias = grammars ? { 'web-tree-sitter': join(dirname(require.resolve('web-tree-sitter/tree-sitter.wasm')), 'tree-sitter.cjs') } : undefined;
  buildSync({ entryPoints: [script], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'warning', ...(alias ? { alias } : {}) });
  if (grammars) {
    for (const wasm of GRAMMARS) copyFileSync(require.resolve(wasm), join(dir, basename(wasm)));
    // the Python frontend's own descriptions of library models, which the build copies to dist/library
    const library = join(ROOT, 'server', 'src', 'core', 'python', 'library');
    if (existsSync(library)) cpSync(library, join(dir, 'library'), { recursive: true, filter: (src) => !src.endsWith('__pycache__') });
  }
  return outfile;
}

/**
 * Rounds of every size, one after another: on a shared machine the load drifts over a minute, and
 * sizes measured minutes apart gave growth ratios that moved by 2x between runs. A ratio taken
 * within one round compares sizes measured seconds apart.
 */
const SCALE_ROUNDS = 3;

type ScaleRun = { readonly ok: true; readonly result: ScaleResult } | { readonly ok: false; readonly why: string };

function scaleRun(worker: string, ops: number, budgetMs: number, minWarmup: number | undefined): ScaleRun {
  // --expose-gc: the worker measures the heap one analysis holds after a full collection
  const child = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, '--expose-gc', worker, String(ops), String(budgetMs), ...(minWarmup === undefined ? [] : [String(minWarmup)])], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: SCALE_CAP_MS,
    maxBuffer: 1 << 20,
  });
  const line = child.stdout?.trim().split('\n').pop();
  if (child.status === 0 && line) return { ok: true, result: JSON.parse(line) as ScaleResult };
  return { ok: false, why: child.error ? `stopped after ${SCALE_CAP_MS / 1000} s` : `exited with status ${child.status}: ${child.stderr?.trim().slice(0, 300)}` };
}

/** the middle of the rounds' values (stats.ts's median) */
function middle(values: readonly number[]): number {
  return summarize(values).median;
}

function span(values: readonly number[], digits: number): string {
  if (values.length === 0) return '-';
  const lo = Math.min(...values).toFixed(digits);
  const hi = Math.max(...values).toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
}

function benchScaling(): void {
  console.log(
    `\nparse + analysis of generated residual chains (each size in its own process, bundled and with the server's node flags ${SERVER_NODE_FLAGS.join(' ')};` +
      ` ${SCALE_ROUNDS} rounds of every size in turn, each timed after at least 12 untimed analyses), ms; median and p95: the middle of the rounds' values; min: the least;` +
      ` µs per op (from the mean, which counts the collector pauses that fall on some runs only), per op vs previous and GC: the range over the rounds (GC: the share of the timed analyses spent in collector pauses);` +
      ` 1,000,000 ops: one untimed call, one round; heap B per op: what one analysis holds after a full collection, with its planned peak and diagnostics read`,
  );
  // bundled, not run through tsx: the product runs bundled, and through tsx the largest size's
  // median swung by up to 2x between runs of the same code
  const worker = bundle(join(__dirname, 'scaleWorker.ts'));
  const runs: ScaleRun[][] = SCALE_SIZES.map(() => []);
  for (let round = 0; round < SCALE_ROUNDS; round++) {
    SCALE_SIZES.forEach(({ ops, budgetMs, minWarmup, rounds }, i) => {
      if (round < (rounds ?? SCALE_ROUNDS)) runs[i]!.push(scaleRun(worker, ops, budgetMs / SCALE_ROUNDS, minWarmup));
    });
  }
  const rows = SCALE_SIZES.map(({ ops }, i): string[] => {
    const name = `${ops.toLocaleString('en-US')} ops`;
    const failed = runs[i]!.find((r) => !r.ok);
    if (failed && !failed.ok) return [name, '-', '-', '-', '-', '-', '-', '-', '-', '-', failed.why, '-', '-', '-'];
    const results = runs[i]!.map((r) => (r as { result: ScaleResult }).result);
    const first = results[0]!;
    // per op against the previous size, within each round: 1.0 when the cost grows exactly with the op count
    const growth = i === 0 ? [] : results.flatMap((r, round) => {
      const before = runs[i - 1]![round]!;
      return before.ok ? [r.full.mean / r.ops / (before.result.full.mean / before.result.ops)] : [];
    });
    return [
      name,
      String(first.lines),
      String(first.ops),
      String(first.errors),
      String(results.reduce((n, r) => n + r.full.runs, 0)),
      ms(middle(results.map((r) => r.frontend.median))),
      ms(middle(results.map((r) => r.full.median))),
      ms(middle(results.map((r) => r.full.p95))),
      ms(Math.min(...results.map((r) => r.full.min))),
      span(results.map((r) => (1000 * r.full.mean) / r.ops), 2),
      span(growth, 2),
      `${span(results.map((r) => 100 * r.fullGcShare), 0)}%`,
      ms(middle(results.map((r) => r.withPlan.median))),
      span(results.flatMap((r) => (r.heapBytesPerOp === null ? [] : [r.heapBytesPerOp])), 0),
    ];
  });
  printTable(['model', 'lines', 'ops', 'errors', 'runs', 'parse+elab median', 'median', 'p95', 'min', 'µs per op', 'per op vs previous', 'GC', '+plan median', 'heap B per op'], rows);
  if (freshBuild(join(ROOT, 'dist', 'cli.js'))) benchCliScale(ROOT, SCALE_SIZES.map((s) => s.ops), SCALE_CAP_MS);
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

/** dist/ rebuilt when `bundle` is missing or older than server/src; false (and said) when the build fails */
function freshBuild(bundlePath: string): boolean {
  const name = relative(ROOT, bundlePath);
  const stale = existsSync(bundlePath) && newestSource(join(ROOT, 'server', 'src')) > statSync(bundlePath).mtimeMs;
  if (existsSync(bundlePath) && !stale) return true;
  console.log(`${name} is ${stale ? 'older than server/src' : 'missing'}: running npm run build`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status === 0 && existsSync(bundlePath)) return true;
  console.log('skipped: npm run build failed');
  return false;
}

async function benchLsp(): Promise<void> {
  console.log('\nLSP requests against dist/server.js over stdio, ms');
  if (!existsSync(join(ROOT, 'server', 'src', 'lsp', 'server.ts'))) {
    console.log('skipped: server/src/lsp/server.ts does not exist yet');
    return;
  }
  const serverPath = join(ROOT, 'dist', 'server.js');
  if (!freshBuild(serverPath)) return;
  const resnet = join(EXAMPLES, 'resnet50.nnm');
  const cases: readonly LspCase[] = [
    { name: 'resnet50.nnm', filePath: resnet, text: readFileSync(resnet, 'utf8'), hoverAt: { line: 22, character: 2 }, isolatedEdits: 40, bursts: 5 },
    // a generated 10,000-op residual chain (bench/generate.ts); the hover is on its first dense
    { name: '10,000-op .nnm', filePath: join(ROOT, 'bench', 'generated-10000.nnm'), text: generateModel(10_000), hoverAt: { line: 3, character: 2 }, isolatedEdits: 20, bursts: 3 },
    // the tf.js frontend bench's 5,000-line file and one builder with no inputShape, so that the
    // file has a diagnostic to publish (a tf.js file with none is never published) once parsed
    {
      name: '5,000-line tf.js',
      filePath: join(ROOT, 'bench', 'generated-5000.ts'),
      text: `${generateTfjsFile(5000)}\nexport function noInputShape() {\n  const model = tf.sequential();\n  model.add(tf.layers.dense({ units: 4 }));\n  return model;\n}\n`,
      languageId: 'typescript',
      openDiagnosticCode: 'NNM305',
      hoverAt: { line: 5, character: 20 },
      isolatedEdits: 20,
      bursts: 3,
    },
  ];
  for (const c of cases) {
    const result = await lspRoundTrip({
      serverPath,
      filePath: c.filePath,
      text: c.text,
      languageId: c.languageId,
      openDiagnosticCode: c.openDiagnosticCode,
      isolatedEdits: c.isolatedEdits,
      pauseMs: 250,
      bursts: c.bursts,
      keystrokesPerBurst: 8,
      keystrokeGapMs: 30,
      firstEdits: 3,
      hoverAt: c.hoverAt,
      requestsAfterEdit: 15,
    });
    console.log(`\n${c.name} (sync: ${result.syncKind}; open -> diagnostics ${ms(result.openToDiagnostics)} ms; ${result.diagnosticsOnOpen} diagnostics on open)`);
    const row = (what: string, s: Summary) => [what, String(s.runs), ms(s.median), ms(s.p95)];
    printTable(
      ['request', 'runs', 'median', 'p95'],
      [
        row('edit -> diagnostics, one keystroke after a pause', result.isolated),
        ['  the first edits after the open, in order', String(result.firstEdits.length), result.firstEdits.map(ms).join(', '), ''],
        row('edit -> diagnostics, last keystroke of a burst (30 ms apart)', result.burst),
        row('hover, idle', result.hoverIdle),
        row('hover sent right after an edit', result.hoverAfterEdit),
        row('inlay hints (100 lines) right after an edit', result.inlayAfterEdit),
      ],
    );
  }
  console.log("(a burst waits for the server's debounce delay; 'right after an edit' is timed from the didChange)");
}

interface LspCase {
  readonly name: string;
  readonly filePath: string;
  readonly text: string;
  readonly hoverAt: { line: number; character: number };
  readonly languageId?: string;
  readonly openDiagnosticCode?: string;
  readonly isolatedEdits: number;
  readonly bursts: number;
}

/**
 * Benchmarks other parts of the project keep in their own scripts, run after ours when present;
 * `bundled`: run as an esbuild bundle, as the extension ships (the TypeScript frontend's stays on
 * tsx: it resolves its tree-sitter grammars through the project's node_modules)
 */
const OTHER_BENCHES: readonly { file: string; what: string; bundled: boolean; args?: readonly string[] }[] = [
  { file: 'tfjs.ts', what: 'TensorFlow.js frontend', bundled: false },
  { file: 'tfjsReference.ts', what: "Expected and ideal peaks against tf.js 4.22's CPU backend (test/fixtures/tfjs/peaks.json)", bundled: false },
  // the example named: a bundle cannot find it from its own folder
  { file: 'codeActions.ts', what: 'code actions and rules', bundled: true, args: [join(EXAMPLES, 'resnet50.nnm')] },
];

const OTHER_CAP_MS = 600_000;

/** a bench script in its own process with the server's node flags: bundled (`grammars`: with the tree-sitter wasm files beside it) or through tsx */
function runScript(file: string, what: string, bundled: boolean, args: readonly string[] = [], grammars = false): void {
  const script = join(ROOT, 'bench', file);
  if (!existsSync(script)) {
    console.log(`\n${what}: skipped, bench/${file} does not exist yet`);
    return;
  }
  console.log(`\n${what} (bench/${file}${bundled ? ', bundled' : ''}, node ${SERVER_NODE_FLAGS.join(' ')})`);
  const entry = bundled ? bundle(script, grammars) : script;
  const run = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, ...(bundled ? [] : ['--import', 'tsx']), entry, ...args], { cwd: ROOT, stdio: 'inherit', timeout: OTHER_CAP_MS });
  if (run.error) console.log(`bench/${file} stopped after ${OTHER_CAP_MS / 1000} s`);
  else if (run.status !== 0) console.log(`bench/${file} exited with ${run.status ?? run.signal}`);
}

function benchOthers(): void {
  for (const { file, what, bundled, args = [] } of OTHER_BENCHES) runScript(file, what, bundled, args);
}

/** the Python frontend as the server runs it: a bundle, the grammars loaded from its folder, the server's node flags */
function benchPython(): void {
  runScript('python.ts', 'Python (PyTorch) frontend', true, [], true);
  runScript('pythonReference.ts', "Expected and ideal peaks against torch 1.13's CPU allocator (test/fixtures/python/oracle.json)", false);
}

const SECTIONS = ['examples', 'scale', 'planner', 'lsp', 'python', 'others', 'public'] as const;
/** `public` reads a local cache of public repositories (bench/publicModels.ts): only when asked */
const OPT_IN: readonly Section[] = ['public'];
type Section = (typeof SECTIONS)[number];

/** `npm run bench` runs every section; `npm run bench -- scale lsp` only those */
function chosenSections(): Section[] {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`unknown section ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
  return asked.length === 0 ? SECTIONS.filter((s) => !OPT_IN.includes(s)) : (asked as Section[]);
}

async function main(): Promise<void> {
  const sections = chosenSections();
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`memlens bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${load}`);
  if (sections.includes('examples')) benchExamples();
  if (sections.includes('scale')) benchScaling();
  if (sections.includes('planner')) benchPlanner();
  if (sections.includes('lsp')) {
    try {
      await benchLsp();
    } catch (err) {
      console.log(`LSP round trip failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
  if (sections.includes('python')) benchPython();
  if (sections.includes('others')) benchOthers();
  if (sections.includes('public')) runScript('publicModels.ts', 'Python frontend on public model files (bench/public-models.json)', false);
}

void main();
