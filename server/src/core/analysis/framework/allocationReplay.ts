// A measured allocation sequence replayed through an op rule's context: `+k` makes a tensor of
// size k, `-k` frees the oldest live one of that size (tensors of one size are interchangeable for
// the running sum), and a bare word runs one of the rule's actions (its output, an input's gradient).
import type { Temporary } from './pytorchRule';

export class AllocationReplay {
  private readonly live = new Map<number, Temporary[]>();
  constructor(
    private readonly sizes: Readonly<Record<string, number>>,
    private readonly make: (key: string, bytes: number) => Temporary,
    private readonly drop: (t: Temporary) => void,
    private readonly actions: Readonly<Record<string, () => void>> = {},
  ) {}

  adopt(t: Temporary): void {
    if (t.bytes > 0) this.list(t.bytes).push(t);
  }

  run(tokens: string): void {
    for (const token of tokens.split(' ')) {
      if (token === '') continue;
      const sign = token[0];
      if (sign !== '+' && sign !== '-') {
        const action = this.actions[token];
        if (!action) throw new Error(`allocation replay: no action ${token}`);
        action();
        continue;
      }
      const key = token.slice(1);
      const bytes = this.sizes[key];
      if (bytes === undefined) throw new Error(`allocation replay: no size ${key}`);
      if (bytes === 0) continue;
      if (sign === '+') this.list(bytes).push(this.make(key, bytes));
      else {
        const t = this.list(bytes).shift();
        if (t) this.drop(t);
      }
    }
  }

  /** what is still alive, oldest first */
  remaining(): Temporary[] {
    return [...this.live.values()].flat();
  }

  private list(bytes: number): Temporary[] {
    let l = this.live.get(bytes);
    if (!l) this.live.set(bytes, (l = []));
    return l;
  }
}
