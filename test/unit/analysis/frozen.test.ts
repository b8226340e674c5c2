// Frozen weights (`frozen: true` on an op, block call or repeat): no gradient and no optimizer state,
// stored as weights (the weight dtype), and what only their gradient reads is not saved. The saved
// activations are checked against torch 1.13's autograd (scripts/frozen_oracle.py ->
// test/fixtures/frozen/saved.json: the storages saved_tensors_hooks packs, parameters left out).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { engineOf } from '../../../server/src/core/analysis/memory';
import type { ModelAnalysis } from '../../../server/src/core/document';
import { formatReport } from '../../../server/src/report/text';

interface OracleCase {
  readonly trainable: number;
  readonly frozen: number;
  readonly savedPerSample: number;
  readonly savedFixed: number;
}
const ORACLE = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'frozen', 'saved.json'), 'utf8')) as { cases: Record<string, OracleCase> };

const TRAIN = 'config { mode: train\n batch: 2\n precision: fp32\n optimizer: sgd }\n';

function model(text: string): ModelAnalysis {
  const a = analyzeDocument(text, 'nnm');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0]!;
}

/** bytes per sample the backward keeps, live when the forward ends */
function savedPerSample(m: ModelAnalysis): number {
  const engine = engineOf(m.memory!);
  assert.ok(engine);
  return engine.liveness.perStep[engine.schedule.forwardEnd]!.savedActivations.perSample;
}

/** the .nnm twins of the oracle's models */
const MLP = (f: readonly boolean[]) => `${TRAIN}model m {
  x = input(4, 32)
  x = gelu(dense(x, 64${f[0] ? ', frozen: true' : ''}))
  x = gelu(dense(x, 64${f[1] ? ', frozen: true' : ''}))
  return dense(x, 10${f[2] ? ', frozen: true' : ''})
}`;
const NNM: Record<string, string> = {
  mlp_trainable: MLP([false, false, false]),
  mlp_frozen_tail: MLP([false, true, true]),
  mlp_frozen_head: MLP([true, true, false]),
  attention_trainable: `${TRAIN}model m {\n  h = dense(input(6, 16), 16)\n  return attention(h, 4)\n}`,
  attention_frozen: `${TRAIN}model m {\n  h = dense(input(6, 16), 16)\n  return attention(h, 4, frozen: true)\n}`,
  embedding_frozen: `${TRAIN}model m {\n  e = embedding(input(5, dtype: int64), 50, 16, frozen: true)\n  return dense(e, 8)\n}`,
  conv_frozen: `${TRAIN}model m {\n  x = input(3, 10, 10)\n  return conv2d(conv2d(x, 8, 3), 8, 3, frozen: true)\n}`,
  lora_linear: `${TRAIN}model m {\n  return dense(input(4, 32), 48, lora: lora(rank: 4, alpha: 8))\n}`,
  lora_mlp: `${TRAIN}model m {\n  x = gelu(dense(input(4, 32), 64, frozen: true))\n  return dense(x, 48, lora: lora(rank: 4, alpha: 8))\n}`,
  lora_attention: `${TRAIN}model m {\n  h = dense(input(6, 16), 16)\n  return attention(h, 4, lora: lora(rank: 2, alpha: 4))\n}`,
};

describe('frozen weights and LoRA adapters against torch 1.13 autograd', () => {
  for (const [name, text] of Object.entries(NNM)) {
    it(`${name}: parameters and saved bytes per sample as torch saves them`, () => {
      const expected = ORACLE.cases[name]!;
      const m = model(text);
      assert.equal(m.footprint.params.trainable, expected.trainable);
      assert.equal(m.footprint.params.frozen ?? 0, expected.frozen);
      assert.equal(savedPerSample(m), expected.savedPerSample);
    });
  }

  it('the hand count of the frozen tail: x, then each gelu input; the frozen dense layers keep no input', () => {
    // fp32: x 4 x 32 (the first dense's weight gradient) + 4 x 64 + 4 x 64 (the gelus' inputs) = 640 elements
    assert.equal(savedPerSample(model(NNM['mlp_frozen_tail']!)), 640 * 4);
    // all trainable: the two gelu outputs as the next dense layers' inputs too, 1,152 elements
    assert.equal(savedPerSample(model(NNM['mlp_trainable']!)), 1152 * 4);
  });

  it('a frozen attention keeps q, k, v and the probabilities, not its input or the attended values', () => {
    // L 6, d 16, 4 heads: q, k, v 3 x 96 + probabilities 4 x 36 = 432 elements, plus the dense's input 96
    assert.equal(savedPerSample(model(NNM['attention_frozen']!)), (432 + 96) * 4);
  });
});

