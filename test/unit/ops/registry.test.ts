// Registry-wide invariants: every op documented, names unique, argument schemas consistent, docs in sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_OPS, lookupOp, opNames } from '../../../server/src/core/ops/registry';
import { opsMarkdown, signatureOf } from '../../../server/src/core/ops/docs';

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
  const families = new Set(['io', 'conv', 'dense', 'norm', 'activation', 'pool', 'shape', 'rnn', 'attention']);
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
