// Requests that must not wait for a re-analysis: answered from the latest analysis, anchored to
// the current text; a request cancelled while it waited is answered with RequestCancelled.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancellationTokenSource, LSPErrorCodes, ResponseError, type Hover, type InlayHint, type MarkupContent } from 'vscode-languageserver-protocol';
import { ensureServerBuilt, initialize, startServer, withTimeout, type Client } from './lspClient';

const TEXT = 'model m {\n  x = input(10)\n  h = dense(x, 5)\n  return relu(h)\n}\n';
const uri = 'untitled:stale.nnm';
const pos = (line: number, character: number) => ({ line, character });
const firstLine = (h: Hover | null) => (h?.contents as MarkupContent | undefined)?.value.split('\n')[0];

/** a server with TEXT open and its first diagnostics received */
async function openedClient(): Promise<Client> {
  ensureServerBuilt();
  const client = startServer({});
  try {
    await initialize(client);
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nnm', version: 1, text: TEXT } });
    await client.diagnostics(uri, (p) => p.version === 1, 'version 1');
    return client;
  } catch (err) {
    client.kill();
    throw err;
  }
}

describe('requests around an edit', () => {
  it('a hover and inlay hints sent right behind an edit answer for the text as it now is', async () => {
    const client = await openedClient();
    try {
      const before = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(2, 2) });
      assert.equal(firstLine(before), '**h**: `[N, 5]` fp32');
      assert.deepEqual(before.range, { start: pos(2, 2), end: pos(2, 3) });
      // two lines inserted above the model, the hover and hints asked at once, not awaited in between
      const edit = client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: pos(0, 0), end: pos(0, 0) }, text: '# a\n# b\n' }],
      });
      const hover = client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(4, 2) });
      const hints = client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: pos(0, 0), end: pos(7, 0) } });
      await edit;
      const after = await hover;
      assert.equal(firstLine(after), '**h**: `[N, 5]` fp32');
      assert.deepEqual(after.range, { start: pos(4, 2), end: pos(4, 3) });
      // one hint at the end of each statement, on its new line
      assert.deepEqual((await hints).map((h) => h.position.line), [3, 4, 5]);
      await client.diagnostics(uri, (p) => p.version === 2, 'version 2');
    } finally {
      client.kill();
    }
  });

  it('code lenses and inlay hints answered from the version before are asked again once the edit is analysed', async () => {
    const client = await openedClient();
    try {
      // a plain edit: nothing was answered from an earlier version, nothing to refresh
      await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: TEXT.replace('dense(x, 5)', 'dense(x, 6)') }] });
      await client.diagnostics(uri, (p) => p.version === 2, 'version 2');
      assert.deepEqual(client.refreshes, []);
      // the edit and a code-lens request in one write: both are queued before either is handled, so
      // the lens is answered from version 2's analysis while version 3 waits
      const frame = (message: object) => {
        const body = JSON.stringify({ jsonrpc: '2.0', ...message });
        return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      };
      client.process.stdin!.write(
        frame({ method: 'textDocument/didChange', params: { textDocument: { uri, version: 3 }, contentChanges: [{ text: TEXT.replace('dense(x, 5)', 'dense(x, 7)') }] } }) +
          frame({ id: 'lens-behind-the-edit', method: 'textDocument/codeLens', params: { textDocument: { uri } } }),
      );
      await client.diagnostics(uri, (p) => p.version === 3, 'version 3');
      // bounded poll: the refreshes follow the publish
      for (const deadline = Date.now() + 5000; client.refreshes.length < 2 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual([...client.refreshes].sort(), ['workspace/codeLens/refresh', 'workspace/inlayHint/refresh']);
    } finally {
      client.kill();
    }
  });

  it('a request cancelled while it was queued is answered with RequestCancelled; the next one is answered', async () => {
    ensureServerBuilt();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const client = startServer({}, held);
    try {
      await initialize(client);
      await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nnm', version: 1, text: TEXT } });
      // requests wait for the first settings, which this client holds back
      const source = new CancellationTokenSource();
      const cancelled = client.connection.sendRequest<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(2, 2) }, source.token);
      source.cancel();
      release();
      await assert.rejects(withTimeout(cancelled, 5000, 'the cancelled hover'), (err: unknown) => err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled);
      const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: pos(2, 2) });
      assert.equal(firstLine(hover), '**h**: `[N, 5]` fp32');
      assert.deepEqual(client.loggedErrors, []);
    } finally {
      client.kill();
    }
  });
});
