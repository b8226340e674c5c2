// The training step of torch 1.13's composite CPU LSTM / GRU / RNN (autograd records each time
// step's ops), replayed allocation by allocation as the allocator's trace gives it: any number of
// layers, one or two directions, dropout between layers or not, a batch-first input or not.
import { AllocationReplay } from './allocationReplay';
import type { BackwardContext, ForwardContext, StepContext, Temporary } from './pytorchRule';

/**
 * A cell's measured events, in the tokens of `trainingEvents`: `+k` makes a tensor of size k,
 * `-k` frees the oldest live one of that size (the trace gives sizes, not tensors). Read off
 * allocator probes of torch 1.13 (about 400 configurations: 1-3 layers, one and two directions,
 * dropout or not, batch-first or time-major, a given initial state or not, the input needing a
 * gradient or not, 5 shapes of N, L, F, H with L >= 2): every probe's events, in order, are what
 * `trainingEvents` builds (scripts/torch_rnn_events.py records 108 of them for
 * test/unit/analysis/pytorchRecurrentEvents.test.ts). Sizes: u = N x H, G = the N x gH gates (g = 4, 3, 1), W = the H x gH
 * hidden weights' gradient, b = a gH bias gradient. The weight gradients are summed step by step out
 * of place: the running total, the step's and the sum (3 W) are alive at once.
 */
export interface RecurrentTraining {
  /** each time step's forward (LSTM: gates, f*c into c_t, i*g freed, tanh(c_t), h_t) */
  readonly step: string;
  /** what each layer and direction's last step lets go once the final state is stacked (an RNN's h stays: tanh saved it) */
  readonly lastStep: string;
  /**
   * the backward of the last step, of each inner step, of the first step. `~dY` marks where the
   * step before's gradient is summed with its slice of the output's gradient: at step 1 that lets
   * the output's gradient go (its last slice); `~h0` and `~c0` (first step) where the zero initial
   * states' last readers finish
   */
  readonly last: string;
  readonly inner: string;
  readonly first: string;
}

export const LSTM_TRAINING: RecurrentTraining = {
  step: '+G +u +u -u +u +u',
  lastStep: '-u -u',
  last: '+u +u +u -u -u +u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +u +W +b -u +u ~dY -u',
  inner: '+u +u -u +u -u -u +u -u -u +u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +u +W +b -u +b -b +u ~dY -b -u +W -W -W',
  first: '+u +u -u +u -u -u +u -u -u +u +u +u -u ~c0 +u -u +u -u +u -u +u -u -G +G -u -u -u -u +W +b ~h0 +b -b -b +W -W -W',
};

export const GRU_TRAINING: RecurrentTraining = {
  step: '+G +u +u +u +u',
  lastStep: '-u',
  last: '+u +u -u +u +u +u ~dY -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +u +W +b -G -u +u -u -u +G -u -u -u',
  inner: '+u +u -u +u +u ~dY +u -u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +u +W +b -G -u +b -b +u -u -b -u +W -W -W +G -u -u -u',
  first: '+u +u -u +u -u +u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +W +b -G ~h0 +b -b -b +W -W -W +G -u -u -u',
};

export const RNN_TRAINING: RecurrentTraining = {
  step: '+u +u -u',
  lastStep: '',
  last: '+u -u +u +W +b +u ~dY -u',
  inner: '+u -u -u +u +W +b +b -b +u ~dY -b -u +W -W -W',
  first: '+u -u -u +W +b ~h0 +b -b -b +W -W -W',
};

/** bias=False: no bias gradients, and the hidden weights' gradient made before the step's state gradient */
export const LSTM_TRAINING_NO_BIAS: RecurrentTraining = {
  ...LSTM_TRAINING,
  last: '+u +u +u -u -u +u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +W +u -u +u ~dY -u',
  inner: '+u +u -u +u -u -u +u -u -u +u +u +u +u -u -u +u -u +u -u +u -u +u -u -G +G -u -u -u -u +W +u -u +u ~dY -u +W -W -W',
  first: '+u +u -u +u -u -u +u -u -u +u +u +u -u ~c0 +u -u +u -u +u -u +u -u -G +G -u -u -u -u +W ~h0 +W -W -W',
};

export const GRU_TRAINING_NO_BIAS: RecurrentTraining = {
  ...GRU_TRAINING,
  last: '+u +u -u +u +u +u ~dY -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +W +u -G -u +u -u -u +G -u -u -u',
  inner: '+u +u -u +u +u ~dY +u -u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +W +u -G -u +u -u -u +W -W -W +G -u -u -u',
  first: '+u +u -u +u -u +u -u -u +u -u -u +u +u -u +u -u +u -u -G +G -u +W -G ~h0 +W -W -W +G -u -u -u',
};

