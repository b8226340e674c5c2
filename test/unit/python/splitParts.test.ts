// x.split / x.chunk make one slice op per part; past 10,000 parts the trace stops with a reason
// instead of building them (the fuzzer's case, test/fixtures/fuzz/python_split_parts.json: a
// split of an axis of 64 * 10**12 into parts of 64 built a tuple until V8 aborted).
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText, ready } from './helpers';

const model = (features: number) => `import torch
import torch.nn as nn

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, ${features})

    def forward(self, x):
        return self.fc(x).split(2, dim=1)[0]

m = M()
m(torch.randn(3, 4))
`;

before(ready);

it('a split into 20,000 parts stops the trace and says why', () => {
  const r = analyzeText(model(40_000));
  assert.deepEqual(r.diagnostics.filter((d) => d.message.includes('split')).map((d) => `${d.code} ${d.message}`), [
    // 4 * 40,000 weights + 40,000 biases
    "NNM401 model 'm': a split into 20,000 parts is not followed (more than 10,000). 200,000 trainable parameters; its activations are not analysed",
  ]);
});

it('a split into 3 parts is traced', () => {
  const r = analyzeText(model(6));
  assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.message}`), []);
});
