// Generate mode: every self-attention layer keeps the keys and values of `context` positions,
// 2 x layers x context x (kv heads x head dim) x element size per sequence, live for the whole run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { kvCacheOf, largestContext } from '../../../server/src/core/analysis/kvCache';
import { toJsonReport } from '../../../server/src/report/json';
import { formatReport } from '../../../server/src/report/text';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

/** a Llama-style decoder: `layers` attention + SwiGLU layers, d = 4096, 32 query heads, 8 key/value heads */
function llamaLike(config: string, layers = 2): string {
  return [
    `config { ${config} }`,
    'block layer(x) {',
    '  x = add(x, attention(layernorm(x, center: false), heads: 32, kv_heads: 8, bias: false, causal: true))',
    '  h = layernorm(x, center: false)',
    '  return add(x, dense(mul(silu(dense(h, 14336, bias: false)), dense(h, 14336, bias: false)), 4096, bias: false))',
    '}',
    'model llama {',
    '  x = input(16, 4096)',
    `  return repeat ${layers} layer(x)`,
    '}',
    '',
  ].join('\n');
}

const errors = (text: string) => analyzeDocument(text, 'nnm').diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);

describe('generate mode: the KV cache', () => {
  it('GPT-2 small at a context of 1,024 in fp16: 2 x 12 x 1,024 x 768 x 2 bytes per sequence, held with the weights', () => {
    const a = analyzeDocument(readFileSync(join(EXAMPLES, 'gpt2_generate.nnm'), 'utf8'), 'nnm');
    assert.deepEqual(errors(readFileSync(join(EXAMPLES, 'gpt2_generate.nnm'), 'utf8')), []);
    const m = a.models[0]!;
    assert.equal(m.footprint.params.trainable, 124_439_808);
    assert.deepEqual(m.footprint.bytes.kvCache, { fixed: 0, perSample: 37_748_736 });
    assert.equal(kvCacheOf(m.graph).layers.length, 12);
    // inference: no gradients or optimizer state; the cache is live for the whole run, as the weights are
    assert.deepEqual(m.footprint.bytes.gradients, { fixed: 0, perSample: 0 });
    const memory = m.memory!;
    assert.deepEqual(memory.bytes.alwaysLive, { fixed: 124_439_808 * 2, perSample: 37_748_736 });
    for (const row of memory.timeline) assert.equal(row.bytes.kvCache, 37_748_736);
    const json = toJsonReport('gpt2_generate.nnm', a).models[0]!;
    assert.equal(json.config.mode, 'generate');
    assert.equal(json.bytes.kvCache, 37_748_736);
    // the largest context: (24 GiB - (plan - cache)) / (2 x 12 x 768 x 2 bytes per position)
    const perPosition = 2 * 12 * 768 * 2;
    const longest = Math.floor((24 * 2 ** 30 - (memory.bytes.planned - 37_748_736)) / perPosition);
    assert.equal(json.maxContext, longest);
    assert.equal(largestContext(m), longest);
    assert.match(formatReport('gpt2_generate.nnm', a), new RegExp(`KV cache +36 MiB x N = 36 MiB at batch 1, 1,024 positions; largest context that fits: ${longest.toLocaleString('en-US')}`));
    // at that context the plan fits the device; one position more, it does not
    const at = (context: number) => analyzeDocument(readFileSync(join(EXAMPLES, 'gpt2_generate.nnm'), 'utf8').replace('context: 1024', `context: ${context}`), 'nnm').models[0]!.memory!.bytes.planned;
    assert.ok(at(longest) <= 24 * 2 ** 30);
    assert.ok(at(longest + 1) > 24 * 2 ** 30);
  });

  it('grouped-query attention: the keys and values are kv_heads x head dim wide, in the parameters and the cache', () => {
    const a = analyzeDocument(llamaLike('mode: generate, context: 8192, batch: 1, precision: bf16'), 'nnm');
    const m = a.models[0]!;
    // per layer: q and out 4096 x 4096, k and v 4096 x 1024 (8 heads of 128); gate, up 4096 x 14336 and
    // down 14336 x 4096; two 4096 scales: 41,943,040 + 176,160,768 + 8,192 = 218,112,000 (Llama 3 8B's layer)
    assert.equal(m.footprint.params.trainable, 2 * 218_112_000);
    // 2 x 2 layers x 8,192 positions x 1,024 x 2 bytes: 128 KiB per position for the whole 32-layer model
    assert.deepEqual(m.footprint.bytes.kvCache, { fixed: 0, perSample: 2 * 2 * 8192 * 1024 * 2 });
    assert.deepEqual(kvCacheOf(m.graph).layers.map((l) => [l.perPosition, l.positions]), [[2048, 8192], [2048, 8192]]);
  });

  it('without a context the cache holds the written sequence length; batch multiplies it', () => {
    const m = analyzeDocument(llamaLike('mode: generate, batch: 4, precision: fp16', 1), 'nnm').models[0]!;
    // 2 x 16 positions x 1,024 x 2 bytes, x 4 sequences
    assert.deepEqual(m.footprint.bytes.kvCache, { fixed: 0, perSample: 2 * 16 * 1024 * 2 });
    assert.equal(m.memory!.bytes.alwaysLive.perSample, 65_536);
  });

  it('train and infer keep no cache and give no largest context', () => {
    for (const mode of ['train', 'infer']) {
      const a = analyzeDocument(llamaLike(`mode: ${mode}, context: 8192`, 1), 'nnm');
      const m = a.models[0]!;
      assert.deepEqual(m.footprint.bytes.kvCache, { fixed: 0, perSample: 0 }, mode);
      assert.deepEqual(kvCacheOf(m.graph).layers, []);
      assert.equal(toJsonReport('llama.nnm', a).models[0]!.maxContext, null);
    }
  });

  it('bad values are diagnostics: kv_heads must divide heads, context must be a positive integer, the mode is named', () => {
    assert.ok(errors(llamaLike('mode: generate').replace('kv_heads: 8', 'kv_heads: 5')).some((m) => m.includes('kv_heads 5 must divide heads 32')));
    assert.ok(errors(llamaLike('mode: generate, context: 0')).some((m) => m.includes('context must be from 1 to')));
    assert.ok(errors(llamaLike('mode: generating')).some((m) => m.includes("'generating' is not a valid mode; expected train | infer | generate")));
  });

  it('the framework profiles say why they give no figure for a generation loop', () => {
    const m = analyzeDocument(llamaLike('mode: generate, framework: pytorch, device: cpu', 1), 'nnm').models[0]!;
    assert.equal(m.memory!.bytes.expectedPeak, null);
    const expected = m.memory!.expected;
    assert.ok('reason' in expected && expected.reason.includes("a generation loop's KV cache is not profiled"));
  });

  it('per device: each device holds the caches of its own sequences', () => {
    const m = analyzeDocument(llamaLike('mode: generate, batch: 8, devices: 2, precision: fp16', 1), 'nnm').models[0]!;
    const json = toJsonReport('llama.nnm', { ...analyzeDocument(llamaLike('mode: generate, batch: 8, devices: 2, precision: fp16', 1), 'nnm') }).models[0]!;
    const perDevice = json.bytes.perDevice;
    assert.ok(perDevice && !('error' in perDevice));
    // 4 sequences per device x 65,536 bytes
    assert.equal(perDevice.kvCache, 4 * 65_536);
    assert.equal(m.footprint.bytes.kvCache.perSample, 65_536);
  });
});
