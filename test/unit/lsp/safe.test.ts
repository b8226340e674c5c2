import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safe } from '../../../server/src/lsp/safe';

test('a handler that throws answers its fallback and logs the error', async () => {
  const logged: string[] = [];
  const handler = safe<number, string[]>('textDocument/hover', [], () => {
    throw new Error('boom');
  }, (m) => logged.push(m));
  assert.deepEqual(await handler(1), []);
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /^memlens: textDocument\/hover failed: Error: boom/);
});

test('a rejected promise is caught the same way; a good handler passes its result through', async () => {
  const logged: string[] = [];
  const failing = safe<void, null>('x', null, () => Promise.reject(new Error('later')), (m) => logged.push(m));
  assert.equal(await failing(), null);
  assert.equal(await safe<number, number>('y', 0, (n) => n * 2, (m) => logged.push(m))(21), 42);
  assert.equal(logged.length, 1);
});
