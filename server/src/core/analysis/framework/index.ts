// Framework profiles: what a given framework's allocator will really hold for one step, beside the
// ideal compiler's accounting (liveness.ts, planner.ts). One table keyed by framework; a profile
// that does not cover a model says why instead of guessing.
import type { Framework, Graph } from '../../ir';
import { opAt } from '../../graphObjects';
import { weightFormat, type Footprint } from '../footprint';
import type { AllocationKind, AllocationPeak } from './allocations';
import { simulatePytorchCpu } from './pytorchCpu';
import { BF16_CPU_REASON, halfCpuError } from './pytorchHalf';
import { FLOAT64_OPS } from './pytorchLayers';
import { optimizerStep, stepStateBytes } from './pytorchOptimizer';
import { simulateTfjsCpu } from './tfjsCpu';


export interface ExpectedPeakBreakdown {
  readonly weights: number;
  readonly buffers: number;
  readonly optimizer: number;
  /** forward outputs alive at the peak */
  readonly activations: number;
  /** state autograd keeps beyond the tensors themselves (pooling indices, dropout masks, statistics, copies) */
  readonly saved: number;
  /** buffers of the op running at the peak (layout copies, im2col columns) */
  readonly temporaries: number;
  readonly activationGradients: number;
  readonly weightGradients: number;
}

export interface ExpectedPeak {
  readonly framework: Framework;
  /** everything the framework holds at its peak, weights and buffers included, at the configured batch */
  readonly bytes: number;
  readonly breakdown: ExpectedPeakBreakdown;
  /** step: optimizer.step() after the backward (op -1) */
  readonly phase: 'forward' | 'backward' | 'step' | null;
  /** the op running at the peak (-1 before the first backward node: the loss gradient's seed) */
  readonly op: number | null;
}

/** the 0-based line of the statement whose op runs at the peak; null before the first op (the loss gradient's seed) */
export function expectedPeakLine(e: ExpectedPeak, graph: Graph): number | null {
  return e.op !== null && e.op >= 0 ? opAt(graph, e.op).statement.start.line : null;
}

export type ExpectedPeakResult = { readonly expected: ExpectedPeak } | { readonly reason: string };

export interface FrameworkProfile {
  readonly label: string;
  expectedPeak(graph: Graph, footprint: Footprint): ExpectedPeakResult;
}

const KIND_FIELD: Readonly<Record<AllocationKind, keyof ExpectedPeakBreakdown>> = {
  activation: 'activations',
  saved: 'saved',
  temporary: 'temporaries',
  activationGradient: 'activationGradients',
  weightGradient: 'weightGradients',
};

/**
 * A replayed peak plus what exists before the step (weights, buffers, optimizer state when it is a
 * training step's, and inputs a profile counts as live), with the breakdown by kind
 */
function expectedFrom(framework: Framework, graph: Graph, footprint: Footprint, peak: AllocationPeak, extra: { optimizer: boolean; inputBytes: number; stepState?: number; gradientsBefore?: boolean }): ExpectedPeak {
  const batch = graph.config.batch;
  const at = (b: { fixed: number; perSample: number }): number => b.fixed + b.perSample * batch;
  const always = { weights: at(footprint.bytes.weights), buffers: at(footprint.bytes.buffers), optimizer: extra.optimizer ? at(footprint.bytes.optimizer) + (extra.stepState ?? 0) : 0 };
  // the previous step's gradients, zeroed in place (PyTorch's zero_grad(set_to_none=False))
  const gradients = extra.gradientsBefore === true ? at(footprint.bytes.gradients) : 0;
  const breakdown = { ...always, activations: extra.inputBytes, saved: 0, temporaries: 0, activationGradients: 0, weightGradients: gradients } as Record<keyof ExpectedPeakBreakdown, number>;
  for (const [kind, field] of Object.entries(KIND_FIELD) as [AllocationKind, keyof ExpectedPeakBreakdown][]) breakdown[field] += peak.byKind[kind];
  return {
    framework,
    bytes: always.weights + always.buffers + always.optimizer + gradients + extra.inputBytes + peak.bytes,
    breakdown,
    phase: peak.site?.phase ?? null,
    op: peak.site?.op ?? null,
  };
}

/** how a framework grows its KV cache (a concatenation per token, a preallocated cache) is its generation loop's, which memlens does not read */
const GENERATE_REASON = "the framework profiles replay one forward or training step; a generation loop's KV cache is not profiled: the ideal figures (KV cache included) stand";

/** a graph with checkpointed segments: the backward recomputes their forward */
const checkpointed = (graph: Graph): boolean => graph.ops.some((op) => op.checkpointSegment !== undefined);

