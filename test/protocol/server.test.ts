// End to end over stdio: the bundled server (dist/server.js) driven by a real LSP client library.
// Every wait is bounded; a hung server fails the test with the step it was waiting for.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  CodeLens,
  CompletionItem,
  DocumentSymbol,
  Hover,
  InlayHint,
  Location,
  MarkupContent,
  PublishDiagnosticsParams,
  SignatureHelp,
} from 'vscode-languageserver-protocol';
import { ensureServerBuilt, initialize, ROOT, startServer, type Client } from './lspClient';

const FILE = join(ROOT, 'examples', 'resnet50.nnm');
const URI = pathToFileURL(FILE).href;
const TEXT = readFileSync(FILE, 'utf8');
const doc = { uri: URI };
const pos = (line: number, character: number) => ({ line, character });
const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: pos(l1, c1), end: pos(l2, c2) });
/** errors and warnings (severity 1, 2); information and hints (suggestions from the rules) are left out */
const problems = (p: PublishDiagnosticsParams) => p.diagnostics.filter((d) => d.severity !== undefined && d.severity <= 2);
/** line 34 (0-based 33) of resnet50.nnm is `  x = globalavgpool(x)` */
const POOL = range(33, 6, 33, 19);

describe('language server over stdio (resnet50.nnm)', () => {
  let client: Client;
  const version = (v: number) => (p: PublishDiagnosticsParams) => p.version === v;

  before(async () => {
    ensureServerBuilt();
    assert.equal(TEXT.split('\n')[33], '  x = globalavgpool(x)', 'examples/resnet50.nnm changed: update the positions in this test');
    client = startServer({});
    const init = await initialize(client);
    assert.equal(init.capabilities['textDocumentSync'], 2, 'incremental sync');
    for (const cap of ['hoverProvider', 'inlayHintProvider', 'codeLensProvider', 'completionProvider', 'definitionProvider', 'referencesProvider', 'documentSymbolProvider', 'signatureHelpProvider']) {
      assert.ok(init.capabilities[cap], cap);
    }
  });

  after(() => client?.kill());

  it('publishes no errors or warnings for the file as written', async () => {
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'nnm', version: 1, text: TEXT } });
    const published = await client.diagnostics(URI, version(1), 'after didOpen');
    assert.deepEqual(problems(published), []);
  });

  it('an edit introducing an unknown op publishes its error, the revert clears it', async () => {
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: POOL, text: 'globalavgpol' }],
    });
    const broken = await client.diagnostics(URI, version(2), 'after the edit');
    assert.deepEqual(problems(broken), [
      {
        range: range(33, 6, 33, 18),
        severity: 1,
        code: 'NNM110',
        source: 'memlens',
        message: "unknown op or block 'globalavgpol'; did you mean 'globalavgpool'?",
      },
    ]);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version: 3 },
      contentChanges: [{ range: range(33, 6, 33, 18), text: 'globalavgpool' }],
    });
    assert.deepEqual(problems(await client.diagnostics(URI, version(3), 'after the revert')), []);
  });

  it('hover on the model name: footprint and liveness totals, the peak, batch limits', async () => {
    const h = await client.request<Hover>('textDocument/hover', { textDocument: doc, position: pos(20, 8) });
    assert.deepEqual(h.range, range(20, 6, 20, 14));
    assert.equal(
      (h.contents as MarkupContent).value,
      [
        '**model resnet50**: train · batch 32 · fp32 · sgd(momentum: 0.9) · gpu 16 GiB',
        '- params: 25,557,032 trainable, 53,120 non-trainable',
        // 25,557,032 * 4 B
        '- weights: 97.5 MiB',
        // 53,120 running statistics * 4 B
        '- buffers: 208 KiB',
        '- activations: 144 MiB x N = 4.5 GiB at batch 32',
        '- gradients: 97.5 MiB',
        '- optimizer (sgd(momentum: 0.9)): 97.5 MiB',
        '- footprint total: 293 MiB + 144 MiB x N = 4.78 GiB at batch 32',
        // the liveness engine's figures (docs/memory-model.md works them out for ResNet-50)
        '- naive (no reuse): 12.7 GiB',
        '- lower bound: 2.74 GiB',
        '- planned: 2.76 GiB (fragmentation 0.7%)',
        // the start of the backward pass through the last stage's weight-gradient convolutions
        '- peak: line 33 (backward of `conv2d`), step 183 of 350',
        // 64 x 112 x 112 x 4 B x 32 each: the stem's outputs, saved for their backward
        '- largest live there: `x` (conv2d, line 23) 98 MiB, `x` (relu, line 24) 98 MiB, `conv2d#11` (conv2d, line 26) 98 MiB',
        '- workspace: 225 MiB',
        '- max batch on gpu 16 GiB: 198 (lower bound: 199)',
        // 1024-bit lanes of fp32: batch 32 is the configured batch
        '- SIMD fill: batch 32 (32 lanes), planned 2.76 GiB, fits',
        // from the planned peak: 16 GiB - 2.76 GiB
        '- device: fits gpu 16 GiB, 13.2 GiB to spare',
      ].join('\n'),
    );
  });

  it('hover on a tensor and on an op call', async () => {
    const tensor = await client.request<Hover>('textDocument/hover', { textDocument: doc, position: pos(22, 2) });
    assert.equal(
      (tensor.contents as MarkupContent).value,
      [
        '**x**: `[N, 64, 112, 112]` fp32',
        // 64 * 112 * 112 * 4 B = 3.06 MiB
        '- bytes: 3.06 MiB x N = 98 MiB at batch 32',
        // 64 * 3 * 7 * 7 = 9,408
        '- produced by `conv2d` (filters: 64, kernel: 7, stride: 2, pad: 3, bias: false), 9,408 params',
        // the batchnorm on line 24 keeps its input for its backward
        '- live from line 23 (forward) to line 24 (backward)',
        '- saved for backward',
        // 102,760,448 / 2,940,226,784 B
        '- 3.5% of the peak: 98 MiB of 2.74 GiB live at line 33 (backward of `conv2d`)',
      ].join('\n'),
    );
    const op = await client.request<Hover>('textDocument/hover', { textDocument: doc, position: pos(22, 8) });
    assert.deepEqual(op.range, range(22, 6, 22, 12));
    const text = (op.contents as MarkupContent).value;
    assert.ok(text.startsWith('**conv2d**: 2-D convolution'), text);
    assert.ok(text.endsWith('- output: `[N, 64, 112, 112]` fp32, 3.06 MiB x N = 98 MiB at batch 32\n- arguments: filters: 64, kernel: 7, stride: 2, pad: 3, bias: false\n- params: 9,408'), text);
  });

  it('hover on a block call: the totals of its expansion', async () => {
    const h = await client.request<Hover>('textDocument/hover', { textDocument: doc, position: pos(26, 16) });
    assert.equal(
      (h.contents as MarkupContent).value,
      [
        '**bottleneck**: block call `bottleneck(x, width, out, stride: 1, project: false)`',
        '- output: `[N, 256, 56, 56]` fp32',
        // repeat 2: two expansions of 10 ops each
        '- ops: 20',
        // 2 * (256*64 + 64*64*9 + 64*256) conv weights + 2 * 2 * (64 + 64 + 256) batch-norm scale and shift
        '- params: 140,800 trainable, 1,536 non-trainable',
        '- weights: 556 KiB',
        '- activations: 33.7 MiB x N = 1.05 GiB at batch 32',
      ].join('\n'),
    );
  });

  it('hover on a block definition: call sites and every expansion', async () => {
    const h = await client.request<Hover>('textDocument/hover', { textDocument: doc, position: pos(10, 8) });
    assert.equal(
      (h.contents as MarkupContent).value,
      [
        '**block** `bottleneck(x, width, out, stride: 1, project: false)`',
        '- 8 call sites',
        // 1 + 2 + 1 + 3 + 1 + 5 + 1 + 2 expansions; everything but the stem and the head
        '- in `resnet50`: 16 expansions, 168 ops, 23,498,496 trainable, 52,992 non-trainable params, activations 133 MiB x N = 4.17 GiB at batch 32',
      ].join('\n'),
    );
  });

  it('inlay hints: one per model statement in the range', async () => {
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: doc, range: range(21, 0, 25, 0) });
    assert.deepEqual(
      hints.map((h) => [h.position.line, h.position.character, h.label]),
      [
        [21, 24, '588 KiB x N'],
        [22, 62, '3.06 MiB x N · +9.41K params'],
        // batchnorm and relu outputs; 64 scale + 64 shift + 128 running statistics
        [23, 24, '6.13 MiB x N · +256 params'],
        [24, 46, '784 KiB x N'],
      ],
    );
  });

  it('code lenses above the model: the planned peak against the device, then weights and activations', async () => {
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: doc });
    assert.deepEqual(lenses, [
      { range: range(20, 0, 20, 0), command: { title: '25.6M params · peak 2.76 GiB @ batch 32 (train, fp32) · fits 16 GiB up to batch 198', command: '' } },
      { range: range(20, 0, 20, 0), command: { title: 'weights 97.5 MiB · activations 4.5 GiB @ batch 32', command: '' } },
      // the client's command opens the memory view on this model (its uri and the model's line)
      { range: range(20, 0, 20, 0), command: { title: '$(graph) memory view', command: 'memlens.showMemoryView', arguments: [URI, 20] } },
    ]);
  });

  it('completion of named arguments inside a call, and of op and block names', async () => {
    // `  x = conv2d(x, 64, |kernel: 7, ...`
    const items = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: doc, position: pos(22, 20) });
    const labels = items.map((i) => i.label);
    assert.deepEqual(labels.slice(0, 7), ['kernel:', 'stride:', 'pad:', 'dilation:', 'groups:', 'bias:', 'activation:']);
    assert.ok(labels.includes('conv2d') && labels.includes('bottleneck') && labels.includes('x'), labels.join(' '));
    assert.equal(items.find((i) => i.label === 'bottleneck')?.detail, 'block bottleneck(x, width, out, stride: 1, project: false)');
  });

  it('definition and references of a block', async () => {
    const def = await client.request<Location[]>('textDocument/definition', { textDocument: doc, position: pos(26, 16) });
    assert.deepEqual(def, [{ uri: URI, range: range(10, 6, 10, 16) }]);
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: doc, position: pos(10, 8), context: { includeDeclaration: true } });
    assert.deepEqual(
      refs.map((l) => [l.range.start.line, l.range.start.character]),
      [[10, 6], [25, 6], [26, 15], [27, 6], [28, 15], [29, 6], [30, 15], [31, 6], [32, 15]],
    );
  });

  it('document symbols: config, the block and its names, the model and its tensors', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: doc });
    assert.deepEqual(
      symbols.map((s) => [s.name, s.kind, s.children?.length]),
      [['config', 3, 6], ['bottleneck', 12, 11], ['resnet50', 5, 13]],
    );
    assert.deepEqual(symbols[2]!.selectionRange, range(20, 6, 20, 14));
  });

  it('signature help inside a call', async () => {
    const help = await client.request<SignatureHelp>('textDocument/signatureHelp', { textDocument: doc, position: pos(22, 20) });
    assert.equal(help.signatures[0]!.label, 'conv2d(x, filters: int, kernel: intOrInts, stride = 1, pad = 0, dilation = 1, groups = 1, bias = true, activation = linear)');
    assert.equal(help.activeParameter, 2);
  });

  it('a settings change re-analyses open documents with the new defaults', async () => {
    const tiny = 'untitled:tiny.nnm';
    const modelHover = async () =>
      ((await client.request<Hover>('textDocument/hover', { textDocument: { uri: tiny }, position: pos(0, 7) })).contents as MarkupContent).value.split('\n')[0];
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: tiny, languageId: 'nnm', version: 1, text: 'model tiny {\n  x = input(10)\n  return dense(x, 5)\n}\n' },
    });
    await client.diagnostics(tiny, version(1), 'after opening a file without config');
    assert.equal(await modelHover(), '**model tiny**: train · batch 32 · fp32 · sgd · v100-16gb');
    client.settings = { batch: 4, device: 'a100-40gb', optimizer: 'adam', diagnostics: { delayMs: 0 } };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    // both open documents are published again; resnet50's own config still wins there
    await client.diagnostics(tiny, version(1), 'tiny.nnm after the settings change');
    assert.deepEqual(problems(await client.diagnostics(URI, version(3), 'resnet50.nnm after the settings change')), []);
    assert.equal(await modelHover(), '**model tiny**: train · batch 4 · fp32 · adam · a100-40gb');
    const lens = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: doc });
    assert.match(lens[0]!.command!.title, /peak 2\.76 GiB @ batch 32 \(train, fp32\) · fits 16 GiB up to batch 198$/);
  });

  it('a TypeScript file with a TensorFlow.js model: the parser loads, then hover and code lens', async () => {
    const file = join(ROOT, 'test', 'fixtures', 'tfjs', 'mlp.ts');
    const uri = pathToFileURL(file).href;
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: readFileSync(file, 'utf8') } });
    // while the wasm parser loads the file may get a "still loading" note; the final answer has no problems
    const loaded = (p: PublishDiagnosticsParams) => p.version === 1 && !p.diagnostics.some((d) => /still loading/.test(typeof d.message === 'string' ? d.message : d.message.value));
    assert.deepEqual(problems(await client.diagnostics(uri, loaded, 'mlp.ts once the TypeScript parser is loaded', 15_000)), []);
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    // 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10 = 235,146 parameters
    assert.equal(lenses.length, 3);
    assert.match(lenses[0]!.command!.title, /^235K params · peak /);
    assert.equal(lenses[2]!.command!.command, 'memlens.showMemoryView');
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('a PyTorch file: hover on the layer built in __init__ and on the forward line, code lens, the batch quick fix', async () => {
    const file = join(ROOT, 'test', 'fixtures', 'python', 'lenet.py');
    const uri = pathToFileURL(file).href;
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    const loaded = (p: PublishDiagnosticsParams) => p.version === 1 && !p.diagnostics.some((d) => /still loading/.test(typeof d.message === 'string' ? d.message : d.message.value));
    const published = await client.diagnostics(uri, loaded, 'lenet.py once the Python parser is loaded', 15_000);
    assert.deepEqual(problems(published), []);
    assert.ok(published.diagnostics.every((d) => d.source === 'memlens'));
    const hoverText = async (line: number, needle: string): Promise<string> => {
      const character = lines[line]!.indexOf(needle);
      assert.ok(character >= 0, `${needle} on line ${line + 1}`);
      const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(line, character + 1) });
      assert.ok(h, `a hover on line ${line + 1}`);
      return (h.contents as MarkupContent).value;
    };
    const conv1 = lines.findIndex((l) => l.includes('self.conv1 = nn.Conv2d'));
    const forward = lines.findIndex((l) => l.includes('F.relu(self.conv1(x))'));
    // [N, 6, 24, 24] at batch 8: 6 * 24 * 24 * 4 bytes = 13.5 KiB per sample; 6 * 25 + 6 = 156 parameters
    const atInit = await hoverText(conv1, 'nn.Conv2d');
    assert.match(atInit, /\[N, 6, 24, 24\]/);
    assert.match(atInit, /156/);
    assert.match(await hoverText(forward, 'self.conv1'), /\[N, 6, 24, 24\]/);
    // a line with nothing of memlens gets no hover at all (Pylance answers there)
    assert.equal(await client.request('textDocument/hover', { textDocument: { uri }, position: pos(lines.findIndex((l) => l.startsWith('import torch.nn as nn')), 2) }), null);
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(lenses.some((l) => /^44\.4K params · peak .* @ batch 8 \(train, fp32\)/.test(l.command?.title ?? '')), JSON.stringify(lenses.map((l) => l.command?.title)));
    // batch 8 leaves SIMD lanes idle (NNM206): its fix edits the example tensor's batch literal
    const underfill = published.diagnostics.find((d) => d.code === 'NNM206');
    assert.ok(underfill, JSON.stringify(published.diagnostics));
    const actions = await client.request<{ title: string; edit?: { changes: Record<string, { newText: string; range: { start: { line: number } } }[]> } }[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: underfill.range,
      context: { diagnostics: [underfill] },
    });
    const setBatch = actions.find((a) => a.title.startsWith('Set batch to 32'));
    assert.ok(setBatch, JSON.stringify(actions.map((a) => a.title)));
    const [change] = setBatch.edit!.changes[uri]!;
    assert.equal(change!.newText, '32');
    assert.match(lines[change!.range.start.line]!, /torch\.randn\(8, 1, 28, 28\)/);
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('a Python file without torch or Keras stays silent', async () => {
    const plain = 'untitled:plain.py';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: plain, languageId: 'python', version: 1, text: 'import numpy as np\nx = np.zeros(3)\n' } });
    assert.deepEqual(await client.request('textDocument/codeLens', { textDocument: { uri: plain } }), []);
    assert.equal(await client.request('textDocument/hover', { textDocument: { uri: plain }, position: pos(0, 3) }), null);
    const marker = 'untitled:marker-py.nnm';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: marker, languageId: 'nnm', version: 1, text: '' } });
    await client.diagnostics(marker, version(1), 'the marker file');
    assert.deepEqual(client.unconsumed(plain), []);
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: plain } });
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: marker } });
  });

  it('a TypeScript file without TensorFlow.js stays silent', async () => {
    const plain = 'untitled:plain.ts';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: plain, languageId: 'typescript', version: 1, text: 'export const x: number = 1;\n' } });
    assert.deepEqual(await client.request('textDocument/codeLens', { textDocument: { uri: plain } }), []);
    assert.deepEqual(await client.request('textDocument/inlayHint', { textDocument: { uri: plain }, range: range(0, 0, 1, 0) }), []);
    // messages arrive in order: once a later .nnm file is answered, nothing was sent for plain.ts
    const marker = 'untitled:marker.nnm';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: marker, languageId: 'nnm', version: 1, text: '' } });
    await client.diagnostics(marker, version(1), 'the marker file');
    assert.deepEqual(client.unconsumed(plain), []);
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: plain } });
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: marker } });
  });

  it('junk input gets diagnostics and empty answers, never a crash', async () => {
    const junk = 'untitled:junk.nnm';
    const text = 'model {{ ((( x = = conv2d(,,\u0000\u0007 \uFFFD\nblock b( { repeat 99999999999 b(x)\n}}}}) config { batch: 1e30 device: ?? }';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: junk, languageId: 'nnm', version: 1, text } });
    const published = await client.diagnostics(junk, version(1), 'diagnostics of a junk file');
    assert.ok(published.diagnostics.some((d) => d.severity === 1), JSON.stringify(published.diagnostics));
    assert.ok(published.diagnostics.every((d) => typeof d.code === 'string' && d.source === 'memlens'));
    for (let line = 0; line < 3; line++) {
      for (const character of [0, 5, 12, 30]) {
        const at = { textDocument: { uri: junk }, position: pos(line, character) };
        await client.request('textDocument/hover', at);
        await client.request('textDocument/completion', at);
        await client.request('textDocument/signatureHelp', at);
        await client.request('textDocument/definition', at);
      }
    }
    await client.request('textDocument/inlayHint', { textDocument: { uri: junk }, range: range(0, 0, 9, 0) });
    await client.request('textDocument/documentSymbol', { textDocument: { uri: junk } });
    // a document the server never saw
    assert.equal(await client.request('textDocument/hover', { textDocument: { uri: 'untitled:nothing.nnm' }, position: pos(0, 0) }), null);
    assert.deepEqual(await client.request('textDocument/codeLens', { textDocument: { uri: 'untitled:nothing.nnm' } }), []);
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: junk } });
  });

  it('closing clears its diagnostics; shutdown and exit end the process', async () => {
    await client.connection.sendNotification('textDocument/didClose', { textDocument: doc });
    const cleared = await client.diagnostics(URI, (p) => p.version === undefined, 'after didClose');
    assert.deepEqual(cleared.diagnostics, []);
    await client.request('shutdown', null);
    await client.connection.sendNotification('exit');
    assert.equal(await client.exited(), 0);
    assert.doesNotMatch(client.stderr(), /failed|uncaught|unhandled/i);
    assert.deepEqual(client.loggedErrors, [], 'no handler threw');
  });
});

describe('settings at startup', () => {
  it('the settings pulled at initialization apply to the first answers, hover included', async () => {
    const client = startServer({ batch: 4, device: 'a100-40gb', inlayHints: { showParams: false } });
    try {
      await initialize(client);
      const uri = 'untitled:first.nnm';
      await client.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'nnm', version: 1, text: 'model first {\n  x = input(10)\n  return dense(x, 5)\n}\n' },
      });
      // asked before the diagnostics arrive: it must not be answered with the built-in defaults
      const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(0, 7) });
      assert.equal((h.contents as MarkupContent).value.split('\n')[0], '**model first**: train · batch 4 · fp32 · sgd · a100-40gb');
      await client.diagnostics(uri, (p) => p.version === 1, 'first.nnm');
      const hints = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: range(0, 0, 4, 0) });
      // input: 10 * 4 B; dense: 5 * 4 B, its 55 params not shown
      assert.deepEqual(hints.map((x) => x.label), ['40 B x N', '20 B x N']);
      await client.request('shutdown', null);
      await client.connection.sendNotification('exit');
      assert.equal(await client.exited(), 0);
    } finally {
      client.kill();
    }
  });
});
