// Quick fixes end to end: the bundled server offers each fix for its finding, the test applies the
// WorkspaceEdit as a client would (didChange), the server re-publishes, and the new text and figures
// are checked against the effect the title promised (figures from a fresh analysis of the new text).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, PublishDiagnosticsParams, TextEdit } from 'vscode-languageserver-protocol';
import { analyzeDocument } from '../../server/src/core/analyze';
import { applyEdits } from '../../server/src/core/fixes/edits';
import { formatBytes } from '../../server/src/core/units';
import { fixture } from '../unit/rules/fixture';
import { ensureServerBuilt, initialize, ROOT, startServer, type Client } from './lspClient';

const planned = (text: string): number => analyzeDocument(text, 'nnm').models[0]!.memory!.bytes.planned;
const maxBatch = (text: string): number | null => analyzeDocument(text, 'nnm').models[0]!.memory!.maxBatch.planned.batch;

describe('code actions over stdio', () => {
  let client: Client;
  let n = 0;

  before(async () => {
    ensureServerBuilt();
    client = startServer({});
    const init = await initialize(client);
    assert.deepEqual(init.capabilities['codeActionProvider'], { codeActionKinds: ['quickfix', 'source.fixAll.memlens'], resolveProvider: false });
  });
  after(() => client?.kill());

  /** open a fixture under a fresh uri; the published diagnostic with `code` */
  async function open(text: string, code: string): Promise<{ uri: string; diagnostic: Diagnostic | undefined; all: Diagnostic[] }> {
    const uri = pathToFileURL(join(ROOT, `fixture-${++n}.nnm`)).href;
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nnm', version: 1, text } });
    const p = await client.diagnostics(uri, (d: PublishDiagnosticsParams) => d.version === 1, `open ${code}`);
    return { uri, diagnostic: p.diagnostics.find((d) => d.code === code), all: p.diagnostics };
  }

  async function actions(uri: string, diagnostic: Diagnostic, only?: string[]): Promise<CodeAction[]> {
    return client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], ...(only ? { only } : {}) },
    }, 20_000);
  }

  /** apply an action's edit through didChange; the text and the codes the server publishes for it */
  async function apply(uri: string, text: string, action: CodeAction): Promise<{ text: string; codes: string[] }> {
    const edits = action.edit!.changes![uri] as TextEdit[];
    const next = applyEdits(text, edits);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: next }] });
    const p = await client.diagnostics(uri, (d: PublishDiagnosticsParams) => d.version === 2, 'after the fix');
    return { text: next, codes: p.diagnostics.map((d) => String(d.code)) };
  }

  it('make in-place: title shows the peak change the re-analysis gives', async () => {
    const text = fixture('missedInPlace.trigger');
    const { uri, diagnostic } = await open(text, 'NNM205');
    assert.ok(diagnostic);
    const list = await actions(uri, diagnostic);
    assert.deepEqual(list.map((a) => a.title), ['Make relu in-place (peak -4.59 MiB)', 'Ignore NNM205 here (memlens-ignore comment)']);
    assert.equal(list[0]!.kind, 'quickfix');
    assert.equal(list[0]!.isPreferred, true);
    const r = await apply(uri, text, list[0]!);
    assert.equal(r.text, text.replace('z = relu(y)', 'z = relu(y, inplace: true)'));
    assert.equal(planned(text) - planned(r.text), 4816896);
    assert.equal(formatBytes(4816896), '4.59 MiB');
    assert.ok(!r.codes.includes('NNM205') && !r.codes.includes('NNM202'));
  });

  it('source.fixAll.memlens applies every legal in-place', async () => {
    const text = fixture('missedInPlace.trigger').replace('z = relu(y)', 'z = relu(sigmoid(y))');
    const { uri, all } = await open(text, 'NNM206');
    const list = await actions(uri, all[0]!, ['source.fixAll']);
    assert.deepEqual(list.map((a) => [a.title, a.kind]), [['Make 2 ops in-place (peak -4.59 MiB)', 'source.fixAll.memlens']]);
    const r = await apply(uri, text, list[0]!);
    assert.equal(planned(text) - planned(r.text), 4816896);
    assert.ok(!r.codes.includes('NNM202'));
  });

  it('set batch to the largest that fits: the budget error is gone, the new peak as titled', async () => {
    const text = fixture('budget.trigger');
    const { uri, diagnostic } = await open(text, 'NNM201');
    const list = await actions(uri, diagnostic!);
    const fix = list.find((a) => a.title.startsWith('Set batch to 27'))!;
    assert.ok(fix, list.map((a) => a.title).join('\n'));
    const r = await apply(uri, text, fix);
    assert.equal(r.text, text.replace('batch: 64', 'batch: 27'));
    assert.equal(fix.title, `Set batch to 27, the largest that fits gpu (peak 9.22 GiB -> ${formatBytes(planned(r.text))}, fits 4 GiB)`);
    assert.ok(planned(r.text) <= 4 * 1024 ** 3);
    assert.ok(!r.codes.includes('NNM201'));
  });

  it('switch precision to mixed: peak and max batch as titled', async () => {
    const text = fixture('precision.trigger');
    const { uri, diagnostic } = await open(text, 'NNM207');
    const list = await actions(uri, diagnostic!);
    const fix = list.find((a) => a.title.startsWith('Switch precision to mixed'))!;
    const r = await apply(uri, text, fix);
    assert.equal(r.text, text.replace('precision: fp32', 'precision: mixed'));
    assert.equal(fix.title, `Switch precision to mixed (peak 1.55 GiB -> ${formatBytes(planned(r.text))}, max batch 10591 -> ${maxBatch(r.text)})`);
    assert.ok(!r.codes.includes('NNM207'));
  });

  it('checkpoint the repeat: fits the device as titled', async () => {
    const text = fixture('checkpointCandidate.trigger');
    const { uri, diagnostic } = await open(text, 'NNM208');
    const list = await actions(uri, diagnostic!);
    const fix = list.find((a) => a.title.startsWith('Checkpoint repeat unit'))!;
    const r = await apply(uri, text, fix);
    assert.equal(r.text, text.replace('repeat 8 unit(x)', 'repeat 8 unit(x, checkpoint: true)'));
    assert.equal(fix.title, `Checkpoint repeat unit (peak 305 MiB -> ${formatBytes(planned(r.text))}, fits 256 MiB)`);
    assert.ok(!r.codes.includes('NNM201') && !r.codes.includes('NNM208'));
  });

  it('remove a dead tensor: its line goes, the finding with it', async () => {
    const text = fixture('deadTensor.trigger');
    const { uri, diagnostic } = await open(text, 'NNM209');
    const list = await actions(uri, diagnostic!);
    assert.equal(list[0]!.title, `Remove dead tensor 'side' (peak -${formatBytes(planned(text) - planned(text.replace('  side = conv2d(x, 8, kernel: 1)  # debugging branch\n', '')))})`);
    const r = await apply(uri, text, list[0]!);
    assert.equal(r.text, text.replace('  side = conv2d(x, 8, kernel: 1)  # debugging branch\n', ''));
    assert.ok(!r.codes.includes('NNM209'));
  });

  it('ignore comment: inserted above, the finding is silenced', async () => {
    const text = fixture('loweringBloat.trigger');
    const { uri, diagnostic } = await open(text, 'NNM204');
    const list = await actions(uri, diagnostic!);
    assert.deepEqual(list.map((a) => a.title), ['Ignore NNM204 here (memlens-ignore comment)']);
    const r = await apply(uri, text, list[0]!);
    assert.equal(r.text, text.replace('  x = conv2d(x, 64, kernel: 3', '  # memlens-ignore NNM204\n  x = conv2d(x, 64, kernel: 3'));
    assert.ok(!r.codes.includes('NNM204'));
  });
});

describe('rule settings over stdio', () => {
  it('memlens.rules.missedInPlace = off and a raised threshold silence their rules', async () => {
    const client = startServer({ rules: { missedInPlace: 'off', simdUnderfill: 'warning' }, thresholds: { loweringBloatBytes: '4GiB' } });
    try {
      await initialize(client);
      const open = async (name: string) => {
        const uri = pathToFileURL(join(ROOT, `settings-${name}.nnm`)).href;
        await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nnm', version: 1, text: fixture(name) } });
        return (await client.diagnostics(uri, (d: PublishDiagnosticsParams) => d.version === 1, name)).diagnostics;
      };
      const inPlace = await open('missedInPlace.trigger');
      assert.deepEqual(inPlace.map((d) => [d.code, d.severity]), [['NNM206', 2]]); // NNM205 off; NNM206 raised to warning
      assert.deepEqual((await open('loweringBloat.trigger')).filter((d) => d.code === 'NNM204'), []);
    } finally {
      client.kill();
    }
  });
});
