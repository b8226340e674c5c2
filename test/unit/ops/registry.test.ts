// Registry-wide invariants: every op documented, names unique, argument schemas consistent, docs in sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_OPS, lookupOp, opNames } from '../../../server/src/core/ops/registry';
import { opsMarkdown, signatureOf } from '../../../server/src/core/ops/docs';
import { ShapeError, type ArgValue, type OpContext } from '../../../server/src/core/ops/types';
import { Net } from './net';

const ISSUE_OPS = [
  'input', 'conv1d', 'conv2d', 'conv3d', 'depthwise_conv2d', 'separable_conv2d', 'conv2d_transpose', 'dense', 'linear',
  'batchnorm', 'layernorm', 'groupnorm', 'relu', 'relu6', 'leaky_relu', 'gelu', 'silu', 'elu', 'sigmoid', 'tanh',
  'softmax', 'dropout', 'maxpool', 'avgpool', 'maxpool1d', 'avgpool1d', 'maxpool2d', 'avgpool2d', 'globalavgpool',
  'globalmaxpool', 'flatten', 'reshape', 'transpose', 'concat', 'add', 'mul', 'average', 'embedding', 'lstm', 'gru',
  'simple_rnn', 'attention', 'upsample', 'zeropad', 'cropping2d', 'repeat_vector',
];

test('every op named by the issues is registered', () => {
  for (const name of ISSUE_OPS) assert.ok(lookupOp(name), name);
});

test('op names and aliases are unique', () => {
  const names = ALL_OPS.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual([...opNames()].sort(), [...names].sort());
});

test('every op has a summary, a family and a formula with a shape part and a params part', () => {
  const families = new Set(['io', 'conv', 'dense', 'norm', 'activation', 'pool', 'shape', 'tensor', 'loss', 'rnn', 'attention']);
  for (const spec of ALL_OPS) {
    assert.ok(spec.summary.trim().length > 0, spec.name);
    assert.ok(families.has(spec.family), `${spec.name}: family ${spec.family}`);
    assert.match(spec.formula, /^.+; params = .+$/, spec.name);
  }
});

test('argument schemas: tensors first, documented, unique, required args without defaults, enum defaults valid', () => {
  for (const spec of ALL_OPS) {
    const names = spec.args.map((a) => a.name);
    assert.equal(new Set(names).size, names.length, spec.name);
    const firstOther = spec.args.findIndex((a) => a.kind !== 'tensor');
    if (firstOther >= 0) assert.ok(spec.args.slice(firstOther).every((a) => a.kind !== 'tensor'), `${spec.name}: tensor args first`);
    for (const a of spec.args) {
      assert.ok(a.doc.trim().length > 0, `${spec.name}.${a.name} doc`);
      if (a.required) assert.equal(a.default, undefined, `${spec.name}.${a.name}: required with a default`);
      if (a.kind === 'enum') {
        assert.ok(a.values && a.values.length > 0, `${spec.name}.${a.name} values`);
        if (a.default !== undefined) assert.ok(a.values.includes(a.default as string), `${spec.name}.${a.name} default`);
      }
    }
    const tensors = spec.args.filter((a) => a.kind === 'tensor');
    const variadic = tensors.some((a) => a.variadic);
    for (const i of spec.savedForBackward.inputs) assert.ok(variadic || i < tensors.length, `${spec.name} saves input ${i}`);
  }
});

test('ops that may run in place take `inplace` (bool, default false); the others do not', () => {
  for (const spec of ALL_OPS) {
    const arg = spec.args.find((a) => a.name === 'inplace');
    if (spec.inPlace === 'never') assert.equal(arg, undefined, spec.name);
    else assert.deepEqual([arg?.kind, arg?.default], ['bool', false], spec.name);
  }
  assert.equal(lookupOp('batchnorm')!.inPlace, 'inferOnly');
  for (const name of ['relu', 'dropout', 'add', 'mul']) assert.equal(lookupOp(name)!.inPlace, 'elementwise', name);
});

