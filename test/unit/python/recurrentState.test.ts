// A recurrent layer's initial state as torch reads it: made in the forward from the batch, made
// outside the model and passed in (the word language model's init_hidden), or None; the state is
// an input of the layer's op, with its batch on axis 1.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../../server/src/core/ir';
import { analyzeText, ready } from './helpers';

before(ready);

const HEADER = ['import torch', 'import torch.nn as nn'];

function recurrentOp(g: Graph, op: string) {
  const node = g.ops.find((o) => o.op === op);
  assert.ok(node, `no ${op} op`);
  return { node, inputs: node.inputs.map((t) => ({ shape: g.tensors[t]!.shape, from: g.ops.find((o) => o.output === t)!.op, perSample: !g.tensors[t]!.batchIndependent })) };
}

describe('initial state made in the forward', () => {
  const net = (cell: 'LSTM' | 'GRU', extra = '') => [
    ...HEADER,
    'class Net(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.num_layers = 2',
    '        self.hidden_size = 16',
    `        self.rnn = nn.${cell}(8, 16, 2, batch_first=True${extra})`,
    '    def forward(self, x):',
    '        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size)',
    ...(cell === 'LSTM' ? ['        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size)', '        out, _ = self.rnn(x, (h0, c0))'] : ['        out, _ = self.rnn(x, h0)']),
    '        return out',
    'model = Net()',
    'out = model(torch.randn(4, 6, 8))',
  ].join('\n');
  it('LSTM (h0, c0): two tensors of the graph that grow with N, [layers, H] per sample, read by the lstm op', () => {
    const r = analyzeText(net('LSTM'));
    const { inputs } = recurrentOp(r.graphs[0]!, 'lstm');
    assert.deepEqual(inputs, [
      { shape: [6, 8], from: 'input', perSample: true },
      { shape: [2, 16], from: 'constant', perSample: true },
      { shape: [2, 16], from: 'constant', perSample: true },
    ]);
    // the states reach the output through the layer: nothing computed for nothing
    assert.deepEqual(r.diagnostics.filter((d) => d.code === 'NNM209'), []);
  });
  it('GRU h0', () => {
    const { inputs } = recurrentOp(analyzeText(net('GRU')).graphs[0]!, 'gru');
    assert.deepEqual(inputs.map((i) => i.shape), [[6, 8], [2, 16]]);
  });
  it('a state of the wrong size for a bidirectional layer is torch\'s error (it expects [layers * 2, N, H])', () => {
    const r = analyzeText(net('GRU', ', bidirectional=True'));
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && /GRU reads an initial state \[4, N, 16\], got a tensor \[2, N, 16\]/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
  });
});

describe('initial state made outside the model and passed in', () => {
  const wordModel = (kind: 'LSTM' | 'GRU') => [
    ...HEADER,
    'class RNNModel(nn.Module):',
    '    def __init__(self, kind, ntoken, nhid, nlayers):',
    '        super().__init__()',
    '        self.kind = kind',
    '        self.nhid = nhid',
    '        self.nlayers = nlayers',
    '        self.encoder = nn.Embedding(ntoken, 20)',
    '        self.rnn = getattr(nn, kind)(20, nhid, nlayers)',
    '        self.decoder = nn.Linear(nhid, ntoken)',
    '    def forward(self, input, hidden):',
    '        output, hidden = self.rnn(self.encoder(input), hidden)',
    '        return self.decoder(output), hidden',
    '    def init_hidden(self, bsz):',
    '        weight = next(self.parameters())',
    "        if self.kind == 'LSTM':",
    '            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))',
    '        return weight.new_zeros(self.nlayers, bsz, self.nhid)',
    `model = RNNModel('${kind}', 100, 30, 2)`,
    'hidden = model.init_hidden(4)',
    'x = torch.randint(0, 100, (35, 4))',
    'output, hidden = model(x, hidden)',
  ].join('\n');
  it("word_language_model: init_hidden's (weight.new_zeros(...), ...) tuple enters as two inputs with their batch on axis 1", () => {
    const r = analyzeText(wordModel('LSTM'));
    const g = r.graphs[0]!;
    assert.equal(g.config.batch, 4);
    const { node, inputs } = recurrentOp(g, 'lstm');
    assert.deepEqual(inputs, [
      { shape: [35, 20], from: 'embedding', perSample: true },
      { shape: [2, 30], from: 'input', perSample: true },
      { shape: [2, 30], from: 'input', perSample: true },
    ]);
    assert.equal(node.attrs['batch_first'], false);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [35, 100]);
  });
  it('the GRU variant: one state tensor', () => {
    assert.deepEqual(recurrentOp(analyzeText(wordModel('GRU')).graphs[0]!, 'gru').inputs.map((i) => i.shape), [[35, 20], [2, 30]]);
  });
  const batchFirst = (state: string) => [
    ...HEADER,
    'class Net(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.gru = nn.GRU(8, 12, 2, batch_first=True)',
    '    def forward(self, x, h0):',
    '        return self.gru(x, h0)[0]',
    'model = Net()',
    `out = model(torch.randn(3, 5, 8), ${state})`,
  ].join('\n');
  it('beside a batch-first input, an example state [layers, N, H] is read with its batch on axis 1 (the input keeps axis 0)', () => {
    const g = analyzeText(batchFirst('torch.zeros(2, 3, 12)')).graphs[0]!;
    assert.equal(g.config.batch, 3);
    assert.deepEqual(recurrentOp(g, 'gru').inputs.map((i) => [i.from, i.shape]), [['input', [5, 8]], ['input', [2, 12]]]);
  });
  it("a state whose batch is not the input's is torch's error", () => {
    const r = analyzeText(batchFirst('torch.zeros(2, 4, 12)'));
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && /a tensor \[2, 4, 12\] has a batch of 4 on axis 1, the input a batch of 3/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
  });
});

describe('iterators and new tensors', () => {
  it('next(iter(xs)) and next(model.parameters()) take the first item; next() of an exhausted iterator is its default', () => {
    const r = analyzeText([...HEADER, 'xs = [3, 4]', 'it = iter(xs)', 'a = next(it)', 'b = next(it)', 'c = next(it, 9)', 'm = nn.Linear(a + b + c, 2)', 'w = next(m.parameters())', 'n = nn.Linear(w.shape[1], 1)'].join('\n'));
    assert.equal(r.modules.find((m) => m.name === 'm')!.counts.trainable, 16 * 2 + 2);
    assert.equal(r.modules.find((m) => m.name === 'n')!.counts.trainable, 16 + 1);
  });
  it("weight.new_zeros(...) is a tensor of the weight's dtype; x.new_ones(..., dtype=...) keeps the dtype given", () => {
    const r = analyzeText([
      ...HEADER,
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(8, 8).double()',
      '    def forward(self, x):',
      '        m = x.new_ones(x.size(0), 8, dtype=torch.float64)',
      '        return self.fc(x * m)',
      'model = Net().double()',
      'out = model(torch.randn(2, 8, dtype=torch.float64))',
    ].join('\n'));
    const g = r.graphs[0]!;
    const made = g.ops.find((o) => o.op === 'constant')!;
    assert.equal(g.tensors[made.output]!.dtype, 'fp64');
    assert.deepEqual(g.tensors[made.output]!.shape, [8]);
  });
});
