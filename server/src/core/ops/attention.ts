// Multi-head self-attention over [L, d] sequences (sequence first, features last, under either layout).
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { boolArg, checkedOps, intAtLeast, product, shapeText, tensorArg } from './common';

function geometry(ctx: OpContext): { steps: number; model: number; heads: number } {
  const shape = ctx.inputs[0]!.shape;
  if (shape.length !== 2) {
    throw new ShapeError(`attention expects a 2-D [L, d] sequence per sample, got ${shape.length}-D ${shapeText(shape)}`);
  }
  const heads = intAtLeast(ctx, 'heads', 1);
  const model = shape[1]!;
  if (model % heads !== 0) throw new ShapeError(`attention: heads ${heads} must divide the model dim ${model}`, 'heads');
  return { steps: shape[0]!, model, heads };
}

const attention: OpSpec = {
  name: 'attention',
  aliases: ['mha'],
  family: 'attention',
  summary: 'Multi-head self-attention with q, k, v and output projections (PyTorch MultiheadAttention)',
  formula: '[L, d] -> [L, d]; heads must divide d; params = 4 (d^2 + d) (4 d^2 without bias)',
  args: [
    tensorArg('x', 'sequence [L, d]'),
    { name: 'heads', kind: 'int', positional: true, required: true, min: 1, doc: 'attention heads; must divide d' },
    { name: 'bias', kind: 'bool', default: true, doc: 'biases on the four projections' },
    { name: 'dropout', kind: 'number', default: 0, min: 0, maxExclusive: 1, doc: 'dropout on the attention probabilities (mask not counted)' },
    { name: 'causal', kind: 'bool', default: false, doc: 'each position attends to itself and earlier ones (a decoder); the mask is applied to the scores where they are, no memory of its own' },
    { name: 'flash', kind: 'bool', default: false, doc: 'a fused (flash / memory-efficient) kernel: no L x L scores held or saved; the backward recomputes them from q, k, v and one log-sum-exp per row and head' },
  ],
  inferShape(ctx) {
    geometry(ctx);
    return [...ctx.inputs[0]!.shape];
  },
  params(ctx) {
    const d = geometry(ctx).model;
    return { trainable: 4 * d * d + (boolArg(ctx, 'bias') ? 4 * d : 0), nonTrainable: 0 };
  },
  savedForBackward: {
    inputs: [0],
    output: false,
    extraElements(ctx) {
      const { steps, model, heads } = geometry(ctx);
      // flash: the row statistics (heads L) in place of the probabilities (heads L^2)
      const perRow = boolArg(ctx, 'flash') ? heads * steps : heads * steps * steps;
      return { perSample: 4 * steps * model + perRow, fixed: 0 };
    },
    extraDoc: 'q, k, v and the attended values before the output projection (4 L d) plus the probabilities (heads L^2) per sample; with flash one log-sum-exp per row and head (heads L) instead of the probabilities',
  },
  inPlace: 'never',
  workspaceElements(ctx) {
    const { steps, heads } = geometry(ctx);
    return { perSample: boolArg(ctx, 'flash') ? 0 : heads * steps * steps, fixed: 0 };
  },
  workspaceDoc: 'the attention scores heads * L * L per sample (none with flash: the fused kernel keeps its tiles in registers and shared memory)',
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

export const attentionOps: readonly OpSpec[] = checkedOps([attention, sdpa]);
