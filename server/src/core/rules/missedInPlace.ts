// NNM205 missed in-place: an op that could legally write its output over its input and would lower
// the peak if it did. The liveness engine computes the legality and the saving per op; a block body
// is one source call for many ops, so a call is offered only when every expansion is legal.
import { formatBytes } from '../units';
import { rangeKey, type RawFinding, type Rule } from './types';

export const missedInPlaceRule: Rule = {
  code: 'NNM205',
  name: 'missedInPlace',
  defaultSeverity: 'info',
  summary: 'an op could run in place and lower the peak',
  check(model, { memory }) {
    const graph = model.graph;
    const saving = new Map<number, number>();
    for (const s of memory.inPlace.savings) saving.set(s.op, s.peakSaving);
    const bySite = new Map<string, number[]>();
    for (const op of graph.ops) {
      const key = rangeKey(op.site);
      bySite.set(key, [...(bySite.get(key) ?? []), op.id]);
    }
    const out: RawFinding[] = [];
    const done = new Set<string>();
    for (const s of memory.inPlace.savings) {
      const op = graph.ops[s.op]!;
      const key = rangeKey(op.site);
      if (done.has(key)) continue;
      done.add(key);
      const instances = bySite.get(key)!;
      if (!instances.every((id) => saving.has(id))) continue;
      const best = Math.max(...instances.map((id) => saving.get(id)!));
      if (best <= 0) continue;
      const many = instances.length > 1 ? ` (best of ${instances.length} expansions)` : '';
      out.push({
        range: op.site,
        message: `${op.op} could run in place (inplace: true): the planned peak's lower bound drops by ${formatBytes(best)}${many}`,
        fixes: [{ kind: 'inplace', sites: [op.site], opName: op.op }],
      });
    }
    return out;
  },
};
