// NNM205 missed in-place: an op call that could legally write its output over its input and would
// lower the peak if it did. The liveness engine decides legality per op; a block body is one source
// call for many ops, so a call is offered only when every expansion is legal, and its saving is that
// of all expansions at once.
import { atBatch, formatBytes } from '../units';
import type { MemoryAnalysis } from '../analysis/memory';
import type { Graph, SourceRange } from '../ir';
import { graphColumns } from '../graphColumns';
import { groupByRange } from './rangeGroups';
import type { RawFinding, Rule } from './types';

export interface InPlaceSite {
  readonly site: SourceRange;
  readonly opName: string;
  /** the peak (lower bound) drop at the configured batch if every expansion of the call ran in place */
  readonly saving: number;
  readonly instances: number;
  /** the forward steps the call lowers (one per expansion, distinct) and the bytes each loses */
  readonly lowered: Lowered;
}

/** steps and the bytes each loses, as parallel arrays; the steps are distinct */
export interface Lowered {
  readonly steps: readonly number[];
  readonly bytes: readonly number[];
}

/**
 * Live bytes per step at the batch, with the steps sorted by them once, so the drop of the peak
 * for a few lowered steps costs O(lowered) instead of a pass over the whole schedule per call.
 */
export class PeakProfile {
  private readonly live: Float64Array;
  /** the highest steps, highest live bytes first (ties: lower index); all steps once a call needs more */
  private order: Uint32Array;
  private complete: boolean;
  private scans = 0;
  /** scratch flags per step for saving() */
  private marked: Uint8Array | undefined;

  constructor(memory: MemoryAnalysis) {
    const { stepLiveFixed: fixed, stepLivePerSample: perSample, batch } = memory;
    const n = fixed.length;
    this.live = new Float64Array(n);
    for (let i = 0; i < n; i++) this.live[i] = fixed[i]! + perSample[i]! * batch;
    // most calls lower a few steps: the top few suffice, sorting every step is for the rare rest
    this.order = this.top(Math.min(n, 16));
    this.complete = this.order.length === n;
  }

  get peak(): number {
    return this.order.length > 0 ? Math.max(0, this.live[this.order[0]!]!) : 0;
  }

  /** the steps whose live bytes equal the peak (none when the peak is zero) */
  stepsAtPeak(): number[] {
    const out: number[] = [];
    if (this.peak <= 0) return out;
    const top = this.live[this.order[0]!]!;
    for (let i = 0; i < this.live.length; i++) if (this.live[i] === top) out.push(i);
    return out;
  }

  /** the k highest steps in order, by one pass keeping a short sorted list */
  private top(k: number): Uint32Array {
    const live = this.live;
    const out = new Uint32Array(k);
    let count = 0;
    // steps come in increasing order, so a step ties below every step already kept (ties: lower index first)
    for (let i = 0; i < live.length && k > 0; i++) {
      const value = live[i]!;
      if (count === k && !(value > live[out[k - 1]!]!)) continue;
      let j = count < k ? count++ : k - 1;
      while (j > 0 && value > live[out[j - 1]!]!) {
        out[j] = out[j - 1]!;
        j--;
      }
      out[j] = i;
    }
    return out;
  }

  /** the lower-bound drop when the given steps lose the given bytes */
  saving(lowered: Lowered): number {
    const { steps, bytes } = lowered;
    // mark the lowered steps (a flag per step, cleared before returning) for O(1) membership
    this.marked ??= new Uint8Array(this.live.length);
    const marked = this.marked;
    for (const step of steps) marked[step] = 1;
    try {
      let after = 0;
      if (!this.complete && steps.length >= this.order.length) {
        // a call lowering many steps: a linear scan, and after a few of those, sort every step once
        if (++this.scans > 4) {
          const order = new Uint32Array(this.live.length);
          for (let i = 0; i < order.length; i++) order[i] = i;
          this.order = order.sort((a, b) => this.live[b]! - this.live[a]! || a - b);
          this.complete = true;
        } else {
          let best = -1;
          for (let i = 0; i < this.live.length; i++) if (marked[i] !== 1 && (best < 0 || this.live[i]! > this.live[best]!)) best = i;
          if (best >= 0) after = this.live[best]!;
          for (let k = 0; k < steps.length; k++) after = Math.max(after, this.live[steps[k]!]! - bytes[k]!);
          return this.peak - Math.max(0, after);
        }
      }
      for (const step of this.order) {
        if (marked[step] !== 1) {
          after = this.live[step]!; // the highest step left untouched
          break;
        }
      }
      for (let k = 0; k < steps.length; k++) after = Math.max(after, this.live[steps[k]!]! - bytes[k]!);
      return this.peak - Math.max(0, after);
    } finally {
      for (const step of steps) marked[step] = 0;
    }
  }
}

