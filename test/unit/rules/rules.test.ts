// Every rule: its trigger fixture produces exactly the expected finding, its clean fixture none.
// Figures that follow from the fixture by hand are derived in the comments; the others are the
// liveness engine's (issue 3) and are cross-checked against re-analysis in fixes.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { RULES } from '../../../server/src/core/rules';
import type { Finding } from '../../../server/src/core/document';
import { fixture } from './fixture';


function findings(name: string, code: string): { line: number; severity: string; message: string }[] {
  const a = analyzeDocument(fixture(name), 'nnm');
  return (a.findings ?? []).filter((f: Finding) => f.code === code).map((f) => ({ line: f.range.start.line + 1, severity: f.severity, message: f.message }));
}

const EXPECTED: Record<string, { line: number; severity: string; message: string }[]> = {
  budget: [
    {
      line: 8,
      severity: 'error',
      message:
        "wide: planned peak 9.22 GiB @ batch 64 (train, fp32) at line 11 (backward) exceeds gpu's 4 GiB by 5.22 GiB; the largest batch that fits is 27 (peak step live bytes: 301 KiB + 148 MiB x N)",
    },
    {
      line: 11,
      severity: 'error',
      message:
        "memory peaks here (backward conv2d): wide: planned peak 9.22 GiB @ batch 64 (train, fp32) at line 11 (backward) exceeds gpu's 4 GiB by 5.22 GiB; the largest batch that fits is 27 (peak step live bytes: 301 KiB + 148 MiB x N)",
    },
  ],
  illegalInPlace: [
    { line: 10, severity: 'error', message: "batchnorm cannot run in place: batchnorm's backward needs its input, so it can run in place only in infer mode" },
  ],
  // the peak is the relu step: the first conv's output and the relu's, each 64*224*224*4 B = 12.25 MiB/sample x 256
  // = 3.06 GiB; 32 (the fp32 lanes of a 1024-bit vector) would do
  batchBloat: [
    {
      line: 9,
      severity: 'warning',
      message:
        "batch 256: 100% of the peak (6.13 GiB of 6.13 GiB) grows with the batch; largest: conv2d (line 11) 3.06 GiB, relu 'x' (line 11) 3.06 GiB. Batch 1 needs 24.8 MiB (lower bound); batch 32, which fills the 32 fp32 lanes, needs 784 MiB planned",
    },
  ],
  // im2col: 64*9 = 576 values per output pixel, 224*224 pixels, 4 B, batch 32 = 3.45 GiB; input 64*224*224*4*32: ratio 9.0
  loweringBloat: [
    {
      line: 10,
      severity: 'warning',
      message: 'conv2d im2col workspace is 9.0x its input, 3.45 GiB at batch 32; devices that run convolutions directly (e.g. ipu-mk2, or `lowering: direct`) need none',
    },
  ],
  // relu step: y + z = 2 x 64*56*56*4*8 = 12,845,056 B (+ 4,352 B weights); conv step: x 1,605,632 + y 6,422,528 + 4,352
  // = 8,032,512. In place the relu step drops to 6,426,880, so the peak becomes the conv step: -4,816,896 B = 4.59 MiB
  missedInPlace: [{ line: 11, severity: 'info', message: 'relu could run in place (inplace: true): the peak (lower bound) drops by 4.59 MiB' }],
  // 1024-bit vectors hold 32 fp32 values: batch 8 fills a quarter
  simdUnderfill: [
    {
      line: 8,
      severity: 'info',
      message: "batch 8 fills 8 of the 32 fp32 lanes of v100-16gb's 1024-bit vectors (25%); batch 32 fills them: planned peak 4.29 MiB (now 4.11 MiB), fits 16 GiB",
    },
  ],
  precision: [
    {
      line: 10,
      severity: 'hint',
      message: 'fp32 training on v100-16gb: peak (lower bound) at batch 1024 is 1.55 GiB and fits batch up to 10591; mixed 792 MiB (-792 MiB), fits batch up to 21183',
    },
  ],
  checkpointCandidate: [
    {
      line: 16,
      severity: 'hint',
      message:
        'train peak 305 MiB (exceeds 256 MiB by 48.6 MiB); checkpoint: true on repeat unit brings it to 193 MiB (fits 256 MiB), recomputing about 100% of a forward pass during backward',
    },
  ],
  // side: 8*32*32*4 B = 32 KiB per sample x 32 = 1 MiB
  deadTensor: [{ line: 10, severity: 'warning', message: "'side' is computed but never reaches the model output: 1 MiB at batch 32 for nothing" }],
  zeroStage: [{ line: 12, severity: 'warning', message: 'per GPU 112 GiB of 40 GiB on 64 x a100-40gb at ZeRO stage 0; stage 1 shards the optimizer state over the 64 devices: 29.2 GiB per GPU (-82.5 GiB), fits' }],
};

for (const rule of RULES) {
  test(`${rule.code} ${rule.name}: the trigger fixture fires exactly as expected`, () => {
    assert.deepEqual(findings(`${rule.name}.trigger`, rule.code), EXPECTED[rule.name]);
  });
  test(`${rule.code} ${rule.name}: the clean fixture does not fire`, () => {
    assert.deepEqual(findings(`${rule.name}.clean`, rule.code), []);
  });
}

test('codes are unique and NNM2xx; every rule has a fixture pair and a docs page', () => {
  const codes = RULES.map((r) => r.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const c of codes) assert.match(c, /^NNM2\d\d$/);
  const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'rules.md'), 'utf8');
  for (const r of RULES) {
    assert.ok(docs.includes(`## ${r.code} ${r.name}`), `docs/rules.md has a section for ${r.code}`);
    assert.ok(docs.includes(`memlens.rules.${r.name}`), `docs/rules.md names the switch of ${r.code}`);
  }
});

test('NNM207 stays quiet under its 1 GiB threshold: the same fp32 model at batch 32 (49.5 MiB)', () => {
  const small = fixture('precision.trigger').replace('batch: 1024', 'batch: 32');
  assert.deepEqual((analyzeDocument(small, 'nnm').findings ?? []).filter((f) => f.code === 'NNM207'), []);
});

test('dead statement inside a block body: reported at the block statement, once for all expansions', () => {
  const text = ['block b(x) {', '  t = relu(x)', '  return conv2d(x, 4, kernel: 1)', '}', 'model m {', '  x = input(4, 8, 8)', '  x = repeat 3 b(x)', '  return x', '}', ''].join('\n');
  const dead = (analyzeDocument(text, 'nnm').findings ?? []).filter((f) => f.code === 'NNM209');
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.range.start.line, 1);
  assert.match(dead[0]!.message, /^'t' in block b is computed but never reaches the model output \(3 expansions\)/);
});
