// Tensor functions the public models needed: einops' rearrange / repeat / Rearrange, F.interpolate,
// torch.exp / log, indexing with a list, map(), and `*x.shape` in a tuple. Shapes are torch's
// (worked out from its documentation); each unsupported form stops with its reason.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { analyzeText, ready } from './helpers';

before(ready);

/** the model's output shape (per sample) and the ops of its graph, or the reason the forward stopped */
function run(forward: string[], input: string, init: string[] = ['pass']): { shape?: readonly number[]; ops?: string[]; stop?: string } {
  const text = [
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    'from einops import rearrange, repeat',
    'from einops.layers.torch import Rearrange',
    'class M(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    ...init.map((l) => `        ${l}`),
    '    def forward(self, x):',
    ...forward.map((l) => `        ${l}`),
    'model = M()',
    `out = model(${input})`,
  ].join('\n');
  const r = analyzeText(text);
  const g = r.graphs[0];
  if (g) return { shape: g.tensors[g.outputs[0]!]!.shape, ops: g.ops.map((o) => o.op) };
  return { stop: r.diagnostics.map((d) => d.message).join('; ') };
}

describe('einops', () => {
  it("Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)') cuts 8x8 patches: [N, 3, 32, 32] -> [N, 16, 192]", () => {
    const r = run(['return self.patch(x)'], 'torch.randn(2, 3, 32, 32)', ["self.patch = Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=8, p2=8)"]);
    assert.deepEqual(r.shape, [16, 192]);
    // split the groups, move the axes, merge the groups
    assert.deepEqual(r.ops, ['input', 'reshape', 'transpose', 'reshape']);
  });
  it("rearrange('b n (h d) -> b h n d') splits heads; the inverse merges them back", () => {
    assert.deepEqual(run(["return rearrange(x, 'b n (h d) -> b h n d', h=4)"], 'torch.randn(2, 10, 32)').shape, [4, 10, 8]);
    assert.deepEqual(run(["t = rearrange(x, 'b n (h d) -> b h n d', h=4)", "return rearrange(t, 'b h n d -> b n (h d)')"], 'torch.randn(2, 10, 32)').shape, [10, 32]);
  });
  it('repeat of a class token over the batch is a view that grows with N (expand_batch), which a layer may read', () => {
    const r = run(['c = repeat(self.cls, "() n d -> b n d", b=x.shape[0])', 'return torch.cat((c, x), dim=1)'], 'torch.randn(2, 10, 32)', ['self.cls = nn.Parameter(torch.randn(1, 1, 32))']);
    assert.deepEqual(r.shape, [11, 32]);
    assert.deepEqual(r.ops!.filter((o) => o !== 'input'), ['weight_view', 'expand_batch', 'concat']);
    // CaiT: the repeated token goes through a Linear of its own
    const lin = run(['c = repeat(self.cls, "() n d -> b n d", b=x.shape[0])', 'return self.q(c)'], 'torch.randn(2, 10, 32)', ['self.cls = nn.Parameter(torch.randn(1, 1, 32))', 'self.q = nn.Linear(32, 16)']);
    assert.deepEqual(lin.shape, [1, 16]);
    const src = ['import torch', 'import torch.nn as nn', 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.cls = nn.Parameter(torch.randn(1, 1, 32))', '    def forward(self, x):', '        return torch.cat((self.cls.expand(x.shape[0], -1, -1), x), dim=1)', 'model = M()', 'out = model(torch.randn(2, 10, 32))'].join('\n');
    const g = analyzeText(src).graphs[0]!;
    const view = g.tensors.find((t) => g.ops[t.id]!.op === 'expand_batch')!;
    // it grows with N but is a view of the token: no buffer bytes of its own
    assert.ok(!view.batchIndependent);
    assert.deepEqual(view.shape, [1, 32]);
    const m = analyzeDocument(src, 'python', { documentKey: '/virtual/cls.py', overrides: { mode: 'infer' } }).models[0]!.memory!;
    assert.deepEqual(m.buffers.map((b) => `${b.tensor} ${b.bytes.fixed}+${b.bytes.perSample}N`), ['0 0+1280N', '1 0+0N', '3 0+1408N']);
  });
  it('patterns memlens cannot follow stop with the reason', () => {
    assert.match(run(["return rearrange(x, 'b n d -> b d')"], 'torch.randn(2, 10, 32)').stop ?? '', /drops axis 'n' of size 10 \(a reduction\)/);
    assert.match(run(["return rearrange(x, '(b n) d -> b n d', n=2)"], 'torch.randn(2, 10, 32)').stop ?? '', /einops pattern names 2 axes/);
    assert.match(run(["return rearrange(x, 'b n (h d) -> b h n d')"], 'torch.randn(2, 10, 32)').stop ?? '', /group \(h d\) has 2 sizes not given/);
  });
});

describe('other tensor functions', () => {
  it("F.interpolate by scale_factor (a fractional one: torch's floor(in * scale)) or to a size", () => {
    assert.deepEqual(run(['return F.interpolate(x, scale_factor=2)'], 'torch.randn(2, 3, 8, 8)').shape, [3, 16, 16]);
    assert.deepEqual(run(["return F.interpolate(x, size=(16, 24), mode='bilinear')"], 'torch.randn(2, 3, 8, 8)').shape, [3, 16, 24]);
    assert.deepEqual(run(['return F.interpolate(x, size=12)'], 'torch.randn(2, 3, 8, 8)').shape, [3, 12, 12]);
    // torch 1.13: 7 x 9 by 1.5 is 10 x 13
    assert.deepEqual(run(['return F.interpolate(x, scale_factor=1.5)'], 'torch.randn(2, 3, 7, 9)').shape, [3, 10, 13]);
    assert.match(run(['return F.interpolate(x)'], 'torch.randn(2, 3, 8, 8)').stop ?? '', /either size or scale_factor should be defined/);
  });
  it('torch.exp and x.log() are elementwise ops', () => {
    const r = run(['return torch.exp(0.5 * x).log()'], 'torch.randn(2, 8)');
    assert.deepEqual(r.shape, [8]);
    assert.deepEqual(r.ops!.filter((o) => o !== 'input'), ['scale', 'exp', 'log']);
  });
  it('indexing with a list keeps the axis and copies (nanoGPT: x[:, [-1], :])', () => {
    const r = run(['return x[:, [-1], :]'], 'torch.randn(2, 10, 32)');
    assert.deepEqual(r.shape, [1, 32]);
    assert.deepEqual(r.ops, ['input', 'take']);
    assert.match(run(['return x[:, [10], :]'], 'torch.randn(2, 10, 32)').stop ?? '', /index 10 is out of range/);
  });
  it('map() calls a lambda on each item; `*x.shape, h` unpacks the shape', () => {
    const r = run(['b, n, _, h = *x.shape, 4', 'q, k = map(lambda t: t.reshape(b, n, h, -1), x.chunk(2, dim=-1))', 'return q + k'], 'torch.randn(2, 10, 32)');
    assert.deepEqual(r.shape, [10, 4, 4]);
  });
  it('F.scaled_dot_product_attention (torch 2) is one fused op; with an attn_mask it stops', () => {
    const r = run(['q = x.reshape(x.shape[0], 10, 4, 8).transpose(1, 2)', 'y = F.scaled_dot_product_attention(q, q, q, is_causal=True)', 'return y.transpose(1, 2).reshape(x.shape[0], 10, 32)'], 'torch.randn(2, 10, 32)');
    assert.deepEqual(r.shape, [10, 32]);
    assert.ok(r.ops!.includes('scaled_dot_product_attention'));
    assert.match(run(['q = x.reshape(x.shape[0], 10, 4, 8)', 'return F.scaled_dot_product_attention(q, q, q, attn_mask=q)'], 'torch.randn(2, 10, 32)').stop ?? '', /with an attn_mask is not modelled yet/);
  });
});

describe('einsum and Python forms of the public models', () => {
  it("einsum('b h i d, b h j d -> b h i j') is q @ k^T; a contraction with a head-mixing weight permutes around one product", () => {
    const qk = run(["q = x.reshape(x.shape[0], 10, 4, 8).transpose(1, 2)", "return torch.einsum('b h i d, b h j d -> b h i j', q, q)"], 'torch.randn(2, 10, 32)');
    assert.deepEqual(qk.shape, [4, 10, 10]);
    assert.ok(qk.ops!.includes('matmul'));
    const mix = run(["a = x.reshape(x.shape[0], 4, 5, 16)", "return torch.einsum('b h i j, h g -> b g i j', a, self.w)"], 'torch.randn(2, 10, 32)', ['self.w = nn.Parameter(torch.randn(4, 6))']);
    assert.deepEqual(mix.shape, [6, 5, 16]);
    assert.match(run(["return torch.einsum('b i i -> b i', x)"], 'torch.randn(2, 10, 10)').stop ?? '', /einsum is modelled for two known tensors/);
    assert.match(run(["return torch.einsum('b i j, b j k -> b i', x, x)"], 'torch.randn(2, 10, 10)').stop ?? '', /index k is summed within one operand/);
  });
  it("'level_%d' % i formats; a dict with a float key reads back its key", () => {
    const r = analyzeText(['import torch.nn as nn', "cfg = {0.5: 24, 1: 48}", 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', "        setattr(self, 'level_%d' % 2, nn.Linear(cfg[0.5], cfg[1]))", 'model = M()'].join('\n'));
    const m = r.modules.find((x) => x.name === 'model')!;
    assert.equal(m.counts.trainable, 24 * 48 + 48);
  });
});

describe('minGPT forms', () => {
  it('torch.pow(x, 3.0) and x ** 2 are pow ops; torch.arange(t).unsqueeze(0) stays int64 and batch-independent', () => {
    const r = run(['return torch.pow(x, 3.0) + x ** 2'], 'torch.randn(2, 8)');
    assert.deepEqual(r.ops!.filter((o) => o === 'pow').length, 2);
    const pos = analyzeText(['import torch', 'import torch.nn as nn', 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.wpe = nn.Embedding(16, 8)', '    def forward(self, idx):', '        pos = torch.arange(0, idx.size(1), dtype=torch.long).unsqueeze(0)', '        return self.wpe(pos) + self.wpe(idx)', 'model = M()', 'out = model(torch.randint(0, 16, (2, 16)))'].join('\n'));
    const g = pos.graphs[0]!;
    const reshape = g.ops.find((o) => o.op === 'reshape')!;
    assert.equal(g.tensors[reshape.output]!.dtype, 'int64');
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [16, 8]);
  });
});

describe('tensors outside a model', () => {
  it('a module-level tensor times a number keeps its shape (regression: nn.Linear(W_target.size(0), 1))', () => {
    const r = analyzeText(['import torch', 'W = torch.randn(4, 1) * 5', 'fc = torch.nn.Linear(W.size(0), 1)', 'out = fc(torch.randn(32, 4))'].join('\n'));
    assert.equal(r.modules.find((m) => m.name === 'fc')!.counts.trainable, 4 + 1);
    assert.deepEqual(r.graphs[0]!.tensors[r.graphs[0]!.outputs[0]!]!.shape, [1]);
  });
});

describe('sequence-first models', () => {
  const lm = (batchFirst: boolean, input: string, state: string) => analyzeText([
    'import torch',
    'import torch.nn as nn',
    'class LM(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.emb = nn.Embedding(100, 16)',
    `        self.rnn = nn.GRU(16, 32, 2, batch_first=${batchFirst ? 'True' : 'False'})`,
    '        self.out = nn.Linear(32, 100)',
    '    def forward(self, x, h):',
    '        y, h = self.rnn(self.emb(x), h)',
    '        return self.out(y)',
    'model = LM()',
    `x = ${input}`,
    `h = ${state}`,
    'out = model(x, h)',
  ].join('\n'));
  it('a batch_first=False model reads its factory examples as [L, N, ...]: the batch is axis 1', () => {
    const r = lm(false, 'torch.randint(0, 100, (35, 4))', 'torch.zeros(2, 4, 32)');
    const g = r.graphs[0]!;
    assert.equal(g.config.batch, 4);
    // per sample: the 35 steps of each sequence
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [35, 100]);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  });
  it('a batch_first=True model keeps the batch first', () => {
    const g = lm(true, 'torch.randint(0, 100, (4, 35))', 'None').graphs[0]!;
    assert.equal(g.config.batch, 4);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [35, 100]);
  });
  it('when neither axis fits, the first reading is reported', () => {
    const r = lm(false, 'torch.randint(0, 100, (35, 4))', 'torch.zeros(3, 4, 32)');
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => /reads an initial state \[2, N, 32\], got a tensor \[N, 4, 32\]/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
  });
});

describe('inputs from summary calls', () => {
  const net = ['import torch', 'import torch.nn as nn', 'model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 30 * 30, 10))'];
  it('torchinfo.summary(model, input_size=(B, C, H, W)) is an example call at batch B', () => {
    const r = analyzeText([...net, 'from torchinfo import summary', 'summary(model, input_size=(16, 3, 32, 32))'].join('\n'));
    const g = r.graphs[0]!;
    assert.equal(g.config.batch, 16);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [10]);
  });
  it('torchsummary.summary(model, (C, H, W)) runs at batch 2, or batch_size', () => {
    assert.equal(analyzeText([...net, 'import torchsummary', 'torchsummary.summary(model, (3, 32, 32))'].join('\n')).graphs[0]!.config.batch, 2);
    assert.equal(analyzeText([...net, 'from torchsummary import summary', 'summary(model, (3, 32, 32), batch_size=8)'].join('\n')).graphs[0]!.config.batch, 8);
  });
});
