// What eager PyTorch 1.13 allocates for each registry op on a CPU: the output (or a view), the
// tensors autograd saves for the backward (torch's own choice, which is not always the ideal one:
// max-pool keeps int64 indices, dropout a float mask, a linear layer its input), the temporaries
// of the forward and of the backward, and how the gradient reaches the inputs. Measured per op with
// torch's allocator (scripts/torch_op_oracle.py writes test/fixtures/python/torch_ops.json).
import type { AttrValue, OpNode } from '../../ir';
import { product } from '../../ops/common';
import { channelBlock, oneDnnCopies, slowColumns, usesOneDnn, type ConvGeometry } from './onednn';

/** what every op rule reads and does, forward or backward */
export interface StepContext {
  readonly node: OpNode;
  /** whole shape (batch axis first unless batch-independent) of input k and of the output */
  inShape(k: number): readonly number[];
  readonly outShape: readonly number[];
  inBytes(k: number): number;
  readonly outBytes: number;
  readonly elementBytes: number;
  /** the CPU's vector width in bits (oneDNN's blocked layouts follow it) */
  readonly vectorBits: number;
  /** input k is laid out contiguously (not a transposed or sliced view) */
  inContiguous(k: number): boolean;
  /** a transient buffer, alive until freed */
  temp(bytes: number): Temporary;
  free(t: Temporary): void;
}

/** what an op rule can do while its forward runs */
export interface ForwardContext extends StepContext {
  readonly training: boolean;
  /** the output as a new tensor, contiguous or (a convolution of a channels-last input) channels-last */
  output(layout?: 'channelsLast'): void;
  /** input k is a 4-D tensor laid out channels-last (a permuted NHWC result) */
  inChannelsLast(k: number): boolean;
  /** the output as a view of input 0 (a copy when the strides do not allow a view) */
  view(): void;
  /** the output is input 0 itself */
  alias(): void;
  /** state kept for the backward (train) beside the saved inputs and output; dropped at once in inference */
  extra(bytes: number): void;
  /** autograd records this op (training, and its output needs a gradient) */
  readonly recording: boolean;
  /** a temporary autograd keeps for the backward: the backward frees it (`kept`), else it goes with the node; freed at once when not recording */
  keep(t: Temporary): void;
  /** autograd keeps input k for the backward (beside the rule's static `saves`) */
  saveInput(k: number): void;
  /** the bytes of the copy torch.matmul makes of input k when it folds the batch dims (0: a view does) */
  foldCopy(k: number): number;
}

/** what an op rule can do while its backward runs */
export interface BackwardContext extends StepContext {
  /** whether input k receives a gradient */
  needsGrad(k: number): boolean;
  /** input k's gradient, allocated (or accumulated into the one it has) */
  gradInput(k: number): void;
  /** input k's gradient is the output's gradient itself (a view or an add) */
  passGrad(k: number): void;
  /** the op's weight gradients (accumulated when the weights are shared) */
  weightGrad(): void;
  /** one weight-gradient tensor of the op, made piece by piece (a gradient summed step by step); freed with `free` when superseded */
  weightGradPart(bytes: number): Temporary;
  /** the temporaries the forward kept (`keep`), in the order kept */
  readonly kept: readonly Temporary[];
}

export interface Temporary {
  readonly bytes: number;
}

export interface TorchOpRule {
  /** input indices and output that autograd keeps for the backward */
  readonly saves: { readonly inputs: readonly number[]; readonly output: boolean };
  /**
   * run in place in training, an op whose backward reads its input gets that input cloned first
   * (autograd keeps the original): hardtanh_ (ReLU6), hardswish_, silu_; relu_ and leaky_relu_
   * read their result and clone nothing
   */
  readonly clonesInPlaceInput?: boolean;
  /** an elementwise op: its output takes the memory layout of an input of its shape (channels-last stays channels-last) */
  readonly elementwise?: boolean;
  /** only its inference is replayed: a training step with it gets a reason, not a figure */
  readonly inferenceOnly?: boolean;
  /**
   * training is replayed for some configurations only: what this node has that is not (e.g.
   * '2 layers'), null when covered; given the per-sample input shape
   */
  trainingGap?(node: OpNode, input: readonly number[]): string | null;
  forward(c: ForwardContext): void;
  backward(c: BackwardContext): void;
}

