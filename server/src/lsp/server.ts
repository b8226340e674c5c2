// The language server: the connection, document sync, settings, and a table from LSP request
// to handler. Handlers only look up the cached analysis and call a feature; none may crash the server.
import {
  CodeActionRequest,
  CodeLensRefreshRequest,
  CodeLensRequest,
  CompletionRequest,
  LSPErrorCodes,
  ResponseError,
  type CancellationToken,
  createConnection,
  DefinitionRequest,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  DocumentSymbolRequest,
  HoverRequest,
  InlayHintRequest,
  ProposedFeatures,
  ReferencesRequest,
  SignatureHelpRequest,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeResult,
  type ProtocolRequestType,
  type RequestHandler,
  type TextDocumentIdentifier,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeDocument } from '../core/analyze';
import type { DocumentAnalysis } from '../core/document';
import type { Frontend } from '../core/frontend';
import { frontendFor, FRONTENDS, sourceLanguage } from '../core/frontends';
import { Debouncer } from './debounce';
import { RequestGate } from './requestGate';
import { warmUp } from './warmup';
import { monotonicTextDocuments } from './textSync';
import { errorText, safe } from './safe';
import { AnalysisCache, type Answerable } from './documents';
import { anchoredHover, anchoredInlayHints, anchoredLenses, anchoredLocations, anchoredSymbols } from './anchored';
import { codeActions, FIX_ALL_KIND, PreviewWarmer, type CodeActionInput } from './features/codeActions';
import { codeLenses } from './features/codeLens';
import { completion } from './features/completion';
import { definition, references } from './features/definition';
import { documentDiagnostics } from './features/diagnostics';
import { hover } from './features/hover';
import { inlayHints, statementCosts } from './features/inlayHints';
import { signatureHelp } from './features/signatureHelp';
import { report, ReportRequest } from './features/report';
import { memoryView, MemoryViewRequest } from './features/memoryView';
import { documentSymbols } from './features/symbols';
import { DEFAULT_SETTINGS, parseSettings, type MemlensSettings } from './settings';
import { pathOf, WorkspaceFiles } from './workspaceFiles';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(monotonicTextDocuments((uri, held, received) => connection.console.warn(`memlens: ignored a change of ${uri} to version ${received}: the server holds version ${held}`)));
let settings: MemlensSettings = DEFAULT_SETTINGS;
const analyzeOptions = () => ({ defaults: settings.defaults, rules: settings.rules, ...(settings.torchVersion ? { torchVersion: settings.torchVersion } : {}) });
/** open documents by their path on disk: local imports read an open file's current text */
const openPaths = new Map<string, string>();
const files = new WorkspaceFiles((path) => {
  const uri = openPaths.get(path);
  return uri === undefined ? undefined : documents.get(uri)?.getText();
});
const cache = new AnalysisCache(analyzeOptions, analyzeDocument, (path) => files.read(path));
/** an edit's analysis waits for the requests that came with it, which answer from the latest analysis */
const requestGate = new RequestGate();
const debouncer = new Debouncer((uri) => void publishDiagnostics(uri), () => settings.diagnostics.delayMs);
/** uris whose last published diagnostics were not empty (a TS file without models stays silent) */
const nonEmpty = new Set<string>();
/** version each document was opened at, to tell the open's content event from an edit */
const openVersions = new Map<string, number>();

const client = { pullConfiguration: false, registerConfiguration: false, refreshInlayHints: false, refreshCodeLens: false, registerFileWatching: false };
let settingsLoaded!: () => void;
const settingsReady = new Promise<void>((resolve) => (settingsLoaded = resolve));
/** a client that never sends `initialized` or never answers workspace/configuration must not hold answers back */
const SETTINGS_TIMEOUT_MS = 2000;
let timedOut = false;

function log(message: string): void {
  connection.console.error(message);
}

interface Analyzed {
  readonly doc: TextDocument;
  readonly analysis: DocumentAnalysis;
}

function analyzed(id: TextDocumentIdentifier): Analyzed | undefined {
  const doc = documents.get(id.uri);
  const analysis = doc && cache.get(doc);
  return doc && analysis ? { doc, analysis } : undefined;
}

