// torch 1.13's composite CPU path for LSTM, GRU and simple RNN layers: the inference forward of any
// stack here, the training step of any stack replayed allocation by allocation in
// pytorchRecurrentTraining.ts.
import type { OpNode } from '../../ir';
import { NOTHING, type Temporary, type TorchOpRule } from './pytorchRule';
import { GRU_TRAINING, GRU_TRAINING_NO_BIAS, LSTM_TRAINING, LSTM_TRAINING_NO_BIAS, RNN_TRAINING, RNN_TRAINING_NO_BIAS, layoutOf, recurrentTrainingBackward, recurrentTrainingForward, type CellTraining } from './pytorchRecurrentTraining';

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
  /** its training step (pytorchRecurrentTraining.ts) */
  readonly training: CellTraining;
}

const CELLS: Readonly<Record<string, RecurrentCell>> = {
  // per step: gates 4, two products (one freed), c_t, h_t: 7 N x H at once
  lstm: { gates: 4, peakTemps: 2, cellState: true, training: { bias: LSTM_TRAINING, noBias: LSTM_TRAINING_NO_BIAS } },
  // per step: gates 3, one temporary, h_t: 5 at once
  gru: { gates: 3, peakTemps: 1, cellState: false, training: { bias: GRU_TRAINING, noBias: GRU_TRAINING_NO_BIAS } },
  // per step: tanh's input, h_t: 2 at once
  simple_rnn: { gates: 0, peakTemps: 1, cellState: false, training: { bias: RNN_TRAINING, noBias: RNN_TRAINING_NO_BIAS } },
};

/** what of a recurrent layer's configuration its training replay does not cover; null when covered */
function recurrentTrainingGap(node: OpNode, input: readonly number[]): string | null {
  const attrs = node.attrs;
  const gaps: string[] = [];
  // torch's layers have both biases or none; one bias set is Keras'
  if (Number(attrs['bias_sets'] ?? 2) === 1) gaps.push('one bias set');
  if (attrs['return_sequences'] !== true) gaps.push('the last step only');
  if ((input[0] ?? 0) < 2) gaps.push('one timestep');
  return gaps.length > 0 ? gaps.join(', ') : null;
}

/**
 * torch 1.13's CPU LSTM / GRU / RNN in inference (aten::lstm's composite path): zero initial
 * states for every layer and direction (none when the caller passes a state); per layer and
 * direction a time-major copy of a batch-first input (first layer only, N > 1), the input
 * projection of the whole sequence (one held at a time), then per time step the cell's products,
 * each step's h kept until the layer's outputs are stacked (the last h, and c, held as the final
 * state); a bidirectional layer concatenates its two stacks and only then lets both directions'
 * steps go; a layer's input is freed when the layer ends. Training is replayed over two or more
 * steps (pytorchRecurrentTraining.ts); one bias set, the last step only and one timestep get a reason.
 */
function recurrent(cell: RecurrentCell): TorchOpRule {
  return {
    saves: NOTHING,
    trainingGap: recurrentTrainingGap,
    forward(c) {
      if (c.recording) {
        recurrentTrainingForward(c, cell.training, cell.gates, cell.cellState);
        return;
      }
      const [n, steps, features] = c.inShape(0) as [number, number, number];
      const attrs = c.node.attrs;
      const hidden = Number(attrs['hidden']);
      const dirs = attrs['bidirectional'] === true ? 2 : 1;
      const layers = Number(attrs['layers'] ?? 1);
      const state = n * hidden * c.elementBytes;
      const inputCopy = layoutOf(c, cell.cellState).inputCopy;
      // the zero initial state(s), unless the caller passed one (a tensor of the graph, inputs 1 and 2, or from outside it)
      const zeros = attrs['initial_state'] === true || c.node.inputs.length > 1 ? 0 : layers * dirs * state;
      const held: Temporary[] = [c.temp(zeros)];
      if (cell.cellState) held.push(c.temp(zeros));
      let input: Temporary | null = null;
      for (let layer = 0; layer < layers; layer++) {
        const last = layer === layers - 1;
        let projection: Temporary | null = null;
        const stacks: Temporary[] = [];
        for (let d = 0; d < dirs; d++) {
          const copy = c.temp(layer === 0 && inputCopy ? n * steps * features * c.elementBytes : 0);
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
    backward: (c) => recurrentTrainingBackward(c, cell.training, cell.gates, cell.cellState),
  };
}

/** the recurrent ops' rules, keyed by registry op */
export const RECURRENT_OPS: Readonly<Record<string, TorchOpRule>> = {
  // the layer's backward slices the output's gradient per step: out.sum()'s expanded one needs no copy (measured)
  lstm: { ...recurrent(CELLS['lstm']!), readsExpandedGradient: true },
  gru: { ...recurrent(CELLS['gru']!), readsExpandedGradient: true },
  simple_rnn: { ...recurrent(CELLS['simple_rnn']!), readsExpandedGradient: true },
};