export const RNN_TRAINING_NO_BIAS: RecurrentTraining = {
  ...RNN_TRAINING,
  last: '+u -u +W +u +u ~dY -u',
  inner: '+u -u -u +W +u +u ~dY -u +W -W -W',
  first: '+u -u -u +W ~h0 +W -W -W',
};

/** a cell's events with and without biases */
export interface CellTraining {
  readonly bias: RecurrentTraining;
  readonly noBias: RecurrentTraining;
}

/** what a layer stack's events depend on */
export interface RecurrentLayout {
  readonly layers: number;
  readonly directions: 1 | 2;
  readonly steps: number;
  /** an LSTM's second state, c */
  readonly cellState: boolean;
  /** dropout between layers (torch keeps its mask for the backward) */
  readonly dropout: boolean;
  /** the first layer's input is copied time-major for its projection (a batch-first input of N > 1) */
  readonly inputCopy: boolean;
  /** the caller passed the initial state: torch makes no zero state */
  readonly initialState: boolean;
  /**
   * the initial state is a tensor of the graph (the node's inputs 1 and 2: made in the forward, or
   * the model's input): autograd keeps it where it would keep the zero state, and lets it go
   * (`releaseH0`, `releaseC0`) where it would free that
   */
  readonly stateInputs?: boolean;
  /** bias=True (b_ih and b_hh); false: no bias gradients (the cell's NO_BIAS events) */
  readonly bias: boolean;
}

/**
 * The forward's and the backward's events (AllocationReplay's tokens). Besides `+k` / `-k`:
 * `output` the layer's output is made, `releaseGradOutput` its gradient is let go, `gradInput` the
 * input's gradient is made. Sizes (per direction unless
 * said): P = the L x N x gH input projection (and its gradient), X = the time-major copy of the
 * input, O = one direction's stacked output L x N x H, Y = a layer's output L x N x dirs x H (the
 * dropout mask, the dropped output and their gradients too), S = the stacked state, layers x dirs x
 * N x H (the zero initial state and the final one), I0 and I = the first and a later layer's input
 * weights' gradient, d8 and d4 = dropout's two scalars.
 */
export function trainingEvents(cell: RecurrentTraining, s: RecurrentLayout): { forward: string[]; backward: string[] } {
  const f: string[] = [];
  const states = s.cellState ? 2 : 1;
  const emit = (to: string[], tokens: string): void => {
    if (tokens) to.push(...tokens.split(' '));
  };
  // the zero initial state(s), read by every layer and direction's first step, unless the caller gave one
  if (!s.initialState) emit(f, Array(states).fill('+S').join(' '));
  for (let l = 0; l < s.layers; l++) {
    const top = l === s.layers - 1;
    for (let d = 0; d < s.directions; d++) {
      // the projection of the whole sequence (a second direction lets the first's go); a batch-first
      // input copied time-major for each direction
      emit(f, `${l === 0 && s.inputCopy ? '+X ' : ''}+P${d === 1 ? ' -P' : ''}`);
      for (let t = 0; t < s.steps; t++) emit(f, cell.step);
      // each step's h stacked (the layer's output when it is the only direction of the last layer)
      emit(f, s.directions === 1 ? `${top ? 'output' : '+Y'} -P` : '+O');
    }
    // two directions: the stacks concatenated, then let go with the second projection
    if (s.directions === 2) emit(f, `${top ? 'output' : '+Y'} -O -O -P`);
    // dropout: the mask (kept), bernoulli's scalars, the dropped output, the layer's output let go
    if (s.dropout && !top) emit(f, '+Y +d8 +d4 -d4 -d8 +Y -Y');
  }
  // the final state stacked, each layer and direction's last h (and c) let go, the stack dropped by the caller
  emit(f, Array(states).fill('+S').join(' '));
  for (let k = 0; k < s.layers * s.directions; k++) emit(f, cell.lastStep);
  emit(f, Array(states).fill('-S').join(' '));

  const b: string[] = [];
  const zeroReaders = { h0: s.layers * s.directions, c0: s.layers * s.directions };
  for (let l = s.layers - 1; l >= 0; l--) {
    // the layer's output gradient: read by both directions' steps; the last layer's is the caller's
    let outputReaders = s.directions;
    const copied = l === 0 && s.inputCopy;
    for (let d = s.directions - 1; d >= 0; d--) {
      for (let t = s.steps - 1; t >= 0; t--) {
        const block = t === s.steps - 1 ? cell.last : t === 0 ? cell.first : cell.inner;
        for (const token of block.split(' ')) {
          if (token === '~dY') {
            if (t === 1 && --outputReaders === 0) b.push(l === s.layers - 1 ? 'releaseGradOutput' : '-Y');
          } else if (token === '~h0' || token === '~c0') {
            if (--zeroReaders[token.slice(1) as 'h0' | 'c0'] === 0) {
              if (s.stateInputs === true) b.push(token === '~h0' ? 'releaseH0' : 'releaseC0');
              else if (!s.initialState) b.push('-S');
            }
          } else b.push(token);
        }
      }
      // the projection's gradient concatenated, each step's gate gradient let go
      emit(b, ['+P', ...Array(s.steps).fill('-G')].join(' '));
      const inputGrad = l === 0 ? 'gradInput' : '+Y';
      const weights = l === 0 ? 'I0' : 'I';
      // a copied input: the bias gradient first (the matmul path); otherwise addmm's order, or
      // without a bias mm's (the weights' gradient first). The saved input goes when its last
      // direction is done (a copy per direction)
      if (copied) emit(b, `+b +${weights} ${inputGrad} -P -X`);
      else emit(b, `${s.bias ? `${inputGrad} +${weights} +b` : `+${weights} ${inputGrad}`} -P${l > 0 && d === 0 ? ' -Y' : ''}`);
    }
    if (l === 0) break;
    // two directions' input gradients summed; dropout's backward (the gradient times the mask, the mask let go)
    if (s.directions === 2) emit(b, '+Y -Y -Y');
    if (s.dropout) emit(b, '+Y -Y -Y');
  }
  return { forward: f, backward: b };
}

