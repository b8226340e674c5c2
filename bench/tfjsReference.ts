// `npx tsx bench/tfjsReference.ts`: memlens' peaks for the tf.js fixture models next to what
// TensorFlow.js 4.22's CPU backend really held (test/fixtures/tfjs/peaks.json, written by
// scripts/tfjs_peak_oracle.mjs: distinct data buffers, weights, x and y included): the TensorFlow.js
// CPU profile's bytes.expectedPeak with plain SGD, and the ideal lower bound plus x (and y).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import type { Mode } from '../server/src/core/ir';
import { initTfjsFrontend } from '../server/src/core/tfjs/parse';
import { devicePreset } from '../server/src/core/devices';
import { printTable } from './stats';

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'tfjs');
const KB = 1e3;

function figures(file: string, graph: string, batch: number, mode: Mode): { expected: number | string; ideal: number | undefined } {
  const path = join(FIXTURES, file);
  const overrides = { mode, batch, framework: 'tfjs' as const, device: devicePreset('cpu')!, optimizer: { kind: 'sgd' as const, momentum: 0 }, lowering: 'direct' as const };
  const model = analyzeDocument(readFileSync(path, 'utf8'), 'typescript', { documentKey: path, overrides }).models.find((m) => m.graph.name === graph);
  const m = model?.memory;
  if (!m || !model) return { expected: 'not analysed', ideal: undefined };
  const g = model.graph;
  const elements = (t: number): number => (g.tensors[t]!.batchIndependent ? 1 : batch) * g.tensors[t]!.elementsPerSample * 4;
  const io = g.inputs.reduce((n, t) => n + elements(t), 0) + (mode === 'train' ? g.outputs.reduce((n, t) => n + elements(t), 0) : 0);
  const result = m.expected;
  return { expected: 'reason' in result ? result.reason : result.expected.bytes, ideal: m.bytes.lowerBound + io };
}

export async function tfjsReferenceRows(): Promise<string[][]> {
  await initTfjsFrontend();
  const oracle = JSON.parse(readFileSync(join(FIXTURES, 'peaks.json'), 'utf8')) as { models: Record<string, { file: string; peak: Record<string, Partial<Record<Mode, number>>> }> };
  const rows: string[][] = [];
  for (const [graph, m] of Object.entries(oracle.models)) {
    for (const [batch, peaks] of Object.entries(m.peak)) {
      for (const [mode, measured] of Object.entries(peaks) as [Mode, number][]) {
        const { expected, ideal } = figures(m.file, graph, Number(batch), mode);
        const ratio = (p: number | undefined): string => (p === undefined ? '-' : (p / measured).toFixed(2));
        const cells = typeof expected === 'number' ? [(expected / KB).toFixed(0), ratio(expected)] : ['-', expected.replace(/^TensorFlow.js' CPU profile does not know (.*) yet$/, 'no profile: $1')];
        rows.push([graph, mode, batch, (measured / KB).toFixed(0), ...cells, ideal === undefined ? '-' : (ideal / KB).toFixed(0), ratio(ideal)]);
      }
    }
  }
  return rows;
}

if (require.main === module) {
  void tfjsReferenceRows().then((rows) => printTable(['model', 'mode', 'batch', 'tf.js 4.22 CPU peak kB', 'expectedPeak kB', 'ratio', 'ideal + x, y kB', 'ratio'], rows));
}
