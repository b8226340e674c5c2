// Keras models inside Keras models: a functional or Sequential model called as a layer (its
// weights once per distinct model, as Keras shares them), a Sequential inside a Sequential, and a
// subclass that builds its graph in __init__ and hands it to super().__init__(inputs, outputs).
// Ground truth: keras_oracle.json's `whole` section, written by scripts/keras_oracle.mjs (tf.js 4.22).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../../server/src/core/ir';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { analyzeFixture, analyzeText, FIXTURES, ready } from './helpers';

before(ready);

interface Whole {
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly outputs: readonly (readonly number[])[];
}
const ORACLE = JSON.parse(readFileSync(join(FIXTURES, 'keras_oracle.json'), 'utf8')) as { whole: Record<string, Record<string, Whole>> };

function totals(g: Graph): { trainable: number; nonTrainable: number } {
  return g.ops.reduce((a, op) => ({ trainable: a.trainable + op.params.trainable, nonTrainable: a.nonTrainable + op.params.nonTrainable }), { trainable: 0, nonTrainable: 0 });
}

const HEAD = 'import keras\nfrom keras import layers\n';

describe('nested Keras models against TensorFlow.js', () => {
  for (const file of ['keras_nested.py', 'keras_functional_subclass.py']) {
    const models = ORACLE.whole[file]!;
    for (const [name, expected] of Object.entries(models)) {
      it(`${file} ${name}: parameters and output shape`, () => {
        const r = analyzeFixture(file);
        assert.deepEqual(r.diagnostics, []);
        const g = r.graphs.find((x) => x.name === name);
        assert.ok(g, `no graph ${name}`);
        assert.deepEqual({ ...totals(g), outputs: g.outputs.map((t) => g.tensors[t]!.shape) }, expected);
      });
    }
  }
  it('hand counts: the encoder once in the siamese model, the inner block in the stacked one', () => {
    const r = analyzeFixture('keras_nested.py');
    const by = new Map(r.graphs.map((g) => [g.name, g]));
    // encoder: conv 3*3*1*16+16, dense 14*14*16*32+32; decoder: dense 32*1568+1568, conv 3*3*8*1+1
    assert.equal(totals(by.get('encoder')!).trainable, 160 + 100384);
    assert.equal(totals(by.get('model')!).trainable, 160 + 100384 + 51744 + 73);
    // the encoder's layers run twice (two applications each), their weights count once; head 64+1
    assert.equal(totals(by.get('siamese')!).trainable, 160 + 100384 + 65);
    assert.equal(by.get('siamese')!.ops.filter((op) => op.op === 'conv2d').length, 2);
    // the inner block: dense 20*64+64 and dropout; the head 64*10+10
    assert.equal(totals(by.get('stacked')!).trainable, 1344 + 650);
    // every model the file builds has its graph: the inner block has its input only inside `stacked`
    assert.deepEqual([...by.keys()].sort(), ['decoder', 'encoder', 'model', 'siamese', 'stacked']);
  });
});

describe('freezing and calling nested models', () => {
  it('base.trainable = False on a functional model freezes its layers inside the model that calls it', () => {
    const r = analyzeText(HEAD + `
inp = keras.Input(shape=(16,))
base = keras.Model(inp, layers.Dense(4)(inp))
base.trainable = False
x = keras.Input(shape=(16,))
model = keras.Model(x, layers.Dense(2)(base(x)))
`);
    const g = r.graphs.find((x) => x.name === 'model')!;
    // frozen 16*4+4, trainable 4*2+2
    assert.deepEqual(totals(g), { trainable: 10, nonTrainable: 68 });
  });
  it('a functional model inside a Sequential list is its graph', () => {
    const r = analyzeText(HEAD + `
inp = keras.Input(shape=(8,))
body = keras.Model(inp, layers.Dense(6)(inp))
model = keras.Sequential([keras.Input((8,)), body, layers.Dense(1)])
`);
    const g = r.graphs.find((x) => x.name === 'model')!;
    assert.deepEqual([totals(g).trainable, g.tensors[g.outputs[0]!]!.shape], [54 + 7, [1]]);
  });
  it('a model with two outputs called as a layer gives both', () => {
    const r = analyzeText(HEAD + `
inp = keras.Input(shape=(8,))
two = keras.Model(inp, [layers.Dense(3)(inp), layers.Dense(5)(inp)])
x = keras.Input(shape=(8,))
a, b = two(x)
model = keras.Model(x, layers.concatenate([a, b]))
`);
    const g = r.graphs.find((x) => x.name === 'model')!;
    assert.deepEqual([totals(g).trainable, g.tensors[g.outputs[0]!]!.shape], [27 + 45, [8]]);
  });
  it('a model called on the wrong number of tensors: said at the call, no figure', () => {
    const r = analyzeText(HEAD + `
a = keras.Input(shape=(4,))
b = keras.Input(shape=(4,))
two = keras.Model([a, b], layers.add([a, b]))
x = keras.Input(shape=(4,))
model = keras.Model(x, two(x))
`);
    assert.deepEqual(r.graphs.map((g) => g.name), ['two']);
    const d = r.diagnostics.find((x) => /takes 2 inputs, it is called on 1/.test(x.message))!;
    assert.deepEqual([d.code, d.range.start.line], [PY_CODES.unresolved, 7]);
  });
});

describe('super().__init__(inputs=..., outputs=...) in a subclass', () => {
  it('positional inputs and outputs, the model called on an example: its batch', () => {
    const r = analyzeText(`import tensorflow as tf
class Head(tf.keras.Model):
    def __init__(self, units):
        x = tf.keras.Input(shape=(12,))
        super().__init__(x, tf.keras.layers.Dense(units)(x))
net = Head(3)
y = net(tf.zeros((6, 12)))
`);
    assert.deepEqual(r.graphs.map((g) => [g.name, totals(g).trainable, g.config.batch]), [['net', 39, 6]]);
  });
});