/** a layer's dimensions: batch, time steps, input features, hidden units, bytes per element */
export interface RecurrentDims {
  readonly n: number;
  readonly steps: number;
  readonly features: number;
  readonly hidden: number;
  readonly elementBytes: number;
}

/** the byte sizes of the tokens */
export function trainingSizes({ n, steps, features, hidden, elementBytes: e }: RecurrentDims, gates: number, s: RecurrentLayout): Record<string, number> {
  const g = Math.max(gates, 1);
  const u = n * hidden * e;
  return { u, G: g * u, P: steps * g * u, X: n * steps * features * e, O: steps * u, Y: steps * s.directions * u, S: s.layers * s.directions * u, W: hidden * g * hidden * e, b: s.bias ? g * hidden * e : 0, I0: features * g * hidden * e, I: s.directions * hidden * g * hidden * e, d8: 8, d4: 4 };
}

const WEIGHT_GRADS = new Set(['W', 'b', 'I0', 'I']);

function dimsOf(c: StepContext): RecurrentDims {
  const [n, steps, features] = c.inShape(0) as [number, number, number];
  return { n, steps, features, hidden: Number(c.node.attrs['hidden']), elementBytes: c.elementBytes };
}

/** the layer stack of a recurrent node, as its attributes and input give it */
export function layoutOf(c: StepContext, cellState: boolean): RecurrentLayout {
  const attrs = c.node.attrs;
  const layers = Number(attrs['layers'] ?? 1);
  const [n, steps] = c.inShape(0) as [number, number];
  // torch transposes a batch-first input to time-major; the projection copies it unless that is a
  // view already (one sequence); a time-major input is read as it is
  const batchFirst = attrs['batch_first'] !== false;
  return { layers, directions: attrs['bidirectional'] === true ? 2 : 1, steps, cellState, dropout: layers > 1 && Number(attrs['dropout'] ?? 0) > 0, inputCopy: batchFirst && c.inContiguous(0) && n > 1, initialState: attrs['initial_state'] === true || c.node.inputs.length > 1, stateInputs: c.node.inputs.length > 1, bias: Number(attrs['bias_sets'] ?? 2) !== 0 };
}

/** the training forward: every step's saved tensors kept for the backward */
export function recurrentTrainingForward(c: ForwardContext, training: CellTraining, gates: number, cellState: boolean): void {
  const layout = layoutOf(c, cellState);
  const cell = layout.bias ? training.bias : training.noBias;
  // without the copy the first projection's saved input is the layer's input itself
  if (!layout.inputCopy) c.saveInput(0);
  // the first steps' products keep the initial state
  for (let k = 1; k < c.node.inputs.length; k++) c.saveInput(k);
  const replay = new AllocationReplay(trainingSizes(dimsOf(c), gates, layout), (_key, bytes) => c.temp(bytes), (x) => c.free(x), { output: () => c.output() });
  replay.run(trainingEvents(cell, layout).forward.join(' '));
  for (const x of replay.remaining()) c.keep(x);
}

export function recurrentTrainingBackward(c: BackwardContext, training: CellTraining, gates: number, cellState: boolean): void {
  const layout = layoutOf(c, cellState);
  const cell = layout.bias ? training.bias : training.noBias;
  const make = (key: string, bytes: number): Temporary => (WEIGHT_GRADS.has(key) ? c.weightGradPart(bytes) : c.temp(bytes));
  const replay = new AllocationReplay(trainingSizes(dimsOf(c), gates, layout), make, (x) => c.free(x), { releaseGradOutput: () => c.releaseGradOutput(), gradInput: () => c.gradInput(0), releaseH0: () => c.releaseSavedInput(1), releaseC0: () => c.releaseSavedInput(2) });
  for (const k of c.kept) replay.adopt(k);
  replay.run(trainingEvents(cell, layout).backward.join(' '));
}
