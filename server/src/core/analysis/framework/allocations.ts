// A framework's allocator as a running sum: storages are allocated and freed in the order the
// framework would, and the largest sum is the peak it holds. Storages are reference-counted
// because eager frameworks free memory when the last tensor (a view, a saved reference) lets go.

/** what a storage holds, for the breakdown of the peak */
export type AllocationKind = 'activation' | 'saved' | 'temporary' | 'activationGradient' | 'weightGradient';
export const ALLOCATION_KINDS: readonly AllocationKind[] = ['activation', 'saved', 'temporary', 'activationGradient', 'weightGradient'];

export interface Storage {
  readonly bytes: number;
  readonly kind: AllocationKind;
  refs: number;
  freed: boolean;
}

/** where the running sum stands: the op being run and in which pass */
export interface AllocationSite {
  /** step: optimizer.step() after the backward */
  readonly phase: 'forward' | 'backward' | 'step';
  /** -1 before the first op (the loss gradient's seed) */
  readonly op: number;
}

export interface AllocationPeak {
  /** bytes allocated during the step and alive at once, at its maximum */
  readonly bytes: number;
  readonly byKind: Readonly<Record<AllocationKind, number>>;
  readonly site: AllocationSite | null;
}

export class AllocationTrace {
  private live = 0;
  private readonly liveByKind = new Map<AllocationKind, number>(ALLOCATION_KINDS.map((k) => [k, 0]));
  private best: AllocationPeak = { bytes: 0, byKind: emptyByKind(), site: null };
  site: AllocationSite = { phase: 'forward', op: -1 };

  /** a storage with one reference */
  alloc(bytes: number, kind: AllocationKind): Storage {
    const storage: Storage = { bytes, kind, refs: 1, freed: false };
    this.live += bytes;
    this.liveByKind.set(kind, this.liveByKind.get(kind)! + bytes);
    if (this.live > this.best.bytes) this.best = { bytes: this.live, byKind: Object.fromEntries(this.liveByKind) as Record<AllocationKind, number>, site: this.site };
    return storage;
  }

  retain(storage: Storage): void {
    storage.refs++;
  }

  /** drops one reference; the last one frees the bytes */
  release(storage: Storage): void {
    if (storage.freed) return;
    storage.refs--;
    if (storage.refs > 0) return;
    storage.freed = true;
    this.live -= storage.bytes;
    this.liveByKind.set(storage.kind, this.liveByKind.get(storage.kind)! - storage.bytes);
  }

  get peak(): AllocationPeak {
    return this.best;
  }
}

function emptyByKind(): Record<AllocationKind, number> {
  return Object.fromEntries(ALLOCATION_KINDS.map((k) => [k, 0])) as Record<AllocationKind, number>;
}