const every = (c: BackwardContext, grad: (k: number) => void): void => {
  for (let k = 0; k < c.node.inputs.length; k++) if (c.needsGrad(k)) grad(k);
};
const newOutput = (c: ForwardContext): void => c.output();
const plainBackward = (c: BackwardContext): void => {
  every(c, (k) => c.gradInput(k));
  c.weightGrad();
};
const passBackward = (c: BackwardContext): void => every(c, (k) => c.passGrad(k));

function rule(saves: TorchOpRule['saves'], forward: TorchOpRule['forward'] = newOutput, backward: TorchOpRule['backward'] = plainBackward): TorchOpRule {
  return { saves, forward, backward };
}

/** an elementwise op (its output follows its input's memory layout) */
const pointwise = (r: TorchOpRule): TorchOpRule => ({ ...r, elementwise: true });
/** an activation whose backward reads its input: in place in training, the input is cloned and the clone saved */
const readsInput = (): TorchOpRule => pointwise({ ...rule(INPUT), clonesInPlaceInput: true });

const NOTHING = { inputs: [], output: false } as const;
const INPUT = { inputs: [0], output: false } as const;
const OUTPUT = { inputs: [], output: true } as const;
const BOTH_INPUTS = { inputs: [0, 1], output: false } as const;

function nums(v: AttrValue | undefined): readonly number[] {
  return Array.isArray(v) ? (v as readonly number[]) : typeof v === 'number' ? [v] : [];
}

/** the window per spatial axis: one value stands for all of them (.nnm's `conv2d(x, 64, 8)`, torch's `kernel_size=8`) */
function kernelOf(c: StepContext): readonly number[] {
  const written = nums(c.node.attrs['kernel']);
  return written.length === 1 ? c.inShape(0).slice(2).map(() => written[0]!) : written;
}

/** the convolution's geometry from its whole shapes (NC + spatial) and attributes */
function convGeometry(c: StepContext, outShape: readonly number[]): ConvGeometry {
  const input = c.inShape(0);
  const attrs = c.node.attrs;
  const kernel = kernelOf(c);
  return {
    batch: input[0]!,
    inChannels: input[1]!,
    outChannels: outShape[1]!,
    inSpatial: input.slice(2),
    outSpatial: outShape.slice(2),
    kernel,
    strided: nums(attrs['stride']).some((s) => s !== 1),
    padded: nums(attrs['pad']).some((p) => p !== 0),
    dilated: nums(attrs['dilation']).some((d) => d !== 1),
    groups: typeof attrs['groups'] === 'number' ? attrs['groups'] : 1,
    elementBytes: c.elementBytes,
    block: channelBlock(c.vectorBits),
  };
}

const conv2d: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    const g = convGeometry(c, c.outShape);
    // a channels-last input makes torch run the convolution channels-last: the output is laid out
    // so, and the slow kernel first copies the weight into that layout
    const channelsLast = c.inChannelsLast(0);
    const layout = channelsLast ? 'channelsLast' : undefined;
    // the weight is first copied channels-last (unless that is its layout already: one input
    // channel per group, or a 1x1 kernel)
    const weightClone = c.temp(channelsLast && g.inChannels / g.groups > 1 && g.kernel.some((k) => k > 1) ? weightBytes(g) : 0);
    if (usesOneDnn(g) && channelsLast) {
      // oneDNN reads and writes channels-last tensors as they are: the weight is reordered too
      const weight = c.temp(oneDnnCopies(g).weight);
      c.free(weightClone);
      c.output(layout);
      c.free(weight);
      return;
    }
    if (usesOneDnn(g)) {
      // blocked input, weight and output side by side; then the plain output the caller gets
      const copies = oneDnnCopies(g);
      const input = c.temp(copies.input);
      const weight = c.temp(copies.weight);
      const output = c.temp(copies.output);
      c.free(weight);
      c.free(input);
      c.output(layout);
      c.free(output);
      return;
    }
    const columns = c.temp(slowColumns(g));
    c.output(layout);
    c.free(columns);
    c.free(weightClone);
  },
  backward(c) {
    const g = convGeometry(c, c.outShape);
    if (usesOneDnn(g)) {
      const copies = oneDnnCopies(g);
      const gradOutput = c.temp(copies.output);
      if (c.needsGrad(0)) {
        const gradInput = c.temp(copies.input || c.inBytes(0));
        c.gradInput(0);
        c.free(gradInput);
      }
      const input = c.temp(copies.input);
      const gradWeight = c.temp(copies.weight);
      c.free(input);
      c.free(gradOutput);
      c.weightGrad();
      c.free(gradWeight);
      return;
    }
    // the slow kernel's backward: the input's and the weight's gradients, then one column buffer
    // that serves both (the gradient's columns for the input, the input's columns for the weight)
    if (c.needsGrad(0)) c.gradInput(0);
    c.weightGrad();
    const columns = c.temp(slowColumns(g));
    c.free(columns);
  },
};