const pytorch: FrameworkProfile = {
  label: 'PyTorch',
  expectedPeak(graph, footprint) {
    const config = graph.config;
    if (config.mode === 'generate') return { reason: GENERATE_REASON };
    if (config.device.kind !== 'cpu') return { reason: `PyTorch's GPU allocator (cuDNN workspaces, the caching allocator) is not profiled yet; choose a CPU device for PyTorch's figure` };
    if (config.precision === 'fp16') {
      const error = halfCpuError(graph, 'fp16', config.mode);
      return { reason: error ? `torch 1.13 raises for this float16 model on a CPU: ${error.message} (${opAt(graph, error.op).op}); no CPU figure` : "PyTorch's CPU profile does not replay float16 (torch 1.13 lacks most of its CPU kernels)" };
    }
    if (config.precision === 'bf16') {
      const error = halfCpuError(graph, 'bf16', config.mode);
      return { reason: error ? `torch 1.13 on a CPU does not run this bfloat16 model as written: ${error.message} (${opAt(graph, error.op).op}); no CPU figure` : BF16_CPU_REASON };
    }
    if (config.precision !== 'fp32' && config.precision !== 'fp64') return { reason: `PyTorch's CPU profile covers fp32 (and fp64 for a few ops); ${config.precision} is not profiled yet` };
    const notFloat64 = config.precision === 'fp64' ? [...new Set(graph.ops.map((op) => op.op).filter((op) => !FLOAT64_OPS.has(op)))] : [];
    if (notFloat64.length > 0) return { reason: `PyTorch's CPU profile covers fp64 for ${[...FLOAT64_OPS].filter((op) => op !== 'input' && op !== 'constant').join(', ')} only, not yet for ${notFloat64.join(', ')}` };
    const training = config.mode === 'train';
    // a training step with an optimizer is its whole step, in the steady state (pytorchOptimizer.ts)
    const step = training ? optimizerStep(graph, weightFormat(config).gradient) : null;
    if (step && 'reason' in step) return { reason: step.reason };
    const result = simulatePytorchCpu(graph, config.batch, training, config.device.vectorBits, step?.step);
    if ('raises' in result) return { reason: `torch 1.13 raises on this step on a CPU (${result.raises.join('; ')}): there is no CPU peak to give` };
    if ('unsupported' in result) return { reason: `PyTorch's CPU profile does not know ${result.unsupported.join(', ')} yet` };
    const extra = step ? { stepState: stepStateBytes(step.step), gradientsBefore: step.step.gradientsKept } : {};
    return { expected: expectedFrom('pytorch', graph, footprint, result.peak, { optimizer: training, inputBytes: 0, ...extra }) };
  },
};

const ideal: FrameworkProfile = {
  label: 'an ideal planner',
  expectedPeak: () => ({ reason: 'the ideal profile is the lower bound and plan themselves' }),
};

const tfjs: FrameworkProfile = {
  label: 'TensorFlow.js',
  expectedPeak(graph, footprint) {
    const config = graph.config;
    if (config.mode === 'generate') return { reason: GENERATE_REASON };
    if (config.device.kind !== 'cpu') return { reason: "TensorFlow.js' WebGL and WebGPU backends are not profiled yet; choose a CPU device for its figure" };
    if (config.precision !== 'fp32') return { reason: `TensorFlow.js' CPU profile covers fp32; ${config.precision} is not profiled yet` };
    const training = config.mode === 'train';
    if (training && (config.optimizer.kind !== 'sgd' || config.optimizer.momentum !== 0)) return { reason: `TensorFlow.js' CPU profile covers one plain SGD trainOnBatch; ${config.optimizer.kind}${config.optimizer.momentum ? ' with momentum' : ''} is not profiled yet` };
    if (training && graph.outputs.length !== 1) return { reason: "TensorFlow.js' CPU profile covers trainOnBatch on one output" };
    if (training && checkpointed(graph)) return { reason: "TensorFlow.js' CPU profile does not replay checkpointed (recomputed) segments" };
    const result = simulateTfjsCpu(graph, config.batch, training);
    if ('unsupported' in result) return { reason: `TensorFlow.js' CPU profile does not know ${result.unsupported.join(', ')} yet` };
    // x (and y in training) exist before the call: counted with the activations
    return { expected: expectedFrom('tfjs', graph, footprint, result.peak, { optimizer: false, inputBytes: result.inputBytes }) };
  },
};

export const FRAMEWORK_PROFILES: Readonly<Record<Framework, FrameworkProfile>> = { ideal, pytorch, tfjs };
