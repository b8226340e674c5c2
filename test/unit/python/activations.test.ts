// torch.nn's activation layers beyond the common ones, and their functional forms: each is one
// registry op with no parameters, the shape kept (GLU halves its axis), the arguments torch's
// (torch 1.13's signatures and defaults), in place where torch's form is. Values a run would
// decide stop with NNM401; what torch itself rejects is NNM403.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import type { Graph, OpNode } from '../../../server/src/core/ir';
import { PY_CODES } from '../../../server/src/core/python/codes';
import { analyzeText, ready } from './helpers';

before(ready);

interface Run {
  readonly graph?: Graph;
  /** the op the activation emitted: the one that makes the model's output */
  readonly act?: OpNode;
  readonly diagnostics: readonly { code: string; message: string; severity: string }[];
}

/** `expr` of `h`, by default the output of a Linear(8, 16), inside a module's forward */
function run(expr: string, input = 'torch.randn(4, 8)', init: string[] = [], head = 'self.fc(x)'): Run {
  const text = [
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    'class M(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.fc = nn.Linear(8, 16)',
    ...init.map((l) => `        ${l}`),
    '    def forward(self, x):',
    `        h = ${head}`,
    `        return ${expr}`,
    'model = M()',
    `out = model(${input})`,
  ].join('\n');
  const r = analyzeText(text);
  const graph = r.graphs[0];
  const act = graph?.ops.find((o) => o.output === graph.outputs[0]);
  return { graph, act, diagnostics: r.diagnostics };
}

function outShape(r: Run): readonly number[] {
  assert.ok(r.graph, r.diagnostics.map((d) => d.message).join('; '));
  return r.graph.tensors[r.graph.outputs[0]!]!.shape;
}

/** the emitted op's name, its non-default attributes asked for, and whether it runs in place */
function emitted(r: Run, attrs: readonly string[] = []): string {
  assert.ok(r.act, r.diagnostics.map((d) => d.message).join('; '));
  const shown = attrs.map((a) => `${a}=${JSON.stringify(r.act!.attrs[a])}`).join(' ');
  return `${r.act.op}${r.act.inPlace ? '!' : ''}${shown ? ` ${shown}` : ''}`;
}