/**
 * torch 1.13 runs a float transposed convolution on a CPU with its own kernel (never oneDNN): one
 * sample at a time, through a column buffer of (filters / groups) x k x k rows by the input's
 * positions, which its backward makes again
 */
const conv2dTranspose: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    const columns = c.temp(transposeColumns(c));
    c.free(columns);
  },
  backward(c) {
    c.weightGrad();
    const columns = c.temp(transposeColumns(c));
    if (c.needsGrad(0)) c.gradInput(0);
    c.free(columns);
  },
};

function transposeColumns(c: StepContext): number {
  const input = c.inShape(0);
  const kernel = kernelOf(c);
  const groups = typeof c.node.attrs['groups'] === 'number' ? c.node.attrs['groups'] : 1;
  const filters = c.outShape[1]!;
  return (filters / groups) * product(kernel) * product(input.slice(2)) * c.elementBytes;
}

function weightBytes(g: ConvGeometry): number {
  return g.outChannels * (g.inChannels / g.groups) * product(g.kernel) * g.elementBytes;
}

const linear: TorchOpRule = {
  saves: INPUT,
  forward: newOutput,
  backward(c) {
    every(c, (k) => c.gradInput(k));
    c.weightGrad();
  },
};

const batchnorm: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    const channels = c.outShape[1] ?? 1;
    // the batch's mean and inverse standard deviation, saved in training
    if (c.training) {
      c.extra(channels * 4);
      c.extra(channels * 4);
    }
  },
  backward(c) {
    const scratch = c.temp(c.inBytes(0));
    every(c, (k) => c.gradInput(k));
    c.free(scratch);
    c.weightGrad();
  },
};

/**
 * layer and group norm make a mean and a reciprocal std per normalised group (in inference too),
 * kept for the backward; a non-contiguous input (a permuted NCHW tensor) is copied while they run
 */
function normRule(groups: (c: ForwardContext) => number): TorchOpRule {
  return rule(INPUT, (c) => {
    const copy = c.temp(c.inContiguous(0) ? 0 : c.inBytes(0));
    c.output();
    c.free(copy);
    c.extra(groups(c) * 4);
    c.extra(groups(c) * 4);
  });
}

/** torch runs instance norm as a batch norm over N x C channels: the statistics are per sample and channel */
const instancenorm: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    const groups = (c.outShape[0] ?? 1) * (c.outShape[1] ?? 1);
    c.extra(groups * 4);
    c.extra(groups * 4);
  },
  backward: batchnorm.backward,
};

const layernorm = normRule((c) => {
  const dims = Number(c.node.attrs['dims'] ?? 1);
  return product(c.outShape.slice(0, c.outShape.length - dims));
});
const groupnorm = normRule((c) => (c.outShape[0] ?? 1) * Number(c.node.attrs['groups'] ?? 1));

const maxpool: TorchOpRule = {
  saves: INPUT,
  forward(c) {
    c.output();
    // the argmax of every window as int64, computed in inference too and dropped there
    c.extra((c.outBytes / c.elementBytes) * 8);
  },
  backward: plainBackward,
};

