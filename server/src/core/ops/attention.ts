// Multi-head attention over [L, d] sequences (sequence first, features last, under either layout):
// self-attention (one sequence), cross-attention (queries from one sequence, keys and values from
// others), and attention of already projected operands (F.scaled_dot_product_attention).
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { boolArg, checkedOps, intAtLeast, product, shapeText, tensorArg } from './common';

interface Geometry {
  /** queries L, keys S */
  readonly steps: number;
  readonly keys: number;
  /** the model dim d (queries, projections, output), the key and value sources' dims */
  readonly model: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly heads: number;
}

function sequence(ctx: OpContext, index: number, what: string): readonly number[] {
  const shape = ctx.inputs[index]!.shape;
  if (shape.length !== 2) throw new ShapeError(`attention expects a 2-D [L, d] ${what} per sample, got ${shape.length}-D ${shapeText(shape)}`);
  return shape;
}

/**
 * masks (attn_mask [L, S] or [heads, L, S] per sample, key_padding_mask [S]) follow the
 * sequences: the scores read them, nothing saves them; each one's last axis is the key count S
 */
function checkMasks(ctx: OpContext, from: number, keys: number, op: string): void {
  for (let i = from; i < ctx.inputs.length; i++) {
    const m = ctx.inputs[i]!.shape;
    if (m.length === 0 || m[m.length - 1] !== keys) throw new ShapeError(`${op}: a mask's last axis must be the ${keys} keys, got ${shapeText(m)}`);
  }
}

function headsOf(ctx: OpContext, model: number): number {
  const heads = intAtLeast(ctx, 'heads', 1);
  if (model % heads !== 0) throw new ShapeError(`attention: heads ${heads} must divide the model dim ${model}`, 'heads');
  return heads;
}

/** self-attention: input 0 is queries, keys and values; any further inputs are masks */
function geometry(ctx: OpContext): Geometry {
  const shape = sequence(ctx, 0, 'sequence');
  const model = shape[1]!;
  const heads = headsOf(ctx, model);
  checkMasks(ctx, 1, shape[0]!, 'attention');
  return { steps: shape[0]!, keys: shape[0]!, model, keyDim: model, valueDim: model, heads };
}

/**
 * The width of the keys and of the values: kv_heads x the head dim d / heads. Grouped-query
 * attention (Ainslie et al. 2023) shares each key and value head among heads / kv_heads query heads.
 */
function keyValueWidth(ctx: OpContext, g: Geometry): number {
  const kvHeads = ctx.args['kv_heads'] === undefined ? g.heads : intAtLeast(ctx, 'kv_heads', 1);
  if (g.heads % kvHeads !== 0) throw new ShapeError(`attention: kv_heads ${kvHeads} must divide heads ${g.heads}`, 'kv_heads');
  return kvHeads * (g.model / g.heads);
}

/** self-attention's projections: q and out d^2 each, k and v d x kv width each, with their biases */
function selfProjections(ctx: OpContext, g: Geometry): { trainable: number; nonTrainable: number } {
  const d = g.model;
  const kv = keyValueWidth(ctx, g);
  return { trainable: 2 * d * d + 2 * d * kv + (boolArg(ctx, 'bias') ? 2 * d + 2 * kv : 0), nonTrainable: 0 };
}

/** cross-attention: queries [L, d], key source [S, dk], value source [S, dv], then masks */
function crossGeometry(ctx: OpContext): Geometry {
  if (ctx.inputs.length < 3) throw new ShapeError(`cross_attention takes the queries, the key source and the value source (then any masks), got ${ctx.inputs.length} tensor${ctx.inputs.length === 1 ? '' : 's'}`);
  const q = sequence(ctx, 0, 'query sequence');
  const k = sequence(ctx, 1, 'key sequence');
  const v = sequence(ctx, 2, 'value sequence');
  if (k[0] !== v[0]) throw new ShapeError(`cross_attention: the keys ${shapeText(k)} and values ${shapeText(v)} have different lengths`);
  const model = q[1]!;
  const heads = headsOf(ctx, model);
  checkMasks(ctx, 3, k[0]!, 'cross_attention');
  return { steps: q[0]!, keys: k[0]!, model, keyDim: k[1]!, valueDim: v[1]!, heads };
}