interface Latest extends Answerable {
  readonly doc: TextDocument;
}

/**
 * The newest analysis of the document, for requests that must not wait for a re-analysis: after
 * an edit it is the previous version's, anchored to the current text, until the debounced
 * analysis lands. Only a document never analysed (or after a settings change) is analysed here.
 */
function latest(id: TextDocumentIdentifier): Latest | undefined {
  const doc = documents.get(id.uri);
  const answerable = doc && cache.latest(doc);
  if (answerable && !answerable.fresh) answeredStale.add(id.uri);
  return doc && answerable ? { doc, ...answerable } : undefined;
}

/** documents some request was answered for from an earlier version: code lenses and hints to refresh once it is analysed */
const answeredStale = new Set<string>();

/** the editor keeps code lenses and inlay hints until told: ask again for those answered from an earlier version */
function refreshStaleAnswers(uri: string): void {
  if (!answeredStale.delete(uri)) return;
  if (client.refreshInlayHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
  if (client.refreshCodeLens) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
}

/** LSP request -> handler; each answers from the document's latest analysis or the cached one */
const routes: readonly (() => void)[] = [
  route(HoverRequest.type, null, (p) => {
    const d = latest(p.textDocument);
    return d ? anchoredHover(d.anchor, (pos) => hover(d.analysis, pos), p.position) : null;
  }),
  route(InlayHintRequest.type, [], (p) => {
    const d = latest(p.textDocument);
    return d ? anchoredInlayHints(d.anchor, (range) => inlayHints(d.analysis, range, settings.inlayHints), p.range) : [];
  }),
  route(CodeLensRequest.type, [], (p) => {
    const d = latest(p.textDocument);
    return d ? anchoredLenses(d.anchor, codeLenses(d.analysis, settings.codeLens.enabled, d.doc.uri)) : [];
  }),
  route(DocumentSymbolRequest.type, [], (p) => {
    const d = latest(p.textDocument);
    return d ? anchoredSymbols(d.anchor, documentSymbols(d.analysis)) : [];
  }),
  route(DefinitionRequest.type, [], (p) => {
    const d = latest(p.textDocument);
    return d ? anchoredLocations(d.anchor, (pos) => definition(d.analysis, pos, d.doc.uri), p.position) : [];
  }),
  route(ReferencesRequest.type, [], (p) => {
    const d = latest(p.textDocument);
    return d ? anchoredLocations(d.anchor, (pos) => references(d.analysis, pos, d.doc.uri, p.context.includeDeclaration), p.position) : [];
  }),
  route(CompletionRequest.type, [], (p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc || sourceLanguage(doc.languageId) !== 'nnm') return [];
    // names and signatures come from the latest analysis; the text around the cursor is the current one
    return completion(cache.latest(doc)?.analysis, doc.getText(), doc.offsetAt(p.position), p.position);
  }),
  route(CodeActionRequest.type, [], (p) => {
    const input = codeActionInput(p.textDocument.uri);
    return input ? codeActions(input, p) : [];
  }),
  route(ReportRequest, { text: '' }, (p) => {
    const d = analyzed({ uri: p.uri });
    return d ? report(d.analysis, d.doc.uri) : { text: `memlens: ${p.uri} is not open` };
  }),
  route(MemoryViewRequest, { uri: '', models: [], active: -1, configuredBatch: null, status: null }, (p) => {
    const d = analyzed({ uri: p.uri });
    const language = d && sourceLanguage(d.doc.languageId);
    if (!d || !language) return { uri: p.uri, models: [], active: -1, configuredBatch: null, status: null };
    // the slider's batch over everything else the settings and the file say
    return memoryView(d.analysis, p, (batch) => analyzeDocument(d.doc.getText(), language, { ...analyzeOptions(), overrides: { batch }, documentKey: d.doc.uri }));
  }),
  route(SignatureHelpRequest.type, null, (p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc || sourceLanguage(doc.languageId) !== 'nnm') return null;
    return signatureHelp(cache.latest(doc)?.analysis, doc.getText(), doc.offsetAt(p.position));
  }),
];

