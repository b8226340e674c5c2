// The `--json` report: one object per file. Later versions add fields, never rename these.
// The rows (a model's tensors and steps, one each per op and step) come only at the detail level
// (`--json-detail`): a million-op model's rows are most of 130 MB of JSON.
import type { DocumentAnalysis, ModelAnalysis } from '../core/document';
import type { CoreDiagnostic, Graph } from '../core/ir';
import { expectedPeakLine, type ExpectedPeakResult } from '../core/analysis/framework';
import { atBatch } from '../core/units';
import { isParallel, parallelismOf, perDeviceOfAnalysis, totalDevices } from '../core/analysis/perDevice';
import { largestContext } from '../core/analysis/kvCache';
import { decodeStepOf } from '../core/analysis/decodeStep';
import type { RecomputeCost } from '../core/analysis/checkpoint';
import { opOutputBytes } from '../core/analysis/footprint';
import { graphColumns } from '../core/graphColumns';
import { opAt, tensorAt } from '../core/graphObjects';

export interface JsonTensor {
  name: string;
  /** 1-based line of the call that produced it */
  line: number;
  op: string;
  /** "N" (the symbolic batch) followed by the per-sample dims */
  shape: (number | 'N')[];
  dtype: string;
  params: number;
  /** bytes at the configured batch */
  bytes: number;
  /** schedule steps (0-based) that write and last read it; null without a memory analysis */
  liveFrom: number | null;
  liveTo: number | null;
  savedForBackward: boolean;
  inPlace: boolean;
  /** offset of its buffer in the planned arena at the configured batch */
  offset: number | null;
}

export interface JsonStep {
  index: number;
  phase: string;
  op: string | null;
  /** 1-based line of the statement; null for the optimizer step */
  line: number | null;
  /** live bytes by category at the configured batch */
  bytes: Record<string, number>;
  total: number;
}

export interface JsonModel {
  name: string;
  line: number;
  /** quantize: only when the model's frozen weights are quantised (docs/finetune.md) */
  config: { mode: string; batch: number; precision: string; optimizer: string; device: string; deviceMemory: number; layout: string; quantize?: string };
  // frozen, quantized, quantizedBytes: when some weights are frozen (docs/finetune.md)
  params: { trainable: number; nonTrainable: number; frozen?: number; quantized?: number; quantizedBytes?: number };
  activationElementsPerSample: number;
  bytes: {
    /** trainable and frozen weights' bytes, quantised ones at theirs (buffers are not in it: they are `buffers`) */
    weights: number;
    /** non-trainable state: running statistics and other buffers */
    buffers: number;
    activations: number;
    activationsPerSample: number;
    gradients: number;
    optimizer: number;
    /** generate mode: every self-attention layer's keys and values for `context` positions (0 in the other modes) */
    kvCache: number;
    /** footprint without reuse (every figure above added up) */
    total: number;
    /** the largest workspace (im2col lowering, attention scores) live at one step */
    workspace: number | null;
    /** every buffer its own storage for the whole run, with the schedule's workspace and gradients */
    naive: number | null;
    /** max over steps of live bytes */
    lowerBound: number | null;
    /** always-live state + the static arena of the planner */
    planned: number | null;
    /** what the framework's allocator will hold at its peak (weights and buffers included); null where its profile does not cover the model */
    expectedPeak: number | null;
    /**
     * per device under data parallelism / ZeRO (analysis/perDevice.ts), only when the config asks for
     * devices > 1, a ZeRO stage, offload or gradient accumulation; `error` says why there is no figure
     */
    perDevice?: JsonPerDevice;
  };
  /** the framework whose allocator expectedPeak describes, its breakdown at the peak, or why there is none */
  expected: { framework: string; breakdown: Readonly<Record<string, number>>; phase: string | null; line: number | null } | { framework: string; reason: string } | null;
  /** the largest batch whose planned peak fits the device; null when unbounded or nothing fits */
  maxBatch: number | null;
  peakStep: { index: number; line: number | null; phase: string } | null;
  /** generate mode: the largest context whose planned peak fits the device (null in the other modes) */
  maxContext: number | null;
  /**
   * generate mode: the peak of one decode step (one new position per sequence at the full context;
   * analysis/decodeStep.ts) or why it is not given; null in the other modes or without self-attention
   */
  decodeStep: { peak: number; context: number; activationsPerSequence: number; workspacePerSequence: number; line: number } | { reason: string } | null;
  /** what the model's checkpointed segments run again during backward (analysis/checkpoint.ts); null when nothing is recomputed */
  recompute: { segments: number; ops: number; bytes: number; bytesPerSample: number; fraction: number } | null;
  /** how many rows `tensors` has or would have at the detail level (one per op) */
  tensorCount: number;
  /** how many rows `steps` has or would have at the detail level; null without a memory analysis */
  stepCount: number | null;
  /** the detail level only */
  tensors?: JsonTensor[];
  /** the detail level only */
  steps?: JsonStep[];
}