/** the q, k, v and output projections: d (d + dk + dv + d) weights and 4 d biases */
function projections(ctx: OpContext, g: Geometry): { trainable: number; nonTrainable: number } {
  const d = g.model;
  return { trainable: d * (2 * d + g.keyDim + g.valueDim) + (boolArg(ctx, 'bias') ? 4 * d : 0), nonTrainable: 0 };
}

/** one LoRA adapter: its projection, rank and the projection's in and out widths */
interface Adapter {
  readonly target: string;
  readonly rank: number;
  readonly in: number;
  readonly out: number;
}

/** the adapters lora_rank and lora_targets ask for (none without lora_rank) */
function loraAdapters(ctx: OpContext, g: Geometry): Adapter[] {
  if (ctx.args['lora_rank'] === undefined) return [];
  const rank = intAtLeast(ctx, 'lora_rank', 1);
  const kv = keyValueWidth(ctx, g);
  const widths: Record<string, number> = { q: g.model, k: kv, v: kv, o: g.model };
  const names = String(ctx.args['lora_targets'] ?? 'q,v').split(',').map((t) => t.trim());
  return names.map((target) => {
    const out = widths[target];
    if (out === undefined) throw new ShapeError(`attention: lora_targets names q, k, v or o, got '${target}'`, 'lora_targets');
    return { target, rank, in: g.model, out };
  });
}

const HEADS_ARG = { name: 'heads', kind: 'int', positional: true, required: true, min: 1, doc: 'attention heads; must divide d' } as const;
const BIAS_ARG = { name: 'bias', kind: 'bool', default: true, doc: 'biases on the four projections' } as const;
const DROPOUT_ARG = { name: 'dropout', kind: 'number', default: 0, min: 0, maxExclusive: 1, doc: 'dropout on the attention probabilities (mask not counted)' } as const;
// how PyTorch's call is made: no ideal figure changes, PyTorch's own copies and code path do
const BATCH_FIRST_ARG = { name: 'batch_first', kind: 'bool', default: true, doc: "the batch axis comes first (PyTorch's batch_first=True; false: a sequence-first [L, N, d] call). The ideal figures do not change; PyTorch's profile follows its copies" } as const;
const NEED_WEIGHTS_ARG = { name: 'need_weights', kind: 'bool', default: false, doc: "the call also returns the attention weights averaged over the heads (PyTorch's need_weights, True by default there)" } as const;

