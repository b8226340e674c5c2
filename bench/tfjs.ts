// TensorFlow.js frontend bench (run by `npm run bench`, or `node --import tsx bench/tfjs.ts`).
//   1. a generated 5,000-line tf.js file: cold open, and one keystroke (incremental re-parse +
//      extraction + analysis) median / p95, through analyzeDocument as the server calls it;
//   2. memlens' figures against TensorFlow.js measuring itself (tf.profile peakBytes) around
//      predict() at batch 1 and 8 and around one trainOnBatch() at batch 8, on the small fixtures.
// Prints plain numbers, no pass/fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import { initTfjsFrontend, forgetDocument } from '../server/src/core/tfjs/frontend';
import { ms, printTable, summarize } from './stats';

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'tfjs');

/** a file of `models` builder functions, each a sequential CNN or MLP; about 100 lines each */
export function generateTfjsFile(targetLines: number): string {
  const lines = ["import * as tf from '@tensorflow/tfjs';", '', 'const WIDTH = 64;', ''];
  for (let m = 0; lines.length < targetLines; m++) {
    lines.push(`export function buildModel${m}(): tf.Sequential {`, '  const model = tf.sequential();');
    lines.push(`  model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: WIDTH, kernelSize: 3, padding: 'same' }));`);
    for (let i = 0; i < 8; i++) {
      lines.push(`  model.add(tf.layers.conv2d({`, `    filters: WIDTH + ${(i % 4) * 16},`, `    kernelSize: 3,`, `    padding: 'same',`, `    activation: 'relu',`, `  }));`);
      lines.push(`  model.add(tf.layers.batchNormalization());`);
      if (i % 3 === 2) lines.push(`  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));`);
    }
    lines.push('  model.add(tf.layers.flatten());');
    for (let i = 0; i < 6; i++) lines.push(`  // head layer ${i}`, `  model.add(tf.layers.dense({ units: ${256 >> (i % 4)}, activation: 'relu' }));`, `  model.add(tf.layers.dropout({ rate: 0.1 }));`);
    lines.push("  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));");
    lines.push("  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });", '  return model;', '}', '');
  }
  return lines.join('\n');
}

function benchEditing(): void {
  const text = generateTfjsFile(5000);
  const layerCalls = (text.match(/tf\.layers\./g) ?? []).length;
  const key = 'file:///bench/generated.ts';
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    forgetDocument(key);
    const t0 = performance.now();
    analyzeDocument(text, 'typescript', { documentKey: key });
    cold.push(performance.now() - t0);
  }
  // keystrokes: type a digit into a `units:` value in the middle of the file, then delete it
  const at = text.indexOf('units: 128', Math.floor(text.length / 2)) + 'units: 12'.length;
  const versions = [text.slice(0, at) + '4' + text.slice(at), text];
  const samples: number[] = [];
  let models = 0;
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    const r = analyzeDocument(versions[i % 2]!, 'typescript', { documentKey: key });
    const dt = performance.now() - t0;
    if (i >= 10) samples.push(dt);
    models = r.models.length;
  }
  forgetDocument(key);
  const c = summarize(cold);
  const k = summarize(samples);
  console.log(`\ngenerated tf.js file: ${text.split('\n').length} lines, ${(text.length / 1024).toFixed(0)} KiB, ${layerCalls} tf.layers calls, ${models} models`);
  printTable(
    ['measure', 'runs', 'median ms', 'p95 ms', 'target ms'],
    [
      ['cold open (parse + extract + analyse)', String(c.runs), ms(c.median), ms(c.p95), '300'],
      ['keystroke (incremental)', String(k.runs), ms(k.median), ms(k.p95), '15'],
    ],
  );
}

interface OracleCase {
  readonly file: string;
  readonly exportName: string;
  readonly graph: string;
  /** input builder for predict / trainOnBatch */
  readonly input: (tf: typeof import('@tensorflow/tfjs'), batch: number) => import('@tensorflow/tfjs').Tensor | import('@tensorflow/tfjs').Tensor[];
}

async function benchOracle(): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const cases: OracleCase[] = [
    { file: 'mlp.ts', exportName: 'buildMlp', graph: 'buildMlp.model', input: (t, n) => t.randomNormal([n, 784]) },
    { file: 'lenet.ts', exportName: 'buildLeNet', graph: 'buildLeNet.model', input: (t, n) => t.randomNormal([n, 28, 28, 1]) },
    { file: 'lstm_text.ts', exportName: 'buildLstmText', graph: 'buildLstmText.model', input: (t, n) => t.randomUniform([n, 100], 0, 100, 'int32') },
    { file: 'gru_bidirectional.ts', exportName: 'buildTagger', graph: 'buildTagger', input: (t, n) => t.randomNormal([n, 50, 16]) },
    { file: 'shared_layer.ts', exportName: 'buildSiamese', graph: 'buildSiamese', input: (t, n) => [t.randomNormal([n, 32]), t.randomNormal([n, 32])] },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    const text = readFileSync(join(FIXTURES, c.file), 'utf8');
    const mod = (await import(join(FIXTURES, c.file))) as Record<string, () => import('@tensorflow/tfjs').LayersModel>;
    const model = mod[c.exportName]!();
    if (!model.optimizer) model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const ours = (mode: 'infer' | 'train', batch: number): number => {
      const r = analyzeDocument(text, 'typescript', { overrides: { mode, batch } });
      const m = r.models.find((x) => x.graph.name === c.graph);
      return m ? m.memory.bytes.lowerBound : NaN;
    };
    for (const batch of [1, 8]) {
      const x = c.input(tf, batch);
      model.predict(x); // warm-up: kernels allocate their caches once
      const prof = await tf.profile(() => model.predict(x) as import('@tensorflow/tfjs').Tensor);
      const tfPeak = prof.peakBytes;
      const memlens = ours('infer', batch);
      rows.push([c.file, 'predict', String(batch), kib(memlens), kib(tfPeak), (tfPeak / memlens).toFixed(2)]);
      tf.dispose(x);
    }
    const batch = 8;
    const x = c.input(tf, batch);
    const out = model.predict(x) as import('@tensorflow/tfjs').Tensor;
    const y = tf.zerosLike(out);
    await model.trainOnBatch(x, y); // the optimizer creates its state on the first step
    const prof = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    const memlens = ours('train', batch);
    rows.push([c.file, 'trainOnBatch', String(batch), kib(memlens), kib(prof.peakBytes), (prof.peakBytes / memlens).toFixed(2)]);
    tf.dispose([x, out, y]);
    model.dispose();
  }
  console.log('\nmemlens lower bound vs TensorFlow.js tf.profile peakBytes (CPU backend), KiB; ratio = tf.js / memlens');
  printTable(['fixture', 'call', 'batch', 'memlens', 'tf.js peak', 'ratio'], rows);
}

function kib(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1024).toFixed(0) : '-';
}

async function main(): Promise<void> {
  await initTfjsFrontend();
  benchEditing();
  if (!process.argv.includes('--no-oracle')) await benchOracle();
}

if (require.main === module) void main();
