// Every file in examples/ reproduces a published (or hand-derived) parameter count exactly.
// The derivation of each count is in the header comment of the example itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../server/src/core/analyze';
import type { DocumentAnalysis, ModelAnalysis } from '../../server/src/core/document';
import { generateModel } from '../../bench/generate';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

interface Expected {
  readonly file: string;
  readonly model: string;
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly output: readonly number[];
  readonly activationElementsPerSample: number;
}

// Activation elements per sample = the sum of every op's output elements, the input included
// (footprint.ts: one buffer per forward output, no reuse, views such as flatten counted too).
const CASES: readonly Expected[] = [
  {
    file: 'mlp.nnm',
    model: 'mlp',
    trainable: 235_146,
    nonTrainable: 0,
    output: [10],
    // input 784 + dense 256 + relu 256 + dense 128 + relu 128 + dense 10
    activationElementsPerSample: 784 + 256 + 256 + 128 + 128 + 10,
  },
  {
    file: 'lenet.nnm',
    model: 'lenet5',
    trainable: 61_706,
    nonTrainable: 0,
    output: [10],
    // input 1x32x32 = 1,024; conv 6x28x28 = 4,704, tanh 4,704, avgpool 6x14x14 = 1,176;
    // conv 16x10x10 = 1,600, tanh 1,600, avgpool 16x5x5 = 400; flatten 400;
    // dense 120 + tanh 120, dense 84 + tanh 84, dense 10
    activationElementsPerSample: 1024 + 4704 * 2 + 1176 + 1600 * 2 + 400 + 400 + 120 * 2 + 84 * 2 + 10,
  },
  {
    file: 'resnet50.nnm',
    model: 'resnet50',
    trainable: 25_557_032,
    nonTrainable: 53_120,
    output: [1000],
    // torchvision's leaf-module outputs are 32,040,424 per sample (the ~32.0M of the memory model);
    // memlens also counts the input (3x224x224 = 150,528) and the 16 residual adds
    // (3 x 256x56x56 + 4 x 512x28x28 + 6 x 1024x14x14 + 3 x 2048x7x7 = 5,519,360)
    activationElementsPerSample: 32_040_424 + 150_528 + 5_519_360,
  },
  {
    file: 'vgg16.nnm',
    model: 'vgg16',
    trainable: 138_357_544,
    nonTrainable: 0,
    output: [1000],
    // conv + relu outputs 2 x (2x64x224^2 + 2x128x112^2 + 3x256x56^2 + 3x512x28^2 + 3x512x14^2)
    // = 2 x 13,547,520 = 27,095,040; maxpools 802,816 + 401,408 + 200,704 + 100,352 + 25,088
    // = 1,530,368; input 150,528; flatten 25,088; classifier 2 x 3 x 4,096 + 1,000 = 25,576
    activationElementsPerSample: 27_095_040 + 1_530_368 + 150_528 + 25_088 + 25_576,
  },
  {
    file: 'mobilenet_v2.nnm',
    model: 'mobilenet_v2',
    trainable: 3_504_872,
    nonTrainable: 34_112,
    output: [1000],
    // conv/bn/relu6 triples, projections (conv + bn) and residual adds over the 17 inverted
    // residual blocks at 112..7 resolution, plus input 150,528, pooled 1,280, dropout 1,280,
    // dense 1,000 (derived by a script walking torchvision's block table; the network's
    // activations are dominated by the 96x112x112 and 144x56x56 expansions)
    activationElementsPerSample: 19_832_488,
  },
  {
    file: 'lstm_text.nnm',
    model: 'lstm_text',
    trainable: 2_202_114,
    nonTrainable: 0,
    output: [2],
    // token ids 200; embedding 200x128 = 25,600, dropout 25,600; lstm sequence 200x256 = 51,200;
    // lstm last state 256, dropout 256; dense 2
    activationElementsPerSample: 200 + 25_600 * 2 + 51_200 + 256 * 2 + 2,
  },
  {
    file: 'transformer_encoder.nnm',
    model: 'bert_base_encoder',
    trainable: 108_891_648,
    nonTrainable: 0,
    output: [128, 768],
    // three id inputs 3 x 128; three embeddings, their add, layernorm, dropout: 6 x 128x768
    // (98,304 each); per layer: attention, dropout, add, layernorm, dense 768, dropout, add,
    // layernorm = 8 x 98,304, and dense 3072 + gelu = 2 x 128x3072 (393,216 each)
    activationElementsPerSample: 3 * 128 + 6 * 98_304 + 12 * (8 * 98_304 + 2 * 393_216),
  },
  {
    file: 'gpt2_generate.nnm',
    model: 'gpt2_small',
    trainable: 124_439_808,
    nonTrainable: 0,
    output: [1024, 768],
    // two id inputs 2 x 1,024; two embeddings and their add: 3 x 1024x768 (786,432 each); per layer:
    // layernorm, attention, add, layernorm, dense 768, add = 6 x 786,432, and dense 3072 + gelu =
    // 2 x 1024x3072 (3,145,728 each); the final layernorm 786,432
    activationElementsPerSample: 2 * 1024 + 3 * 786_432 + 12 * (6 * 786_432 + 2 * 3_145_728) + 786_432,
  },
  {
    file: 'megatron_gpt_layer.nnm',
    model: 'megatron_gpt_layer',
    trainable: 201_379_840,
    nonTrainable: 0,
    output: [2048, 4096],
    // s h = 2048 x 4096 = 8,388,608: the input, layernorm, attention, dropout, add, layernorm, the
    // second dense, dropout, add (9 s h) and the first dense and gelu (4 s h each)
    activationElementsPerSample: 17 * 8_388_608,
  },
];

