// nn.MultiheadAttention as torch 1.13 defines it: the tensors it registers (one packed q, k, v
// projection when the key and value dims are the model's, three separate ones otherwise) and its
// call, self-attention (query, key and value the same tensor) or cross-attention, with masks.
// Apart from layers.ts because it reads its call's keywords by name (attn_mask, key_padding_mask).
import { describe, intOf, NotKnown, numberOf, SequenceFirstInput, NONE, TRUE, FALSE, int, type LayerCall, type LayerSpec, type PyValue, type TensorValue } from './values';

function known(config: ReadonlyMap<string, PyValue>, name: string): number {
  const v = config.get(name);
  const n = v === undefined ? undefined : intOf(v);
  if (n === undefined) throw new NotKnown(`\`${name}\` is ${v ? describe(v) : 'missing'}, not a known integer`);
  return n;
}

function truth(v: PyValue | undefined, name: string): boolean {
  if (v === undefined || v.kind === 'none') return false;
  if (v.kind === 'bool') return v.value;
  const n = numberOf(v);
  if (n === undefined) throw new NotKnown(`\`${name}\` is ${describe(v)}, not a known boolean`);
  return n !== 0;
}

/** kdim / vdim: None is the model dim */
function sourceDim(config: ReadonlyMap<string, PyValue>, name: 'kdim' | 'vdim', model: number): number {
  const v = config.get(name);
  return v === undefined || v.kind === 'none' ? model : known(config, name);
}

/** forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal) */
const FORWARD: readonly (readonly [string, PyValue?])[] = [['query'], ['key'], ['value'], ['key_padding_mask', NONE], ['need_weights', TRUE], ['attn_mask', NONE], ['average_attn_weights', TRUE], ['is_causal', FALSE]];

/** the call's arguments by torch's forward signature: the inputs list holds the keywords' values after the positional ones */
function bindForward(call: LayerCall, inputs: readonly PyValue[]): Map<string, PyValue> {
  const keywords = call.keywords ?? new Map<string, PyValue>();
  const positional = inputs.slice(0, inputs.length - keywords.size);
  if (positional.length > FORWARD.length) call.fail(`MultiheadAttention takes ${FORWARD.length} arguments, got ${positional.length}`);
  const out = new Map<string, PyValue>();
  positional.forEach((v, i) => out.set(FORWARD[i]![0], v));
  for (const [k, v] of keywords) {
    if (!FORWARD.some(([name]) => name === k)) call.fail(`MultiheadAttention.forward() got an unexpected keyword argument \`${k}\``);
    if (out.has(k)) call.fail(`MultiheadAttention.forward() got \`${k}\` twice`);
    out.set(k, v);
  }
  for (const [name, dflt] of FORWARD) {
    if (out.has(name)) continue;
    if (!dflt) call.fail(`MultiheadAttention.forward() is missing \`${name}\``);
    out.set(name, dflt);
  }
  return out;
}

function sequence(call: LayerCall, v: PyValue, what: string, batchFirst: boolean): TensorValue {
  const layout = batchFirst ? '[N, L, E]' : '[L, N, E]';
  if (v.kind !== 'tensor') call.fail(`MultiheadAttention expects the ${what} as a tensor ${layout}, got ${describe(v)}`);
  // a sequence-first layer given an example made with its batch first: read the examples once more with the batch on axis 1
  if (!batchFirst && v.shape.length === 3 && v.batchAxis === 0) throw new SequenceFirstInput(`MultiheadAttention(batch_first=False) expects the ${what} as [L, N, E], got ${describe(v)}`);
  if (v.shape.length !== 3 || v.batchAxis !== (batchFirst ? 0 : 1)) call.fail(`MultiheadAttention(batch_first=${batchFirst ? 'True' : 'False'}) expects the ${what} as ${layout}, got ${describe(v)}`);
  return v;
}

/**
 * a mask argument: None, or a tensor of this model's graph, which the scores read. torch's
 * attn_mask is [L, S] for the whole batch, or [N * heads, L, S]; a key_padding_mask is [N, S]. A
 * 2-D attn_mask made outside the model (passed to its call, or read as a global) is an input the
 * whole batch shares; a 3-D one made outside is not followed, rather than counted as a batched
 * tensor it may not be.
 */
function maskOf(call: LayerCall, v: PyValue, name: 'attn_mask' | 'key_padding_mask', heads: number): TensorValue | undefined {
  if (v.kind === 'none') return undefined;
  if (v.kind !== 'tensor') throw new NotKnown(`\`${name}\` is ${describe(v)}, not a known tensor`);
  const outside = `\`${name}\` ${describe(v)} is made outside the model; memlens follows a 2-D attn_mask [L, S] and a key_padding_mask [N, S] made there`;
  if (name === 'key_padding_mask') return v.shape.length === 2 ? call.batchOn(v, 0) : v;
  const m = v.shape.length === 2 ? call.batchOn(v, -1) : v;
  if (m.id === undefined) throw new NotKnown(outside);
  if (m.batchAxis >= 0 && (m.shape.length !== 3 || m.shape[m.batchAxis] !== heads)) throw new NotKnown(outside);
  return m;
}