test('signatures show positional then named arguments', () => {
  assert.equal(
    signatureOf(lookupOp('conv2d')!),
    'conv2d(x, filters, kernel, stride: 1, pad: 0, dilation: 1, groups: 1, bias: true, activation: linear)',
  );
  assert.equal(signatureOf(lookupOp('concat')!), 'concat(xs..., axis: (optional))');
});

test('docs/ops.md is the rendering of the registry', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'ops.md'), 'utf8');
  assert.equal(doc, opsMarkdown(), 'docs/ops.md is stale: regenerate it (command at its top)');
});

test('a call with the wrong number of tensors is a clear error, not a crash', () => {
  const n = new Net();
  assert.match(n.fail('relu', []).message, /relu takes 1 tensor, got 0/);
  const x = n.input(4);
  assert.match(n.fail('dense', [x, x], { units: 2 }).message, /dense takes 1 tensor, got 2/);
  assert.match(n.fail('concat', []).message, /concat takes at least 1 tensor, got 0/);
});

/** a plausible value for a required argument of each kind */
const SAMPLE: Record<string, ArgValue> = { int: 2, number: 0.5, bool: true, string: 'a', ints: [1], intOrInts: 1, padding: 0, enum: '' };

test('every rule on every small input either gives a positive shape or throws ShapeError', () => {
  const shapes = [[1], [7], [3, 5], [4, 6, 6], [2, 3, 4, 5], [2, 2, 2, 2, 2]];
  const odd: Record<string, ArgValue>[] = [{}, { kernel: 9 }, { stride: 0 }, { pad: 'same' }, { groups: 0 }, { axis: 9 }, { scale: 0 }, { shape: [0] }, { kernel: [1, 2, 3, 4] }];
  for (const spec of ALL_OPS) {
    for (const layout of ['nchw', 'nhwc'] as const) {
      for (const shape of shapes) {
        for (const extra of odd) {
          const args: Record<string, ArgValue> = {};
          for (const a of spec.args) {
            if (a.kind === 'tensor') continue;
            if (a.default !== undefined) args[a.name] = a.default;
            else if (a.required) args[a.name] = a.kind === 'enum' ? a.values![0]! : a.variadic ? (a.name === 'perm' ? shape.map((_, i) => i) : [-1]) : SAMPLE[a.kind]!;
          }
          for (const [k, v] of Object.entries(extra)) if (k in args) args[k] = v;
          const inputs = spec.args.some((a) => a.variadic && a.kind === 'tensor') ? [shape, shape] : spec.args.filter((a) => a.kind === 'tensor').map(() => shape);
          const ctx: OpContext = { inputs: inputs.map((s) => ({ shape: s, dtype: 'fp32' })), args, layout, activationDType: 'fp32' };
          const where = `${spec.name} ${layout} [${shape.join(', ')}] ${JSON.stringify(extra)}`;
          try {
            const out = spec.inferShape(ctx);
            assert.ok(out.length > 0 && out.every((d) => Number.isSafeInteger(d) && d >= 1), `${where} -> [${out.join(', ')}]`);
            const p = spec.params(ctx, out);
            assert.ok(Number.isSafeInteger(p.trainable) && p.trainable >= 0 && Number.isSafeInteger(p.nonTrainable), `${where} params`);
            const w = spec.workspaceElements?.(ctx, out);
            if (w) assert.ok(Number.isSafeInteger(w.perSample) && w.perSample >= 0, `${where} workspace`);
            const e = spec.savedForBackward.extraElements?.(ctx, out);
            if (e) assert.ok(Number.isSafeInteger(e.perSample) && e.perSample >= 0 && Number.isSafeInteger(e.fixed), `${where} extras`);
          } catch (err) {
            if (!(err instanceof ShapeError)) throw new Error(`${where}: ${String(err)}`);
          }
        }
      }
    }
  }
});