function analyzeExample(file: string): DocumentAnalysis {
  return analyzeDocument(readFileSync(join(EXAMPLES, file), 'utf8'), 'nnm');
}

function onlyModel(result: DocumentAnalysis, name: string): ModelAnalysis {
  assert.equal(result.models.length, 1, 'one model per example');
  const model = result.models[0]!;
  assert.equal(model.graph.name, name);
  return model;
}

for (const expected of CASES) {
  test(`${expected.file} reproduces its reference figures`, () => {
    const result = analyzeExample(expected.file);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errors.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code} ${d.message}`),
      [],
    );
    const { graph, footprint } = onlyModel(result, expected.model);
    assert.deepEqual(footprint.params, { trainable: expected.trainable, nonTrainable: expected.nonTrainable });
    assert.equal(graph.outputs.length, 1);
    assert.deepEqual(graph.tensors[graph.outputs[0]!]!.shape, expected.output);
    assert.equal(footprint.activationElementsPerSample, expected.activationElementsPerSample);
    assert.equal(footprint.overflow, false);
  });
}

test('mlp.nnm footprint bytes follow its config (fp32, Adam, train)', () => {
  const { footprint } = onlyModel(analyzeExample('mlp.nnm'), 'mlp');
  const params = 235_146;
  assert.deepEqual(footprint.bytes.weights, { fixed: params * 4, perSample: 0 });
  assert.deepEqual(footprint.bytes.gradients, { fixed: params * 4, perSample: 0 });
  // Adam keeps two fp32 moments per weight
  assert.deepEqual(footprint.bytes.optimizer, { fixed: params * 2 * 4, perSample: 0 });
  assert.deepEqual(footprint.bytes.activations, { fixed: 0, perSample: 1562 * 4 });
  assert.deepEqual(footprint.bytes.total, { fixed: params * 16, perSample: 1562 * 4 });
});

test('lenet.nnm: SGD with momentum keeps one state value per weight', () => {
  const { footprint } = onlyModel(analyzeExample('lenet.nnm'), 'lenet5');
  assert.deepEqual(footprint.bytes.optimizer, { fixed: 61_706 * 4, perSample: 0 });
});

test('transformer_encoder.nnm: mixed precision and AdamW; int64 token ids stay 8 bytes', () => {
  const { footprint } = onlyModel(analyzeExample('transformer_encoder.nnm'), 'bert_base_encoder');
  const params = 108_891_648;
  // mixed (Micikevicius et al.): fp16 weights and gradients; fp32 master copy and two fp32 Adam moments
  assert.deepEqual(footprint.bytes.weights, { fixed: params * 2, perSample: 0 });
  assert.deepEqual(footprint.bytes.gradients, { fixed: params * 2, perSample: 0 });
  assert.deepEqual(footprint.bytes.optimizer, { fixed: params * (4 + 2 * 4), perSample: 0 });
  // three int64 id inputs of 128 tokens; every other activation in fp16
  const elements = 3 * 128 + 6 * 98_304 + 12 * (8 * 98_304 + 2 * 393_216);
  assert.deepEqual(footprint.bytes.activations, { fixed: 0, perSample: 3 * 128 * 8 + (elements - 3 * 128) * 2 });
});

test('the generated models of the bench are valid and have exactly the requested op count', () => {
  for (const ops of [2, 5, 1000]) {
    const result = analyzeDocument(generateModel(ops), 'nnm');
    // advice (in-place, precision hints) is fine; nothing may be wrong with the model
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning'), []);
    const { graph, footprint } = onlyModel(result, `generated_${ops}`);
    assert.equal(graph.ops.length, ops);
    assert.deepEqual(graph.tensors[graph.outputs[0]!]!.shape, [64]);
    // floor((ops - 1) / 4) residual units of two dense 64->64 layers (64*64 + 64 = 4,160 each)
    assert.equal(footprint.params.trainable, Math.floor((ops - 1) / 4) * 2 * 4160);
  }
});

test('llama_lora.nnm: a 7B Llama-style model with LoRA on q and v over NF4 double-quantised weights', () => {
  const { footprint, memory } = onlyModel(analyzeExample('llama_lora.nnm'), 'llama_7b_qlora');
  // the header's counts: 7,241,732,096 base weights, all frozen; 32 x 212,992 = 6,815,744 LoRA weights
  const base = 7_241_732_096;
  const matrices = [
    ...Array.from({ length: 32 }, () => [4096 * 4096, 4096 * 1024, 4096 * 1024, 4096 * 4096, 4096 * 14336, 4096 * 14336, 14336 * 4096]).flat(),
    32_000 * 4096,
  ];
  // nf4-dq per matrix of n weights: n / 2 packed, an 8-bit absmax per 64, an fp32 absmax per 256
  // blocks, the fp32 offset and the 16-value fp32 code
  const nf4dq = (n: number) => n / 2 + n / 64 + 4 * Math.ceil(n / 64 / 256) + 4 + 64;
  const quantized = matrices.reduce((a, b) => a + b, 0);
  const quantizedBytes = matrices.map(nf4dq).reduce((a, b) => a + b, 0);
  assert.deepEqual(footprint.params, { trainable: 6_815_744, nonTrainable: base, frozen: base, quantized, quantizedBytes });
  // mixed: fp16 for the adapters and the unquantised frozen weights (embedding, norms)
  assert.deepEqual(footprint.bytes.weights, { fixed: (6_815_744 + base - quantized) * 2 + quantizedBytes, perSample: 0 });
  assert.deepEqual(footprint.bytes.gradients, { fixed: 6_815_744 * 2, perSample: 0 });
  // AdamW's two fp32 moments and the fp32 master copy, for the adapters only
  assert.deepEqual(footprint.bytes.optimizer, { fixed: 6_815_744 * 12, perSample: 0 });
  // tokens 512; embedding and final norm 512 x 4,096 each; output 512 x 32,000; per layer six
  // 512 x 4,096 outputs (norm, attention, add, norm, down, add) and four 512 x 14,336 (gate, silu, up, mul)
  assert.equal(footprint.activationElementsPerSample, 512 + 2 * 2_097_152 + 16_384_000 + 32 * (6 * 2_097_152 + 4 * 7_340_032));
  assert.ok(memory!.bytes.planned < 24 * 2 ** 30, 'it fits the 24 GiB card');
});
