// One step of eager PyTorch on a CPU, replayed on the graph: the forward in program order, each op
// allocating what torch allocates (pytorchOps.ts) and tensors freed when their last reference goes
// (a later reader, a view, autograd's saved reference, the user's variables holding the model's
// outputs and loss); in training the backward in reverse order, each node allocating its inputs'
// gradients and releasing its saved tensors and its output's gradient. The weights and buffers exist
// before the step; the weight gradients are made during it (torch's `p.grad = None` first), or, with
// an optimizer whose zero_grad keeps them, exist before it and take each new gradient in place;
// then the optimizer's step (pytorchOptimizer.ts).
import { DTYPE_BYTES, type AttrValue, type Graph, type OpNode, type Tensor } from '../../ir';
import { lookupOp } from '../../ops/registry';
import { AllocationTrace, type AllocationKind, type AllocationPeak, type Storage } from './allocations';
import { TORCH_CPU_OPS, type BackwardContext, type ForwardContext, type StepContext, type Temporary } from './pytorchOps';
import { graphColumns } from '../../graphColumns';
import { requiresGradient } from '../schedule';
import { weightFormat } from '../footprint';
import { KeptGradients, replayOptimizerStep, replayZeroGrad, type OptimizerStep } from './pytorchOptimizer';
import { channelsLastStrides, contiguousStrides, isChannelsLast, isContiguous, sequenceFirstStrides, viewStrides } from './strides';

interface LiveTensor {
  storage?: Storage;
  readonly shape: readonly number[];
  strides: readonly number[];
  bytes: number;
  /** forward reads still to come, plus one while a user variable holds it */
  uses: number;
  /** autograd nodes that saved it */
  saved: number;
  released: boolean;
}

export type EagerResult = { readonly peak: AllocationPeak } | { readonly unsupported: readonly string[] };

