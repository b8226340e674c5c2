// Behaviour of the Python frontend on small sources: which files it reads, the Python it evaluates,
// torch's module semantics (tying, freezing, containers), inputs, diagnostics, quick fixes.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { applyEdits } from '../../../server/src/core/fixes/edits';
import { mentionsPythonFramework } from '../../../server/src/core/python/frontend';
import { pythonFixEdits } from '../../../server/src/core/python/fixes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { analyzeText, ready } from './helpers';

before(ready);

const HEAD = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';

/** the counted parameters of the model bound to `name` */
function counts(text: string, name = 'model', torchVersion?: string) {
  const r = analyzeText(HEAD + text, torchVersion ? { torchVersion } : {});
  const m = r.modules.find((x) => x.name === name);
  assert.ok(m, `no model ${name}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return m.counts;
}

describe('which files the frontend reads', () => {
  it('every torch and Keras import form, and nothing else', () => {
    for (const t of ['import torch', 'import torch.nn as nn', 'from torch import nn', 'import torch.nn.functional as F', 'from torch.nn import Module, Conv2d', 'from tensorflow import keras', 'import keras', 'from keras import layers']) {
      assert.ok(mentionsPythonFramework(`${t}\n`), t);
    }
    for (const t of ['import numpy as np', '# import torch', 'x = "import torch"', 'import torchvision_like_name_but_not']) assert.ok(!mentionsPythonFramework(t), t);
  });
  it('a file without torch is answered with nothing', () => {
    const r = analyzeText('import numpy as np\nx = np.zeros(3)\n');
    assert.deepEqual([r.graphs.length, r.diagnostics.length, r.refs.length], [0, 0, 0]);
  });
});

describe('Python evaluated statically', () => {
  it('constants, arithmetic, comprehensions, f-strings, unpacking, *args and **kwargs', () => {
    const c = counts(`
WIDTHS = [2 ** k for k in range(3, 6)]
PAIRS = list(zip(WIDTHS[:-1], WIDTHS[1:]))
def block(*shape, bias=True, **extra):
    a, b = shape
    return nn.Linear(a, b, bias=bias)
class Net(nn.Module):
    def __init__(self, name=f"net{len(WIDTHS)}", **kw):
        super().__init__()
        self.layers = nn.ModuleList([block(a, b, **kw) for a, b in PAIRS])
        self.name = name
model = Net(bias=False)
`);
    assert.equal(c.trainable, 8 * 16 + 16 * 32);
  });
  it('a @dataclass config with defaults and an override, read by the model', () => {
    const c = counts(`
from dataclasses import dataclass
@dataclass
class Config:
    d: int = 8
    layers: int = 2
    bias: bool = True
class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h = nn.Sequential(*[nn.Linear(cfg.d, cfg.d, bias=cfg.bias) for _ in range(cfg.layers)])
model = Net(Config(layers=3))
`);
    assert.equal(c.trainable, 3 * (8 * 8 + 8));
  });
  it('argparse defaults read at module level (nz = int(opt.nz)) and getattr / setattr with known names', () => {
    const c = counts(`
import argparse
parser = argparse.ArgumentParser()
parser.add_argument('--nz', type=int, default=100)
parser.add_argument('--hidden-size', type=int, default=7)
parser.add_argument('--cuda', action='store_true')
opt = parser.parse_args()
nz = int(opt.nz)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        setattr(self, 'fc', nn.Linear(nz, getattr(opt, 'hidden_size')))
model = Net()
if opt.cuda:
    model = model.cuda()
`);
    assert.equal(c.trainable, 100 * 7 + 7);
  });
  it('unknown decorators are the identity; logging and unrelated unknown calls are skipped', () => {
    const c = counts(`
import logging
def register(fn):
    return fn
@register
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        logging.info('building')
        print('hello', some_unknown_thing())
        self.fc = nn.Linear(4, 2)
model = Net()
`);
    assert.equal(c.trainable, 10);
  });
  it('a branch the module cannot know poisons the module it builds, never a guess', () => {
    const r = analyzeText(HEAD + `
import os
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if os.environ.get('BIG'):
            self.fc = nn.Linear(1000, 1000)
        else:
            self.fc = nn.Linear(10, 10)
model = Net()
`);
    const d = r.diagnostics.find((x) => x.message.startsWith("model 'model'"));
    assert.ok(d && /not known statically/.test(d.message) && /parameters are not known/.test(d.message), JSON.stringify(r.diagnostics));
  });
  it('code that tests the installed torch follows the configured version', () => {
    const text = `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        if hasattr(F, 'scaled_dot_product_attention'):
            self.fc = nn.Linear(4, 4)
        else:
            self.fc = nn.Linear(4, 8)
model = Net()
`;
    assert.equal(counts(text).trainable, 20);
    assert.equal(counts(text, 'model', '2.1').trainable, 20);
    assert.equal(counts(text, 'model', '1.13').trainable, 40);
  });
});

describe("torch's module semantics", () => {
  it('weight tying counts the tensor once, as model.parameters() does', () => {
    const c = counts(`
class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(100, 16)
        self.head = nn.Linear(16, 100, bias=False)
        self.wte.weight = self.head.weight
model = LM()
`);
    assert.equal(c.trainable, 1600);
  });
  it('frozen parameters (requires_grad = False in a loop, requires_grad_(False)) move out of the trainable count', () => {
    const c = counts(`
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(10, 10), nn.BatchNorm1d(10))
        self.extra = nn.Linear(10, 10)
        self.head = nn.Linear(10, 2)
model = Net()
for p in model.backbone.parameters():
    p.requires_grad = False
model.extra.requires_grad_(False)
`);
    assert.deepEqual(c, { trainable: 22, frozen: 110 + 20 + 110, buffers: 20, intBuffers: 1 });
  });
  it('ModuleList append / extend / index, ModuleDict, add_module, nn.Parameter, register_buffer', () => {
    const c = counts(`
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList()
        self.blocks.append(nn.Linear(2, 2))
        self.blocks.extend([nn.Linear(2, 3)])
        self.heads = nn.ModuleDict({'a': nn.Linear(3, 1)})
        self.add_module('extra', nn.Linear(1, 1))
        self.cls = nn.Parameter(torch.zeros(1, 1, 5))
        self.register_buffer('mask', torch.ones(4, 4))
        self.last = self.blocks[-1]
model = Net()
`);
    assert.deepEqual([c.trainable, c.buffers], [6 + 9 + 4 + 2 + 5, 16]);
  });
  it('transfer learning edits: a replaced head and a slice of children', () => {
    const c = counts(`
class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3))
        self.fc = nn.Linear(8, 1000)
