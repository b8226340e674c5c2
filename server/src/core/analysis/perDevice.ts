// Per-device memory under data parallelism and ZeRO (Rajbhandari et al. 2020), with tensor and
// pipeline parallelism from tensorParallel.ts and pipeline.ts (ZeRO then shards over the
// data-parallel devices only). A pure function of
// the parameter counts, the config and the per-step bytes the memory analysis already has (each
// affine in the batch), evaluated at the per-device micro-batch instead of re-running the analysis.
import type { ModelConfig, Offload, ZeroStage } from '../ir';
import { addBytes, atBatch, ZERO_BYTES, type SymbolicBytes } from '../units';
import type { Category } from './liveness';
import { engineOf, type Engine, type MemoryAnalysis } from './memory';
import { frozenOf, optimizerSlots, weightBytesOf, weightFormat, type ModelParams } from './footprint';
import { pipelineStagesOf, stageFigures } from './pipeline';
import { tensorSplitOf } from './tensorParallel';
import { kvCacheOf } from './kvCache';

export interface Parallelism {
  /** data-parallel world size */
  readonly devices: number;
  /** ZeRO stage; FSDP NO_SHARD = 0, SHARD_GRAD_OP = 2, FULL_SHARD = 3 */
  readonly zero: ZeroStage;
  /** optimizer state (and at stage 3 the parameters) in host memory */
  readonly offload: Offload;
  readonly gradientAccumulation: number;
  /** Megatron tensor-parallel degree T (analysis/tensorParallel.ts) */
  readonly tensorParallel: number;
  readonly sequenceParallel: boolean;
  /** pipeline stages P and micro-batches per step M (analysis/pipeline.ts); total devices = devices x T x P */
  readonly pipeline: number;
  readonly microbatches: number;
}

export const DEFAULT_PARALLELISM: Parallelism = {
  devices: 1,
  zero: 0,
  offload: 'none',
  gradientAccumulation: 1,
  tensorParallel: 1,
  sequenceParallel: false,
  pipeline: 1,
  microbatches: 1,
};

/** the parallelism a config asks for, defaults filled in */
export function parallelismOf(config: ModelConfig): Parallelism {
  return {
    devices: config.devices ?? 1,
    zero: config.zero ?? 0,
    offload: config.offload ?? 'none',
    gradientAccumulation: config.gradientAccumulation ?? 1,
    tensorParallel: config.tensorParallel ?? 1,
    sequenceParallel: config.sequenceParallel ?? false,
    pipeline: config.pipeline ?? 1,
    microbatches: config.microbatches ?? 1,
  };
}

/** whether a config splits the model itself (tensor or pipeline parallelism), not only the batch */
export function isModelParallel(p: Parallelism): boolean {
  return p.tensorParallel > 1 || p.pipeline > 1;
}

/** the GPUs a run takes: data-parallel devices x tensor-parallel x pipeline stages */
export function totalDevices(p: Parallelism): number {
  return p.devices * p.tensorParallel * p.pipeline;
}

/** whether a config asks for more than one plain device (the hover and code lens show a line then) */
export function isParallel(p: Parallelism): boolean {
  return p.devices > 1 || p.zero > 0 || p.offload !== 'none' || p.gradientAccumulation > 1 || isModelParallel(p) || p.microbatches > 1;
}

/** non-state bytes live at one step of the schedule, affine in the batch */
export interface StepTransient {
  /**
   * forward outputs (kept for backward or not, recomputed ones included) plus activation gradients
   * live at the step; weight gradients are not here (see PerDeviceBytes.gradients)
   */
  readonly activations: SymbolicBytes;
  readonly workspace: SymbolicBytes;
}

export interface PerDeviceBytes {
  /** parameters (and buffers, never partitioned) resident on the device */
  readonly weights: number;
  /**
   * weight gradients, counted as held for the whole step (as DDP's and ZeRO's gradient buckets
   * are); at stage >= 2 the device's 1/N shard
   */
  readonly gradients: number;
  /** optimizer state + fp32 master weights resident on the device (0 when offloaded) */
  readonly optimizer: number;
  /**
   * activations at the per-device micro-batch: saved + transient forward outputs + activation
   * gradients, at the step where activations + workspace peak
   */
  readonly activations: number;
  /** workspace live at that same step */
  readonly workspace: number;
  /** generate mode: the KV cache of the device's micro-batch of sequences (0 in the other modes) */
  readonly kvCache: number;
  readonly total: number;
  /** bytes each device's process keeps in host memory under offload: cpu */
  readonly host: number;
}