const dropout: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    // eval mode, or p = 0: torch returns the input itself
    if (!c.training || Number(c.node.attrs['rate'] ?? 0) === 0) return c.alias();
    // a mask of the input's dtype (bernoulli, scaled by 1/(1-p)), kept by the multiply's backward
    c.extra(c.inBytes(0));
    c.output();
  },
  backward(c) {
    every(c, (k) => c.gradInput(k));
  },
};

/** torchvision's stochastic_depth: input * noise, noise [N, 1, ...] (row) or [1, ...] (batch), bernoulli then / (1 - p) */
const stochasticDepth: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    if (!c.training || Number(c.node.attrs['p'] ?? 0) === 0) return c.alias();
    const rows = c.node.attrs['mode'] === 'batch' ? 1 : c.inShape(0)[0]!;
    // the noise, kept by the product's backward
    c.extra(rows * c.elementBytes);
    c.output();
  },
  backward(c) {
    every(c, (k) => c.gradInput(k));
  },
};

const crossEntropy: TorchOpRule = {
  saves: NOTHING,
  forward(c) {
    // log_softmax's output (kept for its backward), then the scalar loss
    c.extra(c.inBytes(0));
    c.output();
  },
  backward(c) {
    if (!c.needsGrad(0)) return;
    const nllGrad = c.temp(c.inBytes(0));
    c.gradInput(0);
    c.free(nllGrad);
  },
};

const view = rule(NOTHING, (c) => c.view(), passBackward);

/**
 * What one step of a torch 1.13 CPU recurrent cell makes beyond the state it keeps, in units of
 * N x H values, read off the allocator's trace (scripts/torch_op_oracle.py's rnn cases): the
 * hidden-to-hidden product of all gates, then the cell's temporaries, of which `peakTemps` are
 * alive at once beside it.
 */
interface RecurrentCell {
  readonly gates: number;
  /** temporaries made with the gates before the new state (LSTM: f*c and i*g, one freed before c_t; GRU and RNN: one, freed after h_t) */
  readonly peakTemps: number;
  /** the cell carries a second state (LSTM's c) */
  readonly cellState: boolean;
  /** its training step, one layer in one direction */
  readonly training: RecurrentTraining;
}

/**
 * A training step of a 1-layer unidirectional torch 1.13 CPU recurrent layer (the composite path:
 * autograd records each step's ops), as the allocator's trace gives it allocation by allocation
 * (/usr/bin/python3 probes with profile_memory: identical, event for event, at 15 shapes of N, L,
 * F, H with L >= 2, the input with and without a gradient; at N = 1, with no input copy, the same
 * peak, b_ih's and W_ih's gradients made in the other order). `+k` makes a tensor, `-k` frees the
 * oldest live one of that size; k: u = N x H, G = the N x gH gates (g = 4, 3, 1), P = the L x N x gH
 * input projection (and its gradient), X = the time-major copy of the batch-first input (saved for
 * the input weights' gradient), O = the output; W = the H x gH hidden weights' gradient, b = a gH
 * bias gradient, Wi = the F x gH input weights' gradient. The weight gradients are summed step by
 * step out of place: the running total, the step's and the sum (3 W) are alive at once.
 */
interface RecurrentTraining {
  /** the zero initial state(s), the input copy and the projection */
  readonly start: string;
  /** each time step's forward (LSTM: gates, f*c into c_t, i*g freed, tanh(c_t), h_t) */
  readonly step: string;
  /** the stacked output, the projection freed, the final state made, the initial and final states let go */
  readonly end: string;
  /** the backward of the last step, of each inner step, of the first step (no gradient for the zero initial state) */
  readonly last: string;
  readonly inner: string;
  readonly first: string;
}

