// TensorFlow.js 4.22's embedding and recurrent layers on the CPU backend, kernel by kernel (read
// from tfjs-layers' embeddings and recurrent code, tfjs-core's gradients and the CPU kernels, and
// checked on small traces of the backend's data map):
// - Embedding casts the ids to int32 (a copy) and gathers rows (the reshape after it saves the
//   gathered rows for backward, the one buffer both share). Gather's gradient transposes dy
//   and calls unsortedSegmentSum, which the CPU backend runs as one loop over all vocab rows:
//   per row a scalar id, a boolean mask of the N ids, the mask times dy ([N, dim], 4 N dim bytes)
//   and its column sum, all kept until the loop ends, then stacked. That is vocab x N x dim x 4
//   bytes at once: the embedding's size per token of the batch.
// - LSTM, GRU and SimpleRNN run rnn(): the initial state (zeros of the input's shape, summed and
//   tiled), the input transposed to time-major and unstacked, then one tidy() per step in which
//   the cell makes its matMuls, adds, splits and activations (tf.js' default tanh and hard
//   sigmoid: 0.2 x + 0.5 clipped, two scalars per gate), and stack() for return_sequences.
//   While a gradient is taped, what the step's kernels save stays to the end of the backward,
//   and every step's matMul gives its weights a gradient of their full size (summed per variable,
//   each addend kept to the end of the backward).
// - Bidirectional runs a second layer on the reversed sequence, reverses its outputs back and
//   concatenates both.
import type { Kernel, KernelSource, OpRule, OpRuleContext, GradientBuffer } from './tfjsKernel';

const F32 = 4;

/** a list of kernels built in order; each add returns the kernel's index */
export class Program {
  readonly kernels: Kernel[] = [];
  add(kernel: Kernel): number {
    this.kernels.push(kernel);
    return this.kernels.length - 1;
  }
  /** marks kernels `from`..end as made inside a tidy() that returns after kernel `last`, except `keep` */
  tidy(from: number, keep: readonly number[]): void {
    const last = this.kernels.length - 1;
    for (let i = from; i <= last; i++) if (!keep.includes(i) && this.kernels[i]!.diesAfter === undefined) this.kernels[i] = { ...this.kernels[i]!, diesAfter: last };
  }
}

export const of = (i: number, output?: number): KernelSource => (output === undefined ? { kernel: i } : { kernel: i, output });
interface Spec {
  readonly bytes: number;
  readonly from: readonly KernelSource[];
  readonly grads: readonly GradientBuffer[];
  readonly saves?: 'inputs' | 'output' | 'both';
}
export const kernel = (s: Spec, extra: Partial<Kernel> = {}): Kernel => ({
  bytes: s.bytes,
  from: s.from,
  grads: s.grads,
  savesInputs: s.saves === 'inputs' || s.saves === 'both',
  savesOutput: s.saves === 'output' || s.saves === 'both',
  ...extra,
});
/** a scalar made from a JS number (tfc.mul(0.2, x)); inputs are its readers' */
const scalar = (p: Program): number => p.add({ ...kernel({ bytes: F32, from: [], grads: [] }), constant: true });

/**
 * embedding: cast (ids copied as int32), gather; gather's gradient: dy transposed, the
 * unsortedSegmentSum loop (per vocab row: scalar id, N-byte mask, [N, dim] product, dim-sized sum;
 * the sum's own transpose of the product beside the last one) and its stacked [vocab, dim] result,
 * then the transpose back, which is the weights' gradient
 */
const embedding: OpRule = (ctx) => {
  const vocab = ctx.attrs['vocab'];
  if (typeof vocab !== 'number') return null;
  const tokens = ctx.inBytes(0) / F32;
  const rowBytes = ctx.outBytes / tokens;
  const table = vocab * rowBytes;
  const p = new Program();
  const ids = p.add({ ...kernel({ bytes: tokens * 4, from: [{ input: 0 }], grads: ['none'] }), constant: true });
  const perRow = F32 + tokens + tokens * rowBytes + rowBytes;
  p.add(
    kernel(
      { bytes: ctx.outBytes, from: [of(ids), { weight: 'embeddings', bytes: table }], grads: ['none', 'fresh'], saves: 'both' },
      { gradScratch: ctx.outBytes + vocab * perRow + Math.max(tokens * rowBytes, table), gradTransient: ctx.outBytes + table },
    ),
  );
  return p.kernels;
};

type Cell = 'lstm' | 'gru' | 'simple_rnn';
const GATES: Readonly<Record<Cell, number>> = { lstm: 4, gru: 3, simple_rnn: 1 };

interface Geometry {
  readonly batch: number;
  readonly steps: number;
  readonly features: number;
  readonly hidden: number;
  readonly bias: boolean;
  readonly sequences: boolean;
}

/** one direction's weights: kernel [F, gH], recurrent kernel [H, gH], bias [gH] */
interface Weights {
  readonly kernel: KernelSource;
  readonly recurrent: KernelSource;
  readonly bias: KernelSource;
  readonly recurrentBytes: number;
}

