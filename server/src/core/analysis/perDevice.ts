// Per-device memory under data parallelism and ZeRO (Rajbhandari et al. 2020), first increment of
// issue 18: no tensor/pipeline parallelism, LoRA, quantisation or KV cache yet. A pure function of
// the parameter counts, the config and the per-step bytes the memory analysis already has (each
// affine in the batch), evaluated at the per-device micro-batch instead of re-running the analysis.
import type { ModelConfig, Offload, ZeroStage } from '../ir';
import { addBytes, atBatch, ZERO_BYTES, type SymbolicBytes } from '../units';
import type { Category } from './liveness';
import { engineOf, type MemoryAnalysis } from './memory';
import { frozenOf, optimizerSlots, weightBytesOf, weightFormat, type ModelParams } from './footprint';

export interface Parallelism {
  /** data-parallel world size */
  readonly devices: number;
  /** ZeRO stage; FSDP NO_SHARD = 0, SHARD_GRAD_OP = 2, FULL_SHARD = 3 */
  readonly zero: ZeroStage;
  /** optimizer state (and at stage 3 the parameters) in host memory */
  readonly offload: Offload;
  readonly gradientAccumulation: number;
}

export const DEFAULT_PARALLELISM: Parallelism = { devices: 1, zero: 0, offload: 'none', gradientAccumulation: 1 };

/** the parallelism a config asks for, defaults filled in */
export function parallelismOf(config: ModelConfig): Parallelism {
  return {
    devices: config.devices ?? 1,
    zero: config.zero ?? 0,
    offload: config.offload ?? 'none',
    gradientAccumulation: config.gradientAccumulation ?? 1,
  };
}

/** whether a config asks for more than one plain device (the hover and code lens show a line then) */
export function isParallel(p: Parallelism): boolean {
  return p.devices > 1 || p.zero > 0 || p.offload !== 'none' || p.gradientAccumulation > 1;
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

/** per-device memory at the micro-batch global / (devices x gradientAccumulation) */
export function perDeviceMemory(
  params: ModelParams,
  config: ModelConfig,
  steps: readonly StepTransient[],
  p: Parallelism = parallelismOf(config),
  kvCachePerSample = 0,
): PerDeviceResult {
  const split = p.devices * p.gradientAccumulation;
  if (config.batch % split !== 0)
    return { parallelism: p, error: `batch ${config.batch} does not divide into ${p.devices} device(s) x ${p.gradientAccumulation} accumulation step(s)` };
  const microBatch = config.batch / split;
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
  const bytes: PerDeviceBytes = { ...states, activations, workspace, kvCache, total };
  return { parallelism: p, microBatch, bytes, maxGlobalBatch: maxGlobalBatch(resident, kvCachePerSample, steps, config.device.memoryBytes, split) };
}

/** the largest micro-batch m with resident + KV cache(m) + transient(m) <= budget at every step, times devices x K */
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
  return engine ? perDeviceMemory(params, config, stepTransients(engine.liveness.perStep), p, memory.bytes.kvCache.perSample) : undefined;
}
