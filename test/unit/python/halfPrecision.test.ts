// Half-precision models (`.half()`, `.bfloat16()`, `.to(torch.float16)`, `.to(dtype=...)`): the
// whole model analysed in fp16 / bf16 (2-byte weights, gradients and activations, the same
// parameter counts), example tensors converted alike, a part converted alone noted; torch 1.13 on
// a CPU (scripts/torch_half_oracle.py -> torch_half.json) raises for most float16 kernels, which
// memlens reports as torch's error, and runs bfloat16 through oneDNN, which it gives a reason for.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import type { ModelConfig } from '../../../server/src/core/ir';
import { BF16_CPU_REASON, HALF_CPU_MISSING } from '../../../server/src/core/analysis/framework/pytorchHalf';
import { analyzeText, FIXTURES, ready } from './helpers';

const HALF = JSON.parse(readFileSync(join(FIXTURES, 'torch_half.json'), 'utf8')) as {
  ops: Record<string, { layer: string; float16: Record<'infer' | 'train', string>; bfloat16: Record<'infer' | 'train', string> }>;
  linearEvents: { events: Record<'float32' | 'bfloat16', Record<string, number[]>>; bfloat16Scratch: { in: number; out: number; batch: number; events: number[] }[] };
};

const HEADER = 'import torch\nimport torch.nn as nn\n';
const MLP = 'nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))';
const PARAMS = 64 * 64 + 64 + 64 * 10 + 10;
const CPU: Partial<ModelConfig> = { framework: 'pytorch', device: devicePreset('cpu')! };

function analyse(text: string, key: string, overrides: Partial<ModelConfig> = {}) {
  return analyzeDocument(text, 'python', { documentKey: `/virtual/half-${key}.py`, overrides });
}
const messages = (a: ReturnType<typeof analyse>): string => a.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n');

before(ready);

describe('half-precision models', () => {
  const cases: [string, string, string, 'fp16' | 'bf16'][] = [
    ['.half()', '.half()', 'torch.randn(8, 64).half()', 'fp16'],
    ['.bfloat16()', '.bfloat16()', 'torch.randn(8, 64).bfloat16()', 'bf16'],
    ['.to(torch.float16)', '.to(torch.float16)', 'torch.randn(8, 64, dtype=torch.float16)', 'fp16'],
    ['.to(dtype=torch.bfloat16)', '.to(dtype=torch.bfloat16)', 'torch.randn(8, 64).to(torch.bfloat16)', 'bf16'],
    ["to('cpu', torch.half)", ".to('cpu', torch.half)", 'torch.randn(8, 64, dtype=torch.half)', 'fp16'],
  ];
  for (const [id, conversion, example, precision] of cases) {
    it(`${id}: analysed in ${precision}, 2-byte weights, the parameter count unchanged`, () => {
      const text = `${HEADER}model = ${MLP}${conversion}\nx = ${example}\nout = model(x)\n`;
      const a = analyse(text, id, { mode: 'infer' });
      const m = a.models[0]!;
      assert.equal(m.graph.config.precision, precision);
      assert.deepEqual([...new Set(m.graph.tensors.map((t) => t.dtype))], [precision]);
      assert.deepEqual(m.memory!.bytes.weights, { fixed: PARAMS * 2, perSample: 0 });
      assert.equal(analyzeText(text).modules[0]!.counts.trainable, PARAMS);
      // the example is converted alike: no mixed-dtype note
      assert.ok(!/mixed dtypes/.test(messages(a)), messages(a));
    });
  }

  it('the ideal figures halve exactly against fp32 (activations, gradients, planned peak)', () => {
    const step = (conversion: string, example: string) => analyse(`${HEADER}model = ${MLP}${conversion}\nx = ${example}\nout = model(x)\nout.sum().backward()\n`, `ideal${conversion}`, { framework: 'ideal' }).models[0]!.memory!.bytes;
    const fp32 = step('', 'torch.randn(8, 64)');
    for (const [conversion, example] of [['.half()', 'torch.randn(8, 64).half()'], ['.bfloat16()', 'torch.randn(8, 64, dtype=torch.bfloat16)']] as const) {
      const half = step(conversion, example);
      assert.equal(half.planned * 2, fp32.planned);
      assert.equal(half.lowerBound * 2, fp32.lowerBound);
      assert.deepEqual(half.savedActivations, { fixed: 0, perSample: fp32.savedActivations.perSample / 2 });
      // fp32: (weights + gradients) 2 x 19,240 + activations; every term at 2 bytes
      assert.equal(half.planned, 21288);
    }
  });

  it('.float() (or .to(torch.float32)) after .half() takes the model back to fp32', () => {
    for (const back of ['.float()', '.to(torch.float32)']) {
      const m = analyse(`${HEADER}model = ${MLP}.half()${back}\nout = model(torch.randn(8, 64))\n`, `back${back}`).models[0]!;
      assert.equal(m.graph.config.precision, 'fp32');
    }
  });

  it('a conversion after the example call does not change the analysed call', () => {
    const a = analyse(`${HEADER}model = ${MLP}\nout = model(torch.randn(8, 64))\nmodel.half()\n`, 'after');
    assert.equal(a.models[0]!.graph.config.precision, 'fp32');
    assert.ok(!/mixed dtypes/.test(messages(a)), messages(a));
  });

  it('a part converted alone is noted, and the model keeps its precision', () => {
    const text = `${HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(4, 4)\n        self.b = nn.Linear(4, 2)\n    def forward(self, x):\n        return self.b(self.a(x))\nmodel = M()\nmodel.a.bfloat16()\nout = model(torch.randn(2, 4))\n`;
    const a = analyse(text, 'part');
    assert.equal(a.models[0]!.graph.config.precision, 'fp32');
    assert.ok(a.diagnostics.some((d) => d.code === 'NNM401' && d.message.includes("memlens models bfloat16 for a whole model (`model.bfloat16()`); `model.a.bfloat16()` converts a part of it")), messages(a));
  });

  it('an example of another float dtype than the model is noted (torch raises on mixed dtypes)', () => {
    const a = analyse(`${HEADER}model = ${MLP}.half()\nout = model(torch.randn(8, 64))\n`, 'mixed');
    assert.equal(a.models[0]!.graph.config.precision, 'fp16');
    assert.ok(a.diagnostics.some((d) => d.code === 'NNM401' && d.message.includes('the example is float32 and the model float16')), messages(a));
  });

  it('an integer dtype for a model is noted: nn.Module.to raises', () => {
    const a = analyse(`${HEADER}model = ${MLP}.to(torch.int64)\nout = model(torch.randn(8, 64))\n`, 'int');
    assert.equal(a.models[0]!.graph.config.precision, 'fp32');
    assert.ok(/nn.Module.to takes floating-point dtypes only/.test(messages(a)), messages(a));
  });
});