describe('torch.nn activation layers', () => {
  // (layer, expected op, attributes to show, their expected rendering)
  const layers: readonly [string, string][] = [
    ['nn.Hardtanh()', 'hardtanh min_val=-1 max_val=1'],
    ['nn.Hardtanh(0.0, 6.0, inplace=True)', 'hardtanh! min_val=0 max_val=6'],
    ['nn.Hardtanh(min_value=-3.0, max_value=3.0)', 'hardtanh min_val=-3 max_val=3'],
    ['nn.SELU(inplace=True)', 'selu!'],
    ['nn.CELU(0.5)', 'celu alpha=0.5'],
    ['nn.Mish()', 'mish'],
    ['nn.Softplus(beta=2, threshold=10)', 'softplus beta=2 threshold=10'],
    ['nn.Softsign()', 'softsign'],
    ['nn.Tanhshrink()', 'tanhshrink'],
    ['nn.LogSigmoid()', 'log_sigmoid'],
    ['nn.Hardshrink()', 'hardshrink lambd=0.5'],
    ['nn.Softshrink(0.25)', 'softshrink lambd=0.25'],
    ['nn.Threshold(0.1, 20.0, True)', 'threshold! threshold=0.1 value=20'],
    ['nn.RReLU(0.1, 0.3)', 'rrelu lower=0.1 upper=0.3 training=true'],
    ['nn.LogSoftmax(dim=1)', 'log_softmax axis=0'],
    ['nn.Softmin(-1)', 'softmin axis=0'],
  ];
  for (const [layer, expected] of layers) {
    it(`${layer}: ${expected}, no parameters, the shape kept`, () => {
      const r = run('self.act(h)', undefined, [`self.act = ${layer}`]);
      const attrNames = expected.split(' ').slice(1).map((kv) => kv.split('=')[0]!);
      assert.equal(emitted(r, attrNames), expected);
      assert.deepEqual(r.act!.params, { trainable: 0, nonTrainable: 0 });
      assert.deepEqual(outShape(r), [16]);
      // the model's parameters are the Linear's alone: 8 x 16 + 16
      assert.equal(r.graph!.ops.reduce((s, o) => s + o.params.trainable, 0), 144);
    });
  }

  it('GLU halves its axis (default the last); on an odd axis torch raises: NNM403', () => {
    assert.deepEqual(outShape(run('nn.GLU()(h)')), [8]);
    assert.equal(emitted(run('nn.GLU()(h)'), ['axis']), 'glu axis=0');
    const image = run('self.glu(self.conv(h))', 'torch.randn(2, 3, 8, 8)', ['self.conv = nn.Conv2d(3, 6, 3, padding=1)', 'self.glu = nn.GLU(dim=1)'], 'x');
    assert.deepEqual(outShape(image), [3, 8, 8]);
    const odd = run('nn.GLU(dim=1)(self.conv(h))', 'torch.randn(2, 3, 8, 8)', ['self.conv = nn.Conv2d(3, 5, 3, padding=1)'], 'x');
    assert.equal(odd.graph, undefined);
    const d = odd.diagnostics.find((x) => x.code === PY_CODES.shape);
    assert.ok(d, JSON.stringify(odd.diagnostics));
    assert.match(d.message, /glu halves axis 0, whose size 5 is odd/);
  });

  it('Softmax2d is a softmax over the channels of an image; any other rank stops with NNM403', () => {
    const r = run('nn.Softmax2d()(self.conv(h))', 'torch.randn(2, 3, 8, 8)', ['self.conv = nn.Conv2d(3, 6, 3, padding=1)'], 'x');
    assert.equal(emitted(r, ['axis']), 'softmax axis=0');
    assert.deepEqual(outShape(r), [6, 8, 8]);
    const flat = run('nn.Softmax2d()(h)');
    assert.match(flat.diagnostics.find((x) => x.code === PY_CODES.shape)?.message ?? '', /Softmax2d expects a 3-D or 4-D input, got a tensor \[N, 16\]/);
  });

  it("Softmax, LogSoftmax and Softmin without a dim take torch's implicit one (1 for a 2-D or 4-D input)", () => {
    assert.equal(emitted(run('nn.LogSoftmax()(h)'), ['axis']), 'log_softmax axis=0');
    assert.equal(emitted(run('nn.Softmax()(h)'), ['axis']), 'softmax axis=0');
    assert.equal(emitted(run('F.softmax(h)'), ['axis']), 'softmax axis=0');
    const image = run('nn.Softmin()(self.conv(h))', 'torch.randn(2, 3, 8, 8)', ['self.conv = nn.Conv2d(3, 6, 3, padding=1)'], 'x');
    assert.equal(emitted(image, ['axis']), 'softmin axis=0');
    // a 3-D input: dim 0 is the batch, which memlens does not reduce over
    const seq = run('nn.LogSoftmax()(h)', 'torch.randn(2, 5, 8)');
    assert.match(seq.diagnostics.map((d) => d.message).join('; '), /over the batch axis/);
  });

  it('RReLU in eval draws no slopes (training=false)', () => {
    const text = ['import torch', 'import torch.nn as nn', 'model = nn.Sequential(nn.Linear(8, 16), nn.RReLU())', 'model.eval()', 'out = model(torch.randn(4, 8))'].join('\n');
    const g = analyzeText(text).graphs[0]!;
    assert.equal(g.ops.find((o) => o.op === 'rrelu')!.attrs['training'], false);
  });

  it('what torch rejects at construction is NNM403: max_val <= min_val, a negative lambd, lower > upper, an unknown keyword', () => {
    const cases: [string, RegExp][] = [
      ['nn.Hardtanh(1.0, -1.0)', /max_val \(-1\.0\) must be greater than min_val \(1\.0\)/],
      ['nn.Softshrink(-0.5)', /softshrink's lambd must be at least 0, got -0\.5/],
      ['nn.RReLU(0.5, 0.1)', /`upper` must be at least `lower`/],
      ['nn.Mish(alpha=1.0)', /unexpected keyword argument `alpha`/],
    ];
    for (const [layer, message] of cases) {
      const r = run('self.act(h)', undefined, [`self.act = ${layer}`]);
      const d = r.diagnostics.find((x) => x.code === PY_CODES.shape);
      assert.ok(d && message.test(d.message), `${layer}: ${JSON.stringify(r.diagnostics)}`);
    }
  });

  it('an argument memlens cannot know statically stops with NNM401, not a guess', () => {
    for (const layer of ['nn.CELU(alpha=float(input()))', 'nn.Threshold(float(input()), 0.0)', 'nn.Hardtanh(max_val=float(input()))', 'nn.GLU(dim=int(input()))', 'nn.LogSoftmax(dim=int(input()))', 'nn.Softmax(int(input()))']) {
      const r = run('self.act(h)', undefined, [`self.act = ${layer}`]);
      assert.equal(r.graph, undefined, layer);
      assert.ok(r.diagnostics.some((d) => d.code === PY_CODES.unresolved), `${layer}: ${JSON.stringify(r.diagnostics)}`);
      assert.ok(!r.diagnostics.some((d) => d.code === PY_CODES.shape), layer);
    }
  });
});

describe('functional, torch.* and method forms', () => {
  const forms: readonly [string, string, readonly string[]][] = [
    ['F.hardtanh(h, -2.0, 2.0)', 'hardtanh min_val=-2 max_val=2', ['min_val', 'max_val']],
    ['F.hardtanh(h, 0.0, 6.0, True)', 'hardtanh! min_val=0 max_val=6', ['min_val', 'max_val']],
    ['F.hardtanh_(h)', 'hardtanh! min_val=-1 max_val=1', ['min_val', 'max_val']],
    ['F.relu6(h, inplace=True)', 'relu6!', []],
    ['F.selu(h)', 'selu', []],
    ['torch.selu_(h)', 'selu!', []],
    ['F.celu(h, alpha=2.0, inplace=True)', 'celu! alpha=2', ['alpha']],
    ['torch.celu(h)', 'celu alpha=1', ['alpha']],
    ['F.mish(h)', 'mish', []],
    ['F.softplus(h, 2, 5)', 'softplus beta=2 threshold=5', ['beta', 'threshold']],
    ['F.softsign(h)', 'softsign', []],
    ['F.tanhshrink(h)', 'tanhshrink', []],
    ['F.logsigmoid(h)', 'log_sigmoid', []],
    ['F.hardshrink(h, 0.2)', 'hardshrink lambd=0.2', ['lambd']],
    ['h.hardshrink(0.2)', 'hardshrink lambd=0.2', ['lambd']],
    ['torch.hardshrink(h)', 'hardshrink lambd=0.5', ['lambd']],
    ['F.softshrink(h, lambd=0.1)', 'softshrink lambd=0.1', ['lambd']],
    ['F.threshold(h, 0.5, 0.0)', 'threshold threshold=0.5 value=0', ['threshold', 'value']],
    ['F.threshold_(h, 0.5, 0.0)', 'threshold! threshold=0.5 value=0', ['threshold', 'value']],
    ['torch.threshold(h, 0.5, 1.0)', 'threshold threshold=0.5 value=1', ['threshold', 'value']],
    // F.rrelu draws slopes only with training=True (its default is False)
    ['F.rrelu(h)', 'rrelu training=false', ['training']],
    ['F.rrelu(h, training=self.training)', 'rrelu training=true', ['training']],
    ['F.rrelu_(h, 0.1, 0.2, True)', 'rrelu! lower=0.1 upper=0.2 training=true', ['lower', 'upper', 'training']],
    ['F.elu_(h)', 'elu! alpha=1', ['alpha']],
    ['F.leaky_relu(h, 0.2, True)', 'leaky_relu! alpha=0.2', ['alpha']],
    ['F.glu(h)', 'glu axis=0', ['axis']],
    ['F.log_softmax(h, dim=-1)', 'log_softmax axis=0', ['axis']],
    ['torch.log_softmax(h, 1)', 'log_softmax axis=0', ['axis']],
    ['h.log_softmax(-1)', 'log_softmax axis=0', ['axis']],
    ['F.softmin(h, 1)', 'softmin axis=0', ['axis']],
    ['h.softmax(dim=1)', 'softmax axis=0', ['axis']],
  ];
  for (const [form, expected, attrs] of forms) {
    it(`${form}: ${expected}`, () => {
      const r = run(form);
      assert.equal(emitted(r, attrs), expected);
      assert.deepEqual(outShape(r), form.includes('glu') ? [8] : [16]);
    });
  }

  it('a required argument left out, or one not known, stops with the reason (NNM401)', () => {
    assert.match(run('F.threshold(h)').diagnostics.map((d) => `${d.code} ${d.message}`).join('; '), /NNM401 .*`threshold` is missing/);
    assert.match(run('F.celu(h, alpha=float(input()))').diagnostics.map((d) => `${d.code} ${d.message}`).join('; '), /NNM401 .*`alpha` is .*not a known number/);
    assert.match(run('F.glu(nn.Linear(8, 5)(h))', undefined, [], 'x').diagnostics.map((d) => d.code).join(' '), /NNM403/);
  });
});

describe('the ops in .nnm', () => {
  function nnm(body: string, mode = 'train'): { shape?: readonly number[]; errors: string[] } {
    const text = `config {\n  mode: ${mode}\n  batch: 4\n}\nmodel m {\n  x = input(3, 8, 8)\n  y = conv2d(x, 8, 3)\n  return ${body}\n}\n`;
    const r = analyzeDocument(text, 'nnm');
    const g = r.models[0]?.graph;
    return { shape: g?.tensors[g.outputs[0]!]?.shape, errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`) };
  }
  it('glu halves the axis; log_softmax and softmin keep the shape', () => {
    assert.deepEqual(nnm('glu(y, axis: 0)').shape, [4, 6, 6]);
    assert.deepEqual(nnm('glu(y, axis: 2)').shape, [8, 6, 3]);
    assert.deepEqual(nnm('log_softmax(softmin(y, 0), 0)').shape, [8, 6, 6]);
  });
  it('in place in training: legal where the backward reads the output or its own state (hardtanh, selu, celu, rrelu), an error where it reads the input (mish, threshold)', () => {
    for (const ok of ['hardtanh(y, inplace: true)', 'selu(y, inplace: true)', 'celu(y, inplace: true)', 'rrelu(y, inplace: true)']) assert.deepEqual(nnm(ok).errors, [], ok);
    for (const bad of ['mish(y, inplace: true)', 'threshold(y, 0.1, 0, inplace: true)']) {
      assert.match(nnm(bad).errors.join('; '), /NNM202: \w+ cannot run in place: \w+'s backward reads its input/, bad);
      assert.deepEqual(nnm(bad, 'infer').errors, [], `${bad} at inference`);
    }
  });
  it('ops torch has no in-place form of take no inplace argument; bad arguments are errors', () => {
    assert.match(nnm('softsign(y, inplace: true)').errors.join('; '), /softsign has no argument 'inplace'/);
    assert.match(nnm('glu(conv2d(x, 5, 3), axis: 0)').errors.join('; '), /glu halves axis 0, whose size 5 is odd/);
    assert.match(nnm('hardtanh(y, 1, 0)').errors.join('; '), /hardtanh needs max_val > min_val, got 1 and 0/);
    assert.match(nnm('threshold(y)').errors.join('; '), /threshold needs 'threshold'/);
  });
});
