// The second batch of torch.nn layers (cells.ts, moreLayers.ts) against torch 1.13: state dicts,
// parameter counts and output shapes measured by scripts/torch_op_oracle.py (torch_ops.json's
// `layers`); torch's errors as NNM403; CircularPad*d by the torch version; float64 models.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import type { PythonAnalysis } from '../../../server/src/core/python/analysis';
import { collectModules } from '../../../server/src/core/python/modules';
import type { Instance, TensorValue } from '../../../server/src/core/python/values';
import { analyzeText, FIXTURES, ready } from './helpers';

const ORACLE = JSON.parse(readFileSync(join(FIXTURES, 'torch_ops.json'), 'utf8')) as {
  layers: Record<string, { layer: string; inputs?: number[][]; state: Record<string, number[]>; trainable: number; output?: number[][] }>;
  cases: Record<string, { module?: string; build?: string; input: number[] }>;
};

const HEADER = 'import torch\nimport torch.nn as nn\n';

/** the state dict memlens registers: every module's parameters and buffers by dotted name */
function stateOf(root: Instance): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { name, module } of collectModules(root)) {
    for (const [k, p] of [...(module.module?.params ?? []), ...(module.module?.buffers ?? [])]) if (p) out[name ? `${name}.${k}` : k] = [...p.shape];
  }
  return out;
}

/** a traced tensor's whole shape at the example's batch */
function atBatch(t: TensorValue, batch: number): number[] {
  return t.shape.map((d, i) => (i === t.batchAxis ? d * batch : d));
}

/** the oracle's call: one input, or the input and a state, or the input and (h, c) */
function callText(inputs: readonly number[][]): string {
  const xs = inputs.map((s, i) => `x${i} = torch.randn(${s.join(', ')})\n`).join('');
  const args = inputs.length < 3 ? inputs.map((_, i) => `x${i}`).join(', ') : 'x0, (x1, x2)';
  return `${xs}out = model(${args})\n`;
}

function messages(r: PythonAnalysis): string {
  return r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n');
}

before(ready);

describe('torch.nn layers of the second table against torch 1.13 (torch_ops.json layers)', () => {
  for (const [id, c] of Object.entries(ORACLE.layers)) {
    it(`${id}: ${c.layer}: state dict${c.output ? ' and output' : ''}`, () => {
      const text = `${HEADER}model = ${c.layer}\n${c.inputs ? callText(c.inputs) : ''}`;
      const r = analyzeText(text, { documentKey: `/virtual/${id}.py` });
      const built = r.modules.find((m) => m.name === 'model');
      assert.ok(built, messages(r));
      assert.deepEqual(stateOf(built.instance), c.state);
      assert.equal(built.counts.trainable, c.trainable);
      if (!c.output) return;
      const trace = r.traces.find((t) => t.name === 'model');
      assert.ok(trace && !trace.stopped, trace?.stopped?.reason ?? messages(r));
      assert.deepEqual((trace.output ?? []).map((t) => atBatch(t, c.inputs![0]![0]!)), c.output);
    });
  }
});