model = Backbone()
model.fc = nn.Linear(model.fc.in_features, 10)
model.features[2] = nn.Conv2d(8, 4, 1)
trunk = nn.Sequential(*list(model.features.children())[:-1])
`);
    assert.equal(c.trainable, 3 * 8 * 9 + 8 + 8 * 4 + 4 + 8 * 10 + 10);
  });
});

describe('inputs', () => {
  it("nn.LSTM's dropout= reaches the op between stacked layers; one layer drops nothing (torch warns)", () => {
    const attrsOf = (layer: string): unknown => {
      const r = analyzeText(HEAD + `rnn = nn.LSTM(8, 16, ${layer}, batch_first=True)\nx = torch.randn(2, 5, 8)\nout, state = rnn(x)\n`);
      return r.graphs[0]!.ops.find((o) => o.op === 'lstm')!.attrs['dropout'];
    };
    assert.equal(attrsOf('2, dropout=0.25'), 0.25);
    assert.equal(attrsOf('1, dropout=0.25'), 0);
    assert.equal(attrsOf('2'), 0);
  });
  it('the example call names the model after its variable, in a function as function.variable, with the literal batch', () => {
    const r = analyzeText(HEAD + `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)
    def forward(self, x):
        return F.relu(self.fc(x))
def main():
    net = Net()
    x = torch.randn(5, 6)
    y = net(x)
    y.sum().backward()
if __name__ == '__main__':
    main()
`);
    assert.deepEqual(r.graphs.map((g) => [g.name, g.config.batch, g.config.mode]), [['main.net', 5, 'train']]);
  });
  it('model.eval() and torch.no_grad() make it inference; an optimizer in the same file is its optimizer', () => {
    const r = analyzeText(HEAD + `
model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.eval()
with torch.no_grad():
    out = model(torch.randn(3, 4))
`);
    const g = r.graphs[0]!;
    assert.deepEqual([g.config.mode, g.config.optimizer.kind], ['infer', 'adam']);
    // eval-mode dropout returns its input: no op
    assert.deepEqual(g.ops.map((o) => o.op), ['input', 'dense']);
  });
  it('a pragma gives a class its input (int64 token ids, constructor arguments)', () => {
    const r = analyzeText(HEAD + `
# memlens: input [N, 12] int64
# memlens: build Tagger(vocab=50)
class Tagger(nn.Module):
    def __init__(self, vocab, dim=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.out = nn.Linear(dim, 3)
    def forward(self, ids):
        return self.out(self.emb(ids))
`);
    const g = r.graphs[0]!;
    assert.equal(g.name, 'Tagger');
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [12, 3]);
    assert.equal(g.tensors[g.inputs[0]!]!.dtype, 'int64');
    assert.equal(computeFootprint(g).params.trainable, 50 * 8 + 8 * 3 + 3);
  });
  it('a model with no input gets its exact parameters and NNM402', () => {
    const r = analyzeText(HEAD + `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)