const attention: OpSpec = {
  name: 'attention',
  aliases: ['mha'],
  family: 'attention',
  summary: 'Multi-head self-attention with q, k, v and output projections (PyTorch MultiheadAttention)',
  formula: '[L, d], masks... -> [L, d]; heads must divide d, kv_heads heads; each mask\'s last axis is L; params = 4 (d^2 + d) (4 d^2 without bias); with kv_heads k < heads, kv = k d / heads: 2 (d^2 + d) + 2 (d kv + kv); with lora_rank r those are frozen and r (d + out) per adapted projection train',
  args: [
    { name: 'xs', kind: 'tensor', positional: true, variadic: true, required: true, doc: 'the sequence [L, d], then any masks its scores read (attn_mask [L, L], key_padding_mask [L]): neither saved nor copied' },
    HEADS_ARG,
    BIAS_ARG,
    DROPOUT_ARG,
    BATCH_FIRST_ARG,
    NEED_WEIGHTS_ARG,
    { name: 'causal', kind: 'bool', default: false, doc: 'each position attends to itself and earlier ones (a decoder); the mask is applied to the scores where they are, no memory of its own' },
    { name: 'flash', kind: 'bool', default: false, doc: 'a fused (flash / memory-efficient) kernel: no L x L scores held or saved; the backward recomputes them from q, k, v and one log-sum-exp per row and head' },
    { name: 'kv_heads', kind: 'int', min: 1, doc: 'key and value heads (grouped-query attention; default: heads, one per query head); must divide heads. The keys and values, and the KV cache in generate mode, are kv_heads x d / heads wide' },
    { name: 'lora_rank', kind: 'int', min: 1, doc: 'LoRA adapters of this rank on the projections lora_targets names (set by `lora: lora(rank: r)`): the projections are frozen, each adapter A (r x in) and B (out x r) trains' },
    { name: 'lora_targets', kind: 'string', default: 'q,v', doc: 'the projections with LoRA adapters, a comma-separated subset of q, k, v, o (peft\'s default for Llama: q and v)' },
  ],
  inferShape(ctx) {
    keyValueWidth(ctx, geometry(ctx));
    return [...ctx.inputs[0]!.shape];
  },
  params(ctx) {
    return selfProjections(ctx, geometry(ctx));
  },
  adapterParams(ctx) {
    return loraAdapters(ctx, geometry(ctx)).reduce((sum, a) => sum + a.rank * (a.in + a.out), 0);
  },
  savedForBackward: {
    inputs: [0],
    output: false,
    // the sequence feeds only the in-projections' weight gradients, the attended values only the
    // out-projection's: frozen projections keep neither (measured on torch 1.13's MultiheadAttention)
    weightGradientInputs: [0],
    weightGradientExtra: (ctx) => ({ perSample: geometry(ctx).steps * geometry(ctx).model, fixed: 0 }),
    extraElements(ctx) {
      const g = geometry(ctx);
      const { steps, model, heads } = g;
      // flash: the row statistics (heads L) in place of the probabilities (heads L^2)
      const perRow = boolArg(ctx, 'flash') ? heads * steps : heads * steps * steps;
      const adapters = loraAdapters(ctx, g);
      if (adapters.length === 0) return { perSample: 2 * steps * model + 2 * steps * keyValueWidth(ctx, g) + perRow, fixed: 0 };
      // LoRA: frozen projections; the attended values only when the output projection has an
      // adapter (its A reads them), and each adapter's rank-wide intermediate for its B's gradient
      const attended = adapters.some((a) => a.target === 'o') ? steps * model : 0;
      const intermediates = adapters.reduce((sum, a) => sum + steps * a.rank, 0);
      return { perSample: steps * model + attended + 2 * steps * keyValueWidth(ctx, g) + perRow + intermediates, fixed: 0 };
    },
    extraDoc: 'q, k, v and the attended values before the output projection (4 L d; k and v are L x kv_heads d / heads each) plus the probabilities (heads L^2) per sample; with flash one log-sum-exp per row and head (heads L) instead of the probabilities; with LoRA, L x rank per adapter, and the attended values only when o has one',
  },
  kvCacheElements(ctx) {
    const g = geometry(ctx);
    // every past position's key and value
    return { perPosition: 2 * keyValueWidth(ctx, g), positions: g.steps };
  },
  decodeWorkspaceElements(ctx, context) {
    // one query's scores in every query head over the cached positions; none with a fused kernel
    return boolArg(ctx, 'flash') ? 0 : geometry(ctx).heads * context;
  },
  inPlace: 'never',
  workspaceElements(ctx) {
    const g = geometry(ctx);
    const { steps, heads } = g;
    const scores = boolArg(ctx, 'flash') ? 0 : heads * steps * steps;
    // an adapter's B output and its scaled copy, added into its projection before the scores exist
    const adapter = loraAdapters(ctx, g).reduce((most, a) => Math.max(most, 2 * steps * a.out), 0);
    return { perSample: Math.max(scores, adapter), fixed: 0 };
  },
  workspaceDoc: 'the attention scores heads * L * L per sample (none with flash: the fused kernel keeps its tiles in registers and shared memory); with LoRA at least an adapter\'s output and its scaled copy, 2 L out',
};

/** queries from one sequence, keys and values from others (a decoder over the encoder's memory; MultiheadAttention(q, k, v), kdim / vdim) */
const crossAttention: OpSpec = {
  name: 'cross_attention',
  family: 'attention',
  summary: 'Multi-head attention of queries over separate key and value sequences, with the four projections (PyTorch MultiheadAttention(query, key, value), kdim, vdim)',
  formula: '[L, d], [S, dk], [S, dv], masks... -> [L, d]; heads must divide d; the keys and values have the same length S; each mask\'s last axis is S; params = d (2 d + dk + dv) + 4 d (no 4 d of biases with bias: false)',
  args: [
    { name: 'xs', kind: 'tensor', positional: true, variadic: true, required: true, doc: 'the queries [L, d], the key source [S, dk], the value source [S, dv] (the same tensor as the keys for a decoder\'s memory), then any masks the scores read (attn_mask [L, S], key_padding_mask [S]): neither saved nor copied' },
    HEADS_ARG,
    BIAS_ARG,
    DROPOUT_ARG,
    BATCH_FIRST_ARG,
    NEED_WEIGHTS_ARG,
  ],
  inferShape(ctx) {
    const g = crossGeometry(ctx);
    return [g.steps, g.model];
  },
  params(ctx) {
    return projections(ctx, crossGeometry(ctx));
  },
  savedForBackward: {
    // the three sources, for the projections' weight gradients (a key source that is also the value source is one tensor)
    inputs: [0, 1, 2],
    output: false,
    // as self-attention's: the sources and the attended values serve the weight gradients only
    weightGradientInputs: [0, 1, 2],
    weightGradientExtra: (ctx) => ({ perSample: crossGeometry(ctx).steps * crossGeometry(ctx).model, fixed: 0 }),
    extraElements(ctx) {
      const { steps, keys, model, heads } = crossGeometry(ctx);
      return { perSample: 2 * steps * model + 2 * keys * model + heads * steps * keys, fixed: 0 };
    },
    extraDoc: 'the projected q (L d), k and v (S d each), the attended values before the output projection (L d) and the probabilities (heads L S) per sample',
  },
  inPlace: 'never',
  workspaceElements(ctx) {
    const { steps, keys, heads } = crossGeometry(ctx);
    return { perSample: heads * steps * keys, fixed: 0 };
  },
  workspaceDoc: 'the attention scores heads * L * S per sample',
};

