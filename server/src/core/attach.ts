// A value kept on an object under a hidden symbol property: what a WeakMap would do for a cache
// per graph or per analysis, without a WeakMap's cost. V8 keeps a WeakMap entry whose key is
// young alive through minor collections (only a full collection clears it), so every analysis
// made per keystroke and cached in a WeakMap was copied and promoted instead of dropped (resnet50
// analysed in a loop promoted about 1.6 MB per minor collection). A property dies with its object.
// The property is not enumerable: spreads, JSON and deep equality do not see it.

export class Attachment<K extends object, V> {
  private readonly key: symbol;

  constructor(description: string) {
    this.key = Symbol(description);
  }

  get(owner: K): V | undefined {
    return (owner as unknown as Record<symbol, V | undefined>)[this.key];
  }

  set(owner: K, value: V): void {
    Object.defineProperty(owner, this.key, { value, configurable: true, writable: true });
  }
}
