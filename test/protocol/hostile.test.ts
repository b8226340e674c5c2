// Issue 17 item 4: whatever a client sends and whatever a file holds, the server answers with a
// diagnostic or an LSP error response and keeps serving. One server process takes every input in
// turn; after each one a known-good document must still get its hover, and the process must be alive.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import { ensureServerBuilt, initialize, startServer, type Client } from './lspClient';

const GOOD_URI = 'untitled:good.nnm';
const GOOD = 'model good {\n  x = input(10)\n  h = dense(x, 5)\n  return relu(h)\n}\n';
const pos = (line: number, character: number) => ({ line, character });

let client: Client;
let opened = 0;

/** a fresh uri per case, so that no case reads another's publishes */
const uriFor = (ext: string): string => `untitled:hostile-${++opened}.${ext}`;
const LANGUAGE: Readonly<Record<string, string>> = { nnm: 'nnm', ts: 'typescript', py: 'python' };

/**
 * Opens a document and returns its diagnostics once analysed. A .nnm file is always published; a
 * TypeScript or Python file only when it has something to say, so a code-lens request (answered
 * after analysing a document never analysed) tells when its analysis is done.
 */
async function open(text: string, ext = 'nnm', uri = uriFor(ext)): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: LANGUAGE[ext], version: 1, text } });
  if (ext === 'nnm') {
    const published = await client.diagnostics(uri, (p) => p.version === 1, `diagnostics of ${uri}`, 60_000);
    return { uri, diagnostics: published.diagnostics };
  }
  // the parser may still be loading: its notice (NNM300) is not the analysis
  for (;;) {
    await client.request('textDocument/codeLens', { textDocument: { uri } }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const published = client.unconsumed(uri).filter((p) => p.version === 1);
    const last = published[published.length - 1];
    if (!last?.diagnostics.some((d) => d.code === 'NNM300')) return { uri, diagnostics: last?.diagnostics ?? [] };
  }
}

async function close(uri: string): Promise<void> {
  await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
}

/** the server is alive and still answers a hover on the known-good document correctly */
async function assertServing(): Promise<void> {
  assert.equal(client.process.exitCode, null, `the server exited: ${client.stderr()}`);
  const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri: GOOD_URI }, position: pos(2, 2) }, 20_000);
  assert.equal((hover.contents as MarkupContent).value.split('\n')[0], '**h**: `[N, 5]` fp32');
  assert.deepEqual(client.loggedErrors, [], 'no handler threw');
}

const messageText = (d: Diagnostic): string => (typeof d.message === 'string' ? d.message : d.message.value);
/** the server process' peak resident memory (Linux; '?' elsewhere) */
function peakRssMiB(pid: number): string {
  try {
    return (Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024).toFixed(0);
  } catch {
    return '?';
  }
}

const codes = (ds: readonly Diagnostic[]): string[] => [...new Set(ds.map((d) => String(d.code)))].sort();

