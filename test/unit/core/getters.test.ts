// withGetters (core/getters.ts) and Attachment (core/attach.ts) replace object-literal getters and
// WeakMap caches on the keystroke path: the objects must look to callers exactly as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withGetters } from '../../../server/src/core/getters';
import { Attachment } from '../../../server/src/core/attach';

test('withGetters: own enumerable getters, read on every access, equal to the literal they replace', () => {
  let reads = 0;
  const made = withGetters({ a: 1 }, { b: () => ++reads });
  assert.equal(reads, 0, 'nothing computed before a read');
  assert.equal(made.b, 1);
  assert.equal(made.b, 2, 'the thunk runs on each read (memoising is its own business)');
  assert.deepEqual(Object.keys(made), ['a', 'b']);
  const descriptor = Object.getOwnPropertyDescriptor(made, 'b')!;
  assert.equal(typeof descriptor.get, 'function');
  assert.equal(descriptor.enumerable, true);
  assert.deepEqual(withGetters({ a: 1 }, { b: () => 5 }), { a: 1, b: 5 });
  assert.equal(JSON.stringify(withGetters({ a: 1 }, { b: () => 5 })), '{"a":1,"b":5}');
  assert.deepEqual({ ...withGetters({ a: 1 }, { b: () => 5 }) }, { a: 1, b: 5 });
  // one getter function per property name, whatever object it is on
  const other = withGetters({ a: 2 }, { b: () => 7 });
  assert.equal(Object.getOwnPropertyDescriptor(other, 'b')!.get, descriptor.get);
  assert.equal(other.b, 7);
});

test('Attachment: a value kept on its owner, invisible to keys, JSON and deep equality', () => {
  const first = new Attachment<object, number>('first');
  const second = new Attachment<object, number>('second');
  const owner = { x: 1 };
  assert.equal(first.get(owner), undefined);
  first.set(owner, 10);
  second.set(owner, 20);
  first.set(owner, 11);
  assert.equal(first.get(owner), 11);
  assert.equal(second.get(owner), 20);
  assert.deepEqual(Object.keys(owner), ['x']);
  assert.equal(JSON.stringify(owner), '{"x":1}');
  assert.deepEqual(owner, { x: 1 });
  assert.equal(first.get({ x: 1 }), undefined, 'kept per object, not per value');
});
