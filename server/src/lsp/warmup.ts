// JIT warm-up while the server is idle after start. V8 optimises a function only after it has run
// often enough with stable types; the analyses' top-level passes run once per analysis, so the
// first edits of a session ran unoptimised code: on a 10,000-op file the 2nd to 4th analyses took
// 154, 81 and 66 ms against about 35 ms once settled. Analysing a built-in model a few dozen times
// first (about 0.5 s of idle CPU, one analysis per event-loop turn behind any request) brought
// them to 42, 44 and 35 ms (bench/run.ts `lsp`, README).
// A file over 128 KiB is parsed and elaborated statement by statement (dsl/streamed.ts), and its
// lexer recycles tokens once 4,096 lie behind the parser: code a small model never reaches. V8
// then met it cold on the first analyses of a large file (deopts for missing type feedback in
// streamed.ts and itemsAboveModels, wrong maps in the lexer's recycling), so every other warm-up
// run takes that path on a longer model.
import type { AnalyzeOptions } from '../core/analyze';
import { analyzeDocument } from '../core/analyze';
import type { DocumentAnalysis } from '../core/document';
import { itemsAboveModels } from '../core/dsl/frontend';

/** what is exercised besides the analysis itself: the features an editor asks for after an edit */
export type WarmFeatures = (analysis: DocumentAnalysis) => void;

/**
 * A model touching the common paths: a block with a residual and a projection, `repeat`,
 * convolutions, normalisation, pooling, dense layers and a config. Never shown to anyone.
 */
export function warmupModel(units: number): string {
  const lines = [
    'config {',
    '  mode: train',
    '  batch: 8',
    '  optimizer: adam',
    '}',
    '',
    'block unit(x, c, stride: 1) {',
    '  y = relu(batchnorm(conv2d(x, c, kernel: 3, stride: stride, pad: 1, bias: false)))',
    '  y = batchnorm(conv2d(y, c, kernel: 3, pad: 1, bias: false))',
    '  s = stride > 1 ? conv2d(x, c, kernel: 1, stride: stride) : x',
    '  return relu(add(y, s))',
    '}',
    '',
    'model warm {',
    '  x = input(3, 32, 32)',
    '  x = relu(conv2d(x, 16, kernel: 3, pad: 1))',
    '  x = repeat 2 unit(x, 16)',
    '  x = unit(x, 32, stride: 2)',
    '  x = maxpool(x, kernel: 2, stride: 2)',
    '  x = flatten(globalavgpool(x))',
  ];
  for (let i = 0; i < units; i++) lines.push(`  h${i} = relu(dense(x, 32))`, `  x = add(x, dense(h${i}, 32))`);
  lines.push('  return softmax(dense(x, 10))', '}', '');
  return lines.join('\n');
}

export interface WarmupOptions {
  readonly runs: number;
  /** residual units of the warm-up model (warmupModel) */
  readonly units: number;
  /**
   * residual units of the streamed warm-up model at most: its k-th run has 10 + 20k, so that the
   * first, cold runs stay short turns; 0 leaves the streamed path out
   */
  readonly streamedUnits: number;
  readonly options: () => AnalyzeOptions;
  readonly features: WarmFeatures;
  /** resolves when the server may spend a turn (no request waiting) */
  readonly idle: () => Promise<void>;
}

/**
 * Analyses the warm-up model `runs` times, the analysis and the features each in an idle turn of
 * their own: an edit arriving meanwhile waits for the turn under way, so turns are kept short (a
 * 46-op model: about 1 ms once compiled). With `streamedUnits`, every odd run analyses a longer
 * model through the streamed elaboration instead. Never throws.
 */
export async function warmUp({ runs, units, streamedUnits, options, features, idle }: WarmupOptions): Promise<number> {
  const text = warmupModel(units);
  let done = 0;
  try {
    for (; done < runs; done++) {
      await idle();
      // a different text each time, as edits make: nothing may be served from a cache
      const padding = ' '.repeat(done % 7);
      const analysis = streamedUnits > 0 && done % 2 === 1 ? analyzeStreamed(`${warmupModel(Math.min(streamedUnits, 10 + 10 * (done - 1)))}${padding}`, options()) : analyzeDocument(`${text}${padding}`, 'nnm', options());
      await idle();
      features(analysis);
    }
  } catch {
    // a defect the warm-up met is the real document's to report, not the warm-up's
  }
  return done;
}

/** what analyzeDocument does for a .nnm file of over 128 KiB (the size check included), on a shorter text */
function analyzeStreamed(text: string, options: AnalyzeOptions): DocumentAnalysis {
  itemsAboveModels(text);
  return analyzeDocument(text, 'nnm', { ...options, stream: true });
}
