// The execution schedule of one model: forward steps in program order; in train mode the backward
// steps in reverse order (with recompute steps for checkpointed segments) and one optimizer step.
// Every step records the values it writes and reads, so liveness is a scan over the steps.
// What each op keeps for its backward and what workspace it needs comes from the op registry.
import { DTYPE_BYTES, tensorBytesPerSample, type Graph, type Lowering, type OpId, type OpNode, type TensorId } from '../ir';
import { activationDType } from '../graphBuilder';
import { lookupOp } from '../ops/registry';
import type { ArgValue, OpContext, OpSpec } from '../ops/types';
import { symbolic, type SymbolicBytes } from '../units';
import { weightFormat } from './footprint';

export type Phase = 'forward' | 'recompute' | 'backward' | 'optimizer';

export type ValueKind =
  | 'activation' // a forward output
  | 'recomputed' // a forward output recomputed during backward (checkpointing)
  | 'saved-extra' // extra state an op keeps for its backward (batch-norm statistics, dropout mask)
  | 'activation-gradient'
  | 'weight-gradient'
  | 'workspace'; // transient buffer of one step (im2col lowering, attention scores)

/** one logical buffer content; views and in-place outputs later share a buffer with another value */
export interface Value {
  readonly id: number;
  readonly kind: ValueKind;
  /** the forward tensor it holds (activation, recomputed) or is the gradient of */
  readonly tensor?: TensorId;
  /** the op that produces it (for a weight gradient: the op owning the weights) */
  readonly op: OpId;
  readonly bytes: SymbolicBytes;
}

export interface Step {
  readonly index: number;
  readonly phase: Phase;
  /** the op this step runs (absent for the optimizer step); its statement points back to the source */
  readonly node?: OpNode;
  /** value ids read at this step (saved tensors, incoming gradient, forward inputs) */
  readonly reads: readonly number[];
  /** value ids written at this step */
  readonly writes: readonly number[];
  /** model outputs the loss reads at the first backward step (not saved by any op's backward) */
  readonly lossReads?: readonly number[];
}

