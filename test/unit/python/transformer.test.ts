// nn.Transformer, TransformerEncoder/Decoder(Layer) and cross-attention in nn.MultiheadAttention
// against torch 1.13: the parameter tree and every module call's shapes from
// test/fixtures/python/transformer_oracle.json (written by scripts/transformer_oracle.py).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { collectModules, collectParameters } from '../../../server/src/core/python/modules';
import type { PythonAnalysis } from '../../../server/src/core/python/frontend';
import { analyzeFixture, analyzeText, FIXTURES, ready } from './helpers';

interface OracleModel {
  readonly params: { trainable: number; frozen: number; buffers: number };
  readonly named: readonly (readonly [string, readonly number[]])[];
  readonly calls: Readonly<Record<string, readonly (readonly (readonly number[])[])[]>>;
  readonly output: readonly (readonly number[])[];
  readonly batch: number;
  readonly batchAxis: number;
}

const oracle = JSON.parse(readFileSync(join(FIXTURES, 'transformer_oracle.json'), 'utf8')) as { models: Record<string, OracleModel> };

before(ready);

function modelOf(r: PythonAnalysis): PythonAnalysis['modules'][number] {
  const m = r.modules.find((x) => x.name === 'model');
  assert.ok(m, r.diagnostics.map((d) => d.message).join('; '));
  return m;
}

describe('nn.Transformer family against torch 1.13 (transformer_oracle.json)', () => {
  for (const [file, m] of Object.entries(oracle.models)) {
    it(`${file}: named parameters, counts, output and every module call's shapes`, () => {
      const r = analyzeFixture(`transformer/${file}`);
      const model = modelOf(r);
      assert.deepEqual({ trainable: model.counts.trainable, frozen: model.counts.frozen, buffers: model.counts.buffers }, m.params);
      // the module tree: torch's names, shapes and order (layers.0.self_attn.in_proj_weight ...)
      assert.deepEqual(collectParameters(model.instance).map((p) => [p.name, [...p.param.shape]]), m.named);
      const graph = r.graphs.find((g) => g.name === 'model');
      assert.ok(graph, r.diagnostics.map((d) => d.message).join('; '));
      assert.deepEqual(computeFootprint(graph).params, { trainable: m.params.trainable, nonTrainable: m.params.frozen + m.params.buffers });
      assert.equal(graph.config.batch, m.batch);
      const trace = r.traces.find((t) => t.name === 'model')!;
      const atBatch = (shape: readonly number[], batchAxis: number): number[] => shape.map((d, i) => (i === batchAxis ? d * m.batch : d));
      const out = trace.output![0]!;
      assert.equal(out.batchAxis, m.batchAxis);
      assert.deepEqual(atBatch(out.shape, out.batchAxis), m.output[0]);
      // every layer memlens models (Linear, LayerNorm, Dropout, MultiheadAttention, ...) is called as often as in torch, with its shapes
      let compared = 0;
      for (const { name, module } of collectModules(model.instance)) {
        if (!name || !module.cls.layer || module.cls.layer.container) continue;
        const torchCalls = m.calls[name];
        assert.ok(torchCalls, `${name} is not a module of torch's model`);
        const ours = trace.moduleCalls.filter((c) => c.module === name);
        assert.equal(ours.length, torchCalls.length, `${name}: ${ours.length} calls, torch ${torchCalls.length}`);
        torchCalls.forEach((tensors, k) => {
          const t = ours[k]!.outputs[0]!;
          assert.deepEqual(atBatch(t.shape, t.batchAxis), tensors[0], `${name} call ${k}`);
          compared++;
        });
      }
      assert.ok(compared >= 2, `only ${compared} calls compared`);
    });
  }
});

