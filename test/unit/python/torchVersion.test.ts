// Code that tests the installed torch follows memlens.python.torchVersion, and the hover on the
// test says which branch was taken.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { hover } from '../../../server/src/lsp/features/hover';
import { ready } from './helpers';

before(ready);

const TEXT = [
  'import torch',
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  'class Attn(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  "        self.flash = hasattr(torch.nn.functional, 'scaled_dot_product_attention')",
  '        self.old = torch.__version__',
  '    def forward(self, q):',
  '        if self.flash:',
  '            return F.scaled_dot_product_attention(q, q, q, is_causal=True)',
  '        return torch.softmax(q @ q.transpose(-2, -1), dim=-1) @ q',
  'model = Attn()',
  'out = model(torch.randn(2, 4, 16, 8))',
].join('\n');

function hoverText(torchVersion: string, line: number, text: string): string {
  const a = analyzeDocument(TEXT, 'python', { documentKey: '/virtual/attn.py', torchVersion });
  const h = hover(a, { line, character: TEXT.split('\n')[line]!.indexOf(text) + 1 });
  return (h?.contents as { value: string } | undefined)?.value ?? '';
}

describe('torch version checks', () => {
  it('hasattr(F, "scaled_dot_product_attention") is True for torch 2.5 and False for 1.13, and the hover says so', () => {
    assert.match(hoverText('2.5', 6, 'hasattr'), /is True for torch 2\.5 \(`torch\.nn\.functional\.scaled_dot_product_attention` arrived in 2\.0\): memlens follows the True branch/);
    assert.match(hoverText('1.13', 6, 'hasattr'), /is False for torch 1\.13 .*follows the False branch/);
    const ops = (v: string) => analyzeDocument(TEXT, 'python', { documentKey: '/virtual/attn.py', torchVersion: v }).models[0]!.graph.ops.map((o) => o.op);
    assert.ok(ops('2.5').includes('scaled_dot_product_attention'));
    assert.ok(!ops('1.13').includes('scaled_dot_product_attention') && ops('1.13').includes('softmax'));
  });
  it('torch.__version__ is the configured version, and its hover names it', () => {
    assert.match(hoverText('1.13', 7, 'torch.__version__'), /`torch\.__version__` is '1\.13' here/);
  });
});
