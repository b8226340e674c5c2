import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestGate } from '../../../server/src/lsp/requestGate';

/** a hand-driven event loop: each `tick` runs the callbacks queued before it */
function loop() {
  let queue: (() => void)[] = [];
  return {
    turn: (fn: () => void) => void queue.push(fn),
    tick: () => {
      const now = queue;
      queue = [];
      for (const fn of now) fn();
    },
  };
}

test('settles after a turn without requests, never on the first turn', async () => {
  const l = loop();
  const gate = new RequestGate(16, l.turn);
  let settled = false;
  void gate.settled().then(() => (settled = true));
  l.tick();
  await Promise.resolve();
  assert.equal(settled, false, 'the first turn runs before the message behind the edit');
  l.tick();
  await Promise.resolve();
  assert.equal(settled, true);
});

test('waits while requests keep being dispatched, up to its bound', async () => {
  const l = loop();
  const gate = new RequestGate(5, l.turn);
  let settledAt = -1;
  let ticks = 0;
  void gate.settled().then(() => (settledAt = ticks));
  while (ticks < 10 && settledAt < 0) {
    gate.noteRequest();
    ticks++;
    l.tick();
    await Promise.resolve();
  }
  assert.equal(settledAt, 5, 'a stream of requests cannot hold the analysis back past maxTurns');
});
