// NNM001: a file longer than its frontend's maxTextLength is not read at all (issue 17 item 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { frontendFor } from '../../../server/src/core/frontends';
import { initTfjsFrontend } from '../../../server/src/core/tfjs/frontend';

const HEADS = { nnm: '', typescript: "import * as tf from '@tensorflow/tfjs';\n", python: 'import torch.nn as nn\n' } as const;

for (const [language, head] of Object.entries(HEADS) as [keyof typeof HEADS, string][]) {
  test(`${language}: one character over the limit is NNM001 on line 1 and nothing else; at the limit the file is read`, async () => {
    await initTfjsFrontend();
    const limit = frontendFor(language).maxTextLength;
    const comment = language === 'typescript' ? '//' : '#';
    const atLimit = head + comment + ' '.repeat(limit - head.length - comment.length);
    assert.equal(atLimit.length, limit);
    assert.deepEqual(analyzeDocument(atLimit, language).diagnostics.filter((d) => d.code === 'NNM001'), []);
    const over = analyzeDocument(`${atLimit} `, language);
    assert.deepEqual(over.diagnostics.map((d) => [d.code, d.severity, d.range.start.line, d.message]), [
      ['NNM001', 'error', 0, `not analysed: this file has ${(limit + 1).toLocaleString('en-US')} characters, over memlens' limit of ${limit.toLocaleString('en-US')} for ${language === 'nnm' ? '.nnm' : frontendFor(language).name} files`],
    ]);
    assert.deepEqual([over.models.length, over.refs.length, over.outline.length], [0, 0, 0]);
  });
}

test('a large TypeScript file that is not a tf.js file says nothing', () => {
  const bundle = `// a bundle\n${'x'.repeat(frontendFor('typescript').maxTextLength)}`;
  assert.deepEqual(analyzeDocument(bundle, 'typescript').diagnostics, []);
});
