// Tensor arithmetic that eager frameworks write inline (PyTorch's `q @ k.transpose(-2, -1) * scale`,
// `x - mean`, `masked_fill`, `torch.arange(T)`), and tensors that do not grow with the batch.
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { broadcastShapes, checkedOps, INPLACE_ARG, NO_PARAMS, product, SAVES_NOTHING, shapeText, tensorArg, tensorsArg } from './common';

const DTYPE_VALUES = ['fp32', 'fp16', 'bf16', 'int8', 'int32', 'int64', 'bool', 'fp64'];

/** numpy broadcasting of the op's two inputs */
function broadcastTwo(ctx: OpContext, name: string): number[] {
  return broadcastShapes([ctx.inputs[0]!.shape, ctx.inputs[1]!.shape], name);
}

function shapeArg(ctx: OpContext): number[] {
  const dims = ctx.args['shape'];
  if (!Array.isArray(dims) || dims.length === 0) throw new ShapeError('a shape needs at least one dimension');
  for (const d of dims) if (!Number.isInteger(d) || d < 1) throw new ShapeError(`dimension ${d} must be a positive integer`);
  return [...dims];
}

const constant: OpSpec = {
  name: 'constant',
  family: 'tensor',
  summary: 'A tensor made inside the model (torch.arange(T), torch.ones(T, T); with per_sample, one per sample: a random mask)',
  formula: 'the given shape, whole or per sample; params = 0',
  args: [
    { name: 'shape', kind: 'int', positional: true, variadic: true, required: true, min: 1, doc: 'the whole shape, or the per-sample shape with per_sample' },
    { name: 'dtype', kind: 'enum', values: DTYPE_VALUES, doc: 'element type (default: the precision of the config)' },
    { name: 'per_sample', kind: 'bool', default: false, doc: 'one per sample: the tensor grows with the batch' },
  ],
  growsWithBatch: (ctx) => ctx.args['per_sample'] === true,
  inferShape: shapeArg,
  params: () => NO_PARAMS,
  outputDType: (ctx) => {
    const d = ctx.args['dtype'];
    return typeof d === 'string' && d !== '' ? (d as 'fp32') : ctx.activationDType;
  },
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

const weightView: OpSpec = {
  name: 'weight_view',
  family: 'tensor',
  summary: 'A parameter or buffer of the model read as a tensor (a class token, a causal mask): a view of memory the weights already count',
  formula: 'the given whole shape; no activation bytes; params = 0 (the module that owns the tensor counts it)',
  args: [
    { name: 'shape', kind: 'int', positional: true, variadic: true, required: true, min: 1, doc: 'the whole shape (no batch axis)' },
    { name: 'dtype', kind: 'enum', values: DTYPE_VALUES, doc: 'element type (default: the precision of the config)' },
  ],
  inferShape: shapeArg,
  params: () => NO_PARAMS,
  outputDType: constant.outputDType!,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  viewsWeights: true,
};

/** a learned tensor that is not a layer: its values are trainable parameters, read as a tensor */
const param: OpSpec = {
  name: 'param',
  family: 'tensor',
  summary: 'A learned parameter tensor that is not a layer (a class token, positional embeddings, a layer scale)',
  formula: 'the given whole shape; no activation bytes (the weights count it); params = product(shape)',
  args: weightView.args,
  inferShape: shapeArg,
  params: (_ctx, outShape) => ({ trainable: product(outShape), nonTrainable: 0 }),
  outputDType: constant.outputDType!,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  viewsWeights: true,
};

/** a tensor that does not grow with the batch repeated over it: a view, as torch's expand is */
const expandBatch: OpSpec = {
  name: 'expand_batch',
  family: 'tensor',
  summary: "A tensor that does not grow with the batch, repeated over it as a view (PyTorch cls_token.expand(N, -1, -1), einops repeat over a new batch axis)",
  formula: 'the whole shape, a leading 1 taken by the batch, becomes the per-sample shape; no new memory; params = 0',
  args: [tensorArg('x', 'a tensor that does not grow with the batch')],
  inferShape(ctx) {
    const shape = ctx.inputs[0]!.shape;
    return shape.length > 1 && shape[0] === 1 ? shape.slice(1) : [...shape];
  },
  params: () => NO_PARAMS,
  outputDType: (ctx) => ctx.inputs[0]!.dtype,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
  aliasesInput: true,
  repeatsInput: true,
  growsWithBatch: () => true,
};

const scale: OpSpec = {
  name: 'scale',
  family: 'tensor',
  summary: 'Multiply or divide by a number (x * 0.5, x / sqrt(d))',
  formula: 'shape unchanged; params = 0 (the gradient is the factor times the incoming one)',
  args: [tensorArg('x'), { name: 'factor', kind: 'number', positional: true, required: true, doc: 'the multiplier' }, INPLACE_ARG],
  inferShape: (ctx) => [...ctx.inputs[0]!.shape],
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'elementwise',
};

const shift: OpSpec = {
  name: 'shift',
  family: 'tensor',
  summary: 'Add or subtract a number (x + 1, 1 - x)',
  formula: 'shape unchanged; params = 0',
  args: [tensorArg('x'), { name: 'value', kind: 'number', positional: true, required: true, doc: 'the number added' }, INPLACE_ARG],
  inferShape: (ctx) => [...ctx.inputs[0]!.shape],
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'elementwise',
};

const sub: OpSpec = {
  name: 'sub',
  family: 'tensor',
  summary: 'Elementwise difference with broadcasting',
  formula: 'shapes broadcast from the last axis; params = 0',
  args: [tensorArg('x'), tensorArg('y'), INPLACE_ARG],
  inferShape: (ctx) => broadcastTwo(ctx, 'sub'),
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'elementwise',
};

const div: OpSpec = {
  name: 'div',
  family: 'tensor',
  summary: 'Elementwise quotient with broadcasting',
  formula: 'shapes broadcast from the last axis; params = 0',
  args: [tensorArg('x'), tensorArg('y'), INPLACE_ARG],
  inferShape: (ctx) => broadcastTwo(ctx, 'div'),
  params: () => NO_PARAMS,
  // d(x/y)/dy needs x and y
  savedForBackward: { inputs: [0, 1], output: false },
  inPlace: 'elementwise',
};

const addBroadcast: OpSpec = {
  name: 'add_broadcast',
  family: 'tensor',
  summary: 'Elementwise sum with broadcasting (x + bias, tokens + a position embedding)',
  formula: 'shapes broadcast from the last axis; params = 0',
  args: [tensorsArg('two tensors'), INPLACE_ARG],
  inferShape: (ctx) => {
    if (ctx.inputs.length !== 2) throw new ShapeError(`add_broadcast takes 2 tensors, got ${ctx.inputs.length}`);
    return broadcastTwo(ctx, 'add_broadcast');
  },
  params: () => NO_PARAMS,
  savedForBackward: SAVES_NOTHING,
  inPlace: 'elementwise',
};

const matmul: OpSpec = {
  name: 'matmul',
  family: 'tensor',
  summary: 'Matrix product over the last two axes, leading axes broadcast (q @ k.transpose(-2, -1))',
  formula: '[..., n, k] @ [..., k, m] -> [..., n, m]; a 1-D operand is a vector; params = 0',
  args: [tensorArg('a'), tensorArg('b')],
  inferShape(ctx) {
    const a = ctx.inputs[0]!.shape;
    const b = ctx.inputs[1]!.shape;
    if (a.length < 2 || b.length < 2) throw new ShapeError(`matmul of ${shapeText(a)} and ${shapeText(b)}: both need at least two axes per sample`);
    const k = a[a.length - 1]!;
    if (b[b.length - 2] !== k) throw new ShapeError(`matmul: ${shapeText(a)} @ ${shapeText(b)}: inner sizes ${k} and ${b[b.length - 2]} differ`);
    const lead = broadcastShapes([a.slice(0, -2), b.slice(0, -2)], 'matmul');
    return [...lead, a[a.length - 2]!, b[b.length - 1]!];
  },
  params: () => NO_PARAMS,
  // each operand's gradient needs the other one
  savedForBackward: { inputs: [0, 1], output: false },
  inPlace: 'never',
};

const maskedFill: OpSpec = {
  name: 'masked_fill',
  family: 'tensor',
  summary: "Replace the elements where a boolean mask is set (attention's causal mask)",
  formula: 'the shape of x (the mask broadcasts); params = 0',
  args: [tensorArg('x'), tensorArg('mask', 'boolean, broadcast to x'), INPLACE_ARG],
  inferShape(ctx) {
    const out = broadcastTwo(ctx, 'masked_fill');
    if (out.join() !== ctx.inputs[0]!.shape.join()) throw new ShapeError(`masked_fill: the mask ${shapeText(ctx.inputs[1]!.shape)} does not broadcast to ${shapeText(ctx.inputs[0]!.shape)}`);
    return out;
  },
  params: () => NO_PARAMS,
  // the backward zeroes the gradient where the mask is set
  savedForBackward: { inputs: [1], output: false },
  inPlace: 'elementwise',
};

const compare: OpSpec = {
  name: 'compare',
  family: 'tensor',
  summary: 'Elementwise comparison with a number (mask == 0): a boolean tensor',
  formula: 'shape unchanged, bool; params = 0',
  args: [tensorArg('x'), { name: 'value', kind: 'number', positional: true, required: true, doc: 'the number compared with' }],
  inferShape: (ctx) => [...ctx.inputs[0]!.shape],
  params: () => NO_PARAMS,
  outputDType: () => 'bool',
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

/**
 * a layer whose computation is the user's own code (a TensorFlow.js custom layer): the frontend
 * gives the output shape and the weight counts that code declares
 */
const opaque: OpSpec = {
  name: 'opaque',
  family: 'tensor',
  summary: "A layer whose computation memlens does not model (a TensorFlow.js custom layer): the output shape and weights its own code declares",
  formula: 'output: `shape` per sample; params = trainable + non_trainable; the temporaries of its computation and what its backward keeps are not counted (a lower bound)',
  args: [
    tensorsArg('the layer inputs'),
    { name: 'shape', kind: 'ints', required: true, doc: 'the per-sample output shape' },
    { name: 'trainable', kind: 'int', default: 0, min: 0, doc: 'trainable weight values' },
    { name: 'non_trainable', kind: 'int', default: 0, min: 0, doc: 'non-trainable weight values' },
  ],
  inferShape: shapeArg,
  params: (ctx) => ({ trainable: Number(ctx.args['trainable'] ?? 0), nonTrainable: Number(ctx.args['non_trainable'] ?? 0) }),
  savedForBackward: SAVES_NOTHING,
  inPlace: 'never',
};

export const tensorOps: readonly OpSpec[] = checkedOps([constant, weightView, param, expandBatch, scale, shift, sub, div, addBroadcast, matmul, maskedFill, compare, opaque]);

const REDUCTION_ARG = { name: 'reduction', kind: 'enum', values: ['mean', 'sum', 'none'], default: 'mean', doc: "'mean' or 'sum' over the batch (one number), 'none' (one per element)" } as const;

/** a loss: `mean` and `sum` make one number for the whole batch, `none` one per target element */
function lossSpec(name: string, summary: string, formula: string, saved: OpSpec['savedForBackward'], targetsMatch: boolean): OpSpec {
  return {
    name,
    family: 'loss',
    summary,
    formula,
    args: [tensorArg('input', 'predictions (logits for cross-entropy)'), tensorArg('target'), REDUCTION_ARG],
    inferShape(ctx) {
      const x = ctx.inputs[0]!.shape;
      const t = ctx.inputs[1]!.shape;
      const expected = targetsMatch ? x : x.slice(0, -1);
      // class indices [..] or, for cross-entropy, class probabilities of the input's shape
      const fits = t.join() === expected.join() || (!targetsMatch && t.join() === x.join()) || (expected.length === 0 && t.length === 1 && t[0] === 1);
      if (!fits) throw new ShapeError(`${name}: targets ${shapeText(t)} do not fit predictions ${shapeText(x)}`);
      return ctx.args['reduction'] === 'none' ? (expected.length > 0 ? [...expected] : [1]) : [1];
    },
    params: () => NO_PARAMS,
    outputDType: () => 'fp32',
    savedForBackward: saved,
    inPlace: 'never',
    reducesBatch: (ctx) => ctx.args['reduction'] !== 'none',
  };
}

export const lossOps: readonly OpSpec[] = checkedOps([
  lossSpec(
    'cross_entropy',
    'Softmax cross-entropy of logits against class indices (PyTorch F.cross_entropy, nn.CrossEntropyLoss)',
    '[..., C] logits, [...] targets -> one number (mean / sum) or [...] (none); params = 0',
    {
      inputs: [1],
      output: false,
      // log_softmax keeps its output (the probabilities) for the gradient
      extraElements: (ctx) => ({ perSample: ctx.inputs[0]!.shape.reduce((a, b) => a * b, 1), fixed: 0 }),
      extraDoc: 'the log-probabilities, one per logit',
    },
    false,
  ),
  lossSpec('nll_loss', 'Negative log-likelihood of log-probabilities (F.nll_loss, nn.NLLLoss)', '[..., C], [...] -> one number or [...]; params = 0', { inputs: [1], output: false }, false),
  lossSpec('mse_loss', 'Mean squared error (F.mse_loss, nn.MSELoss)', 'input and target of one shape -> one number or that shape; params = 0', { inputs: [0, 1], output: false }, true),
  lossSpec('l1_loss', 'Mean absolute error (F.l1_loss, nn.L1Loss)', 'input and target of one shape -> one number or that shape; params = 0', { inputs: [0, 1], output: false }, true),
  lossSpec('binary_cross_entropy', 'Binary cross-entropy of probabilities (F.binary_cross_entropy, nn.BCELoss)', 'input and target of one shape -> one number or that shape; params = 0', { inputs: [0, 1], output: false }, true),
  lossSpec('binary_cross_entropy_with_logits', 'Binary cross-entropy of logits (F.binary_cross_entropy_with_logits, nn.BCEWithLogitsLoss)', 'input and target of one shape -> one number or that shape; params = 0', { inputs: [0, 1], output: false }, true),
]);
