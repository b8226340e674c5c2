// Keras in Python, read statically: the fixtures against TensorFlow.js (keras_oracle.json, written
// by scripts/keras_oracle.mjs), the import forms, compile / fit / build, what is not understood,
// and hover and inlay hints through the editor's path.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { Graph } from '../../../server/src/core/ir';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { hover } from '../../../server/src/lsp/features/hover';
import { inlayHints } from '../../../server/src/lsp/features/inlayHints';
import { analyzeFixture, analyzeText, FIXTURES, ready } from './helpers';

before(ready);

interface OracleLayer {
  readonly class: string;
  readonly params: number;
  readonly outputs: readonly (readonly number[])[];
}
interface OracleModel {
  readonly graph: string;
  readonly trainable: number;
  readonly nonTrainable: number;
  readonly layers: readonly OracleLayer[];
}
const ORACLE = JSON.parse(readFileSync(join(FIXTURES, 'keras_oracle.json'), 'utf8')) as { tfjs: string; models: Record<string, OracleModel> };

function totals(g: Graph): { trainable: number; nonTrainable: number } {
  return g.ops.reduce((a, op) => ({ trainable: a.trainable + op.params.trainable, nonTrainable: a.nonTrainable + op.params.nonTrainable }), { trainable: 0, nonTrainable: 0 });
}

/** every layer application as "shape params" (a shared layer's later applications count none), sorted */
function applications(g: Graph): string[] {
  return g.ops.filter((op) => op.op !== 'input').map((op) => `[${g.tensors[op.output]!.shape.join(',')}] ${op.params.trainable + op.params.nonTrainable}`).sort();
}
function oracleApplications(m: OracleModel): string[] {
  return m.layers.flatMap((l) => l.outputs.map((s, i) => `[${s.join(',')}] ${i === 0 ? l.params : 0}`)).sort();
}

const HEAD = 'import keras\nfrom keras import layers\n';

function only(text: string): Graph {
  const r = analyzeText(HEAD + text);
  assert.equal(r.graphs.length, 1, r.diagnostics.map((d) => d.message).join('; '));
  return r.graphs[0]!;
}

