// Keras runs in Python: numpy example arrays as the input (call, fit, predict), the batch Keras
// runs at (min(batch_size, samples); 32 without batch_size), the input dtype Keras feeds, and the
// batch quick fix written in Keras (fit / predict's batch_size=, the example's first axis).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../../server/src/core/ir';
import type { TextEdit } from '../../../server/src/core/fixes/edits';
import { pythonFixEdits } from '../../../server/src/core/python/fixes';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { analyzeText, ready } from './helpers';

before(ready);

const HEAD = 'import numpy as np\nimport keras\nfrom keras import layers\n';

function run(text: string): { graph: Graph; text: string; fix: (batch: number) => string | undefined } {
  const full = HEAD + text;
  const r = analyzeText(full);
  assert.equal(r.graphs.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  const graph = r.graphs[0]!;
  const fix = (batch: number): string | undefined => {
    const edits = pythonFixEdits(full, { kind: 'batch', model: graph.name, batch, why: '' }, r);
    return edits ? applyEdits(full, edits).slice(HEAD.length) : undefined;
  };
  return { graph, text: full, fix };
}

/** one-line edits applied from the last */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  for (const e of [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character)) {
    const l = lines[e.range.start.line]!;
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return lines.join('\n');
}

function input(g: Graph): [readonly number[], string] {
  const t = g.tensors[g.inputs[0]!]!;
  return [t.shape, t.dtype];
}

const MLP = 'model = keras.Sequential([layers.Dense(4), layers.Dense(2)])\n';

describe('numpy example arrays give a Keras model its input and batch', () => {
  it('model(np.zeros((8, 28, 28, 1))): the input [28, 28, 1], batch 8, float32 (Keras casts float64)', () => {
    const { graph } = run('model = keras.Sequential([layers.Flatten(), layers.Dense(3)])\ny = model(np.zeros((8, 28, 28, 1)))\n');
    assert.deepEqual([input(graph), graph.config.batch], [[[28, 28, 1], 'fp32'], 8]);
    // 784 * 3 + 3
    assert.equal(graph.ops.reduce((n, op) => n + op.params.trainable, 0), 2355);
  });
  for (const [call, shape, batch] of [
    ['np.random.rand(8, 32)', [32], 8],
    ['np.random.randn(6, 32)', [32], 6],
    ['np.ones((5, 32))', [32], 5],
    ['np.random.random((4, 32))', [32], 4],
    ['np.random.uniform(-1, 1, size=(3, 32))', [32], 3],
    ['np.random.normal(0, 1, (7, 32))', [32], 7],
    ['np.empty([9, 32], dtype=np.float64)', [32], 9],
  ] as const) {
    it(`model(${call}): batch ${batch}`, () => {
      const { graph } = run(`${MLP}out = model(${call})\n`);
      assert.deepEqual([input(graph), graph.config.batch], [[shape, 'fp32'], batch]);
    });
  }
  it("fit(x, y) without batch_size on 8 samples: one batch of 8 (Keras' 32 is more than there are)", () => {
    const { graph } = run(`${MLP}x = np.random.rand(8, 32)\ny = np.zeros((8, 2))\nmodel.compile(optimizer="adam", loss="mse")\nmodel.fit(x, y, epochs=3)\n`);
    assert.deepEqual([input(graph), graph.config.batch, graph.config.mode], [[[32], 'fp32'], 8, 'train']);
  });
  it('fit(x, y, batch_size=16) on 100 samples: batch 16; fit(x, y, 64) on 100: 64 (batch_size is the third positional)', () => {
    assert.equal(run(`${MLP}x = np.zeros((100, 32))\nmodel.fit(x, x, batch_size=16)\n`).graph.config.batch, 16);
    assert.equal(run(`${MLP}x = np.zeros((100, 32))\nmodel.fit(x, x, 64)\n`).graph.config.batch, 64);
  });
  it("fit on 1000 samples without batch_size: Keras' 32", () => {
    assert.equal(run(`${MLP}x = np.zeros((1000, 32))\nmodel.fit(x, x)\n`).graph.config.batch, 32);
  });
  it('predict(x) on 64 integer token ids: inference at 32, the input int64 as numpy makes it', () => {
    const { graph } = run('model = keras.Sequential([layers.Embedding(100, 8), layers.GlobalAveragePooling1D()])\np = model.predict(np.random.randint(0, 100, size=(64, 12)))\n');
    assert.deepEqual([input(graph), graph.config.batch, graph.config.mode], [[[12], 'int64'], 32, 'infer']);
  });
  it("an int32 array stays int32 (np.zeros(..., dtype='int32'))", () => {
    const { graph } = run("model = keras.Sequential([layers.Embedding(100, 8), layers.Flatten()])\ny = model(np.zeros((2, 5), dtype='int32'))\n");
    assert.deepEqual(input(graph), [[5], 'int32']);
  });
  it('a subclassed model fitted on an array is built on it', () => {
    const { graph } = run(`
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = layers.Dense(3)
    def call(self, x):
        return self.fc(x)
net = Net()
net.compile(optimizer="sgd", loss="mse")
net.fit(np.random.rand(10, 5), np.zeros((10, 3)), batch_size=4)
`);
    assert.deepEqual([graph.name, input(graph), graph.config.batch, graph.ops.reduce((n, op) => n + op.params.trainable, 0)], ['net', [[5], 'fp32'], 4, 18]);
  });
  it('an array whose shape is not known is no input: NNM402 stays', () => {
    const r = analyzeText(`${HEAD}${MLP}n = len(open("data").read())\nout = model(np.zeros((n, 32)))\n`);
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => d.code === PY_CODES.noInput), r.diagnostics.map((d) => d.message).join('; '));
  });
});

