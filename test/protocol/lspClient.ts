// A small LSP client over stdio for the protocol test (and the bench): spawns the bundled server,
// answers workspace/configuration, queues publishDiagnostics, and bounds every wait.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

export const ROOT = join(__dirname, '..', '..');
export const SERVER = join(ROOT, 'dist', 'server.js');

/** build dist/server.js once when it is missing (npm run build makes it) */
export function ensureServerBuilt(): void {
  if (existsSync(SERVER)) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit', timeout: 120_000 });
  if (r.status !== 0 || !existsSync(SERVER)) throw new Error('could not build dist/server.js (npm run build)');
}

export interface Client {
  readonly connection: ProtocolConnection;
  readonly process: ChildProcess;
  /** the settings answered to workspace/configuration (section `memlens`) */
  settings: Record<string, unknown>;
  /** the next publishDiagnostics for `uri` matching `accept` (already received ones first) */
  diagnostics(uri: string, accept: (p: PublishDiagnosticsParams) => boolean, what: string, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  /** the refresh requests the server sent (workspace/inlayHint/refresh, workspace/codeLens/refresh), in order */
  readonly refreshes: string[];
  /** window/logMessage messages of type Error (a handler that threw logs one) */
  readonly loggedErrors: string[];
  /** window/logMessage messages of type Warning (an ignored setting, a dropped stale change) */
  readonly loggedWarnings: string[];
  /** client/registerCapability registrations the server asked for, in order */
  readonly registrations: { method: string; registerOptions?: unknown }[];
  /** publishDiagnostics received for `uri` and not consumed yet */
  unconsumed(uri: string): PublishDiagnosticsParams[];
  /** a request that must answer within the bound */
  request<R>(method: string, params: unknown, timeoutMs?: number): Promise<R>;
  /** resolves with the exit code, or rejects after the bound */
  exited(timeoutMs?: number): Promise<number | null>;
  stderr(): string;
  kill(): void;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `settingsHeld`: workspace/configuration is answered only once it resolves (requests queue meanwhile) */
export function startServer(settings: Record<string, unknown> = {}, settingsHeld?: Promise<void>): Client {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const received: PublishDiagnosticsParams[] = [];
  const waiters: (() => void)[] = [];
  const client: Client = {
    connection,
    process: child,
    settings,
    async diagnostics(uri, accept, what, timeoutMs = 5000) {
      const take = (): PublishDiagnosticsParams | undefined => {
        const i = received.findIndex((p) => p.uri === uri && accept(p));
        if (i < 0) return undefined;
        const hit = received[i];
        // this publish and the older ones for the same document are consumed
        for (let j = i; j >= 0; j--) if (received[j]!.uri === uri) received.splice(j, 1);
        return hit;
      };
      return withTimeout(
        new Promise<PublishDiagnosticsParams>((resolve) => {
          const check = (): void => {
            const hit = take();
            if (hit) resolve(hit);
            else waiters.push(check);
          };
          check();
        }),
        timeoutMs,
        `publishDiagnostics: ${what}`,
      );
    },
    loggedErrors: [],
    loggedWarnings: [],
    registrations: [],
    refreshes: [],
    unconsumed: (uri) => received.filter((p) => p.uri === uri),
    request<R>(method: string, params: unknown, timeoutMs = 5000) {
      return withTimeout(connection.sendRequest(method, params) as Promise<R>, timeoutMs, method);
    },
    exited(timeoutMs = 5000) {
      return withTimeout(exit, timeoutMs, 'the server process to exit');
    },
    stderr: () => stderr,
    kill: () => {
      if (child.exitCode === null) child.kill();
    },
  };
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    received.push(p);
    for (const w of waiters.splice(0)) w();
  });
  connection.onNotification('window/logMessage', (m: { type: number; message: string }) => {
    if (m.type === 1) client.loggedErrors.push(m.message);
    if (m.type === 2) client.loggedWarnings.push(m.message);
  });
  connection.onRequest('workspace/configuration', async (p: { items: { section?: string }[] }) => {
    await settingsHeld;
    return p.items.map((item) => (item.section === 'memlens' ? client.settings : null));
  });
  connection.onRequest('client/registerCapability', (p: { registrations: { method: string; registerOptions?: unknown }[] }) => {
    client.registrations.push(...p.registrations.map(({ method, registerOptions }) => ({ method, registerOptions })));
    return null;
  });
  connection.onRequest('workspace/inlayHint/refresh', () => (client.refreshes.push('workspace/inlayHint/refresh'), null));
  connection.onRequest('workspace/codeLens/refresh', () => (client.refreshes.push('workspace/codeLens/refresh'), null));
  connection.listen();
  return client;
}

/** initialize + initialized with the capabilities a VS Code-like client announces */
export async function initialize(client: Client): Promise<{ capabilities: Record<string, unknown> }> {
  const result = await client.request<{ capabilities: Record<string, unknown> }>('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, didChangeWatchedFiles: { dynamicRegistration: true }, inlayHint: { refreshSupport: true }, codeLens: { refreshSupport: true } },
      textDocument: {
        synchronization: { dynamicRegistration: false },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        completion: { completionItem: { snippetSupport: true } },
        publishDiagnostics: { relatedInformation: true, versionSupport: true },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        inlayHint: {},
        codeLens: {},
        signatureHelp: { signatureInformation: { parameterInformation: { labelOffsetSupport: true } } },
      },
    },
  });
  await client.connection.sendNotification('initialized', {});
  return result;
}
