// Packages the extension, installs it into a fresh code-server profile and runs code-server on a
// free loopback port. Everything lives in one run folder; stop() ends the server by its PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { node24Env, type EditorTools } from './tools';

export const REPO = join(__dirname, '..', '..', '..');

/** Bundles for production and packs the .vsix into `outDir`; returns its path. */
export function packageVsix(outDir: string): string {
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const vsix = join(outDir, `memlens-${version}.vsix`);
  const steps: [string, string[]][] = [
    [process.execPath, ['esbuild.mjs', '--production']],
    [process.execPath, [join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '-o', vsix]],
  ];
  for (const [cmd, args] of steps) {
    const result = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return vsix;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Settings that keep the workbench quiet and deterministic (no trust prompt, no welcome page). */
const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'editor.hover.delay': 200,
  'editor.inlayHints.enabled': 'on',
  'editor.codeLens': true,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
};

export interface CodeServer {
  url: string;
  pid: number;
  logFile: string;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  tools: EditorTools;
  runDir: string;
  vsix: string;
  workspace: string;
}

function codeServerArgs(runDir: string): string[] {
  return [
    '--config', join(runDir, 'config.yaml'),
    '--user-data-dir', join(runDir, 'ud'),
    '--extensions-dir', join(runDir, 'ext'),
  ];
}

/** Installs the .vsix into the run's fresh extensions folder. */
export function installExtension({ tools, runDir, vsix }: CodeServerOptions): void {
  const result = spawnSync(tools.codeServer, [...codeServerArgs(runDir), '--install-extension', vsix], {
    env: node24Env(tools.nodeDir),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0 || !/successfully installed/i.test(result.stdout)) {
    throw new Error(`installing ${vsix} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const { tools, runDir, workspace } = options;
  mkdirSync(join(runDir, 'ud', 'User'), { recursive: true });
  writeFileSync(join(runDir, 'config.yaml'), 'auth: none\ncert: false\n');
  writeFileSync(join(runDir, 'ud', 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  installExtension(options);

  const port = await freePort();
  const logFile = join(runDir, 'code-server.log');
  const logFd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    tools.codeServer,
    [
      ...codeServerArgs(runDir),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      workspace,
    ],
    // its own process group, so stop() can end the server and every process it started
    { env: node24Env(tools.nodeDir), stdio: ['ignore', logFd, logFd], detached: true },
  );
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');
  // it runs in its own process group: if this process ends before stop(), take the group with it
  const onExit = () => signalGroup(pid, 'SIGKILL');
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    }),
  );
  const server: CodeServer = {
    url: `http://127.0.0.1:${port}`,
    pid,
    logFile,
    logTail: (lines = 40) => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(pid, 'SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    },
  };
  try {
    await waitForHealth(server.url, child, 20_000);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n--- code-server log ---\n${server.logTail()}`);
  }
  return server;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server /healthz did not answer within ${timeoutMs} ms`);
}

/** The tail of the memlens output channel(s) code-server wrote under the run's user-data logs. */
export function extensionLogTail(runDir: string, lines = 30): string {
  const logs = join(runDir, 'ud', 'logs');
  let files: string[] = [];
  try {
    files = readdirSync(logs, { recursive: true, encoding: 'utf8' }).filter((f) => /memlens[^/]*\.log$/i.test(f));
  } catch {
    return '(no extension logs)';
  }
  return files
    .map((f) => `--- ${f} (tail) ---\n${readFileSync(join(logs, f), 'utf8').split('\n').slice(-lines).join('\n')}`)
    .join('\n') || '(no memlens output channel log)';
}