describe('the batch quick fix written in Keras', () => {
  it('fit(batch_size=16): the literal is replaced', () => {
    assert.equal(run(`${MLP}x = np.zeros((100, 32))\nmodel.fit(x, x, batch_size=16)\n`).fix(64), `${MLP}x = np.zeros((100, 32))\nmodel.fit(x, x, batch_size=64)\n`);
  });
  it('fit without batch_size: batch_size= is added; the 8-sample array grows to the new batch', () => {
    const fixed = run(`${MLP}x = np.random.rand(8, 32)\nmodel.fit(x, x, epochs=3)\n`).fix(48)!;
    assert.equal(fixed, `${MLP}x = np.random.rand(48, 32)\nmodel.fit(x, x, epochs=3, batch_size=48)\n`);
    // analysed again, the fix gives the batch it promised
    assert.equal(run(fixed).graph.config.batch, 48);
  });
  it('predict on 64 samples to batch 16: batch_size= added, the array kept (it holds enough)', () => {
    assert.equal(run(`${MLP}p = model.predict(np.ones((64, 32)))\n`).fix(16), `${MLP}p = model.predict(np.ones((64, 32)), batch_size=16)\n`);
  });
  it("a direct call: the example's first axis", () => {
    const fixed = run(`${MLP}out = model(np.random.random((5, 32)))\n`).fix(24)!;
    assert.equal(fixed, `${MLP}out = model(np.random.random((24, 32)))\n`);
    assert.equal(run(fixed).graph.config.batch, 24);
  });
  it('tf.zeros in a tf.keras file, as before', () => {
    const text = 'import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(2)])\ny = model(tf.zeros((8, 3)))\n';
    const r = analyzeText(text);
    const edits = pythonFixEdits(text, { kind: 'batch', model: 'model', batch: 32, why: '' }, r)!;
    assert.match(applyEdits(text, edits), /tf\.zeros\(\(32, 3\)\)/);
  });
  it('no fix where the batch is not written as a literal (a variable) or the model has no example', () => {
    assert.equal(run(`${MLP}B = 16\nx = np.zeros((100, 32))\nmodel.fit(x, x, batch_size=B)\n`).fix(64), undefined);
    assert.equal(run(`${MLP}n = 8\nout = model(np.zeros((n, 32)))\n`).fix(64), undefined);
    assert.equal(run('model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])\n').fix(64), undefined);
  });
});