export type PerDeviceResult =
  | {
      readonly parallelism: Parallelism;
      readonly microBatch: number;
      readonly bytes: PerDeviceBytes;
      /** largest global batch whose micro-batch fits the device budget; null: no per-sample bytes (any batch) */
      readonly maxGlobalBatch: number | null;
      /** under pipeline parallelism: the stage whose device holds the most (the figures are its) */
      readonly stage?: number;
    }
  | { readonly parallelism: Parallelism; readonly error: string };

/** elements of a flat tensor of `count` partitioned over n devices: DeepSpeed pads to a multiple of n */
function shard(count: number, n: number): number {
  return Math.ceil(count / n);
}

/** per-device model states (the ZeRO paper's accounting) and the bytes moved to the host */
export function modelStatesPerDevice(params: ModelParams, config: ModelConfig, p: Parallelism): Pick<PerDeviceBytes, 'weights' | 'gradients' | 'optimizer' | 'host'> {
  const f = weightFormat(config);
  const training = config.mode === 'train';
  const n = p.devices;
  const paramCount = p.zero >= 3 ? shard(params.trainable, n) : params.trainable;
  const gradCount = p.zero >= 2 ? shard(params.trainable, n) : params.trainable;
  const stateCount = p.zero >= 1 ? shard(params.trainable, n) : params.trainable;
  // frozen weights are parameters too: stage 3 partitions them with the trainable ones
  const frozen = frozenOf(params);
  const frozenCount = p.zero >= 3 ? shard(frozen, n) : frozen;
  // the quantised part of the frozen weights at its own bytes, partitioned like the rest at stage 3
  const quantized = p.zero >= 3 ? { quantized: shard(params.quantized ?? 0, n), quantizedBytes: shard(params.quantizedBytes ?? 0, n) } : params;
  const weights = weightBytesOf(paramCount, frozenCount, quantized, f.weight) + (params.nonTrainable - frozen) * f.buffer;
  const gradients = training ? gradCount * f.gradient : 0;
  const optimizer = training ? stateCount * (optimizerSlots(config) * f.state + f.master) : 0;
  if (p.offload !== 'cpu') return { weights, gradients, optimizer, host: 0 };
  // ZeRO-Offload keeps optimizer state on the host; ZeRO-Infinity/FSDP CPU offload also the stage-3 parameter shard
  const hostWeights = p.zero >= 3 ? weightBytesOf(paramCount, frozenCount, quantized, f.weight) : 0;
  return { weights: weights - hostWeights, gradients, optimizer: 0, host: optimizer + hostWeights };
}

/** what one device of one pipeline stage holds before the micro-batch is chosen (one stage without pipelining) */
export interface StageInput {
  readonly params: ModelParams;
  readonly steps: readonly StepTransient[];
  readonly kvCachePerSample: number;
}

/** per-device memory at the micro-batch global / (devices x gradientAccumulation x microbatches) */
export function perDeviceMemory(
  params: ModelParams,
  config: ModelConfig,
  steps: readonly StepTransient[],
  p: Parallelism = parallelismOf(config),
  kvCachePerSample = 0,
): PerDeviceResult {
  return perDeviceOfStages(config, [{ params, steps, kvCachePerSample }], p);
}

/** the device of the stage that holds the most; stage indices only when there are several */
export function perDeviceOfStages(config: ModelConfig, stages: readonly StageInput[], p: Parallelism): PerDeviceResult {
  const split = p.devices * p.gradientAccumulation * p.microbatches;
  if (config.batch % split !== 0) {
    const micro = p.microbatches > 1 ? ` x ${p.microbatches} micro-batch(es)` : '';
    return { parallelism: p, error: `batch ${config.batch} does not divide into ${p.devices} device(s) x ${p.gradientAccumulation} accumulation step(s)${micro}` };
  }
  const microBatch = config.batch / split;
  let worst: { bytes: PerDeviceBytes; stage: number } | undefined;
  let maxBatch: number | null = null;
  for (let k = 0; k < stages.length; k++) {
    const { params, steps, kvCachePerSample } = stages[k]!;
    const states = modelStatesPerDevice(params, config, p);
    const resident = states.weights + states.gradients + states.optimizer;
    // each device holds the caches of its own sequences: they grow with its micro-batch
    const kvCache = kvCachePerSample * microBatch;
    let activations = 0;
    let workspace = 0;
    for (const s of steps) {
      const a = atBatch(s.activations, microBatch);
      const w = atBatch(s.workspace, microBatch);
      if (a + w > activations + workspace) {
        activations = a;
        workspace = w;
      }
    }
    const total = resident + kvCache + activations + workspace;
    if (!Number.isSafeInteger(total)) return { parallelism: p, error: 'the per-device figures exceed 2^53 bytes and cannot be counted exactly' };
    if (!worst || total > worst.bytes.total) worst = { bytes: { ...states, activations, workspace, kvCache, total }, stage: k };
    const m = maxGlobalBatch(resident, kvCachePerSample, steps, config.device.memoryBytes, split);
    maxBatch = m === null ? maxBatch : maxBatch === null ? m : Math.min(maxBatch, m);
  }
  if (!worst) return { parallelism: p, error: 'the model has no ops' };
  return { parallelism: p, microBatch, bytes: worst.bytes, maxGlobalBatch: maxBatch, ...(stages.length > 1 ? { stage: worst.stage } : {}) };
}

