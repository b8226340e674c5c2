// What eager torch 1.13 allocates for the activations of ops/activationMore.ts on a CPU, read from
// its autograd formulas and measured with its allocator (scripts/torch_op_oracle.py). Most keep
// their input for the backward; an in-place form whose backward reads the original (hardtanh_,
// threshold_, mish) clones it first, while selu_, celu_ and rrelu_ keep their result (the input's
// storage) and clone nothing. The composite ones run as several torch ops, each allocating.
import { pointwise, readsInput, rule, INPUT, NOTHING, OUTPUT, type TorchOpRule } from './pytorchRule';

/**
 * softsign(x) = x / (|x| + 1): |x|, then the denominator (the Python 1 wrapped as a double scalar
 * and cast to the tensor's dtype while the add runs), then the quotient. The division keeps x and
 * the denominator, |x|'s backward keeps x.
 */
const softsign: TorchOpRule = pointwise({
  saves: INPUT,
  forward(c) {
    const abs = c.temp(c.inBytes(0));
    const wrapped = c.temp(8);
    const cast = c.temp(c.elementBytes);
    const denominator = c.temp(c.inBytes(0));
    c.free(cast);
    c.free(wrapped);
    c.free(abs);
    c.output();
    c.keep(denominator);
  },
  backward(c) {
    if (!c.needsGrad(0)) return;
    const bytes = c.inBytes(0);
    // the division's gradient for the denominator, -g * ((x / d) / d): four tensors at once
    const steps = [c.temp(bytes), c.temp(bytes), c.temp(bytes)];
    const towardDenominator = c.temp(bytes);
    for (const t of steps) c.free(t);
    // and for x, g / d; the engine then drops the division's saved denominator
    const fromQuotient = c.temp(bytes);
    for (const t of c.kept) c.free(t);
    // |x|'s gradient: sgn(x), times the denominator's gradient (the add passed it on)
    const sign = c.temp(bytes);
    const fromAbs = c.temp(bytes);
    c.free(sign);
    c.free(towardDenominator);
    // x read twice: its two gradients summed into a new tensor
    c.gradInput(0);
    c.free(fromQuotient);
    c.free(fromAbs);
  },
});

/**
 * tanhshrink(x) = x - tanh(x): tanh keeps its output, the subtraction nothing (x itself is not
 * kept). The backward: -g for tanh's branch, tanh's gradient, then the sum of x's two gradients.
 * torch drops the tanh output before that sum is made: the order here frees it there too.
 */
const tanhshrink: TorchOpRule = pointwise({
  saves: NOTHING,
  forward(c) {
    const tanh = c.temp(c.outBytes);
    c.output();
    c.keep(tanh);
  },
  backward(c) {
    if (!c.needsGrad(0)) return;
    const negated = c.temp(c.inBytes(0));
    const fromTanh = c.temp(c.inBytes(0));
    c.free(negated);
    for (const t of c.kept) c.free(t);
    c.gradInput(0);
    c.free(fromTanh);
  },
});

/** log_sigmoid makes its output and a buffer of the input's size (in inference too); the backward reads x and the buffer */
const logSigmoid: TorchOpRule = pointwise({
  ...rule(INPUT),
  forward(c) {
    c.output();
    c.extra(c.inBytes(0));
  },
});

/**
 * rrelu allocates a noise tensor of the input's size whatever the mode (the slopes drawn, or
 * untouched), beside its output; autograd keeps it and x (in place: the result). Without drawing
 * (eval, F.rrelu's default) torch computes the mean slope (lower + upper) / 2 from 8-byte double
 * scalars: six alive at once, beside the output and the noise.
 */
const rrelu: TorchOpRule = pointwise({
  ...rule(INPUT),
  forward(c) {
    // an inference replay stands for model.eval(), as dropout's does; F.rrelu(training=True) under
    // no_grad draws too, which this does not tell apart (48 bytes)
    const draws = c.training && c.node.attrs['training'] !== false;
    const noise = c.temp(c.inBytes(0));
    c.output();
    c.free(c.temp(draws ? 0 : 6 * 8));
    c.keep(noise);
  },
});

/**
 * softmin(x) = softmax(-x): the negation goes once the softmax is made (x is not kept). In the
 * backward torch drops softmax's saved output and incoming gradient before negating its gradient;
 * freeing softmax's gradient first instead reaches the same peak and leaves the same tensors.
 */
const softmin: TorchOpRule = {
  saves: OUTPUT,
  forward(c) {
    const negated = c.temp(c.inBytes(0));
    c.output();
    c.free(negated);
  },
  backward(c) {
    if (!c.needsGrad(0)) return;
    const fromSoftmax = c.temp(c.inBytes(0));
    c.free(fromSoftmax);
    c.gradInput(0);
  },
};

/** torch's rules for the activations of ops/activationMore.ts, spread into TORCH_CPU_OPS */
export const ACTIVATION_OPS: Readonly<Record<string, TorchOpRule>> = {
  hardtanh: readsInput(),
  // out of place they keep x; selu_ and celu_ keep their result: the same storage, nothing cloned
  selu: pointwise(rule(INPUT)),
  celu: pointwise(rule(INPUT)),
  mish: readsInput(),
  softplus: readsInput(),
  softsign,
  tanhshrink,
  log_sigmoid: logSigmoid,
  hardshrink: readsInput(),
  softshrink: readsInput(),
  threshold: readsInput(),
  rrelu,
  glu: rule(INPUT),
  log_softmax: rule(OUTPUT),
  softmin,
};
