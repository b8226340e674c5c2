// Small graphs for the analysis tests, built with the real GraphBuilder and registry.
// Every op sits on its own statement line (the op's index), so steps map back to lines.
import { BUILTIN_DEFAULTS, mergeConfig, type ConfigOverrides } from '../../../server/src/core/config';
import { customDevice } from '../../../server/src/core/devices';
import { GraphBuilder, isRejection } from '../../../server/src/core/graphBuilder';
import { rangeOf, type Graph, type TensorId } from '../../../server/src/core/ir';
import type { ArgValue } from '../../../server/src/core/ops/types';

export interface Call {
  readonly inPlace?: boolean;
  readonly checkpointSegment?: number;
}

export class TestGraph {
  private readonly builder: GraphBuilder;
  private line = 0;
  constructor(config: ConfigOverrides) {
    const merged = mergeConfig(BUILTIN_DEFAULTS, { device: customDevice('gpu', 16 * 1024 ** 3) }, config);
    this.builder = new GraphBuilder('test', merged, rangeOf(0, 0, 99, 0), rangeOf(0, 6, 0, 10));
  }
  op(op: string, inputs: readonly TensorId[], args: Record<string, ArgValue> = {}, call: Call = {}): TensorId {
    const line = this.line++;
    const result = this.builder.add({
      op,
      inputs,
      args,
      site: rangeOf(line, 2, line, 20),
      statement: rangeOf(line, 0, line, 30),
      ...(call.inPlace ? { inPlace: true } : {}),
      ...(call.checkpointSegment !== undefined ? { checkpointSegment: call.checkpointSegment } : {}),
    });
    if (isRejection(result)) throw new Error(`${op}: ${result.message}`);
    return result;
  }
  build(outputs: readonly TensorId[]): Graph {
    return this.builder.build(outputs);
  }
}

/** input(16) -> dense(32) -> relu -> dense(8): weights 808 params */
export function mlp(config: ConfigOverrides, opts: { reluInPlace?: boolean } = {}): Graph {
  const g = new TestGraph(config);
  const x = g.op('input', [], { shape: [16] });
  const h = g.op('dense', [x], { units: 32 });
  const r = g.op('relu', [h], {}, { inPlace: opts.reluInPlace ?? false });
  const y = g.op('dense', [r], { units: 8 });
  return g.build([y]);
}

/** x = input(4, 8, 8); c = conv3x3(x); r = relu(c); a = add(r, x); y = relu(a) */
export function residual(config: ConfigOverrides, inPlace: { relu1?: boolean; add?: boolean; relu2?: boolean } = {}): Graph {
  const g = new TestGraph(config);
  const x = g.op('input', [], { shape: [4, 8, 8] });
  const c = g.op('conv2d', [x], { filters: 4, kernel: 3, pad: 1, bias: false });
  const r = g.op('relu', [c], {}, { inPlace: inPlace.relu1 ?? false });
  const a = g.op('add', [r, x], {}, { inPlace: inPlace.add ?? false });
  const y = g.op('relu', [a], {}, { inPlace: inPlace.relu2 ?? false });
  return g.build([y]);
}

/** x = input(2, 4, 4); a = relu(x); b = sigmoid(x); c = concat(a, b); y = globalavgpool(c) */
export function branchConcat(config: ConfigOverrides): Graph {
  const g = new TestGraph(config);
  const x = g.op('input', [], { shape: [2, 4, 4] });
  const a = g.op('relu', [x]);
  const b = g.op('sigmoid', [x]);
  const c = g.op('concat', [a, b]);
  const y = g.op('globalavgpool', [c]);
  return g.build([y]);
}

import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { analyzeMemory, type MemoryAnalysis, type MemoryOptions } from '../../../server/src/core/analysis/memory';

export function memoryOf(graph: Graph, options?: MemoryOptions): MemoryAnalysis {
  return analyzeMemory(graph, computeFootprint(graph), options);
}

/** "kind:tensor [from,to] fixed+perSampleN" per buffer, for compact exact assertions */
export function bufferTable(m: MemoryAnalysis): string[] {
  return m.buffers.map((b) => `${b.kind}:${b.tensor ?? `op${b.op}`} [${b.liveFrom},${b.liveTo}] ${b.bytes.fixed}+${b.bytes.perSample}N`);
}
