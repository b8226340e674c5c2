// `tie: t`: an op that uses the weights of the op that made t (weight tying), counted once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFootprint } from '../../../server/src/core/analysis/footprint';
import { analyzeMemory } from '../../../server/src/core/analysis/memory';
import { analyze, at, model } from './helpers';

const CONFIG = 'config {\n  mode: train\n  batch: 2\n  optimizer: adam\n}\n';
const LM = ['t = input(8, dtype: int64)', 'e = embedding(t, 100, 16)', 'h = layernorm(e)'];

test('a tied output projection adds no parameters; its weight gradient accumulates into the embedding', () => {
  const tied = analyze(CONFIG + model(...LM, 'return dense(h, 100, bias: false, tie: e)'));
  const untied = analyze(CONFIG + model(...LM, 'return dense(h, 100, bias: false)'));
  assert.deepEqual(tied.diagnostics, []);
  const [g, u] = [tied.graphs[0]!, untied.graphs[0]!];
  const f = computeFootprint(g);
  // embedding 100 x 16 = 1,600 and layer norm 2 x 16 = 32; the projection's 1,600 are the embedding's
  assert.deepEqual(f.params, { trainable: 1632, nonTrainable: 0 });
  assert.deepEqual(computeFootprint(u).params, { trainable: 3232, nonTrainable: 0 });
  assert.equal(g.ops[3]!.sharesParamsWith, 1);
  // one weight gradient buffer for the shared weights: the embedding's
  const m = analyzeMemory(g, f);
  const weightGrads = m.buffers.filter((b) => b.kind === 'weight-gradient').map((b) => `op${b.op} ${b.bytes.fixed}`);
  assert.deepEqual(weightGrads.sort(), ['op1 6400', 'op2 128']);
});

test('tie on something that cannot share weights is diagnosed on the argument', () => {
  const r = analyze(CONFIG + model(...LM, 'a = dense(e, 100, tie: e)', 'b = dense(e, 100, tie: 3)', 'c = dense(e, 100, bias: false, tie: t)', 'd = relu(h, tie: e)', 'return h'));
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${at(d.range)} ${d.message}`),
    [
      'NNM130 9:6-9:27 dense: tie: the tied op has 1,600 weights; this call would need 1,700 of its own (pass bias: false if only the bias differs)',
      "NNM121 10:25-10:26 'tie' must be a tensor made by an op with weights, got the integer 3",
      "NNM121 11:38-11:39 'tie': the op that made this tensor has no weights to share",
      'NNM130 12:6-12:21 relu: it has no weights to tie',
    ],
  );
});

test('tie on a block call is refused: it names one op', () => {
  const src = 'block proj(x) {\n  return dense(x, 100, bias: false)\n}\n' + CONFIG + model(...LM, 'return proj(h, tie: e)');
  const errors = analyze(src).diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => d.message), ["'tie' shares one op's weights: give it on an op call, not on the block call 'proj'"]);
});