function route<P, R, PR, E, RO>(type: ProtocolRequestType<P, R, PR, E, RO>, fallback: R, handler: (params: P) => R): () => void {
  // HandlerResult's conditional type cannot be resolved for a generic R; the wrapper returns Promise<R>
  // answers wait for the first settings, so no document is analysed with the built-in defaults by mistake
  const afterSettings = async ({ params, token }: { params: P; token: CancellationToken | undefined }): Promise<R> => {
    requestGate.noteRequest();
    await settingsReady;
    // cancelled while queued (the editor moved on): answer the cancellation, compute nothing
    if (token?.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    return handler(params);
  };
  const guarded = safe(type.method, fallback, afterSettings, log, (err) => err instanceof ResponseError);
  const wrapped = ((params: P, token: CancellationToken) => guarded({ params, token })) as unknown as RequestHandler<P, R, E>;
  return () => connection.onRequest(type, wrapped);
}

connection.onInitialize((params): InitializeResult => {
  setTimeout(() => {
    timedOut = true;
    settingsLoaded();
  }, SETTINGS_TIMEOUT_MS).unref();
  const caps = params.capabilities;
  client.pullConfiguration = caps.workspace?.configuration === true;
  client.registerConfiguration = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
  client.refreshInlayHints = caps.workspace?.inlayHint?.refreshSupport === true;
  client.refreshCodeLens = caps.workspace?.codeLens?.refreshSupport === true;
  client.registerFileWatching = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      inlayHintProvider: { resolveProvider: false },
      codeLensProvider: { resolveProvider: false },
      documentSymbolProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      completionProvider: { triggerCharacters: ['(', ',', ':'], resolveProvider: false },
      codeActionProvider: { codeActionKinds: ['quickfix', FIX_ALL_KIND], resolveProvider: false },
      signatureHelpProvider: { triggerCharacters: ['(', ','], retriggerCharacters: [':'] },
    },
    serverInfo: { name: 'memlens' },
  };
});

connection.onInitialized(() => {
  if (client.registerConfiguration) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: 'memlens' }).catch(() => undefined);
  }
  if (client.registerFileWatching) {
    // the files local imports read, when they change on disk outside the editor (a save, a git checkout)
    void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: IMPORTABLE_FILES }] }).catch(() => undefined);
  }
  void loadSettings(undefined).finally(() => {
    // after a timeout, documents were analysed and answered with the built-in defaults: redo them
    cache.invalidateAll();
    if (timedOut) for (const doc of documents.all()) debouncer.flush(doc.uri);
    settingsLoaded();
    void warmUp({ runs: WARMUP_RUNS, units: WARMUP_UNITS, streamedUnits: WARMUP_STREAMED_UNITS, options: analyzeOptions, features: warmFeatures, idle: serverIdle });
  });
});

/**
 * the warm-up runs only once the documents have been left alone this long: its turns and their
 * garbage competed with the first edits after an open. Edits 250 ms apart after opening
 * resnet50.nnm (2026-12-08, load 3-4 with a fuzz run on the other core): the first three took
 * 45/211/81 and 122/51/81 ms with the warm-up running between them, 17/36/26 and 28/51/35 ms with
 * it waiting for a pause; a 10,000-op file's were alike either way (its own passes run cold)
 */
const WARMUP_QUIET_MS = 1000;
let lastDocumentEvent = 0;

/** a turn with no request waiting, no document waiting for its diagnostics, no parser loading and no recent edit */
async function serverIdle(): Promise<void> {
  for (;;) {
    // a document opened while its parser loads is analysed once it has loaded: the warm-up's turns
    // delayed that by ~80 ms on the 5,000-line tf.js bench file
    await Promise.allSettled(parsersLoading);
    await requestGate.settled();
    const quietFor = Date.now() - lastDocumentEvent;
    if (quietFor < WARMUP_QUIET_MS) {
      await new Promise<void>((resolve) => setTimeout(resolve, WARMUP_QUIET_MS - quietFor).unref?.());
      continue;
    }
    if (publishing === 0 && parsersLoading.size === 0) return;
  }
}

