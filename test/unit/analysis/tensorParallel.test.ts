// Tensor parallelism read from the graph (analysis/tensorParallel.ts) and what one device holds
// (analysis/pipeline.ts's per-stage figures, perDevice.ts). The model: two pre-layernorm
// transformer layers on [L = 8, d = 16] sequences, 4 heads, a 64-wide GELU MLP, fp32 (4 bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { ConfigOverrides } from '../../../server/src/core/config';
import type { ModelAnalysis } from '../../../server/src/core/document';
import { engineOf } from '../../../server/src/core/analysis/memory';
import { figures, smallTransformer } from './parallelHelpers';
import { perDeviceOfAnalysis, stepTransients, type PerDeviceResult } from '../../../server/src/core/analysis/perDevice';
import { COLUMN, HEADS, REPLICATED, ROW, VOCAB, rankParams, sequenceBuffers, tensorSplitOf, valueDivisors, type TensorSplit } from '../../../server/src/core/analysis/tensorParallel';

function analysed(text: string, overrides: ConfigOverrides = {}): ModelAnalysis {
  const a = analyzeDocument(text, 'nnm', { overrides });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  return a.models[0]!;
}

function splitOf(m: ModelAnalysis, t: number, sp = false): TensorSplit {
  const s = tensorSplitOf(m.graph, t, sp);
  assert.ok(!('error' in s), 'error' in s ? s.error : '');
  return s;
}

function bytesOf(r: PerDeviceResult | undefined) {
  assert.ok(r && 'bytes' in r, r && 'error' in r ? r.error : 'no result');
  return r.bytes;
}

test('roles read from the graph: attention by heads, the MLP pair column then row, norms and adds replicated', () => {
  const m = analysed(smallTransformer(''));
  const s = splitOf(m, 2);
  const roles = m.graph.ops.map((op, i) => `${op.op}:${s.role[i]}`);
  const layer = ['layernorm:0', `attention:${HEADS}`, 'add:0', 'layernorm:0', `dense:${COLUMN}`, 'gelu:0', `dense:${ROW}`, 'add:0'];
  assert.deepEqual(roles, [`input:${REPLICATED}`, ...layer, ...layer]);
  // the split tensors: the column dense's output and the GELU's, each layer
  const split = m.graph.tensors.filter((t) => s.split[t.id] === 1).map((t) => m.graph.ops[t.producer]!.op);
  assert.deepEqual(split, ['dense', 'gelu', 'dense', 'gelu']);
});

test('a dense whose output leaves the elementwise path (two denses read it, it is the output, a reshape) stays replicated', () => {
  const replicated = (body: string): void => {
    const m = analysed(`config { batch: 2 }\nmodel m {\n  x = input(4, 16)\n${body}\n}\n`);
    assert.ok([...splitOf(m, 2).role].every((r) => r === REPLICATED), body);
  };
  replicated('  h = gelu(dense(x, 32))\n  return add(dense(h, 16), dense(h, 16))');
  replicated('  return gelu(dense(x, 32))');
  replicated('  return dense(flatten(relu(dense(x, 32))), 16)');
});

test('SwiGLU: two column denses gated by mul feed one row dense; embeddings vocab-parallel', () => {
  const m = analysed(
    'config { batch: 2 }\nmodel m {\n  t = input(8, dtype: int64)\n  h = embedding(t, 100, 16)\n  return dense(mul(silu(dense(h, 64, bias: false)), dense(h, 64, bias: false)), 16, bias: false)\n}\n',
  );
  const s = splitOf(m, 4);
  assert.deepEqual(m.graph.ops.map((op, i) => `${op.op}:${s.role[i]}`), ['input:0', `embedding:${VOCAB}`, `dense:${COLUMN}`, 'silu:0', `dense:${COLUMN}`, 'mul:0', `dense:${ROW}`]);
  // per device: ceil(100 / 4) = 25 rows x 16 + 16 x 64 / 4 twice + 64 x 16 / 4 = 400 + 256 + 256 + 256
  assert.equal(rankParams(m.graph, s, m.footprint.params).trainable, 1_168);
  // 3 devices: the table's largest share is ceil(100 / 3) = 34 rows (Megatron pads the table); 64 units do not divide
  assert.deepEqual(tensorSplitOf(m.graph, 3, false), { error: 'tensorParallel 3 does not divide the 64 units of the column-parallel dense at line 5' });
});

