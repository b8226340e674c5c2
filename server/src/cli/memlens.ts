// `memlens report FILE`: the same core as the language server, for CI and terminals.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyzeDocument } from '../core/analyze';
import type { ConfigOverrides } from '../core/config';
import type { SourceLanguage } from '../core/frontend';
import { FRONTENDS, frontendForFile } from '../core/frontends';
import { parseConfigSetting } from '../core/dsl/config';
import { toJsonReport } from '../report/json';
import { formatReport } from '../report/text';

const EXIT_OK = 0;
const EXIT_ERRORS = 1;
const EXIT_USAGE = 2;

interface ReportFlags {
  json?: boolean;
  timeline?: boolean;
  mode?: string;
  batch?: string;
  precision?: string;
  device?: string;
  optimizer?: string;
  layout?: string;
  lowering?: string;
  framework?: string;
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
  for (const key of ['mode', 'batch', 'precision', 'device', 'optimizer', 'layout', 'lowering', 'framework'] as const) {
    const text = flags[key];
    if (text === undefined) continue;
    const parsed = parseConfigSetting(key, text);
    if (parsed.error !== undefined || parsed.value === undefined) {
      throw new UsageError(`--${key} ${text}: ${parsed.error ?? 'invalid value'}`);
    }
    overrides = { ...overrides, ...parsed.value };
  }
  return overrides;
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

export async function report(file: string, flags: ReportFlags, out: (s: string) => void): Promise<number> {
  const chosen = frontendForFile(file);
  if (!chosen) throw new UsageError(`${file}: unsupported file type (expected ${expectedExtensions()})`);
  const { frontend, language } = chosen;
  const overrides = flagsToOverrides(flags);
  const text = readSource(file);
  // a parser such as TypeScript's (web-tree-sitter wasm) loads asynchronously, once
  if (frontend.init && frontend.claims(text)) await frontend.init();
  // the path is the document key: Python's local imports resolve next to the file
  const analysis = analyzeDocument(text, language, { overrides, documentKey: resolve(file), ...(flags.torchVersion ? { torchVersion: flags.torchVersion } : {}) });
  out(flags.json ? JSON.stringify(toJsonReport(file, analysis), null, 2) + '\n' : formatReport(file, analysis, { timeline: flags.timeline === true }));
  return analysis.diagnostics.some((d) => d.severity === 'error') ? EXIT_ERRORS : EXIT_OK;
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('memlens')
    .description('memory report for neural-network model definitions (.nnm, TensorFlow.js .ts/.js, PyTorch .py)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('report')
    .description('per-layer shapes, parameters and memory, with totals and diagnostics')
    .argument('<file>', 'a .nnm model file, a .ts/.js file using TensorFlow.js layers, or a .py file with PyTorch models')
    .option('--json', 'print one JSON object instead of the table')
    .option('--timeline', 'also print live bytes by category at every step of the schedule')
    .option('--mode <mode>', 'train | infer')
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
    .option('--torch-version <v>', 'the torch release Python code that tests torch.__version__ is read against (default 2.5; 1.13 is Debian\'s)', (v) => {
      if (!/^\d+\.\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('expected a version such as 2.5 or 1.13');
      return v;
    })
    .action(async (file: string, flags: ReportFlags) => {
      exitCode = await report(file, flags, (s) => process.stdout.write(s));
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (err instanceof UsageError) {
      process.stderr.write(`memlens: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

/** entry for bin/memlens.js and `node dist/cli.js` */
export function runCli(): void {
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