/**
 * enough for the analyses' passes to be optimised before the first edit (warmup.ts): about the
 * op-analyses of 40 runs of a 110-op model, in turns short enough that an edit barely waits
 */
const WARMUP_RUNS = 100;
const WARMUP_UNITS = 4;
/** 250 units are about 6,250 tokens: past the lexer's 4,096-token recycling window */
const WARMUP_STREAMED_UNITS = 250;

/** what the requests after an edit need and the analysis leaves lazy: refs, liveness and plan, statement costs */
function computeLazyParts(analysis: DocumentAnalysis): void {
  void analysis.refs.length;
  for (const model of analysis.models) {
    void model.memory;
    statementCosts(model);
  }
}

/** the JIT warm-up also runs the features an editor asks for after an edit, so their code is optimised too */
function warmFeatures(analysis: DocumentAnalysis): void {
  computeLazyParts(analysis);
  codeLenses(analysis, true, 'memlens:warmup');
  inlayHints(analysis, { start: { line: 0, character: 0 }, end: { line: 1_000_000, character: 0 } }, { enabled: true, showParams: true });
}

/** what a local import can name: TypeScript / JavaScript modules and Python files */
const IMPORTABLE_FILES = '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py}';

connection.onDidChangeWatchedFiles(
  safe('didChangeWatchedFiles', undefined, ({ changes }: { changes: readonly { uri: string }[] }) => {
    for (const change of changes) {
      const path = pathOf(change.uri);
      if (path === undefined) continue;
      files.changed(path);
      // an open document's buffer is what imports read, whatever the disk says
      if (!openPaths.has(path)) importedFileChanged(path);
    }
  }, log),
);

/** the documents that imported the file at `path` are analysed again (debounced, as an edit of their own) */
function importedFileChanged(path: string): void {
  for (const reader of cache.fileChanged(path)) if (documents.get(reader)) debouncer.change(reader);
}

connection.onDidChangeConfiguration(safe('didChangeConfiguration', undefined, settingsChanged, log));

