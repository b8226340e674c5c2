// The protocol fuzzer: random sequences of LSP messages against the real bundled server
// (dist/server.js --stdio, through the protocol tests' client). Documents are mutated fixtures;
// edits are full or incremental, with ranges past the end and stale or out-of-order versions;
// requests go to open, closed and never-opened documents; settings are random values of any type.
// After each sequence the server must still be running and answer a hover on a document no
// sequence touches. A request may answer with an LSP error, but not time out (a hang), and the
// server must log no handler error (a caught crash).
import fc from 'fast-check';
import { ensureServerBuilt, initialize, startServer, type Client } from '../protocol/lspClient';
import { initTfjsFrontend } from '../../server/src/core/tfjs/parse';
import { caseText, prepareCorpus, type DocumentCase, type PreparedCorpus } from './documents';
import { mutationArb } from './mutations';

const LANGUAGE_IDS = { nnm: 'nnm', typescript: 'typescript', javascript: 'javascript', python: 'python' } as const;
const EXTENSION = { nnm: 'nnm', typescript: 'ts', javascript: 'js', python: 'py' } as const;
/** a request slower than this is a hang */
const REQUEST_BUDGET_MS = 10_000;
/** documents a sequence plays with; slot 4 is never opened */
const SLOTS = 5;

const KNOWN_URI = 'file:///fuzz/known-good.nnm';
const KNOWN_TEXT = 'model known {\n  x = input(8)\n  return dense(x, 4)\n}\n';

const REQUESTS = [
  'textDocument/hover',
  'textDocument/inlayHint',
  'textDocument/codeLens',
  'textDocument/completion',
  'textDocument/documentSymbol',
  'textDocument/definition',
  'textDocument/references',
  'textDocument/codeAction',
  'textDocument/signatureHelp',
  'workspace/executeCommand',
  'memlens/report',
  'memlens/memoryView',
] as const;

type Action =
  | { readonly kind: 'open'; readonly slot: number; readonly doc: DocumentCase; readonly version: number }
  | { readonly kind: 'changeFull'; readonly slot: number; readonly doc: DocumentCase; readonly version: number }
  | { readonly kind: 'changeRange'; readonly slot: number; readonly line: number; readonly character: number; readonly lines: number; readonly text: string; readonly version: number }
  | { readonly kind: 'close'; readonly slot: number }
  | { readonly kind: 'request'; readonly method: (typeof REQUESTS)[number]; readonly slot: number; readonly line: number; readonly character: number; readonly extra: unknown }
  | { readonly kind: 'settings'; readonly settings: Record<string, unknown> }
  /** lets the debounced analysis of the edits so far run (past the 150 ms default delay) */
  | { readonly kind: 'wait'; readonly ms: number };

/** a setting's value: mostly of its own kind, sometimes any JSON value */
function settingValue<T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

const settingsArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    mode: settingValue(fc.constantFrom('train', 'infer', 'Train', '')),
    batch: settingValue(fc.oneof(fc.integer({ min: -5, max: 1_000_000 }), fc.constantFrom(0, 1e12, 2 ** 53, 1e308, -0, 0.5), fc.constant(null))),
    precision: settingValue(fc.constantFrom('fp32', 'fp16', 'bf16', 'mixed', 'int8', 'fp64', 'fp7')),
    optimizer: settingValue(fc.constantFrom('none', 'sgd', 'sgd(momentum: 0.9)', 'adam', 'adamw', 'adam(', 'sgd(momentum: 1e400)')),
    device: settingValue(fc.oneof(fc.constantFrom('v100-16gb', 'cpu', 'gpu(memory: 16GiB)', 'gpu(memory: 0GiB)', 'gpu(memory: 99999999999999999999GiB)', 'ipu(', 'gpu(memory: -1GiB)'), fc.string({ maxLength: 30 }))),
    layout: settingValue(fc.constantFrom('nchw', 'nhwc', 'ncdhw')),
    lowering: settingValue(fc.constantFrom('auto', 'im2col', 'direct', 'winograd')),
    framework: settingValue(fc.constantFrom('ideal', 'pytorch', 'tfjs', 'jax')),
    inlayHints: settingValue(fc.record({ enabled: settingValue(fc.boolean()), showParams: settingValue(fc.boolean()) })),
    codeLens: settingValue(fc.record({ enabled: settingValue(fc.boolean()) })),
    diagnostics: settingValue(fc.record({ delayMs: settingValue(fc.constantFrom(0, 1, 150, -1, 1e9, 0.5)) })),
    rules: settingValue(fc.dictionary(fc.constantFrom('budget', 'deadTensor', 'precision', 'nope'), settingValue(fc.constantFrom('default', 'off', 'error', 'warning', 'info', 'hint', 'loud')))),
    thresholds: settingValue(fc.dictionary(fc.constantFrom('batchBloatShare', 'batchBloatBytes', 'loweringBloatRatio', 'checkpointShare'), settingValue(fc.oneof(fc.double(), fc.constantFrom('1GiB', '-1GiB', 'lots'))))),
    python: settingValue(fc.record({ torchVersion: settingValue(fc.constantFrom('1.13', '2.5', '99.0', 'x', '')) })),
  },
  { requiredKeys: [] },
);