const CELLS: Readonly<Record<string, RecurrentCell>> = {
  // per step: gates 4, two products (one freed), c_t, h_t: 7 N x H at once
  lstm: {
    gates: 4,
    peakTemps: 2,
    cellState: true,
    training: {
      start: '+u +u +X +P',
      step: '+G +u +u -u +u +u',
      end: '+O -P +u +u -u -u -u -u',
      last: '+u +u +u -u -u +u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +u +W +b -u +u -u',
      inner: '+u +u -u +u -u -u +u -u -u +u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +u +W +b -u +b -b +u -b -u +W -W -W',
      first: '+u +u -u +u -u -u +u -u -u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +W +b -u +b -b -b +W -W -W',
    },
  },
  // per step: gates 3, one temporary, h_t: 5 at once
  gru: {
    gates: 3,
    peakTemps: 1,
    cellState: false,
    training: {
      start: '+u +X +P',
      step: '+G +u +u +u +u',
      end: '+O -P +u -u -u',
      last: '+u +u -u +u +u +u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +u +W +b -G -u +u -u -u +G -u -u -u',
      inner: '+u +u -u +u +u +u -u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +u +W +b -G -u +b -b +u -u -b -u +W -W -W +G -u -u -u',
      first: '+u +u -u +u -u +u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +W +b -G -u +b -b -b +W -W -W +G -u -u -u',
    },
  },
  // per step: tanh's input, h_t: 2 at once
  simple_rnn: {
    gates: 0,
    peakTemps: 1,
    cellState: false,
    training: {
      start: '+u +X +P',
      step: '+u +u -u',
      end: '+O -P +u -u',
      last: '+u -u +u +W +b +u -u',
      inner: '+u -u -u +u +W +b +b -b +u -b -u +W -W -W',
      first: '+u -u -u +W +b -u +b -b -b +W -W -W',
    },
  },
};

/** what of a recurrent layer's configuration its training replay does not cover; null when covered */
function recurrentTrainingGap(node: OpNode, input: readonly number[]): string | null {
  const attrs = node.attrs;
  const gaps: string[] = [];
  const layers = Number(attrs['layers'] ?? 1);
  if (layers !== 1) gaps.push(`${layers} layers`);
  if (attrs['bidirectional'] === true) gaps.push('bidirectional');
  if (attrs['bias_sets'] !== undefined && Number(attrs['bias_sets']) !== 2) gaps.push('bias=False');
  if (attrs['return_sequences'] !== true) gaps.push('the last step only');
  if ((input[0] ?? 0) < 2) gaps.push('one timestep');
  return gaps.length > 0 ? gaps.join(', ') : null;
}

const WEIGHT_GRADS = new Set(['W', 'b', 'Wi']);

/** replays a measured allocation sequence (RecurrentTraining): tensors by size, the oldest of a size freed first */
class AllocationReplay {
  private readonly live = new Map<number, Temporary[]>();
  constructor(
    private readonly sizes: Readonly<Record<string, number>>,
    private readonly make: (key: string, bytes: number) => Temporary,
    private readonly drop: (t: Temporary) => void,
  ) {}

  adopt(t: Temporary): void {
    if (t.bytes > 0) this.list(t.bytes).push(t);
  }

  run(tokens: string): void {
    for (const token of tokens.split(' ')) {
      const key = token.slice(1);
      const bytes = this.sizes[key]!;
      if (bytes === 0) continue;
      if (token[0] === '+') this.list(bytes).push(this.make(key, bytes));
      else {
        const t = this.list(bytes).shift();
        if (t) this.drop(t);
      }
    }
  }

  /** what is still alive, oldest first */
  remaining(): Temporary[] {
    return [...this.live.values()].flat();
  }

  private list(bytes: number): Temporary[] {
    let l = this.live.get(bytes);
    if (!l) this.live.set(bytes, (l = []));
    return l;
  }
}

function recurrentSizes(c: StepContext, cell: RecurrentCell, contiguous: boolean): Record<string, number> {
  const [n, steps, features] = c.inShape(0) as [number, number, number];
  const hidden = Number(c.node.attrs['hidden']);
  const g = Math.max(cell.gates, 1);
  const e = c.elementBytes;
  // the time-major view of a batch-first input of one sequence is contiguous already: no copy
  return { u: n * hidden * e, G: n * g * hidden * e, P: steps * n * g * hidden * e, X: contiguous && n > 1 ? n * steps * features * e : 0, O: 0, W: hidden * g * hidden * e, b: g * hidden * e, Wi: features * g * hidden * e };
}

