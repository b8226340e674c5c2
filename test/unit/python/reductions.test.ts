// Reductions in a PyTorch forward and after it (server/src/core/python/reductions.ts): sum / mean
// over some axes, the batch axis or all of them (a batch-independent result, fixed bytes), max /
// min with their indices, amax / amin, argmax / argmin, the 2-norm; `loss = out.sum()` as the
// step's loss. Shapes are torch's (its documentation); unsupported forms stop with their reason.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import { DTYPE_BYTES, tensorBytesPerSample } from '../../../server/src/core/ir';
import { lookupOp } from '../../../server/src/core/ops/registry';
import { ShapeError } from '../../../server/src/core/ops/types';
import { analyzeText, ready } from './helpers';

before(ready);

const HEAD = ['import torch', 'import torch.nn as nn', 'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.fc = nn.Linear(16, 32)', '    def forward(self, x):', '        y = self.fc(x)'];

/** the model's output: per-sample (or whole, when batch-independent) shape, dtype, batch independence and the graph's ops; or the stop reason */
function run(result: string, after: string[] = [], input = 'torch.randn(8, 16)'): { shape?: readonly number[]; dtype?: string; fixed?: boolean; ops?: string[]; attrs?: Record<string, unknown>; stop?: string } {
  const text = [...HEAD, `        return ${result}`, 'model = M()', `out = model(${input})`, ...after].join('\n');
  const r = analyzeText(text);
  const g = r.graphs[0];
  if (!g) return { stop: r.diagnostics.map((d) => d.message).join('; ') };
  const t = g.tensors[g.outputs[0]!]!;
  return { shape: t.shape, dtype: t.dtype, fixed: t.batchIndependent === true, ops: g.ops.map((o) => o.op), attrs: { ...g.ops[g.ops.length - 1]!.attrs } };
}

describe('sum and mean', () => {
  it('y.sum(), torch.mean(y): one number that does not grow with the batch (4 fixed bytes, none per sample)', () => {
    for (const form of ['y.sum()', 'torch.mean(y)', 'torch.sum(y)', 'y.mean(dim=None)']) {
      const r = run(form);
      assert.deepEqual(r.shape, [1], form);
      assert.equal(r.fixed, true, form);
      assert.deepEqual(r.attrs, { axes: [0], kind: form.includes('mean') ? 'mean' : 'sum', keepdims: false, batch: true, batch_axis: 0 }, form);
    }
    const g = analyzeText([...HEAD, '        return y.sum()', 'model = M()', 'out = model(torch.randn(8, 16))'].join('\n')).graphs[0]!;
    const t = g.tensors[g.outputs[0]!]!;
    assert.equal(tensorBytesPerSample(t), 0);
    assert.equal(t.elementsPerSample * DTYPE_BYTES[t.dtype], 4);
  });

  it('y.sum(0), y.mean(dim=0) over the batch axis: [32], fixed; torch.sum(y, 0, keepdim=True): [1, 32]', () => {
    assert.deepEqual(run('y.sum(0)'), { shape: [32], dtype: 'fp32', fixed: true, ops: ['input', 'dense', 'reduce'], attrs: { axes: [], kind: 'sum', keepdims: false, batch: true, batch_axis: 0 } });
    assert.deepEqual(run('y.mean(dim=0)').shape, [32]);
    const kept = run('torch.sum(y, 0, keepdim=True)');
    assert.deepEqual([kept.shape, kept.fixed], [[1, 32], true]);
  });

  it('per-sample axes stay per sample: y.sum(1) is [N] ([1] per sample), y.mean(-1, keepdim=True) [N, 1]', () => {
    assert.deepEqual([run('y.sum(1)').shape, run('y.sum(1)').fixed], [[1], false]);
    assert.deepEqual(run('y.mean(-1, keepdim=True)').shape, [1]);
    assert.deepEqual(run('y.view(x.size(0), 4, 8).sum((0, 2))').shape, [4]);
  });

  it('y.pow(2).sum() and y.norm() / torch.norm(y, dim=1)', () => {
    assert.deepEqual(run('y.pow(2).sum()').ops, ['input', 'dense', 'pow', 'reduce']);
    const n = run('y.norm()');
    assert.deepEqual([n.shape, n.fixed, n.ops?.at(-1)], [[1], true, 'vector_norm']);
    assert.deepEqual(run('torch.norm(y, dim=1)').shape, [1]);
    assert.match(run('y.norm(1)').stop ?? '', /a norm of order 1 is not modelled yet/);
  });

  it('a sum with a dtype, over no axes or over an axis named twice: a reason', () => {
    assert.match(run('y.sum(dtype=torch.float64)').stop ?? '', /a sum with a dtype is not modelled yet/);
    assert.match(run('y.sum(())').stop ?? '', /an empty list of axes/);
    assert.match(run('y.sum((1, -1))').stop ?? '', /names an axis twice/);
    assert.match(run('y.mean(3)').stop ?? '', /dim 3 is out of range/);
  });
});

