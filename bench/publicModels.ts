// `npm run bench -- public`: the Python frontend on unmodified model files from public GitHub
// repositories (issue 14, "Done when"). bench/public-models.json names each file by repository,
// commit and path, the lines a user appends to build the model and call it, and what torch 1.13
// counts (scripts/public_oracle.py measured it). No public code is in this repository: the files
// are read from a local cache of bare git mirrors, <cache>/<owner>+<name>/repo, by default
// /work/.mirror (MEMLENS_PUBLIC_CACHE overrides it; the session tool `fetch` fills it).
// Prints one row per model (analysed, parameters exact, the reason when not) and the totals.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { computeFootprint } from '../server/src/core/analysis/footprint';
import { analyzePython } from '../server/src/core/python/frontend';
import { analyzeDocument } from '../server/src/core/analyze';
import { devicePreset } from '../server/src/core/devices';
import type { Mode } from '../server/src/core/ir';
import { initTfjsFrontend } from '../server/src/core/tfjs/parse';

export interface TorchCounts {
  readonly trainable: number;
  readonly frozen: number;
  readonly buffers: number;
}

export interface PublicModel {
  readonly id: string;
  /** owner/name on GitHub */
  readonly repo: string;
  readonly commit: string;
  /** the model file, as it is in the repository */
  readonly path: string;
  /** the folder extracted with it (local imports), relative to the repository root; default: the file's folder */
  readonly root?: string;
  /** the lines appended to the file: build the model, call it on an example input */
  readonly append: readonly string[];
  /** the variable the appended lines bind the model to; default `model` */
  readonly model?: string;
  /** torch 1.13's counts (scripts/public_oracle.py), or why torch could not build it */
  readonly torch?: TorchCounts;
  readonly torchError?: string;
}

export interface Manifest {
  readonly note: string;
  readonly models: readonly PublicModel[];
}

export type Outcome =
  /** a graph, its parameters torch's */
  | 'analysed'
  /** no graph (the forward was not followed), the parameter count shown is torch's */
  | 'params'
  /** no figure at all, with a reason */
  | 'none'
  /** a figure that is not torch's: never acceptable */
  | 'WRONG';

export interface Result {
  readonly id: string;
  readonly outcome: Outcome;
  readonly ours?: TorchCounts;
  readonly reason: string;
}

const ROOT = join(__dirname, '..');
export const MANIFEST = join(ROOT, 'bench', 'public-models.json');

export function cacheDir(): string {
  return process.env['MEMLENS_PUBLIC_CACHE'] ?? '/work/.mirror';
}

export function gitDir(repo: string, cache = cacheDir()): string {
  return join(cache, repo.replace('/', '+'), 'repo');
}

/** the model's folder at its commit, written under `into`; the model file with the appended lines */
export function materialise(m: PublicModel, into: string, cache = cacheDir()): string {
  const git = gitDir(m.repo, cache);
  if (!existsSync(git)) throw new Error(`${m.repo} is not in the cache ${cache}`);
  const folder = m.root ?? dirname(m.path);
  // the Python files only: a mirror may lack its large data files
  const names = execFileSync('git', ['--git-dir', git, 'ls-tree', '-r', '--name-only', m.commit, ...(folder === '.' ? [] : ['--', folder])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  for (const name of names.split('\n').filter((n) => n.endsWith('.py'))) {
    mkdirSync(join(into, dirname(name)), { recursive: true });
    writeFileSync(join(into, name), execFileSync('git', ['--git-dir', git, 'show', `${m.commit}:${name}`], { maxBuffer: 64 << 20 }));
  }
  const file = join(into, m.path);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, `${text}${text.endsWith('\n') ? '' : '\n'}\n${m.append.join('\n')}\n`);
  return file;
}

function same(a: TorchCounts, b: TorchCounts): boolean {
  return a.trainable === b.trainable && a.frozen === b.frozen && a.buffers === b.buffers;
}

function show(c: TorchCounts): string {
  return `${c.trainable}/${c.frozen}/${c.buffers}`;
}

/** memlens on one materialised file, against torch's counts */
export function judge(m: PublicModel, file: string): Result {
  const name = m.model ?? 'model';
  const r = analyzePython(readFileSync(file, 'utf8'), { defaults: BUILTIN_DEFAULTS, documentKey: file, torchVersion: '1.13' });
  const built = r.modules.find((x) => x.name === name);
  const about = r.diagnostics.find((d) => d.message.includes(`model '${name}'`)) ?? r.diagnostics.find((d) => d.severity === 'error');
  const reason = about ? `${about.code} line ${about.range.start.line + 1}: ${about.message}` : '';
  if (!m.torch) return { id: m.id, outcome: 'none', reason: `torch could not build it: ${m.torchError ?? 'not measured'}` };
  if (!built) return { id: m.id, outcome: 'none', reason: reason || `memlens found no model \`${name}\`` };
  if (built.unknown !== undefined) return { id: m.id, outcome: 'none', reason };
  const ours = { trainable: built.counts.trainable, frozen: built.counts.frozen, buffers: built.counts.buffers };
  const graph = r.graphs.find((g) => g.name === name);
  if (!same(ours, m.torch)) return { id: m.id, outcome: 'WRONG', ours, reason: `memlens ${show(ours)}, torch ${show(m.torch)}` };
  if (!graph) return { id: m.id, outcome: 'params', ours, reason };
  const fp = computeFootprint(graph);
  if (fp.params.trainable !== m.torch.trainable || fp.params.nonTrainable !== m.torch.frozen + m.torch.buffers) {
    return { id: m.id, outcome: 'WRONG', ours, reason: `the graph counts ${fp.params.trainable}/${fp.params.nonTrainable}, torch ${show(m.torch)}` };
  }
  return { id: m.id, outcome: 'analysed', ours, reason: '' };
}

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
}