test('parameters on one device at T = 2: split projections and MLP, whole biases after the all-reduce, whole norms', () => {
  const m = analysed(smallTransformer(''));
  // per layer, whole: 2 layernorms 2 x 32, attention 4 (16^2 + 16) = 1,088, dense 16 x 64 + 64 = 1,088, dense 64 x 16 + 16 = 1,040
  assert.equal(m.footprint.params.trainable, 2 * (64 + 1_088 + 1_088 + 1_040));
  // per device: norms 64; attention (1,088 - 16) / 2 + the out projection's bias 16 = 552;
  // column dense 1,088 / 2 = 544; row dense (1,040 - 16) / 2 + its bias 16 = 528; 1,688 a layer
  assert.equal(rankParams(m.graph, splitOf(m, 2), m.footprint.params).trainable, 2 * 1_688);
  const r = perDeviceOfAnalysis(m.footprint.params, m.graph.config, m.memory!, {
    devices: 4, zero: 1, offload: 'none', gradientAccumulation: 1, tensorParallel: 2, sequenceParallel: false, pipeline: 1, microbatches: 1,
  });
  const b = bytesOf(r);
  // fp32 weights and gradients 4 bytes; Adam's two fp32 slots sharded by ZeRO-1 over the 4 data-parallel devices only
  assert.equal(b.weights, 3_376 * 4);
  assert.equal(b.gradients, 3_376 * 4);
  assert.equal(b.optimizer, Math.ceil(3_376 / 4) * 8);
});

test('saved activations per sample on one device: whole, tensor parallel, tensor + sequence parallel', () => {
  const m = analysed(smallTransformer(''));
  // one layer, fp32, per sample (elements x 4 bytes), what its backward keeps:
  //   layernorm 1: its input L d = 128 -> 512, mean and rstd 2 L = 16 -> 64
  //   attention: its input 512; q, k, v, attended 4 L d = 512 -> 2,048; probabilities heads L^2 = 256 -> 1,024
  //   layernorm 2: 512 + 64;  dense 1: its input 512;  gelu: its input L x 64 -> 2,048;  dense 2: its input 2,048
  // = 9,344 a layer, 18,688 for two
  assert.deepEqual(figures(m, undefined)[0]!.stash, { fixed: 0, perSample: 18_688 });
  // T = 2: whole 512 + 64 + 512 + 512 + 64 + 512 = 2,176; halved (2,048 + 1,024 + 2,048 + 2,048) / 2 = 3,584; 5,760 a layer
  assert.deepEqual(figures(m, splitOf(m, 2))[0]!.stash, { fixed: 0, perSample: 11_520 });
  // sequence parallel: the whole ones too, along the 8 positions: 9,344 / 2 a layer
  assert.deepEqual(figures(m, splitOf(m, 2, true))[0]!.stash, { fixed: 0, perSample: 9_344 });
});

test('without tensor or pipeline parallelism the per-stage scan gives the liveness figures of every step', () => {
  const m = analysed(smallTransformer(''));
  const whole = stepTransients(engineOf(m.memory!)!.liveness.perStep);
  const one = figures(m, undefined)[0]!;
  assert.deepEqual(one.steps, whole);
  assert.equal(one.inFlight, 1);
});

test('generate mode: each device keeps the KV cache of its 1/T of the key/value heads', () => {
  const m = analysed(smallTransformer('  context: 8\n').replace('mode: train', 'mode: generate'));
  // a layer caches 2 x 8 positions x 16 x 4 bytes = 1,024 per sequence; two layers over T = 2
  assert.equal(figures(m, splitOf(m, 2))[0]!.kvCachePerSample, 1_024);
  assert.equal(figures(m, undefined)[0]!.kvCachePerSample, 2_048);
});

