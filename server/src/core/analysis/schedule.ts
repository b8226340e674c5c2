// The execution schedule of one model: forward steps in program order; in train mode the backward
// steps in reverse order (with recompute steps for checkpointed segments) and one optimizer step.
// Every step records the values it writes and reads, so liveness is a scan over the steps.
// What each op keeps for its backward and what workspace it needs comes from the op registry.
import { DTYPE_BYTES, tensorBytesPerSample, type DType, type Graph, type Layout, type Lowering, type OpId, type OpNode, type TensorId, type TensorType } from '../ir';
import { activationDType } from '../graphBuilder';
import { lookupOp } from '../ops/registry';
import type { ArgValue, OpSpec } from '../ops/types';
import { symbolic, type SymbolicBytes } from '../units';
import { FloatColumn, IntColumn } from './columns';
import { weightFormat } from './footprint';

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
const KIND_CODE: Readonly<Record<ValueKind, number>> = {
  activation: 0,
  recomputed: 1,
  'saved-extra': 2,
  'activation-gradient': 3,
  'weight-gradient': 4,
  workspace: 5,
};

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
  return op >= 0 ? graph.ops[op] : undefined;
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

export function opInfos(graph: Graph, lowering: 'im2col' | 'direct'): OpInfo[] {
  const activation = activationDType(graph.config);
  const bytesPerActivation = DTYPE_BYTES[activation];
  const ctx: { inputs: TensorType[]; args: Readonly<Record<string, ArgValue>>; layout: Layout; activationDType: DType } = {
    inputs: [],
    args: {},
    layout: graph.config.layout,
    activationDType: activation,
  };
  const inputLists: TensorType[][] = [];
  // most ops keep no extra state and need no workspace: one shared OpInfo per (spec, output kept)
  const plain = new Map<OpSpec, [OpInfo | undefined, OpInfo | undefined]>();
  return graph.ops.map((op): OpInfo => {
    const spec = lookupOp(op.op);
    if (!spec) return { workspace: NO_BYTES, extraElements: NO_BYTES, workspaceElements: NO_BYTES };
    // one context object refilled per op: the registry's rules read it and keep nothing
    // an input list per arity, refilled in place (emptying one array and pushing would reallocate it per op)
    const arity = op.inputs.length;
    const inputs = (inputLists[arity] ??= new Array<TensorType>(arity));
    for (let k = 0; k < arity; k++) inputs[k] = graph.tensors[op.inputs[k]!]!;
    ctx.inputs = inputs;
    ctx.args = argsOf(op);
    try {
      const saved = spec.savedForBackward;
      const outShape = graph.tensors[op.output]!.shape;
      const extra = saved.extraElements?.(ctx, outShape) ?? NO_BYTES;
      const extraBytes = DTYPE_BYTES[saved.extraDType ?? activation];
      // lowering workspace belongs to the convolution family; attention scores stay whatever the lowering
      const workspace = !spec.workspaceElements || (spec.family === 'conv' && lowering === 'direct') ? NO_BYTES : spec.workspaceElements(ctx, outShape);
      const output = saved.outputWhen?.(ctx) ?? saved.output;
      let allInputs = true;
      for (let k = 0; k < saved.inputs.length; k++) if (saved.inputs[k]! >= op.inputs.length) allInputs = false;
      const isPlain = allInputs && isZero(extra) && isZero(workspace) && !saved.extraDType;
      if (isPlain) {
        const cached = plain.get(spec)?.[output ? 1 : 0];
        if (cached) return cached;
      }
      const info: OpInfo = {
        spec,
        saved: {
          inputs: allInputs ? saved.inputs : saved.inputs.filter((i) => i < op.inputs.length),
          output,
          extra: scaled(extra, extraBytes),
        },
        workspace: scaled(workspace, bytesPerActivation),
        extraElements: extra,
        ...(saved.extraDType ? { extraDType: saved.extraDType } : {}),
        workspaceElements: workspace,
      };
      if (isPlain) {
        const pair = plain.get(spec) ?? [undefined, undefined];
        pair[output ? 1 : 0] = info;
        plain.set(spec, pair);
      }
      return info;
    } catch {
      // a registry rule that rejects what the shape rule accepted: account the op as keeping nothing
      return { spec, saved: { inputs: [], output: false, extra: NO_BYTES }, workspace: NO_BYTES, extraElements: NO_BYTES, workspaceElements: NO_BYTES };
    }
  });
}

