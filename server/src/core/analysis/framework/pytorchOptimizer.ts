// The optimizer's part of one steady-state training step of torch 1.13 on a CPU, measured with
// scripts/torch_optimizer_oracle.py: `opt.zero_grad(); out = model(x); loss = ...;
// loss.backward(); opt.step()`, the second of two such steps (the optimizer state exists).
//
// - zero_grad() and step() each run inside a profiler record_function, which makes a 4-byte handle
//   and a 288-byte block for as long as it opens;
// - zero_grad(set_to_none=False), 1.13's default, zeroes the previous step's gradients in place:
//   they exist before the step, and the backward's AccumulateGrad adds each new gradient into them
//   and frees it; set_to_none=True frees them, and the backward makes them anew (kept to the end);
// - SGD's single-tensor step (foreach is off by default in 1.13) works in place: a wrapped Python
//   scalar (8 bytes, its float copy 4) per in-place multiply by the momentum;
// - Adam and AdamW keep exp_avg and exp_avg_sq (the parameter's size each) and a 4-byte step
//   tensor per parameter; per parameter the step makes denom = (exp_avg_sq.sqrt() / c).add_(eps):
//   the sqrt and the quotient (the parameter's size each, with the wrapped scalar between them);
//   the sqrt goes at once, and the Python variable `denom` holds the quotient until the next
//   parameter's has been made.
import type { Graph, OpId, OpNode } from '../../ir';
import type { AllocationTrace, Storage } from './allocations';

export interface OptimizerStep {
  readonly kind: 'sgd' | 'adam' | 'adamw';
  readonly momentum: number;
  /** zero_grad(set_to_none=False): the previous step's gradients exist before this one */
  readonly gradientsKept: boolean;
  /** each trainable parameter tensor's bytes, in the order the optimizer visits them (Adam and AdamW; SGD's step does not depend on them) */
  readonly params: readonly number[];
}

const RECURRENT = new Set(['lstm', 'gru', 'simple_rnn']);

/** the handle and the block a profiler record_function holds while zero_grad() or step() runs */
const RECORD_FUNCTION_BYTES = [4, 288] as const;
/** a Python float wrapped as a double tensor, and its float32 copy, around an op with a scalar */
const WRAPPED_SCALAR_BYTES = [8, 4] as const;
/** Adam's and AdamW's per-parameter step count: torch.tensor(0.) */
const STEP_TENSOR_BYTES = 4;

/** the step torch would run after the backward, or why it is not profiled; null for optimizer `none` (forward and backward only) */
export function optimizerStep(graph: Graph, elementBytes: number): { step: OptimizerStep } | { reason: string } | null {
  const o = graph.config.optimizer;
  if (o.kind === 'none') return null;
  if (o.unprofiled && o.unprofiled.length > 0) return { reason: `PyTorch's CPU profile covers the optimizers' defaults (and SGD's momentum); ${o.unprofiled.join(', ')} not yet` };
  const gradientsKept = o.setToNone !== true;
  // torch's engine accumulates a stacked or bidirectional layer's gradients as each layer and
  // direction finishes; the recurrent replay makes them all in one node (measured: a 2-layer LSTM's
  // peak 517,120 bytes over)
  const stacked = graph.ops.find((op) => RECURRENT.has(op.op) && (Number(op.attrs['layers'] ?? 1) > 1 || op.attrs['bidirectional'] === true));
  if (gradientsKept && stacked) return { reason: `with zero_grad(set_to_none=False), PyTorch's CPU profile covers one-layer, one-direction recurrent layers; ${stacked.op} has ${Number(stacked.attrs['layers'] ?? 1)} layers${stacked.attrs['bidirectional'] === true ? ', both directions' : ''} (set_to_none=True is profiled)` };
  if (o.kind === 'sgd') return { step: { kind: 'sgd', momentum: o.momentum, gradientsKept, params: [] } };
  const params: number[] = [];
  for (const op of graph.ops) {
    if (op.params.trainable === 0 || op.sharesParamsWith !== undefined) continue;
    const split = parameterTensors(op, graph.tensors[op.inputs[0]!]?.shape ?? []);
    if (split === null) return { reason: `${o.kind}'s step makes temporaries of each parameter tensor's size; memlens does not split ${op.op}'s parameters into tensors yet` };
    for (const n of split) params.push(n * elementBytes);
  }
  return { step: { kind: o.kind, momentum: 0, gradientsKept, params } };
}

/** optimizer state torch holds beyond footprint.ts' slots: Adam's step tensors */
export function stepStateBytes(step: OptimizerStep): number {
  return step.kind === 'sgd' ? 0 : step.params.length * STEP_TENSOR_BYTES;
}

/** zero_grad() at the start of the step: its record_function only (set_to_none's frees are before the forward, outside the replayed bytes) */
export function replayZeroGrad(trace: AllocationTrace): void {
  transient(trace, RECORD_FUNCTION_BYTES);
}

