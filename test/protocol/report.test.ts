// The custom request behind "memlens: Show Memory Report": the CLI's text report for an open document.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureServerBuilt, initialize, ROOT, startServer, withTimeout, type Client } from './lspClient';

const FILE = join(ROOT, 'examples', 'mlp.nnm');
const URI = pathToFileURL(FILE).href;

describe('memlens/report', () => {
  let client: Client;
  before(async () => {
    ensureServerBuilt();
    client = startServer({});
    await initialize(client);
  });
  after(() => client?.kill());

  it('returns the report of an open document and a message for an unknown one', async () => {
    await client.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: URI, languageId: 'nnm', version: 1, text: readFileSync(FILE, 'utf8') },
    });
    const result = await withTimeout(
      client.connection.sendRequest<{ text: string }>('memlens/report', { uri: URI }),
      10_000,
      'memlens/report',
    );
    const lines = result.text.split('\n');
    assert.match(lines[0]!, /^mlp\.nnm: model mlp \(/);
    assert.ok(lines.includes('  parameters        235,146 trainable, 0 non-trainable'), result.text);
    const missing = await withTimeout(
      client.connection.sendRequest<{ text: string }>('memlens/report', { uri: 'file:///nowhere.nnm' }),
      10_000,
      'memlens/report for an unknown document',
    );
    assert.equal(missing.text, 'memlens: file:///nowhere.nnm is not open');
  });
});