/** a model's fields other than its rows */
export type JsonModelHead = Omit<JsonModel, 'tensors' | 'steps'>;

export interface JsonOptions {
  /** include each model's `steps` and `tensors` rows (`--json-detail`) */
  readonly detail?: boolean;
}

/** one model as the streamed writer takes it: the fields, then the row lists produced one row at a time */
export interface JsonModelParts {
  readonly head: JsonModelHead;
  /** in the order they follow the head; absent below the detail level */
  readonly rows?: { readonly steps: Iterable<JsonStep>; readonly tensors: Iterable<JsonTensor> };
}

/** the parallelism asked for: data-parallel devices, ZeRO, tensor and pipeline degrees; totalDevices = devices x tensorParallel x pipeline */
export interface JsonParallelism {
  devices: number;
  zero: number;
  offload: string;
  gradientAccumulation: number;
  tensorParallel: number;
  sequenceParallel: boolean;
  pipeline: number;
  microbatches: number;
  totalDevices: number;
}

export type JsonPerDevice =
  | (JsonParallelism & {
      microBatch: number;
      weights: number;
      gradients: number;
      optimizer: number;
      activations: number;
      workspace: number;
      kvCache: number;
      total: number;
      host: number;
      maxGlobalBatch: number | null;
      /** pipeline: the stage (0-based) whose device holds the most, whose figures these are */
      stage?: number;
    })
  | (JsonParallelism & { error: string });

export interface JsonDiagnostic {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
}

export interface JsonReport {
  file: string;
  models: JsonModel[];
  diagnostics: JsonDiagnostic[];
}

export function toJsonReport(file: string, analysis: DocumentAnalysis, options: JsonOptions = {}): JsonReport {
  return {
    file,
    models: analysis.models.map((m) => {
      const { head, rows } = jsonModelParts(m, options);
      return rows ? { ...head, steps: [...rows.steps], tensors: [...rows.tensors] } : head;
    }),
    diagnostics: analysis.diagnostics.map(toJsonDiagnostic),
  };
}

function recomputeJson(cost: RecomputeCost | undefined, batch: number): JsonModel['recompute'] {
  return cost ? { segments: cost.segments, ops: cost.ops, bytes: atBatch(cost.bytes, batch), bytesPerSample: cost.bytes.perSample, fraction: cost.fraction } : null;
}

function perDeviceField(graph: Graph, params: ModelAnalysis['footprint']['params'], memory: ModelAnalysis['memory']): { perDevice?: JsonPerDevice } {
  const parallelism = parallelismOf(graph.config);
  if (!isParallel(parallelism)) return {};
  const p: JsonParallelism = { ...parallelism, totalDevices: totalDevices(parallelism) };
  const r = memory ? perDeviceOfAnalysis(params, graph.config, memory) : undefined;
  if (!r) return { perDevice: { ...p, error: 'no memory analysis for this model' } };
  if ('error' in r) return { perDevice: { ...p, error: r.error } };
  return { perDevice: { ...p, microBatch: r.microBatch, ...r.bytes, maxGlobalBatch: r.maxGlobalBatch, ...(r.stage !== undefined ? { stage: r.stage } : {}) } };
}

