// A convolution with padding_mode 'reflect', 'replicate' or 'circular': torch pads a copy of the
// input in that mode and convolves it unpadded; the layer's weights stay on the convolution.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { analyzeText, ready } from './helpers';

const model = (layer: string, input: string): string => ['import torch', 'import torch.nn as nn', `model = nn.Sequential(${layer})`, `x = torch.randn(${input})`, 'out = model(x)'].join('\n');

describe('Python: convolution padding modes and helper ops inside a layer', () => {
  before(ready);

  it("padding_mode='reflect' is a padded copy, then the convolution without padding; the parameters ride on the convolution", () => {
    for (const mode of ['reflect', 'replicate', 'circular']) {
      const g = analyzeText(model(`nn.Conv2d(16, 8, 3, padding=1, padding_mode='${mode}')`, '4, 16, 8, 8')).graphs[0]!;
      const ops = g.ops.filter((o) => o.op !== 'input');
      assert.deepEqual(ops.map((o) => o.op), ['zeropad', 'conv2d'], mode);
      assert.equal(ops[0]!.attrs['mode'], mode);
      assert.deepEqual(g.tensors[ops[0]!.output]!.shape, [16, 10, 10]);
      assert.deepEqual(g.tensors[ops[1]!.output]!.shape, [8, 8, 8]);
      assert.deepEqual([ops[0]!.params.trainable, ops[1]!.params.trainable], [0, 16 * 8 * 9 + 8]);
    }
  });

  it("padding='same' with an even kernel pads the extra row after, as torch does; a transposed convolution or an unknown mode is refused with the reason", () => {
    const g = analyzeText(model("nn.Conv1d(4, 4, 4, padding='same', padding_mode='reflect')", '2, 4, 10')).graphs[0]!;
    const pad = g.ops.find((o) => o.op === 'zeropad')!;
    assert.deepEqual(pad.attrs['pad'], [1, 2]);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [4, 10]);
    const bad = analyzeText(model("nn.Conv2d(4, 4, 3, padding=1, padding_mode='mirror')", '2, 4, 8, 8'));
    assert.match(bad.diagnostics.map((d) => d.message).join('\n'), /padding_mode 'mirror' is not a torch padding mode/);
    const transposed = analyzeText(model("nn.ConvTranspose2d(4, 4, 3, padding=1, padding_mode='reflect')", '2, 4, 8, 8'));
    assert.match(transposed.diagnostics.map((d) => d.message).join('\n'), /supports only padding_mode 'zeros'/);
  });

  it('a reflection wider than the axis is a shape error, as in torch', () => {
    const r = analyzeText(model("nn.Conv2d(4, 4, 9, padding=4, padding_mode='reflect')", '2, 4, 3, 3'));
    assert.ok(r.diagnostics.some((d) => d.code === 'NNM403' && /reflect padding \(4, 4\) must be smaller than the axis it pads \(3\)/.test(d.message)), r.diagnostics.map((d) => d.message).join('\n'));
  });

  it("a Linear over [N, H, W, C] keeps its weights on the dense op, not on the reshape before it", () => {
    const g = analyzeText(model('nn.Linear(16, 32)', '2, 4, 3, 16')).graphs[0]!;
    const owners = g.ops.filter((o) => o.params.trainable > 0).map((o) => o.op);
    assert.deepEqual(owners, ['dense']);
    assert.ok(g.ops.every((o) => o.sharesParamsWith === undefined));
  });
});