/** the largest micro-batch m with resident + KV cache(m) + transient(m) <= budget at every step, times devices x K (x M micro-batches) */
function maxGlobalBatch(resident: number, kvCachePerSample: number, steps: readonly StepTransient[], budget: number, split: number): number | null {
  let m = Infinity;
  for (const s of steps) {
    const fixed = resident + s.activations.fixed + s.workspace.fixed;
    const perSample = kvCachePerSample + s.activations.perSample + s.workspace.perSample;
    if (perSample <= 0) {
      if (fixed > budget) return 0;
      continue;
    }
    m = Math.min(m, Math.floor((budget - fixed) / perSample));
  }
  if (resident > budget) return 0;
  return m === Infinity ? null : Math.max(0, m) * split;
}

/** the per-step transients of a memory analysis's liveness (categories as in analysis/liveness.ts) */
export function stepTransients(perStep: readonly Readonly<Record<Category, SymbolicBytes>>[]): StepTransient[] {
  return perStep.map((s) => ({
    activations: [s.activations, s.savedActivations, s.activationGradients].reduce(addBytes, ZERO_BYTES),
    workspace: s.workspace,
  }));
}

/** per-device memory of an analysed model (undefined for an analysis built by hand, without an engine), under its own parallelism or `p` */
export function perDeviceOfAnalysis(params: ModelParams, config: ModelConfig, memory: MemoryAnalysis, p: Parallelism = parallelismOf(config)): PerDeviceResult | undefined {
  const engine = engineOf(memory);
  if (!engine) return undefined;
  if (isModelParallel(p)) {
    // the stages' and ranks' counts are of trainable and non-trainable parameters only
    if (frozenOf(params) > 0) return { parallelism: p, error: 'tensor or pipeline parallelism with frozen (or quantised) weights is not modelled yet' };
    return modelParallelPerDevice(engine, config, p);
  }
  return perDeviceMemory(params, config, stepTransients(engine.liveness.perStep), p, memory.bytes.kvCache.perSample);
}

/** the stages of an analysis under T, SP, P and M: the hover, code lens, report and ZeRO rule ask again with only `zero` or `devices` changed */
const stageCache = new WeakMap<Engine, Map<string, readonly StageInput[] | { readonly error: string }>>();

function stagesOf({ graph, schedule, liveness }: Engine, p: Parallelism): readonly StageInput[] | { readonly error: string } {
  const split = p.tensorParallel > 1 ? tensorSplitOf(graph, p.tensorParallel, p.sequenceParallel) : undefined;
  if (split && 'error' in split) return split;
  const stages = pipelineStagesOf(graph, p.pipeline);
  if ('error' in stages) return stages;
  return stageFigures(graph, schedule, liveness, stages, split, p.microbatches, kvCacheOf(graph));
}

/** tensor and pipeline parallelism: every stage's device at its 1/T share, the fullest one reported */
function modelParallelPerDevice(engine: Engine, config: ModelConfig, p: Parallelism): PerDeviceResult {
  let cached = stageCache.get(engine);
  if (!cached) stageCache.set(engine, (cached = new Map()));
  const key = `${p.tensorParallel} ${p.sequenceParallel} ${p.pipeline} ${p.microbatches}`;
  let stages = cached.get(key);
  if (!stages) cached.set(key, (stages = stagesOf(engine, p)));
  if ('error' in stages) return { parallelism: p, error: stages.error };
  return perDeviceOfStages(config, stages, p);
}