describe('the ops a Transformer becomes', () => {
  it('a decoder layer: self-attention over the target with its mask, cross-attention over the memory (S = 12 keys)', () => {
    const r = analyzeFixture('transformer/cross_decoder.py');
    const graph = r.graphs.find((g) => g.name === 'model')!;
    const shapeOf = (id: number): readonly number[] => graph.tensors[id]!.shape;
    const self = graph.ops.filter((o) => o.op === 'attention');
    const cross = graph.ops.filter((o) => o.op === 'cross_attention');
    assert.equal(self.length, 2);
    assert.equal(cross.length, 2);
    // the target [9, 64] and its causal mask [9, 9], per sample
    assert.deepEqual(self[0]!.inputs.map(shapeOf), [[9, 64], [9, 9]]);
    // the queries, then the memory as keys and as values: one tensor read twice
    assert.deepEqual(cross[0]!.inputs.map(shapeOf), [[9, 64], [12, 64], [12, 64]]);
    assert.equal(cross[0]!.inputs[1], cross[0]!.inputs[2]);
    assert.deepEqual(graph.tensors[cross[0]!.output]!.shape, [9, 64]);
  });

  it('a key padding mask [N, T] reaches the attention as [T] per sample; the encoder layers of a stack are separate copies', () => {
    const r = analyzeFixture('transformer/prenorm_encoder.py');
    const graph = r.graphs.find((g) => g.name === 'model')!;
    const attn = graph.ops.filter((o) => o.op === 'attention');
    assert.equal(attn.length, 3);
    assert.deepEqual(attn.map((o) => o.inputs.map((t) => graph.tensors[t]!.shape)), [0, 1, 2].map(() => [[24, 64], [24]]));
    assert.equal(graph.tensors[attn[0]!.inputs[1]!]!.dtype, 'bool');
  });

  it('kdim / vdim: q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim] and the cross_attention op', () => {
    const r = analyzeFixture('transformer/mha_kdim.py');
    const graph = r.graphs.find((g) => g.name === 'model')!;
    const op = graph.ops.find((o) => o.op === 'cross_attention')!;
    assert.deepEqual(op.inputs.map((t) => graph.tensors[t]!.shape), [[9, 64], [12, 32], [12, 48]]);
    assert.equal(op.params.trainable, 64 * (2 * 64 + 32 + 48) + 4 * 64);
  });
});

const HEAD = 'import torch\nimport torch.nn as nn\n';