/** the training forward: every step's saved tensors kept for the backward */
function recurrentTrainingForward(c: ForwardContext, cell: RecurrentCell): void {
  const t = cell.training;
  const contiguous = c.inContiguous(0);
  // without the copy the projection's saved input is the layer's input itself
  if (!contiguous || c.inShape(0)[0] === 1) c.saveInput(0);
  const replay = new AllocationReplay(recurrentSizes(c, cell, contiguous), (_key, bytes) => c.temp(bytes), (x) => c.free(x));
  const steps = c.inShape(0)[1]!;
  const [before, after] = t.end.split('+O');
  replay.run(`${t.start} ${Array.from({ length: steps }, () => t.step).join(' ')}`);
  replay.run(before!.trim());
  c.output();
  replay.run(after!.trim());
  for (const x of replay.remaining()) c.keep(x);
}

function recurrentTrainingBackward(c: BackwardContext, cell: RecurrentCell): void {
  const t = cell.training;
  const replay = new AllocationReplay(recurrentSizes(c, cell, c.inContiguous(0)), (key, bytes) => (WEIGHT_GRADS.has(key) ? c.weightGradPart(bytes) : c.temp(bytes)), (x) => c.free(x));
  for (const k of c.kept) replay.adopt(k);
  const steps = c.inShape(0)[1]!;
  replay.run([t.last, ...Array.from({ length: steps - 2 }, () => t.inner), t.first, '+P', ...Array.from({ length: steps }, () => '-G'), '+b +Wi'].join(' '));
  // the input's gradient (the projection's gradient times W_ih), then the projection's gradient and the copy go
  c.gradInput(0);
  replay.run('-P -X');
}

/**
 * torch 1.13's CPU LSTM / GRU / RNN in inference (aten::lstm's composite path): zero initial
 * states for every layer and direction; per layer and direction a time-major copy of a batch-first
 * input (first layer only), the input projection of the whole sequence (one held at a time), then
 * per time step the cell's products, each step's h kept until the layer's outputs are stacked (the
 * last h, and c, held as the final state); a bidirectional layer concatenates its two stacks and
 * only then lets both directions' steps go; a
 * layer's input is freed when the layer ends. Training is replayed for one unidirectional layer
 * over two or more steps (RecurrentTraining); stacked and bidirectional layers get a reason.
 */
function recurrent(cell: RecurrentCell): TorchOpRule {
  return {
    saves: NOTHING,
    trainingGap: recurrentTrainingGap,
    forward(c) {
      if (c.recording) {
        recurrentTrainingForward(c, cell);
        return;
      }
      const [n, steps, features] = c.inShape(0) as [number, number, number];
      const attrs = c.node.attrs;
      const hidden = Number(attrs['hidden']);
      const dirs = attrs['bidirectional'] === true ? 2 : 1;
      const layers = Number(attrs['layers'] ?? 1);
      const state = n * hidden * c.elementBytes;
      const held: Temporary[] = [c.temp(layers * dirs * state)];
      if (cell.cellState) held.push(c.temp(layers * dirs * state));
      let input: Temporary | null = null;
      for (let layer = 0; layer < layers; layer++) {
        const last = layer === layers - 1;
        let projection: Temporary | null = null;
        const stacks: Temporary[] = [];
        for (let d = 0; d < dirs; d++) {
          const copy = c.temp(layer === 0 && c.inContiguous(0) ? n * steps * features * c.elementBytes : 0);
          const next = c.temp(steps * n * Math.max(cell.gates, 1) * hidden * c.elementBytes);
          c.free(copy);
          if (projection) c.free(projection);
          projection = next;
          const hs: Temporary[] = [];
          let cellState: Temporary | null = null;
          for (let t = 0; t < steps; t++) {
            const gates = c.temp(cell.gates * state);
            const temps = Array.from({ length: cell.peakTemps }, () => c.temp(state));
            // LSTM lets one product go before its new c; the others keep theirs to the end of the step
            const early = cell.cellState ? temps.shift() : undefined;
            if (early) c.free(early);
            const newCell = cell.cellState ? c.temp(state) : null;
            hs.push(c.temp(state));
            for (const tmp of temps) c.free(tmp);
            c.free(gates);
            if (cellState) c.free(cellState);
            cellState = newCell;
          }
          const stack = last && dirs === 1 ? null : c.temp(steps * state);
          if (!stack) c.output();
          else stacks.push(stack);
          // the last step's h (and c) are the final state, held to the end of the call; a
          // bidirectional layer lets the other steps' h go only after the concatenation
          stacks.push(...hs.slice(0, -1));
          if (dirs === 1) for (const h of stacks.splice(stack ? 1 : 0)) c.free(h);
          held.push(...hs.slice(-1), ...(cellState ? [cellState] : []));
        }
        if (dirs === 2) {
          const joined = last ? null : c.temp(steps * 2 * state);
          if (!joined) c.output();
          for (const s of stacks) c.free(s);
          if (projection) c.free(projection);
          if (input) c.free(input);
          input = joined;
        } else {
          if (projection) c.free(projection);
          if (input) c.free(input);
          input = stacks[0] ?? null;
        }
      }
      for (const t of held) c.free(t);
    },
    backward: (c) => recurrentTrainingBackward(c, cell),
  };
}