export const multiheadAttention: LayerSpec = {
  name: 'MultiheadAttention',
  signature: [['embed_dim'], ['num_heads'], ['dropout', { kind: 'float', value: 0 }], ['bias', TRUE], ['add_bias_kv', FALSE], ['add_zero_attn', FALSE], ['kdim', NONE], ['vdim', NONE], ['batch_first', FALSE]],
  init(c, b, fail) {
    const e = known(c, 'embed_dim');
    const h = known(c, 'num_heads');
    if (e < 0) fail(`\`embed_dim\` must be at least 0, got ${e}`);
    if (h < 1 || e % h !== 0) fail(`embed_dim (${e}) must be divisible by num_heads (${h})`);
    const kdim = sourceDim(c, 'kdim', e);
    const vdim = sourceDim(c, 'vdim', e);
    if (kdim < 0 || vdim < 0) fail(`kdim and vdim must be at least 0, got ${kdim} and ${vdim}`);
    if (truth(c.get('add_bias_kv'), 'add_bias_kv') || truth(c.get('add_zero_attn'), 'add_zero_attn')) fail('add_bias_kv and add_zero_attn are not modelled yet');
    const bias = truth(c.get('bias'), 'bias');
    b.attr('embed_dim', int(e));
    b.attr('num_heads', int(h));
    b.attr('kdim', int(kdim));
    b.attr('vdim', int(vdim));
    b.attr('batch_first', truth(c.get('batch_first'), 'batch_first') ? TRUE : FALSE);
    // torch registers the packed projection, or the three separate ones, and the other as None, in this order
    if (kdim === e && vdim === e) {
      b.param('in_proj_weight', [3 * e, e]);
      b.param('q_proj_weight', undefined);
      b.param('k_proj_weight', undefined);
      b.param('v_proj_weight', undefined);
    } else {
      b.param('q_proj_weight', [e, e]);
      b.param('k_proj_weight', [e, kdim]);
      b.param('v_proj_weight', [e, vdim]);
      b.param('in_proj_weight', undefined);
    }
    b.param('in_proj_bias', bias ? [3 * e] : undefined);
    // out_proj is a Linear in torch; its tensors are counted here under its names
    b.param('out_proj.weight', [e, e]);
    b.param('out_proj.bias', bias ? [e] : undefined);
  },
  forward(call, inputs) {
    const c = call.config;
    const a = bindForward(call, inputs);
    const batchFirst = truth(c.get('batch_first'), 'batch_first');
    const e = known(c, 'embed_dim');
    const q = sequence(call, a.get('query')!, 'query', batchFirst);
    const k = sequence(call, a.get('key')!, 'key', batchFirst);
    const v = sequence(call, a.get('value')!, 'value', batchFirst);
    if (q.shape[2] !== e) call.fail(`MultiheadAttention(${e}) expects a query of ${e} features, got ${describe(q)}`);
    const kdim = sourceDim(c, 'kdim', e);
    const vdim = sourceDim(c, 'vdim', e);
    if (k.shape[2] !== kdim) call.fail(`MultiheadAttention expects a key of ${kdim} features (kdim), got ${describe(k)}`);
    if (v.shape[2] !== vdim) call.fail(`MultiheadAttention expects a value of ${vdim} features (vdim), got ${describe(v)}`);
    const keyAxis = batchFirst ? 1 : 0;
    if (k.shape[keyAxis] !== v.shape[keyAxis]) call.fail(`MultiheadAttention: the key ${describe(k)} and value ${describe(v)} have different lengths`);
    const heads = known(c, 'num_heads');
    const masks = [maskOf(call, a.get('attn_mask')!, 'attn_mask', heads), maskOf(call, a.get('key_padding_mask')!, 'key_padding_mask', heads)].filter((m): m is TensorValue => m !== undefined);
    const needWeights = truth(a.get('need_weights'), 'need_weights');
    const args = { heads, bias: truth(c.get('bias'), 'bias'), dropout: numberOf(c.get('dropout') ?? NONE) ?? call.fail('`dropout` is not a known number'), batch_first: batchFirst, need_weights: needWeights };
    // torch's self-attention is the call with one tensor as query, key and value
    const self = k === q && v === q;
    const out = self ? call.emit('attention', [q, ...masks], args) : call.emit('cross_attention', [q, k, v, ...masks], args);
    // (output, averaged weights): the weights are not followed
    return { kind: 'tuple', items: [{ ...out, batchAxis: q.batchAxis, shape: [...q.shape] }, { kind: 'unknown', node: call.site, reason: 'the attention weights MultiheadAttention returns are not followed' }] };
  },
};