describe('torch errors of the new layers are NNM403 on the call', () => {
  const cases: [string, string, RegExp][] = [
    ['LSTMCell: input features', 'model = nn.LSTMCell(10, 20)\nout = model(torch.randn(4, 7))', /NNM403 .*LSTMCell expects 10 input features, got/],
    ['GRUCell: a state of the wrong hidden size', 'model = nn.GRUCell(10, 20)\nout = model(torch.randn(4, 10), torch.randn(4, 19))', /NNM403 .*GRUCell\(hidden_size=20\) expects a state \[N, 20\]/],
    ['LSTMCell: a state that is not (h, c)', 'model = nn.LSTMCell(10, 20)\nout = model(torch.randn(4, 10), torch.randn(4, 20))', /NNM403 .*LSTMCell expects a state \(h, c\)/],
    ['LSTMCell: a 3-D input', 'model = nn.LSTMCell(10, 20)\nout = model(torch.randn(4, 5, 10))', /NNM403 .*LSTMCell expects a \[N, 10\] input/],
    ['RNNCell: an unknown nonlinearity', "model = nn.RNNCell(10, 20, nonlinearity='gelu')\nout = model(torch.randn(4, 10))", /NNM403 .*unknown nonlinearity "gelu" \(tanh or relu\)/],
    ['PixelUnshuffle: a side the factor does not divide', 'model = nn.PixelUnshuffle(3)\nout = model(torch.randn(2, 4, 8, 6))', /NNM403 .*does not divide by the factor 3/],
    ['ChannelShuffle: channels the groups do not divide', 'model = nn.ChannelShuffle(4)\nout = model(torch.randn(2, 6, 4, 4))', /NNM403 .*6 channels do not divide into 4 groups/],
    ['Unflatten: sizes whose product is not the axis', 'model = nn.Unflatten(1, (3, 4))\nout = model(torch.randn(2, 10))', /NNM403 .*unflattened_size \(3, 4\) does not fit axis 1/],
    ['CircularPad2d: padding wider than the axis', 'model = nn.CircularPad2d(6)\nout = model(torch.randn(2, 3, 5, 4))', /NNM403 .*circular padding \(6, 6\) must not exceed the axis it pads \(5\)/],
    ['Bilinear: the second input\'s features', 'model = nn.Bilinear(5, 7, 3)\nout = model(torch.randn(4, 5), torch.randn(4, 6))', /NNM403 .*Bilinear expects 7 features on the second input's last axis/],
    ['Bilinear: inputs of different leading axes', 'model = nn.Bilinear(5, 7, 3)\nout = model(torch.randn(4, 2, 5), torch.randn(4, 3, 7))', /NNM403 .*Bilinear's inputs must share their leading axes/],
    ['LocalResponseNorm: a 2-D input', 'model = nn.LocalResponseNorm(3)\nout = model(torch.randn(4, 5))', /NNM403 .*LocalResponseNorm expects a batched input of 3 or more axes/],
    ['LPPool2d: a window wider than the image', 'model = nn.LPPool2d(2, 5)\nout = model(torch.randn(2, 3, 4, 4))', /NNM403 .*lppool2d kernel spans 5 but the padded input is only 4/],
    ['MaxPool2d: a dilated window wider than the padded input', 'model = nn.MaxPool2d(3, dilation=4)\nout = model(torch.randn(2, 3, 8, 8))', /NNM403 .*maxpool kernel spans 9 but the padded input is only 8/],
    ['Upsample: both size and scale_factor', 'model = nn.Upsample(size=4, scale_factor=1.5)\nout = model(torch.randn(2, 3, 8, 8))', /NNM403 .*only one of size and scale_factor should be defined/],
    ['Upsample: a scale that leaves nothing', 'model = nn.Upsample(scale_factor=0.1)\nout = model(torch.randn(2, 3, 8, 8))', /NNM403 .*scale_factor 0\.1 leaves an empty output from 8 x 8/],
    ['SyncBatchNorm: channels', 'model = nn.SyncBatchNorm(6)\nout = model(torch.randn(2, 5, 3))', /NNM403 .*SyncBatchNorm\(6\) expects \[N, 6, \.\.\.\]/],
  ];
  for (const [name, body, expected] of cases) {
    it(name, () => {
      const r = analyzeText(`${HEADER}${body}\n`, { documentKey: '/virtual/errors.py' });
      assert.match(messages(r), expected);
      assert.ok(r.diagnostics.some((d) => d.code === 'NNM403' && d.severity === 'error'), messages(r));
    });
  }
});

describe('recurrent cells in a Python loop', () => {
  // the oracle's own time_sequence model (torch_op_oracle.py's CELL_LOOP), as torch ran it
  const cell = ORACLE.cases['lstm_cell_loop']!;
  const loop = `${HEADER}${cell.module}\nmodel = ${cell.build}\nx = torch.randn(${cell.input.join(', ')})\nout = model(x)\n`;

  it('each step is one lstm_cell op; the weights ride on the first call (32,284, as torch counts); batch-sized states made in forward', () => {
    const a = analyzeDocument(loop, 'python', { documentKey: '/virtual/seq.py' });
    const g = a.models[0]!.graph;
    const cells = g.ops.filter((o) => o.op === 'lstm_cell');
    assert.equal(cells.length, 40);
    assert.equal(g.ops.reduce((s, o) => s + o.params.trainable, 0), 32284);
    // lstm1's steps share the first step's weights; lstm2's theirs
    assert.equal(cells.filter((o) => o.sharesParamsWith === undefined).length, 2);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [20]);
    // h and c per step: views of the op's [2, 51]
    assert.deepEqual(g.tensors[cells[0]!.output]!.shape, [2, 51]);
    assert.equal(g.ops.filter((o) => o.op === 'constant').length, 4);
  });

  it('a cell called without a state starts from zeros: the op reads the input alone', () => {
    const a = analyzeDocument(`${HEADER}model = nn.GRUCell(8, 16)\nx = torch.randn(4, 8)\nout = model(x)\n`, 'python', { documentKey: '/virtual/zero.py' });
    const op = a.models[0]!.graph.ops.find((o) => o.op === 'gru_cell')!;
    assert.equal(op.inputs.length, 1);
    assert.equal(op.params.trainable, 3 * (8 * 16 + 16 * 16 + 2 * 16));
  });
});

describe('CircularPad1d/2d/3d follow memlens.python.torchVersion (they arrived in torch 2.1)', () => {
  const text = `${HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.pad = nn.CircularPad2d(1)\n    def forward(self, x):\n        return self.pad(x)\nmodel = M()\nout = model(torch.randn(2, 3, 5, 4))\n`;
  it('torch 2.5: the layer pads; torch 1.13: it is not there, and the diagnostic says why', () => {
    const now = analyzeDocument(text, 'python', { documentKey: '/virtual/circ.py', torchVersion: '2.5' });
    assert.deepEqual(now.models[0]!.graph.ops.map((o) => o.op), ['input', 'zeropad']);
    const old = analyzeDocument(text, 'python', { documentKey: '/virtual/circ.py', torchVersion: '1.13' });
    assert.equal(old.models.length, 0);
    assert.ok(old.diagnostics.some((d) => d.code === 'NNM401' && /model 'model': torch\.nn\.CircularPad2d is not in torch 1\.13 \(it arrived in 2\.1/.test(d.message)), old.diagnostics.map((d) => d.message).join('\n'));
  });
  it("hasattr(nn, 'CircularPad2d') is the version's answer", () => {
    const src = `${HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.pad = nn.CircularPad2d(1) if hasattr(nn, 'CircularPad2d') else nn.ReplicationPad2d(1)\n    def forward(self, x):\n        return self.pad(x)\nmodel = M()\nout = model(torch.randn(2, 3, 5, 4))\n`;
    const modes = (v: string) => analyzeDocument(src, 'python', { documentKey: '/virtual/has.py', torchVersion: v }).models[0]!.graph.ops.map((o) => o.attrs['mode']).filter(Boolean);
    assert.deepEqual(modes('2.1'), ['circular']);
    assert.deepEqual(modes('1.13'), ['replicate']);
  });
});

describe('float64 models (model.double())', () => {
  const text = `${HEADER}model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)).double()\nx = torch.randn(8, 64, dtype=torch.float64)\nout = model(x)\n`;
  it('are analysed in fp64: 8-byte weights and activations', () => {
    const a = analyzeDocument(text, 'python', { documentKey: '/virtual/f64.py', overrides: { mode: 'infer' } });
    const m = a.models[0]!;
    assert.equal(m.graph.config.precision, 'fp64');
    assert.deepEqual([...new Set(m.graph.tensors.map((t) => t.dtype))], ['fp64']);
    assert.deepEqual(m.memory!.bytes.weights, { fixed: (64 * 64 + 64 + 64 * 10 + 10) * 8, perSample: 0 });
  });
  it('the PyTorch profile gives fp64 figures only for ops measured in fp64', () => {
    const conv = `${HEADER}model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten()).double()\nx = torch.randn(2, 3, 8, 8, dtype=torch.double)\nout = model(x)\n`;
    const a = analyzeDocument(conv, 'python', { documentKey: '/virtual/f64conv.py', overrides: { mode: 'infer', framework: 'pytorch', device: devicePreset('cpu')! } });
    const expected = a.models[0]!.memory!.expected;
    assert.ok('reason' in expected && /covers fp64 for slice, concat, dense, .* only, not yet for conv2d, reshape$/.test(expected.reason), JSON.stringify(expected));
  });
  it('a part converted alone is noted, and the model keeps its precision', () => {
    const part = `${HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(4, 4)\n        self.b = nn.Linear(4, 2)\n    def forward(self, x):\n        return self.b(self.a(x))\nmodel = M()\nmodel.a.double()\nout = model(torch.randn(2, 4))\n`;
    const a = analyzeDocument(part, 'python', { documentKey: '/virtual/part.py' });
    assert.equal(a.models[0]!.graph.config.precision, 'fp32');
    assert.ok(a.diagnostics.some((d) => d.code === 'NNM401' && /memlens models float64 for a whole model/.test(d.message)), a.diagnostics.map((d) => d.message).join('\n'));
  });
});
