// NNM209 dead tensor: an op whose output never reaches a model output. Reported once per dead
// statement: a model statement whose every op is dead, or a statement in a block body that is dead
// in every expansion (found as the op nothing reads, not the ops feeding it).
import { formatBytes } from '../units';
import { tensorBytesPerSample, type Graph, type OpNode } from '../ir';
import { rangeId, type RawFinding, type Rule } from './types';

/** tensors from which some model output is reachable */
export function reachesOutput(graph: Graph): boolean[] {
  const live = new Array<boolean>(graph.tensors.length).fill(false);
  for (const t of graph.outputs) live[t] = true;
  for (let i = graph.ops.length - 1; i >= 0; i--) {
    const op = graph.ops[i]!;
    if (live[op.output]) for (const t of op.inputs) live[t] = true;
  }
  return live;
}

export const deadTensorRule: Rule = {
  code: 'NNM209',
  name: 'deadTensor',
  defaultSeverity: 'warning',
  summary: 'a tensor is computed but never reaches the model output',
  check(model) {
    const graph = model.graph;
    if (graph.outputs.length === 0) return []; // no return: NNM160 already says so
    const live = reachesOutput(graph);
    const bytesOf = (ops: readonly OpNode[]): number =>
      ops.reduce((s, o) => {
        const t = graph.tensors[o.output]!;
        return s + tensorBytesPerSample(t) * graph.config.batch;
      }, 0);
    const out: RawFinding[] = [];
    // 1. model statements whose every op is dead
    const byStatement = groupBy(graph.ops.filter((o) => o.op !== 'input'), (o) => rangeId(o.statement));
    const deadStatements = new Set<number | string>();
    for (const [key, ops] of byStatement) {
      if (ops.some((o) => live[o.output])) continue;
      deadStatements.add(key);
      const last = ops[ops.length - 1]!;
      const name = tensorLabel(graph, last);
      out.push({
        range: last.statement,
        message: `${name} is computed but never reaches the model output: ${formatBytes(bytesOf(ops))} at batch ${graph.config.batch} for nothing`,
        fixes: [{ kind: 'removeStatement', statement: last.statement, label: name }],
      });
    }
    // 2. dead statements inside block bodies (the block's result is used): one per source site
    const readers = new Array<number>(graph.tensors.length).fill(0);
    for (const op of graph.ops) for (const t of op.inputs) readers[t]!++;
    const sinks = graph.ops.filter(
      (o) => o.op !== 'input' && o.callStack.length > 0 && !live[o.output] && readers[o.output] === 0 && !deadStatements.has(rangeId(o.statement)),
    );
    // sites with some live expansion, found once (not a scan of every op per dead site)
    const liveSites = new Set<number | string>();
    if (sinks.length > 0) for (const o of graph.ops) if (live[o.output]) liveSites.add(rangeId(o.site));
    for (const ops of groupBy(sinks, (o) => rangeId(o.site)).values()) {
      const op = ops[0]!;
      if (liveSites.has(rangeId(op.site))) continue;
      const name = tensorLabel(graph, op);
      const block = op.callStack[op.callStack.length - 1]!.block;
      out.push({
        range: op.site,
        message: `${name} in block ${block} is computed but never reaches the model output (${ops.length} expansion${ops.length === 1 ? '' : 's'}): ${formatBytes(bytesOf(ops))} at batch ${graph.config.batch} for nothing`,
        fixes: [{ kind: 'removeStatement', statement: op.site, label: name }],
      });
    }
    return out;
  },
};

function tensorLabel(graph: Graph, op: OpNode): string {
  const t = graph.tensors[op.output]!;
  return t.name.includes('#') ? op.op : `'${t.name}'`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => number | string): Map<number | string, T[]> {
  const out = new Map<number | string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}
