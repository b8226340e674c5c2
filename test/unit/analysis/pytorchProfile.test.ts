// The PyTorch CPU profile (analysis/framework) against PyTorch 1.13's allocator: single layers
// (torch_ops.json, scripts/torch_op_oracle.py) and the Python corpus (oracle.json,
// scripts/python_oracle.py). The figure compared is bytes.expectedPeak minus weights and buffers,
// which exist before the measured step.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { ready } from '../python/helpers';
import type { Mode } from '../../../server/src/core/ir';
import { devicePreset } from '../../../server/src/core/devices';
import { formatReport } from '../../../server/src/report/text';
import { toJsonReport } from '../../../server/src/report/json';
import { modelMemoryLines } from '../../../server/src/lsp/features/memoryText';
import { simulatePytorchCpu } from '../../../server/src/core/analysis/framework/pytorchCpu';
import type { Graph } from '../../../server/src/core/ir';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'python');
const ops = JSON.parse(readFileSync(join(FIXTURES, 'torch_ops.json'), 'utf8')) as {
  meta: { cpuVectorBits: number };
  /**
   * `layers` for an nn.Sequential of them, `layer` for a recurrent layer called alone (it returns
   * (output, state)), `attention` for an nn.MultiheadAttention called as attn(x, x, x) by a wrapper
   * that keeps the output (batchFirst, needWeights, causalMask: how torch ran it; torchError: the
   * modes torch raised in), `module` and `build` for a small model's source (`dtype`: its input's)
   */
  /** `batch`: a recurrent layer's batch (the input's second axis when it is time-major) */
  cases: Record<string, { layers?: string; layer?: string; batch?: number; attention?: string; batchFirst?: boolean; needWeights?: boolean; causalMask?: boolean; loss?: 'sum' | 'cross_entropy'; linear?: number; module?: string; build?: string; dtype?: string; inputDtype?: 'long' | 'float'; state?: string; input: number[]; peak: Partial<Record<Mode, number>>; torchError?: Partial<Record<Mode, string>> }>;
};
const corpus = JSON.parse(readFileSync(join(FIXTURES, 'oracle.json'), 'utf8')) as {
  meta: { cpuVectorBits: number };
  models: Record<string, { file: string; name: string; batch: number; peak: Partial<Record<Mode, number | null>> }>;
};

/** the preset whose vectors match the machine the oracle ran on */
function cpuFor(vectorBits: number): string {
  const name = vectorBits === 512 ? 'cpu' : vectorBits === 256 ? 'cpu-avx2' : undefined;
  assert.ok(name && devicePreset(name), `no CPU preset for ${vectorBits}-bit vectors`);
  return name;
}