describe('max, min, amax, amin, argmax, argmin', () => {
  it('y.max() / y.min(): one value, fixed; y.amax(1): [N]; torch.amin(y, dim=(0, 1)): one value', () => {
    assert.deepEqual([run('y.max()').shape, run('y.max()').fixed, run('y.max()').attrs?.['kind']], [[1], true, 'max']);
    assert.equal(run('y.min()').attrs?.['kind'], 'min');
    assert.deepEqual([run('y.amax(1)').shape, run('y.amax(1)').fixed], [[1], false]);
    assert.deepEqual(run('torch.amin(y, dim=(0, 1))').fixed, true);
  });

  it('torch.max(y, 1) is (values, indices int64): unpacked, indexed, or by .values / .indices', () => {
    const values = run('torch.max(y, 1).values');
    assert.deepEqual(values.ops, ['input', 'dense', 'argmax', 'max_indexed']);
    assert.equal(values.dtype, 'fp32');
    const indices = run('y.max(dim=1, keepdim=True).indices');
    assert.deepEqual([indices.shape, indices.dtype], [[1], 'int64']);
    assert.equal(run('y.min(1)[1]').dtype, 'int64');
    const unpacked = analyzeText([...HEAD, '        _, pred = y.max(1)', '        return pred', 'model = M()', 'out = model(torch.randn(8, 16))'].join('\n')).graphs[0]!;
    assert.equal(unpacked.tensors[unpacked.outputs[0]!]!.dtype, 'int64');
  });

  it('argmax(1): [N] int64; argmin(): one int64 index of the flattened tensor', () => {
    assert.deepEqual([run('y.argmax(1)').dtype, run('y.argmax(1)').fixed], ['int64', false]);
    assert.deepEqual([run('y.argmin()').shape, run('y.argmin()').fixed, run('y.argmin()').dtype], [[1], true, 'int64']);
  });

  it('torch.max(a, b) of two tensors is torch.maximum: a reason', () => {
    assert.match(run('torch.max(y, y)').stop ?? '', /max of two tensors \(torch\.maximum\) is not modelled yet/);
  });
});

describe('after the forward', () => {
  const train = (lines: string[]): ReturnType<typeof analyzeDocument>['models'][number] => {
    const text = [...HEAD, '        return y', 'model = M()', 'x = torch.randn(8, 16)', 'out = model(x)', ...lines].join('\n');
    const overrides = { framework: 'pytorch' as const, device: devicePreset('cpu')!, optimizer: { kind: 'none' as const, momentum: 0 } };
    return analyzeDocument(text, 'python', { documentKey: `/virtual/after-${lines.join('|')}.py`, overrides }).models[0]!;
  };

  it('loss = out.sum(); loss.backward(): the sum is an op of the graph, the step trains, the loss is an output', () => {
    for (const loss of ['out.sum()', 'out.mean()', 'torch.sum(out)', 'torch.mean(out)']) {
      const m = train([`loss = ${loss}`, 'loss.backward()']);
      assert.equal(m.graph.config.mode, 'train', loss);
      const last = m.graph.ops[m.graph.ops.length - 1]!;
      assert.equal(last.op, 'reduce', loss);
      assert.ok(m.graph.outputs.includes(last.output), loss);
    }
  });

  it("the PyTorch profile seeds the backward with the loss' 4 bytes, not the output's 1,024, and holds it to the end", () => {
    // forward: out 1,024 + loss 4; backward: seed 4, the weight's gradient 2,048 and the expanded
    // gradient's contiguous copy 1,024 inside its product, then the bias' 128 once the copy is gone
    // (torch 1.13 measured the same 4,104)
    const m = train(['loss = out.sum()', 'loss.backward()']);
    const r = m.memory!.expected;
    assert.ok(!('reason' in r));
    assert.equal(r.expected.bytes - r.expected.breakdown.weights - r.expected.breakdown.buffers, 1024 + 4 + 4 + 2048 + 1024);
  });

  it('out.sum(1) after the forward is no loss; _, pred = out.max(1) unpacks', () => {
    const m = train(['s = out.sum(1)', '_, pred = out.max(1)', 'out.sum().backward()']);
    assert.deepEqual(m.graph.ops.map((o) => o.op), ['input', 'dense', 'reduce']);
  });

  it('a loss function keeps its figure: the cross-entropy graph has no reduce op', () => {
    const m = train(['import torch.nn.functional as F', 'y = torch.randint(0, 32, (8,))', 'loss = F.cross_entropy(out, y)', 'loss.backward()']);
    assert.deepEqual(m.graph.ops.map((o) => o.op).filter((o) => o !== 'input'), ['dense', 'cross_entropy']);
  });
});