export function jsonModelParts(model: ModelAnalysis, options: JsonOptions = {}): JsonModelParts {
  const { graph, footprint, memory } = model;
  const { config } = graph;
  const batch = config.batch;
  const b = footprint.bytes;
  const optimizer =
    config.optimizer.kind === 'sgd' && config.optimizer.momentum > 0
      ? `sgd(momentum: ${config.optimizer.momentum})`
      : config.optimizer.kind;
  const head: JsonModelHead = {
    name: graph.name,
    line: graph.nameRange.start.line + 1,
    config: {
      mode: config.mode,
      batch,
      precision: config.precision,
      optimizer,
      device: config.device.name,
      deviceMemory: config.device.memoryBytes,
      layout: config.layout,
      ...(config.quantize !== undefined && config.quantize !== 'none' ? { quantize: config.quantize } : {}),
    },
    params: { ...footprint.params },
    activationElementsPerSample: footprint.activationElementsPerSample,
    bytes: {
      weights: atBatch(b.weights, batch),
      buffers: atBatch(b.buffers, batch),
      activations: atBatch(b.activations, batch),
      activationsPerSample: b.activations.perSample,
      gradients: atBatch(b.gradients, batch),
      optimizer: atBatch(b.optimizer, batch),
      kvCache: atBatch(b.kvCache, batch),
      total: atBatch(b.total, batch),
      workspace: memory ? atBatch(memory.bytes.workspace, batch) : null,
      naive: memory ? atBatch(memory.bytes.naive, batch) : null,
      lowerBound: memory ? memory.bytes.lowerBound : null,
      planned: memory ? memory.bytes.planned : null,
      expectedPeak: memory ? memory.bytes.expectedPeak : null,
      ...perDeviceField(graph, footprint.params, memory),
    },
    expected: memory ? expectedJson(memory.expected, graph) : null,
    maxBatch: memory?.maxBatch.planned.batch ?? null,
    maxContext: largestContext(model),
    decodeStep: decodeStepJson(model),
    recompute: recomputeJson(memory?.recompute, batch),
    peakStep: memory?.peakStep
      ? {
          index: memory.peakStep.index,
          line: memory.peakStep.line === null ? null : memory.peakStep.line + 1,
          phase: memory.peakStep.phase,
        }
      : null,
    tensorCount: graphColumns(graph).opCount,
    stepCount: memory ? memory.stepLiveFixed.length : null,
  };
  if (!options.detail) return { head };
  return { head, rows: { steps: stepRows(memory), tensors: tensorRows(graph, memory) } };
}

function* stepRows(memory: ModelAnalysis['memory']): Generator<JsonStep> {
  for (const row of memory?.timeline ?? []) {
    yield { index: row.step, phase: row.phase, op: row.op ?? null, line: row.line === null ? null : row.line + 1, bytes: { ...row.bytes }, total: row.total };
  }
}

function* tensorRows(graph: Graph, memory: ModelAnalysis['memory']): Generator<JsonTensor> {
  const batch = graph.config.batch;
  const c = graphColumns(graph);
  const live = memory?.tensors;
  for (let i = 0; i < c.opCount; i++) {
    const op = opAt(graph, i);
    const t = tensorAt(graph, op.output);
    const l = live?.[t.id];
    yield {
      name: t.name,
      line: op.site.start.line + 1,
      op: op.op,
      shape: ['N', ...t.shape],
      dtype: t.dtype,
      params: op.params.trainable + op.params.nonTrainable,
      bytes: atBatch(opOutputBytes(c, i), batch),
      liveFrom: l?.liveFrom ?? null,
      liveTo: l?.liveTo ?? null,
      savedForBackward: l?.savedForBackward ?? false,
      inPlace: l?.inPlace ?? false,
      offset: l?.offset ?? null,
    };
  }
}

export function toJsonDiagnostic(d: CoreDiagnostic): JsonDiagnostic {
  return {
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
}

function expectedJson(result: ExpectedPeakResult, graph: Graph): JsonModel['expected'] {
  const framework = graph.config.framework;
  if ('reason' in result) return { framework, reason: result.reason };
  const e = result.expected;
  const line = expectedPeakLine(e, graph);
  return { framework, breakdown: { ...e.breakdown }, phase: e.phase, line: line === null ? null : line + 1 };
}

function decodeStepJson(model: ModelAnalysis): JsonModel['decodeStep'] {
  const step = decodeStepOf(model);
  if (!step) return null;
  if ('reason' in step) return { reason: step.reason };
  const { peak, context, activationsPerSequence, workspacePerSequence } = step;
  return { peak, context, activationsPerSequence, workspacePerSequence, line: model.graph.ops[step.peakOp]!.site.start.line + 1 };
}
