// NNM210 zeroStage: data-parallel training whose per-device memory is over the device, where a
// higher ZeRO stage (FSDP sharding) would fit: stage 1 shards the optimizer state over the devices,
// 2 also the gradients, 3 also the parameters (analysis/perDevice.ts, the ZeRO paper's accounting);
// or where checkpointing every (or every other) block of the model's repeats would fit, when the
// activations are what is over. Both figures come from the per-device analysis of the changed model.
import { isParallel, modelStatesPerDevice, parallelismOf, perDeviceOfAnalysis, type Parallelism, type PerDeviceResult } from '../analysis/perDevice';
import { recomputeCost, shareText } from '../analysis/checkpoint';
import type { FixSpec } from '../frontend';
import type { Graph, ParamCount, ZeroStage } from '../ir';
import { formatBytes } from '../units';
import { blockCalls } from './checkpointCandidate';
import type { Rule } from './types';
import { perDeviceTotalOfGraph, withCheckpoint } from './whatIf';

const WHAT_IS_SHARDED: Readonly<Record<ZeroStage, string>> = {
  0: 'nothing',
  1: 'the optimizer state',
  2: 'the optimizer state and gradients',
  3: 'the optimizer state, gradients and parameters',
};

const totalOf = (r: PerDeviceResult | undefined): number | undefined => (r && !('error' in r) ? r.bytes.total : undefined);

export const zeroStageRule: Rule = {
  code: 'NNM210',
  name: 'zeroStage',
  defaultSeverity: 'warning',
  summary: 'data-parallel training over the device memory where a higher ZeRO stage or checkpointing the repeated blocks would fit',
  check(model, { memory }) {
    const graph = model.graph;
    const config = graph.config;
    const p = parallelismOf(config);
    if (config.mode !== 'train' || !isParallel(p) || p.devices < 2 || memory.overflow) return [];
    const budget = config.device.memoryBytes;
    const params = model.footprint.params;
    const now = totalOf(perDeviceOfAnalysis(params, config, memory));
    if (now === undefined || now <= budget) return [];
    const kind = config.device.kind.toUpperCase();
    const parts: string[] = [];
    const fixes: FixSpec[] = [];
    for (let stage = (p.zero + 1) as ZeroStage; stage <= 3; stage = (stage + 1) as ZeroStage) {
      const after = totalOf(perDeviceOfAnalysis(params, config, memory, { ...p, zero: stage }));
      if (after === undefined || after > budget) continue;
      parts.push(`stage ${stage} shards ${WHAT_IS_SHARDED[stage]} over the ${p.devices} devices: ${formatBytes(after)} per ${kind} (-${formatBytes(now - after)}), fits`);
      fixes.push({ kind: 'zero', model: graph.name, stage });
      break;
    }
    // checkpointing changes the activations only: no use when the model states alone are over
    const states = modelStatesPerDevice(params, config, p);
    const checkpoint = states.weights + states.gradients + states.optimizer < budget ? checkpointThatFits(graph, params, p, budget) : undefined;
    if (checkpoint) {
      const { fix, after, recompute, what } = checkpoint;
      const written = fix.every === 2 ? 'checkpoint: 2 (every other block)' : 'checkpoint: true';
      parts.push(`${written} on ${what} brings it to ${formatBytes(after)} per ${kind} (-${formatBytes(now - after)}), fits, recomputing ${recompute} of a forward pass`);
      fixes.push(fix);
    }
    if (fixes.length === 0) return [];
    return [
      {
        range: graph.nameRange,
        message: `per ${kind} ${formatBytes(now)} of ${formatBytes(budget)} on ${p.devices} x ${config.device.name} at ZeRO stage ${p.zero}; ${parts.join('; ')}`,
        fixes,
      },
    ];
  },
};

/**
 * `checkpoint:` on the model's repeats (not checkpointed yet): every other block when that fits,
 * as it recomputes half as much, else every block; undefined when neither fits (or there is no repeat).
 */
function checkpointThatFits(
  graph: Graph,
  params: ParamCount,
  p: Parallelism,
  budget: number,
): { fix: FixSpec & { kind: 'checkpoint' }; after: number; recompute: string; what: string } | undefined {
  const repeats = blockCalls(graph).filter((c) => c.repeat && !c.checkpointed);
  if (repeats.length === 0) return undefined;
  const sites = repeats.map((c) => c.site);
  const what = repeats.length === 1 ? `repeat ${repeats[0]!.block}` : `${repeats.length} repeats`;
  // schedule and liveness of the checkpointed graph, no plan: the per-device figure needs only its steps
  const fitting = (every: number): { after: number; recompute: number } | undefined => {
    const changed = withCheckpoint(graph, sites, every);
    const r = perDeviceTotalOfGraph(changed, params, p);
    return r && r.total <= budget ? { after: r.total, recompute: recomputeCost(changed, r.schedule)?.fraction ?? 0 } : undefined;
  };
  // every other block saves less than every block: only worth trying when every block fits
  const all = fitting(1);
  if (!all) return undefined;
  const half = fitting(2);
  const [every, chosen] = half ? [2, half] : [1, all];
  const label = `${every === 2 ? 'every other block' : 'every block'} of ${what}`;
  const recompute = shareText(chosen.recompute);
  return { fix: { kind: 'checkpoint', calls: sites, label, every, perDevice: true }, after: chosen.after, recompute, what };
}
