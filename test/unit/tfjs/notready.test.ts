// Before initTfjsFrontend has finished, analysis answers with an info diagnostic instead of throwing.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';

it('a TensorFlow.js file analysed before init gets NNM300', () => {
  const r = analyzeDocument(`import * as tf from '@tensorflow/tfjs';\nconst m = tf.sequential();`, 'typescript');
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity]), [['NNM300', 'info']]);
  assert.equal(analyzeDocument('const x = 1;', 'javascript').diagnostics.length, 0);
});
