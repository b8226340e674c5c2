// The execution schedule of one model: forward steps in program order; in train mode the backward
// steps in reverse order (with recompute steps for checkpointed segments) and one optimizer step.
// Every step records the values it writes and reads, so liveness is a scan over the steps.
// What each op keeps for its backward and what workspace it needs comes from the op registry.
import { DTYPE_BYTES, type DType, type Graph, type Layout, type Lowering, type OpId, type OpNode, type TensorId, type TensorType } from '../ir';
import { activationDType } from '../graphBuilder';
import type { ArgValue, OpContext, OpSpec } from '../ops/types';
import { symbolic, type SymbolicBytes } from '../units';
import { FloatColumn, IntColumn } from '../columns';
import { weightFormat } from './footprint';
import { quantizedWeights } from './quantize';
import { DTYPES, graphColumns, type GraphColumns } from '../graphColumns';
import { opAt } from '../graphObjects';
import { argsOf } from './opArgs';

export type Phase = 'forward' | 'recompute' | 'backward' | 'optimizer';
/** phase codes of Schedule.stepPhase */
export const PHASES: readonly Phase[] = ['forward', 'recompute', 'backward', 'optimizer'];
const FORWARD = 0;
const RECOMPUTE = 1;
const BACKWARD = 2;
const OPTIMIZER = 3;

export type ValueKind =
  | 'activation' // a forward output
  | 'recomputed' // a forward output recomputed during backward (checkpointing)
  | 'saved-extra' // extra state an op keeps for its backward (batch-norm statistics, dropout mask)
  | 'activation-gradient'
  | 'weight-gradient'
  | 'workspace'; // transient buffer of one step (im2col lowering, attention scores)
/** kind codes of Schedule.valueKind */
export const VALUE_KINDS: readonly ValueKind[] = ['activation', 'recomputed', 'saved-extra', 'activation-gradient', 'weight-gradient', 'workspace'];
/** the code of each kind in Schedule.valueKind (its index in VALUE_KINDS) */
export const VALUE_KIND_CODE = Object.fromEntries(VALUE_KINDS.map((kind, code) => [kind, code])) as Readonly<Record<ValueKind, number>>;
const ACTIVATION = VALUE_KIND_CODE.activation;
const RECOMPUTED = VALUE_KIND_CODE.recomputed;
const SAVED_EXTRA = VALUE_KIND_CODE['saved-extra'];
const ACTIVATION_GRADIENT = VALUE_KIND_CODE['activation-gradient'];
const WEIGHT_GRADIENT = VALUE_KIND_CODE['weight-gradient'];
const WORKSPACE = VALUE_KIND_CODE.workspace;

/**
 * Steps and values as columns (one typed array per field), not an object per row: a 100,000-op
 * training graph has 200,000 steps and 250,000 values, built on every keystroke. A value is one
 * logical buffer content; views and in-place outputs later share a buffer with another value.
 * The values a step reads are `reads[readStart[s] .. readStart[s + 1])`, its writes likewise.
 */
export interface Schedule {
  readonly stepCount: number;
  /** index into PHASES */
  readonly stepPhase: Int32Array;
  /** the op each step runs; -1 for the optimizer step (an op's statement points back to the source) */
  readonly stepOp: Int32Array;
  /** value ids read at each step (saved tensors, incoming gradient, forward inputs) */
  readonly readStart: Int32Array;
  readonly reads: Int32Array;
  /** value ids written at each step */
  readonly writeStart: Int32Array;
  readonly writes: Int32Array;
  /** the first backward step, where the loss reads the model outputs (not saved by any op's backward); -1: none */
  readonly lossStep: number;
  readonly lossReads: readonly number[];
  readonly valueCount: number;
  /** index into VALUE_KINDS */
  readonly valueKind: Int32Array;
  /** the op that produces each value (for a weight gradient: the op owning the weights) */
  readonly valueOp: Int32Array;
  /** the forward tensor a value holds (activation, recomputed) or is the gradient of; -1: none */
  readonly valueTensor: Int32Array;
  readonly valueFixed: Float64Array;
  readonly valuePerSample: Float64Array;
  /** forward activation value of every tensor, by tensor id */
  readonly activationOf: Int32Array;
  /** value pairs that share one buffer by construction (flatten/reshape views): view, source, view, source, ... */
  readonly views: Int32Array;
  /** index of the first backward step, -1 when there is none */
  readonly backwardStart: number;
  /** index of the optimizer step, -1 when there is none */
  readonly optimizerStep: number;
  /** index of the last forward step */
  readonly forwardEnd: number;
  readonly lowering: 'im2col' | 'direct';
  /** registry facts per op, by op id */
  readonly opInfo: readonly OpInfo[];
}