describe('the registry ops (ops/reduce.ts)', () => {
  const shape = (op: string, inputs: { shape: number[]; dtype?: 'fp32' | 'int64' }[], args: Record<string, number | boolean | readonly number[]>): number[] | string => {
    const spec = lookupOp(op)!;
    const ctx = { inputs: inputs.map((t) => ({ shape: t.shape, dtype: t.dtype ?? ('fp32' as const) })), args: { axes: [], keepdims: false, batch: false, batch_axis: 0, ...args }, layout: 'nchw' as const, activationDType: 'fp32' as const };
    try {
      return spec.inferShape(ctx);
    } catch (e) {
      return e instanceof ShapeError ? e.message : String(e);
    }
  };

  it('per-sample axes; the batch too (the whole result); keepdims puts the batch 1 at batch_axis', () => {
    assert.deepEqual(shape('reduce', [{ shape: [3, 4] }], { axes: [1] }), [3]);
    assert.deepEqual(shape('reduce', [{ shape: [3, 4] }], { axes: [-1], keepdims: true }), [3, 1]);
    assert.deepEqual(shape('reduce', [{ shape: [3, 4] }], { batch: true }), [3, 4]);
    assert.deepEqual(shape('reduce', [{ shape: [3, 4] }], { axes: [0, 1], batch: true, keepdims: true, batch_axis: 1 }), [1, 1, 1]);
    assert.deepEqual(shape('reduce_max', [{ shape: [3, 4] }], { axes: [0, 1], batch: true }), [1]);
    assert.deepEqual(shape('argmax', [{ shape: [5] }], { axes: [0] }), [1]);
  });

  it('no axis and no batch, an axis out of range or twice, indices of another shape: ShapeErrors', () => {
    assert.match(String(shape('reduce', [{ shape: [3] }], {})), /needs at least one axis, or the batch axis/);
    assert.match(String(shape('reduce', [{ shape: [3] }], { axes: [1] })), /axis 1 is out of range/);
    assert.match(String(shape('reduce', [{ shape: [3, 4] }], { axes: [1, -1] })), /reduced twice/);
    assert.match(String(shape('max_indexed', [{ shape: [3, 4] }, { shape: [3], dtype: 'fp32' }], { axes: [1] })), /are not int64 of the result's shape/);
    assert.deepEqual(shape('max_indexed', [{ shape: [3, 4] }, { shape: [3], dtype: 'int64' }], { axes: [1] }), [3]);
  });

  it('saved for backward: max over all axes keeps x and the result; torch.max(x, dim) its indices; the 2-norm x and the result', () => {
    assert.deepEqual(lookupOp('reduce_max')!.savedForBackward, { inputs: [0], output: true });
    assert.deepEqual(lookupOp('max_indexed')!.savedForBackward, { inputs: [1], output: false });
    assert.deepEqual(lookupOp('vector_norm')!.savedForBackward, { inputs: [0], output: true });
    assert.deepEqual(lookupOp('reduce')!.savedForBackward, { inputs: [], output: false });
    for (const op of ['reduce', 'reduce_max', 'max_indexed', 'vector_norm', 'argmax']) assert.equal(lookupOp(op)!.inPlace, 'never', op);
    assert.equal(lookupOp('argmax')!.outputDType!({ inputs: [{ shape: [3], dtype: 'fp32' }], args: {}, layout: 'nchw', activationDType: 'fp32' }), 'int64');
  });
});
