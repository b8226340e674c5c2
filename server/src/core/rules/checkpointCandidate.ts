// NNM208 checkpoint candidate: in train mode, over the device memory (or above a share of it),
// where `checkpoint: true` on the largest repeated block (a `repeat`, else a block call) would fit.
// The after figure is the liveness engine run on the checkpointed graph.
import type { Graph, SourceRange } from '../ir';
import { formatBytes } from '../units';
import { fitWords, percent } from './describe';
import { rangeKey, type Rule } from './types';
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
    const planned = memory.bytes.planned;
    if (config.mode !== 'train' || memory.overflow || planned <= budget * thresholds.checkpointShare) return [];
    const call = largestBlockCall(graph);
    if (!call) return [];
    const after = memoryOfGraph(withCheckpoint(graph, call.site));
    if (after.bytes.planned >= planned || after.bytes.planned > budget) return [];
    const total = graph.ops.reduce((s, o) => s + (o.op === 'input' ? 0 : graph.tensors[o.output]!.elementsPerSample), 0);
    const label = call.repeat ? `repeat ${call.block}` : `${call.block}(...)`;
    return [
      {
        range: call.site,
        message:
          `train peak ${formatBytes(planned)} (${fitWords(planned, budget)}); checkpoint: true on ${label} brings it to ` +
          `${formatBytes(after.bytes.planned)} (${fitWords(after.bytes.planned, budget)}), recomputing about ${percent(call.elements, total)} of a forward pass during backward`,
        fixes: [{ kind: 'checkpoint', call: call.site, label }],
      },
    ];
  },
};

interface BlockCall {
  site: SourceRange;
  block: string;
  repeat: boolean;
  /** output elements per sample of the ops it expands to */
  elements: number;
  checkpointed: boolean;
}

/** the top-level block call not yet checkpointed: a `repeat` before a single call, then the most activation elements */
function largestBlockCall(graph: Graph): BlockCall | undefined {
  const calls = new Map<string, BlockCall>();
  for (const op of graph.ops) {
    const top = op.callStack[0];
    if (!top) continue;
    const key = rangeKey(top.site);
    let c = calls.get(key);
    if (!c) calls.set(key, (c = { site: top.site, block: top.block, repeat: false, elements: 0, checkpointed: false }));
    c.repeat ||= top.iteration !== undefined;
    c.checkpointed ||= op.checkpointSegment !== undefined;
    c.elements += graph.tensors[op.output]!.elementsPerSample;
  }
  let best: BlockCall | undefined;
  for (const c of calls.values()) {
    if (c.checkpointed) continue;
    if (!best || (c.repeat && !best.repeat) || (c.repeat === best.repeat && c.elements > best.elements)) best = c;
  }
  return best;
}