describe('Keras fixtures against TensorFlow.js', () => {
  it('the oracle was written by tf.js 4.22', () => assert.match(ORACLE.tfjs, /^4\.22\./));
  for (const [file, expected] of Object.entries(ORACLE.models)) {
    it(`${file}: parameters and every layer's output shape`, () => {
      const r = analyzeFixture(file);
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
      const g = r.graphs.find((x) => x.name === expected.graph);
      assert.ok(g, `no graph ${expected.graph}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
      assert.deepEqual(totals(g), { trainable: expected.trainable, nonTrainable: expected.nonTrainable });
      assert.deepEqual(applications(g), oracleApplications(expected));
    });
  }
  it('hand counts: the CNN, the residual model, the subclassed classifier', () => {
    // conv 3*3*1*32+32, BN 2*32 (+2*32 moving), conv 3*3*32*64+64, BN 2*64 (+2*64), dense 3136*128+128, dense 128*10+10
    assert.deepEqual(totals(analyzeFixture('keras_cnn.py').graphs[0]!), { trainable: 320 + 64 + 18496 + 128 + 401536 + 1290, nonTrainable: 192 });
    // the shared head (32*10+10) once
    assert.equal(totals(analyzeFixture('keras_residual.py').graphs[0]!).trainable, 432 + 32 + 2 * 2320 + 4640 + 9248 + 544 + 330);
    // embedding 5000*64, three blocks of dense 64->256, dense 256->64, layer norm, head 64*4+4
    assert.equal(totals(analyzeFixture('keras_subclassed.py').graphs[0]!).trainable, 320000 + 3 * (16640 + 16448 + 128) + 260);
  });
});

describe('compile, fit and build give the model its run', () => {
  it('fit(batch_size=64) with SGD(momentum=0.9): training at 64, one momentum value per weight', () => {
    const g = analyzeFixture('keras_cnn.py').graphs[0]!;
    assert.deepEqual([g.config.batch, g.config.mode, g.config.optimizer], [64, 'train', { kind: 'sgd', momentum: 0.9 }]);
    assert.equal(g.config.layout, 'nhwc');
  });
  it("fit() without batch_size: Keras' default batch of 32; 'adam' by name", () => {
    const g = analyzeFixture('keras_residual.py').graphs[0]!;
    assert.deepEqual([g.config.batch, g.config.mode, g.config.optimizer.kind], [32, 'train', 'adam']);
  });
  it('AdamW from tf.keras.optimizers, batch 16 from fit', () => {
    const g = analyzeFixture('keras_subclassed.py').graphs[0]!;
    assert.deepEqual([g.config.batch, g.config.optimizer.kind], [16, 'adamw']);
  });
  it('a subclassed model called on an example tensor: that is its input, its first axis the batch', () => {
    const r = analyzeText(`import tensorflow as tf
class Net(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = tf.keras.layers.Dense(3)
    def call(self, x):
        return self.fc(x)
net = Net()
y = net(tf.zeros((8, 5)))
`);
    assert.equal(r.graphs.length, 1);
    assert.deepEqual([r.graphs[0]!.name, totals(r.graphs[0]!).trainable, r.graphs[0]!.config.batch], ['net', 18, 8]);
  });
});

describe('which Keras is read', () => {
  const DENSE = 'Dense(4, input_shape=(3,))';
  for (const [imports, seq, dense] of [
    ['from tensorflow import keras', 'keras.Sequential', `keras.layers.${DENSE}`],
    ['import keras', 'keras.Sequential', `keras.layers.${DENSE}`],
    ['import tensorflow as tf', 'tf.keras.Sequential', `tf.keras.layers.${DENSE}`],
    ['from keras import layers, models', 'models.Sequential', `layers.${DENSE}`],
    ['from tensorflow.keras import layers, Sequential', 'Sequential', `layers.${DENSE}`],
    ['from tensorflow.keras.layers import Dense\nfrom tensorflow.keras.models import Sequential', 'Sequential', DENSE],
  ] as const) {
    it(imports.replace('\n', '; '), () => {
      const r = analyzeText(`${imports}\nmodel = ${seq}([${dense}])\n`);
      assert.deepEqual(r.graphs.map((g) => [g.name, totals(g).trainable]), [['model', 16]]);
    });
  }
  it('a file importing neither torch nor Keras is silent', () => {
    const r = analyzeText('import numpy as np\nclass Dense:\n    pass\nmodel = Dense()\n');
    assert.deepEqual([r.graphs.length, r.diagnostics.length, r.refs.length], [0, 0, 0]);
  });
  it('model.add(), model.build(), summary() ignored, a model built in a function is function.variable', () => {
    const g = only(`
def make():
    model = keras.Sequential()
    model.add(layers.Dense(8, activation="relu"))
    model.add(layers.Dense(2))
    model.build((None, 4))
    model.summary()
    return model
m = make()
`);
    assert.deepEqual([g.name, totals(g).trainable, g.tensors[g.outputs[0]!]!.shape], ['make.model', 4 * 8 + 8 + 8 * 2 + 2, [2]]);
  });
  it('a Sequential applied to a functional input is its layers, weights counted once per layer', () => {
    const g = only(`
tower = keras.Sequential([layers.Dense(5), layers.Dense(5)])
a = keras.Input(shape=(5,))
b = keras.Input(shape=(5,))
out = layers.concatenate([tower(a), tower(b)])
model = keras.Model([a, b], out)
`);
    assert.deepEqual([totals(g).trainable, g.inputs.length, g.tensors[g.outputs[0]!]!.shape], [2 * 30, 2, [10]]);
  });
  it('trainable=False moves a layer to the non-trainable count', () => {
    const g = only('model = keras.Sequential([keras.Input((4,)), layers.Dense(3, trainable=False), layers.Dense(1)])\n');
    assert.deepEqual(totals(g), { trainable: 4, nonTrainable: 15 });
  });
});

describe('what is not understood is said where it is written', () => {
  function diagnostics(text: string) {
    return analyzeText(HEAD + text).diagnostics.map((d) => ({ line: d.range.start.line - 2, severity: d.severity, code: d.code, message: d.message }));
  }
  it('a layer memlens does not model: info on the expression, no figure', () => {
    const r = analyzeText(HEAD + 'model = keras.Sequential([keras.Input((8, 16)), layers.AdditiveAttention()])\n');
    assert.equal(r.graphs.length, 0);
    const d = r.diagnostics.find((x) => x.message.includes('AdditiveAttention'))!;
    assert.deepEqual([d.severity, d.code, d.range.start.character], ['info', PY_CODES.unresolved, 'model = keras.Sequential([keras.Input((8, 16)), '.length]);
    assert.match(d.message, /keras\.layers\.AdditiveAttention is not modelled by memlens yet/);
  });
  it("GRU with Keras' default reset_after=True is not counted (tf.js has only reset_after=False)", () => {
    const [d] = diagnostics('model = keras.Sequential([keras.Input((10, 4)), layers.GRU(8)])\n');
    assert.deepEqual([d!.line, d!.severity, d!.code], [0, 'info', PY_CODES.unresolved]);
    assert.match(d!.message, /reset_after=True/);
  });
  it('a Sequential model without an input shape: NNM402 with what to add', () => {
    const [d] = diagnostics('model = keras.Sequential([layers.Dense(4)])\n');
    assert.deepEqual([d!.code, d!.severity], [PY_CODES.noInput, 'info']);
    assert.match(d!.message, /model 'model' \(Sequential\): memlens needs its input shape.*keras\.Input\(shape=\.\.\.\)/);
  });
  it('a subclassed model never built nor called: NNM402', () => {
    const [d] = diagnostics('class Net(keras.Model):\n    def call(self, x):\n        return x\nnet = Net()\n');
    assert.equal(d!.code, PY_CODES.noInput);
    assert.match(d!.message, /model 'net' \(Net\).*model\.build/);
  });
  it('an unknown condition in call() stops the model there', () => {
    const d = diagnostics(`
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.fc = layers.Dense(2)
    def call(self, x, flag=None):
        if flag.enabled:
            x = self.fc(x)
        return x
net = Net()
net.build((None, 3))
`);
    assert.equal(d.length, 1);
    assert.deepEqual([d[0]!.line, d[0]!.code], [6, PY_CODES.unresolved]);
    assert.match(d[0]!.message, /^model 'net' \(Net\): the condition `flag.enabled` is not known statically.*not analysed$/);
  });
  it('a TensorFlow op memlens does not know inside call() stops the model on that call', () => {
    const d = analyzeText(`import tensorflow as tf
class Net(tf.keras.Model):
    def call(self, x):
        return tf.signal.fft(x)
net = Net()
net.build((None, 3))
`).diagnostics;
    assert.equal(d.length, 1);
    assert.deepEqual([d[0]!.range.start.line, d[0]!.range.start.character], [3, 15]);
    assert.match(d[0]!.message, /`tensorflow\.signal\.fft` is not modelled by memlens yet/);
  });
  it('a layer Keras would reject is an error on the argument, in snake_case', () => {
    const r = analyzeText(HEAD + 'model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, kernel_size="big")])\n');
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    assert.equal(d.code, PY_CODES.shape);
    assert.match(d.message, /'kernel_size' must be an integer or a list of integers/);
    assert.equal(d.range.start.character, 'model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, kernel_size='.length);
  });
  it('a shared layer called on a tensor its weights were not made for is an error (Keras raises)', () => {
    const r = analyzeText(HEAD + 'd = layers.Dense(2)\nmodel = keras.Sequential([keras.Input((3,)), d, d])\n');
    assert.equal(r.graphs.length, 0);
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    assert.equal(d.code, PY_CODES.shape);
    assert.match(d.message, /weights \(8 values\) were made for its first input; this input would need 6/);
  });
  it('a shape that does not fit is an error', () => {
    const r = analyzeText(HEAD + 'a = keras.Input((4,))\nb = keras.Input((5,))\nmodel = keras.Model([a, b], layers.add([a, b]))\n');
    assert.equal(r.graphs.length, 0);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && d.code === PY_CODES.shape));
  });
});

describe('hover and inlay hints through the editor path', () => {
  const path = join(FIXTURES, 'keras_cnn.py');
  const text = readFileSync(path, 'utf8');
  // analysed in the tests, once the parser is loaded
  const analyse = () => analyzeDocument(text, 'python', { documentKey: path });
  const lines = text.split('\n');
  it('hovering a layer in the Sequential list shows its output shape and parameters', () => {
    const line = lines.findIndex((l) => l.includes('layers.Dense(128'));
    const h = hover(analyse(), { line, character: lines[line]!.indexOf('Dense') });
    const value = (h?.contents as { value: string } | undefined)?.value ?? '';
    assert.match(value, /128/);
    assert.match(value, /401,536/);
  });
  it('an inlay hint at the end of each layer: its activation size and parameters', () => {
    const hints = inlayHints(analyse(), { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } }, { enabled: true, showParams: true });
    const dense = lines.findIndex((l) => l.includes('layers.Dense(128'));
    assert.ok(hints.some((h) => h.position.line === dense && String(h.label).includes('+402K params')), JSON.stringify(hints.map((h) => [h.position.line, h.label])));
  });
});

describe('freezing and building after construction', () => {
  it('base.trainable = False freezes every layer of a model used inside another; a layer of its own stays as set', () => {
    const g = only(`
base = keras.Sequential([layers.Dense(8), layers.Dense(8)])
base.trainable = False
inputs = keras.Input(shape=(4,))
head = layers.Dense(2)
outputs = head(base(inputs))
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
`);
    // frozen: 4*8+8 and 8*8+8; trainable: the head 8*2+2
    assert.deepEqual(totals(g), { trainable: 18, nonTrainable: 40 + 72 });
  });
  it('net(keras.Input(...)) at top level builds a subclassed model on that input', () => {
    const r = analyzeText(HEAD + `
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(6)
        self.b = layers.Dense(1)
    def call(self, x):
        return self.b(self.a(x)) 
net = Net()
net(keras.Input(shape=(3,)))
`);
    assert.deepEqual(r.graphs.map((g) => [g.name, totals(g).trainable]), [['net', 3 * 6 + 6 + 6 + 1]]);
  });
});

describe('a Keras model from a local import', () => {
  const NETS = `import keras
from keras import layers

class Net(keras.Model):
    def __init__(self, width):
        super().__init__()
        self.hidden = layers.Dense(width, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

class Broken(keras.Model):
    def call(self, x):
        return keras.ops.fft(x)
`;
  const files: Record<string, string> = { '/virtual/nets.py': NETS };
  const run = (text: string) => analyzeText(text, { documentKey: '/virtual/train.py', readFile: (p) => files[p] });
  it('is counted, and its ops and hovers stay in this document', () => {
    const text = 'import keras\nfrom nets import Net\nnet = Net(8)\nnet.build((None, 4))\n';
    const r = run(text);
    assert.deepEqual(r.graphs.map((g) => [g.name, totals(g).trainable]), [['net', 4 * 8 + 8 + 8 + 1]]);
    const last = text.split('\n').length - 1;
    assert.ok(r.graphs[0]!.ops.every((op) => op.site.start.line < last), 'an op points past this document');
    assert.ok(r.refs.every((ref) => ref.range.start.line < last));
  });
  it('what stops it there is said at the call here, with the line there', () => {
    const r = run('import keras\nfrom nets import Broken\nnet = Broken()\nnet.build((None, 4))\n');
    assert.equal(r.graphs.length, 0);
    const [d] = r.diagnostics;
    assert.deepEqual([d!.range.start.line, d!.code], [2, PY_CODES.unresolved]);
    assert.match(d!.message, /keras\.ops\.fft.*\(line 15 of an imported file\)/);
  });
});

describe('Keras and the framework profiles', () => {
  it('a Keras model in Python is never given the PyTorch profile (the file default for Python): it gets the TensorFlow.js one', () => {
    const path = join(FIXTURES, 'keras_cnn.py');
    const a = analyzeDocument(readFileSync(path, 'utf8'), 'python', { documentKey: path });
    assert.ok(a.models.length > 0);
    for (const m of a.models) assert.equal(m.graph.config.framework, 'tfjs');
  });
});
