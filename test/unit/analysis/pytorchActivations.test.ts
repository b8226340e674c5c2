// The PyTorch CPU profile's activations (analysis/framework/pytorchActivations.ts) against torch
// 1.13's allocator, to the byte: the act_* rows of torch_ops.json (scripts/torch_activation_cases.py).
// pytorchProfile.test.ts holds every row to [0.9, 1.1]; these are held to exactness, so a rule that
// drifts by one tensor or one scalar fails here.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import type { Mode } from '../../../server/src/core/ir';
import { ready } from '../python/helpers';

const ops = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'python', 'torch_ops.json'), 'utf8')) as {
  meta: { cpuVectorBits: number };
  cases: Record<string, { layers?: string; input: number[]; peak: Partial<Record<Mode, number>> }>;
};

before(ready);

describe('PyTorch CPU profile: activations against torch 1.13, to the byte', () => {
  const device = ops.meta.cpuVectorBits === 512 ? 'cpu' : 'cpu-avx2';
  const rows = Object.entries(ops.cases).filter(([id]) => id.startsWith('act_'));
  it('the oracle measured every activation case in both modes', () => {
    assert.equal(rows.length, 36);
    for (const [id, c] of rows) assert.deepEqual(Object.keys(c.peak).sort(), ['infer', 'train'], id);
  });
  for (const [id, c] of rows) {
    for (const [mode, measured] of Object.entries(c.peak) as [Mode, number][]) {
      it(`${id} ${mode}: ${c.layers}`, () => {
        const loss = mode === 'train' ? 'loss = out.sum()\nloss.backward()\n' : '';
        const text = `import torch\nimport torch.nn as nn\nmodel = nn.Sequential(${c.layers})\nx = torch.randn(${c.input.join(', ')})\nout = model(x)\n${loss}`;
        const overrides = { mode, batch: c.input[0]!, framework: 'pytorch' as const, device: devicePreset(device)!, optimizer: { kind: 'none' as const, momentum: 0 } };
        const model = analyzeDocument(text, 'python', { documentKey: `/virtual/${id}.py`, overrides }).models[0];
        const result = model?.memory?.expected;
        assert.ok(result && !('reason' in result), JSON.stringify(result));
        const b = result.expected;
        // the step's allocations: the weights and buffers exist before it
        const predicted = b.bytes - b.breakdown.weights - b.breakdown.buffers;
        // the step's `loss = out.sum()` is the graph's loss: its 4 bytes and its seed's live through the
        // backward, and the head copies the expanded gradient inside each product (512 bytes each)
        assert.equal(predicted, measured);
      });
    }
  }
});
