// Keras layers beyond tf.js' table: Conv2D(groups), Rescaling, CenterCrop, Resizing,
// Normalization, the random augmentations, MultiHeadAttention and Attention. Ground truth:
// keras_oracle.json (tf.js 4.22) where tf.js has the layer, Keras' documented weight layouts
// and formulas (said next to each count) where it has not.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { Graph } from '../../../server/src/core/ir';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { analyzeFixture, analyzeText, FIXTURES, ready } from './helpers';

before(ready);

const ORACLE = JSON.parse(readFileSync(join(FIXTURES, 'keras_oracle.json'), 'utf8')) as { whole: Record<string, Record<string, { trainable: number; nonTrainable: number; outputs: number[][] }>> };

function totals(g: Graph): { trainable: number; nonTrainable: number } {
  return g.ops.reduce((a, op) => ({ trainable: a.trainable + op.params.trainable, nonTrainable: a.nonTrainable + op.params.nonTrainable }), { trainable: 0, nonTrainable: 0 });
}
/** each op as `name[shape]` */
function ops(g: Graph): string[] {
  return g.ops.map((op) => `${op.op}[${g.tensors[op.output]!.shape.join(',')}]`);
}

const HEAD = 'import keras\nfrom keras import layers\n';
function only(text: string): Graph {
  const r = analyzeText(HEAD + text);
  assert.equal(r.graphs.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  assert.deepEqual(r.diagnostics, []);
  return r.graphs[0]!;
}
function stopped(text: string): { message: string; code: string } {
  const r = analyzeText(HEAD + text);
  assert.equal(r.graphs.length, 0);
  const d = r.diagnostics[0]!;
  return { message: d.message, code: d.code };
}

describe('preprocessing layers', () => {
  it('keras_preprocessing.py against tf.js: parameters and output (the grouped convolution by Keras formula)', () => {
    const expected = ORACLE.whole['keras_preprocessing.py']!['model']!;
    const g = analyzeFixture('keras_preprocessing.py').graphs.find((x) => x.name === 'model')!;
    // tf.js ignores groups: its ungrouped 3*3*16*32+32 becomes Keras' 3*3*(16/4)*32+32 (kernel [3, 3, C/groups, filters])
    assert.deepEqual(totals(g), { trainable: expected.trainable - 4640 + 1184, nonTrainable: expected.nonTrainable });
    assert.deepEqual(g.outputs.map((t) => g.tensors[t]!.shape), expected.outputs);
    assert.deepEqual(ops(g).slice(0, 8), ['input[40,50,3]', 'scale[40,50,3]', 'shift[40,50,3]', 'cropping2d[32,30,3]', 'resize[24,24,3]', 'random_augment[24,24,3]', 'random_augment[24,24,3]', 'random_augment[24,24,3]']);
  });
  it('CenterCrop takes (H - h) // 2 from the top and left, the rest from the bottom and right', () => {
    const g = only('model = keras.Sequential([keras.Input((9, 8, 1)), layers.CenterCrop(4, 5)])\n');
    assert.deepEqual(g.ops[1]!.attrs['crop'], [2, 3, 1, 2]);
  });
  it('a CenterCrop onto a larger size (Keras resizes then) is not analysed, said on the argument', () => {
    const d = stopped('model = keras.Sequential([keras.Input((9, 8, 1)), layers.CenterCrop(16, 5)])\n');
    assert.equal(d.code, PY_CODES.unresolved);
    assert.match(d.message, /centerCrop to 16x5 from 9x8 images resizes them/);
  });
  it('the random augmentations are the identity at inference (no buffer of their own) and a copy in training', () => {
    const text = HEAD + 'model = keras.Sequential([keras.Input((8, 8, 3)), layers.RandomFlip(), layers.Conv2D(2, 1)])\n';
    const bytes = (mode: 'infer' | 'train') => analyzeDocument(text, 'python', { overrides: { mode } }).models[0]!.memory!.buffers.map((b) => b.bytes.perSample);
    // input 8*8*3 fp32 = 768 bytes per sample; the conv's output 8*8*2*4 = 512
    assert.deepEqual(bytes('infer').filter((b) => b === 768).length, 1);
    assert.ok(bytes('train').filter((b) => b === 768).length >= 2);
  });
  it('Normalization: mean and variance per index of the kept axes and the adapt count, non-trainable (2K + 1)', () => {
    // Keras' build(): mean and variance of shape [kept axes], count of shape () (none when mean and variance are given)
    const count = (layer: string, shape = '(10, 6)') => totals(only(`model = keras.Sequential([keras.Input(${shape}), layers.${layer}])\n`));
    assert.deepEqual(count('Normalization()'), { trainable: 0, nonTrainable: 13 });
    assert.deepEqual(count('Normalization(axis=None)'), { trainable: 0, nonTrainable: 3 });
    assert.deepEqual(count('Normalization(axis=(1, 2))'), { trainable: 0, nonTrainable: 121 });
    assert.deepEqual(count('Normalization(axis=1)'), { trainable: 0, nonTrainable: 21 });
    assert.deepEqual(count('Normalization(mean=0.5, variance=2.0)', '(6,)'), { trainable: 0, nonTrainable: 0 });
  });
  it('Conv2D(groups=...) that does not divide the channels is an error; groups on a layer without them is not analysed', () => {
    const r = analyzeText(HEAD + 'model = keras.Sequential([keras.Input((8, 8, 6)), layers.Conv2D(8, 3, groups=4)])\n');
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && /groups 4 must divide the 6 input channels/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
    assert.match(stopped('model = keras.Sequential([keras.Input((8, 8, 6)), layers.SeparableConv2D(8, 3, groups=2)])\n').message, /grouped channels are modelled for Conv1D, Conv2D and Conv3D only/);
  });
  it('the Keras 2 path keras.layers.experimental.preprocessing', () => {
    const g = analyzeText('import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.Input((4, 4, 1)), tf.keras.layers.experimental.preprocessing.Rescaling(0.5)])\n').graphs[0]!;
    assert.deepEqual(ops(g), ['input[4,4,1]', 'scale[4,4,1]', 'shift[4,4,1]']);
  });
});

describe('attention layers', () => {
  it("MultiHeadAttention(num_heads=2, key_dim=2) on Keras' documented example: target [8, 16], source [4, 16] -> [8, 16]", () => {
    const g = only(`
target = keras.Input(shape=(8, 16))
source = keras.Input(shape=(4, 16))
output = layers.MultiHeadAttention(num_heads=2, key_dim=2)(target, source)
model = keras.Model([target, source], output)
`);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [8, 16]);
    // query, key, value kernels [16, 2, 2] + biases [2, 2]; output kernel [2, 2, 16] + bias [16]
    assert.equal(totals(g).trainable, 3 * (16 * 4 + 4) + (4 * 16 + 16));
    // the scores per head [2, 8, 4], their softmax
    assert.ok(ops(g).includes('matmul[2,8,4]') && ops(g).includes('softmax[2,8,4]'));
  });
  it('self-attention with value_dim, output_shape, no bias, dropout: every kernel by its documented shape', () => {
    const g = only(`
x = keras.Input(shape=(12, 16))
k = keras.Input(shape=(20, 10))
v = keras.Input(shape=(20, 6))
y = layers.MultiHeadAttention(2, 5, value_dim=3, output_shape=7, dropout=0.1, use_bias=False)(x, v, key=k)
model = keras.Model([x, k, v], y)
`);
    // query [16, 2, 5], key [10, 2, 5], value [6, 2, 3], output [2, 3, 7]
    assert.equal(totals(g).trainable, 160 + 100 + 36 + 42);
    assert.deepEqual(g.tensors[g.outputs[0]!]!.shape, [12, 7]);
    assert.ok(ops(g).includes('dropout[2,12,20]'));
  });
  it('a shared MultiHeadAttention counts its weights once', () => {
    const g = only(`
x = keras.Input(shape=(6, 8))
mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
y = mha(mha(x, x), x)
model = keras.Model(x, y)
`);
    assert.equal(totals(g).trainable, 3 * (8 * 8 + 8) + (8 * 8 + 8));
  });
  it('in a subclassed block: attention, residual and layer norm', () => {
    const g = only(`
class Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=4, key_dim=8)
        self.norm = layers.LayerNormalization()
    def call(self, x):
        return self.norm(x + self.att(x, x))
x = keras.Input(shape=(10, 32))
model = keras.Model(x, Block()(x))
`);
    assert.equal(totals(g).trainable, 3 * (32 * 32 + 32) + (32 * 32 + 32) + 64);
  });
  it('Attention([query, value]): dot-product scores, no weights, output [Tq, dim]', () => {
    const g = only(`
q = keras.Input(shape=(12, 16))
v = keras.Input(shape=(20, 16))
model = keras.Model([q, v], layers.Attention()([q, v]))
`);
    assert.deepEqual([totals(g).trainable, ops(g).slice(2)], [0, ['scaled_dot_product_attention[12,16]']]);
  });
  it('what the attention layers do not model yet is said where it is written', () => {
    const call = (c: string) => stopped(`x = keras.Input(shape=(6, 8))\ny = ${c}\nmodel = keras.Model(x, y)\n`);
    assert.match(call('layers.MultiHeadAttention(2, 4)(x, x, attention_mask=x)').message, /attention_mask=.* is not modelled by memlens yet/);
    assert.match(call('layers.MultiHeadAttention(2, 4)(x, x, use_causal_mask=True)').message, /use_causal_mask=True is not modelled/);
    assert.match(call('layers.MultiHeadAttention(2, 4, attention_axes=(1,))(x, x)').message, /attention_axes is not supported/);
    assert.match(call('layers.Attention(use_scale=True)([x, x])').message, /use_scale=True/);
    assert.match(call('layers.AdditiveAttention()([x, x])').message, /keras\.layers\.AdditiveAttention is not modelled by memlens yet/);
  });
});
