// The command line: exit codes, usage errors, the text table and the JSON fields, on the shipped examples.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main, report } from '../../server/src/cli/memlens';
import type { JsonReport } from '../../server/src/report/json';

const ROOT = join(__dirname, '..', '..');
const example = (name: string) => join(ROOT, 'examples', name);

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

describe('memlens report', () => {
  it('prints the table and totals of resnet50.nnm and exits 0', async () => {
    const { code, out } = await run(['report', example('resnet50.nnm')]);
    assert.equal(code, 0);
    const lines = out.split('\n');
    assert.match(lines[0]!, /model resnet50 \(train, batch 32, fp32, sgd\(momentum: 0\.9\), gpu 16 GiB, nchw\)$/);
    assert.ok(lines.includes('  parameters        25,557,032 trainable, 53,120 non-trainable'));
    assert.ok(lines.some((l) => /^ {2}22 {2}x +input +\[N, 3, 224, 224\] +0 +588 KiB +18\.4 MiB$/.test(l)), 'input row');
  });

  it('--json-detail: the documented fields with the rows, flags over the file config', async () => {
    const { code, out } = await run(['report', example('resnet50.nnm'), '--json-detail', '--mode', 'infer', '--batch', '8']);
    assert.equal(code, 0);
    const json = JSON.parse(out) as JsonReport;
    assert.equal(json.models.length, 1);
    const m = json.models[0]!;
    assert.equal(m.name, 'resnet50');
    assert.deepEqual(m.params, { trainable: 25_557_032, nonTrainable: 53_120 });
    assert.equal(m.config.mode, 'infer');
    assert.equal(m.config.batch, 8);
    assert.equal(m.bytes.gradients, 0);
    assert.equal(m.bytes.optimizer, 0);
    // weights and buffers apart, so that weights + buffers + activations is the footprint total
    assert.equal(m.bytes.weights, 25_557_032 * 4);
    assert.equal(m.bytes.buffers, 53_120 * 4);
    assert.equal(m.bytes.total, m.bytes.weights + m.bytes.buffers + m.bytes.activations);
    assert.equal(m.bytes.activations, m.bytes.activationsPerSample * 8);
    assert.equal(m.bytes.activationsPerSample, m.activationElementsPerSample * 4);
    assert.ok(m.tensors && m.steps, 'the detail level has rows');
    assert.equal(m.tensors.length, m.tensorCount);
    assert.equal(m.steps.length, m.stepCount);
    const input = m.tensors[0]!;
    assert.deepEqual(
      { name: input.name, line: input.line, op: input.op, shape: input.shape, dtype: input.dtype, params: input.params, bytes: input.bytes },
      { name: 'x', line: 22, op: 'input', shape: ['N', 3, 224, 224], dtype: 'fp32', params: 0, bytes: 3 * 224 * 224 * 4 * 8 },
    );
    // the liveness fields
    assert.ok(m.bytes.planned !== null && m.bytes.lowerBound !== null && m.bytes.naive !== null);
    assert.ok(m.bytes.planned >= m.bytes.lowerBound, 'planned >= lower bound');
    assert.ok(m.bytes.naive >= m.bytes.lowerBound, 'naive >= lower bound');
    assert.equal(m.steps.length, m.tensors.length, 'inference: one step per op');
    assert.ok(m.peakStep !== null && m.peakStep.phase === 'forward');
    assert.equal(m.steps[m.peakStep.index]!.total, m.bytes.lowerBound);
    assert.equal(input.liveFrom, 0);
    assert.equal(typeof m.maxBatch, 'number');
    assert.deepEqual(json.diagnostics.filter((d) => d.severity === 'error'), []);
  });

  it('exits 1 when the file has errors and lists them with 1-based positions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-cli-'));
    const file = join(dir, 'bad.nnm');
    writeFileSync(file, 'model m {\n  x = input(8)\n  y = convolve(x)\n  return y\n}\n');
    const { code, out } = await run(['report', file, '--json']);
    assert.equal(code, 1);
    const json = JSON.parse(out) as JsonReport;
    const error = json.diagnostics.find((d) => d.severity === 'error');
    assert.ok(error, out);
    assert.equal(error.code, 'NNM110');
    assert.equal(error.line, 3);
    assert.equal(error.column, 7);
  });

  it('--json: bytes.perDevice under --devices, --zero, --gradient-accumulation (the small MLP of analysis/perDevice.test.ts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-cli-'));
    const file = join(dir, 'small.nnm');
    writeFileSync(file, 'config {\n  batch: 16\n  optimizer: adam\n}\nmodel small {\n  x = input(8)\n  h = relu(dense(x, 4))\n  return dense(h, 2)\n}\n');
    const { code, out } = await run(['report', file, '--json', '--devices', '2', '--zero', '2', '--gradient-accumulation', '2', '--device', 'a10g-24gb']);
    assert.equal(code, 0);
    const m = (JSON.parse(out) as JsonReport).models[0]!;
    // 46 parameters: 184 B of weights, 23 per device of fp32 gradients (92 B) and Adam state (184 B); 80 B/sample at micro-batch 4
    assert.deepEqual(m.bytes.perDevice, {
      devices: 2, zero: 2, offload: 'none', gradientAccumulation: 2,
      tensorParallel: 1, sequenceParallel: false, pipeline: 1, microbatches: 1, totalDevices: 2, microBatch: 4,
      weights: 184, gradients: 92, optimizer: 184, activations: 320, workspace: 0, kvCache: 0, total: 780, host: 0,
      // (24 GiB - 460 B) / 80 B per sample = 322,122,541 per micro-batch, x 2 x 2
      maxGlobalBatch: 1_288_490_164,
    });
    const plain = await run(['report', file, '--json']);
    assert.equal((JSON.parse(plain.out) as JsonReport).models[0]!.bytes.perDevice, undefined);
    const bad = await run(['report', file, '--json', '--zero', '4']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--zero 4: zero must be a ZeRO stage 0, 1, 2 or 3, got 4/);
  });

  it('--json: the tensor- and pipeline-parallel degrees in bytes.perDevice, a kebab-case flag in a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-cli-'));
    const file = join(dir, 'layers.nnm');
    // the four transformer layers of test/unit/analysis/pipeline.test.ts: 3,280 parameters each
    writeFileSync(
      file,
      'config {\n  mode: train\n  batch: 8\n  precision: fp32\n  optimizer: adam\n}\nblock layer(x) {\n  x = add(x, attention(layernorm(x), heads: 4))\n  return add(x, dense(gelu(dense(layernorm(x), 64)), 16))\n}\nmodel m {\n  x = input(8, 16)\n  return repeat 4 layer(x)\n}\n',
    );
    const { code, out } = await run(['report', file, '--json', '--devices', '2', '--tensor-parallel', '2', '--sequence-parallel', 'true', '--pipeline', '2', '--microbatches', '2']);
    assert.equal(code, 0);
    const p = (JSON.parse(out) as JsonReport).models[0]!.bytes.perDevice;
    assert.ok(p && 'weights' in p);
    assert.deepEqual(
      [p.devices, p.tensorParallel, p.sequenceParallel, p.pipeline, p.microbatches, p.totalDevices, p.microBatch, p.stage],
      [2, 2, true, 2, 2, 8, 2, 0],
    );
    // two layers on the stage, 1,688 parameters each on a tensor-parallel device (tensorParallel.test.ts), fp32
    assert.equal(p.weights, 2 * 1_688 * 4);
    const text = await run(['report', file, '--devices', '2', '--tensor-parallel', '2', '--pipeline', '2', '--microbatches', '2']);
    assert.match(text.out, /\n {2}per GPU +[0-9.]+ KiB of 16 GiB on 8 x v100-16gb \(DP 2 x TP 2 x PP 2\), 2 micro-batches, fullest stage 1 of 2\n/);
    const bad = await run(['report', file, '--tensor-parallel', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--tensor-parallel 0: tensorParallel must be from 1 to 4096, got 0/);
  });

  it('usage errors exit 2 with a clear message, never a stack trace', async () => {
    const missing = await run(['report', example('nope.nnm')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^memlens: cannot read .*nope\.nnm: no such file\n$/);
    const badBatch = await run(['report', example('mlp.nnm'), '--batch', 'lots']);
    assert.equal(badBatch.code, 2);
    const badDevice = await run(['report', example('mlp.nnm'), '--device', 'tpu-9000']);
    assert.equal(badDevice.code, 2);
    assert.match(badDevice.err, /^memlens: --device tpu-9000: /);
    const badType = await run(['report', join(ROOT, 'README.md')]);
    assert.equal(badType.code, 2);
    assert.match(badType.err, /unsupported file type/);
    const unknownFlag = await run(['report', example('mlp.nnm'), '--frobnicate']);
    assert.equal(unknownFlag.code, 2);
    const noCommand = await run([]);
    assert.equal(noCommand.code, 2);
  });

  it('--timeline appends one line per schedule step', async () => {
    let out = '';
    const code = await report(example('mlp.nnm'), { timeline: true }, (s) => (out += s));
    assert.equal(code, 0);
    const timeline = out.split('timeline of mlp')[1]!.trim().split('\n').slice(1);
    // mlp: input + 3 dense + 2 relu forward, 5 backward (input has none), 1 optimizer step
    assert.equal(timeline.length, 12);
    assert.match(timeline[11]!, /^ {2}11 opt {6}optimizer /);
    assert.equal(timeline.filter((l) => l.endsWith('<- peak')).length >= 1, true);
  });
});