describe('half precision under the PyTorch CPU profile (torch_half.json)', () => {
  it('memlens lists exactly the probed ops whose float16 CPU kernel torch 1.13 lacks, with its kernel name', () => {
    for (const [op, probe] of Object.entries(HALF.ops)) {
      const missing = HALF_CPU_MISSING[op];
      for (const mode of ['infer', 'train'] as const) {
        const measured = probe.float16[mode];
        const raises = missing !== undefined && (mode === 'train' || !missing.trainOnly);
        if (raises) assert.equal(measured, `RuntimeError: "${missing.kernel}" not implemented for 'Half'`, `${op} ${mode}`);
        else assert.equal(measured, 'runs', `${op} ${mode}: ${measured}`);
      }
    }
    for (const op of Object.keys(HALF_CPU_MISSING)) assert.ok(HALF.ops[op], `${op} is not probed`);
  });

  it('a float16 model on a CPU: torch raises, an NNM403 error at the conversion and a reason, no figure', () => {
    const text = `${HEADER}model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10)).half()\nx = torch.randn(2, 3, 8, 8).half()\nout = model(x)\nout.sum().backward()\n`;
    const a = analyse(text, 'cpu16', CPU);
    const error = a.diagnostics.find((d) => d.severity === 'error');
    assert.ok(error, messages(a));
    assert.equal(error.code, 'NNM403');
    assert.equal(error.message, `model 'model': torch 1.13 raises running this float16 model on a CPU: "slow_conv2d_cpu" not implemented for 'Half' (its first conv2d); float16 needs a GPU (or bfloat16 / float32 on a CPU)`);
    assert.equal(error.range.start.line, 2);
    assert.deepEqual(a.models[0]!.memory!.expected, { reason: `torch 1.13 raises for this float16 model on a CPU: "slow_conv2d_cpu" not implemented for 'Half' (conv2d); no CPU figure` });
  });

  it('dropout runs in float16 inference (the identity) and raises in training', () => {
    const text = (train: boolean) => `${HEADER}model = nn.Sequential(nn.Embedding(10, 4), nn.Dropout(0.5), nn.Flatten()).half()\nout = model(torch.randint(0, 10, (2, 5)))\n${train ? 'out.sum().backward()\n' : ''}`;
    const infer = analyse(text(false), 'drop-infer', { ...CPU, mode: 'infer' });
    assert.ok(!infer.diagnostics.some((d) => d.severity === 'error'), messages(infer));
    assert.deepEqual(infer.models[0]!.memory!.expected, { reason: "PyTorch's CPU profile does not replay float16 (torch 1.13 lacks most of its CPU kernels)" });
    const train = analyse(text(true), 'drop-train', CPU);
    assert.ok(train.diagnostics.some((d) => d.severity === 'error' && d.message.includes(`"bernoulli_scalar_cpu_" not implemented for 'Half' (its first dropout)`)), messages(train));
  });

  it('a float16 model on a GPU is not an error (its kernels exist there)', () => {
    const a = analyse(`${HEADER}model = ${MLP}.half()\nout = model(torch.randn(8, 64).half())\n`, 'gpu16', { framework: 'pytorch' });
    assert.ok(!a.diagnostics.some((d) => d.severity === 'error'), messages(a));
  });

  it('bfloat16 on a CPU: a reason, not the float32 figure scaled (oneDNN scratch measured)', () => {
    const ev = HALF.linearEvents.events;
    // the scratch the reason names: measured at batch 8 and 32, absent at batch 1 and in float32
    assert.deepEqual(ev.bfloat16['8'], [512, 8960, -8960, -512]);
    assert.deepEqual(ev.bfloat16['1'], [64, -64]);
    assert.deepEqual(ev.float32['8'], [1024, -1024]);
    const a = analyse(`${HEADER}model = ${MLP}.bfloat16()\nout = model(torch.randn(8, 64).bfloat16())\n`, 'cpubf16', CPU);
    assert.deepEqual(a.models[0]!.memory!.expected, { reason: BF16_CPU_REASON });
    // the sizes the reason names, and the 16 x 16 x 16 threshold: a scratch buffer exactly where batch x in x out > 4,096
    const scratch = HALF.linearEvents.bfloat16Scratch;
    for (const r of scratch) assert.equal(r.events.length === 4, r.batch * r.in * r.out > 4096, JSON.stringify(r));
    const size = (k: number) => scratch.find((r) => r.in === k && r.batch === 8)!.events[1];
    assert.deepEqual([64, 784, 1024, 2048, 4096].map(size), [8960, 68480, 68480, 134016, 134016]);
    assert.ok(BF16_CPU_REASON.includes('8,960 bytes for 64 in-features, 68,480 for 784 and for 1,024, 134,016 for 2,048 and for 4,096'));
  });
});