export function phaseOf(schedule: Schedule, step: number): Phase {
  return PHASES[schedule.stepPhase[step]!]!;
}

/** the op a step runs; undefined for the optimizer step */
export function stepNode(graph: Graph, schedule: Schedule, step: number): OpNode | undefined {
  const op = schedule.stepOp[step]!;
  return op >= 0 ? opAt(graph, op) : undefined;
}

export function valueKindOf(schedule: Schedule, value: number): ValueKind {
  return VALUE_KINDS[schedule.valueKind[value]!]!;
}

export function valueBytes(schedule: Schedule, value: number): SymbolicBytes {
  return symbolic(schedule.valueFixed[value]!, schedule.valuePerSample[value]!);
}

/** what the registry says about one op in this graph, computed once per analysis */
export interface OpInfo {
  readonly spec?: OpSpec;
  /** absent for an op the registry does not know */
  readonly saved?: SavedSpec;
  /** workspace of one run under the resolved lowering */
  readonly workspace: SymbolicBytes;
  /**
   * the element counts behind saved.extra and workspace, and the dtype of the extra elements when
   * fixed by the registry: another precision retypes them without asking the registry again (its
   * element rules read shapes and arguments, never dtypes: test/unit/analysis/precisionWhatIf.test.ts)
   */
  readonly extraElements: SymbolicBytes;
  readonly extraDType?: DType;
  readonly workspaceElements: SymbolicBytes;
}

const NO_BYTES: SymbolicBytes = Object.freeze(symbolic(0, 0));

