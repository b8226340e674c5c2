// A document that imports another file of the workspace follows that file as the editor sees it:
// its unsaved buffer while it is open, the disk once it is closed or changed outside the editor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { ensureServerBuilt, initialize, startServer, type Client } from './lspClient';

const MAIN = [
  "import * as tf from '@tensorflow/tfjs';",
  "import { UNITS } from './data';",
  'const model = tf.sequential();',
  'model.add(tf.layers.dense({ inputShape: [10], units: UNITS }));',
  '',
].join('\n');
const WITHOUT_UNITS = 'export const OTHER = 1;\n';

describe('imported files', () => {
  let dir: string;
  let client: Client;
  let mainUri: string;
  let dataUri: string;
  const importProblem = (p: PublishDiagnosticsParams) => p.diagnostics.some((d) => typeof d.message === 'string' && d.message.includes("could not import 'UNITS' from './data'"));
  const trainable = async () => (await client.request<{ text: string }>('memlens/report', { uri: mainUri })).text.match(/parameters +(\d+) trainable/)?.[1];

  before(async () => {
    ensureServerBuilt();
    dir = mkdtempSync(join(tmpdir(), 'memlens-imports-'));
    writeFileSync(join(dir, 'main.js'), MAIN);
    writeFileSync(join(dir, 'data.js'), WITHOUT_UNITS);
    mainUri = pathToFileURL(join(dir, 'main.js')).href;
    dataUri = pathToFileURL(join(dir, 'data.js')).href;
    client = startServer({});
    await initialize(client);
  });
  after(() => {
    client.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a watcher for the files imports can name', async () => {
    await client.request('textDocument/hover', { textDocument: { uri: 'untitled:none.nnm' }, position: { line: 0, character: 0 } });
    const watch = client.registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles');
    assert.deepEqual(watch?.registerOptions, { watchers: [{ globPattern: '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py}' }] });
  });

  it('an edit in the imported buffer, closing it unsaved, and a change on disk each re-analyse the importer', async () => {
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: mainUri, languageId: 'javascript', version: 1, text: MAIN } });
    await client.diagnostics(mainUri, importProblem, 'the missing export reported');

    // the user opens data.js and types the export, without saving
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: dataUri, languageId: 'javascript', version: 1, text: WITHOUT_UNITS } });
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: dataUri, version: 2 }, contentChanges: [{ text: 'export const UNITS = 4;\n' }] });
    await client.diagnostics(mainUri, (p) => p.diagnostics.length === 0, 'main.js analysed again, without an edit of its own');
    // 10 x 4 + 4
    assert.equal(await trainable(), '44');

    // closed without saving: the disk has no UNITS
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: dataUri } });
    await client.diagnostics(mainUri, importProblem, 'the disk read again');

    // saved from outside the editor (a checkout): the watcher tells the server
    writeFileSync(join(dir, 'data.js'), 'export const UNITS = 5;\n');
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: dataUri, type: 2 }] });
    await client.diagnostics(mainUri, (p) => p.diagnostics.length === 0, 'the changed file read');
    // 10 x 5 + 5
    assert.equal(await trainable(), '55');
    assert.deepEqual(client.loggedErrors, []);
  });
});
