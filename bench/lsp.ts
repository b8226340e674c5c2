// LSP round trip: from a didChange notification to the publishDiagnostics that answers it,
// measured against the bundled server (dist/server.js) over stdio with a real protocol client.
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../client/src/serverFlags';
import {
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InlayHintRequest,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocumentSyncKind,
  UnregistrationRequest,
  WorkDoneProgressCreateRequest,
  type PublishDiagnosticsParams,
  type ProtocolConnection,
  type Position,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { pathToFileURL } from 'node:url';
import { summarize, type Summary } from './stats';

export interface RoundTripResult {
  /** isolated edits, each after a quiet pause: the server's leading-edge run */
  readonly isolated: Summary;
  /** the last keystroke of a typing burst to its diagnostics: includes the debounce delay */
  readonly burst: Summary;
  /** the first edits after the open, each after a pause, in order: the warm-up cost a new user meets */
  readonly firstEdits: readonly number[];
  /** a hover sent right after an edit (no pause): didChange sent -> hover answered */
  readonly hoverAfterEdit: Summary;
  /** inlay hints for the first lines, requested right after an edit */
  readonly inlayAfterEdit: Summary;
  /** a hover when the document is idle (its analysis cached) */
  readonly hoverIdle: Summary;
  /** didOpen -> the first publishDiagnostics */
  readonly openToDiagnostics: number;
  readonly diagnosticsOnOpen: number;
  readonly syncKind: string;
}

interface Options {
  readonly serverPath: string;
  readonly filePath: string;
  readonly text: string;
  readonly isolatedEdits: number;
  /** pause between isolated edits, longer than the server's debounce delay */
  readonly pauseMs: number;
  readonly bursts: number;
  readonly keystrokesPerBurst: number;
  readonly keystrokeGapMs: number;
  /** the first edits timed on their own (they are also part of `isolated`) */
  readonly firstEdits?: number;
  /** where the hovers point (a tensor or op); the edits are on line 0 */
  readonly hoverAt?: Position;
  /** edits each followed at once by a hover, and by an inlay-hint request */
  readonly requestsAfterEdit?: number;
  readonly languageId?: string;
  /** open -> diagnostics waits for a publish with this code (the parser-loading notice comes first in tf.js and Python files) */
  readonly openDiagnosticCode?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** resolves on the next publishDiagnostics for `uri` (with `version` when the server sends one) */
class DiagnosticsWaiter {
  private pending: { version: number; accept: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void } | undefined;

  constructor(
    connection: ProtocolConnection,
    private readonly uri: string,
  ) {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      if (params.uri !== this.uri || !this.pending) return;
      if (params.version !== undefined && params.version !== this.pending.version) return;
      if (!this.pending.accept(params)) return;
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve(params);
    });
  }

  /** `accept` skips interim publishes (a tf.js file's "parser still loading") */
  next(version: number, timeoutMs = 10_000, accept: (p: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no publishDiagnostics for version ${version} within ${timeoutMs} ms`)), timeoutMs);
      this.pending = {
        version,
        accept,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
    });
  }
}

export async function lspRoundTrip(options: Options): Promise<RoundTripResult> {
  // started as the extension starts it
  const server: ChildProcess = spawn(process.execPath, [...SERVER_NODE_FLAGS, options.serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  // answer what a server may ask a client: no settings (its defaults), registrations accepted
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => null));
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.onRequest(UnregistrationRequest.type, () => undefined);
  connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
  connection.onRequest(ShowMessageRequest.type, () => null);
  connection.listen();
  try {
    const uri = pathToFileURL(options.filePath).href;
    const init = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } }, workspace: { configuration: true } },
      workspaceFolders: null,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    const sync = init.capabilities.textDocumentSync;
    const kind = typeof sync === 'number' ? sync : (sync?.change ?? TextDocumentSyncKind.None);
    const waiter = new DiagnosticsWaiter(connection, uri);

    let version = 1;
    const wanted = options.openDiagnosticCode;
    const opened = waiter.next(version, 60_000, (p) => wanted === undefined || p.diagnostics.some((d) => d.code === wanted));
    const openedAt = performance.now();
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: options.languageId ?? 'nnm', version, text: options.text },
    });
    const diagnosticsOnOpen = (await opened).diagnostics.length;
    const openToDiagnostics = performance.now() - openedAt;

    // each edit types or deletes one space at the end of the first line (inside the header comment)
    const firstLineEnd = options.text.indexOf('\n');
    let padded = false;
    const edit = (): TextDocumentContentChangeEvent => {
      padded = !padded;
      if (kind !== TextDocumentSyncKind.Incremental) {
        const text = padded ? `${options.text.slice(0, firstLineEnd)} ${options.text.slice(firstLineEnd)}` : options.text;
        return { text };
      }
      const at = { line: 0, character: firstLineEnd };
      return padded
        ? { range: { start: at, end: at }, text: ' ' }
        : { range: { start: at, end: { line: 0, character: firstLineEnd + 1 } }, text: '' };
    };
    const change = (v: number) =>
      connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: v }, contentChanges: [edit()] });

    const isolated: number[] = [];
    for (let i = 0; i < options.isolatedEdits; i++) {
      await sleep(options.pauseMs);
      version++;
      const answered = waiter.next(version);
      const t0 = performance.now();
      await change(version);
      await answered;
      isolated.push(performance.now() - t0);
    }

    const hoverAt = options.hoverAt ?? { line: 1, character: 0 };
    const hoverIdle: number[] = [];
    const hoverAfterEdit: number[] = [];
    const inlayAfterEdit: number[] = [];
    const textDocument = { uri };
    for (let i = 0; i < (options.requestsAfterEdit ?? 0); i++) {
      await sleep(options.pauseMs);
      let t0 = performance.now();
      await connection.sendRequest(HoverRequest.type, { textDocument, position: hoverAt });
      hoverIdle.push(performance.now() - t0);
      await sleep(options.pauseMs);
      version++;
      let answered = waiter.next(version);
      t0 = performance.now();
      await change(version);
      await connection.sendRequest(HoverRequest.type, { textDocument, position: hoverAt });
      hoverAfterEdit.push(performance.now() - t0);
      await answered;
      await sleep(options.pauseMs);
      version++;
      answered = waiter.next(version);
      t0 = performance.now();
      await change(version);
      await connection.sendRequest(InlayHintRequest.type, { textDocument, range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } } });
      inlayAfterEdit.push(performance.now() - t0);
      await answered;
    }

    const burst: number[] = [];
    for (let b = 0; b < options.bursts; b++) {
      await sleep(options.pauseMs);
      for (let k = 0; k < options.keystrokesPerBurst - 1; k++) {
        version++;
        await change(version);
        await sleep(options.keystrokeGapMs);
      }
      version++;
      const answered = waiter.next(version);
      const t0 = performance.now();
      await change(version);
      await answered;
      burst.push(performance.now() - t0);
    }

    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    return {
      isolated: summarize(isolated),
      burst: summarize(burst),
      firstEdits: isolated.slice(0, options.firstEdits ?? 3),
      hoverAfterEdit: summarize(hoverAfterEdit),
      inlayAfterEdit: summarize(inlayAfterEdit),
      hoverIdle: summarize(hoverIdle),
      openToDiagnostics,
      diagnosticsOnOpen,
      syncKind: kind === TextDocumentSyncKind.Incremental ? 'incremental' : 'full',
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}${stderr ? `\nserver stderr:\n${stderr}` : ''}`);
  } finally {
    connection.dispose();
    server.kill();
  }
}
