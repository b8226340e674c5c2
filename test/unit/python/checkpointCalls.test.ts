// torch.utils.checkpoint's keywords as torch 1.13 takes them: use_reentrant=False and
// preserve_rng_state=False reach the graph (Graph.checkpointModes) for the PyTorch profile; the
// keywords torch rejects raise (NNM403). Figures: test/unit/analysis/pytorchModels.test.ts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText, ready } from './helpers';

const HEADER = 'import torch\nimport torch.nn as nn\nfrom torch.utils.checkpoint import checkpoint, checkpoint_sequential\n';
const model = (call: string) =>
  `${HEADER}class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))\n        self.b = nn.Linear(8, 2)\n    def forward(self, x):\n        x = ${call}\n        return self.b(x)\nmodel = Net()\nout = model(torch.randn(4, 8))\nout.sum().backward()\n`;

before(ready);

describe('torch.utils.checkpoint keywords', () => {
  it('the default (reentrant, keeping the RNG state) leaves no mode on the graph', () => {
    const g = analyzeText(model('checkpoint(self.a, x)')).graphs[0]!;
    assert.deepEqual(g.ops.filter((op) => op.checkpointSegment !== undefined).map((op) => op.op), ['dense', 'relu', 'dense']);
    assert.equal(g.checkpointModes, undefined);
  });
  it('use_reentrant=False and preserve_rng_state=False are the segment\'s mode', () => {
    const g = analyzeText(model('checkpoint(self.a, x, use_reentrant=False)')).graphs[0]!;
    assert.deepEqual([...g.checkpointModes!], [[0, { reentrant: false, preservesRngState: true }]]);
    const h = analyzeText(model('checkpoint(self.a, x, preserve_rng_state=False)')).graphs[0]!;
    assert.deepEqual([...h.checkpointModes!], [[0, { reentrant: true, preservesRngState: false }]]);
    const s = analyzeText(`${HEADER}model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.s = model\n    def forward(self, x):\n        return checkpoint_sequential(self.s, 2, x, preserve_rng_state=False)\nnet = Net()\nout = net(torch.randn(4, 8))\n`).graphs[0]!;
    assert.deepEqual([...s.checkpointModes!], [[0, { reentrant: true, preservesRngState: false }]]);
  });
  it('use_reentrant=True is the default', () => {
    assert.equal(analyzeText(model('checkpoint(self.a, x, use_reentrant=True)')).graphs[0]!.checkpointModes, undefined);
  });
  it('keyword arguments for the function: passed by use_reentrant=False, a ValueError of the reentrant checkpoint', () => {
    const fn = (reentrant: boolean) => `${HEADER}class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(8, 8)\n    def run(self, x, scale=1.0):\n        return self.a(x) * scale\n    def forward(self, x):\n        return checkpoint(self.run, x, scale=2.0${reentrant ? '' : ', use_reentrant=False'})\nmodel = Net()\nout = model(torch.randn(4, 8))\n`;
    const ok = analyzeText(fn(false));
    assert.equal(ok.graphs.length, 1, ok.diagnostics.map((d) => d.message).join('\n'));
    assert.deepEqual(ok.graphs[0]!.ops.map((op) => op.op), ['input', 'dense', 'scale']);
    const bad = analyzeText(fn(true));
    const error = bad.diagnostics.find((d) => d.code === 'NNM403');
    assert.ok(error && error.severity === 'error', bad.diagnostics.map((d) => d.message).join('\n'));
    assert.match(error.message, /checkpoint\(\) raises a ValueError: unexpected keyword arguments scale \(the reentrant checkpoint passes none to the function; use_reentrant=False does\)/);
  });
  it('checkpoint_sequential(..., use_reentrant=False) raises in torch 1.13 (it takes preserve_rng_state alone)', () => {
    const a = analyzeText(`${HEADER}class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.s = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))\n    def forward(self, x):\n        return checkpoint_sequential(self.s, 2, x, use_reentrant=False)\nmodel = Net()\nout = model(torch.randn(4, 8))\n`);
    assert.ok(a.diagnostics.some((d) => d.code === 'NNM403' && /checkpoint_sequential\(\) raises a ValueError in torch 1\.13: unexpected keyword arguments use_reentrant/.test(d.message)), a.diagnostics.map((d) => d.message).join('\n'));
  });
  it('a use_reentrant memlens cannot read is not known: no activations, a reason', () => {
    const a = analyzeText(`import sys\n${HEADER}class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(8, 8)\n    def forward(self, x):\n        return checkpoint(self.a, x, use_reentrant=len(sys.argv) > 1)\nmodel = Net()\nout = model(torch.randn(4, 8))\n`);
    assert.equal(a.graphs.length, 0);
    assert.ok(a.diagnostics.some((d) => d.code === 'NNM401' && d.message.includes('checkpoint() with a use_reentrant or preserve_rng_state memlens does not know statically')), a.diagnostics.map((d) => d.message).join('\n'));
  });
});
