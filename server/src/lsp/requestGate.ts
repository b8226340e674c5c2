// Lets the requests that arrived with an edit be answered before the edit's analysis runs.
// vscode-jsonrpc dispatches one queued message per event-loop turn (setImmediate), and an
// analysis is synchronous: started from the didChange handler, it would hold a hover sent right
// behind the edit for the whole analysis. `settled()` resolves once a turn has passed in which no
// request was dispatched (at most `maxTurns`, so a stream of requests cannot starve the analysis).

export type Turn = (fn: () => void) => void;

export class RequestGate {
  private dispatched = 0;

  constructor(
    private readonly maxTurns = 16,
    private readonly turn: Turn = (fn) => setImmediate(fn),
  ) {}

  /** called as each request is dispatched */
  noteRequest(): void {
    this.dispatched++;
  }

  settled(): Promise<void> {
    return new Promise((resolve) => {
      let turns = 0;
      let seen = this.dispatched;
      const step = () => {
        turns++;
        // the first turn runs before the message behind the edit is dispatched: wait one more
        if (turns >= this.maxTurns || (turns > 1 && seen === this.dispatched)) return resolve();
        seen = this.dispatched;
        this.turn(step);
      };
      this.turn(step);
    });
  }
}
