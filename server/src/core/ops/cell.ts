// One time step of a recurrent cell (torch.nn's LSTMCell, GRUCell, RNNCell), which a Python loop
// calls once per step: the input [F] and the state in, the new state out. PyTorch's parameter
// convention (W_ih [g H, F], W_hh [g H, H], b_ih and b_hh [g H]).
import type { OpContext, OpSpec } from './types';
import { ShapeError } from './types';
import { boolArg, checkedOps, intAtLeast, shapeText } from './common';

interface CellKind {
  readonly name: string;
  /** weight blocks: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), Elman 1 */
  readonly gates: number;
  /** state tensors the cell reads and returns: LSTM 2 (h, c), the others 1 (h) */
  readonly states: 1 | 2;
  /** values per hidden unit its backward keeps beyond its inputs (and its output when `savesOutput`) */
  readonly keptPerUnit: number;
  readonly kept: string;
  readonly savesOutput: boolean;
  readonly summary: string;
}

function cellGeometry(ctx: OpContext, kind: CellKind): { features: number; hidden: number } {
  const hidden = intAtLeast(ctx, 'hidden', 1);
  const [x, ...state] = ctx.inputs;
  if (!x || x.shape.length !== 1) throw new ShapeError(`${kind.name} expects a 1-D [F] input per sample, got ${x ? `${x.shape.length}-D ${shapeText(x.shape)}` : 'nothing'}`);
  if (state.length !== 0 && state.length !== kind.states) throw new ShapeError(`${kind.name} takes the input and ${kind.states === 2 ? 'the states h and c' : 'the state h'} (or the input alone: a zero state), got ${ctx.inputs.length} tensors`);
  for (const s of state) {
    if (s.shape.length !== 1 || s.shape[0] !== hidden) throw new ShapeError(`${kind.name}(hidden: ${hidden}) expects a [${hidden}] state per sample, got ${shapeText(s.shape)}`);
  }
  return { features: x.shape[0]!, hidden };
}

function cellSpec(kind: CellKind): OpSpec {
  const g = kind.gates;
  const factor = g === 1 ? '' : `${g} * `;
  return {
    name: kind.name,
    family: 'rnn',
    summary: kind.summary,
    formula: `x [F]${kind.states === 2 ? ', h [H], c [H]' : ', h [H]'} -> ${kind.states === 2 ? '[2, H] (the new h and c)' : '[H]'}; without a state it starts from zeros; params = ${factor}(F * H + H * H + (bias ? 2 H : 0))`,
    args: [
      { name: 'xs', kind: 'tensor', positional: true, variadic: true, required: true, doc: `the input [F], then ${kind.states === 2 ? 'the states h and c' : 'the state h'} [H] (none: zeros)` },
      { name: 'hidden', kind: 'int', positional: true, required: true, min: 1, doc: 'hidden size H' },
      { name: 'bias', kind: 'bool', default: true, doc: 'the two bias vectors b_ih and b_hh' },
      ...(kind.name === 'rnn_cell' ? [{ name: 'nonlinearity', kind: 'enum' as const, values: ['tanh', 'relu'], default: 'tanh', doc: 'the activation of the new state' }] : []),
    ],
    inferShape(ctx) {
      const { hidden } = cellGeometry(ctx, kind);
      return kind.states === 2 ? [2, hidden] : [hidden];
    },
    params(ctx) {
      const { features, hidden } = cellGeometry(ctx, kind);
      return { trainable: g * (features * hidden + hidden * hidden + (boolArg(ctx, 'bias') ? 2 * hidden : 0)), nonTrainable: 0 };
    },
    savedForBackward: {
      // the products read their operands (x and h; LSTM's f * c reads c)
      inputs: kind.states === 2 ? [0, 1, 2] : [0, 1],
      output: kind.savesOutput,
      extraElements(ctx) {
        return { perSample: kind.keptPerUnit * cellGeometry(ctx, kind).hidden, fixed: 0 };
      },
      extraDoc: kind.kept,
    },
    inPlace: 'never',
  };
}

export const cellOps: readonly OpSpec[] = checkedOps([
  cellSpec({ name: 'lstm_cell', gates: 4, states: 2, keptPerUnit: 5, kept: 'the 4 gate activations and tanh(c): 5 H per sample', savesOutput: false, summary: 'One step of an LSTM cell (torch.nn.LSTMCell)' }),
  cellSpec({ name: 'gru_cell', gates: 3, states: 1, keptPerUnit: 6, kept: 'the hidden-side gates (3 H), the new gate and two operands of in-place products: 6 H per sample', savesOutput: false, summary: 'One step of a GRU cell (torch.nn.GRUCell)' }),
  cellSpec({ name: 'rnn_cell', gates: 1, states: 1, keptPerUnit: 0, kept: 'nothing beyond the inputs and the new state', savesOutput: true, summary: 'One step of an Elman RNN cell, tanh or relu (torch.nn.RNNCell)' }),
]);
