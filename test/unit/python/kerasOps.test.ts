// TensorFlow and keras.ops functions on Keras tensors, in call() and between functional layers:
// each one registry op with TensorFlow's documented shape (the batch is axis 0 there, so a positive
// axis is one less per sample); what is not modelled stops the model with the reason.
// Also the Keras axis of the Concatenate and Softmax layers, counted the same way.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../../server/src/core/ir';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { analyzeText, ready } from './helpers';

before(ready);

const HEAD = 'import keras\nimport tensorflow as tf\nfrom keras import layers, ops\n';

function ops(text: string): string[] {
  const r = analyzeText(HEAD + text);
  assert.equal(r.graphs.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  const g: Graph = r.graphs[0]!;
  return g.ops.map((op) => `${op.op}[${g.tensors[op.output]!.shape.join(',')}]`);
}

function stop(text: string): string {
  const r = analyzeText(HEAD + text);
  assert.equal(r.graphs.length, 0);
  const d = r.diagnostics.find((x) => x.code === PY_CODES.unresolved)!;
  return d.message;
}

describe('tf.* and keras.ops.* in a custom layer call()', () => {
  it('relu, concat over the last axis, a reshape that keeps the batch, a mean over axis 1', () => {
    assert.deepEqual(
      ops(`
class Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(8)
        self.b = layers.Dense(8)
    def call(self, x):
        h = tf.nn.relu(self.a(x))
        y = tf.concat([h, self.b(x)], axis=-1)
        y = tf.reshape(y, (-1, 4, 4))
        return tf.reduce_mean(y, axis=1)
x = keras.Input((5,))
model = keras.Model(x, Block()(x))
`),
      ['input[5]', 'dense[8]', 'relu[8]', 'dense[8]', 'concat[16]', 'reshape[4,4]', 'reduce[4]'],
    );
  });
  it('keras.ops: matmul with a transpose that keeps the batch, softmax, gelu, mean with keepdims', () => {
    assert.deepEqual(
      ops(`
x = keras.Input((6, 8))
y = ops.matmul(x, ops.transpose(x, (0, 2, 1)))
z = ops.mean(ops.gelu(ops.softmax(y, axis=-1)), axis=[1, 2], keepdims=True)
model = keras.Model(x, z)
`),
      ['input[6,8]', 'transpose[8,6]', 'matmul[6,6]', 'softmax[6,6]', 'gelu[6,6]', 'reduce[1,1]'],
    );
  });
  it('tf.sigmoid, tf.math.tanh, keras.activations.silu, tf.add and tf.multiply', () => {
    assert.deepEqual(
      ops('x = keras.Input((3,))\nmodel = keras.Model(x, tf.multiply(tf.add(tf.sigmoid(x), tf.math.tanh(x)), keras.activations.silu(x)))\n'),
      ['input[3]', 'sigmoid[3]', 'tanh[3]', 'add_broadcast[3]', 'silu[3]', 'mul[3]'],
    );
  });
  it('tf.reduce_sum over axis 2 of [4, 5] per sample is over the last axis', () => {
    assert.deepEqual(ops('x = keras.Input((4, 5))\nmodel = keras.Model(x, tf.reduce_sum(x, axis=2))\n'), ['input[4,5]', 'reduce[4]']);
  });
  it('what is not modelled stops the model with the reason', () => {
    const m = (expr: string) => stop(`x = keras.Input((6, 8))\nmodel = keras.Model(x, ${expr})\n`);
    assert.match(m('tf.reduce_mean(x)'), /over every axis, the batch included/);
    assert.match(m('tf.reduce_mean(x, axis=0)'), /axis 0 is the batch axis/);
    assert.match(m('ops.concatenate([x, x])'), /axis 0 is the batch axis/);
    assert.match(m('tf.reshape(x, (2, 24))'), /the first dimension must be the batch/);
    assert.match(m('tf.transpose(x)'), /reverses every axis, the batch included/);
    assert.match(m('tf.matmul(x, x, transpose_b=True)'), /with transposes or other options/);
    assert.match(m('tf.nn.leaky_relu(x)'), /`tensorflow\.nn\.leaky_relu` is not modelled by memlens yet/);
  });
});

describe('the axis of the Concatenate and Softmax layers counts the batch, as Keras does', () => {
  it('concatenate([a, b], axis=1) of two [4] is [8]; Softmax(axis=1) of [3, 4] is over the first per-sample axis', () => {
    assert.deepEqual(ops('a = keras.Input((4,))\nb = keras.Input((4,))\nmodel = keras.Model([a, b], layers.concatenate([a, b], axis=1))\n').pop(), 'concat[8]');
    const r = analyzeText(HEAD + 'a = keras.Input((3, 4))\nmodel = keras.Model(a, layers.Softmax(axis=1)(a))\n');
    assert.equal(r.graphs[0]!.ops[1]!.attrs['axis'], 0);
  });
  it('axis 0 (the batch) is not modelled', () => {
    assert.match(stop('a = keras.Input((4,))\nmodel = keras.Model(a, layers.Softmax(axis=0)(a))\n'), /axis 0, the batch axis/);
  });
});
