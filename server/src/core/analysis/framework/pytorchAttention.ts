// torch 1.13's nn.MultiheadAttention on a CPU (self-attention, attn(x, x, x)), replayed allocation
// by allocation as its allocator traces it (scripts/torch_op_oracle.py's attention cases).
import type { OpNode, Tensor } from '../../ir';
import { AllocationReplay } from './allocationReplay';
import { NOTHING, type BackwardContext, type ForwardContext, type StepContext, type TorchOpRule } from './pytorchRule';

/** what of an attention call decides torch's path and its tensors */
interface AttentionCall {
  readonly batch: number;
  readonly steps: number;
  readonly model: number;
  readonly heads: number;
  readonly batchFirst: boolean;
  readonly needWeights: boolean;
  readonly bias: boolean;
  readonly dropout: number;
  /** an attn_mask is given: never the fast path */
  readonly masked: boolean;
}

function callOf(c: StepContext): AttentionCall {
  const [batch, steps, model] = c.inShape(0) as [number, number, number];
  const a = c.node.attrs;
  return { batch, steps, model, heads: Number(a['heads']), batchFirst: a['batch_first'] === true, needWeights: a['need_weights'] === true, bias: a['bias'] !== false, dropout: Number(a['dropout'] ?? 0), masked: c.node.inputs.length > 1 };
}

/**
 * torch 1.13 takes `_native_multi_head_attention` (one fused CPU kernel) in inference (eval and
 * no_grad, which is what memlens' inference is) when the input is batch first, dropout is 0, the
 * heads are even and no mask is given; otherwise F.multi_head_attention_forward, op by op
 */
function fastPath(call: AttentionCall, training: boolean): boolean {
  return !training && call.batchFirst && call.dropout === 0 && call.heads % 2 === 0 && !call.masked;
}

/**
 * The sizes of the tokens below, in bytes: X = N L E (the input's size: q, k, v, the attended
 * values and each of their gradients), P = 3 X (the packed q, k, v projection and its gradient),
 * S = N heads L L (the scores, the probabilities, dropout's mask and output, their gradients),
 * A = N L L (the head-averaged weights need_weights returns), D = the 8-byte double torch makes of
 * the Python scalar 1/sqrt(head dim) (kept by the division's backward) and F its float copy; the
 * weight gradients W = E E and b = E (out_proj), W3 and b3 (in_proj), none without bias.
 * Xt: the copy `.contiguous()` makes of a head-major [N heads, L, E/heads] tensor transposed to
 * sequence-first, none when N heads = 1 (the transpose is contiguous). Xb: the copy the in_proj
 * matmul makes of a batch-first input transposed to sequence-first (autograd saves it), none at
 * N = 1 or sequence-first.
 */
function attentionSizes(c: StepContext, call: AttentionCall): Record<string, number> {
  const e = c.elementBytes;
  const x = call.batch * call.steps * call.model * e;
  const bias = call.bias ? 1 : 0;
  return {
    X: x,
    P: 3 * x,
    S: call.batch * call.heads * call.steps * call.steps * e,
    A: call.batch * call.steps * call.steps * e,
    D: 8,
    F: e,
    W: call.model * call.model * e,
    b: bias * call.model * e,
    W3: 3 * call.model * call.model * e,
    b3: bias * 3 * call.model * e,
    Xt: call.batch * call.heads > 1 ? x : 0,
    Xb: call.batchFirst && call.batch > 1 ? x : 0,
  };
}

// The sequences, read off torch 1.13's allocator trace (identical event for event at the oracle's
// shapes; the gradient of the output given as a tensor of its own). `O` makes the output, `I` the
// input's gradient, `g` lets the output's gradient go.
/**
 * the op-by-op forward: the in_proj (after Xb, the batch-first input's copy), its q, k, v chunks
 * made contiguous and the projection freed, q scaled (D and F made, F freed), scores, softmax,
 * the scores freed; dropout's mask and output (`DROPOUT`); the attended values, their
 * sequence-first copy, then out_proj into the output
 */
const SLOW_FORWARD = '+Xb +P +X +X +X -P +D +F +X -F +S +S -S';
const DROPOUT = '+S +D +F -F -D +S';
const SLOW_OUTPUT = '+X +Xt -Xt O';
/** need_weights: the weights summed over the heads, then divided by them; in training the averaged weights' division keeps its own D until they are dropped */
const AVERAGE_TRAINING = '+A +D +F +A -F -A';
const AVERAGE_INFERENCE = '+A +D +F +A -F -D -A';
/**
 * training: the unscaled q goes when the function returns (and the averaged weights, dropped by
 * the caller, with their D); kept for the backward: Xb (or the input itself), k, v, the scaled q,
 * D, the probabilities (dropout: its mask and output), the attended values' copy
 */
const TRAINING_END = (needWeights: boolean): string => (needWeights ? '-X -D -A' : '-X');
/**
 * the backward, node by node: out_proj (the input's and the weights' gradients; a batch-first
 * output's gradient is first reshaped into a copy), the second bmm (v's and the probabilities'
 * gradients), dropout's product, softmax, the first bmm (q's and k's), the scaling, the head
 * transposes' copies, the three gradients concatenated into P, in_proj
 */
const OUT_PROJ_BACKWARD = (folds: boolean): string => (folds ? '+Xb g +X +W +b -Xb -X' : '+X +W +b -X g');
const ATTENTION_BACKWARD = (dropout: boolean): string =>
  [dropout ? '+X +S -X -S -X +S -S -S' : '+X +S -X -X', '+S -S -S', '+X +X -S -X -X', '+F +X -F -X -D', '+Xt -Xt +Xt -Xt', '+P -X -X -X', 'I +W3 +b3 -P -Xb'].join(' ');