/** `step`: the training step is a whole optimizer step (zero_grad, forward, backward, step), not a forward and backward alone */
export function simulatePytorchCpu(graph: Graph, batch: number, training: boolean, vectorBits: number, step?: OptimizerStep): EagerResult {
  const gap = (op: OpNode): string | null => {
    const rule = TORCH_CPU_OPS[op.op];
    if (!rule) return op.op;
    const input = graph.tensors[op.inputs[0]!]?.shape ?? [];
    const either = rule.gap?.(op, input, training, op.inputs.map((t) => graph.tensors[t]!)) ?? null;
    if (either !== null) return `${op.op}${training ? ' training' : ''} (${either})`;
    if (!training) return null;
    if (rule.inferenceOnly === true) return `${op.op} training`;
    const what = rule.trainingGap?.(op, input) ?? null;
    return what === null ? null : `${op.op} training (${what})`;
  };
  const missing = [...new Set(graph.ops.filter((op) => op.op !== 'input' && !readsWeights(op.op)).map(gap).filter((g): g is string => g !== null))];
  if (missing.length > 0) return { unsupported: missing };
  const trace = new AllocationTrace();
  if (training && step) replayZeroGrad(trace);
  const tensors = graph.tensors.map((t) => liveTensor(t, batch));
  // which tensors carry a gradient: outputs of ops with trainable weights and everything downstream
  const segments = checkpointSegments(graph);
  const requiresGrad = training ? requiresGradient(graphColumns(graph), segments.size > 0 ? checkpointCut(graph, segments) : undefined) : new Uint8Array(graph.tensors.length);
  for (const op of graph.ops) for (const t of op.inputs) tensors[t]!.uses++;
  // the user's variables hold the model's outputs, and a loss's predictions, to the end of the step
  const losses = graph.ops.filter((op) => lookupOp(op.op)?.family === 'loss');
  for (const t of graph.outputs) tensors[t]!.uses++;
  for (const op of losses) tensors[op.inputs[0]!]!.uses++;
  // a Python variable holds its tensor until the op the frontend names (an argument until its call returns)
  const heldTo: number[][] = graph.ops.map(() => []);
  for (const [t, op] of graph.heldUntil ?? []) {
    if (op < 0 || op >= graph.ops.length) continue;
    tensors[t]!.uses++;
    heldTo[op]!.push(t);
  }

  const release = (id: number): void => {
    const t = tensors[id]!;
    if (t.released || t.uses > 0 || t.saved > 0) return;
    t.released = true;
    if (t.storage) trace.release(t.storage);
  };
  const temporary = (bytes: number): Temporary & { storage?: Storage } => (bytes > 0 ? { bytes, storage: trace.alloc(bytes, 'temporary') } : { bytes });
  const storageOf = (tmp: Temporary & { storage?: Storage }): Storage | undefined => tmp.storage;
  const freeTemporary = (tmp: Temporary & { storage?: Storage }): void => {
    if (tmp.storage) trace.release(tmp.storage);
  };
  // what forward and backward rules both read of an op
  const stepContext = (node: OpNode): StepContext => ({
    node,
    inShape: (k) => tensors[node.inputs[k]!]!.shape,
    outShape: tensors[node.output]!.shape,
    inBytes: (k) => tensors[node.inputs[k]!]!.bytes,
    outBytes: tensors[node.output]!.bytes,
    elementBytes: DTYPE_BYTES[graph.tensors[node.output]!.dtype],
    vectorBits,
    inContiguous: (k) => {
      const t = tensors[node.inputs[k]!]!;
      return isContiguous(t.shape, t.strides);
    },
    temp: temporary,
    free: freeTemporary,
  });

  const extras: Storage[][] = graph.ops.map(() => []);
  const kept: Temporary[][] = graph.ops.map(() => []);
  const dynamicSaves: number[][] = graph.ops.map(() => []);
  const savedInputs = (op: number): number[] => {
    const node = graph.ops[op]!;
    return [...TORCH_CPU_OPS[node.op]!.saves.inputs, ...dynamicSaves[op]!].filter((k) => k < node.inputs.length);
  };
  const aliased = new Uint8Array(graph.ops.length);
  /** an in-place op whose saved input is a clone autograd took, not the input itself */
  const clonedInput = new Uint8Array(graph.ops.length);
  // a checkpointed segment's forward runs without autograd (torch.utils.checkpoint: no_grad), and again
  // with it in the backward (`recomputing`)
  let recomputing = false;
  const forwardOp = (node: OpNode): void => {
    trace.site = { phase: recomputing ? 'backward' : 'forward', op: node.id };
    const out = tensors[node.output]!;
    const letGo = (): void => {
      // the recompute runs inside CheckpointFunction's backward: no Python variable of the forward holds its tensors
      if (recomputing) return;
      for (const t of heldTo[node.id]!) {
        tensors[t]!.uses--;
        release(t);
      }
    };
    if (node.op === 'input' || readsWeights(node.op)) {
      // an input exists before the step; a parameter read as a tensor is the weights' own storage
      if (node.op !== 'input') out.uses++;
      letGo();
      return;
    }
    const rule = TORCH_CPU_OPS[node.op]!;
    const inPlace = node.inPlace && node.inputs.length > 0;
    const records = training && requiresGrad[node.output] === 1 && (node.checkpointSegment === undefined || recomputing);
    const keep = (kind: AllocationKind, bytes: number): void => {
      const storage = trace.alloc(bytes, kind);
      if (records) extras[node.id]!.push(storage);
      else trace.release(storage);
    };
    const share = (from: LiveTensor, strides: readonly number[]): void => {
      out.storage = from.storage;
      out.strides = strides;
      if (from.storage) trace.retain(from.storage);
    };
    const ctx: ForwardContext = {
      ...stepContext(node),
      training,
      output: (layout) => {
        if (inPlace) share(tensors[node.inputs[0]!]!, tensors[node.inputs[0]!]!.strides);
        else {
          out.storage = trace.alloc(out.bytes, 'activation');
          const followsInput = rule.elementwise === true && node.inputs.some((t) => sameShape(tensors[t]!.shape, out.shape) && isChannelsLast(tensors[t]!.shape, tensors[t]!.strides));
          if ((layout === 'channelsLast' || followsInput) && out.shape.length === 4) out.strides = channelsLastStrides(out.shape);
          if (layout === 'sequenceFirst' && out.shape.length >= 2) out.strides = sequenceFirstStrides(out.shape);
        }
      },
      inChannelsLast: (k) => {
        const t = tensors[node.inputs[k]!]!;
        return isChannelsLast(t.shape, t.strides);
      },
      view: () => {
        const source = tensors[node.inputs[0]!]!;
        // expand over the batch: the batch axis steps by 0 over the token's own storage
        const strides = node.op === 'expand_batch' ? [0, ...source.strides.slice(source.shape[0] === 1 ? 1 : 0)] : node.op === 'transpose' ? permuted(source.strides, node.attrs['perm']) : node.op === 'slice' ? sliced(source.strides, node.attrs['axis'], node.attrs['select'] === true, graph.tensors[node.inputs[0]!]!.batchIndependent ? 0 : 1) : viewStrides(source.shape, source.strides, out.shape);
        if (strides) share(source, strides);
        else out.storage = trace.alloc(out.bytes, 'activation');
      },
      alias: () => {
        aliased[node.id] = 1;
        share(tensors[node.inputs[0]!]!, tensors[node.inputs[0]!]!.strides);
      },
      extra: (bytes) => keep('saved', bytes),
      recording: records,
      keep: (tmp) => {
        if (!records) freeTemporary(tmp);
        else {
          kept[node.id]!.push(tmp);
          const storage = storageOf(tmp);
          if (storage) extras[node.id]!.push(storage);
        }
      },
      saveInput: (k) => {
        if (records) dynamicSaves[node.id]!.push(k);
      },
      foldCopy: (k) => {
        const t = tensors[node.inputs[k]!]!;
        if (t.shape.length < 3) return 0;
        const folded = [t.shape.slice(0, -2).reduce((a, b) => a * b, 1), ...t.shape.slice(-2)];
        return viewStrides(t.shape, t.strides, folded) ? 0 : t.bytes;
      },
      rowsCopy: (k) => {
        const t = tensors[node.inputs[k]!]!;
        if (t.shape.length < 3) return 0;
        const rows = [t.shape.slice(0, -1).reduce((a, b) => a * b, 1), t.shape[t.shape.length - 1]!];
        return viewStrides(t.shape, t.strides, rows) ? 0 : t.bytes;
      },
    };
    // autograd keeps a clone of an input that an in-place op is about to overwrite
    if (inPlace && records && rule.clonesInPlaceInput === true) {
      clonedInput[node.id] = 1;
      keep('saved', tensors[node.inputs[0]!]!.bytes);
    }
    rule.forward(ctx);
    if (records && !aliased[node.id]) {
      for (const k of savedInputs(node.id)) if (!(clonedInput[node.id] && k === 0)) tensors[node.inputs[k]!]!.saved++;
      if (rule.saves.output) out.saved++;
    }
    for (const t of node.inputs) {
      tensors[t]!.uses--;
      release(t);
    }
    letGo();
    release(node.output);
  };
  for (const node of graph.ops) {
    const segment = node.checkpointSegment === undefined ? undefined : segments.get(node.checkpointSegment);
    // CheckpointFunction takes the CPU RNG state (in inference too, dropped when it returns) and saves
    // its tensor arguments for the recompute
    // (without an argument that requires grad autograd records no node: both go when it returns)
    const recorded = training && segment !== undefined && segment.inputs.some((t) => requiresGrad[t] === 1);
    if (segment && segment.ops[0] === node.id) {
      segment.rngState = trace.alloc(RNG_STATE_BYTES, recorded ? 'saved' : 'temporary');
      if (recorded) for (const t of segment.inputs) tensors[t]!.saved++;
      else segment.recorded = false;
    }
    forwardOp(node);
    if (!recorded && segment?.rngState && segment.ops[segment.ops.length - 1] === node.id) {
      trace.release(segment.rngState);
      segment.rngState = undefined;
    }
  }
  const recompute = (segment: CheckpointSegment): void => {
    // the arguments' detached views share their storage; the RNG state is forked while the forward runs again
    const forked = trace.alloc(RNG_STATE_BYTES, 'temporary');
    const inside = new Set(segment.ops.map((op) => graph.ops[op]!.output));
    for (const op of segment.ops) {
      const t = graph.ops[op]!.output;
      tensors[t] = liveTensor(graph.tensors[t]!, batch);
    }
    // every read counts again (an argument's read too: the detached view is read, not the argument's last use)
    for (const op of segment.ops) for (const t of graph.ops[op]!.inputs) tensors[t]!.uses++;
    // the recomputed outputs stay referenced until CheckpointFunction's backward returns
    for (const t of segment.outputs) tensors[t]!.uses++;
    recomputing = true;
    for (const op of segment.ops) forwardOp(graph.ops[op]!);
    recomputing = false;
    trace.release(forked);
  };
  const segmentDone = (segment: CheckpointSegment): void => {
    for (const t of segment.outputs) {
      tensors[t]!.uses--;
      release(t);
    }
    if (segment.recorded) {
      for (const t of segment.inputs) {
        tensors[t]!.saved--;
        release(t);
      }
    }
    if (segment.rngState) trace.release(segment.rngState);
  };
  if (training) backward({ graph, tensors, requiresGrad, trace, extras, kept, aliased, clonedInput, savedInputs, release, stepContext, segments, recompute, segmentDone, gradientsKept: step?.gradientsKept === true }, losses);
  if (training && step) {
    trace.site = { phase: 'step', op: -1 };
    replayOptimizerStep(trace, step);
  }
  return { peak: trace.peak };
}

