// Recurrent layers over [L, F] sequences (sequence axis first, features last, under either
// layout, as PyTorch's batch_first and Keras do). PyTorch's parameter convention by default.
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { boolArg, intAtLeast, numberArg, shapeText, checkedOps } from './common';

interface Cell {
  readonly name: string;
  /** weight blocks per cell: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), simple RNN 1 */
  readonly gates: number;
  /** values per hidden unit kept per timestep for backward */
  readonly keptPerStep: number;
  readonly kept: string;
  readonly summary: string;
}

interface Geometry {
  readonly steps: number;
  readonly features: number;
  readonly hidden: number;
  readonly dirs: number;
  readonly layers: number;
  readonly biasSets: number;
  /** dropout probability on the outputs of every layer but the last, while training (PyTorch's dropout=) */
  readonly dropout: number;
}

function geometry(ctx: OpContext, cell: Cell): Geometry {
  const [x, ...state] = ctx.inputs;
  const shape = x!.shape;
  if (shape.length !== 2) {
    throw new ShapeError(`${cell.name} expects a 2-D [L, F] sequence per sample (timesteps, features), got ${shape.length}-D ${shapeText(shape)}`);
  }
  const hidden = intAtLeast(ctx, 'hidden', 1);
  const dirs = boolArg(ctx, 'bidirectional') ? 2 : 1;
  const layers = intAtLeast(ctx, 'layers', 1);
  // the initial state, as torch reads it: [layers * dirs, H] per sample (torch's [layers * dirs, N, H])
  const states = cell.gates === 4 ? 2 : 1;
  if (state.length !== 0 && state.length !== states) throw new ShapeError(`${cell.name} takes the sequence and ${states === 2 ? 'the initial states h0 and c0' : 'the initial state h0'} (or the sequence alone), got ${ctx.inputs.length} tensors`);
  for (const s of state) {
    if (s.shape.length !== 2 || s.shape[0] !== layers * dirs || s.shape[1] !== hidden) throw new ShapeError(`${cell.name}(hidden: ${hidden}) expects an initial state [${layers * dirs}, ${hidden}] per sample (layers * directions, H), got ${shapeText(s.shape)}`);
  }
  const biasSets = intAtLeast(ctx, 'bias_sets', 0);
  if (biasSets > 2) throw new ShapeError(`bias_sets must be 0, 1 or 2, got ${biasSets}`, 'bias_sets');
  const dropout = numberArg(ctx, 'dropout', 0);
  if (dropout < 0 || dropout >= 1) throw new ShapeError(`dropout must be in [0, 1), got ${dropout}`, 'dropout');
  return {
    steps: shape[0]!,
    features: shape[1]!,
    hidden,
    dirs,
    layers,
    biasSets,
    dropout,
  };
}

function rnnSpec(cell: Cell): OpSpec {
  const g = cell.gates;
  const factor = g === 1 ? '' : `${g} * `;
  return {
    name: cell.name,
    family: 'rnn',
    summary: cell.summary,
    formula: `[L, F] (then the initial state${g === 4 ? 's h0, c0' : ' h0'} [layers * dirs, H] when given) -> [L, H * dirs] with return_sequences, else [H * dirs] (dirs = 2 when bidirectional); params = dirs * ${factor}(F * H + H * H + bias_sets * H) for the first layer, F = H * dirs for later layers (bias_sets 2 = PyTorch b_ih + b_hh, 1 = Keras)`,
    args: [
      { name: 'xs', kind: 'tensor', positional: true, variadic: true, required: true, doc: `the sequence [L, F], then the caller's initial state${g === 4 ? 's h0 and c0' : ' h0'} [layers * dirs, H] (none: torch's zero state), which its first steps read and its backward keeps` },
      { name: 'hidden', kind: 'int', positional: true, required: true, min: 1, doc: 'hidden size H (Keras units)' },
      { name: 'return_sequences', kind: 'bool', default: false, doc: 'output every timestep [L, H] instead of the last [H]' },
      { name: 'bidirectional', kind: 'bool', default: false, doc: 'a second pass backwards in time; outputs concatenated (features and params doubled)' },
      { name: 'bias_sets', kind: 'int', default: 2, min: 0, doc: 'bias vectors per gate block: 2 = PyTorch (b_ih + b_hh) and Keras GRU reset_after, 1 = Keras LSTM / SimpleRNN / GRU reset_after false, 0 = no bias' },
      { name: 'layers', kind: 'int', default: 1, min: 1, doc: 'stacked layers (PyTorch num_layers)' },
      { name: 'dropout', kind: 'number', default: 0, min: 0, maxExclusive: 1, doc: 'dropout between stacked layers while training (PyTorch dropout=): the outputs of every layer but the last are dropped with this probability, each keeping a mask for backward' },
      { name: 'initial_state', kind: 'bool', default: false, doc: 'PyTorch: the caller passes an initial state that is no tensor of the graph (it exists before the step and needs no gradient); no zero state is made. A state given as an input tensor implies it' },
      { name: 'batch_first', kind: 'bool', default: true, doc: 'PyTorch batch_first: false reads a time-major [L, N, F] input (the same per-sample shape), which torch projects without copying it' },
    ],
    inferShape(ctx) {
      const s = geometry(ctx, cell);
      const features = s.hidden * s.dirs;
      return ctx.args['return_sequences'] === true ? [s.steps, features] : [features];
    },
    params(ctx) {
      const s = geometry(ctx, cell);
      let total = 0;
      for (let layer = 0; layer < s.layers; layer++) {
        const inFeatures = layer === 0 ? s.features : s.hidden * s.dirs;
        total += s.dirs * g * (inFeatures * s.hidden + s.hidden * s.hidden + s.biasSets * s.hidden);
      }
      return { trainable: total, nonTrainable: 0 };
    },
    savedForBackward: {
      // the sequence, and the initial state its first step's products read
      inputs: [0, 1, 2],
      output: false,
      extraElements(ctx) {
        const s = geometry(ctx, cell);
        // with dropout, one mask of a layer's [L, H * dirs] output for every layer but the last
        const masks = s.dropout > 0 ? (s.layers - 1) * s.steps * s.hidden * s.dirs : 0;
        return { perSample: s.layers * s.dirs * s.steps * cell.keptPerStep * s.hidden + masks, fixed: 0 };
      },
      extraDoc: `${cell.kept} per timestep: layers * dirs * L * ${cell.keptPerStep} H per sample; with dropout, a mask of (layers - 1) * L * H * dirs`,
    },
    inPlace: 'never',
  };
}

export const rnnOps: readonly OpSpec[] = checkedOps([
  rnnSpec({ name: 'lstm', gates: 4, keptPerStep: 6, kept: 'the 4 gate activations, cell state and hidden state', summary: 'Long short-term memory layer' }),
  rnnSpec({ name: 'gru', gates: 3, keptPerStep: 4, kept: 'the 3 gate activations and hidden state', summary: 'Gated recurrent unit layer' }),
  rnnSpec({ name: 'simple_rnn', gates: 1, keptPerStep: 1, kept: 'the hidden state', summary: 'Elman RNN with tanh (Keras SimpleRNN, PyTorch RNN)' }),
]);
