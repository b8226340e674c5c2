// Diagnostic messages quote the expression they are about; a long or multi-line one is cut, since
// the diagnostic's range already marks all of it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { shortenCode } from '../../../server/src/core/python/frontend';
import { analyzeText, ready } from './helpers';

describe('Python diagnostic messages', () => {
  before(ready);

  it('keep a short quote, cut a multi-line or long one to the start of its first line', () => {
    assert.equal(shortenCode('`x.size(0)` is not known statically'), '`x.size(0)` is not known statically');
    assert.equal(shortenCode('a member of `nn.Sequential(\n    nn.Linear(4, 4),\n)` is not known'), 'a member of `nn.Sequential( …` is not known');
    const long = `f(${'a, '.repeat(40)}b)`;
    assert.equal(shortenCode(`\`${long}\` is not known`), `\`${long.slice(0, 72).trimEnd()} …\` is not known`);
  });

  it('an unknown layer inside a multi-line nn.Sequential is named without the whole call in the message', () => {
    const text = ['import torch', 'import torch.nn as nn', 'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.body = nn.Sequential(', '            nn.Linear(4, 4),', '            nn.Frobnicate(),', '        )', '    def forward(self, x):', '        return self.body(x)', 'model = Net()', 'out = model(torch.randn(2, 4))'].join('\n');
    const d = analyzeText(text).diagnostics.find((x) => x.code === 'NNM401');
    assert.ok(d, 'an NNM401');
    assert.ok(!d.message.includes('\n'), d.message);
    assert.match(d.message, /nn\.Sequential\( …/);
    assert.match(d.message, /Frobnicate/);
  });
});
