// `memlens report FILE`: the same core as the language server, for CI and terminals.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { globSync } from 'tinyglobby';
import { analyzeDocument } from '../core/analyze';
import type { ConfigOverrides } from '../core/config';
import type { SourceLanguage } from '../core/frontend';
import { FRONTENDS, frontendForFile } from '../core/frontends';
import { parseConfigSetting } from '../core/dsl/config';
import { parseSize } from '../core/units';
import { FORMAT_NAMES, REPORT_FORMATS, type AnalysedFile, type FormatContext } from '../report/formats';
import { checkedPeak, formatCheck, FULL_TABLE_OPS, SUMMARY_ROWS } from '../report/text';

const EXIT_OK = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

interface ReportFlags {
  json?: boolean;
  jsonDetail?: boolean;
  detail?: boolean;
  format?: string;
  failOver?: string;
  timeline?: boolean;
  mode?: string;
  batch?: string;
  precision?: string;
  device?: string;
  optimizer?: string;
  layout?: string;
  lowering?: string;
  framework?: string;
  devices?: string;
  zero?: string;
  offload?: string;
  gradientAccumulation?: string;
  context?: string;
  tensorParallel?: string;
  sequenceParallel?: string;
  pipeline?: string;
  microbatches?: string;
  quantize?: string;
  torchVersion?: string;
}

class UsageError extends Error {}

/** `.nnm, .ts or .js`: the first extension of each language the frontends read */
function expectedExtensions(): string {
  const first = new Map<SourceLanguage, string>();
  for (const frontend of FRONTENDS) {
    for (const [extension, language] of Object.entries(frontend.fileExtensions)) if (!first.has(language)) first.set(language, extension);
  }
  const list = [...first.values()];
  return list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list.join('');
}

/** CLI flags, written in .nnm syntax, become overrides above the file's own config */
export function flagsToOverrides(flags: ReportFlags): ConfigOverrides {
  let overrides: ConfigOverrides = {};
  for (const key of ['mode', 'batch', 'precision', 'device', 'optimizer', 'layout', 'lowering', 'framework', 'devices', 'zero', 'offload', 'gradientAccumulation', 'context', 'tensorParallel', 'sequenceParallel', 'pipeline', 'microbatches', 'quantize'] as const) {
    const text = flags[key];
    if (text === undefined) continue;
    const parsed = parseConfigSetting(key, text);
    if (parsed.error !== undefined || parsed.value === undefined) {
      throw new UsageError(`--${kebab(key)} ${text}: ${parsed.error ?? 'invalid value'}`);
    }
    overrides = { ...overrides, ...parsed.value };
  }
  return overrides;
}