function actionArb(corpus: PreparedCorpus): fc.Arbitrary<Action> {
  const slot = fc.nat({ max: SLOTS - 1 });
  const doc = fc.record({ seed: fc.nat({ max: corpus.seeds.length - 1 }), mutations: fc.array(mutationArb, { maxLength: 3 }) });
  // versions: mostly increasing (the client's counter is added), sometimes stale or far ahead
  const version = fc.oneof(fc.constant(1), fc.integer({ min: -3, max: 3 }), fc.constant(2 ** 31 - 1));
  const line = fc.oneof(fc.nat({ max: 60 }), fc.constant(1_000_000));
  const character = fc.oneof(fc.nat({ max: 80 }), fc.constant(100_000));
  return fc.oneof(
    fc.record({ kind: fc.constant('open' as const), slot, doc, version }),
    fc.record({ kind: fc.constant('changeFull' as const), slot, doc, version }),
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('changeRange' as const),
        slot,
        line,
        character,
        lines: fc.nat({ max: 3 }),
        text: fc.oneof(fc.constantFrom('', 'x', ')', '(', '\n', '}', '{', 'relu(', ' 1e12', '\uD800', '\r\n'), fc.string({ maxLength: 20 })),
        version,
      }),
    },
    fc.record({ kind: fc.constant('close' as const), slot }),
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('request' as const), method: fc.constantFrom(...REQUESTS), slot, line, character, extra: fc.jsonValue({ maxDepth: 1 }) }) },
    fc.record({ kind: fc.constant('settings' as const), settings: settingsArb }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400 }) }),
  );
}

interface Session {
  client: Client;
  /** the last version sent per slot, so most versions increase */
  readonly versions: number[];
}

function slotUri(corpus: PreparedCorpus, slot: number, seed: number): { uri: string; languageId: string } {
  const language = corpus.seeds[seed]!.language;
  return { uri: `file:///fuzz/slot${slot}.${EXTENSION[language]}`, languageId: LANGUAGE_IDS[language] };
}

/** uri of a slot whatever its language was: the slot's last open document, else an nnm one */
const slotUris = new Map<number, string>();

function requestParams(a: Extract<Action, { kind: 'request' }>, uri: string): unknown {
  const textDocument = { uri };
  const position = { line: a.line, character: a.character };
  const range = { start: position, end: { line: a.line + 1, character: 0 } };
  switch (a.method) {
    case 'textDocument/inlayHint':
      return { textDocument, range };
    case 'textDocument/codeLens':
    case 'textDocument/documentSymbol':
      return { textDocument };
    case 'textDocument/references':
      return { textDocument, position, context: { includeDeclaration: true } };
    case 'textDocument/codeAction':
      return { textDocument, range, context: { diagnostics: [] } };
    case 'workspace/executeCommand':
      return { command: 'memlens.showReport', arguments: [a.extra] };
    case 'memlens/report':
      return { uri };
    case 'memlens/memoryView':
      return { uri, line: a.line, batch: a.extra };
    default:
      return { textDocument, position };
  }
}

async function play(corpus: PreparedCorpus, s: Session, a: Action): Promise<void> {
  const c = s.client.connection;
  const nextVersion = (slot: number, v: number): number => (s.versions[slot] = v === 1 ? s.versions[slot]! + 1 : v);
  switch (a.kind) {
    case 'open':
    case 'changeFull': {
      const { uri, languageId } = slotUri(corpus, a.slot, a.doc.seed);
      const text = caseText(corpus, a.doc);
      if (a.kind === 'open') {
        slotUris.set(a.slot, uri);
        await c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: nextVersion(a.slot, a.version), text } });
      } else {
        await c.sendNotification('textDocument/didChange', { textDocument: { uri: slotUris.get(a.slot) ?? uri, version: nextVersion(a.slot, a.version) }, contentChanges: [{ text }] });
      }
      return;
    }
    case 'changeRange': {
      const uri = slotUris.get(a.slot) ?? `file:///fuzz/slot${a.slot}.nnm`;
      const range = { start: { line: a.line, character: a.character }, end: { line: a.line + a.lines, character: a.character + 3 } };
      await c.sendNotification('textDocument/didChange', { textDocument: { uri, version: nextVersion(a.slot, a.version) }, contentChanges: [{ range, text: a.text }] });
      return;
    }
    case 'close': {
      const uri = slotUris.get(a.slot) ?? `file:///fuzz/slot${a.slot}.nnm`;
      await c.sendNotification('textDocument/didClose', { textDocument: { uri } });
      return;
    }
    case 'request': {
      const uri = slotUris.get(a.slot) ?? `file:///fuzz/slot${a.slot}.py`;
      try {
        await s.client.request(a.method, requestParams(a, uri), REQUEST_BUDGET_MS);
      } catch (err) {
        // an LSP error response is an answer; a timeout is a hang
        if (err instanceof Error && err.message.startsWith('timed out')) throw err;
      }
      return;
    }
    case 'settings':
      s.client.settings = a.settings;
      await c.sendNotification('workspace/didChangeConfiguration', { settings: { memlens: a.settings } });
      return;
    case 'wait':
      await new Promise((resolve) => setTimeout(resolve, a.ms));
      return;
  }
}

