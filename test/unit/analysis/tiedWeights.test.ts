// Weights tied across layers (Graph.tiedWeights): what the Python frontend records for
// `b.weight = a.weight`, and the PyTorch CPU replay's gradients of the tied tensor (torch_ops.json's
// tied_linear case checks the figure against torch 1.13).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import { simulatePytorchCpu } from '../../../server/src/core/analysis/framework/pytorchCpu';
import type { Graph } from '../../../server/src/core/ir';
import { ready } from '../python/helpers';

before(ready);

function source(forward: string, bias = true): string {
  return `import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(64, 64)
        self.b = nn.Linear(64, 64, bias=${bias ? 'True' : 'False'})
        self.b.weight = self.a.weight

    def forward(self, x):
${forward}


model = Net()
x = torch.randn(2, 64)
out = model(x)
loss = out.sum()
loss.backward()
`;
}

function graphOf(text: string): Graph {
  const overrides = { mode: 'train' as const, framework: 'pytorch' as const, device: devicePreset('cpu')!, optimizer: { kind: 'none' as const, momentum: 0 } };
  const model = analyzeDocument(text, 'python', { documentKey: '/virtual/tied.py', overrides }).models[0];
  assert.ok(model, 'no model');
  return model.graph;
}

describe('tied weights', () => {
  it('the second layer reads the first one\'s weight: one tie, the weight counted once', () => {
    const g = graphOf(source('        return self.b(torch.tanh(self.a(x)))'));
    const a = g.ops.find((op) => op.op === 'dense')!;
    const b = g.ops.filter((op) => op.op === 'dense')[1]!;
    assert.deepEqual([a.params.trainable, b.params.trainable], [64 * 64 + 64, 64]);
    assert.equal(g.tiedWeights?.length, 1);
    const [tie] = g.tiedWeights!;
    assert.deepEqual({ reader: tie!.reader, owner: tie!.owner, elements: tie!.elements }, { reader: b.id, owner: a.id, elements: 64 * 64 });
  });

  it('the replay holds b\'s gradient of the tied weight until a\'s backward and sums the two', () => {
    const g = graphOf(source('        return self.b(torch.tanh(self.a(x)))'));
    const tied = simulatePytorchCpu(g, 2, true, 512);
    const untied = simulatePytorchCpu({ ...g, tiedWeights: [] }, 2, true, 512);
    assert.ok('peak' in tied && 'peak' in untied);
    // b's 16 KiB gradient of the tied weight, a's own and their sum are alive at once, beside both biases'
    assert.equal(tied.peak.byKind.weightGradient, 3 * 64 * 64 * 4 + 2 * 64 * 4);
    // without the tie b's backward makes its bias' gradient alone, a's the weight's once
    assert.equal(untied.peak.byKind.weightGradient, (64 * 64 + 64) * 4 + 64 * 4);
  });

  it('a reader whose output carries no gradient otherwise: a reason, not a figure', () => {
    const g = graphOf(source('        return self.a(x) + self.b(x)', false));
    const result = simulatePytorchCpu(g, 2, true, 512);
    assert.ok('unsupported' in result, JSON.stringify(result));
    assert.match(result.unsupported.join(), /tied weight read by a layer without a gradient of its own/);
  });
});
