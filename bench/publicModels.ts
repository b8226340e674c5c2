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

if (require.main === module) {
  runPublic(process.argv.slice(2)).then(print, (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
