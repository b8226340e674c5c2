// Keras' attention layers (Keras for Python; tf.js has none) as registry ops:
// MultiHeadAttention as Keras computes it (its query / key / value kernels [d, heads, key_dim]
// with biases [heads, key_dim], the query scaled by 1/sqrt(key_dim), scores per head, softmax,
// dropout, the output kernel [heads, value_dim, d_out] with bias [d_out]), and dot-product
// Attention (no weights). Per sample the inputs are sequences [L, d].
import type { LayerObject } from './values';
import { TFJS_CODES } from './codes';
import { LayerConfig, PlanError, type OpStep } from './layerConfig';

function sequence(layer: LayerObject, shape: readonly number[] | undefined, what: string): readonly number[] {
  if (shape?.length !== 2) {
    throw new PlanError({
      node: layer.site,
      message: `${layer.type}: the ${what} must be a sequence [length, features] per sample, got [${(shape ?? []).join(', ')}] (other ranks and attention_axes are not supported by memlens yet)`,
      code: TFJS_CODES.unsupported,
      severity: 'info',
    });
  }
  return shape;
}

/**
 * inputs [query, value, key] (the key defaults to the value). Steps index their inputs in
 * [query, value, key, step 0, step 1, ...]; dense applies to the last axis, as EinsumDense does.
 */
function multiHeadAttention(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): OpStep[] {
  const [lq, dq] = sequence(layer, inputShapes[0], 'query');
  const [lv] = sequence(layer, inputShapes[1], 'value');
  const [lk] = sequence(layer, inputShapes[2], 'key');
  if (lk !== lv) throw new PlanError({ node: layer.site, message: `multiHeadAttention: the key has ${lk} steps, the value ${lv} (Keras raises)`, code: TFJS_CODES.shape, severity: 'error' });
  if (cfg.has('attentionAxes')) throw new PlanError({ node: cfg.nodeOf('attentionAxes'), message: 'multiHeadAttention: attention_axes is not supported by memlens yet', code: TFJS_CODES.unsupported, severity: 'info' });
  const heads = cfg.int('numHeads');
  const keyDim = cfg.int('keyDim');
  const valueDim = cfg.has('valueDim') ? cfg.int('valueDim') : keyDim;
  const outputs = cfg.raw('outputShape');
  const out = outputs === undefined ? dq! : outputs.kind === 'array' && outputs.items.length === 1 ? cfg.ints('outputShape') : cfg.int('outputShape');
  if (Array.isArray(out)) throw new PlanError({ node: cfg.nodeOf('outputShape'), message: 'multiHeadAttention: output_shape of more than one axis is not supported by memlens yet', code: TFJS_CODES.unsupported, severity: 'info' });
  for (const [key, v] of [['numHeads', heads], ['keyDim', keyDim], ['valueDim', valueDim], ['outputShape', out]] as const) {
    if (v < 1) throw new PlanError({ node: cfg.nodeOf(key), message: `multiHeadAttention '${key}' must be at least 1, got ${v}`, code: TFJS_CODES.invalidConfig, severity: 'error' });
  }
  const bias = cfg.bool('useBias', true);
  const dropout = cfg.number('dropout', 0);
  const dense = (units: number, from: number): OpStep => ({ op: 'dense', args: { units, bias, activation: 'linear' }, from: [from] });
  // 0 query, 1 value, 2 key; then 3.. the steps
  const steps: OpStep[] = [
    dense(heads * keyDim, 0), // 3: query [Lq, h*kd]
    dense(heads * keyDim, 2), // 4: key [Lk, h*kd]
    dense(heads * valueDim, 1), // 5: value [Lk, h*vd]
    { op: 'reshape', args: { shape: [lq!, heads, keyDim] }, from: [3] }, // 6
    { op: 'scale', args: { factor: 1 / Math.sqrt(keyDim) }, from: [6] }, // 7: the query scaled
    { op: 'transpose', args: { perm: [1, 0, 2] }, from: [7] }, // 8: [h, Lq, kd]
    { op: 'reshape', args: { shape: [lk!, heads, keyDim] }, from: [4] }, // 9
    { op: 'transpose', args: { perm: [1, 2, 0] }, from: [9] }, // 10: [h, kd, Lk]
    { op: 'reshape', args: { shape: [lk!, heads, valueDim] }, from: [5] }, // 11
    { op: 'transpose', args: { perm: [1, 0, 2] }, from: [11] }, // 12: [h, Lk, vd]
    { op: 'matmul', args: {}, from: [8, 10] }, // 13: scores [h, Lq, Lk]
    { op: 'softmax', args: { axis: -1 }, from: [13] }, // 14
  ];
  let probs = 14;
  if (dropout > 0) {
    steps.push({ op: 'dropout', args: { rate: dropout }, from: [14] });
    probs = 15;
  }
  const context = 3 + steps.length;
  steps.push({ op: 'matmul', args: {}, from: [probs, 12] }); // [h, Lq, vd]
  steps.push({ op: 'transpose', args: { perm: [1, 0, 2] }, from: [context] }); // [Lq, h, vd]
  steps.push({ op: 'reshape', args: { shape: [lq!, heads * valueDim] }, from: [context + 1] });
  steps.push(dense(out, context + 2));
  return steps;
}

/** Attention (Luong, dot scores): softmax(q k^T) v over [query, value, key], no weights */
function dotAttention(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): OpStep[] {
  if (inputShapes.length < 2 || inputShapes.length > 3) throw new PlanError({ node: layer.site, message: `attention takes [query, value] or [query, value, key], got ${inputShapes.length} tensor${inputShapes.length === 1 ? '' : 's'} (Keras raises)`, code: TFJS_CODES.shape, severity: 'error' });
  inputShapes.forEach((s, i) => sequence(layer, s, ['query', 'value', 'key'][i]!));
  const unsupported = (key: string, message: string): never => {
    throw new PlanError({ node: cfg.nodeOf(key), message, code: TFJS_CODES.unsupported, severity: 'info' });
  };
  if (cfg.bool('useScale', false)) unsupported('useScale', 'attention with use_scale=True (a learned scalar on the scores) is not supported by memlens yet');
  if (cfg.string('scoreMode', 'dot') !== 'dot') unsupported('scoreMode', "attention with score_mode='concat' is not supported by memlens yet");
  if (cfg.number('dropout', 0) > 0) unsupported('dropout', 'attention with dropout on the scores is not supported by memlens yet');
  // the math path: the scores [Tq, Tv] held, the probabilities saved (the 1/sqrt(d) of the op changes no size)
  return [{ op: 'scaled_dot_product_attention', args: { fused: false }, from: [0, inputShapes.length === 3 ? 2 : 1, 1] }];
}

export function attentionSteps(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): OpStep[] | undefined {
  if (layer.type === 'multiHeadAttention') return multiHeadAttention(layer, cfg, inputShapes);
  if (layer.type === 'attention') return dotAttention(layer, cfg, inputShapes);
  return undefined;
}