/** inference, op by op: Xb freed after the product; the attended values and their copy go once out_proj has run */
const INFERENCE_FORWARD = '+Xb +P -Xb +X +X +X -P +D +F +X -F -D +S +S -S +X +Xt -Xt O -X';
/**
 * the fused kernel: the packed projection, q, k, v rearranged into P of their own, the projection
 * freed, the scores (softmax in place), the attended values, out_proj into the output; with
 * need_weights the scores averaged over the heads (divided in place)
 */
const FAST_FORWARD = (needWeights: boolean): string => (needWeights ? '+P +P -P +S +X O -X +A -S +D +F -F -D -P -A' : '+P +P -P +S -S +X O -X -P');

/**
 * An attn_mask [L, L] made once for the batch (a causal mask): the scores read it in place, so it
 * changes no allocation in training (measured: a float causal mask, 8 bytes from the unmasked
 * figure) and keeps inference off the fast path. A key_padding_mask (per sample) is not replayed.
 */
function attnMaskOnly(node: OpNode, input: readonly number[], inputs: readonly Tensor[]): boolean {
  const mask = inputs[1];
  return node.inputs.length === 2 && mask !== undefined && mask.batchIndependent === true && mask.shape.length === 2 && mask.shape[0] === input[0] && mask.shape[1] === input[0] && (mask.dtype === 'fp32' || mask.dtype === 'fp16' || mask.dtype === 'bf16');
}

function attentionGap(node: OpNode, input: readonly number[], training: boolean, inputs: readonly Tensor[]): string | null {
  const a = node.attrs;
  const gaps: string[] = [];
  if (node.inputs.length !== 1 && !attnMaskOnly(node, input, inputs)) gaps.push(`${node.inputs.length} inputs (a padding mask, a per-sample mask, or keys and values of their own)`);
  if (a['flash'] === true) gaps.push('flash: torch 1.13 has no fused attention on a CPU, F.scaled_dot_product_attention is torch 2.0');
  if (a['causal'] === true) gaps.push('causal: torch 1.13 takes the mask as an attn_mask tensor, which the graph does not have');
  const unknown = ['batch_first', 'need_weights'].filter((k) => typeof a[k] !== 'boolean');
  if (unknown.length > 0) gaps.push(`${unknown.join(', ')} not on the graph`);
  if ((input[0] ?? 0) < 2) gaps.push('a sequence of one position');
  if (training && node.sharesParamsWith !== undefined) gaps.push('weights shared with another call');
  else if (training && node.params.trainable === 0) gaps.push('frozen weights');
  if (a['lora_rank'] !== undefined) gaps.push('LoRA adapters (peft adapts nn.Linear modules, not MultiheadAttention)');
  const heads = Number(a['heads']);
  if (!training && a['batch_first'] === true && a['bias'] === false && Number(a['dropout'] ?? 0) === 0 && heads % 2 === 0) gaps.push("bias=False on torch 1.13's fast path, which raises a TypeError");
  return gaps.length > 0 ? gaps.join('; ') : null;
}

const attention: TorchOpRule = {
  saves: NOTHING,
  gap: attentionGap,
  forward(c: ForwardContext) {
    const call = callOf(c);
    // the slow path hands back a batch-first view of its sequence-first result
    const layout = call.batchFirst && !fastPath(call, c.training) ? 'sequenceFirst' : undefined;
    const replay = new AllocationReplay(attentionSizes(c, call), (_key, bytes) => c.temp(bytes), (t) => c.free(t), { O: () => c.output(layout) });
    if (fastPath(call, c.training)) replay.run(FAST_FORWARD(call.needWeights));
    else if (!c.recording) replay.run(`${INFERENCE_FORWARD} ${call.needWeights ? AVERAGE_INFERENCE : ''}`);
    else {
      // the in_proj saves its input: the layer's own, or the copy of a batch-first one (Xb)
      if (attentionSizes(c, call)['Xb'] === 0) c.saveInput(0);
      replay.run([SLOW_FORWARD, call.dropout > 0 ? DROPOUT : '', SLOW_OUTPUT, call.needWeights ? AVERAGE_TRAINING : '', TRAINING_END(call.needWeights)].join(' '));
      for (const t of replay.remaining()) c.keep(t);
      return;
    }
    for (const t of replay.remaining()) c.free(t);
  },
  backward(c: BackwardContext) {
    const call = callOf(c);
    const sizes = attentionSizes(c, call);
    const weights = new Set(['W', 'b', 'W3', 'b3']);
    const replay = new AllocationReplay(sizes, (key, bytes) => (weights.has(key) ? c.weightGradPart(bytes) : c.temp(bytes)), (t) => c.free(t), { I: () => c.gradInput(0), g: () => c.releaseGradOutput() });
    for (const t of c.kept) replay.adopt(t);
    replay.run(`${OUT_PROJ_BACKWARD(sizes['Xb']! > 0)} ${ATTENTION_BACKWARD(call.dropout > 0)}`);
  },
};

/** torch 2.0's F.scaled_dot_product_attention, which torch 1.13 does not have */
const scaledDotProductAttention: TorchOpRule = {
  saves: NOTHING,
  gap: () => 'torch 1.13 has none: it came with torch 2.0',
  forward: (c) => c.output(),
  backward: () => undefined,
};

/** the attention ops' rules, keyed by registry op */
export const ATTENTION_OPS: Readonly<Record<string, TorchOpRule>> = {
  attention,
  scaled_dot_product_attention: scaledDotProductAttention,
};
