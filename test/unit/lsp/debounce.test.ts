import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, type Clock } from '../../../server/src/lsp/debounce';

/** a clock whose time moves only when told, with timers fired by `advance` */
class FakeClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.time) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

function setup(delay = 150) {
  const clock = new FakeClock();
  const runs: [string, number][] = [];
  const d = new Debouncer((key) => runs.push([key, clock.time]), () => delay, clock);
  return { clock, runs, d };
}

test('the first change after a quiet period runs at once (leading edge)', () => {
  const { clock, runs, d } = setup();
  d.change('a');
  assert.deepEqual(runs, [['a', 0]]);
  clock.advance(1000);
  assert.deepEqual(runs, [['a', 0]], 'no trailing run after a single change');
  d.change('a');
  assert.deepEqual(runs, [['a', 0], ['a', 1000]]);
});

test('a burst coalesces into one trailing run, delay after its last change', () => {
  const { clock, runs, d } = setup();
  d.change('a'); // leading, t=0
  for (let i = 0; i < 5; i++) {
    clock.advance(50);
    d.change('a'); // t = 50 .. 250
  }
  assert.deepEqual(runs, [['a', 0]]);
  clock.advance(149);
  assert.deepEqual(runs, [['a', 0]]);
  clock.advance(1);
  assert.deepEqual(runs, [['a', 0], ['a', 400]]);
});

test('keys are independent; flush runs now and drops the pending run; cancel drops it', () => {
  const { clock, runs, d } = setup();
  d.change('a');
  d.change('b');
  clock.advance(10);
  d.change('a'); // pending trailing for a
  d.flush('a');
  d.change('b'); // pending trailing for b
  d.cancel('b');
  clock.advance(500);
  assert.deepEqual(runs, [['a', 0], ['b', 0], ['a', 10]]);
});

test('delay 0: every change runs at once', () => {
  const { runs, d } = setup(0);
  d.change('a');
  d.change('a');
  assert.equal(runs.length, 2);
});
