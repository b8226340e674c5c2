// The recompute cost of the checkpoints a .nnm model marks (checkpoint: k on a repeat: every k-th
// block), as the hover, the text report and the JSON report show it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { toJsonReport } from '../../../server/src/report/json';
import { formatReport } from '../../../server/src/report/text';
import { hover, modelHover } from '../../../server/src/lsp/features/hover';
import type { MarkupContent } from 'vscode-languageserver';
import { ready } from '../python/helpers';

const text = (checkpoint: string): string =>
  [
    'config {',
    '  mode: train',
    '  batch: 4',
    '  optimizer: sgd',
    '}',
    'block layer(x) {',
    '  h = dense(x, 16, bias: false)',
    '  return relu(h)',
    '}',
    'model m {',
    '  x = input(16)',
    `  x = repeat 4 layer(x${checkpoint})`,
    '  return dense(x, 4, bias: false)',
    '}',
    '',
  ].join('\n');

// iterations 0 and 2 of 4: two segments of a dense and a relu, each writing 16 fp32 per sample
// (256 B x N); a forward pass writes 4 x (16 + 16) + 4 elements, 64 of them again: 48.5%
const LINE = '4 ops in 2 segments run again during backward: 1 KiB of activations at batch 4 (256 B x N), 48.5% of a forward pass';

test('checkpoint: 2 on a repeat of 4 recomputes 2 blocks: ops, bytes and share in memory.recompute', () => {
  const a = analyzeDocument(text(', checkpoint: 2'), 'nnm');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const m = a.models[0]!;
  assert.deepEqual(m.memory!.recompute, { segments: 2, ops: 4, bytes: { fixed: 0, perSample: 256 }, fraction: 64 / 132 });
  assert.ok(modelHover(m).split('\n').includes(`- checkpointed: ${LINE}`));
  const row = formatReport('m.nnm', a).split('\n').flatMap((l) => /^\s+recompute\s+(.*)$/.exec(l)?.[1] ?? []);
  assert.deepEqual(row, [LINE]);
  assert.deepEqual(toJsonReport('m.nnm', a).models[0]!.recompute, { segments: 2, ops: 4, bytes: 1024, bytesPerSample: 256, fraction: 64 / 132 });
});

test('checkpoint: true recomputes every block; none without a checkpoint', () => {
  const every = analyzeDocument(text(', checkpoint: true'), 'nnm').models[0]!.memory!.recompute;
  assert.deepEqual(every, { segments: 4, ops: 8, bytes: { fixed: 0, perSample: 512 }, fraction: 128 / 132 });
  const none = analyzeDocument(text(''), 'nnm');
  assert.equal(none.models[0]!.memory!.recompute, undefined);
  assert.equal(toJsonReport('m.nnm', none).models[0]!.recompute, null);
  assert.ok(!modelHover(none.models[0]!).includes('checkpointed'));
  assert.ok(!formatReport('m.nnm', none).includes('recompute'));
});

test('the same every-other block in Python: torch.utils.checkpoint on blocks 0 and 2 of a loop, the same recompute cost', async () => {
  await ready();
  const py = [
    'import torch',
    'import torch.nn as nn',
    'from torch.utils.checkpoint import checkpoint',
    'class Layer(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.h = nn.Linear(16, 16, bias=False)',
    '    def forward(self, x):',
    '        return torch.relu(self.h(x))',
    'class Net(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.layers = nn.ModuleList([Layer() for _ in range(4)])',
    '        self.out = nn.Linear(16, 4, bias=False)',
    '    def forward(self, x):',
    '        for i, layer in enumerate(self.layers):',
    '            x = checkpoint(layer, x) if i % 2 == 0 else layer(x)',
    '        return self.out(x)',
    'model = Net()',
    'out = model(torch.randn(4, 16))',
    'out.sum().backward()',
    '',
  ].join('\n');
  const a = analyzeDocument(py, 'python');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const g = a.models[0]!.graph;
  assert.deepEqual(g.ops.map((o) => o.checkpointSegment ?? '-'), ['-', 0, 0, '-', '-', 1, 1, '-', '-', '-', '-']);
  assert.equal(g.ops.at(-1)!.op, 'reduce');
  // as in .nnm, but a forward pass also writes out.sum()'s one element: 64 of 133
  assert.deepEqual(a.models[0]!.memory!.recompute, { segments: 2, ops: 4, bytes: { fixed: 0, perSample: 256 }, fraction: 64 / 133 });
});

test('the hover of the checkpointed repeat call says which of its ops are checkpointed', () => {
  const src = text(', checkpoint: 2');
  const a = analyzeDocument(src, 'nnm');
  const line = 11;
  const character = src.split('\n')[line]!.indexOf('layer(');
  const value = (hover(a, { line, character })?.contents as MarkupContent).value;
  // 4 iterations of a dense and a relu; iterations 0 and 2 are each a segment
  assert.ok(value.split('\n').includes('- checkpointed: 4 of 8 ops, in 2 segments (recomputed during backward)'), value);
  const plain = analyzeDocument(text(''), 'nnm');
  assert.ok(!(hover(plain, { line, character })?.contents as MarkupContent).value.includes('checkpointed'));
});
