// `lora: lora(rank: r, alpha: a, dropout: p, targets: [q, v])` on dense and attention calls: the base
// weights frozen, adapters A (r x in) and B (out x r) trainable, r (in + out) per adapted matrix
// (peft's count; peft is not installed on this machine, so the counts are by hand from its formula).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { analyze, at, model } from './helpers';

const CONFIG = 'config {\n  mode: train\n  batch: 2\n  optimizer: adam\n}\n';

test('a LoRA dense: the base frozen, r (in + out) adapter weights, the adapters as ops of their own', () => {
  const r = analyze(CONFIG + model('x = input(10, 512)', 'y = dense(x, 256, lora: lora(rank: 8, alpha: 16))', 'return y'));
  assert.deepEqual(r.diagnostics, []);
  const g = r.graphs[0]!;
  // base 512 x 256 + 256 = 131,328 frozen; A 8 x 512 + B 256 x 8 = 8 x (512 + 256) = 6,144 trainable
  assert.deepEqual(computeFootprint(g).params, { trainable: 6144, nonTrainable: 131_328, frozen: 131_328 });
  // input, base, A, B, the alpha / r scaling, the sum; the sum takes the statement's name
  assert.deepEqual(g.ops.map((o) => o.op), ['input', 'dense', 'dense', 'dense', 'scale', 'add']);
  assert.deepEqual([g.ops[2]!.attrs['units'], g.ops[3]!.attrs['units'], g.ops[4]!.attrs['factor']], [8, 256, 2]);
  assert.equal(g.tensors[g.outputs[0]!]!.name, 'y');
  // every op of the call points at the call
  assert.deepEqual(new Set(g.ops.slice(1).map((o) => at(o.site))).size, 1);
});

test('lora dropout puts a dropout before the adapters (its mask is the dropout op\'s)', () => {
  const g = analyze(CONFIG + model('return dense(input(10, 64), 64, lora: lora(rank: 4, dropout: 0.1))')).graphs[0]!;
  assert.deepEqual(g.ops.map((o) => o.op), ['input', 'dense', 'dropout', 'dense', 'dense', 'scale', 'add']);
  // alpha defaults to the rank: a scaling of 1
  assert.equal(g.ops[5]!.attrs['factor'], 1);
});

test('a LoRA attention: q and v adapted by default, GQA widths for k and v, any targets', () => {
  const text = (lora: string) => CONFIG + model('x = input(16, 4096)', `return attention(x, 32, kv_heads: 8, bias: false, lora: ${lora})`);
  const params = (lora: string) => computeFootprint(analyze(text(lora)).graphs[0]!).params;
  // projections: q, o 4096^2 each, k, v 4096 x 1,024 each = 41,943,040 frozen
  const frozen = 2 * 4096 * 4096 + 2 * 4096 * 1024;
  // q: 16 x (4096 + 4096); v: 16 x (4096 + 1024)
  assert.deepEqual(params('lora(rank: 16, alpha: 32)'), { trainable: 16 * 8192 + 16 * 5120, nonTrainable: frozen, frozen });
  // all four: + k 16 x 5,120 + o 16 x 8,192
  assert.equal(params('lora(rank: 16, targets: [q, k, v, o])').trainable, 2 * 16 * 8192 + 2 * 16 * 5120);
  assert.equal(params('lora(rank: 16, targets: ["o"])').trainable, 16 * 8192);
});

test('a tensor named like a target does not shadow it: targets are projection names', () => {
  const r = analyze(CONFIG + model('q = input(16, 64)', 'return attention(q, 4, lora: lora(rank: 2, targets: [q]))'));
  // q is a bound tensor here: not a projection name
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), ['lora targets are attention projections among q, k, v, o (a list: targets: [q, v]), got a tensor']);
});

test('every bad lora argument is a diagnostic on it, never a crash', () => {
  const cases: [string, string][] = [
    ['dense(x, 8, lora: lora())', "NNM122 lora needs 'rank' (lora(rank: 8))"],
    ['dense(x, 8, lora: lora(rank: 0))', "NNM125 lora 'rank' must be at least 1, got 0"],
    ['dense(x, 8, lora: lora(rank: 2.5))', "NNM121 lora 'rank' must be an integer, got the number 2.5"],
    ['dense(x, 8, lora: lora(rank: 2, alpha: -1))', "NNM125 lora 'alpha' must be at least 0, got -1"],
    ['dense(x, 8, lora: lora(rank: 2, dropout: 1))', "NNM125 lora 'dropout' must be in [0, 1), got 1"],
    ['dense(x, 8, lora: lora(rank: 2, rnak: 3))', "NNM120 lora has no argument 'rnak'; did you mean 'rank'?"],
    ['dense(x, 8, lora: lora(2, 4, 0, [q], 5))', 'NNM123 lora takes rank, alpha, dropout and targets'],
    ['dense(x, 8, lora: lora(rank: 2, rank: 3))', "NNM124 'rank' is given twice"],
    ['dense(x, 8, lora: 4)', "NNM121 'lora' takes lora(rank: r, alpha: a), got the integer 4"],
    ['dense(x, 8, lora: lora(rank: 2, targets: [q]))', "NNM121 lora 'targets' names attention projections; a dense layer is one matrix"],
    ['dense(x, 8, activation: relu, lora: lora(rank: 2))', 'NNM121 dense: a fused activation with lora would apply before the adapters are added; write the activation as its own call around the dense'],
    ['relu(x, lora: lora(rank: 2))', "NNM121 'lora' adds adapters to a dense or attention call, not to 'relu'"],
    ['attention(x, 2, lora: lora(rank: 2, targets: [q, z]))', "NNM121 lora targets are attention projections among q, k, v, o (a list: targets: [q, v]), got 'z'"],
    ['attention(x, 2, lora: lora(rank: 2, targets: [v, v]))', "NNM124 lora target 'v' is given twice"],
    ['attention(x, 2, lora: lora(rank: 2, targets: []))', 'NNM121 lora targets: name at least one of q, k, v, o'],
    ['attention(x, 2, lora: lora(rank: 2, dropout: 0.1))', "NNM121 lora 'dropout' on attention is not modelled (each adapted projection would keep its own dropped input and mask): give it on dense calls, or leave it at 0"],
  ];
  for (const [call, expected] of cases) {
    const r = analyze(CONFIG + model('x = input(4, 8)', `return ${call}`));
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`), [expected], call);
  }
});

test('lora on a block call is refused: it goes on the block\'s dense and attention calls', () => {
  const src = 'block proj(x) {\n  return dense(x, 8)\n}\n' + CONFIG + model('return proj(input(4, 8), lora: lora(rank: 2))');
  assert.deepEqual(analyze(src).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), ["'lora' adds adapters to a dense or attention call, not to the block call 'proj': give it on its dense and attention calls"]);
});