/** new settings: every open document is analysed again and the editor asked to refresh hints and lenses */
async function settingsChanged(change: { settings: unknown }): Promise<void> {
  const pushed = isRecord(change.settings) ? change.settings['memlens'] : undefined;
  await loadSettings(pushed);
  cache.invalidateAll();
  for (const doc of documents.all()) debouncer.flush(doc.uri);
  if (client.refreshInlayHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
  if (client.refreshCodeLens) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
}

/** pull the `memlens` section when the client supports it, else take what it pushed */
async function loadSettings(pushed: unknown): Promise<void> {
  try {
    const raw: unknown = client.pullConfiguration ? await connection.workspace.getConfiguration('memlens') : pushed;
    settings = parseSettings(raw);
    for (const problem of settings.problems) connection.console.warn(`memlens: ignoring setting ${problem}`);
  } catch (err) {
    log(`memlens: could not read settings: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** quick-fix previews are computed once a document is idle, so the lightbulb answers from the memo */
const previewWarmer = new PreviewWarmer(400);

function codeActionInput(uri: string, version?: number): CodeActionInput | undefined {
  // a stale warm-up must not analyse the new version itself: the debouncer does that
  if (version !== undefined && documents.get(uri)?.version !== version) return undefined;
  const d = analyzed({ uri });
  const language = d && sourceLanguage(d.doc.languageId);
  if (!d || !language || (version !== undefined && d.doc.version !== version)) return undefined;
  return { uri, text: d.doc.getText(), language, options: analyzeOptions(), analysis: d.analysis };
}

/** publishDiagnostics runs under way: the warm-up waits for them */
let publishing = 0;

async function publishDiagnostics(uri: string): Promise<void> {
  publishing++;
  try {
    await settingsReady;
    await requestGate.settled();
    await analyzeAndPublish(uri);
  } finally {
    publishing--;
  }
}

async function analyzeAndPublish(uri: string): Promise<void> {
  try {
    const doc = documents.get(uri);
    const analysis = doc && cache.get(doc);
    if (!doc || !analysis) return;
    // analysed now: whatever was answered from the version before is asked again, silent files too
    refreshStaleAnswers(uri);
    const diagnostics = documentDiagnostics(analysis, uri);
    // .nnm files always get an answer; other languages only once they have something to say
    if (diagnostics.length === 0 && sourceLanguage(doc.languageId) !== 'nnm' && !nonEmpty.has(uri)) return;
    if (diagnostics.length > 0) nonEmpty.add(uri);
    else nonEmpty.delete(uri);
    await connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
    const version = doc.version;
    // the code lens, hover and inlay hints that follow an edit find the lazy parts computed
    void requestGate.settled().then(() => {
      if (documents.get(uri)?.version === version && cache.isFresh(doc)) computeLazyParts(analysis);
    });
    previewWarmer.schedule(uri, () => codeActionInput(uri, version));
  } catch (err) {
    log(`memlens: diagnostics for ${uri} failed: ${errorText(err)}`);
  }
}

/** frontends with an `init` (the TypeScript parser, web-tree-sitter wasm) load on the first document they claim, not at startup; tried once */
const loading = new Set<Frontend>();
/** the loads not yet settled: the warm-up waits for them */
const parsersLoading = new Set<Promise<void>>();

function initFrontendFor(doc: TextDocument): void {
  const frontend = frontendFor(doc.languageId);
  if (!frontend?.init || loading.has(frontend) || !frontend.claims(doc.getText())) return;
  loading.add(frontend);
  const load = frontend.init();
  parsersLoading.add(load);
  void load.then(
    () => parsersLoading.delete(load),
    () => parsersLoading.delete(load),
  );
  void load.then(
    () => {
      // analyses made while loading only said so: redo every document this frontend reads
      for (const open of documents.all()) {
        if (frontendFor(open.languageId) !== frontend) continue;
        cache.delete(open.uri);
        debouncer.flush(open.uri);
      }
    },
    (err: unknown) => log(`memlens: could not load the ${frontend.name} parser: ${err instanceof Error ? err.message : String(err)}`),
  );
}

documents.onDidOpen((e) => {
  lastDocumentEvent = Date.now();
  openVersions.set(e.document.uri, e.document.version);
  const path = pathOf(e.document.uri);
  if (path !== undefined) {
    openPaths.set(path, e.document.uri);
    // from now on imports read the buffer, not the disk
    importedFileChanged(path);
  }
  if (!sourceLanguage(e.document.languageId)) return;
  initFrontendFor(e.document);
  debouncer.flush(e.document.uri);
});
documents.onDidChangeContent((e) => {
  lastDocumentEvent = Date.now();
  // the open event also fires a content change; the open handler has published it already
  if (e.document.version === openVersions.get(e.document.uri)) return;
  const path = pathOf(e.document.uri);
  if (path !== undefined) importedFileChanged(path);
  if (!sourceLanguage(e.document.languageId)) return;
  initFrontendFor(e.document);
  debouncer.change(e.document.uri);
});
documents.onDidClose((e) => {
  debouncer.cancel(e.document.uri);
  previewWarmer.cancel(e.document.uri);
  cache.delete(e.document.uri);
  for (const frontend of FRONTENDS) frontend.forget?.(e.document.uri);
  openVersions.delete(e.document.uri);
  const path = pathOf(e.document.uri);
  if (path !== undefined && openPaths.get(path) === e.document.uri) {
    // unsaved edits are gone with the buffer: imports read the disk again
    openPaths.delete(path);
    importedFileChanged(path);
  }
  if (sourceLanguage(e.document.languageId) && (nonEmpty.delete(e.document.uri) || e.document.languageId === 'nnm')) {
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  }
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

process.on('uncaughtException', (err) => log(`memlens: uncaught ${err.stack ?? err.message}`));
process.on('unhandledRejection', (reason) => log(`memlens: unhandled rejection ${String(reason)}`));

for (const register of routes) register();
documents.listen(connection);
connection.listen();