/** the flag's spelling of a config key: gradientAccumulation -> gradient-accumulation */
function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function readSource(file: string): string {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`${file} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (size > 64 * 1024 * 1024) throw new UsageError(`${file} is larger than 64 MiB`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** the package's version and where its docs live, for SARIF's tool description */
function toolInfo(): FormatContext['tool'] {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; repository?: { url?: string } };
  const repo = (pkg.repository?.url ?? 'https://github.com/memlens/memlens').replace(/^git\+/, '').replace(/\.git$/, '');
  return { version: pkg.version, informationUri: repo, docsUri: `${repo}/blob/main/docs`, sourceRoot: pathToFileURL(process.cwd() + sep).href };
}

function chosenFormat(flags: ReportFlags): string {
  const json = flags.json === true || flags.jsonDetail === true;
  const format = flags.format ?? (json ? 'json' : 'text');
  if (json && flags.format && flags.format !== 'json') throw new UsageError(`--${flags.jsonDetail ? 'json-detail' : 'json'} and --format ${flags.format} disagree`);
  if (!REPORT_FORMATS[format]) throw new UsageError(`--format ${format}: expected ${FORMAT_NAMES.join(', ')}`);
  return format;
}

async function analyseFile(path: string, flags: ReportFlags, overrides: ConfigOverrides, quietWhenUnclaimed: boolean): Promise<AnalysedFile | undefined> {
  const chosen = frontendForFile(path);
  if (!chosen) throw new UsageError(`${path}: unsupported file type (expected ${expectedExtensions()})`);
  const { frontend, language } = chosen;
  const text = readSource(path);
  // a folder's .py or .ts that imports neither torch, Keras nor TensorFlow.js is not a model file
  if (quietWhenUnclaimed && !frontend.claims(text)) return undefined;
  // a parser such as TypeScript's (web-tree-sitter wasm) loads asynchronously, once
  if (frontend.init && frontend.claims(text)) await frontend.init();
  // the path is the document key: Python's local imports resolve next to the file
  const options = { overrides, documentKey: resolve(path), ...(flags.torchVersion ? { torchVersion: flags.torchVersion } : {}) };
  const analysis = analyzeDocument(text, language, options);
  return { path, uri: relative(process.cwd(), resolve(path)).split(sep).join('/'), text, language, options, analysis };
}

/** where output goes: a returned promise (stdout is full) is waited for before the next piece */
export type Sink = (s: string) => unknown;

async function writeAll(pieces: Iterable<string>, out: Sink): Promise<void> {
  for (const piece of pieces) {
    const pending = out(piece);
    if (pending instanceof Promise) await pending;
  }
}

/** every row (`--detail`, `--json-detail`): the text table's every tensor, the JSON's tensors and steps */
const wantsDetail = (flags: ReportFlags): boolean => flags.detail === true || flags.jsonDetail === true;

export async function report(file: string, flags: ReportFlags, out: Sink): Promise<number> {
  const format = chosenFormat(flags);
  const analysed = (await analyseFile(file, flags, flagsToOverrides(flags), false))!;
  await writeAll(REPORT_FORMATS[format]!([analysed], { tool: toolInfo(), timeline: flags.timeline === true, detail: wantsDetail(flags), single: true }), out);
  return analysed.analysis.diagnostics.some((d) => d.severity === 'error') ? EXIT_ERRORS : EXIT_OK;
}

/** folders are searched for the files the frontends read (not node_modules, dist or hidden folders); other arguments are files or glob patterns */
export function filesToCheck(paths: readonly string[]): string[] {
  const extensions = FRONTENDS.flatMap((f) => Object.keys(f.fileExtensions).map((e) => e.replace(/^\./, '')));
  const ignore = ['**/node_modules/**', '**/.*/**', '**/dist/**'];
  const found = new Set<string>();
  for (const p of paths) {
    const kind = existsSync(p) ? (statSync(p).isDirectory() ? 'folder' : 'file') : 'pattern';
    if (kind === 'file') {
      found.add(p);
      continue;
    }
    // a folder is searched from inside, so that the ignored folders are its own; its files keep the folder's prefix
    const matches = (
      kind === 'folder'
        ? globSync([`**/*.{${extensions.join(',')}}`], { cwd: p, ignore, onlyFiles: true, expandDirectories: false }).map((f) => join(p, f))
        : globSync([p.split(sep).join('/')], { ignore, onlyFiles: true, expandDirectories: false, absolute: isAbsolute(p) })
    ).filter((f) => frontendForFile(f));
    if (kind === 'pattern' && matches.length === 0) throw new UsageError(`${p}: no such file or folder, and no model file matches it`);
    for (const f of matches) found.add(f);
  }
  return [...found].sort();
}

export async function check(paths: readonly string[], flags: ReportFlags, out: Sink): Promise<number> {
  const format = chosenFormat(flags);
  const failOver = flags.failOver === undefined ? undefined : parseSize(flags.failOver);
  if (flags.failOver !== undefined && failOver === undefined) throw new UsageError(`--fail-over ${flags.failOver}: expected a size such as 16GiB or 512MB`);
  const overrides = flagsToOverrides(flags);
  const files: AnalysedFile[] = [];
  for (const path of filesToCheck(paths)) {
    const analysed = await analyseFile(path, flags, overrides, true);
    if (analysed) files.push(analysed);
  }
  if (format === 'text') await writeAll([files.map((f) => formatCheck(f.path, f.analysis, failOver)).join('') + `memlens: ${files.length} model file${files.length === 1 ? '' : 's'} checked\n`], out);
  else await writeAll(REPORT_FORMATS[format]!(files, { tool: toolInfo(), timeline: false, detail: wantsDetail(flags), single: false }), out);
  const errors = files.some((f) => f.analysis.diagnostics.some((d) => d.severity === 'error'));
  const over = failOver !== undefined && files.some((f) => f.analysis.models.some((m) => m.memory !== undefined && checkedPeak(m.memory.bytes) > failOver));
  return errors || over ? EXIT_ERRORS : EXIT_OK;
}

/** where the CLI writes: the process's streams, or a test's buffers */
export interface CliOutput {
  readonly out: Sink;
  readonly err: (s: string) => void;
}

/** stdout's buffer full: wait until it drains (or closes) before the next piece */
function toStdout(s: string): Promise<void> | undefined {
  if (process.stdout.write(s)) return undefined;
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdout.off('drain', done).off('close', done);
      resolve();
    };
    process.stdout.once('drain', done).once('close', done);
  });
}

const PROCESS_OUTPUT: CliOutput = { out: toStdout, err: (s) => process.stderr.write(s) };

