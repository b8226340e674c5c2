// The status bar's text: the planned peak against the device, or under parallelism one device's
// total against its memory (the server's memlens/memoryView answer, as the client reads it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { memoryView } from '../../../server/src/lsp/features/memoryView';
import { statusText } from '../../../client/src/statusText';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const mlp = (parallel: string): string =>
  `config {\n  batch: 16\n  optimizer: adam\n  device: a10g-24gb\n${parallel}}\nmodel small {\n  x = input(8)\n  h = relu(dense(x, 4))\n  return dense(h, 2)\n}\n`;
const status = (parallel: string) => {
  const a = analyzeDocument(mlp(parallel), 'nnm');
  return statusText(memoryView(a, { uri: 'file:///m.nnm', summary: true }, () => a));
};

test('one plain device: the planned peak; under parallelism: one device\'s total, per GPU', () => {
  const plain = status('')!;
  assert.match(plain.text, /^\$\(pulse\) memlens: [\d.]+ \w+ \/ 24 GiB$/);
  const parallel = status('  devices: 2\n  zero: 2\n  gradientAccumulation: 2\n')!;
  assert.equal(parallel.text, '$(pulse) memlens: 780 B / 24 GiB per GPU');
  assert.ok(parallel.tooltip.startsWith('small: per GPU: 780 B of 24 GiB on 2 x a10g-24gb, ZeRO-2, 2 accumulation steps. On one device the whole batch 16 would need '), parallel.tooltip);
  assert.equal(parallel.over, false);
  // no per-device figure (a batch that does not divide): the planned peak, as on one device
  assert.match(status('  devices: 3\n')!.text, /^\$\(pulse\) memlens: [\d.]+ \w+ \/ 24 GiB$/);
});

test('24 blocks on 8 x A10G: red at 30.8 GiB per GPU, not at 18.8 GiB with every other block checkpointed (129 GiB for the whole batch on one)', () => {
  const of = (name: string) => {
    const a = analyzeDocument(readFileSync(join(__dirname, '..', '..', 'fixtures', 'rules', `zeroStage.checkpoint.${name}.nnm`), 'utf8'), 'nnm');
    return statusText(memoryView(a, { uri: 'file:///m.nnm', summary: true }, () => a))!;
  };
  assert.deepEqual([of('trigger').text, of('trigger').over], ['$(error) memlens: 30.8 GiB / 24 GiB per GPU', true]);
  assert.deepEqual([of('clean').text, of('clean').over], ['$(pulse) memlens: 18.8 GiB / 24 GiB per GPU', false]);
  assert.match(of('clean').tooltip, /On one device the whole batch 1024 would need 129 GiB\. It fits\./);
});
