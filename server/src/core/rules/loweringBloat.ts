// NNM204 lowering bloat: a convolution run as a matrix product (im2col) materialises about
// k_h x k_w times its input as workspace. Reported per source call (a block body once, with its
// largest expansion) when the workspace is large both absolutely and relative to the input.
import { lookupOp } from '../ops/registry';
import { tensorBytesPerSample } from '../ir';
import { opAt, tensorAt } from '../graphObjects';
import { formatBytes } from '../units';
import { rangeId, type RawFinding, type Rule } from './types';
import { engineOf } from '../analysis/memory';
import { VALUE_KINDS } from '../analysis/schedule';

export const loweringBloatRule: Rule = {
  code: 'NNM204',
  name: 'loweringBloat',
  defaultSeverity: 'warning',
  summary: "a convolution's im2col workspace is large",
  check(model, { memory, thresholds }) {
    if (memory.lowering !== 'im2col') return [];
    const graph = model.graph;
    const batch = graph.config.batch;
    // largest workspace per op (forward, weight-gradient and input-gradient convolutions)
    const perOp = new Map<number, number>();
    const schedule = engineOf(memory)?.schedule;
    if (!schedule) return [];
    // workspace values, each its own buffer: scanned as columns, not as one object per buffer
    const workspace = VALUE_KINDS.indexOf('workspace');
    for (let v = 0; v < schedule.valueCount; v++) {
      if (schedule.valueKind[v] !== workspace) continue;
      const op = schedule.valueOp[v]!;
      if (lookupOp(opAt(graph, op).op)?.family !== 'conv') continue;
      perOp.set(op, Math.max(perOp.get(op) ?? 0, schedule.valueFixed[v]! + schedule.valuePerSample[v]! * batch));
    }
    const bySite = new Map<number | string, { op: number; bytes: number; ratio: number; count: number }>();
    for (const [opId, bytes] of perOp) {
      const op = opAt(graph, opId);
      const input = tensorAt(graph, op.inputs[0]!);
      const inputBytes = tensorBytesPerSample(input) * batch;
      const ratio = inputBytes > 0 ? bytes / inputBytes : Infinity;
      const key = rangeId(op.site);
      const seen = bySite.get(key);
      if (!seen || bytes > seen.bytes) bySite.set(key, { op: opId, bytes, ratio, count: (seen?.count ?? 0) + 1 });
      else seen.count++;
    }
    const out: RawFinding[] = [];
    for (const { op: opId, bytes, ratio, count } of bySite.values()) {
      if (bytes < thresholds.loweringBloatBytes || ratio < thresholds.loweringBloatRatio) continue;
      const op = opAt(graph, opId);
      const of = count > 1 ? ` (largest of ${count} expansions)` : '';
      out.push({
        range: op.site,
        message:
          `${op.op} im2col workspace is ${ratio.toFixed(1)}x its input, ${formatBytes(bytes)} at batch ${batch}${of}; ` +
          'devices that run convolutions directly (e.g. ipu-mk2, or `lowering: direct`) need none',
      });
    }
    return out;
  },
};
