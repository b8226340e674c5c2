// The PyTorch CPU profile on small whole models against torch 1.13's allocator
// (scripts/torch_model_oracle.py -> test/fixtures/python/peaks.json): torch.utils.checkpoint
// segments (reentrant: their forward without autograd, recomputed in the backward;
// use_reentrant=False: recorded under saved-tensor hooks that keep only the arguments, recomputed at
// the first unpack; preserve_rng_state=False) and convolution padding modes. The figure compared
// is bytes.expectedPeak minus weights and buffers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import type { Mode } from '../../../server/src/core/ir';
import { ready } from '../python/helpers';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'python');
const oracle = JSON.parse(readFileSync(join(FIXTURES, 'peaks.json'), 'utf8')) as {
  meta: { cpuVectorBits: number };
  models: Record<string, { file: string; peak: Record<string, Record<Mode, number>> }>;
};

function predicted(file: string, mode: Mode, batch: number): number | string {
  const overrides = { mode, batch, framework: 'pytorch' as const, device: devicePreset(oracle.meta.cpuVectorBits === 512 ? 'cpu' : 'cpu-avx2')!, optimizer: { kind: 'none' as const, momentum: 0 } };
  const path = join(FIXTURES, file);
  const a = analyzeDocument(readFileSync(path, 'utf8'), 'python', { documentKey: `${path}#${mode}${batch}`, overrides });
  const result = a.models[0]?.memory?.expected;
  assert.ok(result, a.diagnostics.map((d) => d.message).join('; '));
  if ('reason' in result) return result.reason;
  return result.expected.bytes - result.expected.breakdown.weights - result.expected.breakdown.buffers;
}

/**
 * The rows not exact, and why: a checkpoint whose argument requires grad recomputes its segment
 * inside the backward, where torch's engine also holds the incoming gradient's expanded copy and
 * the head's (measured gaps below 3.3%); the padded convolutions at batch 8 train 232 bytes under:
 * oneDNN's small bias copies are not replayed
 */
const TOLERANCE: Readonly<Record<string, number>> = { 'checkpoint_one 1 train': 0.033, 'checkpoint_one 8 train': 0.015, 'checkpoint_blocks 1 train': 0.019, 'padding_modes 8 train': 0.001 };

describe('PyTorch CPU profile: whole models against torch 1.13 (peaks.json)', () => {
  before(ready);
  for (const [name, m] of Object.entries(oracle.models)) {
    for (const [batch, modes] of Object.entries(m.peak)) {
      for (const [mode, measured] of Object.entries(modes) as [Mode, number][]) {
        const id = `${name} ${batch} ${mode}`;
        it(`${id}: ${measured.toLocaleString('en-US')} bytes`, () => {
          const p = predicted(m.file, mode, Number(batch));
          assert.equal(typeof p, 'number', String(p));
          const ratio = (p as number) / measured;
          // exact: out.sum() is the graph's loss, its 4 bytes and its seed's held through the backward
          const slack = TOLERANCE[id];
          if (slack === undefined) assert.equal(p, measured);
          else assert.ok(Math.abs(1 - ratio) <= slack, `predicted ${p}, torch ${measured} (${ratio.toFixed(3)})`);
        });
      }
    }
  }
});