describe('Transformer errors and limits', () => {
  it('cross-attention whose key features are not kdim, or whose keys and values differ in length, is NNM403 (torch raises)', () => {
    const wrongKdim = analyzeText(`${HEAD}model = nn.MultiheadAttention(64, 4, kdim=32, batch_first=True)\nq = torch.randn(2, 9, 64)\nk = torch.randn(2, 12, 40)\nout = model(q, k, k)\n`);
    assert.ok(wrongKdim.diagnostics.some((d) => d.code === 'NNM403' && d.severity === 'error' && /expects a key of 32 features \(kdim\)/.test(d.message)), JSON.stringify(wrongKdim.diagnostics));
    const lengths = analyzeText(`${HEAD}model = nn.MultiheadAttention(64, 4, batch_first=True)\nq = torch.randn(2, 9, 64)\nk = torch.randn(2, 12, 64)\nv = torch.randn(2, 10, 64)\nout = model(q, k, v)\n`);
    assert.ok(lengths.diagnostics.some((d) => d.code === 'NNM403' && /key .* and value .* have different lengths/.test(d.message)), JSON.stringify(lengths.diagnostics));
  });

  it("a decoder given a memory of another width than d_model is NNM403 at the cross-attention", () => {
    const text = `${HEAD}class D(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(64, 4, 128, batch_first=True), 2)\n    def forward(self, t, m):\n        return self.dec(t, m)\nmodel = D()\nt = torch.randn(2, 9, 64)\nm = torch.randn(2, 12, 32)\nout = model(t, m)\n`;
    const r = analyzeText(text);
    assert.ok(r.diagnostics.some((d) => d.code === 'NNM403' && /multihead_attn.*expects a key of 64 features/.test(d.message)), JSON.stringify(r.diagnostics));
  });

  it('a mask that does not cover the keys is NNM403 from the registry', () => {
    const text = `${HEAD}class E(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 1)\n    def forward(self, x):\n        mask = nn.Transformer.generate_square_subsequent_mask(8)\n        return self.enc(x, mask=mask)\nmodel = E()\nx = torch.randn(2, 9, 64)\nout = model(x)\n`;
    const r = analyzeText(text);
    assert.ok(r.diagnostics.some((d) => d.code === 'NNM403' && /a mask's last axis must be the 9 keys, got \[8, 8\]/.test(d.message)), JSON.stringify(r.diagnostics));
  });

  it("an activation string other than 'relu' / 'gelu' is NNM401 and leaves the parameters unknown, never a count without it", () => {
    const text = `${HEAD}model = nn.TransformerEncoderLayer(64, 4, activation='tanh')\nx = torch.randn(10, 2, 64)\nout = model(x)\n`;
    const r = analyzeText(text);
    const d = r.diagnostics.find((x) => x.code === 'NNM401' && /activation should be relu\/gelu, not tanh/.test(x.message));
    assert.ok(d, JSON.stringify(r.diagnostics));
    assert.match(d.message, /its parameters and activations are not known/);
    assert.equal(r.graphs.length, 0);
    // 'gelu' and 'relu' are known: the same layer is analysed
    assert.equal(analyzeText(text.replace("'tanh'", "'gelu'")).graphs.length, 1);
  });

  it('nn.Transformer() has torch 1.13 defaults: 6 + 6 layers of d_model 512, dim_feedforward 2048, with the final norms (44,140,544 parameters)', () => {
    const r = analyzeText(`${HEAD}model = nn.Transformer()\n`);
    const m = modelOf(r);
    // encoder layer 3,152,384; decoder layer 4,204,032; two final LayerNorms of 1,024 (torch 1.13's count)
    assert.equal(m.counts.trainable, 6 * 3_152_384 + 6 * 4_204_032 + 2 * 1_024);
    const names = collectParameters(m.instance).map((p) => p.name);
    assert.equal(names[0], 'encoder.layers.0.self_attn.in_proj_weight');
    assert.ok(names.includes('decoder.layers.5.multihead_attn.out_proj.bias'));
    assert.equal(names[names.length - 1], 'decoder.norm.bias');
    // the layer bound inside nn.Transformer's constructor is a part of it, not a model of its own
    assert.deepEqual(r.modules.map((x) => x.name), ['model']);
  });
});

describe('masks given to the model call, is_causal', () => {
  it('a mask made outside the model and passed to its call is an input the batch shares, never a batched one', () => {
    const text = `${HEAD}model = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)\nsrc = torch.randn(10, 4, 32)\ntgt = torch.randn(7, 4, 32)\nmask = nn.Transformer.generate_square_subsequent_mask(7)\nout = model(src, tgt, tgt_mask=mask)\n`;
    const g = analyzeText(text).graphs[0];
    assert.ok(g);
    assert.equal(g.config.batch, 4);
    // the decoder's self-attention reads it: [7, 7], batch-independent
    const masked = g.ops.filter((o) => o.op === 'attention' && o.inputs.length === 2);
    assert.equal(masked.length, 1);
    const mask = g.tensors[masked[0]!.inputs[1]!]!;
    assert.deepEqual([mask.shape, mask.batchIndependent], [[7, 7], true]);
    // the same call without the mask: the same ops less the mask's input
    const plain = analyzeText(text.replace(', tgt_mask=mask', '')).graphs[0];
    assert.ok(plain);
    assert.equal(plain.ops.length, g.ops.length - 1);
  });

  it("torch 2's is_causal keywords are accepted and change nothing", () => {
    const text = `${HEAD}class E(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 2)\n    def forward(self, x):\n        mask = nn.Transformer.generate_square_subsequent_mask(x.size(1))\n        return self.enc(x, mask=mask, is_causal=True)\nmodel = E()\nx = torch.randn(2, 9, 64)\nout = model(x)\n`;
    const causal = analyzeText(text).graphs[0];
    const plain = analyzeText(text.replace(', is_causal=True', '')).graphs[0];
    assert.ok(causal && plain);
    assert.equal(computeFootprint(causal).params.trainable, computeFootprint(plain).params.trainable);
    assert.deepEqual(causal.ops.map((o) => o.op), plain.ops.map((o) => o.op));
  });
});