test('a Llama-3-8B layer (grouped-query attention, SwiGLU, no biases) over T = 8; T = 16 does not divide its 8 kv_heads', () => {
  const m = analysed(
    'config { batch: 1 }\nblock layer(x) {\n  x = add(x, attention(layernorm(x, center: false), heads: 32, kv_heads: 8, bias: false, causal: true))\n  h = layernorm(x, center: false)\n  return add(x, dense(mul(silu(dense(h, 14336, bias: false)), dense(h, 14336, bias: false)), 4096, bias: false))\n}\nmodel llama {\n  x = input(16, 4096)\n  return layer(x)\n}\n',
  );
  // whole: q and out 4096^2 each, k and v 4096 x 1,024 each = 41,943,040; MLP 3 x 4096 x 14,336 = 176,160,768; norms 2 x 4,096
  assert.equal(m.footprint.params.trainable, 218_112_000);
  // per device: 41,943,040 / 8 + 176,160,768 / 8 + the whole norms 8,192
  assert.equal(rankParams(m.graph, splitOf(m, 8), m.footprint.params).trainable, 5_242_880 + 22_020_096 + 8_192);
  assert.deepEqual(tensorSplitOf(m.graph, 16, false), { error: 'tensorParallel 16 does not divide the 8 kv_heads of attention at line 3' });
});

test('sequence parallelism splits the [L, d] sequences an attention reads, not a flattened vector or a shorter sequence', () => {
  const m = analysed(
    'config { mode: train, batch: 2 }\nmodel m {\n  x = input(8, 16)\n  a = layernorm(add(x, attention(x, heads: 4)))\n  s = input(6, 16)\n  return dense(flatten(a), 4)\n}\n',
  );
  const s = splitOf(m, 2, true);
  const e = engineOf(m.memory!)!;
  const divisors = valueDivisors(m.graph, e.schedule, s);
  const byOp = m.graph.ops.map((op) => `${op.op}:${divisors[e.schedule.activationOf[op.output]!]}`);
  // the [8, 16] input, the attention's output, the add and the layernorm: 1/2; flatten's [128] and the dense's [4]: whole;
  // the [6, 16] input is not a sequence any attention reads
  assert.deepEqual(byOp, ['input:2', 'attention:2', 'add:2', 'layernorm:2', 'input:1', 'flatten:1', 'dense:1']);
});

test("sequence parallelism's communication buffers: the kept all-gather buffer at every step, a row dense's whole output at its steps", () => {
  const m = analysed(smallTransformer(''));
  const s = splitOf(m, 2, true);
  const b = sequenceBuffers(m.graph, engineOf(m.memory!)!.schedule, s)!;
  // ops: input 0, then layernorm 1, attention 2, add 3, layernorm 4, dense 5, gelu 6, dense 7, add 8, ...
  // the attention and the column dense gather their [8, 16] fp32 input whole: 512 B a sample; the row dense's output 512 B
  assert.deepEqual([b.gatheredPerSample[2], b.gatheredPerSample[5], b.rowPerSample[7], b.gatheredPerSample[7], b.rowPerSample[5]], [512, 512, 512, 0, 0]);
  const steps = figures(m, s)[0]!.steps;
  // forward step = op id: the kept buffer (512) at the add; with the attention's scores (4 heads x 8 x 8 x 4 B / 2 = 512)
  // at the attention; with the row dense's whole output (512) at the row dense
  assert.deepEqual([3, 2, 7].map((op) => steps[op]!.workspace.perSample), [512, 1_024, 1_024]);
  // without sequence parallelism there are no such buffers: the scores alone
  const plain = figures(m, splitOf(m, 2))[0]!.steps;
  assert.deepEqual([3, 2, 7].map((op) => plain[op]!.workspace.perSample), [0, 512, 0]);
});