function opInfos(graph: Graph, lowering: 'im2col' | 'direct'): OpInfo[] {
  const activation = activationDType(graph.config);
  const bytesPerActivation = DTYPE_BYTES[activation];
  const c = graphColumns(graph);
  const ctx: { inputs: TensorType[]; args: Readonly<Record<string, ArgValue>>; layout: Layout; activationDType: DType } = {
    inputs: [],
    args: {},
    layout: graph.config.layout,
    activationDType: activation,
  };
  const inputLists: TensorType[][] = [];
  // most ops keep no extra state and need no workspace: one shared OpInfo per (spec, output kept)
  const plain = new Map<OpSpec, [OpInfo | undefined, OpInfo | undefined]>();
  const plainInfo = (spec: OpSpec, output: boolean): OpInfo => {
    const pair = plain.get(spec) ?? [undefined, undefined];
    const cached = pair[output ? 1 : 0];
    if (cached) return cached;
    const info: OpInfo = { spec, saved: { inputs: spec.savedForBackward.inputs, output, extra: NO_BYTES }, workspace: NO_BYTES, extraElements: NO_BYTES, workspaceElements: NO_BYTES };
    pair[output ? 1 : 0] = info;
    plain.set(spec, pair);
    return info;
  };
  const recent = new Map<OpSpec, RecentInfo>();
  const infos = new Array<OpInfo>(c.opCount);
  const tiedReaders = new Set((graph.tiedWeights ?? []).map((t) => t.reader));
  for (let i = 0; i < c.opCount; i++) {
    const spec = c.opSpec[i];
    if (!spec) {
      infos[i] = { workspace: NO_BYTES, extraElements: NO_BYTES, workspaceElements: NO_BYTES };
      continue;
    }
    const saved = spec.savedForBackward;
    // weights that take no gradient (frozen, or none at all): what only their gradient reads is not kept
    const learns = c.opTrainable[i]! > 0 || c.opSharesParams[i] === 1 || tiedReaders.has(i);
    const keepsAll = learns || (saved.weightGradientInputs === undefined && saved.weightGradientExtra === undefined);
    const arity = c.inputStart[i + 1]! - c.inputStart[i]!;
    let allInputs = true;
    for (let k = 0; k < saved.inputs.length; k++) if (saved.inputs[k]! >= arity) allInputs = false;
    const hasWorkspace = spec.workspaceElements !== undefined && !(spec.family === 'conv' && lowering === 'direct');
    // an op whose registry rules would not be asked anything: its info follows from the spec alone
    if (allInputs && !hasWorkspace && !saved.extraElements && !saved.outputWhen && !saved.extraDType) {
      infos[i] = keepsAll ? plainInfo(spec, saved.output) : withoutWeightGradient(plainInfo(spec, saved.output), saved, NO_BYTES, 0);
      continue;
    }
    const attrs = c.opAttrs[i]!;
    const outShape = c.tensorShape[c.opOutput[i]!]!;
    const firstInput = c.inputStart[i]!;
    // the registry's rules are pure in their context: a chain of like layers asks them the same
    // question (frontends share equal attrs and shape arrays), answered once
    const last = recent.get(spec);
    if (last && last.attrs === attrs && last.outShape === outShape && last.keepsAll === keepsAll && sameInputTypes(c, firstInput, arity, last.inputs)) {
      infos[i] = last.info;
      continue;
    }
    // one context object refilled per op: the registry's rules read it and keep nothing
    // an input list per arity, refilled in place (emptying one array and pushing would reallocate it per op)
    const inputs = (inputLists[arity] ??= new Array<TensorType>(arity));
    for (let k = 0; k < arity; k++) {
      const t = c.inputs[firstInput + k]!;
      inputs[k] = { shape: c.tensorShape[t]!, dtype: DTYPES[c.tensorDType[t]!]! };
    }
    ctx.inputs = inputs;
    ctx.args = argsOf(attrs);
    let info = registryInfo(spec, saved, ctx, outShape, arity, allInputs, hasWorkspace, activation, bytesPerActivation, plainInfo);
    if (!keepsAll) info = withoutWeightGradient(info, saved, weightGradientExtra(saved, ctx, outShape), DTYPE_BYTES[saved.extraDType ?? activation]);
    // an op on batch-independent tensors only: what the registry counts per sample is fixed
    if (c.tensorBatchIndependent[c.opOutput[i]!] === 1) info = fixedInfo(info);
    infos[i] = info;
    recent.set(spec, { attrs, outShape, inputs: inputs.slice(), keepsAll, info });
  }
  // a quantised frozen matrix is dequantised to the compute dtype while its op runs (forward and backward)
  const quantized = quantizedWeights(c, graph.config);
  if (quantized) for (let i = 0; i < c.opCount; i++) if (quantized.largest[i]! > 0) infos[i] = withDequantized(infos[i]!, quantized.largest[i]!, bytesPerActivation);
  return infos;
}

/** an op's workspace with a dequantised weight of `elements` (fixed: it does not grow with the batch) */
function withDequantized(info: OpInfo, elements: number, bytesPerActivation: number): OpInfo {
  const workspaceElements = symbolic(info.workspaceElements.fixed + elements, info.workspaceElements.perSample);
  return { ...info, workspace: scaled(workspaceElements, bytesPerActivation), workspaceElements };
}

