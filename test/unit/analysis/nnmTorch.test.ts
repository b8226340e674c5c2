// .nnm models of the ops that no PyTorch layer stands for (param, tie, ...) against the same models
// written with torch (scripts/nnm_torch_oracle.py -> test/fixtures/nnm_torch/peaks.json): parameter
// counts exact, and bytes.expectedPeak minus weights and buffers within [0.9, 1.1] of the CPU
// allocator's peak of one step, training (cross-entropy and backward) and inference.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { devicePreset } from '../../../server/src/core/devices';
import type { Mode } from '../../../server/src/core/ir';

const DIR = join(__dirname, '..', '..', 'fixtures', 'nnm_torch');
const oracle = JSON.parse(readFileSync(join(DIR, 'peaks.json'), 'utf8')) as {
  cpuVectorBits: number;
  cases: Record<string, { params: number; buffers: number; peaks: Record<string, number> }>;
};

/** rows the profile does not meet yet, with the measured ratio and why */
const KNOWN_GAPS: Readonly<Record<string, { ratio: number; why: string }>> = {};

/**
 * rows whose peak is a backward through concat's narrowed gradient (views that hold it until the
 * last goes) into a convolution that clones a strided gradient first: to 4 bytes of torch's (were
 * 0.80, 0.96, 0.92 and 0.97 while concat's backward made fresh gradients)
 */
const TO_THE_BYTE: ReadonlySet<string> = new Set(['vit_tokens train 1', 'vit_tokens train 8', 'dense_block train 1', 'dense_block train 8']);

describe('.nnm models against torch 1.13 (nnm_torch/peaks.json)', () => {
  assert.equal(oracle.cpuVectorBits, 512, 'the oracle ran on an AVX-512 machine: the cpu preset');
  for (const [id, c] of Object.entries(oracle.cases)) {
    const text = readFileSync(join(DIR, `${id}.nnm`), 'utf8');
    for (const [row, measured] of Object.entries(c.peaks)) {
      const [mode, batch] = row.split(' ') as [Mode, string];
      it(`${id} ${row}`, () => {
        const overrides = { mode, batch: Number(batch), framework: 'pytorch' as const, device: devicePreset('cpu')!, optimizer: { kind: 'none' as const, momentum: 0 } };
        const a = analyzeDocument(text, 'nnm', { documentKey: `/virtual/${id}.nnm`, overrides });
        assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
        const model = a.models[0]!;
        assert.deepEqual(model.footprint.params, { trainable: c.params, nonTrainable: c.buffers });
        const result = model.memory!.expected;
        assert.ok(!('reason' in result), 'reason' in result ? result.reason : '');
        const e = result.expected;
        const ratio = (e.bytes - e.breakdown.weights - e.breakdown.buffers) / measured;
        const gap = KNOWN_GAPS[`${id} ${row}`];
        if (TO_THE_BYTE.has(`${id} ${row}`)) assert.ok(Math.abs(measured - (e.bytes - e.breakdown.weights - e.breakdown.buffers)) <= 4, `ratio ${ratio.toFixed(5)}`);
        if (gap) assert.equal(Math.round(ratio * 100) / 100, gap.ratio, `${gap.why}: now ${ratio.toFixed(3)}`);
        else assert.ok(ratio >= 0.9 && ratio <= 1.1, `ratio ${ratio.toFixed(3)}`);
      });
    }
  }
});