export async function runPublic(only: readonly string[] = []): Promise<Result[]> {
  await initTfjsFrontend();
  const manifest = loadManifest();
  const work = mkdtempSync(join(tmpdir(), 'memlens-public-'));
  const results: Result[] = [];
  try {
    for (const m of manifest.models) {
      if (only.length > 0 && !only.includes(m.id)) continue;
      try {
        results.push(judge(m, materialise(m, join(work, m.id))));
      } catch (err) {
        results.push({ id: m.id, outcome: 'none', reason: `not run: ${(err as Error).message.split('\n')[0]}` });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}

function print(results: readonly Result[]): void {
  const width = Math.max(...results.map((r) => r.id.length), 4);
  console.log(`${'model'.padEnd(width)}  outcome   reason`);
  for (const r of results) console.log(`${r.id.padEnd(width)}  ${r.outcome.padEnd(8)}  ${r.reason.slice(0, 220)}`);
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  const figures = count('analysed') + count('params') + count('WRONG');
  console.log(`\nanalysed (graph, parameters exact): ${count('analysed')}/${results.length}`);
  console.log(`parameters only (forward not followed, count exact): ${count('params')}`);
  console.log(`no figure (with a reason): ${count('none')}`);
  console.log(`exact parameter counts: ${figures - count('WRONG')}/${figures} of the models that got a figure`);
}

/** torch 1.13's CPU allocator peaks of one step (scripts/public_peaks.py) */
interface PeakCases {
  readonly cpuVectorBits: number;
  readonly cases: Readonly<Record<string, { readonly train: readonly string[]; readonly peak: Readonly<Record<Mode, number>> }>>;
}

/** memlens' expected peak minus weights and buffers (what exists before the step), or why there is none */
function expectedActivations(text: string, file: string, mode: Mode, device: string, name: string): number | string {
  const overrides = { mode, framework: 'pytorch' as const, device: devicePreset(device)!, optimizer: { kind: 'none' as const, momentum: 0 } };
  // the profile is torch 1.13's: the files' version checks take that branch too
  const model = analyzeDocument(text, 'python', { documentKey: file, overrides, torchVersion: '1.13' }).models.find((m) => m.graph.name === name);
  if (!model?.memory) return 'no graph';
  const e = model.memory.expected;
  if ('reason' in e) return e.reason;
  return e.expected.bytes - e.expected.breakdown.weights - e.expected.breakdown.buffers;
}

/** the expected peak of the public models measured with torch, one row per model and mode */
async function printPeaks(only: readonly string[]): Promise<void> {
  const peaks = JSON.parse(readFileSync(join(ROOT, 'bench', 'public-peaks.json'), 'utf8')) as PeakCases;
  const device = peaks.cpuVectorBits === 512 ? 'cpu' : 'cpu-avx2';
  const manifest = new Map(loadManifest().models.map((m) => [m.id, m]));
  const work = mkdtempSync(join(tmpdir(), 'memlens-peaks-'));
  const ratios: number[] = [];
  console.log(`\nexpected peak (--framework pytorch --device ${device}) minus weights and buffers, against torch 1.13's CPU allocator (bench/public-peaks.json):`);
  console.log(`${'model'.padEnd(24)}  mode   torch bytes  expected bytes  ratio`);
  try {
    for (const [id, c] of Object.entries(peaks.cases)) {
      if (only.length > 0 && !only.includes(id)) continue;
      const m = manifest.get(id);
      if (!m) continue;
      const file = materialise(m, join(work, id));
      const text = readFileSync(file, 'utf8');
      for (const mode of ['infer', 'train'] as const) {
        // a training case that starts with its own call replaces the entry's (a model taking its targets)
        const own = c.train[0]!.startsWith('out = model(');
        const name = m.model ?? 'model';
        const call = m.append.filter((l) => l.includes(`${name}(`)).at(-1)!;
        const base = own ? text.slice(0, text.lastIndexOf(call)) + text.slice(text.lastIndexOf(call) + call.length) : text;
        const source = mode === 'train' ? `${base}${c.train.join('\n')}\n` : text;
        const predicted = expectedActivations(source, file, mode, device, name);
        const measured = c.peak[mode];
        const ratio = typeof predicted === 'number' ? predicted / measured : undefined;
        if (ratio !== undefined) ratios.push(ratio);
        console.log(`${id.padEnd(24)}  ${mode.padEnd(5)}  ${String(measured).padStart(11)}  ${String(typeof predicted === 'number' ? predicted : '-').padStart(14)}  ${ratio === undefined ? String(predicted).slice(0, 80) : ratio.toFixed(3)}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const within = (lo: number, hi: number): number => ratios.filter((r) => r >= lo && r <= hi).length;
  console.log(`rows with a figure: ${ratios.length}; within [0.9, 1.1] (issue 15): ${within(0.9, 1.1)}; within [0.8, 1.25] (issue 14): ${within(0.8, 1.25)}; range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`);
}

if (require.main === module) {
  const only = process.argv.slice(2);
  runPublic(only)
    .then(print)
    .then(() => printPeaks(only))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