/** the elements of an op's extra state only its weight gradient reads (none when its rule throws) */
function weightGradientExtra(saved: OpSpec['savedForBackward'], ctx: OpContext, outShape: readonly number[]): SymbolicBytes {
  try {
    return saved.weightGradientExtra?.(ctx, outShape) ?? NO_BYTES;
  } catch {
    return NO_BYTES;
  }
}

/** an op whose weights take no gradient: its saved inputs and extra less what only that gradient reads */
function withoutWeightGradient(info: OpInfo, saved: OpSpec['savedForBackward'], weightExtra: SymbolicBytes, extraBytes: number): OpInfo {
  if (!info.saved) return info;
  const dropped = saved.weightGradientInputs ?? [];
  const inputs = info.saved.inputs.filter((k) => !dropped.includes(k));
  const elements = symbolic(Math.max(0, info.extraElements.fixed - weightExtra.fixed), Math.max(0, info.extraElements.perSample - weightExtra.perSample));
  const extra = isZero(weightExtra) ? info.saved.extra : scaled(elements, extraBytes);
  return { ...info, saved: { ...info.saved, inputs, extra }, extraElements: isZero(weightExtra) ? info.extraElements : elements };
}

/** the per-sample parts of an op's extra state and workspace, as fixed bytes */
function fixedInfo(info: OpInfo): OpInfo {
  const fix = (b: SymbolicBytes): SymbolicBytes => (b.perSample === 0 ? b : symbolic(b.fixed + b.perSample, 0));
  if (!info.saved) return info;
  return { ...info, saved: { ...info.saved, extra: fix(info.saved.extra) }, workspace: fix(info.workspace), extraElements: fix(info.extraElements), workspaceElements: fix(info.workspaceElements) };
}

/** the last registry answer per spec, with the identities of the context it was given */
interface RecentInfo {
  readonly attrs: GraphColumns['opAttrs'][number];
  readonly outShape: readonly number[];
  readonly inputs: readonly TensorType[];
  readonly keepsAll: boolean;
  readonly info: OpInfo;
}

function sameInputTypes(c: GraphColumns, firstInput: number, arity: number, last: readonly TensorType[]): boolean {
  if (arity !== last.length) return false;
  for (let k = 0; k < arity; k++) {
    const t = c.inputs[firstInput + k]!;
    if (c.tensorShape[t] !== last[k]!.shape || DTYPES[c.tensorDType[t]!] !== last[k]!.dtype) return false;
  }
  return true;
}

/** an op's facts from its registry rules (extra saved state, workspace, whether the output is kept) */
function registryInfo(
  spec: OpSpec,
  saved: OpSpec['savedForBackward'],
  ctx: OpContext,
  outShape: readonly number[],
  arity: number,
  allInputs: boolean,
  hasWorkspace: boolean,
  activation: DType,
  bytesPerActivation: number,
  plainInfo: (spec: OpSpec, output: boolean) => OpInfo,
): OpInfo {
  try {
    const extra = saved.extraElements?.(ctx, outShape) ?? NO_BYTES;
    const extraBytes = DTYPE_BYTES[saved.extraDType ?? activation];
    // lowering workspace belongs to the convolution family; attention scores stay whatever the lowering
    const workspace = hasWorkspace ? spec.workspaceElements!(ctx, outShape) : NO_BYTES;
    const output = saved.outputWhen?.(ctx) ?? saved.output;
    if (allInputs && isZero(extra) && isZero(workspace) && !saved.extraDType) return plainInfo(spec, output);
    return {
      spec,
      saved: {
        inputs: allInputs ? saved.inputs : saved.inputs.filter((k) => k < arity),
        output,
        extra: scaled(extra, extraBytes),
      },
      workspace: scaled(workspace, bytesPerActivation),
      extraElements: extra,
      ...(saved.extraDType ? { extraDType: saved.extraDType } : {}),
      workspaceElements: workspace,
    };
  } catch {
    // a registry rule that rejects what the shape rule accepted: account the op as keeping nothing
    return { spec, saved: { inputs: [], output: false, extra: NO_BYTES }, workspace: NO_BYTES, extraElements: NO_BYTES, workspaceElements: NO_BYTES };
  }
}