/** what the forward leaves the backward: tensors, their references and what each op saved */
interface ForwardState {
  readonly graph: Graph;
  readonly tensors: LiveTensor[];
  readonly requiresGrad: Uint8Array;
  readonly trace: AllocationTrace;
  readonly extras: readonly Storage[][];
  /** the temporaries each op's forward kept for its backward (their storages are among its extras) */
  readonly kept: readonly (readonly Temporary[])[];
  readonly aliased: Uint8Array;
  readonly clonedInput: Uint8Array;
  readonly savedInputs: (op: number) => readonly number[];
  readonly release: (id: number) => void;
  readonly stepContext: (node: OpNode) => StepContext;
  readonly segments: ReadonlyMap<number, CheckpointSegment>;
  /** a checkpointed segment's forward again, with autograd recording */
  readonly recompute: (segment: CheckpointSegment) => void;
  /** CheckpointFunction's backward returns: the recomputed outputs, the saved arguments and RNG state go */
  readonly segmentDone: (segment: CheckpointSegment) => void;
  /** the weights' .grad exist before the step (zero_grad(set_to_none=False)): AccumulateGrad adds each new gradient into them and frees it */
  readonly gradientsKept: boolean;
}

/** the CPU generator's state (torch.get_rng_state(): a 5,056-byte uint8 tensor), saved per checkpoint call */
const RNG_STATE_BYTES = 5056;

