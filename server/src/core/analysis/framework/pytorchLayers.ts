// torch 1.13's CPU rules for layers beyond pytorchOps.ts' own. First the recurrent cells
// (nn.LSTMCell, GRUCell, RNNCell), one call per time step: the cell's composite of two products
// (addmm) and in-place gate arithmetic, replayed allocation by allocation as the allocator's trace
// gives it (/usr/bin/python3, profile_memory, N = 5, F = 2, H = 7 so that every size is distinct;
// 1 and 3 steps, train and infer); u below is N x H values. scripts/torch_op_oracle.py's cell cases
// measure whole loops of them, its layer cases the others.
import { INPUT, NOTHING, every, plainBackward, rule, type BackwardContext, type ForwardContext, type StepContext, type Temporary, type TorchOpRule } from './pytorchRule';

interface CellSizes {
  readonly u: number;
  readonly features: number;
  readonly hidden: number;
  readonly bias: boolean;
  /** called without a state: torch's cell module makes one zero state (LSTM: h and c the same tensor) */
  readonly zeroState: boolean;
}

function sizes(c: StepContext): CellSizes {
  const [n, features] = c.inShape(0) as [number, number];
  const hidden = Number(c.node.attrs['hidden']);
  return { u: n * hidden * c.elementBytes, features, hidden, bias: c.node.attrs['bias'] !== false, zeroState: c.node.inputs.length === 1 };
}

/** state k's gradient, when the op was given that state and it needs one */
function stateGrad(c: BackwardContext, k: number): void {
  if (k < c.node.inputs.length && c.needsGrad(k)) c.gradInput(k);
}

/** one product's weight gradients, W and b (tensors `weight` and `weight` + 2 of the op's four) */
function weightGrads(c: BackwardContext, s: CellSizes, gates: number, weight: 0 | 1): () => void {
  const columns = weight === 0 ? s.features : s.hidden;
  return c.weightGradTensors([{ index: weight, elements: gates * s.hidden * columns }, ...(s.bias ? [{ index: weight + 2, elements: gates * s.hidden }] : [])]);
}

/**
 * the two products' backward, the input's first (made last): the input's gradient and W_ih's and
 * b_ih's, summed at once; then the state's gradient and W_hh's and b_hh's, summed once the gates'
 * gradient has gone
 */
function productGrads(c: BackwardContext, s: CellSizes, gates: number, gatesGrad: Temporary): void {
  if (c.needsGrad(0)) c.gradInput(0);
  weightGrads(c, s, gates, 0)();
  stateGrad(c, 1);
  const sum = weightGrads(c, s, gates, 1);
  c.free(gatesGrad);
  sum();
}

/** temporaries the training forward keeps for the backward, or frees at once in inference */
function keepAll(c: ForwardContext, kept: readonly (Temporary | null)[]): void {
  for (const t of kept) if (t) (c.recording ? c.keep(t) : c.free(t));
}

/**
 * LSTMCell: gates = W_hh h + b_hh, then W_ih x + b_ih added in place and freed; the four
 * activations in place on the gates' quarters; c_t = f * c (+ i * g, freed); h_t = o * tanh(c_t).
 * Training keeps the gates and tanh(c_t). The op writes h_t and c_t side by side: c_t's bytes are
 * its output's from the moment h_t is made, which the allocator sees as the same sum.
 */
const lstmCell: TorchOpRule = {
  saves: { inputs: [0, 1, 2], output: false },
  forward(c) {
    const s = sizes(c);
    const zero = s.zeroState ? c.temp(s.u) : null;
    const gates = c.temp(4 * s.u);
    c.free(c.temp(4 * s.u));
    const fc = c.temp(s.u);
    c.free(c.temp(s.u));
    const tanhC = c.temp(s.u);
    c.free(fc);
    c.output();
    keepAll(c, [tanhC, gates, zero]);
  },
  backward(c) {
    const s = sizes(c);
    const [tanhC, gates] = c.kept;
    // h_t = o * tanh(c_t): the gradients of o and of tanh(c_t), then of c_t
    const dO = c.temp(s.u);
    const dTanh = c.temp(s.u);
    const dC = c.temp(s.u);
    c.free(dTanh);
    if (tanhC) c.free(tanhC);
    // c_t = f * c + i * g: f's gradient, c's, then i's and g's
    const dF = c.temp(s.u);
    stateGrad(c, 2);
    const dI = c.temp(s.u);
    const dG = c.temp(s.u);
    c.free(dC);
    // each activation's backward replaces its gate's gradient; then the four are joined
    const activated = [dO, dG, dF, dI].map((g) => {
      const t = c.temp(s.u);
      c.free(g);
      return t;
    });
    if (gates) c.free(gates);
    const dGates = c.temp(4 * s.u);
    for (const t of activated) c.free(t);
    productGrads(c, s, 4, dGates);
  },
};