describe('hostile inputs: the server answers and keeps serving', () => {
  before(async () => {
    ensureServerBuilt();
    client = startServer({});
    await initialize(client);
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: GOOD_URI, languageId: 'nnm', version: 1, text: GOOD } });
    await client.diagnostics(GOOD_URI, (p) => p.version === 1, 'the known-good document');
  });
  after(() => client.kill());

  it('a 100,000-character line', async () => {
    const { uri, diagnostics } = await open(`model wide {\n  x = input(${'1'.repeat(100_000)})\n  return x\n}\n`);
    assert.ok(diagnostics.length > 0, 'a number of 100,000 digits is reported');
    await close(uri);
    await assertServing();
  });

  it('binary garbage, NUL bytes, lone UTF-16 surrogates and invalid UTF-8 read as text', async () => {
    let seed = 17;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const garbage = Array.from({ length: 20_000 }, () => String.fromCharCode(Math.floor(random() * 256))).join('');
    // a lone high and a lone low surrogate, and the U+FFFD that a decoder makes of invalid UTF-8 bytes
    const surrogates = `model s\uD800 {\n  x\uDC00 = input(4)\n  return x\uDC00\n}\n\uFFFD\uFFFE\u0000`;
    for (const [text, ext] of [[garbage, 'nnm'], [garbage, 'ts'], [garbage, 'py'], [surrogates, 'nnm'], [`const m\uD800 = tf.sequential();\n`, 'ts'], [`x\uDFFF = nn.Linear(3, 4)\n`, 'py']] as const) {
      const { uri } = await open(text, ext);
      await close(uri);
    }
    await assertServing();
  });

  it('10,000 nested brackets and 10,000 nested blocks in each language', async () => {
    const n = 10_000;
    const inputs: [string, string][] = [
      [`model deep {\n  x = input(4)\n  return ${'('.repeat(n)}x${')'.repeat(n)}\n}\n`, 'nnm'],
      [`model deep {\n  x = input(4)\n  return relu(${'['.repeat(n)}\n}\n`, 'nnm'],
      [`${'model m {\n'.repeat(n)}${'}\n'.repeat(n)}`, 'nnm'],
      [`import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential();\nconst x = ${'['.repeat(n)}1${']'.repeat(n)};\n`, 'ts'],
      [`import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential();\n${'{\n'.repeat(n)}m.add(tf.layers.dense({ units: 1, inputShape: [1] }));\n${'}\n'.repeat(n)}`, 'ts'],
      [`import torch.nn as nn\nx = ${'('.repeat(n)}1${')'.repeat(n)}\n`, 'py'],
      [`import torch.nn as nn\n${Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i)}if True:`).join('\n')}\n${' '.repeat(1_000)}m = nn.Linear(2, 3)\n`, 'py'],
    ];
    for (const [text, ext] of inputs) {
      const { uri } = await open(text, ext);
      await close(uri);
    }
    await assertServing();
  });

  it('a repeat of 10^12, and shapes whose bytes pass 2^53 and 2^64: diagnostics, no wrong figure', async () => {
    const repeat = await open('block b(x) {\n  return relu(x)\n}\nmodel r {\n  x = input(4)\n  x = repeat 1000000000000 b(x)\n  return x\n}\n');
    assert.ok(repeat.diagnostics.some((d) => d.severity === 1), `an error for the repeat: ${codes(repeat.diagnostics)}`);
    await close(repeat.uri);
    for (const dims of ['3000000, 3000000, 1000', '4294967296, 4294967296, 16']) {
      const huge = await open(`model big {\n  x = input(${dims})\n  return relu(x)\n}\n`);
      assert.ok(huge.diagnostics.length > 0, `a diagnostic for input(${dims})`);
      const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri: huge.uri }, position: pos(0, 7) });
      const text = (hover?.contents as MarkupContent | undefined)?.value ?? '';
      assert.doesNotMatch(text, /NaN|Infinity|e\+\d/, `no non-finite or rounded figure in the hover: ${text}`);
      await close(huge.uri);
    }
    await assertServing();
  });

  it('recursive blocks, a recursive Python function and a recursive TypeScript builder', async () => {
    const inputs: [string, string][] = [
      ['block a(x) {\n  return b(x)\n}\nblock b(x) {\n  return a(x)\n}\nmodel m {\n  x = input(4)\n  return a(x)\n}\n', 'nnm'],
      ['import torch.nn as nn\n\ndef make(n):\n    return make(n + 1)\n\nmodel = nn.Sequential(*make(0))\n', 'py'],
      ["import * as tf from '@tensorflow/tfjs';\nexport function build(n: number): tf.Sequential {\n  const m = build(n + 1);\n  m.add(tf.layers.dense({ units: 4, inputShape: [4] }));\n  return m;\n}\nbuild(0);\n", 'ts'],
    ];
    for (const [text, ext] of inputs) {
      const { uri, diagnostics } = await open(text, ext);
      assert.ok(diagnostics.length > 0, `a diagnostic for the recursion in the .${ext} file`);
      await close(uri);
    }
    await assertServing();
  });

  it('Python local imports in a cycle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-cycle-'));
    try {
      writeFileSync(join(dir, 'a.py'), 'import torch.nn as nn\nfrom b import WIDTH\n\nDEPTH = 2\nmodel = nn.Linear(WIDTH, DEPTH)\n');
      writeFileSync(join(dir, 'b.py'), 'from a import DEPTH\n\nWIDTH = DEPTH * 4\n');
      const uri = pathToFileURL(join(dir, 'a.py')).href;
      const { diagnostics } = await open('import torch.nn as nn\nfrom b import WIDTH\n\nDEPTH = 2\nmodel = nn.Linear(WIDTH, DEPTH)\n', 'py', uri);
      assert.ok(diagnostics.length > 0, 'the cycle or the unresolved name is reported');
      await close(uri);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assertServing();
  });

  it('requests for unopened documents, positions past the end and negative positions', async () => {
    const nowhere = { uri: 'untitled:never-opened.nnm' };
    const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: pos(l1, c1), end: pos(l2, c2) });
    for (const textDocument of [nowhere, { uri: GOOD_URI }]) {
      for (const position of [pos(10_000, 0), pos(2, 10_000), pos(-1, -5), pos(2 ** 31 - 1, 2 ** 31 - 1)]) {
        for (const method of ['textDocument/hover', 'textDocument/definition', 'textDocument/references', 'textDocument/completion', 'textDocument/signatureHelp']) {
          await client.request(method, { textDocument, position, context: { includeDeclaration: true } }).catch((err: unknown) => assert.ok(err instanceof Error));
        }
      }
      for (const method of ['textDocument/codeLens', 'textDocument/documentSymbol']) await client.request(method, { textDocument });
      await client.request('textDocument/inlayHint', { textDocument, range: range(-3, 0, 2 ** 31 - 1, 0) }).catch((err: unknown) => assert.ok(err instanceof Error));
      await client.request('textDocument/codeAction', { textDocument, range: range(5_000, 0, 1, 0), context: { diagnostics: [] } }).catch((err: unknown) => assert.ok(err instanceof Error));
    }
    await assertServing();
  });

  it('didChange before didOpen, didClose of an unopened document, stale and out-of-order versions', async () => {
    const uri = uriFor('nnm');
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: GOOD }] });
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: 'untitled:closed-unopened.nnm' } });
    await assertServing();
    // version 5, then an older version 3 and a repeated 5: the text stays version 5's
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nnm', version: 5, text: GOOD } });
    await client.diagnostics(uri, (p) => p.version === 5, 'the opened version');
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: 'model broken {' }] });
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text: 'model broken {' }] });
    // an incremental change whose range is past the end of the text
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 6 }, contentChanges: [{ range: { start: pos(900, 0), end: pos(901, 3) }, text: '# tail\n' }] });
    const last = await client.diagnostics(uri, (p) => p.version === 6, 'the edit past the end', 10_000);
    assert.ok(client.loggedWarnings.some((w) => w.includes(`ignored a change of ${uri} to version 3: the server holds version 5`)), JSON.stringify(client.loggedWarnings));
    assert.deepEqual(last.diagnostics, [], 'the stale versions were not applied and the edit past the end appended a comment');
    const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(2, 2) });
    assert.equal((hover.contents as MarkupContent).value.split('\n')[0], '**h**: `[N, 5]` fp32');
    await close(uri);
    await assertServing();
  });

  it('1,000 edits in one second: the last diagnostics are those of the final text', async () => {
    const uri = uriFor('nnm');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nnm', version: 1, text: GOOD } });
    await client.diagnostics(uri, (p) => p.version === 1, 'opened');
    const started = Date.now();
    for (let v = 2; v <= 1_001; v++) {
      // type a digit into dense's width, then delete it: the odd versions end with `dense(x, 5)`
      const change = v % 2 === 0 ? { range: { start: pos(2, 15), end: pos(2, 15) }, text: '7' } : { range: { start: pos(2, 15), end: pos(2, 16) }, text: '' };
      void client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [change] });
      if (v % 100 === 0) await new Promise((resolve) => setTimeout(resolve, Math.max(0, (v * 1_000) / 1_001 - (Date.now() - started))));
    }
    const last = await client.diagnostics(uri, (p) => p.version === 1_001, 'the final version', 20_000);
    assert.deepEqual(last.diagnostics, []);
    const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(2, 2) });
    assert.equal((hover.contents as MarkupContent).value.split('\n')[0], '**h**: `[N, 5]` fp32');
    await close(uri);
    await assertServing();
  });

  it('invalid settings from the client are messages, not throws', async () => {
    for (const memlens of [
      { device: 'a potato', batch: -3, precision: 'fp7', framework: 'jax', mode: 'dance' },
      { device: null, batch: 'thirty-two', inlayHints: 'yes', rules: 7 },
      { device: { a: { b: { c: { d: [1, [2, [3]]] } } } }, diagnostics: { delayMs: -1e308 } },
      null,
    ]) {
      client.settings = memlens as Record<string, unknown>;
      client.loggedWarnings.length = 0;
      await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { memlens } });
      await client.diagnostics(GOOD_URI, () => true, 'the re-analysis after the settings change', 10_000);
      await assertServing();
      if (memlens !== null) {
        // each bad key is named in the log, and the others keep their defaults
        for (const key of Object.keys(memlens).filter((k) => (memlens as Record<string, unknown>)[k] !== null)) {
          assert.ok(client.loggedWarnings.some((w) => w.includes('ignoring setting') && w.includes(key)), `a warning names ${key}: ${JSON.stringify(client.loggedWarnings)}`);
        }
      }
    }
    client.settings = {};
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { memlens: {} } });
    await client.diagnostics(GOOD_URI, () => true, 'settings back to the defaults', 10_000);
  });

  it('50 MB documents in each language: NNM001 on the first line, nothing else, and the server keeps its memory', async () => {
    const filler: Readonly<Record<string, [string, string]>> = {
      nnm: [GOOD, '# padding line of a large generated file, repeated to reach fifty megabytes\n'],
      ts: ["import * as tf from '@tensorflow/tfjs';\n", '// padding line of a large generated file, repeated to reach fifty megabytes\n'],
      py: ['import torch.nn as nn\n', '# padding line of a large generated file, repeated to reach fifty megabytes\n'],
    };
    for (const [ext, [head, padding]] of Object.entries(filler)) {
      const text = `${head}${padding.repeat(Math.ceil(50e6 / padding.length))}`;
      const { uri, diagnostics } = await open(text, ext);
      assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [['NNM001', 0]], `.${ext}`);
      assert.match(messageText(diagnostics[0]!), new RegExp(`this file has ${text.length.toLocaleString('en-US')} characters, over memlens' limit of`));
      assert.deepEqual(await client.request('textDocument/codeLens', { textDocument: { uri } }), []);
      await close(uri);
    }
    // the three 50 MB texts as the server holds them (UTF-16) are 300 MB: far below gigabytes
    process.stdout.write(`# server peak RSS after the 50 MB documents: ${peakRssMiB(client.process.pid!)} MiB\n`);
    await assertServing();
  });
});