function weights(cell: Cell, g: Geometry, prefix: string): Weights {
  const gates = GATES[cell] * g.hidden;
  return {
    kernel: { weight: `${prefix}kernel`, bytes: g.features * gates * F32 },
    recurrent: { weight: `${prefix}recurrent`, bytes: g.hidden * gates * F32 },
    bias: { weight: `${prefix}bias`, bytes: gates * F32 },
    recurrentBytes: g.hidden * gates * F32,
  };
}

/** K.dot of 2-D tensors: a _FusedMatMul without bias, whose custom gradient makes both inputs' gradients */
export const dot = (p: Program, bytes: number, a: KernelSource, b: KernelSource): number => p.add(kernel({ bytes, from: [a, b], grads: ['always', 'always'], saves: 'both' }));
/** K.biasAdd: add() of the bias reshaped; the bias's gradient sums dy over the batch (transposed first) */
export const biasAdd = (p: Program, bytes: number, x: number, b: KernelSource): number => p.add(kernel({ bytes, from: [of(x), b], grads: ['alias', 'fresh'], saves: 'inputs' }, { gradTransient: bytes }));
const add = (p: Program, bytes: number, a: KernelSource, b: KernelSource): number => p.add(kernel({ bytes, from: [a, b], grads: ['alias', 'alias'], saves: 'inputs' }));
const mul = (p: Program, bytes: number, a: KernelSource, b: KernelSource): number => p.add(kernel({ bytes, from: [a, b], grads: ['fresh', 'fresh'], saves: 'inputs' }));
/** tanh saves its output; its gradient makes 1 (a scalar), y^2 and 1 - y^2 */
const tanh = (p: Program, bytes: number, x: KernelSource): number => p.add(kernel({ bytes, from: [x], grads: ['fresh'], saves: 'output' }, { gradTransient: 2 * bytes + F32 }));
/**
 * the hard sigmoid: clip(0.2 x + 0.5, 0, 1), each scalar made as its kernel runs; in predict the
 * scalar goes after its kernel and the product and sum when the clip returns; clip's gradient makes
 * three boolean masks and zeros beside its result
 */
function hardSigmoid(p: Program, bytes: number, x: KernelSource): number {
  const first = p.kernels.length;
  const a = scalar(p);
  const scaled = p.add(kernel({ bytes, from: [of(a), x], grads: ['none', 'fresh'], saves: 'inputs' }));
  p.kernels[a] = { ...p.kernels[a]!, diesAfter: scaled };
  const b = scalar(p);
  const shifted = p.add(kernel({ bytes, from: [of(b), of(scaled)], grads: ['none', 'alias'], saves: 'inputs' }));
  p.kernels[b] = { ...p.kernels[b]!, diesAfter: shifted };
  const clip = p.add(kernel({ bytes, from: [of(shifted)], grads: ['fresh'], saves: 'inputs' }, { gradTransient: 1.75 * bytes }));
  p.tidy(first, [clip]);
  return clip;
}
/** tf.split into equal parts: one kernel with an output per part; its gradient concatenates them */
export const split = (p: Program, parts: readonly number[], x: KernelSource): number => p.add(kernel({ bytes: parts[0]!, from: [x], grads: ['fresh'] }, { more: parts.slice(1) }));

/** one cell step: returns the new hidden state and, for an LSTM, the new cell state */
function step(p: Program, cell: Cell, g: Geometry, w: Weights, x: KernelSource, h: number, c: number): { h: number; c: number } {
  const u = g.batch * g.hidden * F32;
  const gates = GATES[cell] * u;
  const first = p.kernels.length;
  let out: { h: number; c: number };
  if (cell === 'simple_rnn') {
    let z = dot(p, u, x, w.kernel);
    if (g.bias) z = biasAdd(p, u, z, w.bias);
    const r = dot(p, u, of(h), w.recurrent);
    const sum = add(p, u, of(z), of(r));
    out = { h: tanh(p, u, of(sum)), c: -1 };
  } else if (cell === 'lstm') {
    const zx = dot(p, gates, x, w.kernel);
    const zh = dot(p, gates, of(h), w.recurrent);
    let z = add(p, gates, of(zx), of(zh));
    if (g.bias) z = biasAdd(p, gates, z, w.bias);
    const zs = split(p, [u, u, u, u], of(z));
    const i = hardSigmoid(p, u, of(zs, 0));
    const f = hardSigmoid(p, u, of(zs, 1));
    const fc = mul(p, u, of(f), of(c));
    const candidate = tanh(p, u, of(zs, 2));
    const ic = mul(p, u, of(i), of(candidate));
    const cNew = add(p, u, of(fc), of(ic));
    const o = hardSigmoid(p, u, of(zs, 3));
    const tc = tanh(p, u, of(cNew));
    out = { h: mul(p, u, of(o), of(tc)), c: cNew };
  } else {
    let mx = dot(p, gates, x, w.kernel);
    if (g.bias) mx = biasAdd(p, gates, mx, w.bias);
    // the recurrent kernel split into its [H, 2H] and [H, H] blocks, every step
    const rk = split(p, [(2 / 3) * w.recurrentBytes, w.recurrentBytes / 3], w.recurrent);
    const inner = dot(p, 2 * u, of(h), of(rk, 0));
    const xs = split(p, [u, u, u], of(mx));
    const rs = split(p, [u, u], of(inner));
    const z = hardSigmoid(p, u, of(add(p, u, of(xs, 0), of(rs, 0))));
    const r = hardSigmoid(p, u, of(add(p, u, of(xs, 1), of(rs, 1))));
    const rh = mul(p, u, of(r), of(h));
    const recurrentH = dot(p, u, of(rh), of(rk, 1));
    const hh = tanh(p, u, of(add(p, u, of(xs, 2), of(recurrentH))));
    const zh = mul(p, u, of(z), of(h));
    const negZ = p.add(kernel({ bytes: u, from: [of(z)], grads: ['fresh'] }));
    const one = scalar(p);
    const keep = p.add(kernel({ bytes: u, from: [of(one), of(negZ)], grads: ['none', 'alias'], saves: 'inputs' }));
    p.kernels[one] = { ...p.kernels[one]!, diesAfter: keep };
    const mixed = mul(p, u, of(keep), of(hh));
    out = { h: add(p, u, of(zh), of(mixed)), c: -1 };
  }
  p.tidy(first, [out.h, out.c]);
  return out;
}

