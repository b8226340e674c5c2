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

function totals(text: string): { trainable: number; nonTrainable: number; ops: string[] } {
  const r = analyzeText(HEAD + text);
  assert.equal(r.graphs.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  const g = r.graphs[0]!;
  const t = g.ops.reduce((a, op) => ({ trainable: a.trainable + op.params.trainable, nonTrainable: a.nonTrainable + op.params.nonTrainable }), { trainable: 0, nonTrainable: 0 });
  return { ...t, ops: g.ops.map((op) => `${op.op}[${g.tensors[op.output]!.shape.join(',')}]`) };
}

describe('self.add_weight in a custom layer, x.shape of a Keras tensor', () => {
  it("Keras' guide Linear layer: build(input_shape) makes w [d, units] and b [units]; tf.matmul(x, w) + b", () => {
    const r = totals(`
class Linear(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)
    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b
x = keras.Input((16,))
layer = Linear(8)
model = keras.Model(x, layer(layer(tf.nn.relu(layers.Dense(8)(x)))))
`);
    // Dense 16*8+8, then w 8*8 and b 8 counted once though the layer runs twice (build runs once)
    assert.deepEqual([r.trainable, r.nonTrainable], [136 + 72, 0]);
    assert.deepEqual(r.ops.slice(0, 4), ['input[16]', 'dense[8]', 'relu[8]', 'dense[8]']);
  });
  it('a weight made in __init__ with trainable=False, read as x * w and x @ w (Keras 2 name first)', () => {
    const r = totals(`
class Gate(layers.Layer):
    def __init__(self, dim):
        super().__init__()
        self.gamma = self.add_weight("gamma", (dim,), trainable=False)
        self.proj = self.add_weight(shape=(dim, 2))
    def call(self, x):
        return (x * self.gamma * 0.5) @ self.proj
x = keras.Input((6,))
model = keras.Model(x, Gate(6)(x))
`);
    assert.deepEqual([r.trainable, r.nonTrainable, r.ops], [12, 6, ['input[6]', 'param[6]', 'mul[6]', 'scale[6]', 'dense[2]']]);
  });
  it("a build() that calls super().build(input_shape); a model's own build() run by model.build(shape)", () => {
    const layer = totals(`
class Linear(layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        super().build(input_shape)
    def call(self, x):
        return ops.matmul(x, self.w)
x = keras.Input((3,))
model = keras.Model(x, Linear()(x))
`);
    assert.deepEqual([layer.trainable, layer.ops], [12, ['input[3]', 'dense[4]']]);
    const model = totals(`
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = layers.Dense(4)
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(4,))
        super().build(input_shape)
    def call(self, x):
        return self.d(x) * self.scale
net = Net()
net.build((None, 3))
`);
    // dense 3*4+4, scale 4
    assert.deepEqual([model.trainable, model.ops], [20, ['input[3]', 'dense[4]', 'param[4]', 'mul[4]']]);
  });
  it('x.shape is (None, ...) from the graph before it', () => {
    const r = totals(`
class Flat(layers.Layer):
    def call(self, x):
        return tf.reshape(x, (-1, x.shape[1] * x.shape[2]))
x = keras.Input((4, 6))
model = keras.Model(x, Flat()(layers.Conv1D(3, 2)(x)))
`);
    assert.deepEqual(r.ops, ['input[4,6]', 'conv1d[3,3]', 'reshape[9]']);
  });
  it('a weight call() never reads, or a kernel that does not fit, is said; no figure', () => {
    assert.match(stop(`
class Bad(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 3))
        self.unused = self.add_weight(shape=(5,))
    def call(self, x):
        return x @ self.w
x = keras.Input((4,))
model = keras.Model(x, Bad()(x))
`), /Bad\.call\(\) does not read the weight made at `self\.add_weight\(shape=\(5,\)\)`/);
    const r = analyzeText(HEAD + `
class Wrong(layers.Layer):
    def __init__(self):
        super().__init__()
        self.w = self.add_weight(shape=(3, 3))
    def call(self, x):
        return tf.matmul(x, self.w)
x = keras.Input((4,))
model = keras.Model(x, Wrong()(x))
`);
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && /the input's last axis is 4, the weight \[3, 3\] needs 3/.test(d.message)), r.diagnostics.map((d) => d.message).join('; '));
  });
  it('a weight of unknown shape: the layer has no figure', () => {
    assert.match(stop(`
class U(layers.Layer):
    def __init__(self, n):
        super().__init__()
        self.w = self.add_weight(shape=(n, 2))
    def call(self, x):
        return x @ self.w
x = keras.Input((4,))
model = keras.Model(x, U(len(open("f").read()))(x))
`), /the shape of `self\.add_weight\(shape=\(n, 2\)\)` is not known statically/);
  });
});