/** the lower-bound drop when all the given calls run in place at once (their steps are disjoint: one op each) */
export function combinedSaving(profile: PeakProfile, sites: readonly InPlaceSite[]): number {
  const steps: number[] = [];
  const bytes: number[] = [];
  for (const s of sites) {
    for (let k = 0; k < s.lowered.steps.length; k++) {
      steps.push(s.lowered.steps[k]!);
      bytes.push(s.lowered.bytes[k]!);
    }
  }
  return profile.saving({ steps, bytes });
}

/**
 * Source calls every expansion of which could legally run in place and does not yet, with the drop
 * of the lower bound if they all did. In place, an op's input and output share one buffer, and they
 * were both live only at the op's own forward step, so each expansion lowers exactly that step by its
 * output's bytes (the liveness engine's accounting for one op, applied to all of a call's expansions:
 * a block body's K copies often tie for the peak, so one copy alone saves nothing).
 */
export function inPlaceSites(graph: Graph, memory: MemoryAnalysis, profile = new PeakProfile(memory)): InPlaceSite[] {
  const batch = memory.batch;
  if (memory.inPlace.candidateOps.length === 0) return [];
  // by op id: typed arrays, not Maps: one entry per op
  // the schedule runs op i's forward at step i (one forward step per op, in program order)
  const forwardSteps = Math.min(graph.ops.length, memory.stepLiveFixed.length);
  const isCandidate = new Uint8Array(graph.ops.length);
  const candidate = new Float64Array(graph.ops.length);
  const savings = memory.inPlace.savings;
  for (let k = 0; k < savings.length; k++) {
    const s = savings[k]!;
    isCandidate[s.op] = 1;
    candidate[s.op] = atBatch(s.bytes, batch);
  }
  const sites = groupByRange(graph.ops, (op) => op.site);
  const out: InPlaceSite[] = [];
  const done = new Uint8Array(sites.count);
  for (let k0 = 0; k0 < savings.length; k0++) {
    const s = savings[k0]!;
    const op = graph.ops[s.op]!;
    const site = sites.groupOf[s.op]!;
    if (done[site] === 1) continue;
    done[site] = 1;
    const first = sites.start[site]!;
    const last = sites.start[site + 1]!;
    let every = true;
    for (let k = first; k < last && every; k++) every = isCandidate[sites.members[k]!] === 1 && sites.members[k]! < forwardSteps;
    if (!every) continue;
    // exact-length arrays: a site is usually one op, and push would reserve room for sixteen
    const steps = new Array<number>(last - first);
    const bytes = new Array<number>(last - first);
    for (let k = first; k < last; k++) {
      steps[k - first] = sites.members[k]!; // op i's forward step is step i
      bytes[k - first] = candidate[sites.members[k]!]!;
    }
    const lowered: Lowered = { steps, bytes };
    out.push({ site: op.site, opName: op.op, saving: profile.saving(lowered), instances: last - first, lowered });
  }
  return out;
}

/**
 * Whether running candidates in place could lower the peak at all: a call lowers only its ops'
 * forward steps, so every step at the peak must be the forward step of a candidate op (op i runs
 * at step i). When one is not (a backward step, a non-candidate op), every saving, alone or
 * together, is zero, and the rule needs no grouping of the model's ops by call site.
 */
export function peakLowerable(opCount: number, memory: MemoryAnalysis, profile: PeakProfile): boolean {
  const peakSteps = profile.stepsAtPeak();
  if (peakSteps.length === 0) return false;
  for (const step of peakSteps) if (step >= opCount || !memory.inPlace.isCandidate(step)) return false;
  return true;
}

export const missedInPlaceRule: Rule = {
  code: 'NNM205',
  name: 'missedInPlace',
  defaultSeverity: 'info',
  summary: 'an op could run in place and lower the peak',
  check(model, { memory }) {
    const profile = new PeakProfile(memory);
    if (!peakLowerable(graphColumns(model.graph).opCount, memory, profile)) return [];
    const sites = inPlaceSites(model.graph, memory, profile);
    const out: RawFinding[] = sites
      .filter((s) => s.saving > 0)
      .map((s) => ({
        range: s.site,
        message: `${s.opName} could run in place (inplace: true)${s.instances > 1 ? ` in all ${s.instances} expansions` : ''}: the peak (lower bound) drops by ${formatBytes(s.saving)}`,
        fixes: [{ kind: 'inplace', sites: [s.site], opName: s.opName }],
      }));
    // neighbours (batchnorm then relu) that each leave the other at the peak save only together
    const together = combinedSaving(profile, sites);
    const alone = sites.reduce((m, s) => Math.max(m, s.saving), 0);
    if (sites.length > 1 && together > alone) {
      out.push({
        range: model.graph.nameRange,
        message: `${sites.length} op calls could run in place (inplace: true); together the peak (lower bound) drops by ${formatBytes(together)}${alone > 0 ? `, one alone by at most ${formatBytes(alone)}` : ', none alone'}`,
        fixes: [{ kind: 'inplace', sites: sites.map((s) => s.site), opName: `${sites.length} ops` }],
      });
    }
    return out;
  },
};