/** optimizer.step() after the backward */
export function replayOptimizerStep(trace: AllocationTrace, step: OptimizerStep): void {
  const handle = trace.alloc(RECORD_FUNCTION_BYTES[0], 'temporary');
  transient(trace, [RECORD_FUNCTION_BYTES[1]]);
  trace.release(handle);
  if (step.kind === 'sgd') {
    // buf.mul_(momentum).add_(grad, alpha=1 - dampening), then param.add_(buf, alpha=-lr)
    // per parameter the same 12 transient bytes: once stands for all of them in the running sum's maximum
    if (step.momentum !== 0) transient(trace, WRAPPED_SCALAR_BYTES);
    return;
  }
  let denom: Storage | undefined;
  for (const bytes of step.params) {
    // step_t += 1 (AdamW: param.mul_(1 - lr * weight_decay)); exp_avg.mul_(beta1); exp_avg_sq.mul_(beta2)
    for (let k = step.kind === 'adamw' ? 4 : 3; k > 0; k--) transient(trace, WRAPPED_SCALAR_BYTES);
    const root = trace.alloc(bytes, 'temporary');
    const scalar = WRAPPED_SCALAR_BYTES.map((b) => trace.alloc(b, 'temporary'));
    const quotient = trace.alloc(bytes, 'temporary');
    for (const s of scalar.reverse()) trace.release(s);
    trace.release(root);
    // .add_(eps)
    transient(trace, WRAPPED_SCALAR_BYTES);
    if (denom) trace.release(denom);
    denom = quotient;
  }
  if (denom) trace.release(denom);
}

/**
 * The backward's weight gradients when `.grad` exists before the step (zero_grad(set_to_none=False)):
 * AccumulateGrad adds an owner's new gradient into it in place and frees it, right after the op
 * whose backward gives the last contribution (its first use in the forward: the engine sums a tied
 * weight's contributions first)
 */
export class KeptGradients {
  private readonly lastContribution = new Map<OpId, OpId>();
  private readonly pending = new Map<OpId, Storage[]>();

  constructor(
    graph: Graph,
    private readonly trace: AllocationTrace,
  ) {
    for (const op of graph.ops) {
      if (op.params.trainable === 0 && op.sharesParamsWith === undefined) continue;
      const owner = op.sharesParamsWith ?? op.id;
      this.lastContribution.set(owner, Math.min(op.id, this.lastContribution.get(owner) ?? op.id));
    }
  }

  /** a gradient storage of the owner's weights (a partial sum freed earlier is released again harmlessly) */
  made(owner: OpId, storage: Storage): void {
    const list = this.pending.get(owner);
    if (list) list.push(storage);
    else this.pending.set(owner, [storage]);
  }

  afterBackward(node: OpNode): void {
    const owner = node.sharesParamsWith ?? node.id;
    if (this.lastContribution.get(owner) === node.id) this.accumulate(owner);
  }

  /** owners whose last contributing op the backward did not reach: accumulated when the engine finishes */
  finish(): void {
    for (const owner of [...this.pending.keys()]) this.accumulate(owner);
  }

  private accumulate(owner: OpId): void {
    for (const storage of this.pending.get(owner) ?? []) this.trace.release(storage);
    this.pending.delete(owner);
  }
}

/** blocks made one after the other and freed last first */
function transient(trace: AllocationTrace, sizes: readonly number[]): void {
  const made = sizes.map((b) => trace.alloc(b, 'temporary'));
  for (const s of made.reverse()) trace.release(s);
}

/**
 * An op's trainable parameter tensors' elements in registration order (weight, then bias), or
 * null when memlens does not know how torch splits them
 */
function parameterTensors(op: OpNode, input: readonly number[]): number[] | null {
  const total = op.params.trainable;
  const a = op.attrs;
  switch (op.op) {
    case 'lstm':
    case 'gru':
    case 'simple_rnn':
      return recurrentTensors(op, input);
    case 'dense':
      return a['bias'] === true ? [total - Number(a['units']), Number(a['units'])] : [total];
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv1d_transpose':
    case 'conv2d_transpose':
    case 'conv3d_transpose':
      return a['bias'] === true ? [total - Number(a['filters']), Number(a['filters'])] : [total];
    case 'embedding':
      return [total];
    case 'batchnorm':
    case 'layernorm':
    case 'groupnorm':
    case 'instancenorm': {
      // weight and bias of the normalised shape each, or one of them alone
      const vectors = a['affine'] === false ? 0 : (a['scale'] === false ? 0 : 1) + (a['center'] === false ? 0 : 1);
      if (vectors === 0 || total % vectors !== 0) return null;
      return Array.from({ length: vectors }, () => total / vectors);
    }
    default:
      return null;
  }
}

/** nn.LSTM / GRU / RNN: per layer, per direction weight_ih, weight_hh, then bias_ih and bias_hh */
function recurrentTensors(op: OpNode, input: readonly number[]): number[] | null {
  const gates = { lstm: 4, gru: 3, simple_rnn: 1 }[op.op as 'lstm' | 'gru' | 'simple_rnn'];
  const hidden = Number(op.attrs['hidden']);
  const layers = Number(op.attrs['layers'] ?? 1);
  const dirs = op.attrs['bidirectional'] === true ? 2 : 1;
  const biasSets = Number(op.attrs['bias_sets'] ?? 2);
  const features = input[input.length - 1];
  // Keras' one bias set has no PyTorch tensor order
  if (features === undefined || (biasSets !== 0 && biasSets !== 2)) return null;
  const out: number[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const inFeatures = layer === 0 ? features : hidden * dirs;
    for (let d = 0; d < dirs; d++) {
      out.push(gates * hidden * inFeatures, gates * hidden * hidden);
      if (biasSets === 2) out.push(gates * hidden, gates * hidden);
    }
  }
  return out.reduce((x, y) => x + y, 0) === op.params.trainable ? out : null;
}