function scaled(elements: { readonly fixed: number; readonly perSample: number }, bytes: number): SymbolicBytes {
  return elements.fixed === 0 && elements.perSample === 0 ? NO_BYTES : symbolic(elements.fixed * bytes, elements.perSample * bytes);
}

/** `auto` lowers convolutions to matrix products on GPUs and CPUs; IPUs run them directly */
function resolveLowering(lowering: Lowering, deviceKind: 'gpu' | 'cpu' | 'ipu'): 'im2col' | 'direct' {
  if (lowering !== 'auto') return lowering;
  return deviceKind === 'ipu' ? 'direct' : 'im2col';
}

/** what the backward of `node` reads from its forward: input indices, output, extra bytes */
export interface SavedSpec {
  readonly inputs: readonly number[];
  readonly output: boolean;
  readonly extra: SymbolicBytes;
}

function isZero(b: SymbolicBytes): boolean {
  return b.fixed === 0 && b.perSample === 0;
}

/** tensors that depend on a trainable weight (1): autograd's requires_grad, in program order */
/**
 * `cut(op, requires)`: the op's output carries no gradient whatever flows into it (a framework's
 * rule, e.g. a reentrant checkpoint none of whose arguments requires grad), given the flags so far
 */
export function requiresGradient(c: GraphColumns, cut?: (op: number, requires: Uint8Array) => boolean): Uint8Array {
  const requires = new Uint8Array(c.tensorCount);
  const { inputStart, inputs, opOutput } = c;
  for (let i = 0; i < c.opCount; i++) {
    let flows = c.opTrainable[i]! > 0 || c.opSharesParams[i] === 1;
    for (let k = inputStart[i]!; !flows && k < inputStart[i + 1]!; k++) flows = requires[inputs[k]!] === 1;
    requires[opOutput[i]!] = flows && !cut?.(i, requires) ? 1 : 0;
  }
  return requires;
}

/** tensors that carry a gradient back to some weight (1): they need an activation gradient in training */
function gradientFlow(graph: Graph, c: GraphColumns): Uint8Array {
  const requires = requiresGradient(c);
  const { inputStart, inputs, opOutput } = c;
  const reached = new Uint8Array(c.tensorCount);
  for (let k = 0; k < graph.outputs.length; k++) reached[graph.outputs[k]!] = requires[graph.outputs[k]!]!;
  for (let i = c.opCount - 1; i >= 0; i--) {
    if (reached[opOutput[i]!] !== 1) continue;
    for (let k = inputStart[i]!; k < inputStart[i + 1]!; k++) if (requires[inputs[k]!] === 1) reached[inputs[k]!] = 1;
  }
  return reached;
}

/** the rows of a schedule as they are written, then frozen into columns */
class ScheduleBuilder {
  readonly stepPhase: IntColumn;
  readonly stepOp: IntColumn;
  readonly readStart: IntColumn;
  readonly reads: IntColumn;
  readonly writeStart: IntColumn;
  readonly writes: IntColumn;
  readonly valueKind: IntColumn;
  readonly valueOp: IntColumn;
  readonly valueTensor: IntColumn;
  readonly valueFixed: FloatColumn;
  readonly valuePerSample: FloatColumn;
  readonly views = new IntColumn();