/**
 * GRUCell: the input's product (3 u), the state's (3 u: r and z made in place there); n = tanh(
 * W_in x + r * (W_hn h)) with the in-place product's operand cloned; h_t = (h - n) * z + n with
 * (h - n) cloned for the in-place product. Training keeps the state's product, both clones and n;
 * the input's product goes at the end of the step.
 */
const gruCell: TorchOpRule = {
  saves: { inputs: [0, 1], output: false },
  forward(c) {
    const s = sizes(c);
    const zero = s.zeroState ? c.temp(s.u) : null;
    const inputProduct = c.temp(3 * s.u);
    const stateProduct = c.temp(3 * s.u);
    const clone1 = c.recording ? c.temp(s.u) : null;
    const n = c.temp(s.u);
    c.output();
    const clone2 = c.recording ? c.temp(s.u) : null;
    c.free(inputProduct);
    keepAll(c, [stateProduct, clone1, n, clone2, zero]);
  },
  backward(c) {
    const s = sizes(c);
    const [stateProduct, clone1, n, clone2] = c.kept;
    // (h - n) * z: the gradients of (h - n) and of z; its clone goes
    const dDiff = c.temp(s.u);
    const dZ = c.temp(s.u);
    if (clone2) c.free(clone2);
    // n's gradient: -d(h - n) plus h_t's own
    const dNeg = c.temp(s.u);
    const dN = c.temp(s.u);
    c.free(dNeg);
    const dTanh = c.temp(s.u);
    c.free(dN);
    if (n) c.free(n);
    // r * (W_hn h): the gradients of the product and of r; its clone goes
    const dHn = c.temp(s.u);
    const dR = c.temp(s.u);
    if (clone1) c.free(clone1);
    const dR2 = c.temp(s.u);
    c.free(dR);
    const dZ2 = c.temp(s.u);
    c.free(dZ);
    if (stateProduct) c.free(stateProduct);
    // the state's product: its gates' gradient joined; the state's gradient is d(h - n) and W_hh's product
    const dState = c.temp(3 * s.u);
    c.free(dHn);
    c.free(dDiff);
    stateGrad(c, 1);
    stateGrad(c, 1);
    const sumState = weightGrads(c, s, 3, 1);
    c.free(dState);
    sumState();
    // the input's product: r's, z's and n's gradients joined
    const dInput = c.temp(3 * s.u);
    c.free(dR2);
    c.free(dZ2);
    c.free(dTanh);
    if (c.needsGrad(0)) c.gradInput(0);
    const sumInput = weightGrads(c, s, 3, 0);
    c.free(dInput);
    sumInput();
  },
};

/** RNNCell: the state's and the input's products, the activation's output (saved), both products freed */
const rnnCell: TorchOpRule = {
  saves: { inputs: [0, 1], output: true },
  forward(c) {
    const s = sizes(c);
    const zero = s.zeroState ? c.temp(s.u) : null;
    const a = c.temp(s.u);
    const b = c.temp(s.u);
    c.output();
    c.free(a);
    c.free(b);
    keepAll(c, [zero]);
  },
  backward(c) {
    const s = sizes(c);
    productGrads(c, s, 1, c.temp(s.u));
  },
};

/**
 * alpha dropout in training: the noise (the input's size, or one value per sample and channel),
 * kept by the product's backward; the shift b of the noise's size, added in place into the product
 * and freed. Inference and p = 0 return the input itself.
 */
const alphaDropout: TorchOpRule = {
  saves: NOTHING,
  // its backward is a product with the noise, elementwise
  readsExpandedGradient: true,
  forward(c) {
    if (!c.training || Number(c.node.attrs['rate'] ?? 0) === 0) return c.alias();
    const [n, channels] = c.inShape(0) as [number, number];
    const noise = c.node.attrs['feature'] === true ? n * channels * c.elementBytes : c.inBytes(0);
    c.extra(noise);
    const shift = c.temp(noise);
    c.output();
    c.free(shift);
  },
  backward(c) {
    every(c, (k) => c.gradInput(k));
  },
};

