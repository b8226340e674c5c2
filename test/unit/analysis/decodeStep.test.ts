// Generate mode's decode step: one new position per sequence over the full KV cache. Its
// activations are the prefill's at one position (1/L of each per-position tensor), its attention
// scores one query row per head over the cached positions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { decodeStepOf, type DecodeStep, type DecodeStepFigures } from '../../../server/src/core/analysis/decodeStep';
import { toJsonReport } from '../../../server/src/report/json';
import { formatReport } from '../../../server/src/report/text';

const GPT2 = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'gpt2_generate.nnm'), 'utf8');
/** GPT-2 small in fp16: 124,439,808 parameters x 2 bytes */
const GPT2_WEIGHTS = 248_879_616;
/** its KV cache per sequence at 1,024 positions: 2 x 12 layers x 1,024 x 768 x 2 bytes */
const GPT2_CACHE = 37_748_736;

function step(text: string): DecodeStep | undefined {
  const a = analyzeDocument(text, 'nnm');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return decodeStepOf(a.models[0]!);
}

function figures(text: string): DecodeStepFigures {
  const s = step(text);
  assert.ok(s && !('reason' in s), `a decode step: ${JSON.stringify(s)}`);
  return s;
}

/** GPT-2 with its config block replaced */
const gpt2With = (config: string): string => GPT2.replace(/config \{[^}]*\}/, `config {\n${config}\n}`);

function reason(text: string): string {
  const s = step(text);
  assert.ok(s && 'reason' in s, `no figure: ${JSON.stringify(s)}`);
  return s.reason;
}

/** a one-layer decoder whose middle is `body` (x: [16, 64]) */
const decoder = (body: string, config = 'mode: generate\n  batch: 1\n  precision: fp16'): string =>
  ['config {', `  ${config}`, '}', 'model m {', '  x = input(16, 64)', `  ${body}`, '  return x', '}', ''].join('\n');

describe('generate mode: the decode step', () => {
  it('GPT-2 small at 1,024 positions: weights + cache + the first attention step at one position', () => {
    const s = figures(GPT2);
    assert.equal(s.writtenPositions, 1024);
    assert.equal(s.context, 1024);
    // live at the first layer's attention: the residual x, the layernorm's output and the attention's
    // output, 3 x 768 values x 2 bytes at one position
    assert.equal(s.activationsPerSequence, 3 * 768 * 2);
    // one query's scores in each of 12 heads over 1,024 cached positions, fp16
    assert.equal(s.workspacePerSequence, 12 * 1024 * 2);
    assert.equal(s.peak, GPT2_WEIGHTS + GPT2_CACHE + 4_608 + 24_576);
    assert.equal(s.peak, 286_657_536);
  });

  it('grows with the batch: every sequence has its cache and its one-position activations', () => {
    const s = figures(gpt2With('mode: generate\n  context: 1024\n  batch: 8\n  precision: fp16'));
    assert.equal(s.peak, GPT2_WEIGHTS + 8 * (GPT2_CACHE + 4_608 + 24_576));
  });

  it('a longer context: a longer cache and a longer score row; the activations stay those of one position', () => {
    const s = figures(gpt2With('mode: generate\n  context: 4096\n  batch: 1\n  precision: fp16'));
    assert.equal(s.context, 4096);
    assert.equal(s.workspacePerSequence, 12 * 4096 * 2);
    // 2 x 12 x 4,096 x 768 x 2 bytes of cache
    assert.equal(s.peak, GPT2_WEIGHTS + 150_994_944 + 4_608 + 98_304);
  });

  it('with a fused kernel there is no score row: the peak moves to the feed-forward (x, the 3,072-wide dense output and its GELU)', () => {
    const s = figures(GPT2.replace('causal: true)', 'causal: true, flash: true)'));
    assert.equal(s.workspacePerSequence, 0);
    assert.equal(s.activationsPerSequence, (768 + 3072 + 3072) * 2);
    assert.equal(s.peak, GPT2_WEIGHTS + GPT2_CACHE + 13_824);
  });

  it('grouped-query attention: the cache shrinks with kv_heads, the score row does not (every query head scores)', () => {
    const s = figures(decoder('x = add(x, attention(layernorm(x), heads: 8, kv_heads: 2, causal: true, bias: false))'));
    // q, o: 64 x 64 each; k, v: 64 x 16 each; the layernorm's scale and shift, 2 x 64
    const weights = (2 * 64 * 64 + 2 * 64 * 16 + 2 * 64) * 2;
    // 2 x 16 positions x 16 values x 2 bytes
    const cache = 2 * 16 * 16 * 2;
    assert.equal(s.workspacePerSequence, 8 * 16 * 2);
    assert.equal(s.activationsPerSequence, 3 * 64 * 2);
    assert.equal(s.peak, weights + cache + 3 * 64 * 2 + 8 * 16 * 2);
  });

  it('is absent, with the op named, when a layer mixes positions other than through causal self-attention', () => {
    assert.match(reason(decoder('x = add(x, attention(x, heads: 4))')), /^'attention' \(line 8\) mixes positions/);
    assert.match(reason(decoder('x = cross_attention(x, x, x, heads: 4)\n  x = attention(x, heads: 4, causal: true)')), /^'cross_attention' \(line 8\) mixes positions/);
    assert.match(reason(decoder('x = attention(x, heads: 4, causal: true)\n  x = transpose(x, 1, 0)')), /^'transpose' \(line 9\) makes a tensor that is not one row per position/);
    assert.match(reason(decoder('x = attention(x, heads: 4, causal: true)\n  x = softmax(x, 0)')), /^'softmax' \(line 9\) mixes positions/);
    assert.match(reason(decoder('x = attention(x, heads: 4, causal: true)\n  x = layernorm(x, dims: 2)')), /^'layernorm' \(line 9\) mixes positions/);
    assert.match(reason(decoder('x = attention(x, heads: 4, causal: true)\n  x = flatten(x)')), /^'flatten' \(line 9\) makes a tensor that is not one row per position/);
  });

  it('is not given outside generate mode, or without self-attention', () => {
    assert.equal(step(decoder('x = attention(x, heads: 4, causal: true)', 'mode: infer')), undefined);
    assert.equal(step(decoder('x = dense(x, 64)')), undefined);
  });

  it('reaches the text and JSON reports', () => {
    const a = analyzeDocument(GPT2, 'nnm');
    const model = toJsonReport('gpt2_generate.nnm', a).models[0]!;
    assert.deepEqual(model.decodeStep, { peak: 286_657_536, context: 1024, activationsPerSequence: 4_608, workspacePerSequence: 24_576, line: 22 });
    assert.match(formatReport('gpt2_generate.nnm', a), /decode step {7}273 MiB at context 1,024 \(weights and KV cache, plus 4\.5 KiB of activations \+ 24 KiB of attention scores per sequence at 'attention', line 22\)/);
  });
});