/** torch's rules by registry op; an op not listed has no PyTorch profile yet */
export const TORCH_CPU_OPS: Readonly<Record<string, TorchOpRule>> = {
  conv2d,
  conv2d_transpose: conv2dTranspose,
  dense: linear,
  embedding: rule(INPUT),
  batchnorm,
  layernorm,
  groupnorm,
  instancenorm,
  relu: pointwise(rule(OUTPUT)),
  relu6: readsInput(),
  leaky_relu: pointwise(rule(OUTPUT)),
  elu: pointwise(rule(OUTPUT)),
  gelu: readsInput(),
  silu: readsInput(),
  sigmoid: pointwise(rule(OUTPUT)),
  tanh: pointwise(rule(OUTPUT)),
  hardswish: readsInput(),
  hardsigmoid: readsInput(),
  exp: pointwise(rule(OUTPUT)),
  log: readsInput(),
  pow: readsInput(),
  prelu: pointwise(rule(INPUT)),
  pixel_shuffle: rule(NOTHING),
  softmax: rule(OUTPUT),
  dropout: pointwise(dropout),
  stochastic_depth: stochasticDepth,
  maxpool,
  avgpool: rule(INPUT),
  globalavgpool: rule(NOTHING),
  adaptive_avgpool: rule(INPUT),
  flatten: view,
  reshape: view,
  transpose: view,
  slice: rule(NOTHING, (c) => c.view()),
  expand_batch: rule(NOTHING, (c) => c.view()),
  // advanced indexing: a new tensor; its backward scatters into zeros of the input's size
  take: rule(NOTHING),
  concat: rule(NOTHING),
  add: pointwise(rule(NOTHING, newOutput, passBackward)),
  add_broadcast: pointwise(rule(NOTHING)),
  mul: pointwise(rule(BOTH_INPUTS)),
  scale: pointwise(rule(NOTHING)),
  shift: pointwise(rule(NOTHING, newOutput, passBackward)),
  sub: pointwise(rule(NOTHING)),
  div: pointwise(rule(BOTH_INPUTS)),
  matmul: rule(NOTHING, (c) => {
    // batched products fold their leading dims with a reshape: a transposed operand is copied, and
    // the copy is what the product saves
    for (let k = 0; k < 2; k++) {
      const copy = c.foldCopy(k);
      if (copy > 0) c.extra(copy);
      else c.saveInput(k);
    }
    c.output();
  }),
  masked_fill: pointwise(rule({ inputs: [1], output: false })),
  compare: rule(NOTHING),
  reduce: rule(NOTHING),
  upsample: rule(NOTHING),
  zeropad: rule(NOTHING),
  constant: rule(NOTHING),
  lstm: recurrent(CELLS['lstm']!),
  gru: recurrent(CELLS['gru']!),
  simple_rnn: recurrent(CELLS['simple_rnn']!),
  cross_entropy: crossEntropy,
  nll_loss: rule(NOTHING),
  mse_loss: rule(BOTH_INPUTS),
  l1_loss: rule(BOTH_INPUTS),
  binary_cross_entropy: rule(BOTH_INPUTS),
  binary_cross_entropy_with_logits: rule(BOTH_INPUTS),
};