/**
 * nn.Bilinear: torch 1.13's CPU _trilinear sums one product per output feature into its result
 * (a [rows, F2] and a [rows] temporary at a time); with a bias, the bias is added out of place and
 * the sum freed. Its backward: b's gradient, then x1's (a [rows, F1, F2] and a [rows, F1] at a
 * time), W's (a [rows, F1] and an [F1, F2]), then x2's (two [rows, F2]).
 */
const bilinear: TorchOpRule = {
  saves: { inputs: [0, 1], output: false },
  // its products read out.sum()'s expanded gradient through einsum's views (measured: no copy)
  readsExpandedGradient: true,
  forward(c) {
    const { rows, in2, bias, e } = bilinearSizes(c);
    const sum = bias ? c.temp(c.outBytes) : null;
    if (!sum) c.output();
    pair(c, rows * in2 * e, rows * e);
    if (!sum) return;
    c.output();
    c.free(sum);
  },
  backward(c) {
    const { rows, in1, in2, units, bias, e } = bilinearSizes(c);
    if (bias) c.weightGradTensors([{ index: 1, elements: units }])();
    if (c.needsGrad(0)) {
      c.gradInput(0);
      pair(c, rows * in1 * in2 * e, rows * in1 * e);
    }
    c.weightGradTensors([{ index: 0, elements: units * in1 * in2 }])();
    pair(c, rows * in1 * e, in1 * in2 * e);
    if (c.needsGrad(1)) {
      c.gradInput(1);
      pair(c, rows * in2 * e, rows * in2 * e);
    }
  },
};

function bilinearSizes(c: StepContext): { rows: number; in1: number; in2: number; units: number; bias: boolean; e: number } {
  const x1 = c.inShape(0);
  const x2 = c.inShape(1);
  return { rows: x1.slice(0, -1).reduce((a, b) => a * b, 1), in1: x1[x1.length - 1]!, in2: x2[x2.length - 1]!, units: c.outShape[c.outShape.length - 1]!, bias: c.node.attrs['bias'] !== false, e: c.elementBytes };
}

/** two temporaries alive at once, then both freed (one iteration of a loop that repeats them) */
function pair(c: StepContext, a: number, b: number): void {
  const first = c.temp(a);
  const second = c.temp(b);
  c.free(first);
  c.free(second);
}

/**
 * LPPool1d/2d, torch 1.13's composite: x^p (the input's size), its window averages, then
 * sign(avg) * relu(|avg|) (|avg| freed), times the window size (the product freed), to the power
 * 1/p. Training keeps x^p, the averages, the sign, relu's result and the scaled sum; the backward
 * undoes each step in turn, two temporaries at a time, the incoming gradient let go after the
 * first. torch frees the output (saved by the last power) then too; here it waits for the end of
 * the op's backward: an output-sized tensor more in it.
 */
const lpPool: TorchOpRule = {
  saves: { inputs: [0], output: true },
  forward(c) {
    const I = c.inBytes(0);
    const O = c.outBytes;
    const power = c.temp(I);
    const avg = c.temp(O);
    if (!c.recording) c.free(power);
    const sign = c.temp(O);
    const abs = c.temp(O);
    const relu = c.temp(O);
    c.free(abs);
    const product = c.temp(O);
    if (!c.recording) {
      c.free(sign);
      c.free(relu);
    }
    const scaled = c.temp(O);
    c.free(product);
    c.output();
    if (!c.recording) {
      c.free(scaled);
      c.free(avg);
      return;
    }
    for (const t of [power, avg, sign, relu, scaled]) c.keep(t);
  },
  backward(c) {
    const I = c.inBytes(0);
    const O = c.outBytes;
    const [power, avg, sign, relu, scaled] = c.kept;
    const drop = (...ts: (Temporary | undefined)[]): void => ts.forEach((t) => t && c.free(t));
    // out = scaled^(1/p)
    const a = c.temp(O);
    const b = c.temp(O);
    const dScaled = c.temp(O);
    drop(a, b, scaled);
    c.releaseGradOutput();
    // scaled = product * window
    const dProduct = c.temp(O);
    c.free(dScaled);
    // product = sign * relu
    const dSign = c.temp(O);
    const dRelu = c.temp(O);
    drop(dProduct, sign);
    const dAbs = c.temp(O);
    drop(dRelu, relu);
    // |avg|: sgn(avg) times the gradient
    const sgn = c.temp(O);
    const dAvgAbs = c.temp(O);
    drop(sgn, dAbs, avg);
    // sign's gradient is zeros, summed with abs'
    const zeros = c.temp(O);
    c.free(dSign);
    const dAvg = c.temp(O);
    drop(zeros, dAvgAbs);
    // the window averages, then x^p
    const dPower = c.temp(I);
    drop(dAvg, power);
    const p1 = c.temp(I);
    const p2 = c.temp(I);
    if (c.needsGrad(0)) c.gradInput(0);
    drop(p1, p2, dPower);
  },
};

