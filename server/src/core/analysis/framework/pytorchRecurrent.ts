// torch 1.13's composite CPU path for LSTM, GRU and simple RNN layers: the inference forward of any
// stack, and the training step of one unidirectional layer, replayed allocation by allocation.
import type { OpNode } from '../../ir';
import { AllocationReplay } from './allocationReplay';
import { NOTHING, type BackwardContext, type ForwardContext, type StepContext, type Temporary, type TorchOpRule } from './pytorchRule';

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


/** the recurrent ops' rules, keyed by registry op */
export const RECURRENT_OPS: Readonly<Record<string, TorchOpRule>> = {
  lstm: recurrent(CELLS['lstm']!),
  gru: recurrent(CELLS['gru']!),
  simple_rnn: recurrent(CELLS['simple_rnn']!),
};
