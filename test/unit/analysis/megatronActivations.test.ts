// Fidelity: the activations one transformer layer keeps for its backward, per device, against
// Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models"), Table 2,
// in bytes per layer with s = sequence, b = micro-batch, h = hidden, a = heads, t = tensor-parallel size:
//   no parallelism              s b h (34 + 5 a s / h)
//   tensor parallel             s b h (10 + 24 / t + 5 a s / (h t))
//   tensor + sequence parallel  s b h (34 / t + 5 a s / (h t))
// on examples/megatron_gpt_layer.nnm (s = 2048, h = 4096, a = 32, fp16 activations, 1-byte masks).
// memlens counts what the written graph keeps, and differs from the paper by two terms (the
// term-by-term table is in docs/memory-model.md, "Tensor and sequence parallelism"):
//   - 3 a s^2 b / t: the attention op does not model dropout on its probabilities (its mask,
//     a s^2 b, and its output, 2 a s^2 b, which the paper keeps beside the softmax output);
//   + 8 s b (/ t with sequence parallelism): the two layernorms' mean and rstd, 2 s values each
//     in fp16, which the paper leaves out as small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { tensorSplitOf } from '../../../server/src/core/analysis/tensorParallel';
import { figures } from './parallelHelpers';

const s = 2048;
const h = 4096;
const a = 32;
const text = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'megatron_gpt_layer.nnm'), 'utf8');
const model = analyzeDocument(text, 'nnm').models[0]!;

/** the saved activations of the layer on one device, per sample (b = 1) */
function savedPerSample(t: number, sequenceParallel: boolean): number {
  if (t === 1) return figures(model, undefined)[0]!.stash.perSample;
  const split = tensorSplitOf(model.graph, t, sequenceParallel);
  assert.ok(!('error' in split), 'error' in split ? split.error : '');
  const stash = figures(model, split)[0]!.stash;
  assert.equal(stash.fixed, 0);
  return stash.perSample;
}

const paper = {
  none: (b: number) => s * b * h * 34 + 5 * a * s * s * b,
  tensor: (b: number, t: number) => s * b * h * 10 + (s * b * h * 24) / t + (5 * a * s * s * b) / t,
  sequence: (b: number, t: number) => (s * b * h * 34) / t + (5 * a * s * s * b) / t,
};
const attentionDropout = (b: number, t: number) => (3 * a * s * s * b) / t;
const normStatistics = (b: number) => 8 * s * b;

test('no parallelism: 34 s b h + 5 a s^2 b less the attention dropout, plus the norm statistics', () => {
  assert.equal(paper.none(1), 956_301_312);
  assert.equal(savedPerSample(1, false), paper.none(1) - attentionDropout(1, 1) + normStatistics(1));
  assert.equal(savedPerSample(1, false), 553_664_512);
});

for (const t of [2, 4, 8]) {
  test(`tensor parallel t = ${t}: 10 s b h whole, 24 s b h / t and the attention's 5 a s^2 b / t split`, () => {
    assert.equal(savedPerSample(t, false), paper.tensor(1, t) - attentionDropout(1, t) + normStatistics(1));
  });
  test(`tensor + sequence parallel t = ${t}: every term / t`, () => {
    assert.equal(savedPerSample(t, true), paper.sequence(1, t) - attentionDropout(1, t) + normStatistics(1) / t);
  });
}

test('the figures we give at t = 8 (exact bytes per sample)', () => {
  // 10 s b h + 3 s b h + 2 a s^2 b / 8 + 8 s b = 83,886,080 + 25,165,824 + 33,554,432 + 16,384
  assert.equal(savedPerSample(8, false), 142_622_720);
  // (34 s b h + 2 a s^2 b + 8 s b) / 8 = 553,664,512 / 8
  assert.equal(savedPerSample(8, true), 69_208_064);
});