/**
 * one RNN layer's call() (its own tidy()): initial state, time-major copy (reversed too when it
 * goes backwards), unstack, the steps, and stack() of every step's output for return_sequences;
 * returns the kernel holding the layer's output
 */
function layer(p: Program, cell: Cell, g: Geometry, w: Weights, backwards: boolean): number {
  const first = p.kernels.length;
  const sequence = g.batch * g.steps * g.features * F32;
  const u = g.batch * g.hidden * F32;
  // getInitialState: zeros like the input, summed over time and features, tiled per state
  const zeros = p.add({ ...kernel({ bytes: sequence, from: [], grads: [] }), constant: true });
  const summed = p.add({ ...kernel({ bytes: g.batch * F32, from: [of(zeros)], grads: ['none'], saves: 'inputs' }), constant: true });
  const states = Array.from({ length: cell === 'lstm' ? 2 : 1 }, () => p.add({ ...kernel({ bytes: u, from: [of(summed)], grads: ['none'], saves: 'inputs' }), constant: true }));
  p.tidy(zeros, states);
  let timeMajor = p.add(kernel({ bytes: sequence, from: [{ input: 0 }], grads: ['fresh'] }));
  if (backwards) timeMajor = p.add(kernel({ bytes: sequence, from: [of(timeMajor)], grads: ['fresh'] }));
  const slice = g.batch * g.features * F32;
  const slices = split(p, Array.from({ length: g.steps }, () => slice), of(timeMajor));
  let h = states[0]!;
  let c = states[1] ?? -1;
  const outputs: number[] = [];
  for (let t = 0; t < g.steps; t++) {
    ({ h, c } = step(p, cell, g, w, of(slices, t), h, c));
    outputs.push(h);
  }
  // stack() saves its inputs; its gradient unstacks dy into one new buffer per step
  const out = g.sequences ? p.add(kernel({ bytes: g.steps * u, from: outputs.map((o) => of(o)), grads: outputs.map(() => 'fresh'), saves: 'inputs' })) : h;
  p.tidy(first, [out]);
  return out;
}

function geometry(ctx: OpRuleContext): Geometry | null {
  const [steps, features] = ctx.inShape(0);
  const hidden = ctx.attrs['hidden'];
  const biasSets = ctx.attrs['bias_sets'];
  if (steps === undefined || features === undefined || typeof hidden !== 'number' || (biasSets !== 0 && biasSets !== 1)) return null;
  if (ctx.attrs['layers'] !== 1 || ctx.attrs['dropout'] !== 0) return null;
  return { batch: ctx.batch, steps, features, hidden, bias: biasSets === 1, sequences: ctx.attrs['return_sequences'] === true };
}

const recurrent = (cell: Cell): OpRule => (ctx) => {
  const g = geometry(ctx);
  if (!g) return null;
  const p = new Program();
  if (ctx.attrs['bidirectional'] !== true) {
    layer(p, cell, g, weights(cell, g, ''), false);
    return p.kernels;
  }
  const forward = layer(p, cell, g, weights(cell, g, 'forward.'), false);
  let backward = layer(p, cell, g, weights(cell, g, 'backward.'), true);
  const half = g.batch * (g.sequences ? g.steps : 1) * g.hidden * F32;
  // the backward layer's outputs reversed back in time, then concatenated (concat saves its inputs)
  if (g.sequences) backward = p.add(kernel({ bytes: half, from: [of(backward)], grads: ['fresh'] }));
  p.add(kernel({ bytes: 2 * half, from: [of(forward), of(backward)], grads: ['fresh', 'fresh'], saves: 'inputs' }));
  return p.kernels;
};

export const TFJS_RECURRENT_OPS: Readonly<Record<string, OpRule>> = {
  embedding,
  lstm: recurrent('lstm'),
  gru: recurrent('gru'),
  simple_rnn: recurrent('simple_rnn'),
};