  /** sized for a plain graph (a forward and a backward step per op; values: a tensor, its gradient, weight gradients and saved extras come to 2.5-3.2 per op in training): few regrowths */
  constructor(opCount: number, training: boolean) {
    const steps = (training ? 2 * opCount : opCount) + 2;
    const values = Math.ceil((training ? 3.5 : 1.5) * opCount) + 16;
    this.stepPhase = new IntColumn(steps);
    this.stepOp = new IntColumn(steps);
    this.readStart = new IntColumn(steps + 1);
    this.writeStart = new IntColumn(steps + 1);
    this.reads = new IntColumn(2 * steps);
    this.writes = new IntColumn(2 * steps);
    this.valueKind = new IntColumn(values);
    this.valueOp = new IntColumn(values);
    this.valueTensor = new IntColumn(values);
    this.valueFixed = new FloatColumn(values);
    this.valuePerSample = new FloatColumn(values);
    this.readStart.push(0);
    this.writeStart.push(0);
  }

  get stepCount(): number {
    return this.stepPhase.length;
  }

  /** kind: a code of VALUE_KINDS */
  newValue(kind: number, op: OpId, fixed: number, perSample: number, tensor = -1): number {
    const id = this.valueKind.length;
    this.valueKind.push(kind);
    this.valueOp.push(op);
    this.valueTensor.push(tensor);
    this.valueFixed.push(fixed);
    this.valuePerSample.push(perSample);
    return id;
  }

  /** close the step whose reads and writes were pushed since the last one */
  endStep(phase: number, op: number): number {
    this.stepPhase.push(phase);
    this.stepOp.push(op);
    this.readStart.push(this.reads.length);
    this.writeStart.push(this.writes.length);
    return this.stepPhase.length - 1;
  }
}

/**
 * `infos` may be passed in when the ops are the same as an earlier call's; `segments` (by op id)
 * replaces the ops' own checkpoint segments (the sqrt(n) estimate) without copying the graph.
 */