/**
 * LocalResponseNorm, torch 1.13's composite: x * x, padded over the channels (its square freed),
 * averaged over `size` channels (avg_pool3d, which keeps the padded tensor in training), times
 * alpha plus k (the product freed), to the power beta, then x over it. Training keeps the padded
 * squares, the sum and its power; the backward undoes each step in turn (x's gradient from the
 * quotient, then twice from the square, summed).
 */
const localResponseNorm: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    const X = c.inBytes(0);
    const channels = c.inShape(0)[1]!;
    const size = Number(c.node.attrs['size']);
    const padded = (X / channels) * (channels + size - 1);
    const square = c.temp(X);
    const pad = c.temp(padded);
    c.free(square);
    const avg = c.temp(X);
    if (!c.recording) c.free(pad);
    const scaled = c.temp(X);
    const sum = c.temp(X);
    c.free(scaled);
    const power = c.temp(X);
    if (!c.recording) c.free(sum);
    c.free(avg);
    c.output();
    if (!c.recording) {
      c.free(power);
      return;
    }
    for (const t of [pad, sum, power]) c.keep(t);
  },
  backward(c) {
    const X = c.inBytes(0);
    const [pad, sum, power] = c.kept;
    const drop = (...ts: (Temporary | undefined)[]): void => ts.forEach((t) => t && c.free(t));
    // out = x / d: x's gradient, then d's through three temporaries
    if (c.needsGrad(0)) c.gradInput(0);
    drop(c.temp(X), c.temp(X), c.temp(X));
    const dPower = c.temp(X);
    c.releaseGradOutput();
    // d = sum^beta
    const p1 = c.temp(X);
    const p2 = c.temp(X);
    const dSum = c.temp(X);
    drop(p1, p2, dPower, sum, power);
    // sum = avg * alpha + k
    const dAvg = c.temp(X);
    c.free(dSum);
    // the channel average, then the padding
    const dPad = c.temp(pad?.bytes ?? 0);
    drop(dAvg, pad);
    const dSquare = c.temp(X);
    c.free(dPad);
    // x * x: two gradients of x, summed into the quotient's
    if (c.needsGrad(0)) {
      c.gradInput(0);
      c.gradInput(0);
    }
    c.free(dSquare);
  },
};

/**
 * the ops whose float64 step (`model.double()`) torch 1.13 runs as its float32 one with 8-byte
 * elements, measured (torch_op_oracle.py's *_fp64 cases; mse_loss in bench/public-peaks.json's
 * examples/time_sequence); the others are not profiled in float64:
 * convolutions leave oneDNN, and the norms keep their statistics in the input's dtype
 */
export const FLOAT64_OPS: ReadonlySet<string> = new Set(['input', 'constant', 'slice', 'concat', 'dense', 'relu', 'dropout', 'lstm_cell', 'gru_cell', 'rnn_cell', 'mse_loss', 'reduce']);

/** the rules of layers beyond pytorchOps.ts' own, keyed by registry op */
export const LAYER_OPS: Readonly<Record<string, TorchOpRule>> = {
  lstm_cell: lstmCell,
  gru_cell: gruCell,
  rnn_cell: rnnCell,
  // a new tensor in the input's layout; the backward folds the gradient back (a new tensor)
  pixel_unshuffle: rule(NOTHING),
  // torch 1.13 has no derivative for channel_shuffle: a training step raises
  channel_shuffle: { ...rule(NOTHING), inferenceOnly: true },
  alpha_dropout: alphaDropout,
  bilinear,
  lppool1d: lpPool,
  lppool2d: lpPool,
  local_response_norm: localResponseNorm,
};
