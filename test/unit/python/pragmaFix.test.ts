// NNM402's quick fix: a model without an input gets the input pragma above its class, the shape
// taken from its first layer.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { codeActions } from '../../../server/src/lsp/features/codeActions';
import { ready } from './helpers';

before(ready);

const net = (first: string): string =>
  ['import torch', 'import torch.nn as nn', '', 'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', `        self.first = ${first}`, '        self.head = nn.Linear(8, 2)', '', 'model = Net()', ''].join('\n');

function pragmaAction(text: string): { title: string; newText: string; line: number } | undefined {
  const analysis = analyzeDocument(text, 'python', { documentKey: '/virtual/net.py' });
  const d = analysis.diagnostics.find((x) => x.code === 'NNM402')!;
  const actions = codeActions({ uri: 'file:///virtual/net.py', text, language: 'python', options: {}, analysis }, { range: d.range, context: { diagnostics: [] } });
  const a = actions.find((x) => x.title.startsWith('Add `# memlens: input'));
  const e = a?.edit?.changes?.['file:///virtual/net.py']?.[0];
  return a && e ? { title: a.title, newText: e.newText, line: e.range.start.line } : undefined;
}

describe('NNM402 quick fix', () => {
  it('a first Conv2d(3, ...) gives [N, 3, 224, 224] above the class', () => {
    const fix = pragmaAction(net('nn.Conv2d(3, 8, 3)'));
    assert.deepEqual(fix, { title: 'Add `# memlens: input [N, 3, 224, 224]` above class Net (edit the sizes to your data)', newText: '# memlens: input [N, 3, 224, 224]\n', line: 3 });
  });
  it('a first Linear(64, ...) gives [N, 64]; an Embedding int64 token ids', () => {
    assert.equal(pragmaAction(net('nn.Linear(64, 8)'))?.newText, '# memlens: input [N, 64]\n');
    assert.equal(pragmaAction(net('nn.Embedding(100, 8)'))?.newText, '# memlens: input [N, 128] int64\n');
  });
  it('the inserted pragma makes the model analysable', () => {
    const text = net('nn.Linear(64, 8)');
    const fixed = text.replace('class Net', '# memlens: input [N, 64]\nclass Net');
    const a = analyzeDocument(fixed.replace('self.head = nn.Linear(8, 2)', 'self.head = nn.Linear(8, 2)\n    def forward(self, x):\n        return self.head(self.first(x))'), 'python', { documentKey: '/virtual/net.py' });
    assert.equal(a.models.length, 1);
    assert.ok(!a.diagnostics.some((d) => d.code === 'NNM402'));
  });
});
