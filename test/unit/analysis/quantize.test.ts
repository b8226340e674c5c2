// quantize: frozen dense and attention-projection matrices stored as bitsandbytes stores them
// (analysis/quantize.ts; what is counted and the sources: docs/finetune.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { engineOf } from '../../../server/src/core/analysis/memory';
import { parseConfigSetting } from '../../../server/src/core/dsl/config';
import { toJsonReport } from '../../../server/src/report/json';

const LORA_DENSE = (quantize: string) => `config {
  mode: train
  batch: 1
  precision: fp16
  optimizer: adam
  quantize: ${quantize}
}
model m {
  return dense(input(4, 256), 128, lora: lora(rank: 4))
}`;

function model(text: string) {
  const a = analyzeDocument(text, 'nnm');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0]!;
}

// the frozen base: a 128 x 256 matrix (32,768 weights) and 128 biases; adapters 4 x (256 + 128) = 1,536
const ADAPTERS = 1536 * 2;
const BIAS = 128 * 2;

describe('quantize: the frozen matrices as bitsandbytes stores them', () => {
  it('none: every weight at the weight dtype (fp16)', () => {
    assert.deepEqual(model(LORA_DENSE('none')).footprint.bytes.weights, { fixed: ADAPTERS + BIAS + 32_768 * 2, perSample: 0 });
  });

  it('int8 (Linear8bitLt): 1 B per weight + an fp32 scale per output row', () => {
    const m = model(LORA_DENSE('int8'));
    assert.equal(m.footprint.params.quantized, 32_768);
    assert.equal(m.footprint.params.quantizedBytes, 32_768 + 128 * 4);
    assert.deepEqual(m.footprint.bytes.weights, { fixed: ADAPTERS + BIAS + 33_280, perSample: 0 });
  });

  it('nf4 (Linear4bit): half a byte per weight, an fp32 absmax per 64 weights, the 16-value fp32 code', () => {
    // 16,384 packed + 512 blocks x 4 + 64 = 18,496
    assert.equal(model(LORA_DENSE('nf4')).footprint.params.quantizedBytes, 18_496);
    assert.deepEqual(model(LORA_DENSE('nf4')).footprint.bytes.weights, { fixed: ADAPTERS + BIAS + 18_496, perSample: 0 });
  });

  it('nf4-dq: an 8-bit absmax per block, an fp32 absmax per 256 blocks, the fp32 offset, the code', () => {
    // 16,384 + 512 x 1 + ceil(512 / 256) x 4 + 4 + 64 = 16,972
    assert.equal(model(LORA_DENSE('nf4-dq')).footprint.params.quantizedBytes, 16_972);
  });

  it('the dequantised weight is workspace of the frozen op (out x in at the compute dtype), forward and backward', () => {
    const m = model(LORA_DENSE('nf4'));
    const engine = engineOf(m.memory!)!;
    // op 1 is the frozen base dense
    assert.deepEqual(engine.schedule.opInfo[1]!.workspace, { fixed: 32_768 * 2, perSample: 0 });
    // the adapters are trainable: not quantised, no workspace
    assert.deepEqual(engine.schedule.opInfo[2]!.workspace, { fixed: 0, perSample: 0 });
  });

  it('trainable weights, embeddings and norms are never quantised', () => {
    const text = `config {\n  quantize: nf4\n}\nmodel m {\n  t = embedding(input(8, dtype: int64), 1000, 64, frozen: true)\n  return dense(layernorm(t, frozen: true), 64)\n}`;
    const m = model(text);
    assert.equal(m.footprint.params.quantized, undefined);
    // fp32: embedding 64,000 + layernorm 128 frozen, dense 4,160 trainable, 4 bytes each
    assert.deepEqual(m.footprint.bytes.weights, { fixed: (64_000 + 128 + 4160) * 4, perSample: 0 });
  });

  it('attention with LoRA: the four projections quantised at their GQA widths', () => {
    const text = `config {\n  precision: bf16\n  quantize: nf4\n}\nmodel m {\n  return attention(input(16, 512), 8, kv_heads: 2, bias: false, lora: lora(rank: 8))\n}`;
    const m = model(text);
    // q, o 512 x 512; k, v 128 x 512 (2 kv heads of 64)
    const matrices = [512 * 512, 512 * 512, 128 * 512, 128 * 512];
    assert.equal(m.footprint.params.quantized, matrices.reduce((a, b) => a + b));
    const nf4 = (n: number) => n / 2 + (n / 64) * 4 + 64;
    assert.equal(m.footprint.params.quantizedBytes, matrices.map(nf4).reduce((a, b) => a + b));
  });

  it('a bad value is a config diagnostic; nf4-dq is read with its dash', () => {
    assert.deepEqual(parseConfigSetting('quantize', 'nf4-dq'), { value: { quantize: 'nf4-dq' } });
    assert.deepEqual(parseConfigSetting('quantize', 'nf5'), { error: "'nf5' is not a valid quantize; expected none | int8 | nf4 | nf4-dq; did you mean 'nf4'?" });
    const a = analyzeDocument('config {\n  quantize: fp4\n}\nmodel m {\n  return dense(input(4), 2)\n}', 'nnm');
    assert.deepEqual(a.diagnostics.map((d) => `${d.code} ${d.message}`), ["NNM141 'fp4' is not a valid quantize; expected none | int8 | nf4 | nf4-dq"]);
  });
});

describe('quantize: the JSON report', () => {
  it('config.quantize and params.quantized / quantizedBytes when some frozen weights are quantised; absent otherwise', () => {
    const json = toJsonReport('m.nnm', analyzeDocument(LORA_DENSE('nf4'), 'nnm')).models[0]!;
    assert.equal(json.config.quantize, 'nf4');
    assert.deepEqual(json.params, { trainable: 1536, nonTrainable: 32_896, frozen: 32_896, quantized: 32_768, quantizedBytes: 18_496 });
    assert.equal(json.bytes.weights, ADAPTERS + BIAS + 18_496);
    const plain = toJsonReport('m.nnm', analyzeDocument(LORA_DENSE('none'), 'nnm')).models[0]!;
    assert.equal('quantize' in plain.config, false);
    assert.deepEqual(plain.params, { trainable: 1536, nonTrainable: 32_896, frozen: 32_896 });
  });
});
