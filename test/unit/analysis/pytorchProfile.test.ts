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

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'python');
const ops = JSON.parse(readFileSync(join(FIXTURES, 'torch_ops.json'), 'utf8')) as {
  meta: { cpuVectorBits: number };
  /** `layers` for an nn.Sequential of them, `layer` for a recurrent layer called alone (it returns (output, state)) */
  /** `batch`: a recurrent layer's batch (the input's second axis when it is time-major) */
  cases: Record<string, { layers?: string; layer?: string; input: number[]; batch?: number; peak: Partial<Record<Mode, number>> }>;
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

describe('PyTorch CPU profile: single layers against torch 1.13 (torch_ops.json)', () => {
  const device = cpuFor(ops.meta.cpuVectorBits);
  for (const [id, c] of Object.entries(ops.cases)) {
    for (const [mode, measured] of Object.entries(c.peak) as [Mode, number][]) {
      it(`${id} ${mode}: ${c.layers ?? c.layer}`, () => {
        // the oracle's step in Python, read by memlens' own frontend
        const loss = mode === 'train' ? 'loss = out.sum()\nloss.backward()\n' : '';
        const build = c.layer !== undefined ? `model = ${c.layer}` : `model = nn.Sequential(${c.layers})`;
        const call = c.layer !== undefined ? 'out, state = model(x)' : 'out = model(x)';
        const text = `import torch\nimport torch.nn as nn\n${build}\nx = torch.randn(${c.input.join(', ')})\n${call}\n${loss}`;
        const predicted = expectedActivations(text, `/virtual/${id}.py`, mode, c.batch ?? c.input[0]!, device);
        assert.equal(typeof predicted, 'number', String(predicted));
        // exact on most; oneDNN's small bias and scratch copies (64-512 bytes) and the summed loss'
        // expanded gradient (memlens seeds the backward with one of the output's size) are not
        // replayed: within the issue's [0.9, 1.1]
        const ratio = (predicted as number) / measured;
        assert.ok(ratio >= 0.9 && ratio <= 1.1, `predicted ${predicted}, torch ${measured} (${ratio.toFixed(3)})`);
      });
    }
  }
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
const KNOWN_GAPS: Readonly<Record<string, string>> = {
  'convnext_tiny 1 train': "oneDNN's scratch for a depthwise convolution's weight gradient (19 MB at 384 channels) is not replayed",
};

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
