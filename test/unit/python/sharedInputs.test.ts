// A mask made outside the model (torch.triu(...).bool(), nn.Transformer.generate_square_subsequent_mask)
// and passed to its call, by position or keyword, or read as a global: an input the whole batch
// shares (batch-independent, its whole shape), read by attention or masked_fill.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../../server/src/core/ir';
import { analyzeText, ready } from './helpers';

before(ready);

const HEADER = ['import torch', 'import torch.nn as nn'];

/** the inputs of the first `op` node: which op made each, its shape in the graph, whether it grows with N */
function inputsOf(g: Graph, op: string) {
  const node = g.ops.find((o) => o.op === op);
  assert.ok(node, `no ${op} op`);
  return node.inputs.map((t) => ({ from: g.ops.find((o) => o.output === t)!.op, shape: g.tensors[t]!.shape, dtype: g.tensors[t]!.dtype, shared: g.tensors[t]!.batchIndependent === true }));
}

const attention = (call: string, mask: string, global = false) => [
  ...HEADER,
  'T = 10',
  `mask = ${mask}`,
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)',
  `    def forward(self, src${global ? '' : ', src_mask=None'}):`,
  `        return self.attn(src, src, src, attn_mask=${global ? 'mask' : 'src_mask'})[0]`,
  'model = Net()',
  `out = ${call}`,
].join('\n');

describe('a mask made outside the model', () => {
  it('generate_square_subsequent_mask(T) passed by keyword: a shared float input [T, T] the attention reads', () => {
    const g = analyzeText(attention('model(torch.randn(4, T, 32), src_mask=mask)', 'nn.Transformer.generate_square_subsequent_mask(T)')).graphs[0]!;
    assert.equal(g.config.batch, 4);
    assert.deepEqual(inputsOf(g, 'attention'), [
      { from: 'input', shape: [10, 32], dtype: 'fp32', shared: false },
      { from: 'input', shape: [10, 10], dtype: 'fp32', shared: true },
    ]);
  });
  it('torch.triu(torch.ones(T, T), diagonal=1).bool() passed by position: a bool input', () => {
    const g = analyzeText(attention('model(torch.randn(4, T, 32), mask)', 'torch.triu(torch.ones(T, T), diagonal=1).bool()')).graphs[0]!;
    assert.deepEqual(inputsOf(g, 'attention')[1], { from: 'input', shape: [10, 10], dtype: 'bool', shared: true });
  });
  it('read as a global inside forward: the same shared input', () => {
    const g = analyzeText(attention('model(torch.randn(4, T, 32))', 'torch.triu(torch.ones(T, T), diagonal=1).bool()', true)).graphs[0]!;
    assert.deepEqual(inputsOf(g, 'attention')[1], { from: 'input', shape: [10, 10], dtype: 'bool', shared: true });
  });
  it('a 4 x 4 mask beside a batch of 4 is still the shared [L, S] mask torch reads (not a batch of 4 rows)', () => {
    const g = analyzeText(attention('model(torch.randn(4, 4, 32), mask)', 'torch.triu(torch.ones(4, 4), diagonal=1).bool()')).graphs[0]!;
    assert.deepEqual(inputsOf(g, 'attention')[1], { from: 'input', shape: [4, 4], dtype: 'bool', shared: true });
  });
  it('a 3-D mask made outside the model is not followed, with the reason', () => {
    const r = analyzeText(attention('model(torch.randn(4, T, 32), mask)', 'torch.zeros(16, T, T)'));
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => /`attn_mask` .* is made outside the model; memlens follows a 2-D attn_mask/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
  });
  it('nn.TransformerEncoder(layer, 2) called with mask=: each layer\'s attention reads the one shared input', () => {
    const g = analyzeText([
      ...HEADER,
      'class Enc(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2)',
      '    def forward(self, src, mask):',
      '        return self.enc(src, mask=mask)',
      'T = 10',
      'model = Enc()',
      'out = model(torch.randn(4, T, 32), nn.Transformer.generate_square_subsequent_mask(T))',
    ].join('\n')).graphs[0]!;
    const masks = g.ops.filter((o) => o.op === 'attention').map((o) => o.inputs[1]);
    assert.equal(masks.length, 2);
    assert.equal(masks[0], masks[1]);
    assert.equal(g.tensors[masks[0]!]!.batchIndependent, true);
  });
  it('a global mask read by two layers enters the graph once', () => {
    const g = analyzeText([
      ...HEADER,
      'mask = nn.Transformer.generate_square_subsequent_mask(10)',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.a = nn.MultiheadAttention(32, 4, batch_first=True)',
      '        self.b = nn.MultiheadAttention(32, 4, batch_first=True)',
      '    def forward(self, x):',
      '        x = self.a(x, x, x, attn_mask=mask)[0]',
      '        return self.b(x, x, x, attn_mask=mask)[0]',
      'model = Net()',
      'out = model(torch.randn(4, 10, 32))',
    ].join('\n')).graphs[0]!;
    const masks = g.ops.filter((o) => o.op === 'attention').map((o) => o.inputs[1]);
    assert.equal(masks.length, 2);
    assert.equal(masks[0], masks[1]);
    assert.equal(g.ops.filter((o) => o.op === 'input').length, 2);
  });
  it('masked_fill with a [T, T] mask passed in: the mask broadcasts over the batch, shared', () => {
    const g = analyzeText([
      ...HEADER,
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(10, 10)',
      '    def forward(self, x, mask):',
      "        return self.fc(x).masked_fill(mask, float('-inf')).softmax(-1)",
      'mask = torch.triu(torch.ones(10, 10), diagonal=1).bool()',
      'model = Net()',
      'out = model(torch.randn(4, 10, 10), mask)',
    ].join('\n')).graphs[0]!;
    assert.deepEqual(inputsOf(g, 'masked_fill').map((i) => [i.from, i.shape, i.shared]), [['dense', [10, 10], false], ['input', [10, 10], true]]);
  });
});
