// NNM205 missed in-place: an op that could legally write its output over its input and would lower
// the peak if it did. The liveness engine computes the legality and the saving per op; a block body
// is one source call for many ops, so a call is offered only when every expansion is legal.
import { formatBytes } from '../units';
import type { MemoryAnalysis } from '../analysis/memory';
import type { Graph, SourceRange } from '../ir';
import { rangeKey, type RawFinding, type Rule } from './types';

export interface InPlaceSite {
  readonly site: SourceRange;
  readonly opName: string;
  /** the best single-op peak saving among its expansions (bytes at the configured batch) */
  readonly best: number;
  readonly instances: number;
}

/** source calls every expansion of which could legally run in place and does not yet */
export function inPlaceSites(graph: Graph, memory: MemoryAnalysis): InPlaceSite[] {
  const saving = new Map<number, number>();
  for (const s of memory.inPlace.savings) saving.set(s.op, s.peakSaving);
  const bySite = new Map<string, number[]>();
  for (const op of graph.ops) {
    const key = rangeKey(op.site);
    bySite.set(key, [...(bySite.get(key) ?? []), op.id]);
  }
  const out: InPlaceSite[] = [];
  const done = new Set<string>();
  for (const s of memory.inPlace.savings) {
    const op = graph.ops[s.op]!;
    const key = rangeKey(op.site);
    if (done.has(key)) continue;
    done.add(key);
    const instances = bySite.get(key)!;
    if (!instances.every((id) => saving.has(id))) continue;
    out.push({ site: op.site, opName: op.op, best: Math.max(...instances.map((id) => saving.get(id)!)), instances: instances.length });
  }
  return out;
}

export const missedInPlaceRule: Rule = {
  code: 'NNM205',
  name: 'missedInPlace',
  defaultSeverity: 'info',
  summary: 'an op could run in place and lower the peak',
  check(model, { memory }) {
    return inPlaceSites(model.graph, memory)
      .filter((s) => s.best > 0)
      .map((s): RawFinding => ({
        range: s.site,
        message: `${s.opName} could run in place (inplace: true): the peak (lower bound) drops by ${formatBytes(s.best)}${s.instances > 1 ? ` (best of ${s.instances} expansions)` : ''}`,
        fixes: [{ kind: 'inplace', sites: [s.site], opName: s.opName }],
      }));
  },
};