export async function main(argv: readonly string[], io: CliOutput = PROCESS_OUTPUT): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('memlens')
    .description('memory report for neural-network model definitions (.nnm, TensorFlow.js .ts/.js, PyTorch .py)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const configOptions = (command: Command): Command =>
    command
      .option('--mode <mode>', 'train | infer | generate')
      .option('--batch <n>', 'mini-batch size', (v) => {
        if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a positive integer');
        return v;
      })
      .option('--precision <p>', 'fp32 | fp16 | bf16 | mixed | int8 | fp64')
      .option('--optimizer <o>', 'none | sgd | sgd(momentum: 0.9) | adam | adamw')
      .option('--device <d>', 'a preset (v100-16gb, a100-80gb, ipu-mk2, cpu, ...) or gpu(memory: 16GiB)')
      .option('--layout <l>', 'nchw | nhwc')
      .option('--lowering <l>', 'auto | im2col | direct')
      .option('--framework <f>', "whose allocator bytes.expectedPeak describes: ideal | pytorch | tfjs (default: the file's language: pytorch for .py, tfjs for .ts/.js, ideal for .nnm)")
      .option('--devices <n>', 'data-parallel world size (default 1)')
      .option('--zero <stage>', 'ZeRO stage 0 | 1 | 2 | 3 (FSDP: NO_SHARD = 0, SHARD_GRAD_OP = 2, FULL_SHARD = 3; default 0)')
      .option('--offload <o>', 'none | cpu: optimizer state (and at stage 3 the parameters) in host memory')
      .option('--gradient-accumulation <k>', 'micro-batches per optimizer step (default 1)')
      .option('--context <t>', 'generate mode: positions the KV cache holds (default: the written sequence length)')
      .option('--tensor-parallel <t>', 'Megatron-style tensor-parallel degree: heads, MLP columns and rows, vocabulary split over T (default 1)')
      .option('--sequence-parallel <b>', 'true | false: with tensor parallelism, norms, dropout and residuals split along the sequence (default false)')
      .option('--pipeline <p>', 'pipeline stages: layers split into P contiguous stages under 1F1B (default 1)')
      .option('--microbatches <m>', 'micro-batches per pipeline step (default 1)')
      .option('--quantize <q>', 'none | int8 | nf4 | nf4-dq: frozen dense and attention weights as bitsandbytes stores them (default none)')
      .option('--torch-version <v>', 'the torch release Python code that tests torch.__version__ is read against (default 2.5; 1.13 is Debian\'s)', (v) => {
        if (!/^\d+\.\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('expected a version such as 2.5 or 1.13');
        return v;
      });
  configOptions(
    program
      .command('report')
      .description('per-layer shapes, parameters and memory, with totals and diagnostics')
      .argument('<file>', 'a .nnm model file, a .ts/.js file using TensorFlow.js layers, or a .py file with PyTorch models')
      .option('--format <f>', `output format: ${FORMAT_NAMES.join(' | ')} (default text)`)
      .option('--json', 'the same as --format json: compact, without the per-tensor and per-step rows')
      .option('--json-detail', 'JSON with each model\'s tensors and steps rows (the same as --json --detail)')
      .option('--detail', `every row: the text table lists each tensor even of a model over ${FULL_TABLE_OPS.toLocaleString('en-US')} ops (else its ${SUMMARY_ROWS} largest), the JSON has tensors and steps`)
      .option('--timeline', 'also print live bytes by category at every step of the schedule'),
  ).action(async (file: string, flags: ReportFlags) => {
    exitCode = await report(file, flags, io.out);
  });
  configOptions(
    program
      .command('check')
      .description('for CI: analyse every model file under the given folders, files or glob patterns; exit 1 on errors or a model over --fail-over')
      .argument('<paths...>', 'folders (searched for .nnm, .py, .ts and .js model files), files, or quoted glob patterns')
      .option('--format <f>', `output format: ${FORMAT_NAMES.join(' | ')} (default text: one line per model and per diagnostic)`)
      .option('--json', 'the same as --format json: compact, without the per-tensor and per-step rows')
      .option('--json-detail', 'JSON with each model\'s tensors and steps rows (the same as --json --detail)')
      .option('--detail', 'the JSON with each model\'s tensors and steps rows')
      .option('--fail-over <size>', "exit 1 when a model's peak (the framework's expected peak, else the planned one) exceeds this size, e.g. 16GiB"),
  ).action(async (paths: string[], flags: ReportFlags) => {
    exitCode = await check(paths, flags, io.out);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof UsageError) {
      io.err(`memlens: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

/** entry for bin/memlens.js and `node dist/cli.js` */
export function runCli(): void {
  // a reader that stops early (`memlens report big.nnm --json-detail | head`) closes the pipe: stop
  // writing and exit, without the stack trace of an unhandled EPIPE
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit();
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`memlens: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}

if (require.main === module) runCli();
