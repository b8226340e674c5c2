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
import { isReductionLoss } from './pytorchReductions';
import { TORCH_CPU_OPS, type BackwardContext, type ForwardContext, type StepContext, type Temporary } from './pytorchOps';
import { graphColumns } from '../../graphColumns';
import { requiresGradient } from '../schedule';
import { weightFormat } from '../footprint';
import { tiedGradPieces, tieGaps } from './tiedWeights';
import { checkpointCut, checkpointSegments, RNG_STATE_BYTES, type CheckpointSegment } from './pytorchCheckpoint';
import { channelsLastStrides, contiguousStrides, isChannelsLast, isContiguous, passedGradStrides, permuted, sequenceFirstStrides, sliced, viewStrides } from './strides';
import { KeptGradients, replayOptimizerStep, replayZeroGrad, type OptimizerStep } from './pytorchOptimizer';

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

/** `raises`: what torch itself raises on a CPU for the step's ops (no step to measure); `unsupported`: what the replay does not cover */
export type EagerResult = { readonly peak: AllocationPeak } | { readonly raises: readonly string[] } | { readonly unsupported: readonly string[] };

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
  const raises = [...new Set(graph.ops.map((op) => TORCH_CPU_OPS[op.op]?.raises?.(op, training) ?? null).filter((r): r is string => r !== null))];
  if (raises.length > 0) return { raises };
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
  const losses = graph.ops.filter((op) => lookupOp(op.op)?.family === 'loss' || isReductionLoss(op, graph));
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
  const tiedReaders = new Set((graph.tiedWeights ?? []).map((t) => t.reader));
  const stepContext = (node: OpNode): StepContext => ({
    node,
    readsTiedWeight: tiedReaders.has(node.id),
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
    inChannelsLast: (k) => {
      const t = tensors[node.inputs[k]!]!;
      return isChannelsLast(t.shape, t.strides);
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
  // a reentrant checkpoint's forward runs without autograd (no_grad), a non-reentrant one's with
  // autograd under hooks that keep none of its saved tensors; both again, recording, in the backward (`recomputing`)
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
    const segment = node.checkpointSegment === undefined ? undefined : segments.get(node.checkpointSegment);
    const gradMode = training && requiresGrad[node.output] === 1 && (segment === undefined || recomputing || !segment.reentrant);
    // use_reentrant=False: autograd records the node, its pack hook swaps each saved tensor for a Holder
    const packs = gradMode && segment !== undefined && !segment.reentrant && !recomputing;
    const records = gradMode && !packs;
    const packed = (): void => {
      if (packs) segment.packs.add(node.id);
    };
    const keep = (kind: AllocationKind, bytes: number): void => {
      const storage = trace.alloc(bytes, kind);
      if (records) extras[node.id]!.push(storage);
      else {
        packed();
        trace.release(storage);
      }
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
      recording: gradMode,
      keep: (tmp) => {
        if (!records) {
          packed();
          freeTemporary(tmp);
        } else {
          kept[node.id]!.push(tmp);
          const storage = storageOf(tmp);
          if (storage) extras[node.id]!.push(storage);
        }
      },
      saveInput: (k) => {
        if (records) dynamicSaves[node.id]!.push(k);
        else packed();
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
    if (inPlace && gradMode && rule.clonesInPlaceInput === true) {
      if (records) clonedInput[node.id] = 1;
      keep('saved', tensors[node.inputs[0]!]!.bytes);
    }
    rule.forward(ctx);
    if (records && !aliased[node.id]) {
      for (const k of savedInputs(node.id)) if (!(clonedInput[node.id] && k === 0)) tensors[node.inputs[k]!]!.saved++;
      if (rule.saves.output) out.saved++;
    }
    if (packs && !aliased[node.id] && (savedInputs(node.id).length > 0 || rule.saves.output)) packed();
    for (const t of node.inputs) {
      tensors[t]!.uses--;
      release(t);
    }
    letGo();
    release(node.output);
  };
  for (const node of graph.ops) {
    const segment = node.checkpointSegment === undefined ? undefined : segments.get(node.checkpointSegment);
    // the call takes the CPU RNG state (in inference too, dropped when it returns) and autograd keeps
    // its tensor arguments for the recompute: CheckpointFunction's node when an argument requires
    // grad, use_reentrant=False's unpack hook (whose closure holds both) while a saved Holder lives
    if (segment && segment.ops[0] === node.id) {
      const recorded = training && (segment.reentrant ? segment.inputs.some((t) => requiresGrad[t] === 1) : segment.ops.some((op) => requiresGrad[graph.ops[op]!.output] === 1));
      if (segment.preservesRngState) segment.rngState = trace.alloc(RNG_STATE_BYTES, recorded ? 'saved' : 'temporary');
      if (recorded) for (const t of segment.inputs) tensors[t]!.saved++;
      segment.recorded = recorded;
    }
    forwardOp(node);
    if (segment && segment.ops[segment.ops.length - 1] === node.id) {
      // nothing packed: no hook outlives the call
      if (segment.recorded && !segment.reentrant && segment.packs.size === 0) {
        segment.recorded = false;
        for (const t of segment.inputs) {
          tensors[t]!.saved--;
          release(t);
        }
      }
      if (!segment.recorded && segment.rngState) {
        trace.release(segment.rngState);
        segment.rngState = undefined;
      }
    }
  }
  const recompute = (segment: CheckpointSegment): void => {
    // the arguments' detached views share their storage; the RNG state is forked while the forward runs again
    const forked = segment.preservesRngState ? trace.alloc(RNG_STATE_BYTES, 'temporary') : undefined;
    const inside = new Set(segment.ops.map((op) => graph.ops[op]!.output));
    for (const op of segment.ops) {
      const t = graph.ops[op]!.output;
      tensors[t] = liveTensor(graph.tensors[t]!, batch);
    }
    // every read counts again (an argument's read too: the detached view is read, not the argument's last use)
    for (const op of segment.ops) for (const t of graph.ops[op]!.inputs) tensors[t]!.uses++;
    // the recomputed outputs stay referenced until CheckpointFunction's backward returns (use_reentrant=False drops them at once)
    if (segment.reentrant) for (const t of segment.outputs) tensors[t]!.uses++;
    recomputing = true;
    for (const op of segment.ops) forwardOp(graph.ops[op]!);
    recomputing = false;
    if (forked) trace.release(forked);
  };
  const segmentDone = (segment: CheckpointSegment): void => {
    if (segment.reentrant) {
      for (const t of segment.outputs) {
        tensors[t]!.uses--;
        release(t);
      }
    }
    if (segment.recorded) {
      for (const t of segment.inputs) {
        tensors[t]!.saved--;
        release(t);
      }
    }
    if (segment.rngState) trace.release(segment.rngState);
  };
  if (training) {
    const gaps = [...tieGaps(graph, requiresGrad), ...backward({ graph, tensors, requiresGrad, trace, extras, kept, aliased, clonedInput, savedInputs, release, stepContext, segments, recompute, segmentDone, gradientsKept: step?.gradientsKept === true }, losses)];
    if (gaps.length > 0) return { unsupported: gaps };
  }
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

/** the backward; returns the ops whose weight gradients it could not follow (a tie into a gradient made tensor by tensor) */
function backward(state: ForwardState, losses: readonly OpNode[]): string[] {
  const { graph, tensors, requiresGrad, trace, extras, aliased, clonedInput, savedInputs, release } = state;
  const gradientBytes = weightFormat(graph.config).gradient;
  const grads = new Map<number, Storage>();
  // the strides of a gradient autograd passed as a view (transposed, narrowed), where not contiguous
  const gradStrides = new Map<number, readonly number[]>();
  // gradients that are another's expanded over reduced axes (SumBackward's view, stride 0)
  // (true: of a single element, expanded over every axis)
  const expanded = new Map<Storage, boolean>();
  // the weight gradient of each op that owns weights, once one of its users has made it
  const weightGrads = new Map<string, Storage>();
  const tied = tiedGradPieces(graph);
  const untied = new Set<string>();
  // the same per weight tensor (weightGradTensors), keyed `owner:index`
  const tensorGrads = new Map<string, Storage>();
  const keptGrads = state.gradientsKept ? new KeptGradients(graph, trace) : undefined;
  trace.site = { phase: 'backward', op: -1 };
  // the seed: d(loss)/d(loss) = 1 for a loss, a gradient of each output's size otherwise
  const trainedLosses = losses.filter((op) => requiresGrad[op.output] === 1);
  const seeds = trainedLosses.length > 0 ? trainedLosses.map((op) => op.output) : graph.outputs.filter((t) => requiresGrad[t] === 1);
  for (const t of seeds) grads.set(t, trace.alloc(tensors[t]!.bytes, 'activationGradient'));
  // the seed of out.sum() / out.mean() is what SumBackward's expanded view reads: the engine holds it to the end
  const heldSeeds = trainedLosses.filter((op) => op.op === 'reduce').map((op) => grads.get(op.output)!);
  for (const g of heldSeeds) trace.retain(g);

  // the engine hands a node's results to the next nodes' input buffers after the node has run and
  // let go of its temporaries, its output's gradient and its saved tensors: a gradient that meets
  // an earlier one (a tensor or a weight read twice) is summed only then
  let handOver: (() => void)[] = [];
  const handOverNow = (): void => {
    const results = handOver;
    handOver = [];
    for (const hand of results) hand();
  };
  const addGrad = (t: number, storage: Storage, fresh: boolean, strides?: readonly number[]): void => {
    if (!fresh) trace.retain(storage);
    handOver.push(() => {
      const existing = grads.get(t);
      if (!existing) {
        grads.set(t, storage);
        if (strides && !isContiguous(tensors[t]!.shape, strides)) gradStrides.set(t, strides);
        return;
      }
      gradStrides.delete(t);
      // a tensor read twice: torch 1.13's autograd input buffer sums the two gradients into a new
      // tensor (old + new, out of place: measured), then drops both
      const sum = trace.alloc(tensors[t]!.bytes, 'activationGradient');
      trace.release(existing);
      trace.release(storage);
      grads.set(t, sum);
    });
  };
  for (let i = graph.ops.length - 1; i >= 0; i--) {
    const node: OpNode = graph.ops[i]!;
    const segment = node.checkpointSegment === undefined ? undefined : state.segments.get(node.checkpointSegment);
    // the engine reaches a checkpointed segment: CheckpointFunction's backward runs its forward
    // again, then its backward; use_reentrant=False's first unpack (of a node that packed a saved tensor) runs the forward again
    if (segment && !segment.recomputed && grads.has(node.output) && requiresGrad[node.output] === 1 && (segment.reentrant || segment.packs.has(node.id))) {
      segment.recomputed = true;
      for (const t of segment.reentrant ? segment.outputs : []) {
        const g = grads.get(t);
        if (!g) continue;
        trace.retain(g);
        segment.held.push(g);
      }
      state.recompute(segment);
    }
    backwardOp(node);
    // CheckpointFunction's backward returns; the last Holder of a non-reentrant call goes with its node (and the hook's closure with it)
    const last = segment === undefined ? undefined : segment.reentrant ? segment.ops[0] : Math.min(...segment.packs);
    if (segment && last === node.id && segment.recomputed) {
      for (const g of segment.held) trace.release(g);
      state.segmentDone(segment);
    }
  }
  // a segment no gradient reached: its saved arguments go with the graph
  for (const segment of state.segments.values()) if (!segment.recomputed) state.segmentDone(segment);
  keptGrads?.finish();
  for (const g of heldSeeds) trace.release(g);
  return [...untied].map((op) => `${op} training (a weight tied to another layer's, its gradient made tensor by tensor)`);

  function backwardOp(node: OpNode): void {
    let incoming = grads.get(node.output);
    // a parameter read as a tensor keeps its gradient (autograd's AccumulateGrad takes it as .grad)
    if (node.op === 'input' || readsWeights(node.op) || !incoming || requiresGrad[node.output] !== 1) return;
    trace.site = { phase: 'backward', op: node.id };
    const rule = TORCH_CPU_OPS[node.op]!;
    const view = expanded.get(incoming);
    const asIs = rule.elementwise === true || rule.readsExpandedGradient === true || (rule.readsExpandedGradient === 'scalar' && view === true);
    if (view !== undefined && !asIs) {
      // a backward that needs a contiguous gradient copies the expanded one (the view's reference goes)
      const copy = trace.alloc(tensors[node.output]!.bytes, 'activationGradient');
      trace.release(incoming);
      grads.set(node.output, copy);
      incoming = copy;
    }
    const held = incoming;
    const out = tensors[node.output]!;
    const needsGrad = (k: number): boolean => requiresGrad[node.inputs[k]!] === 1;
    const incomingStrides = gradStrides.get(node.output) ?? contiguousStrides(out.shape);
    const clone = rule.contiguousGradient === true && !inInputLayout(tensors[node.inputs[0]!]!, out.shape, incomingStrides) ? trace.alloc(out.bytes, 'temporary') : undefined;
    const owner = node.sharesParamsWith ?? node.id;
    const weightGradient = (bytes: number): Storage => {
      const storage = trace.alloc(bytes, 'weightGradient');
      keptGrads?.made(owner, storage);
      return storage;
    };
    let incomingHeld = true;
    const releasedEarly = new Set<number>();
    const releaseIncoming = (): void => {
      if (incomingHeld) trace.release(held);
      incomingHeld = false;
    };
    const ctx: BackwardContext = {
      ...state.stepContext(node),
      needsGrad,
      gradInput: (k) => {
        if (needsGrad(k)) addGrad(node.inputs[k]!, trace.alloc(tensors[node.inputs[k]!]!.bytes, 'activationGradient'), true);
      },
      passGrad: (k) => {
        if (!needsGrad(k)) return;
        const input = tensors[node.inputs[k]!]!;
        const perm = node.attrs['perm'];
        const strides = passedGradStrides(node.op, Array.isArray(perm) ? (perm as readonly number[]) : undefined, out.shape, incomingStrides, input.shape);
        // a reshape of a strided gradient copies it
        if (strides) addGrad(node.inputs[k]!, incoming, false, strides);
        else addGrad(node.inputs[k]!, trace.alloc(input.bytes, 'activationGradient'), true);
      },
      expandGrad: (k) => {
        if (!needsGrad(k)) return;
        const t = node.inputs[k]!;
        const fresh = !grads.has(t);
        addGrad(t, held, false);
        // a view when it is the input's only gradient; summed with another it is a new tensor
        const elements = graph.tensors[node.output]!.batchIndependent ? graph.tensors[node.output]!.elementsPerSample : Infinity;
        if (fresh && tensors[t]!.bytes > tensors[node.output]!.bytes) expanded.set(held, (expanded.get(held) ?? true) && elements === 1);
      },
      weightGrad: () => {
        // a tensor tied to another op's is a gradient of its own, summed with the other op's
        const pieces = tied.get(owner) ?? [{ key: `op:${owner}`, elements: graph.ops[owner]!.params.trainable }];
        for (const { key, elements } of pieces) {
          if (elements === 0) continue;
          const bytes = elements * gradientBytes;
          const storage = weightGradient(bytes);
          handOver.push(() => {
            const earlier = weightGrads.get(key);
            if (!earlier) {
              weightGrads.set(key, storage);
              return;
            }
            // shared weights: the engine sums the two contributions into a new tensor, then drops both
            const sum = weightGradient(bytes);
            trace.release(storage);
            trace.release(earlier);
            weightGrads.set(key, sum);
          });
        }
      },
      weightGradTensors: (parts) => {
        if (tied.has(owner)) untied.add(node.op);
        const made = parts.map((p) => weightGradient(p.elements * gradientBytes));
        // a composite rule (a cell: several autograd nodes) sums a product's weight gradients once
        // that inner node has run: what the rule made before reaches its tensors then too
        return () => {
          handOverNow();
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
      weightGradPart: (bytes) => {
        if (tied.has(node.sharesParamsWith ?? node.id)) untied.add(node.op);
        return bytes > 0 ? { bytes, storage: weightGradient(bytes) } : { bytes };
      },
      kept: state.kept[node.id]!,
      releaseGradOutput: releaseIncoming,
      releaseSavedInput: (k) => {
        if (aliased[node.id] || releasedEarly.has(k) || (clonedInput[node.id] && k === 0) || !savedInputs(node.id).includes(k)) return;
        releasedEarly.add(k);
        tensors[node.inputs[k]!]!.saved--;
        release(node.inputs[k]!);
      },
      gradOutputExpanded: view !== undefined && asIs,
    };
    if (aliased[node.id]) for (let k = 0; k < node.inputs.length; k++) ctx.passGrad(k);
    else rule.backward(ctx);
    if (clone) trace.release(clone);
    grads.delete(node.output);
    gradStrides.delete(node.output);
    releaseIncoming();
    // the node's saved tensors go with it
    if (!aliased[node.id]) {
      for (const k of savedInputs(node.id)) {
        if ((clonedInput[node.id] && k === 0) || releasedEarly.has(k)) continue;
        tensors[node.inputs[k]!]!.saved--;
        release(node.inputs[k]!);
      }
      if (rule.saves.output) {
        out.saved--;
        release(node.output);
      }
    }
    for (const storage of extras[node.id]!) trace.release(storage);
    handOverNow();
    keptGrads?.afterBackward(node);
  }
}

/** a gradient laid out as its kernel reads it: contiguous, or channels-last for an op whose input is (a kernel that reads it so clones it first) */
function inInputLayout(input: LiveTensor, shape: readonly number[], strides: readonly number[]): boolean {
  return isContiguous(shape, strides) || (isChannelsLast(input.shape, input.strides) && isChannelsLast(shape, strides));
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
