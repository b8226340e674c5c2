// The findings docs/rules.md lists for examples/: the codes per example, and the ResNet-50 one exactly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

const EXPECTED: Record<string, string[]> = {
  'lenet.nnm': [],
  'mlp.nnm': [],
  'lstm_text.nnm': [],
  'megatron_gpt_layer.nnm': ['NNM206'],
  'mobilenet_v2.nnm': ['NNM203', 'NNM207'],
  'resnet50.nnm': ['NNM207'],
  'transformer_encoder.nnm': ['NNM206'],
  'vgg16.nnm': ['NNM204', 'NNM207'],
};

for (const [file, codes] of Object.entries(EXPECTED)) {
  test(`${file}: ${codes.length === 0 ? 'no findings' : codes.join(', ')}`, () => {
    const a = analyzeDocument(readFileSync(join(EXAMPLES, file), 'utf8'), 'nnm');
    assert.deepEqual((a.findings ?? []).map((f) => f.code), codes);
  });
}

test('ResNet-50 at batch 32, fp32, train, 16 GiB: the precision hint alone, with its figures', () => {
  const a = analyzeDocument(readFileSync(join(EXAMPLES, 'resnet50.nnm'), 'utf8'), 'nnm');
  assert.deepEqual(
    (a.findings ?? []).map((f) => `${f.severity} ${f.code} ${f.message}`),
    ['hint NNM207 fp32 training on gpu: peak (lower bound) at batch 32 is 2.74 GiB and fits batch up to 199; mixed 1.51 GiB (-1.23 GiB), fits batch up to 397; bf16 1.37 GiB (-1.37 GiB), fits batch up to 401'],
  );
});
