// The recurrent training replay's event generator against torch 1.13's allocator, event for event
// (torch_rnn_events.json, scripts/torch_rnn_events.py): every probed LSTM / GRU / RNN stack's
// forward and backward, rebuilt from trainingEvents and trainingSizes, is the measured sequence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRU_TRAINING, GRU_TRAINING_NO_BIAS, LSTM_TRAINING, LSTM_TRAINING_NO_BIAS, RNN_TRAINING, RNN_TRAINING_NO_BIAS, trainingEvents, trainingSizes, type CellTraining, type RecurrentLayout } from '../../../server/src/core/analysis/framework/pytorchRecurrentTraining';

interface EventCase {
  cell: 'lstm' | 'gru' | 'simple_rnn';
  layers: number;
  bidirectional: boolean;
  dropout: number;
  batchFirst: boolean;
  initialState: boolean;
  /** the state made with torch.zeros inside the step (a forward's), held by the call alone */
  stateInStep?: boolean;
  inputGrad: boolean;
  bias: boolean;
  n: number;
  steps: number;
  features: number;
  hidden: number;
  forward: string;
  backward: string;
}

const fixture = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'python', 'torch_rnn_events.json'), 'utf8')) as { cases: EventCase[] };
const CELLS: Readonly<Record<EventCase['cell'], readonly [CellTraining, number]>> = {
  lstm: [{ bias: LSTM_TRAINING, noBias: LSTM_TRAINING_NO_BIAS }, 4],
  gru: [{ bias: GRU_TRAINING, noBias: GRU_TRAINING_NO_BIAS }, 3],
  simple_rnn: [{ bias: RNN_TRAINING, noBias: RNN_TRAINING_NO_BIAS }, 1],
};
const numbers = (s: string): number[] => (s ? s.split(' ').map(Number) : []);

describe('recurrent training events against torch 1.13 (torch_rnn_events.json)', () => {
  it('covers stacks, both directions, dropout, both layouts, a given state, an input gradient and bias=False', () => {
    const c = fixture.cases;
    assert.ok(c.length >= 100);
    for (const has of [(x: EventCase) => x.layers === 3, (x) => x.bidirectional && x.dropout > 0, (x) => !x.batchFirst, (x) => x.initialState, (x) => x.stateInStep === true && x.layers === 2, (x) => x.inputGrad && x.bidirectional, (x) => x.steps === 2, (x) => !x.bias && x.bidirectional] as ((x: EventCase) => boolean)[]) {
      assert.ok(c.some(has));
    }
  });

  for (const c of fixture.cases) {
    const name = `${c.cell} ${c.layers} layer(s)${c.bidirectional ? ', bidirectional' : ''}${c.dropout > 0 ? `, dropout ${c.dropout}` : ''}, ${c.batchFirst ? 'batch-first' : 'time-major'} [N=${c.n}, L=${c.steps}, F=${c.features}, H=${c.hidden}]${c.stateInStep ? ', initial state made in the step' : c.initialState ? ', initial state given' : ''}${c.inputGrad ? ', input gradient' : ''}${c.bias ? '' : ', bias=False'}`;
    it(name, () => {
      const [training, gates] = CELLS[c.cell];
      const cell = c.bias ? training.bias : training.noBias;
      const layout: RecurrentLayout = { layers: c.layers, directions: c.bidirectional ? 2 : 1, steps: c.steps, cellState: c.cell === 'lstm', dropout: c.layers > 1 && c.dropout > 0, inputCopy: c.batchFirst && c.n > 1, initialState: c.initialState, stateInputs: c.stateInStep === true, bias: c.bias };
      const sizes = trainingSizes({ n: c.n, steps: c.steps, features: c.features, hidden: c.hidden, elementBytes: 4 }, gates, layout);
      const x = sizes['X']!;
      const events = trainingEvents(cell, layout);
      // actions: the output is an allocation; its gradient is out.sum()'s expanded 4 bytes in the
      // oracle, not a tensor of its own; the input's gradient an X-sized one
      const bytes = (tokens: readonly string[]): number[] =>
        tokens.flatMap((t) => {
          if (t === 'output') return [sizes['Y']!];
          if (t === 'gradInput') return c.inputGrad ? [x] : [];
          if (t === 'releaseGradOutput') return [];
          // a state made in the step is the graph's tensor: autograd lets it go where it would free the zero state
          if (t === 'releaseH0' || t === 'releaseC0') return [-sizes['S']!];
          const size = sizes[t.slice(1)]!;
          return size === 0 ? [] : [t[0] === '+' ? size : -size];
        });
      // a state made in the step: its torch.zeros (one per state tensor) come before the layer's own events
      const made = c.stateInStep ? Array<number>(c.cell === 'lstm' ? 2 : 1).fill(sizes['S']!) : [];
      assert.deepEqual([...made, ...bytes(events.forward)], numbers(c.forward));
      // the oracle's backward starts with out.sum()'s two 4-byte tensors and ends freeing them and the output
      const measured = numbers(c.backward);
      assert.deepEqual(measured.slice(0, 2), [4, 4]);
      // two directions' input gradients are summed out of place by autograd (pytorchCpu's addGrad), after the layer
      const summed = c.inputGrad && c.bidirectional ? [x, -x, -x] : [];
      assert.deepEqual([...bytes(events.backward), ...summed], measured.slice(2, -3));
    });
  }
});
