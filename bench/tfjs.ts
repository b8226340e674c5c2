// TensorFlow.js frontend bench (run by `npm run bench`, or `node --import tsx bench/tfjs.ts`).
//   1. a generated 5,000-line tf.js file: cold open, and one keystroke (incremental re-parse +
//      extraction + analysis) median / p95, through analyzeDocument as the server calls it;
//   2. memlens' figures against TensorFlow.js measuring itself (tf.profile peakBytes) around
//      predict() at batch 1 and 8 and around one trainOnBatch() at batch 8, on the small fixtures.
// Prints plain numbers, no pass/fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDocument } from '../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../server/src/core/config';
import { analyzeTfjs, forgetDocument, initTfjsFrontend } from '../server/src/core/tfjs/frontend';
import { generateTfjsFile } from './generate';
import { ms, printTable, summarize, type Summary } from './stats';

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'tfjs');


/** cold open, then keystrokes (type a digit into a `units:` value mid-file, delete it again) */
function timeEditing(text: string, analyze: (text: string, key: string) => void): { cold: Summary; keystroke: Summary } {
  const key = 'file:///bench/generated.ts';
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    forgetDocument(key);
    const t0 = performance.now();
    analyze(text, key);
    cold.push(performance.now() - t0);
  }
  const at = text.indexOf('units: 128', Math.floor(text.length / 2)) + 'units: 12'.length;
  const versions = [text.slice(0, at) + '4' + text.slice(at), text];
  const samples: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    analyze(versions[i % 2]!, key);
    if (i >= 10) samples.push(performance.now() - t0);
  }
  forgetDocument(key);
  return { cold: summarize(cold), keystroke: summarize(samples) };
}

function benchEditing(): void {
  const text = generateTfjsFile(5000);
  const layerCalls = (text.match(/tf\.layers\./g) ?? []).length;
  const models = analyzeDocument(text, 'typescript').models.length;
  const frontend = timeEditing(text, (t, key) => analyzeTfjs(t, { defaults: BUILTIN_DEFAULTS, language: 'typescript', documentKey: key }));
  const full = timeEditing(text, (t, key) => analyzeDocument(t, 'typescript', { documentKey: key }));
  console.log(`\ngenerated tf.js file: ${text.split('\n').length} lines, ${(text.length / 1024).toFixed(0)} KiB, ${layerCalls} tf.layers calls, ${models} models`);
  const row = (name: string, s: Summary, target: string): string[] => [name, String(s.runs), ms(s.median), ms(s.p95), target];
  printTable(
    ['measure', 'runs', 'median ms', 'p95 ms', 'target ms'],
    [
      row('cold open: frontend (parse + extract + graphs)', frontend.cold, '300'),
      row('cold open: analyzeDocument (frontend + analyses + rules)', full.cold, '300'),
      row('keystroke: frontend (incremental parse + extract + graphs)', frontend.keystroke, '15'),
      row('keystroke: analyzeDocument (frontend + analyses + rules)', full.keystroke, '15'),
    ],
  );
}

interface OracleCase {
  readonly file: string;
  readonly exportName: string;
  readonly graph: string;
  /** whether to time trainOnBatch too (tf.js CPU back-propagation through 100 LSTM steps takes minutes) */
  readonly train: boolean;
  /** input builder for predict / trainOnBatch */
  readonly input: (tf: typeof import('@tensorflow/tfjs'), batch: number) => import('@tensorflow/tfjs').Tensor | import('@tensorflow/tfjs').Tensor[];
}

async function benchOracle(): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const cases: OracleCase[] = [
    { file: 'mlp.ts', exportName: 'buildMlp', graph: 'buildMlp.model', train: true, input: (t, n) => t.randomNormal([n, 784]) },
    { file: 'lenet.ts', exportName: 'buildLeNet', graph: 'buildLeNet.model', train: true, input: (t, n) => t.randomNormal([n, 28, 28, 1]) },
    { file: 'lstm_text.ts', exportName: 'buildLstmText', graph: 'buildLstmText.model', train: false, input: (t, n) => t.randomUniform([n, 100], 0, 100, 'int32') },
    { file: 'gru_bidirectional.ts', exportName: 'buildTagger', graph: 'buildTagger', train: false, input: (t, n) => t.randomNormal([n, 50, 16]) },
    { file: 'shared_layer.ts', exportName: 'buildSiamese', graph: 'buildSiamese', train: true, input: (t, n) => [t.randomNormal([n, 32]), t.randomNormal([n, 32])] },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    const text = readFileSync(join(FIXTURES, c.file), 'utf8');
    const mod = (await import(join(FIXTURES, c.file))) as Record<string, () => import('@tensorflow/tfjs').LayersModel>;
    const model = mod[c.exportName]!();
    if (!model.optimizer) model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    // tf.js' CPU backend convolves without an im2col buffer: 'direct' lowering is its profile
    const ours = (mode: 'infer' | 'train', batch: number): number => {
      const r = analyzeDocument(text, 'typescript', { overrides: { mode, batch, lowering: 'direct' } });
      const m = r.models.find((x) => x.graph.name === c.graph);
      return m?.memory ? m.memory.bytes.lowerBound : NaN;
    };
    // tf.profile counts each tensor handle, so the reshape views a matMul makes of its kernel count as copies
    const largestKernel = (): number => {
      const m = analyzeDocument(text, 'typescript').models.find((x) => x.graph.name === c.graph);
      let largest = 0;
      for (const op of m?.graph.ops ?? []) if (op.op === 'dense') largest = Math.max(largest, op.params.trainable * 4);
      return largest;
    };
    const view = largestKernel();
    for (const batch of [1, 8]) {
      const x = c.input(tf, batch);
      tf.dispose(model.predict(x)); // warm-up: kernels allocate their caches once
      const prof = await tf.profile(() => model.predict(x) as import('@tensorflow/tfjs').Tensor);
      // peakBytes counts every tensor alive in the engine: nothing of one case may leak into the next
      tf.dispose(prof.result as import('@tensorflow/tfjs').TensorContainer);
      const tfPeak = prof.peakBytes;
      const memlens = ours('infer', batch);
      rows.push([c.file, 'predict', String(batch), kib(memlens), kib(tfPeak), (tfPeak / memlens).toFixed(2), kib(memlens + view), (tfPeak / (memlens + view)).toFixed(2)]);
      tf.dispose(x);
    }
    console.error(`  measured ${c.file} predict`);
    if (!c.train) {
      model.dispose();
      continue;
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
    rows.push([c.file, 'trainOnBatch', String(batch), kib(memlens), kib(prof.peakBytes), (prof.peakBytes / memlens).toFixed(2), kib(memlens + view), (prof.peakBytes / (memlens + view)).toFixed(2)]);
    tf.dispose([x, out, y]);
    model.dispose();
  }
  console.log('\nmemlens lower bound (lowering: direct) vs TensorFlow.js tf.profile peakBytes (CPU backend), KiB; ratio = tf.js / memlens;');
  console.log('"+view" adds the largest dense kernel once: tf.profile counts the reshape view fused matMul makes of it as new bytes');
  printTable(['fixture', 'call', 'batch', 'memlens', 'tf.js peak', 'ratio', 'memlens+view', 'ratio'], rows);
}

function kib(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1024).toFixed(0) : '-';
}

async function main(): Promise<void> {
  await initTfjsFrontend();
  if (!process.argv.includes('--only-oracle')) benchEditing();
  if (!process.argv.includes('--no-oracle')) await benchOracle();
  if (process.argv.includes('--only-oracle')) return;
}

if (require.main === module) main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
