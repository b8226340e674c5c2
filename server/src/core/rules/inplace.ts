// NNM202: an in-place request the liveness analysis cannot honour, with the reason.
import type { CoreDiagnostic, Graph } from '../ir';
import type { MemoryAnalysis } from '../analysis/memory';
import { opAt } from '../graphObjects';

export const INPLACE_CODE = 'NNM202';

export function inPlaceDiagnostics(graph: Graph, memory: MemoryAnalysis): CoreDiagnostic[] {
  const out: CoreDiagnostic[] = [];
  // a block body expanded K times reports its call once per distinct reason
  const seen = new Set<string>();
  for (const d of memory.inPlace.decisions) {
    if (d.legal) continue;
    const node = opAt(graph, d.op);
    const key = `${node.site.start.line}:${node.site.start.character}:${d.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      range: node.site,
      severity: 'error',
      code: INPLACE_CODE,
      message: `${node.op} cannot run in place: ${d.reason ?? 'not allowed'}`,
    });
  }
  return out;
}
