// The PyTorch CPU profile on a model's second input and the layers issue #14 opened up, against
// torch 1.13 (torch_ops.json, scripts/torch_op_oracle.py): a recurrent initial state made in the
// forward or made before the step and passed in, a mask made outside the model and passed in,
// dilated max pooling, an upsample by a fractional scale or to a size. Exact in inference; in
// training the oracle's out.sum() holds two 4-byte scalars memlens' step does not have.
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
  cases: Record<string, { layers?: string; module?: string; build?: string; inputDtype?: 'long' | 'float'; state?: string; batch?: number; input: number[]; peak: Partial<Record<Mode, number>> }>;
};

/** the step as the oracle ran it, in Python for memlens' frontend; bytes.expectedPeak less the weights */
function predicted(id: string, mode: Mode): number {
  const c = ops.cases[id]!;
  const build = c.module !== undefined ? `${c.module}\nmodel = ${c.build}` : `model = nn.Sequential(${c.layers})`;
  const example = c.inputDtype === 'long' ? `torch.randint(0, 50, (${c.input.join(', ')}))` : `torch.randn(${c.input.join(', ')})`;
  const call = c.state !== undefined ? `hidden = ${c.state}\nout = model(x, hidden)` : 'out = model(x)';
  const text = `import torch\nimport torch.nn as nn\n${build}\nx = ${example}\n${call}\n${mode === 'train' ? 'loss = out.sum()\nloss.backward()\n' : ''}`;
  const device = devicePreset(ops.meta.cpuVectorBits === 512 ? 'cpu' : 'cpu-avx2')!;
  const a = analyzeDocument(text, 'python', { documentKey: `/virtual/${id}.py`, overrides: { mode, batch: c.batch ?? c.input[0]!, framework: 'pytorch', device, optimizer: { kind: 'none', momentum: 0 } } });
  const result = a.models[0]?.memory?.expected;
  assert.ok(result, a.diagnostics.map((d) => d.message).join('; '));
  assert.ok(!('reason' in result), 'reason' in result ? result.reason : '');
  return result.expected.bytes - result.expected.breakdown.weights - result.expected.breakdown.buffers;
}

before(ready);

describe('PyTorch CPU profile: second inputs, dilated max pooling and fractional upsampling against torch 1.13', () => {
  const stateAndMasks = ['lstm_state_in_forward', 'gru_state_in_forward', 'gru_2layer_state_in_forward', 'lstm_init_hidden', 'gru_init_hidden', 'gru_state_batch_first', 'attention_mask_passed', 'masked_fill_mask_passed'];
  for (const id of stateAndMasks) {
    // `loss = out.sum()` is an op of the graph: its scalar and the 4-byte seed are replayed
    it(`${id}: inference and training exact`, () => {
      const c = ops.cases[id]!;
      assert.equal(predicted(id, 'infer'), c.peak.infer);
      assert.equal(predicted(id, 'train'), c.peak.train);
    });
  }
  for (const id of ['maxpool_dilated', 'upsample_fractional', 'upsample_size_nearest']) {
    it(`${id}: inference exact`, () => {
      assert.equal(predicted(id, 'infer'), ops.cases[id]!.peak.infer);
    });
  }
});
