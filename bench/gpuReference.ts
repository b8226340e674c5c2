// `npx tsx bench/gpuReference.ts`: memlens' figures next to torch.cuda.max_memory_allocated measured
// on a GPU (test/fixtures/measured/*.json, written by scripts/measure_gpu.py) for the same models,
// modes, precisions and batches. Prints a table; docs/memory-model.md explains the differences.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import type { Precision } from '../server/src/core/ir';
import { printTable } from './stats';

interface Measurement {
  mode: 'train' | 'infer';
  precision: 'fp32' | 'fp16-autocast';
  batch: number;
  baseBytes: number;
  maxMemoryAllocated: number;
}
interface MeasuredFile {
  model: string;
  measurements: Measurement[];
}

const ROOT = join(__dirname, '..');
const MB = 1e6;

export function gpuReferenceRows(): string[][] {
  const rows: string[][] = [];
  for (const name of ['resnet50', 'vgg16', 'mobilenet_v2']) {
    const measured = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'measured', `${name}.json`), 'utf8')) as MeasuredFile;
    const text = readFileSync(join(ROOT, 'examples', `${name}.nnm`), 'utf8');
    // the first measurement starts from an empty GPU: its base is the model alone; later bases also
    // hold bytes earlier measurements left in the caching allocator, which are not this step's
    const modelBase = measured.measurements[0]!.baseBytes;
    for (const m of measured.measurements) {
      const precision: Precision = m.precision === 'fp32' ? 'fp32' : 'mixed';
      const analysis = analyzeDocument(text, 'nnm', {
        overrides: { mode: m.mode, batch: m.batch, precision, optimizer: { kind: 'sgd', momentum: 0.9 } },
      });
      const memory = analysis.models[0]?.memory;
      const direct = analyzeDocument(text, 'nnm', {
        overrides: { mode: m.mode, batch: m.batch, precision, optimizer: { kind: 'sgd', momentum: 0.9 }, lowering: 'direct' },
      }).models[0]?.memory;
      if (!memory || !direct) continue;
      const torchPeak = m.maxMemoryAllocated - (m.baseBytes - modelBase);
      rows.push([
        name,
        m.mode,
        m.precision === 'fp32' ? 'fp32' : 'fp16 autocast / mixed',
        String(m.batch),
        (torchPeak / MB).toFixed(0),
        (memory.bytes.lowerBound / MB).toFixed(0),
        (memory.bytes.planned / MB).toFixed(0),
        (memory.bytes.planned / torchPeak).toFixed(2),
        (direct.bytes.planned / MB).toFixed(0),
        (direct.bytes.planned / torchPeak).toFixed(2),
      ]);
    }
  }
  return rows;
}

if (require.main === module) {
  console.log('torch.cuda.max_memory_allocated (less bytes left by earlier measurements) vs memlens, MB (10^6 bytes)');
  printTable(['model', 'mode', 'precision', 'batch', 'torch peak', 'memlens lower bound', 'memlens planned', 'planned / torch', 'planned, direct lowering', 'direct / torch'], gpuReferenceRows());
}