export function buildSchedule(graph: Graph, infos?: readonly OpInfo[], segments?: readonly (number | undefined)[]): Schedule {
  const c = graphColumns(graph);
  const { inputStart, inputs, opOutput, tensorBytes } = c;
  const segmentOf = (op: number): number | undefined => {
    if (segments) return segments[op];
    const segment = c.opSegment[op]!;
    return Number.isNaN(segment) ? undefined : segment;
  };
  const config = graph.config;
  const training = config.mode === 'train';
  const lowering = resolveLowering(config.lowering, config.device.kind);
  const opInfo = infos ?? opInfos(graph, lowering);
  const b = new ScheduleBuilder(c.opCount, training);
  const activationOf = new Int32Array(c.tensorCount);
  const fixedBytes = c.tensorFixedBytes;
  for (let t = 0; t < c.tensorCount; t++) activationOf[t] = b.newValue(ACTIVATION, c.tensorProducer[t]!, fixedBytes[t]!, tensorBytes[t]!, t);
  const hasGradient = training ? gradientFlow(graph, c) : new Uint8Array(c.tensorCount);
  const runsBackward = (op: number): boolean => training && c.opIsInput[op] === 0 && hasGradient[opOutput[op]!] === 1;
  const pushValue = (kind: number, op: OpId, bytes: SymbolicBytes): number => b.newValue(kind, op, bytes.fixed, bytes.perSample);
  const frozen = (lossStep: number, lossReads: readonly number[], backwardStart: number, optimizerStep: number, forwardEnd: number): Schedule => ({
    stepCount: b.stepCount,
    stepPhase: b.stepPhase.finish(),
    stepOp: b.stepOp.finish(),
    readStart: b.readStart.finish(),
    reads: b.reads.finish(),
    writeStart: b.writeStart.finish(),
    writes: b.writes.finish(),
    lossStep,
    lossReads,
    valueCount: b.valueKind.length,
    valueKind: b.valueKind.finish(),
    valueOp: b.valueOp.finish(),
    valueTensor: b.valueTensor.finish(),
    valueFixed: b.valueFixed.finish(),
    valuePerSample: b.valuePerSample.finish(),
    activationOf,
    views: b.views.finish(),
    backwardStart,
    optimizerStep,
    forwardEnd,
    lowering,
    opInfo,
  });

  // ---- forward (op i runs at step i)
  // by op id / tensor id, -1 for none: arrays, not Maps, on the keystroke path
  const forwardExtra = new Int32Array(c.opCount).fill(-1);
  for (let i = 0; i < c.opCount; i++) {
    const info = opInfo[i]!;
    const first = inputStart[i]!;
    const end = inputStart[i + 1]!;
    b.writes.push(activationOf[opOutput[i]!]!);
    if ((info.spec?.aliasesInput || (!training && info.spec?.identityInInference)) && end > first) {
      b.views.push(activationOf[opOutput[i]!]!);
      b.views.push(activationOf[inputs[first]!]!);
    }
    if (info.saved && runsBackward(i) && segmentOf(i) === undefined && !isZero(info.saved.extra)) {
      const v = pushValue(SAVED_EXTRA, i, info.saved.extra);
      forwardExtra[i] = v;
      b.writes.push(v);
    }
    if (!isZero(info.workspace)) b.writes.push(pushValue(WORKSPACE, i, info.workspace));
    for (let k = first; k < end; k++) b.reads.push(activationOf[inputs[k]!]!);
    b.endStep(FORWARD, i);
  }
  const forwardEnd = b.stepCount - 1;
  if (!training) return frozen(-1, [], -1, -1, forwardEnd);

  // ---- backward, with recompute steps ahead of each checkpointed segment's first backward step
  const format = weightFormat(config);
  const gradOf = new Int32Array(c.tensorCount).fill(-1);
  const weightGradOf = new Int32Array(c.opCount).fill(-1);
  /** weight gradients in the order they were first written: what the optimizer step reads */
  const weightGrads: number[] = [];
  const recomputedOf = new Int32Array(c.tensorCount).fill(-1);
  const recomputedExtra = new Int32Array(c.opCount).fill(-1);
  const recomputedOrForward = (t: TensorId): number => (recomputedOf[t]! >= 0 ? recomputedOf[t]! : activationOf[t]!);
  const segmentOps = new Map<number, number[]>();
  for (let i = 0; i < c.opCount; i++) {
    const segment = segmentOf(i);
    if (segment === undefined || c.opIsInput[i] === 1) continue;
    const list = segmentOps.get(segment) ?? [];
    list.push(i);
    segmentOps.set(segment, list);
  }
  const recomputed = new Set<number>();
  const strayWeightGrads = new Map<OpId, number>();
  const backwardStart = b.stepCount;
  let lossStep = -1;
  const lossReads: number[] = [];

  const emitRecompute = (segment: readonly number[]): void => {
    for (let s = 0; s < segment.length; s++) {
      const op = segment[s]!;
      const info = opInfo[op]!;
      const first = inputStart[op]!;
      const end = inputStart[op + 1]!;
      const output = opOutput[op]!;
      for (let k = first; k < end; k++) b.reads.push(recomputedOrForward(inputs[k]!));
      const out = b.newValue(RECOMPUTED, op, fixedBytes[output]!, tensorBytes[output]!, output);
      recomputedOf[output] = out;
      b.writes.push(out);
      if (info.spec?.aliasesInput && end > first) {
        b.views.push(out);
        b.views.push(recomputedOrForward(inputs[first]!));
      }
      if (info.saved && runsBackward(op) && !isZero(info.saved.extra)) {
        const v = pushValue(SAVED_EXTRA, op, info.saved.extra);
        recomputedExtra[op] = v;
        b.writes.push(v);
      }
      if (!isZero(info.workspace)) b.writes.push(pushValue(WORKSPACE, op, info.workspace));
      b.endStep(RECOMPUTE, op);
    }
  };

  for (let i = c.opCount - 1; i >= 0; i--) {
    const info = opInfo[i]!;
    const spec = info.spec;
    const saved = info.saved;
    if (!spec || !saved || !runsBackward(i)) continue;
    const first = inputStart[i]!;
    const end = inputStart[i + 1]!;
    const output = opOutput[i]!;
    const segment = segmentOf(i);
    if (segment !== undefined && !recomputed.has(segment)) {
      recomputed.add(segment);
      emitRecompute(segmentOps.get(segment) ?? []);
    }
    if (lossStep < 0) {
      // the loss reads the model outputs and seeds their gradients
      lossStep = b.stepCount;
      for (const t of graph.outputs) {
        lossReads.push(activationOf[t]!);
        if (hasGradient[t] === 1 && gradOf[t]! < 0) {
          const g = b.newValue(ACTIVATION_GRADIENT, c.tensorProducer[t]!, fixedBytes[t]!, tensorBytes[t]!, t);
          gradOf[t] = g;
          b.writes.push(g);
        }
      }
    }
    const incoming = gradOf[output]!;
    if (incoming >= 0) b.reads.push(incoming);
    // what the backward reads from the forward: recomputed values inside a checkpointed segment
    const checkpointed = segment !== undefined;
    for (let k = 0; k < saved.inputs.length; k++) {
      const t = inputs[first + saved.inputs[k]!]!;
      b.reads.push(checkpointed ? recomputedOrForward(t) : activationOf[t]!);
    }
    if (saved.output) b.reads.push(checkpointed ? recomputedOrForward(output) : activationOf[output]!);
    const extra = checkpointed ? recomputedExtra[i]! : forwardExtra[i]!;
    if (extra >= 0) b.reads.push(extra);
    for (let idx = 0; idx < end - first; idx++) {
      const t = inputs[first + idx]!;
      if (hasGradient[t] !== 1) continue;
      const existing = gradOf[t]!;
      if (existing >= 0) {
        // a second consumer accumulates into the gradient already allocated
        b.reads.push(existing);
        b.writes.push(existing);
      } else if (spec.aliasesInput && idx === 0 && incoming >= 0) {
        gradOf[t] = incoming; // the gradient of a view is a view of the gradient
      } else {
        const g = b.newValue(ACTIVATION_GRADIENT, c.tensorProducer[t]!, fixedBytes[t]!, tensorBytes[t]!, t);
        gradOf[t] = g;
        b.writes.push(g);
      }
    }
    if (c.opTrainable[i]! > 0 || c.opSharesParams[i] === 1) {
      const owner = c.opWeightOwner[i]!;
      // an owner id outside the graph keeps its gradient apart from every op's (as the Map did)
      const existing = owner >= 0 && owner < weightGradOf.length ? weightGradOf[owner]! : (strayWeightGrads.get(owner) ?? -1);
      if (existing >= 0) {
        b.reads.push(existing);
        b.writes.push(existing);
      } else {
        const trainable = Number.isInteger(owner) && owner >= 0 && owner < c.opCount ? c.opTrainable[owner]! : c.opTrainable[i]!;
        const g = b.newValue(WEIGHT_GRADIENT, owner, trainable * format.gradient, 0);
        if (owner >= 0 && owner < weightGradOf.length) weightGradOf[owner] = g;
        else strayWeightGrads.set(owner, g);
        weightGrads.push(g);
        b.writes.push(g);
      }
    }
    // the weight-gradient and input-gradient products reuse one workspace the size of the forward one
    if (!isZero(info.workspace)) b.writes.push(pushValue(WORKSPACE, i, info.workspace));
    b.endStep(BACKWARD, i);
  }
  if (b.stepCount === backwardStart) return frozen(-1, [], -1, -1, forwardEnd);
  for (let k = 0; k < weightGrads.length; k++) b.reads.push(weightGrads[k]!);
  const optimizerStep = b.endStep(OPTIMIZER, -1);
  return frozen(lossStep, lossReads, backwardStart, optimizerStep, forwardEnd);
}
