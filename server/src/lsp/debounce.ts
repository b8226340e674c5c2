// Leading + trailing debounce per key: the first change after a quiet period runs at once
// (a single edit round-trips in milliseconds); a burst coalesces into one run `delay` after its last change.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface KeyState {
  lastChange: number;
  timer?: unknown;
}

export class Debouncer {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly run: (key: string) => void,
    private readonly delay: () => number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** a change to `key`: run now when it has been quiet, else (re)arm the trailing run */
  change(key: string): void {
    const now = this.clock.now();
    const state = this.keys.get(key);
    const delay = this.delay();
    if (!state || (state.timer === undefined && now - state.lastChange >= delay)) {
      this.keys.set(key, { lastChange: now });
      this.run(key);
      return;
    }
    state.lastChange = now;
    if (state.timer !== undefined) this.clock.clearTimeout(state.timer);
    state.timer = this.clock.setTimeout(() => {
      state.timer = undefined;
      this.run(key);
    }, delay);
  }

  /** run now, dropping a pending trailing run (open, settings change); the next change is a leading edge */
  flush(key: string): void {
    this.cancel(key);
    this.run(key);
  }

  cancel(key: string): void {
    const state = this.keys.get(key);
    if (state?.timer !== undefined) this.clock.clearTimeout(state.timer);
    this.keys.delete(key);
  }
}