describe('frozen: the model states', () => {
  const MIXED = 'config { mode: train\n batch: 1\n precision: mixed\n optimizer: adam }\n';

  it('frozen weights are weights at the weight dtype, with no gradient or optimizer state', () => {
    const m = model(`${MIXED}model m {\n  x = dense(input(100), 200, frozen: true)\n  return dense(x, 10)\n}`);
    // frozen 100 x 200 + 200 = 20,200; trainable 200 x 10 + 10 = 2,010
    assert.deepEqual(m.footprint.params, { trainable: 2010, nonTrainable: 20_200, frozen: 20_200 });
    // mixed: 2 bytes per weight, frozen or not; fp32 buffers only for real buffers (none here)
    assert.deepEqual(m.footprint.bytes.weights, { fixed: (2010 + 20_200) * 2, perSample: 0 });
    assert.deepEqual(m.footprint.bytes.buffers, { fixed: 0, perSample: 0 });
    assert.deepEqual(m.footprint.bytes.gradients, { fixed: 2010 * 2, perSample: 0 });
    // Adam: 2 fp32 slots + the fp32 master copy, for the trainable weights only
    assert.deepEqual(m.footprint.bytes.optimizer, { fixed: 2010 * 12, perSample: 0 });
  });

  it('frozen: true on a block call and on a repeat freezes every op inside; a norm keeps its buffers apart', () => {
    const text = `${MIXED}block layer(x) {\n  return dense(batchnorm(x), 8)\n}\nmodel m {\n  x = input(8)\n  x = layer(x, frozen: true)\n  x = repeat 2 layer(x, frozen: true)\n  return layer(x)\n}`;
    const m = model(text);
    // each layer: batchnorm 8 + 8 learned (gamma, beta) and 2 x 8 running statistics; dense 8 x 8 + 8 = 72
    // three frozen layers: (16 + 72) x 3 = 264 frozen; the last layer's 88 trainable
    assert.equal(m.footprint.params.trainable, 88);
    assert.equal(m.footprint.params.frozen, 264);
    assert.equal(m.footprint.params.nonTrainable, 264 + 4 * 16);
    // the running statistics stay fp32 buffers under mixed: 4 layers x 16 x 4 bytes
    assert.deepEqual(m.footprint.bytes.buffers, { fixed: 4 * 16 * 4, perSample: 0 });
  });

  it("frozen: a value that is not a boolean is an argument-type error, and the call is kept", () => {
    const a = analyzeDocument(`${TRAIN}model m {\n  return dense(input(8), 4, frozen: 3)\n}`, 'nnm');
    const d = a.diagnostics.filter((x) => x.severity === 'error');
    assert.deepEqual(d.map((x) => x.message), ["'frozen' must be true or false, got the integer 3"]);
    assert.equal(a.models[0]!.footprint.params.trainable, 36);
  });

  it('with every weight frozen a model trains nothing: no backward, no gradients', () => {
    const m = model(`${TRAIN}model m {\n  return dense(input(8), 4, frozen: true)\n}`);
    assert.equal(m.footprint.params.trainable, 0);
    assert.deepEqual(m.footprint.bytes.gradients, { fixed: 0, perSample: 0 });
    assert.equal(engineOf(m.memory!)!.schedule.backwardStart, -1);
  });
});

describe('frozen: the reports', () => {
  it('the text report names the frozen and quantised weights among the non-trainable ones', () => {
    const text = `config {\n  quantize: nf4\n}\nmodel m {\n  x = dense(input(128), 64, frozen: true)\n  return dense(batchnorm(x), 10)\n}`;
    // frozen: 128 x 64 + 64 = 8,256, of which the 8,192 matrix weights are quantised; non-trainable: + 2 x 64 running statistics
    assert.match(formatReport('m.nnm', analyzeDocument(text, 'nnm')), /parameters +778 trainable, 8,384 non-trainable \(8,256 frozen weights, 8,192 of them quantised\)/);
  });
});
