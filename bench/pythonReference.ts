// `npx tsx bench/pythonReference.ts`: memlens' peaks for the Python corpus next to what PyTorch
// 1.13's CPU allocator really held during one step (test/fixtures/python/oracle.json, written by
// scripts/python_oracle.py). memlens' figures are minus weights and buffers (the oracle's peak is
// relative to before the step, when the weights already existed), no optimizer (the oracle's step
// has none): the PyTorch CPU profile's bytes.expectedPeak on the oracle machine's CPU preset, and
// the ideal lower bound under im2col and direct lowering.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import type { Lowering, Mode } from '../server/src/core/ir';
import { initTfjsFrontend } from '../server/src/core/tfjs/parse';
import { devicePreset } from '../server/src/core/devices';
import { printTable } from './stats';

interface OracleModel {
  readonly file: string;
  readonly name: string;
  readonly batch: number;
  readonly peak: { readonly train: number | null; readonly infer: number | null };
}

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'python');
const KB = 1e3;

function predicted(file: string, name: string, batch: number, mode: Mode, lowering: Lowering): number | undefined {
  const path = join(FIXTURES, file);
  const a = analyzeDocument(readFileSync(path, 'utf8'), 'python', { documentKey: path, overrides: { mode, batch, lowering, optimizer: { kind: 'none', momentum: 0 } } });
  const m = a.models.find((x) => x.graph.name === name)?.memory;
  return m ? m.bytes.lowerBound - m.bytes.weights.fixed - m.bytes.buffers.fixed : undefined;
}

/** the PyTorch profile's expected peak minus weights and buffers, or why there is none */
function expected(file: string, name: string, batch: number, mode: Mode, device: string): number | string {
  const path = join(FIXTURES, file);
  const overrides = { mode, batch, framework: 'pytorch' as const, device: devicePreset(device)!, optimizer: { kind: 'none' as const, momentum: 0 } };
  const m = analyzeDocument(readFileSync(path, 'utf8'), 'python', { documentKey: path, overrides }).models.find((x) => x.graph.name === name)?.memory;
  if (!m) return 'not analysed';
  const result = m.expected;
  if ('reason' in result) return result.reason;
  return result.expected.bytes - result.expected.breakdown.weights - result.expected.breakdown.buffers;
}

export async function pythonReferenceRows(): Promise<string[][]> {
  await initTfjsFrontend();
  const oracle = JSON.parse(readFileSync(join(FIXTURES, 'oracle.json'), 'utf8')) as { meta: { cpuVectorBits: number }; models: Record<string, OracleModel> };
  const device = oracle.meta.cpuVectorBits === 256 ? 'cpu-avx2' : 'cpu';
  const rows: string[][] = [];
  for (const [id, m] of Object.entries(oracle.models)) {
    const file = m.file.startsWith('resnet_cifar') ? 'resnet_cifar/model.py' : m.file;
    for (const mode of ['train', 'infer'] as const) {
      const measured = m.peak[mode];
      if (measured === null) continue;
      const im2col = predicted(file, m.name, m.batch, mode, 'im2col');
      const direct = predicted(file, m.name, m.batch, mode, 'direct');
      const ratio = (p: number | undefined): string => (p === undefined ? '-' : (p / measured).toFixed(2));
      const framework = expected(file, m.name, m.batch, mode, device);
      const frameworkCells = typeof framework === 'number' ? [(framework / KB).toFixed(0), ratio(framework)] : ['-', framework.replace(/^PyTorch's CPU profile does not know (.*) yet$/, 'no profile: $1')];
      rows.push([id, mode, String(m.batch), (measured / KB).toFixed(0), ...frameworkCells, im2col === undefined ? 'not analysed' : (im2col / KB).toFixed(0), ratio(im2col), direct === undefined ? '-' : (direct / KB).toFixed(0), ratio(direct)]);
    }
  }
  return rows;
}

if (require.main === module) {
  void pythonReferenceRows().then((rows) =>
    printTable(['model', 'mode', 'batch', 'torch 1.13 CPU peak kB', 'expectedPeak kB', 'ratio', 'ideal im2col kB', 'ratio', 'ideal direct kB', 'ratio'], rows),
  );
}