describe('bfloat16 transposed convolutions on a CPU (torch_half.json bfloat16Transposed)', () => {
  const TRANSPOSED = JSON.parse(readFileSync(join(FIXTURES, 'torch_half.json'), 'utf8')).bfloat16Transposed as { layer: string; input: number[]; float32: number[] | string; bfloat16: number[] | string }[];
  it('torch 1.13 runs them as plain convolutions (a smaller output) or raises where in and out channels differ', () => {
    assert.deepEqual(TRANSPOSED.map((c) => [c.layer, c.float32, c.bfloat16]), [
      ['nn.ConvTranspose2d(4, 4, 3)', [2, 4, 10, 10], [2, 4, 6, 6]],
      ['nn.ConvTranspose2d(3, 4, 3)', [2, 4, 10, 10], 'RuntimeError: Given groups=1, weight of size [3, 4, 3, 3], expected input[2, 3, 8, 8] to have 4 channels, but got 3 channels instead'],
      ['nn.ConvTranspose1d(4, 4, 3)', [2, 4, 10], [2, 4, 6]],
      ['nn.ConvTranspose3d(2, 2, 3)', [1, 2, 6, 6, 6], [1, 2, 2, 2, 2]],
    ]);
  });
  it('a bfloat16 model with one: an NNM403 error and a reason, no figure', () => {
    const a = analyse(`${HEADER}model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ConvTranspose2d(4, 4, 3)).to(torch.bfloat16)\nout = model(torch.randn(2, 3, 8, 8, dtype=torch.bfloat16))\n`, 'convt', { ...CPU, mode: 'infer' });
    const error = a.diagnostics.find((d) => d.severity === 'error');
    assert.equal(error?.message, "model 'model': torch 1.13 on a CPU does not run this bfloat16 model as written: a bfloat16 transposed convolution runs as a plain convolution (a smaller output; with other in and out channels a RuntimeError) (its first conv2d_transpose); run it in float32 on a CPU");
    assert.deepEqual(a.models[0]!.memory!.expected, { reason: 'torch 1.13 on a CPU does not run this bfloat16 model as written: a bfloat16 transposed convolution runs as a plain convolution (a smaller output; with other in and out channels a RuntimeError) (conv2d_transpose); no CPU figure' });
  });
});

describe('casts inside a forward', () => {
  const net = (cast: string) => `${HEADER}class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(8, 8)\n    def forward(self, x):\n        x = ${cast}\n        return self.a(x)\nmodel = Net()\nout = model(torch.randn(4, 8))\n`;
  it('a cast to another dtype (a new tensor of other bytes) is not modelled: a reason, no graph', () => {
    for (const cast of ['x.to(torch.float16)', 'x.to(dtype=torch.bfloat16)', 'x.half()']) {
      const a = analyzeText(net(cast));
      assert.equal(a.graphs.length, 0, cast);
      assert.ok(a.diagnostics.some((d) => d.code === 'NNM401' && /is not modelled by memlens yet/.test(d.message)), cast);
    }
  });
  it('a cast to the tensor\'s own dtype or a device move is the tensor itself', () => {
    for (const cast of ['x.to(torch.float32)', "x.to('cpu')"]) assert.deepEqual(analyzeText(net(cast)).graphs[0]!.ops.map((op) => op.op), ['input', 'dense'], cast);
  });
});
