// NNM209 dead tensor: an op whose output never reaches a model output. Reported once per dead
// statement: a model statement whose every op is dead, or a statement in a block body that is dead
// in every expansion (found as the op nothing reads, not the ops feeding it).
import { formatBytes } from '../units';
import { DTYPE_BYTES, tensorBytesPerSample, type Graph, type OpNode } from '../ir';
import { lookupOp } from '../ops/registry';
import { groupByRange, RangeIndex, type RangeGroups } from './rangeGroups';
import { graphColumns } from '../graphColumns';
import type { RawFinding, Rule } from './types';

/** tensors from which some model output is reachable (1) */
export function reachesOutput(graph: Graph): Uint8Array {
  const { inputStart, inputs, opOutput, opCount, tensorCount } = graphColumns(graph);
  const live = new Uint8Array(tensorCount);
  for (let k = 0; k < graph.outputs.length; k++) live[graph.outputs[k]!] = 1;
  for (let i = opCount - 1; i >= 0; i--) {
    if (live[opOutput[i]!] === 1) for (let k = inputStart[i]!; k < inputStart[i + 1]!; k++) live[inputs[k]!] = 1;
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
    // the usual case, every op feeding the output: no grouping by statement or site
    const { opOutput, opIsInput } = graphColumns(graph);
    let anyDead = false;
    for (let i = 0; i < opOutput.length && !anyDead; i++) anyDead = live[opOutput[i]!] !== 1 && opIsInput[i] === 0;
    if (!anyDead) return [];
    const bytesOf = (ops: readonly OpNode[]): number =>
      ops.reduce((s, o) => {
        const t = graph.tensors[o.output]!;
        // a tensor that does not grow with the batch (x.sum(0)) has fixed bytes; a view of the weights none
        if (t.batchIndependent) return s + (lookupOp(o.op)?.viewsWeights ? 0 : t.elementsPerSample * DTYPE_BYTES[t.dtype]);
        return s + tensorBytesPerSample(t) * graph.config.batch;
      }, 0);
    const out: RawFinding[] = [];
    // 1. model statements whose every op is dead
    const computed = graph.ops.filter((o) => o.op !== 'input');
    const byStatement = groupByRange(computed, (o) => o.statement);
    const deadStatements = new RangeIndex();
    for (let g = 0; g < byStatement.count; g++) {
      let anyLive = false;
      for (let k = byStatement.start[g]!; k < byStatement.start[g + 1]! && !anyLive; k++) anyLive = live[computed[byStatement.members[k]!]!.output] === 1;
      if (anyLive) continue;
      const ops = membersOf(byStatement, g, computed);
      deadStatements.add(byStatement.ranges[g]!);
      const last = ops[ops.length - 1]!;
      const name = tensorLabel(graph, last);
      out.push({
        range: last.statement,
        message: `${name} is computed but never reaches the model output: ${formatBytes(bytesOf(ops))} at batch ${graph.config.batch} for nothing`,
        fixes: [{ kind: 'removeStatement', statement: last.statement, label: name }],
      });
    }
    // 2. dead statements inside block bodies (the block's result is used): one per source site
    const readers = new Int32Array(graph.tensors.length);
    for (let i = 0; i < graph.ops.length; i++) {
      const inputs = graph.ops[i]!.inputs;
      for (let k = 0; k < inputs.length; k++) readers[inputs[k]!]!++;
    }
    const sinks = graph.ops.filter(
      (o) => o.op !== 'input' && o.callStack.length > 0 && !live[o.output] && readers[o.output] === 0 && !deadStatements.has(o.statement),
    );
    if (sinks.length === 0) return out;
    // sites with some live expansion, found once (not a scan of every op per dead site)
    const liveSites = new RangeIndex();
    for (let i = 0; i < graph.ops.length; i++) if (live[graph.ops[i]!.output]) liveSites.add(graph.ops[i]!.site);
    const bySite = groupByRange(sinks, (o) => o.site);
    for (let g = 0; g < bySite.count; g++) {
      const ops = membersOf(bySite, g, sinks);
      const op = ops[0]!;
      if (liveSites.has(op.site)) continue;
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

function membersOf<T>(groups: RangeGroups, g: number, items: readonly T[]): T[] {
  const out: T[] = [];
  for (let k = groups.start[g]!; k < groups.start[g + 1]!; k++) out.push(items[groups.members[k]!]!);
  return out;
}