async function knownGoodHover(s: Session): Promise<string | undefined> {
  const h = await s.client.request<{ contents: { value?: string } | string } | null>('textDocument/hover', { textDocument: { uri: KNOWN_URI }, position: { line: 0, character: 7 } }, REQUEST_BUDGET_MS);
  const text = h === null ? '' : typeof h.contents === 'string' ? h.contents : (h.contents.value ?? '');
  return text.includes('known') ? undefined : `hover on the known-good document answered ${JSON.stringify(h)}`;
}

async function startSession(): Promise<Session> {
  const client = startServer({});
  await initialize(client);
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: KNOWN_URI, languageId: 'nnm', version: 1, text: KNOWN_TEXT } });
  return { client, versions: Array.from({ length: SLOTS }, () => 0) };
}

/** one sequence, then the liveness checks; returns what broke */
async function runSequence(corpus: PreparedCorpus, s: Session, actions: readonly Action[]): Promise<string | undefined> {
  const errorsBefore = s.client.loggedErrors.length;
  try {
    for (const a of actions) await play(corpus, s, a);
    // back to default settings, close what the sequence opened, then the server must answer
    s.client.settings = {};
    await s.client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { memlens: {} } });
    for (const uri of slotUris.values()) await s.client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    slotUris.clear();
    const hover = await knownGoodHover(s);
    if (hover) return hover;
  } catch (err) {
    return `${(err as Error).message}${s.client.process.exitCode !== null ? ` (server exited with ${s.client.process.exitCode}; stderr: ${s.client.stderr().slice(-2000)})` : ''}`;
  }
  if (s.client.process.exitCode !== null) return `server exited with ${s.client.process.exitCode}`;
  const logged = s.client.loggedErrors.slice(errorsBefore);
  return logged.length > 0 ? `the server logged handler errors: ${logged.join(' | ').slice(0, 2000)}` : undefined;
}

export interface LspFuzzReport {
  readonly sequences: number;
  readonly messages: number;
  readonly ms: number;
  readonly failure?: { readonly detail: string; readonly counterexample: readonly Action[]; readonly path: string | undefined };
}

/** `sequences` random sequences from one seed against one server process (restarted after a failure) */
export async function fuzzLsp(corpus: PreparedCorpus, sequences: number, seed: number, maxActions = 12): Promise<LspFuzzReport> {
  ensureServerBuilt();
  let session = await startSession();
  let messages = 0;
  let lastFailure: string | undefined;
  const started = performance.now();
  try {
    const details = await fc.check(
      fc.asyncProperty(fc.array(actionArb(corpus), { minLength: 1, maxLength: maxActions }), async (actions) => {
        if (session.client.process.exitCode !== null) session = await startSession();
        messages += actions.length;
        lastFailure = await runSequence(corpus, session, actions);
        if (lastFailure && session.client.process.exitCode === null) {
          // a fresh server for the shrinking runs, so one failure does not leak into the next
          session.client.kill();
          session = await startSession();
        }
        return lastFailure === undefined;
      }),
      { seed, numRuns: sequences, endOnFailure: false },
    );
    const ms = performance.now() - started;
    if (!details.failed || !details.counterexample) return { sequences: details.numRuns, messages, ms };
    return { sequences: details.numRuns, messages, ms, failure: { detail: lastFailure ?? String(details.errorInstance), counterexample: details.counterexample[0], path: details.counterexamplePath ?? undefined } };
  } finally {
    session.client.kill();
  }
}

/** `npm run fuzz -- lsp`: prints the report, exit code 1 on a failure */
export async function runLspFuzz(sequences: number, seed: number): Promise<number> {
  await initTfjsFrontend();
  const corpus = prepareCorpus();
  const report = await fuzzLsp(corpus, sequences, seed);
  console.log(`lsp: ${report.sequences} sequences, ${report.messages} messages (shrinking runs included), ${(report.ms / 1000).toFixed(1)} s`);
  if (report.failure) {
    console.log(`FAIL seed ${seed}: ${report.failure.detail}`);
    console.log(JSON.stringify({ seed, path: report.failure.path, counterexample: report.failure.counterexample }));
    return 1;
  }
  return 0;
}