export interface Schedule {
  readonly steps: readonly Step[];
  readonly values: readonly Value[];
  /** forward activation value of every tensor, by tensor id */
  readonly activationOf: readonly number[];
  /** value pairs that share one buffer by construction (flatten/reshape views) */
  readonly views: readonly (readonly [number, number])[];
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

/** what the registry says about one op in this graph, computed once per analysis */
export interface OpInfo {
  readonly spec?: OpSpec;
  /** absent for an op the registry does not know */
  readonly saved?: SavedSpec;
  /** workspace of one run under the resolved lowering */
  readonly workspace: SymbolicBytes;
}

export function opInfos(graph: Graph, lowering: 'im2col' | 'direct'): OpInfo[] {
  return graph.ops.map((op) => {
    const spec = lookupOp(op.op);
    if (!spec) return { workspace: symbolic(0, 0) };
    const ctx = opContext(graph, op);
    try {
      return { spec, saved: savedSpec(graph, op, spec, ctx), workspace: workspaceBytes(graph, op, spec, lowering, ctx) };
    } catch {
      // a registry rule that rejects what the shape rule accepted: account the op as keeping nothing
      return { spec, saved: { inputs: [], output: false, extra: symbolic(0, 0) }, workspace: symbolic(0, 0) };
    }
  });
}

/** `auto` lowers convolutions to matrix products on GPUs and CPUs; IPUs run them directly */
export function resolveLowering(lowering: Lowering, deviceKind: 'gpu' | 'cpu' | 'ipu'): 'im2col' | 'direct' {
  if (lowering !== 'auto') return lowering;
  return deviceKind === 'ipu' ? 'direct' : 'im2col';
}

/** what the registry's rules see for an op already in the graph */
export function opContext(graph: Graph, node: OpNode): OpContext {
  const args: Record<string, ArgValue> = {};
  for (const k in node.attrs) {
    const v = node.attrs[k];
    if (v !== null) args[k] = v;
  }
  return {
    inputs: node.inputs.map((id) => graph.tensors[id]!),
    args,
    layout: graph.config.layout,
    activationDType: activationDType(graph.config),
  };
}

/** what the backward of `node` reads from its forward: input indices, output, extra elements */
export interface SavedSpec {
  readonly inputs: readonly number[];
  readonly output: boolean;
  readonly extra: SymbolicBytes;
}

export function savedSpec(graph: Graph, node: OpNode, spec: OpSpec, ctx: OpContext = opContext(graph, node)): SavedSpec {
  const saved = spec.savedForBackward;
  const out = graph.tensors[node.output]!;
  const extra = saved.extraElements?.(ctx, out.shape) ?? { perSample: 0, fixed: 0 };
  const b = DTYPE_BYTES[saved.extraDType ?? ctx.activationDType];
  return {
    inputs: saved.inputs.filter((i) => i < node.inputs.length),
    output: saved.outputWhen?.(ctx) ?? saved.output,
    extra: symbolic(extra.fixed * b, extra.perSample * b),
  };
}

/** workspace bytes of one forward (or backward) run of `node` under the lowering */
export function workspaceBytes(
  graph: Graph,
  node: OpNode,
  spec: OpSpec,
  lowering: 'im2col' | 'direct',
  ctx: OpContext = opContext(graph, node),
): SymbolicBytes {
  if (!spec.workspaceElements) return symbolic(0, 0);
  // lowering workspace belongs to the convolution family; attention scores stay whatever the lowering
  if (spec.family === 'conv' && lowering === 'direct') return symbolic(0, 0);
  const w = spec.workspaceElements(ctx, graph.tensors[node.output]!.shape);
  const b = DTYPE_BYTES[ctx.activationDType];
  return symbolic(w.fixed * b, w.perSample * b);
}

function isZero(b: SymbolicBytes): boolean {
  return b.fixed === 0 && b.perSample === 0;
}

/** tensors that carry a gradient back to some weight: they need an activation gradient in training */
function gradientFlow(graph: Graph): boolean[] {
  const requires = new Uint8Array(graph.tensors.length);
  for (const op of graph.ops) {
    let flows = op.params.trainable > 0 || op.sharesParamsWith !== undefined;
    for (let k = 0; !flows && k < op.inputs.length; k++) flows = requires[op.inputs[k]!] === 1;
    requires[op.output] = flows ? 1 : 0;
  }
  const reached = new Array<boolean>(graph.tensors.length).fill(false);
  for (const t of graph.outputs) reached[t] = requires[t] === 1;
  for (let i = graph.ops.length - 1; i >= 0; i--) {
    const op = graph.ops[i]!;
    if (!reached[op.output]) continue;
    for (const t of op.inputs) if (requires[t] === 1) reached[t] = true;
  }
  return reached;
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
  const values: Value[] = [];
  const steps: Step[] = [];
  const views: [number, number][] = [];
  const newValue = (kind: ValueKind, op: OpId, bytes: SymbolicBytes, tensor?: TensorId): number => {
    const id = values.length;
    values.push(tensor === undefined ? { id, kind, op, bytes } : { id, kind, op, bytes, tensor });
    return id;
  };
  const tensorBytes = (t: TensorId): SymbolicBytes => {
    const tensor = graph.tensors[t]!;
    return symbolic(0, tensorBytesPerSample(tensor));
  };
  const activationOf = graph.tensors.map((t) => newValue('activation', t.producer, tensorBytes(t.id), t.id));
  const hasGradient = training ? gradientFlow(graph) : [];
  const runsBackward = (op: OpNode): boolean => training && op.op !== 'input' && hasGradient[op.output] === true;

  // ---- forward
  // by op id / tensor id, -1 for none: arrays, not Maps, on the keystroke path
  const forwardExtra = new Int32Array(graph.ops.length).fill(-1);
  for (const op of graph.ops) {
    const info = opInfo[op.id]!;
    const writes = [activationOf[op.output]!];
    if (info.spec?.aliasesInput && op.inputs.length > 0) views.push([activationOf[op.output]!, activationOf[op.inputs[0]!]!]);
    if (info.saved && runsBackward(op) && segmentOf(op) === undefined && !isZero(info.saved.extra)) {
      const v = newValue('saved-extra', op.id, info.saved.extra);
      forwardExtra[op.id] = v;
      writes.push(v);
    }
    if (!isZero(info.workspace)) writes.push(newValue('workspace', op.id, info.workspace));
    steps.push({ index: steps.length, phase: 'forward', node: op, reads: op.inputs.map((t) => activationOf[t]!), writes });
  }
  const forwardEnd = steps.length - 1;
  if (!training) {
    return { steps, values, activationOf, views, backwardStart: -1, optimizerStep: -1, forwardEnd, lowering, opInfo };
  }

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
  const backwardStart = steps.length;
  let seeded = false;

  const emitRecompute = (segment: readonly OpNode[]): void => {
    for (const op of segment) {
      const info = opInfo[op.id]!;
      const reads = op.inputs.map(recomputedOrForward);
      const out = newValue('recomputed', op.id, tensorBytes(op.output), op.output);
      recomputedOf[op.output] = out;
      const writes = [out];
      if (info.spec?.aliasesInput && reads.length > 0) views.push([out, reads[0]!]);
      if (info.saved && runsBackward(op) && !isZero(info.saved.extra)) {
        const v = newValue('saved-extra', op.id, info.saved.extra);
        recomputedExtra[op.id] = v;
        writes.push(v);
      }
      if (!isZero(info.workspace)) writes.push(newValue('workspace', op.id, info.workspace));
      steps.push({ index: steps.length, phase: 'recompute', node: op, reads, writes });
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
    const reads: number[] = [];
    const writes: number[] = [];
    const lossReads: number[] = [];
    if (!seeded) {
      // the loss reads the model outputs and seeds their gradients
      seeded = true;
      for (const t of graph.outputs) {
        lossReads.push(activationOf[t]!);
        if (hasGradient[t] && gradOf[t]! < 0) {
          const g = newValue('activation-gradient', graph.tensors[t]!.producer, tensorBytes(t), t);
          gradOf[t] = g;
          writes.push(g);
        }
      }
    }
    const forwardValue = (t: TensorId): number => (segment !== undefined ? recomputedOrForward(t) : activationOf[t]!);
    const incoming = gradOf[op.output]!;
    if (incoming >= 0) reads.push(incoming);
    for (const idx of saved.inputs) reads.push(forwardValue(op.inputs[idx]!));
    if (saved.output) reads.push(forwardValue(op.output));
    const extra = segment !== undefined ? recomputedExtra[op.id]! : forwardExtra[op.id]!;
    if (extra >= 0) reads.push(extra);
    for (let idx = 0; idx < op.inputs.length; idx++) {
      const t = op.inputs[idx]!;
      if (!hasGradient[t]) continue;
      const existing = gradOf[t]!;
      if (existing >= 0) {
        // a second consumer accumulates into the gradient already allocated
        reads.push(existing);
        writes.push(existing);
      } else if (spec.aliasesInput && idx === 0 && incoming >= 0) {
        gradOf[t] = incoming; // the gradient of a view is a view of the gradient
      } else {
        const g = newValue('activation-gradient', graph.tensors[t]!.producer, tensorBytes(t), t);
        gradOf[t] = g;
        writes.push(g);
      }
    }
    if (op.params.trainable > 0 || op.sharesParamsWith !== undefined) {
      const owner = op.sharesParamsWith ?? op.id;
      // an owner id outside the graph keeps its gradient apart from every op's (as the Map did)
      const existing = owner >= 0 && owner < weightGradOf.length ? weightGradOf[owner]! : (strayWeightGrads.get(owner) ?? -1);
      if (existing >= 0) {
        reads.push(existing);
        writes.push(existing);
      } else {
        const trainable = graph.ops[owner]?.params.trainable ?? op.params.trainable;
        const g = newValue('weight-gradient', owner, symbolic(trainable * format.gradient, 0));
        if (owner >= 0 && owner < weightGradOf.length) weightGradOf[owner] = g;
        else strayWeightGrads.set(owner, g);
        weightGrads.push(g);
        writes.push(g);
      }
    }
    // the weight-gradient and input-gradient products reuse one workspace the size of the forward one
    if (!isZero(info.workspace)) writes.push(newValue('workspace', op.id, info.workspace));
    steps.push({ index: steps.length, phase: 'backward', node: op, reads, writes, ...(lossReads.length > 0 ? { lossReads } : {}) });
  }
  if (steps.length === backwardStart) {
    return { steps, values, activationOf, views, backwardStart: -1, optimizerStep: -1, forwardEnd, lowering, opInfo };
  }
  const optimizerStep = steps.length;
  steps.push({ index: optimizerStep, phase: 'optimizer', reads: weightGrads, writes: [] });
  return { steps, values, activationOf, views, backwardStart, optimizerStep, forwardEnd, lowering, opInfo };
}
