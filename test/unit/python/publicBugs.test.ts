// Mends found running memlens on public model files (bench/publicModels.ts): registration order,
// figures that are exact or absent, files that import torch through a wildcard.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mentionsPythonFramework } from '../../../server/src/core/python/frontend';
import { collectModules } from '../../../server/src/core/python/modules';
import { analyzeText, ready } from './helpers';

before(ready);

describe('public-model mends', () => {
  it('reassigning a submodule keeps its registration place, as torch does', () => {
    const r = analyzeText(['import torch.nn as nn', 'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc = nn.Linear(2, 2)', '        self.out = nn.Linear(2, 1)', '        self.fc = nn.Linear(2, 3)', 'model = Net()'].join('\n'));
    const m = r.modules.find((x) => x.name === 'model')!;
    assert.deepEqual(collectModules(m.instance).map((e) => e.name), ['', 'fc', 'out']);
    assert.equal(m.counts.trainable, 2 * 3 + 3 + 2 * 1 + 1);
  });
  it('numpy.prod of known numbers sizes a layer (PyTorch-GAN: nn.Linear(int(np.prod(img_shape)), 512)); of unknown ones it is not known', () => {
    const r = analyzeText(['import numpy as np', 'import torch.nn as nn', 'img_shape = (1, 28, 28)', 'model = nn.Sequential(nn.Linear(int(np.prod(img_shape)), 16), nn.Linear(16, np.prod((2, 5))))'].join('\n'));
    assert.equal(r.modules.find((x) => x.name === 'model')!.counts.trainable, 784 * 16 + 16 + 16 * 10 + 10);
    const u = analyzeText(['import numpy as np', 'import torch.nn as nn', 'import sys', 'model = nn.Linear(int(np.prod(sys.argv)), 4)'].join('\n'));
    assert.equal(u.modules.find((x) => x.name === 'model')?.unknown, 'Linear(): `in_features` is not known statically (numpy.prod() of values that are not known numbers)');
  });
  it('F.pad reads its pairs from the last axis back (torch: [2, 3, 5, 7] padded [1, 2, 3, 4] is [2, 3, 12, 10]; [1, 2] is [2, 3, 5, 10])', () => {
    const src = (pad: string): string => ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', 'class P(nn.Module):', '    def forward(self, x):', `        return F.pad(x, ${pad})`, 'model = P()', 'out = model(torch.randn(2, 3, 5, 7))'].join('\n');
    const shape = (pad: string): readonly number[] | undefined => {
      const g = analyzeText(src(pad)).graphs[0];
      return g ? g.tensors[g.outputs[0]!]!.shape : undefined;
    };
    assert.deepEqual(shape('[1, 2, 3, 4]'), [3, 12, 10]);
    assert.deepEqual(shape('[1, 2]'), [3, 5, 10]);
    assert.deepEqual(shape("[1, 2, 0, 1], mode='reflect'"), [3, 6, 10]);
    const partial = analyzeText(src("[1, 2], mode='reflect'"));
    assert.ok(partial.diagnostics.some((d) => /F\.pad in mode 'reflect' pads all 2 spatial axes/.test(d.message)), partial.diagnostics.map((d) => d.message).join('; '));
  });
  it('a subclass of an unmodelled torch.nn class is a model with no count and a reason', () => {
    const r = analyzeText(['import torch', 'import torch.nn as nn', 'class T(nn.AdaptiveLogSoftmaxWithLoss):', '    def __init__(self):', '        super().__init__(8, 10, [4])', 'model = T()'].join('\n'));
    const m = r.modules.find((x) => x.name === 'model')!;
    assert.match(m.unknown ?? '', /T derives from a class memlens does not model \(torch\.nn\.AdaptiveLogSoftmaxWithLoss/);
    assert.ok(r.diagnostics.some((d) => d.code === 'NNM401' && /model 'model'.*parameters are not known/.test(d.message)));
  });
  it('a stopped forward of a model holding an unknown part prints no parameter count', () => {
    const r = analyzeText(['import torch', 'import torch.nn as nn', 'from somewhere import Block', 'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc = nn.Linear(4, 4)', '        self.block = Block(4)', '    def forward(self, x):', '        return self.block(self.fc(x))', 'model = Net()', 'out = model(torch.randn(2, 4))'].join('\n'));
    const d = r.diagnostics.find((x) => x.message.includes("model 'model'"))!;
    assert.doesNotMatch(d.message, /trainable/);
    assert.match(d.message, /`block` is not known .*it may hold parameters; its parameters and activations are not known/);
  });
  it('a file importing torch only through a wildcard import of a local module is read', () => {
    assert.equal(mentionsPythonFramework('from .parts import *\n\nclass UNet(nn.Module):\n    pass\n'), true);
    assert.equal(mentionsPythonFramework('from .parts import *\nprint(1)\n'), false);
  });
  it('a submodule called outside its model forward makes no stray model', () => {
    const r = analyzeText(['import torch', 'import torch.nn as nn', 'class VAE(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc = nn.Linear(4, 4)', '    def decode(self, z):', '        return self.fc(z)', '    def forward(self, x):', '        return self.fc(x)', 'model = VAE()', 'sample = model.decode(torch.randn(2, 4))'].join('\n'));
    assert.deepEqual(r.traces.map((t) => t.name), []);
    assert.deepEqual(r.modules.map((m) => m.name), ['model']);
  });
});