function scaled(elements: { readonly fixed: number; readonly perSample: number }, bytes: number): SymbolicBytes {
  return elements.fixed === 0 && elements.perSample === 0 ? NO_BYTES : symbolic(elements.fixed * bytes, elements.perSample * bytes);
}

/** the op's arguments as the registry sees them: null (absent) attributes left out, copied only when there are some */
function argsOf(node: OpNode): Readonly<Record<string, ArgValue>> {
  let hasNull = false;
  for (const k in node.attrs) if (node.attrs[k] === null) hasNull = true;
  if (!hasNull) return node.attrs as Readonly<Record<string, ArgValue>>;
  const args: Record<string, ArgValue> = {};
  for (const k in node.attrs) {
    const v = node.attrs[k];
    if (v !== null && v !== undefined) args[k] = v;
  }
  return args;
}

/** `auto` lowers convolutions to matrix products on GPUs and CPUs; IPUs run them directly */
export function resolveLowering(lowering: Lowering, deviceKind: 'gpu' | 'cpu' | 'ipu'): 'im2col' | 'direct' {
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

/** tensors that carry a gradient back to some weight: they need an activation gradient in training */
function gradientFlow(graph: Graph): boolean[] {
  const requires = new Uint8Array(graph.tensors.length);
  // indexed loops here and below: no iterator objects while V8 has not optimised the function yet
  for (let i = 0; i < graph.ops.length; i++) {
    const op = graph.ops[i]!;
    let flows = op.params.trainable > 0 || op.sharesParamsWith !== undefined;
    for (let k = 0; !flows && k < op.inputs.length; k++) flows = requires[op.inputs[k]!] === 1;
    requires[op.output] = flows ? 1 : 0;
  }
  const reached = new Array<boolean>(graph.tensors.length).fill(false);
  for (let k = 0; k < graph.outputs.length; k++) reached[graph.outputs[k]!] = requires[graph.outputs[k]!] === 1;
  for (let i = graph.ops.length - 1; i >= 0; i--) {
    const op = graph.ops[i]!;
    if (!reached[op.output]) continue;
    for (let k = 0; k < op.inputs.length; k++) if (requires[op.inputs[k]!] === 1) reached[op.inputs[k]!] = true;
  }
  return reached;
}

/** the rows of a schedule as they are written, then frozen into columns */
class ScheduleBuilder {
  readonly stepPhase = new IntColumn();
  readonly stepOp = new IntColumn();
  readonly readStart = new IntColumn();
  readonly reads = new IntColumn();
  readonly writeStart = new IntColumn();
  readonly writes = new IntColumn();
  readonly valueKind = new IntColumn();
  readonly valueOp = new IntColumn();
  readonly valueTensor = new IntColumn();
  readonly valueFixed = new FloatColumn();
  readonly valuePerSample = new FloatColumn();
  readonly views = new IntColumn();

  constructor() {
    this.readStart.push(0);
    this.writeStart.push(0);
  }

  get stepCount(): number {
    return this.stepPhase.length;
  }

  newValue(kind: ValueKind, op: OpId, fixed: number, perSample: number, tensor = -1): number {
    const id = this.valueKind.length;
    this.valueKind.push(KIND_CODE[kind]);
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
  const segmentOf = (op: OpNode): number | undefined => (segments ? segments[op.id] : op.checkpointSegment);
  const config = graph.config;
  const training = config.mode === 'train';
  const lowering = resolveLowering(config.lowering, config.device.kind);
  const opInfo = infos ?? opInfos(graph, lowering);
  const b = new ScheduleBuilder();
  const tensorBytes = new Float64Array(graph.tensors.length);
  const activationOf = new Int32Array(graph.tensors.length);
  for (let i = 0; i < graph.tensors.length; i++) {
    const t = graph.tensors[i]!;
    tensorBytes[t.id] = tensorBytesPerSample(t);
    activationOf[t.id] = b.newValue('activation', t.producer, 0, tensorBytes[t.id]!, t.id);
  }
  const hasGradient = training ? gradientFlow(graph) : [];
  const runsBackward = (op: OpNode): boolean => training && op.op !== 'input' && hasGradient[op.output] === true;
  const pushValue = (kind: ValueKind, op: OpId, bytes: SymbolicBytes): number => b.newValue(kind, op, bytes.fixed, bytes.perSample);
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

  // ---- forward
  // by op id / tensor id, -1 for none: arrays, not Maps, on the keystroke path
  const forwardExtra = new Int32Array(graph.ops.length).fill(-1);
  for (let i = 0; i < graph.ops.length; i++) {
    const op = graph.ops[i]!;
    const info = opInfo[op.id]!;
    b.writes.push(activationOf[op.output]!);
    if (info.spec?.aliasesInput && op.inputs.length > 0) {
      b.views.push(activationOf[op.output]!);
      b.views.push(activationOf[op.inputs[0]!]!);
    }
    if (info.saved && runsBackward(op) && segmentOf(op) === undefined && !isZero(info.saved.extra)) {
      const v = pushValue('saved-extra', op.id, info.saved.extra);
      forwardExtra[op.id] = v;
      b.writes.push(v);
    }
    if (!isZero(info.workspace)) b.writes.push(pushValue('workspace', op.id, info.workspace));
    for (let k = 0; k < op.inputs.length; k++) b.reads.push(activationOf[op.inputs[k]!]!);
    b.endStep(FORWARD, op.id);
  }
  const forwardEnd = b.stepCount - 1;
  if (!training) return frozen(-1, [], -1, -1, forwardEnd);

  // ---- backward, with recompute steps ahead of each checkpointed segment's first backward step
  const format = weightFormat(config);
  const gradOf = new Int32Array(graph.tensors.length).fill(-1);
  const weightGradOf = new Int32Array(graph.ops.length).fill(-1);
  /** weight gradients in the order they were first written: what the optimizer step reads */
  const weightGrads: number[] = [];
  const recomputedOf = new Int32Array(graph.tensors.length).fill(-1);
  const recomputedExtra = new Int32Array(graph.ops.length).fill(-1);
  const recomputedOrForward = (t: TensorId): number => (recomputedOf[t]! >= 0 ? recomputedOf[t]! : activationOf[t]!);
  const segmentOps = new Map<number, OpNode[]>();
  for (const op of graph.ops) {
    const segment = segmentOf(op);
    if (segment === undefined || op.op === 'input') continue;
    const list = segmentOps.get(segment) ?? [];
    list.push(op);
    segmentOps.set(segment, list);
  }
  const recomputed = new Set<number>();
  const strayWeightGrads = new Map<OpId, number>();
  const backwardStart = b.stepCount;
  let lossStep = -1;
  const lossReads: number[] = [];

  const emitRecompute = (segment: readonly OpNode[]): void => {
    for (const op of segment) {
      const info = opInfo[op.id]!;
      for (let k = 0; k < op.inputs.length; k++) b.reads.push(recomputedOrForward(op.inputs[k]!));
      const out = b.newValue('recomputed', op.id, 0, tensorBytes[op.output]!, op.output);
      recomputedOf[op.output] = out;
      b.writes.push(out);
      if (info.spec?.aliasesInput && op.inputs.length > 0) {
        b.views.push(out);
        b.views.push(recomputedOrForward(op.inputs[0]!));
      }
      if (info.saved && runsBackward(op) && !isZero(info.saved.extra)) {
        const v = pushValue('saved-extra', op.id, info.saved.extra);
        recomputedExtra[op.id] = v;
        b.writes.push(v);
      }
      if (!isZero(info.workspace)) b.writes.push(pushValue('workspace', op.id, info.workspace));
      b.endStep(RECOMPUTE, op.id);
    }
  };

  for (let i = graph.ops.length - 1; i >= 0; i--) {
    const op = graph.ops[i]!;
    const info = opInfo[op.id]!;
    const spec = info.spec;
    const saved = info.saved;
    if (!spec || !saved || !runsBackward(op)) continue;
    const segment = segmentOf(op);
    if (segment !== undefined && !recomputed.has(segment)) {
      recomputed.add(segment);
      emitRecompute(segmentOps.get(segment) ?? []);
    }
    if (lossStep < 0) {
      // the loss reads the model outputs and seeds their gradients
      lossStep = b.stepCount;
      for (const t of graph.outputs) {
        lossReads.push(activationOf[t]!);
        if (hasGradient[t] && gradOf[t]! < 0) {
          const g = b.newValue('activation-gradient', graph.tensors[t]!.producer, 0, tensorBytes[t]!, t);
          gradOf[t] = g;
          b.writes.push(g);
        }
      }
    }
    const incoming = gradOf[op.output]!;
    if (incoming >= 0) b.reads.push(incoming);
    // what the backward reads from the forward: recomputed values inside a checkpointed segment
    const checkpointed = segment !== undefined;
    for (let k = 0; k < saved.inputs.length; k++) {
      const t = op.inputs[saved.inputs[k]!]!;
      b.reads.push(checkpointed ? recomputedOrForward(t) : activationOf[t]!);
    }
    if (saved.output) b.reads.push(checkpointed ? recomputedOrForward(op.output) : activationOf[op.output]!);
    const extra = segment !== undefined ? recomputedExtra[op.id]! : forwardExtra[op.id]!;
    if (extra >= 0) b.reads.push(extra);
    for (let idx = 0; idx < op.inputs.length; idx++) {
      const t = op.inputs[idx]!;
      if (!hasGradient[t]) continue;
      const existing = gradOf[t]!;
      if (existing >= 0) {
        // a second consumer accumulates into the gradient already allocated
        b.reads.push(existing);
        b.writes.push(existing);
      } else if (spec.aliasesInput && idx === 0 && incoming >= 0) {
        gradOf[t] = incoming; // the gradient of a view is a view of the gradient
      } else {
        const g = b.newValue('activation-gradient', graph.tensors[t]!.producer, 0, tensorBytes[t]!, t);
        gradOf[t] = g;
        b.writes.push(g);
      }
    }
    if (op.params.trainable > 0 || op.sharesParamsWith !== undefined) {
      const owner = op.sharesParamsWith ?? op.id;
      // an owner id outside the graph keeps its gradient apart from every op's (as the Map did)
      const existing = owner >= 0 && owner < weightGradOf.length ? weightGradOf[owner]! : (strayWeightGrads.get(owner) ?? -1);
      if (existing >= 0) {
        b.reads.push(existing);
        b.writes.push(existing);
      } else {
        const trainable = graph.ops[owner]?.params.trainable ?? op.params.trainable;
        const g = b.newValue('weight-gradient', owner, trainable * format.gradient, 0);
        if (owner >= 0 && owner < weightGradOf.length) weightGradOf[owner] = g;
        else strayWeightGrads.set(owner, g);
        weightGrads.push(g);
        b.writes.push(g);
      }
    }
    // the weight-gradient and input-gradient products reuse one workspace the size of the forward one
    if (!isZero(info.workspace)) b.writes.push(pushValue('workspace', op.id, info.workspace));
    b.endStep(BACKWARD, op.id);
  }
  if (b.stepCount === backwardStart) return frozen(-1, [], -1, -1, forwardEnd);
  for (let k = 0; k < weightGrads.length; k++) b.reads.push(weightGrads[k]!);
  const optimizerStep = b.endStep(OPTIMIZER, -1);
  return frozen(lossStep, lossReads, backwardStart, optimizerStep, forwardEnd);
}