/** the ops of one torch.utils.checkpoint call, the tensors it was given and the ones it returns */
interface CheckpointSegment {
  readonly ops: readonly number[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  rngState?: Storage | undefined;
  /** autograd recorded the call (an argument requires grad): it saved its arguments */
  recorded: boolean;
  recomputed: boolean;
  /** the gradients CheckpointFunction's backward was called with: held until it returns */
  held: Storage[];
}

/**
 * A reentrant checkpoint's outputs carry a gradient only if one of its tensor arguments does,
 * whatever weights it holds (torch 1.13 warns "None of the inputs have requires_grad=True" and
 * computes no gradient for them)
 */
function checkpointCut(graph: Graph, segments: ReadonlyMap<number, CheckpointSegment>): (op: number, requires: Uint8Array) => boolean {
  return (i, requires) => {
    const op = graph.ops[i]!;
    const segment = op.checkpointSegment === undefined ? undefined : segments.get(op.checkpointSegment);
    return segment !== undefined && segment.outputs.includes(op.output) && !segment.inputs.some((t) => requires[t] === 1);
  };
}

function checkpointSegments(graph: Graph): Map<number, CheckpointSegment> {
  const segments = new Map<number, CheckpointSegment & { ops: number[]; inputs: number[]; outputs: number[] }>();
  const segmentOf = new Map<number, number>();
  for (const op of graph.ops) {
    if (op.checkpointSegment === undefined) continue;
    let s = segments.get(op.checkpointSegment);
    if (!s) segments.set(op.checkpointSegment, (s = { ops: [], inputs: [], outputs: [], recorded: true, recomputed: false, held: [] }));
    s.ops.push(op.id);
    segmentOf.set(op.output, op.checkpointSegment);
    for (const t of op.inputs) if (segmentOf.get(t) !== op.checkpointSegment && !s.inputs.includes(t)) s.inputs.push(t);
  }
  const read = (t: number, by: number | undefined): void => {
    const s = segmentOf.get(t);
    if (s === undefined || s === by) return;
    const seg = segments.get(s)!;
    if (!seg.outputs.includes(t)) seg.outputs.push(t);
  };
  for (const op of graph.ops) for (const t of op.inputs) read(t, op.checkpointSegment);
  for (const t of graph.outputs) read(t, undefined);
  return segments;
}

function backward(state: ForwardState, losses: readonly OpNode[]): void {
  const { graph, tensors, requiresGrad, trace, extras, aliased, clonedInput, savedInputs, release } = state;
  const gradientBytes = weightFormat(graph.config).gradient;
  const grads = new Map<number, Storage>();
  // the weight gradient of each op that owns weights, once one of its users has made it
  const weightGrads = new Map<number, Storage>();
  // the same per weight tensor (weightGradTensors), keyed `owner:index`
  const tensorGrads = new Map<string, Storage>();
  const keptGrads = state.gradientsKept ? new KeptGradients(graph, trace) : undefined;
  trace.site = { phase: 'backward', op: -1 };
  // the seed: d(loss)/d(loss) = 1 for a loss, a gradient of each output's size otherwise
  const trainedLosses = losses.filter((op) => requiresGrad[op.output] === 1);
  const seeds = trainedLosses.length > 0 ? trainedLosses.map((op) => op.output) : graph.outputs.filter((t) => requiresGrad[t] === 1);
  for (const t of seeds) grads.set(t, trace.alloc(tensors[t]!.bytes, 'activationGradient'));

  const addGrad = (t: number, storage: Storage, fresh: boolean): void => {
    const existing = grads.get(t);
    if (!existing) {
      if (!fresh) trace.retain(storage);
      grads.set(t, storage);
      return;
    }
    // a tensor read twice: torch 1.13's autograd input buffer sums the two gradients into a new
    // tensor (old + new, out of place: measured), then drops both
    const sum = trace.alloc(tensors[t]!.bytes, 'activationGradient');
    trace.release(existing);
    if (fresh) trace.release(storage);
    grads.set(t, sum);
  };
  for (let i = graph.ops.length - 1; i >= 0; i--) {
    const node: OpNode = graph.ops[i]!;
    const segment = node.checkpointSegment === undefined ? undefined : state.segments.get(node.checkpointSegment);
    // the engine reaches a checkpointed segment: CheckpointFunction's backward runs its forward again, then its backward
    if (segment && !segment.recomputed && grads.has(node.output) && requiresGrad[node.output] === 1) {
      segment.recomputed = true;
      for (const t of segment.outputs) {
        const g = grads.get(t);
        if (!g) continue;
        trace.retain(g);
        segment.held.push(g);
      }
      state.recompute(segment);
    }
    backwardOp(node);
    if (segment && segment.ops[0] === node.id && segment.recomputed) {
      for (const g of segment.held) trace.release(g);
      state.segmentDone(segment);
    }
  }
  // a segment no gradient reached: its saved arguments go with the graph
  for (const segment of state.segments.values()) if (!segment.recomputed) state.segmentDone(segment);
  keptGrads?.finish();

  function backwardOp(node: OpNode): void {
    const incoming = grads.get(node.output);
    // a parameter read as a tensor keeps its gradient (autograd's AccumulateGrad takes it as .grad)
    if (node.op === 'input' || readsWeights(node.op) || !incoming || requiresGrad[node.output] !== 1) return;
    trace.site = { phase: 'backward', op: node.id };
    const rule = TORCH_CPU_OPS[node.op]!;
    const out = tensors[node.output]!;
    const needsGrad = (k: number): boolean => requiresGrad[node.inputs[k]!] === 1;
    const owner = node.sharesParamsWith ?? node.id;
    const weightGradient = (bytes: number): Storage => {
      const storage = trace.alloc(bytes, 'weightGradient');
      keptGrads?.made(owner, storage);
      return storage;
    };
    let incomingHeld = true;
    const releaseIncoming = (): void => {
      if (incomingHeld) trace.release(incoming);
      incomingHeld = false;
    };
    const ctx: BackwardContext = {
      ...state.stepContext(node),
      needsGrad,
      gradInput: (k) => {
        if (needsGrad(k)) addGrad(node.inputs[k]!, trace.alloc(tensors[node.inputs[k]!]!.bytes, 'activationGradient'), true);
      },
      passGrad: (k) => {
        if (needsGrad(k)) addGrad(node.inputs[k]!, incoming, false);
      },
      weightGrad: () => {
        if (node.params.trainable === 0 && node.sharesParamsWith === undefined) return;
        const bytes = graph.ops[owner]!.params.trainable * gradientBytes;
        const storage = weightGradient(bytes);
        const earlier = weightGrads.get(owner);
        if (!earlier) {
          weightGrads.set(owner, storage);
          return;
        }
        // tied weights: the engine sums the two contributions into a new tensor, then drops both
        const sum = weightGradient(bytes);
        trace.release(storage);
        trace.release(earlier);
        weightGrads.set(owner, sum);
      },
      weightGradTensors: (parts) => {
        const made = parts.map((p) => weightGradient(p.elements * gradientBytes));
        return () => {
          for (let j = parts.length - 1; j >= 0; j--) {
          const key = `${owner}:${parts[j]!.index}`;
          const earlier = tensorGrads.get(key);
          if (!earlier) {
            tensorGrads.set(key, made[j]!);
            continue;
          }
          // the engine sums the step's gradient into the running total out of place, then drops both
          const sum = weightGradient(parts[j]!.elements * gradientBytes);
          trace.release(earlier);
          trace.release(made[j]!);
          tensorGrads.set(key, sum);
          }
        };
      },
      weightGradPart: (bytes) => (bytes > 0 ? { bytes, storage: weightGradient(bytes) } : { bytes }),
      kept: state.kept[node.id]!,
      releaseGradOutput: releaseIncoming,
    };
    if (aliased[node.id]) for (let k = 0; k < node.inputs.length; k++) ctx.passGrad(k);
    else rule.backward(ctx);
    grads.delete(node.output);
    releaseIncoming();
    // the node's saved tensors go with it
    if (!aliased[node.id]) {
      for (const k of savedInputs(node.id)) {
        if (clonedInput[node.id] && k === 0) continue;
        tensors[node.inputs[k]!]!.saved--;
        release(node.inputs[k]!);
      }
      if (rule.saves.output) {
        out.saved--;
        release(node.output);
      }
    }
    for (const storage of extras[node.id]!) trace.release(storage);
    keptGrads?.afterBackward(node);
  }
}

/** a parameter of the model read as a tensor (nn.Parameter, param(...)): its storage is the weights' */
function readsWeights(op: string): boolean {
  return lookupOp(op)?.viewsWeights === true;
}

function liveTensor(t: Tensor, batch: number): LiveTensor {
  const shape = t.batchIndependent ? [...t.shape] : [batch, ...t.shape];
  const elements = t.batchIndependent ? t.elementsPerSample : t.elementsPerSample * batch;
  return { shape, strides: contiguousStrides(shape), bytes: elements * DTYPE_BYTES[t.dtype], uses: 0, saved: 0, released: false };
}

/** a per-sample permutation applied to whole strides (the batch axis, when there is one, stays first) */
function permuted(strides: readonly number[], perm: AttrValue | undefined): readonly number[] {
  if (!Array.isArray(perm)) return strides;
  const order = perm as readonly number[];
  if (order.length === strides.length) return order.map((p) => strides[p]!);
  if (order.length !== strides.length - 1) return strides;
  return [strides[0]!, ...order.map((p) => strides[p + 1]!)];
}

/** a slice keeps its source's strides; a select (x[:, 0]) drops the selected axis' */
function sliced(strides: readonly number[], axis: AttrValue | undefined, select: boolean, batchAxes: number): readonly number[] {
  if (!select || typeof axis !== 'number') return strides;
  const whole = (axis < 0 ? axis + strides.length - batchAxes : axis) + batchAxes;
  return strides.filter((_, d) => d !== whole);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
