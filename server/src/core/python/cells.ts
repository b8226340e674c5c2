// torch.nn's recurrent cells, LSTMCell, GRUCell and RNNCell: one time step, which a Python loop
// calls once per step (`h, c = self.cell(x_t, (h, c))`). Each call is one registry op (ops/cell.ts);
// LSTMCell's op writes h and c side by side, and the two are views of it.
import { describe, NONE, TRUE, int, NotKnown, type LayerCall, type LayerSpec, type PyValue, type TensorValue } from './values';
import { flag, need, one } from './layerArgs';

type CellName = 'LSTMCell' | 'GRUCell' | 'RNNCell';

const OPS: Readonly<Record<CellName, string>> = { LSTMCell: 'lstm_cell', GRUCell: 'gru_cell', RNNCell: 'rnn_cell' };
const GATES: Readonly<Record<CellName, number>> = { LSTMCell: 4, GRUCell: 3, RNNCell: 1 };

/** a state the caller passes: [N, hidden], batched as the input is */
function stateTensor(call: LayerCall, name: CellName, v: PyValue, hidden: number): TensorValue {
  if (v.kind !== 'tensor') throw new NotKnown(`the state passed to ${name} is ${describe(v)}, not a known tensor`);
  if (v.shape.length !== 2 || v.shape[v.shape.length - 1] !== hidden) call.fail(`${name}(hidden_size=${hidden}) expects a state [N, ${hidden}], got ${describe(v)}`);
  // a state made with a literal batch (torch.zeros(3, 51)) cannot be matched against the symbolic N
  if (v.batchAxis !== 0 || v.shape[0] !== 1) throw new NotKnown(`${name} reads a state [N, ${hidden}]; memlens sees ${describe(v)}, whose first axis is not the batch (make it with x.size(0))`);
  return v;
}

function cell(name: CellName): LayerSpec {
  const gates = GATES[name];
  return {
    name,
    signature: [['input_size'], ['hidden_size'], ['bias', TRUE], ...(name === 'RNNCell' ? [['nonlinearity', { kind: 'str', value: 'tanh' }] as const] : []), ['device', NONE], ['dtype', NONE]],
    init(c, b, fail) {
      const fin = need(c, 'input_size', fail);
      const h = need(c, 'hidden_size', fail);
      const nl = c.get('nonlinearity');
      if (name === 'RNNCell' && !(nl?.kind === 'str' && (nl.value === 'tanh' || nl.value === 'relu'))) fail(`unknown nonlinearity ${nl ? describe(nl) : 'missing'} (tanh or relu)`);
      b.attr('input_size', int(fin));
      b.attr('hidden_size', int(h));
      const bias = flag(c, 'bias', fail);
      b.param('weight_ih', [gates * h, fin]);
      b.param('weight_hh', [gates * h, h]);
      b.param('bias_ih', bias ? [gates * h] : undefined);
      b.param('bias_hh', bias ? [gates * h] : undefined);
    },
    forward(call, inputs) {
      const x = one(inputs, call);
      const c = call.config;
      const fin = need(c, 'input_size', call.fail);
      const hidden = need(c, 'hidden_size', call.fail);
      if (x.shape.length === 1 && x.batchAxis < 0) throw new NotKnown(`${name} of an unbatched [${fin}] input is not modelled (memlens follows a batched [N, ${fin}] one)`);
      if (x.shape.length !== 2 || x.batchAxis !== 0) call.fail(`${name} expects a [N, ${fin}] input, got ${describe(x)}`);
      if (x.shape[1] !== fin) call.fail(`${name} expects ${fin} input features, got ${describe(x)}`);
      const hx = inputs[1] ?? NONE;
      const states: TensorValue[] = [];
      if (hx.kind !== 'none') {
        const parts = name === 'LSTMCell' ? (hx.kind === 'tuple' || hx.kind === 'list' ? hx.items : undefined) : [hx];
        if (!parts || parts.length !== (name === 'LSTMCell' ? 2 : 1)) return call.fail(`${name} expects ${name === 'LSTMCell' ? 'a state (h, c)' : 'a state h'}, got ${describe(hx)}`);
        for (const p of parts) states.push(stateTensor(call, name, p, hidden));
      }
      const args = { hidden, bias: flag(c, 'bias', call.fail), ...(name === 'RNNCell' ? { nonlinearity: (c.get('nonlinearity') as { value: string }).value } : {}) };
      const out = call.emit(OPS[name], [x, ...states], args);
      if (name !== 'LSTMCell') return out;
      // h and c: views of the op's [N, 2, H]
      const h = call.emit('slice', [out], { axis: 0, start: 0, select: true });
      const cell = call.emit('slice', [out], { axis: 0, start: 1, select: true });
      return { kind: 'tuple', items: [h, cell] };
    },
  };
}

/** the cells, for LAYER_CLASSES (modules.ts) */
export const CELL_LAYERS: readonly LayerSpec[] = [cell('LSTMCell'), cell('GRUCell'), cell('RNNCell')];
