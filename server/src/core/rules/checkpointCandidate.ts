// NNM208 checkpoint candidate: in train mode, over the device memory (or above a share of it),
// where `checkpoint: true` on the largest repeated block (a `repeat`, else a block call) would fit;
// failing that, on every repeat, then on every top-level block call.
// The after figure is the liveness engine run on the checkpointed graph.
import type { Graph, SourceRange } from '../ir';
import { graphColumns } from '../graphColumns';
import { callStackAt } from '../graphObjects';
import { formatBytes } from '../units';
import { fitWords, percent, plannedExceeds } from './describe';
import { rangeId, type Rule } from './types';
import { memoryOfGraph, withCheckpoint } from './whatIf';

export const checkpointCandidateRule: Rule = {
  code: 'NNM208',
  name: 'checkpointCandidate',
  defaultSeverity: 'hint',
  summary: 'checkpointing the largest repeated block would fit the device',
  check(model, { memory, thresholds }) {
    const graph = model.graph;
    const config = graph.config;
    const budget = config.device.memoryBytes;
    if (config.mode !== 'train' || memory.overflow || !plannedExceeds(memory, budget * thresholds.checkpointShare)) return [];
    const planned = memory.bytes.planned;
    // the largest repeated block alone, else every repeat, else every block call: the first that fits
    for (const calls of candidateSets(graph)) {
      const after = memoryOfGraph(withCheckpoint(graph, calls.map((c) => c.site))).bytes.planned;
      if (after >= planned || after > budget) continue;
      const label = calls.length === 1 ? labelOf(calls[0]!) : calls.every((c) => c.repeat) ? `${calls.length} repeats` : `${calls.length} block calls`;
      const elements = calls.reduce((s, c) => s + c.elements, 0);
      const total = forwardElements(graph);
      return [
        {
          range: calls[0]!.site,
          message:
            `train peak ${formatBytes(planned)} (${fitWords(planned, budget)}); checkpoint: true on ${label} brings it to ` +
            `${formatBytes(after)} (${fitWords(after, budget)}), recomputing about ${percent(elements, total)} of a forward pass during backward`,
          ...(calls.length > 1 ? { related: calls.slice(1).map((c) => ({ range: c.site, message: `also checkpointed: ${labelOf(c)}` })) } : {}),
          fixes: [{ kind: 'checkpoint', calls: calls.map((c) => c.site), label }],
        },
      ];
    }
    return [];
  },
};

function labelOf(c: BlockCall): string {
  return c.repeat ? `repeat ${c.block}` : `${c.block}(...)`;
}

export interface BlockCall {
  site: SourceRange;
  block: string;
  repeat: boolean;
  /** output elements per sample of the ops it expands to */
  elements: number;
  checkpointed: boolean;
}

function candidateSets(graph: Graph): BlockCall[][] {
  const calls = blockCalls(graph).filter((c) => !c.checkpointed);
  if (calls.length === 0) return [];
  const repeats = calls.filter((c) => c.repeat);
  const largest = (repeats.length > 0 ? repeats : calls).reduce((a, b) => (b.elements > a.elements ? b : a));
  const sets: BlockCall[][] = [[largest]];
  if (repeats.length > 1) sets.push(repeats);
  if (calls.length > repeats.length && calls.length > 1) sets.push(calls);
  return sets;
}

/** output elements per sample of every op but the inputs: one forward pass */
function forwardElements(graph: Graph): number {
  const c = graphColumns(graph);
  let total = 0;
  for (let i = 0; i < c.opCount; i++) if (c.opIsInput[i] !== 1) total += c.tensorElements[c.opOutput[i]!]!;
  return total;
}

/** top-level block calls and repeats of the model, in program order (from the columns: no op objects) */
export function blockCalls(graph: Graph): BlockCall[] {
  const columns = graphColumns(graph);
  const calls = new Map<number | string, BlockCall>();
  for (let i = 0; i < columns.opCount; i++) {
    const top = callStackAt(graph, i)[0];
    if (!top) continue;
    const key = rangeId(top.site);
    let c = calls.get(key);
    if (!c) calls.set(key, (c = { site: top.site, block: top.block, repeat: false, elements: 0, checkpointed: false }));
    c.repeat ||= top.iteration !== undefined;
    c.checkpointed ||= !Number.isNaN(columns.opSegment[i]!);
    c.elements += columns.tensorElements[columns.opOutput[i]!]!;
  }
  return [...calls.values()];
}