model = Net()
`);
    const d = r.diagnostics.find((x) => x.code === 'NNM402');
    assert.ok(d && d.message.includes('110 trainable parameters'), JSON.stringify(r.diagnostics));
    assert.equal(d.range.start.line, 8);
  });
  it('a missing local import is unresolved, not an error of the whole file', () => {
    const r = analyzeText(HEAD + `
from .blocks import Block
from model import Net
x = nn.Linear(2, 2)
model = nn.Sequential(nn.Linear(2, 2))
out = model(torch.randn(1, 2))
`);
    assert.equal(r.graphs.length, 1);
    assert.ok(!r.diagnostics.some((d) => d.severity === 'error' || d.code === 'NNM409'));
  });
  it('a forward memlens cannot follow keeps the exact parameters and says why', () => {
    const r = analyzeText(HEAD + `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
    def forward(self, x):
        return torch.fft.fft(self.fc(x))
model = Net()
out = model(torch.randn(2, 4))
`);
    assert.equal(r.graphs.length, 0);
    const d = r.diagnostics.find((x) => x.message.startsWith("model 'model'"))!;
    assert.match(d.message, /20 trainable parameters; its activations are not analysed/);
    assert.equal(d.range.start.line, 9);
  });
  it('a layer that does not fit its input is an error, as torch would raise', () => {
    const r = analyzeText(HEAD + `
model = nn.Sequential(nn.Linear(4, 8), nn.Linear(7, 2))
out = model(torch.randn(2, 4))
`);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && d.code === 'NNM403' && /expects 7 features/.test(d.message)), JSON.stringify(r.diagnostics));
  });
});

describe('quick fixes in Python', () => {
  const text = HEAD + `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 2)
    def forward(self, x):
        x = self.act(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
model = Net()
x = torch.randn(8, 16)
out = model(x)
`;
  it('in place: on the layer a module call runs, or on the functional call itself', () => {
    const a = analyzeDocument(text, 'python');
    const relus = a.graphs[0]!.ops.filter((o) => o.op === 'relu');
    const fixed = relus.map((r) => {
      const edits = pythonFixEdits(text, { kind: 'inplace', sites: [r.site], opName: 'relu' }, a)!;
      return applyEdits(text, edits).split('\n').filter((l, i) => l !== text.split('\n')[i]);
    });
    assert.deepEqual(fixed, [['        self.act = nn.ReLU(inplace=True)'], ['        x = F.relu(self.fc2(x), inplace=True)']]);
    // a call already in place has nothing to fix
    const done = applyEdits(text, pythonFixEdits(text, { kind: 'inplace', sites: [relus[1]!.site], opName: 'relu' }, a)!);
    const again = analyzeDocument(done, 'python');
    const r2 = again.graphs[0]!.ops.filter((o) => o.op === 'relu')[1]!;
    assert.equal(pythonFixEdits(done, { kind: 'inplace', sites: [r2.site], opName: 'relu' }, again), undefined);
  });
  it('a module named like a function (self.relu) is fixed where it is built', () => {
    const named = text.replace('self.act = nn.ReLU()', 'self.relu = nn.ReLU()').replace('x = self.act(self.fc1(x))', 'x = self.relu(self.fc1(x))');
    const a = analyzeDocument(named, 'python');
    const relu = a.graphs[0]!.ops.find((o) => o.op === 'relu')!;
    const edits = pythonFixEdits(named, { kind: 'inplace', sites: [relu.site], opName: 'relu' }, a)!;
    assert.deepEqual(applyEdits(named, edits).split('\n').filter((l, i) => l !== named.split('\n')[i]), ['        self.relu = nn.ReLU(inplace=True)']);
  });
  it('the batch fix edits the example tensor', () => {
    const a = analyzeDocument(text, 'python');
    const edits = pythonFixEdits(text, { kind: 'batch', model: 'model', batch: 32, why: '' }, a)!;
    assert.match(applyEdits(text, edits), /x = torch\.randn\(32, 16\)/);
  });
});

describe('hover refs', () => {
  it('the construction line and the forward line both lead to the layer ops', () => {
    const text = HEAD + `
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
    def forward(self, x):
        return self.conv1(x)
model = Net()
out = model(torch.randn(2, 3, 8, 8))
`;
    const r = analyzeText(text);
    const lines = r.refs.filter((x) => x.kind === 'op' && x.ops?.length).map((x) => x.range.start.line);
    assert.deepEqual(lines.sort(), [7, 9]);
  });
});

describe('docs', () => {
  it('every NNM4xx code is documented in docs/python.md', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'python.md'), 'utf8');
    for (const code of Object.values(PY_CODES)) assert.match(doc, new RegExp(`\\| ${code} \\|`), code);
  });
});