/** the lengths of q [..., L, E], k [..., S, E], v [..., S, Ev] once their shapes are checked */
function sdpaGeometry(ctx: OpContext): { lead: readonly number[]; queries: number; keys: number; values: number } {
  const [q, k, v] = ctx.inputs.map((t) => t.shape) as [readonly number[], readonly number[], readonly number[]];
  if (q.length < 2 || k.length < 2 || v.length < 2) throw new ShapeError(`scaled_dot_product_attention needs [..., L, E] operands, got ${shapeText(q)}, ${shapeText(k)}, ${shapeText(v)}`);
  const lead = q.slice(0, -2);
  if (k.slice(0, -2).join() !== lead.join() || v.slice(0, -2).join() !== lead.join()) throw new ShapeError(`scaled_dot_product_attention: the leading axes of ${shapeText(q)}, ${shapeText(k)}, ${shapeText(v)} differ`);
  if (k[k.length - 1] !== q[q.length - 1]) throw new ShapeError(`scaled_dot_product_attention: q ${shapeText(q)} and k ${shapeText(k)} have different feature sizes`);
  if (v[v.length - 2] !== k[k.length - 2]) throw new ShapeError(`scaled_dot_product_attention: k ${shapeText(k)} and v ${shapeText(v)} have different lengths`);
  return { lead, queries: q[q.length - 2]!, keys: k[k.length - 2]!, values: v[v.length - 1]! };
}

/** softmax(q k^T / sqrt(E)) v on projected operands (PyTorch F.scaled_dot_product_attention) */
const sdpa: OpSpec = {
  name: 'scaled_dot_product_attention',
  aliases: ['sdpa'],
  family: 'attention',
  summary: 'Attention of projected q, k, v (PyTorch F.scaled_dot_product_attention); no weights',
  formula: '[..., L, E], [..., S, E], [..., S, Ev] -> [..., L, Ev]; params = 0',
  args: [
    tensorArg('q', 'queries [..., L, E]'),
    tensorArg('k', 'keys [..., S, E]'),
    tensorArg('v', 'values [..., S, Ev]'),
    { name: 'causal', kind: 'bool', default: false, doc: 'each query attends to keys at or before its position (is_causal=True)' },
    { name: 'fused', kind: 'bool', default: true, doc: 'a fused kernel (flash or memory-efficient): no L x S scores held or saved, one log-sum-exp per query saved; false: the math path, which holds and saves the probabilities' },
  ],
  inferShape(ctx) {
    const g = sdpaGeometry(ctx);
    return [...g.lead, g.queries, g.values];
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  savedForBackward: {
    inputs: [0, 1, 2],
    output: true,
    extraElements(ctx) {
      const g = sdpaGeometry(ctx);
      return { perSample: product(g.lead) * g.queries * (boolArg(ctx, 'fused') ? 1 : g.keys), fixed: 0 };
    },
    extraDoc: 'the log-sum-exp of each query row (fused), or the probabilities [..., L, S] (math path)',
  },
  inPlace: 'never',
  workspaceElements(ctx) {
    const g = sdpaGeometry(ctx);
    return { perSample: boolArg(ctx, 'fused') ? 0 : product(g.lead) * g.queries * g.keys, fixed: 0 };
  },
  workspaceDoc: 'the scores [..., L, S] on the math path; none fused',
};

export const attentionOps: readonly OpSpec[] = checkedOps([attention, crossAttention, sdpa]);