function expectedActivations(text: string, key: string, mode: Mode, batch: number, device: string, name?: string): number | string {
  const overrides = { mode, batch, framework: 'pytorch' as const, device: devicePreset(device)!, optimizer: { kind: 'none' as const, momentum: 0 } };
  const a = analyzeDocument(text, 'python', { documentKey: key, overrides });
  const model = name ? a.models.find((m) => m.graph.name === name) : a.models[0];
  assert.ok(model?.memory, `no model: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  const result = model.memory.expected;
  if ('reason' in result) return result.reason;
  const b = result.expected;
  assert.equal(model.memory.bytes.expectedPeak, b.bytes);
  return b.bytes - b.breakdown.weights - b.breakdown.buffers;
}

before(ready);

/**
 * The single-layer rows not exact to the byte: oneDNN's small bias and scratch copies (64-512 bytes:
 * convolutions, the norms, local response norm, upsampling), and the LSTM and GRU cell loops' and
 * LPPool's backward orders (within 5%). The others are exact: the step's `loss = out.sum()` is the graph's
 * loss, the backward seeded with its 4 bytes, which SumBackward expands as a view (the recurrent
 * layers read it as it is, convolutions and linear products copy it).
 */
const INEXACT: ReadonlySet<string> = new Set([
  'batchnorm train', 'conv_bn_relu_pool train', 'conv_cin16_b4 train', 'conv_cin24_b2 infer', 'conv_cin3_b4 train',
  'gru_cell_loop train', 'gru_cell_loop_fp64 train', 'layernorm infer', 'layernorm train',
  'local_response_norm infer', 'local_response_norm train', 'local_response_norm_3d infer', 'local_response_norm_3d train',
  'lppool2d train', 'lppool2d_ceil train', 'lstm_cell_loop train', 'lstm_cell_loop_b16 train', 'lstm_cell_loop_fp64 train',
  'lstm_cell_no_state train', 'relu_conv_transpose infer', 'upsampling_bilinear2d infer', 'upsampling_nearest2d infer',
  // a 3-channel convolution's training step: 224 bytes of oneDNN scratch, as conv_cin3_b4's
  'reduce_conv_mean_spatial train', 'reduce_conv_sum_batch_spatial train',
  // oneDNN's small copies in the circular convolution's backward (64 bytes); a dilated max-pool's
  // training step (224 bytes short) and a fractional or sized upsample's (208 bytes short), not traced yet
  'conv_circular train', 'maxpool_dilated train', 'upsample_fractional train', 'upsample_size_nearest train',
  // the RNN cell loops read 1.045-1.067 since gradient strides are tracked (the stacked outputs'
  // backward hands out views that keep its gradient alive; exact before that): a regression to trace
  'rnn_cell_loop train', 'rnn_cell_loop_fp64 train', 'rnn_relu_cell_loop train',
]);

describe('PyTorch CPU profile: single layers against torch 1.13 (torch_ops.json)', () => {
  const device = cpuFor(ops.meta.cpuVectorBits);
  for (const [id, c] of Object.entries(ops.cases)) {
    if (c.attention !== undefined) continue;
    for (const [mode, measured] of Object.entries(c.peak) as [Mode, number][]) {
      it(`${id} ${mode}: ${c.layers ?? c.layer ?? c.build}`, () => {
        // the oracle's step in Python, read by memlens' own frontend
        const loss = mode === 'train' ? 'loss = out.sum()\nloss.backward()\n' : '';
        const build = c.module !== undefined ? `${c.module}\nmodel = ${c.build}` : c.layer !== undefined ? `model = ${c.layer}` : `model = nn.Sequential(${c.layers})`;
        // a recurrent state made before the step and passed in (`state`: its Python over `model`)
        const call = c.layer !== undefined ? 'out, state = model(x)' : c.state !== undefined ? `hidden = ${c.state}\nout = model(x, hidden)` : 'out = model(x)';
        const example = c.inputDtype === 'long' ? `torch.randint(0, 50, (${c.input.join(', ')}))` : `torch.randn(${c.input.join(', ')}${c.dtype ? `, dtype=torch.${c.dtype}` : ''})`;
        const text = `import torch\nimport torch.nn as nn\n${build}\nx = ${example}\n${call}\n${loss}`;
        const predicted = expectedActivations(text, `/virtual/${id}.py`, mode, c.batch ?? c.input[0]!, device);
        assert.equal(typeof predicted, 'number', String(predicted));
        // within the issue's [0.9, 1.1]; exact but for the rows of INEXACT
        const ratio = (predicted as number) / measured;
        assert.ok(ratio >= 0.9 && ratio <= 1.1, `predicted ${predicted}, torch ${measured} (${ratio.toFixed(3)})`);
        if (!INEXACT.has(`${id} ${mode}`)) assert.equal(predicted, measured);
      });
    }
    for (const [mode, error] of Object.entries(c.torchError ?? {}) as [Mode, string][]) {
      it(`${id} ${mode}: ${c.layers}: torch raises, memlens gives the reason`, () => {
        const loss = mode === 'train' ? 'loss = out.sum()\nloss.backward()\n' : '';
        const text = `import torch\nimport torch.nn as nn\nmodel = nn.Sequential(${c.layers})\nx = torch.randn(${c.input.join(', ')})\nout = model(x)\n${loss}`;
        const reason = expectedActivations(text, `/virtual/${id}.py`, mode, c.input[0]!, device);
        assert.equal(error, 'ValueError: SyncBatchNorm expected input tensor to be on GPU');
        assert.equal(reason, "torch 1.13 raises on this step on a CPU (SyncBatchNorm: 'ValueError: SyncBatchNorm expected input tensor to be on GPU', in inference and training): there is no CPU peak to give");
      });
    }
  }
});

/**
 * circular padding (F.pad's composite and its CopySlices backward), interpolation (the CPU
 * kernel's index and weight arrays) and oneDNN's channels-last depthwise convolution (ConvNeXt's:
 * its scratches) are replayed event by event: torch's figure to the byte, but
 * for oneDNN's small copies (64 bytes) in the circular convolution's backward and the
 * fractional and sized upsamplings' training steps (208 bytes, not traced yet)
 */
const RESAMPLING_SLACK: Readonly<Record<string, number>> = { 'conv_circular train': 64, 'upsample_fractional train': 208, 'upsample_size_nearest train': 208 };

describe('PyTorch CPU profile: circular padding, interpolation and channels-last depthwise convolutions to the byte (torch_ops.json)', () => {
  const device = cpuFor(ops.meta.cpuVectorBits);
  const ids = Object.keys(ops.cases).filter((id) => /^(circular_|conv_circular|upsampl|interpolate_|depthwise_channels_last)/.test(id));
  it('covers the cases', () => assert.equal(ids.length, 22));
  for (const id of ids) {
    const c = ops.cases[id]!;
    for (const [mode, measured] of Object.entries(c.peak) as [Mode, number][]) {
      it(`${id} ${mode}`, () => {
        const loss = mode === 'train' ? 'loss = out.sum()\nloss.backward()\n' : '';
        const build = c.module !== undefined ? `${c.module}\nmodel = ${c.build}` : `model = nn.Sequential(${c.layers})`;
        const text = `import torch\nimport torch.nn as nn\n${build}\nx = torch.randn(${c.input.join(', ')})\nout = model(x)\n${loss}`;
        const predicted = expectedActivations(text, `/virtual/${id}.py`, mode, c.input[0]!, device);
        assert.equal(measured - (predicted as number), RESAMPLING_SLACK[`${id} ${mode}`] ?? 0, `predicted ${predicted}, torch ${measured}`);
      });
    }
  }
});

/**
 * The Python source memlens reads for an attention case: the oracle's wrapper (without its mask,
 * which memlens' frontend does not follow; with its Linear after the call where the case has one), a sequence-first input through a pragma (memlens takes
 * an example's first axis as the batch), a batch-first one through an example and out.sum() or
 * cross-entropy over the last axis.
 */
function attentionSource(c: (typeof ops.cases)[string], mode: Mode): string {
  const [a, b, e] = c.input as [number, number, number];
  const head = `import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n${c.batchFirst ? '' : `# memlens: input [${a}, N, ${e}]\n`}`;
  const proj = c.linear !== undefined ? `        self.proj = nn.Linear(${e}, ${c.linear})\n` : '';
  const result = c.linear !== undefined ? 'self.proj(y)' : 'y';
  // the oracle's causal mask: a buffer made before the step
  const length = c.batchFirst ? b : a;
  const mask = c.causalMask ? `        self.register_buffer("mask", torch.triu(torch.full((${length}, ${length}), float("-inf")), 1))\n` : '';
  const wrapper = `class Attend(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.attn = ${c.attention}\n${mask}${proj}\n    def forward(self, x):\n        y = self.attn(x, x, x, need_weights=${c.needWeights ? 'True' : 'False'}${c.causalMask ? ', attn_mask=self.mask' : ''})[0]\n        return ${result}\n\n\nmodel = Attend()\n`;
  const loss = c.loss === 'cross_entropy' ? `y = torch.randint(0, ${e}, (${a * b},))\nloss = F.cross_entropy(out.reshape(-1, ${e}), y)\n` : 'loss = out.sum()\n';
  const call = c.batchFirst ? `x = torch.randn(${a}, ${b}, ${e})\nout = model(x)\n${mode === 'train' ? `${loss}loss.backward()\n` : ''}` : '';
  return head + wrapper + call;
}

/** the model memlens builds for an attention case, and the same graph with torch's call (batch_first, need_weights, a mask input) on its attention node where the frontend does not give it */
function attentionGraphs(id: string, c: (typeof ops.cases)[string], mode: Mode, device: string, maskInput = false): { graph: Graph; patched: Graph; batch: number; expected: number | string } {
  const batch = c.batchFirst ? c.input[0]! : c.input[1]!;
  const overrides = { mode, batch, framework: 'pytorch' as const, device: devicePreset(device)!, optimizer: { kind: 'none' as const, momentum: 0 } };
  const a = analyzeDocument(attentionSource(c, mode), 'python', { documentKey: `/virtual/${id}.py`, overrides });
  const model = a.models[0];
  assert.ok(model?.memory, `no model: ${a.diagnostics.map((d) => d.message).join('; ')}`);
  const graph = model.graph;
  const patched: Graph = {
    ...graph,
    ops: graph.ops.map((op) => (op.op !== 'attention' ? op : { ...op, inputs: maskInput ? [...op.inputs, op.inputs[0]!] : op.inputs, attrs: { batch_first: c.batchFirst!, need_weights: c.needWeights!, ...op.attrs } })),
  };
  const result = model.memory.expected;
  const expected = 'reason' in result ? result.reason : result.expected.bytes - result.expected.breakdown.weights - result.expected.breakdown.buffers;
  return { graph, patched, batch, expected };
}

describe('PyTorch CPU profile: nn.MultiheadAttention against torch 1.13 (torch_ops.json attention cases)', () => {
  const device = cpuFor(ops.meta.cpuVectorBits);
  for (const [id, c] of Object.entries(ops.cases)) {
    if (c.attention === undefined) continue;
    const modes = [...Object.keys(c.peak), ...Object.keys(c.torchError ?? {})] as Mode[];
    for (const mode of modes) {
      it(`${id} ${mode}: ${c.attention}${c.needWeights ? '' : ', need_weights=False'}${c.causalMask ? ', causal float mask' : ''}${c.linear !== undefined ? `, then Linear(${c.input[2]}, ${c.linear})` : ''}`, () => {
        const { graph, patched, batch, expected } = attentionGraphs(id, c, mode, device);
        const node = graph.ops.find((op) => op.op === 'attention')!;
        // the frontend puts the call's batch_first and need_weights on the node (the replay needs both)
        assert.equal(typeof node.attrs['batch_first'], 'boolean');
        assert.equal(typeof node.attrs['need_weights'], 'boolean');
        const simulated = simulatePytorchCpu(patched, batch, mode === 'train', ops.meta.cpuVectorBits);
        const error = c.torchError?.[mode];
        if (error !== undefined) {
          // torch raised (bias=False on the fast path): a reason, never a figure
          assert.match(error, /qkv_bias/);
          assert.ok('unsupported' in simulated && /bias=False on torch 1\.13's fast path/.test(simulated.unsupported.join()), JSON.stringify(simulated));
          return;
        }
        const measured = c.peak[mode]!;
        // (a float mask made before the step allocates nothing inside the call; in inference it keeps torch off its fast path)
        assert.ok('peak' in simulated, JSON.stringify(simulated));
        const predicted = simulated.peak.bytes;
        // once the frontend gives the attributes, its own figure is the replay's
        if (typeof node.attrs['batch_first'] === 'boolean' && typeof node.attrs['need_weights'] === 'boolean') assert.equal(expected, predicted);
        const ratio = predicted / measured;
        assert.ok(ratio >= 0.9 && ratio <= 1.1, `predicted ${predicted}, torch ${measured} (${ratio.toFixed(4)})`);
        // exact to the byte, but for the 8 bytes torch's loss and its seed gradient (4 + 4) hold through
        // the backward with cross-entropy, and with out.sum() where memlens reads no step (a
        // sequence-first case's pragma); a batch-first case's out.sum() is the graph's loss: exact
        const outsideGraph = c.loss === 'cross_entropy' || !c.batchFirst;
        assert.equal(measured - predicted, mode === 'train' && outsideGraph ? 8 : 0, `predicted ${predicted}, torch ${measured}`);
      });
    }
  }
});

describe('PyTorch CPU profile: attention forms torch 1.13 cannot run as written', () => {
  const nnm = (body: string, mode: Mode): string => {
    const a = analyzeDocument(`config {\n  mode: ${mode}\n  batch: 8\n  framework: pytorch\n  device: cpu\n}\nmodel m {\n  x = input(16, 64)\n${body}\n}\n`, 'nnm', { documentKey: `/virtual/forms-${mode}.nnm` });
    const memory = a.models[0]!.memory!;
    assert.equal(memory.bytes.expectedPeak, null);
    return 'reason' in memory.expected ? memory.expected.reason : '';
  };
  for (const mode of ['train', 'infer'] as const) {
    it(`.nnm attention(causal: true), (flash: true) and scaled_dot_product_attention get a reason, ${mode}`, () => {
      const training = mode === 'train' ? ' training' : '';
      assert.match(nnm('  y = attention(x, 4, causal: true)', mode), new RegExp(`attention${training} \\(causal: torch 1\\.13 takes the mask as an attn_mask tensor`));
      assert.match(nnm('  y = attention(x, 4, flash: true)', mode), new RegExp(`attention${training} \\(flash: torch 1\\.13 has no fused attention on a CPU`));
      assert.match(nnm('  q = dense(x, 64)\n  y = sdpa(q, q, q)', mode), new RegExp(`scaled_dot_product_attention${training} \\(torch 1\\.13 has none: it came with torch 2\\.0\\)`));
    });
  }

  it('an attention node with a second input (a mask, keys of their own) or one position, frozen or shared weights: a reason', () => {
    const c = ops.cases['mha_seq_b8']!;
    const device = cpuFor(ops.meta.cpuVectorBits);
    const { patched } = attentionGraphs('gap', c, 'train', device, true);
    const two = simulatePytorchCpu(patched, 8, true, ops.meta.cpuVectorBits);
    assert.deepEqual('unsupported' in two && two.unsupported, ['attention training (2 inputs (a padding mask, a per-sample mask, or keys and values of their own))']);
    const base = attentionGraphs('gap', c, 'train', device).patched;
    const variant = (change: (op: Graph['ops'][number]) => Graph['ops'][number]): Graph => ({ ...base, ops: base.ops.map((op) => (op.op === 'attention' ? change(op) : op)) });
    const frozen = simulatePytorchCpu(variant((op) => ({ ...op, params: { trainable: 0, nonTrainable: op.params.trainable } })), 8, true, ops.meta.cpuVectorBits);
    assert.deepEqual('unsupported' in frozen && frozen.unsupported, ['attention training (frozen weights)']);
    const shared = simulatePytorchCpu(variant((op) => ({ ...op, sharesParamsWith: 0 })), 8, true, ops.meta.cpuVectorBits);
    assert.deepEqual('unsupported' in shared && shared.unsupported, ['attention training (weights shared with another call)']);
    const single = { ...base, tensors: base.tensors.map((t) => (t.id === base.ops.find((op) => op.op === 'attention')!.inputs[0] ? { ...t, shape: [1, 64] } : t)) };
    const one = simulatePytorchCpu(single, 8, false, ops.meta.cpuVectorBits);
    assert.deepEqual('unsupported' in one && one.unsupported, ['attention (a sequence of one position)']);
  });
});

/** measured cases the profile misses, with why; each must still miss (a fix updates this table) */
const CORPUS_GAPS: Readonly<Record<string, string>> = {
  // the file computes its loss after the forward, which memlens replays in inference too; the
  // oracle's inference step is the forward alone (predicted 1,120,000 = the 560,000-byte logits and
  // log_softmax's copy of them; without the loss the peak is the LSTM's, 918,400, as measured)
  'lstm_lm infer': "the loss' log_softmax over [4, 35, 1000] logits is replayed; the oracle's inference runs no loss",
};

describe('PyTorch CPU profile: the Python corpus against torch 1.13 (oracle.json)', () => {
  const device = cpuFor(corpus.meta.cpuVectorBits);
  for (const [id, m] of Object.entries(corpus.models)) {
    const file = m.file.startsWith('resnet_cifar') ? 'resnet_cifar/model.py' : m.file;
    for (const [mode, measured] of Object.entries(m.peak) as [Mode, number | null][]) {
      if (measured === null) continue;
      it(`${id} ${mode} at batch ${m.batch}`, () => {
        const path = join(FIXTURES, file);
        const predicted = expectedActivations(readFileSync(path, 'utf8'), path, mode, m.batch, device, m.name);
        assert.equal(typeof predicted, 'number', String(predicted));
        const ratio = (predicted as number) / measured;
        const inBand = ratio >= 0.9 && ratio <= 1.1;
        if (CORPUS_GAPS[`${id} ${mode}`]) assert.ok(!inBand, `${id} ${mode} is now within [0.9, 1.1] (${ratio.toFixed(3)}): drop it from CORPUS_GAPS`);
        else assert.ok(inBand, `${id} ${mode}: predicted ${predicted}, torch ${measured} (${ratio.toFixed(3)})`);
      });
    }
  }
});

const torchvision = JSON.parse(readFileSync(join(FIXTURES, 'torchvision_peaks.json'), 'utf8')) as {
  meta: { cpuVectorBits: number };
  models: Record<string, { resolution: number; peak: Record<string, Record<Mode, number>> }>;
};

/** measured cases the profile misses, with why; each must still miss (a fix updates this table) */
const KNOWN_GAPS: Readonly<Record<string, string>> = {};

describe('PyTorch CPU profile: torchvision models it was not fitted on (torchvision_peaks.json)', () => {
  const device = cpuFor(torchvision.meta.cpuVectorBits);
  for (const [builder, m] of Object.entries(torchvision.models)) {
    for (const [batch, peaks] of Object.entries(m.peak)) {
      for (const [mode, measured] of Object.entries(peaks) as [Mode, number][]) {
        const id = `${builder} ${batch} ${mode}`;
        it(`${builder} at batch ${batch}, ${mode}`, () => {
          const loss = mode === 'train' ? 'loss = F.cross_entropy(out, y)\nloss.backward()\n' : '';
          const r = m.resolution;
          const text = `import torch\nimport torch.nn.functional as F\nimport torchvision\nmodel = torchvision.models.${builder}()\nx = torch.randn(${batch}, 3, ${r}, ${r})\ny = torch.randint(0, 1000, (${batch},))\nout = model(x)\n${loss}`;
          const predicted = expectedActivations(text, `/virtual/${builder}.py`, mode, Number(batch), device);
          assert.equal(typeof predicted, 'number', String(predicted));
          const ratio = (predicted as number) / measured;
          const inBand = ratio >= 0.9 && ratio <= 1.1;
          if (KNOWN_GAPS[id]) assert.ok(!inBand, `${id} is now within [0.9, 1.1] (${ratio.toFixed(3)}): drop it from KNOWN_GAPS`);
          else assert.ok(inBand, `${id}: predicted ${predicted}, torch ${measured} (${ratio.toFixed(3)})`);
        });
      }
    }
  }
});

describe('framework selection', () => {
  it('Python files default to the PyTorch profile, .nnm files to the ideal one; a GPU device gets a reason, not a figure', () => {
    const py = analyzeDocument('import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 2)\nx = torch.randn(3, 4)\nout = model(x)\n', 'python', { documentKey: '/virtual/sel.py' });
    const memory = py.models[0]!.memory!;
    assert.equal(py.models[0]!.graph.config.framework, 'pytorch');
    assert.equal(memory.bytes.expectedPeak, null);
    assert.match('reason' in memory.expected ? memory.expected.reason : '', /GPU allocator/);
    const nnm = analyzeDocument('model m {\n  x = input(4)\n  y = dense(x, 2)\n}\n', 'nnm');
    assert.equal(nnm.models[0]!.graph.config.framework, 'ideal');
    assert.equal(nnm.models[0]!.memory!.bytes.expectedPeak, null);
  });
});

describe('the expected peak in the hover and the reports', () => {
  it('vgg_small inference at batch 4 on the AVX-512 CPU: the oneDNN copy of the 512x512x3x3 weight is the temporary at the peak', () => {
    const path = join(FIXTURES, 'vgg_small.py');
    const overrides = { mode: 'infer' as const, batch: 4, device: devicePreset('cpu')! };
    const a = analyzeDocument(readFileSync(path, 'utf8'), 'python', { documentKey: path, overrides });
    const model = a.models[0]!;
    const hover = modelMemoryLines(model.memory!, model.graph).find((l) => l.startsWith('- PyTorch'));
    assert.equal(hover, '- PyTorch will hold 27.1 MiB (forward of line 39): weights and buffers 17.7 MiB, activations 128 KiB, temporaries 9.25 MiB; a planner could fit this in 20.7 MiB');
    // 512 x 512 x 3 x 3 fp32 weights, reordered while the convolution runs
    const json = toJsonReport('vgg_small.py', a).models[0]!;
    assert.deepEqual(json.expected, { framework: 'pytorch', breakdown: { weights: 18552872, buffers: 13824, optimizer: 0, activations: 131072, saved: 0, temporaries: 9699328, activationGradients: 0, weightGradients: 0 }, phase: 'forward', line: 39 });
    assert.equal(json.bytes.expectedPeak, 18552872 + 13824 + 131072 + 9699328);
    assert.match(formatReport('vgg_small.py', a), /PyTorch peak +27\.1 MiB \(forward, line 39\)/);
  });

  it('an ideal profile prints nothing of its own; a GPU device says why PyTorch has no figure', () => {
    const path = join(FIXTURES, 'vgg_small.py');
    const text = readFileSync(path, 'utf8');
    const ideal = analyzeDocument(text, 'python', { documentKey: path, overrides: { framework: 'ideal' } });
    assert.equal(modelMemoryLines(ideal.models[0]!.memory!, ideal.models[0]!.graph).some((l) => l.includes('PyTorch')), false);
    assert.doesNotMatch(formatReport('vgg_small.py', ideal), /PyTorch/);
    const gpu = analyzeDocument(text, 'python', { documentKey: path });
    assert.match(formatReport('vgg_small.py', gpu), /PyTorch peak +not known: PyTorch's GPU allocator/);
  });
});
