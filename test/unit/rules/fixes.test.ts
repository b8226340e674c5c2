// Fix edits: exact text after applying them (formatting and comments kept), and titles whose figures
// equal a fresh analysis of the edited text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { applyEdits } from '../../../server/src/core/fixes/edits';
import { parseFile } from '../../../server/src/core/fixes/locate';
import { parseNnm } from '../../../server/src/core/dsl/parser';
import { previewFix, previewFixAll, previewIgnore, type FixSource } from '../../../server/src/core/fixes/preview';
import { formatBytes } from '../../../server/src/core/units';
import type { Finding } from '../../../server/src/core/document';
import { fixture } from './fixture';

function source(text: string): FixSource {
  return { text, language: 'nnm', options: {}, analysis: analyzeDocument(text, 'nnm') };
}

function finding(src: FixSource, code: string): Finding {
  const f = (src.analysis.findings ?? []).find((x) => x.code === code);
  assert.ok(f, `a ${code} finding`);
  return f;
}

function planned(text: string): number {
  return analyzeDocument(text, 'nnm').models[0]!.memory!.bytes.planned;
}

test('make in-place: appends the argument, keeps the trailing comment, title = re-analysed peak change', () => {
  const src = source(fixture('missedInPlace.trigger'));
  const p = previewFix(src, finding(src, 'NNM205'), finding(src, 'NNM205').fixes[0]!)!;
  const after = applyEdits(src.text, p.edits);
  assert.ok(after.includes('  z = relu(y, inplace: true)  # the activation\n'));
  assert.equal(after.length, src.text.length + ', inplace: true'.length);
  const delta = planned(src.text) - planned(after);
  assert.equal(delta, 4816896); // the saving the finding announced (4.59 MiB)
  assert.equal(p.title, `Make relu in-place (peak -${formatBytes(delta)})`);
  assert.equal(p.title, 'Make relu in-place (peak -4.59 MiB)');
  assert.ok(!(analyzeDocument(after, 'nnm').findings ?? []).some((f) => f.code === 'NNM205' || f.code === 'NNM202'));
});

test('source.fixAll: every legal in-place at once; two neighbours that save nothing alone save together', () => {
  const text = fixture('missedInPlace.trigger').replace('z = relu(y)', 'z = relu(sigmoid(y))');
  const src = source(text);
  const all = previewFixAll(src);
  assert.ok(all);
  const after = applyEdits(text, all.edits);
  assert.ok(!(analyzeDocument(after, 'nnm').findings ?? []).some((f) => f.code === 'NNM205' || f.code === 'NNM202'), after);
  // alone, either op leaves the other step at 12.8 MB; together the relu step drops to y's buffer:
  // one finding on the model for the pair, none per call
  assert.deepEqual(
    (src.analysis.findings ?? []).filter((f) => f.code === 'NNM205').map((f) => [f.range.start.line, f.message]),
    [[7, '2 op calls could run in place (inplace: true); together the peak (lower bound) drops by 4.59 MiB, none alone']],
  );
  assert.ok(after.includes('z = relu(sigmoid(y, inplace: true), inplace: true)  # the activation'));
  assert.equal(planned(text) - planned(after), 4816896);
  assert.equal(all.title, 'Make 2 ops in-place (peak -4.59 MiB)');
});

test('set batch: edits the value in config, title shows the re-analysed peak', () => {
  const src = source(fixture('budget.trigger'));
  const f = finding(src, 'NNM201');
  const p = previewFix(src, f, f.fixes[0]!)!;
  const after = applyEdits(src.text, p.edits);
  assert.equal(after, src.text.replace('  batch: 64\n', '  batch: 27\n'));
  assert.equal(p.title, `Set batch to 27, the largest that fits gpu (peak ${formatBytes(planned(src.text))} -> ${formatBytes(planned(after))}, fits 4 GiB)`);
  assert.ok(planned(after) <= 4 * 1024 ** 3);
  assert.ok(!analyzeDocument(after, 'nnm').diagnostics.some((d) => d.code === 'NNM201'));
});

test('set batch: inserted into the model config when neither config sets it', () => {
  const text = fixture('simdUnderfill.trigger').replace('  batch: 8\n', '').replace('model mlp {\n', 'model mlp {\n  config { batch: 8 }\n');
  const withEntry = source(text);
  const f = finding(withEntry, 'NNM206');
  const edited = applyEdits(text, previewFix(withEntry, f, f.fixes[0]!)!.edits);
  assert.equal(edited, text.replace('config { batch: 8 }', 'config { batch: 32 }'));
  const noBatch = text.replace('config { batch: 8 }', 'config { mode: infer }').replace('  mode: infer\n  device', '  batch: 8\n  mode: infer\n  device');
  void noBatch;
  const multi = fixture('simdUnderfill.trigger').replace('  batch: 8\n', '').replace('model mlp {\n', 'model mlp {\n  config {\n    mode: infer\n  }\n').replace('  mode: infer\n  device', '  device');
  const src = source(multi.replace('    mode: infer\n', '    mode: infer\n').replace('config {\n    mode', 'config {\n    mode'));
  const g = (src.analysis.findings ?? []).find((x) => x.code === 'NNM206');
  assert.equal(g, undefined); // batch defaults to 32 here: nothing to fix
});

test('switch precision: replaces fp32, title shows both peaks and max batches from re-analysis', () => {
  const src = source(fixture('precision.trigger'));
  const f = finding(src, 'NNM207');
  const p = previewFix(src, f, f.fixes[0]!)!;
  const after = applyEdits(src.text, p.edits);
  assert.equal(after, src.text.replace('precision: fp32', 'precision: mixed'));
  const a = analyzeDocument(after, 'nnm').models[0]!.memory!;
  assert.equal(p.title, `Switch precision to mixed (peak 1.55 GiB -> ${formatBytes(a.bytes.planned)}, max batch 10591 -> ${a.maxBatch.planned.batch})`);
  assert.ok(!(analyzeDocument(after, 'nnm').findings ?? []).some((x) => x.code === 'NNM207'));
});

test('checkpoint: adds checkpoint: true to the repeat call; the re-analysed peak fits as the finding said', () => {
  const src = source(fixture('checkpointCandidate.trigger'));
  const f = finding(src, 'NNM208');
  const p = previewFix(src, f, f.fixes[0]!)!;
  const after = applyEdits(src.text, p.edits);
  assert.equal(after, src.text.replace('x = repeat 8 unit(x)', 'x = repeat 8 unit(x, checkpoint: true)'));
  const now = planned(after);
  assert.ok(f.message.includes(`brings it to ${formatBytes(now)}`));
  assert.equal(p.title, `Checkpoint repeat unit (peak 305 MiB -> ${formatBytes(now)}, fits 256 MiB)`);
  assert.ok(!analyzeDocument(after, 'nnm').diagnostics.some((d) => d.code === 'NNM201'));
});

test('remove dead tensor: deletes the statement line with its comment, nothing else', () => {
  const src = source(fixture('deadTensor.trigger'));
  const f = finding(src, 'NNM209');
  const p = previewFix(src, f, f.fixes[0]!)!;
  const after = applyEdits(src.text, p.edits);
  assert.equal(after, src.text.replace('  side = conv2d(x, 8, kernel: 1)  # debugging branch\n', ''));
  assert.equal(p.title, `Remove dead tensor 'side' (peak -${formatBytes(planned(src.text) - planned(after))})`);
  assert.ok(!(analyzeDocument(after, 'nnm').findings ?? []).some((x) => x.code === 'NNM209'));
});

test('ignore comment: own line above with the indent, or appended to an existing marker', () => {
  const src = source(fixture('deadTensor.trigger'));
  const f = finding(src, 'NNM209');
  const first = applyEdits(src.text, previewIgnore(src, f).edits);
  assert.ok(first.includes('  # memlens-ignore NNM209\n  side = '));
  assert.ok(!(analyzeDocument(first, 'nnm').findings ?? []).some((x) => x.code === 'NNM209'));
  const pre = src.text.replace('  side = ', '  # memlens-ignore NNM205\n  side = ');
  const src2 = source(pre);
  const second = applyEdits(pre, previewIgnore(src2, finding(src2, 'NNM209')).edits);
  assert.ok(second.includes('  # memlens-ignore NNM205, NNM209\n  side = '));
});

test('checkpoint: ResNet-50 at batch 256 needs every repeat checkpointed; one fix edits all four', () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'resnet50.nnm'), 'utf8').replace('batch: 32', 'batch: 256');
  const src = source(text);
  const f = finding(src, 'NNM208');
  assert.match(f.message, /^train peak 20\.6 GiB \(exceeds 16 GiB by 4\.6 GiB\); checkpoint: true on 4 repeats brings it to 13\.2 GiB \(fits 16 GiB\)/);
  const p = previewFix(src, f, f.fixes[0]!)!;
  const after = applyEdits(text, p.edits);
  assert.equal(after, text.replace(/(x = repeat \d bottleneck\([^)]*)\)/g, '$1, checkpoint: true)'));
  assert.equal(p.title, `Checkpoint 4 repeats (peak 20.6 GiB -> ${formatBytes(planned(after))}, fits 16 GiB)`);
  assert.equal(formatBytes(planned(after)), '13.2 GiB');
});

test('an in-place the planner would pay for is not offered: ResNet-50 inference, every legal call at once', () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'resnet50.nnm'), 'utf8').replace('mode: train', 'mode: infer');
  const src = source(text);
  // the lower bound does not drop (no NNM205) and the planned arena would grow: no fixAll
  assert.deepEqual((src.analysis.findings ?? []).filter((f) => f.code === 'NNM205'), []);
  assert.equal(previewFixAll(src), undefined);
});

test('a title that shows no max batch does not pay the max-batch search: set batch on the transformer example', () => {
  const src = source(readFileSync(join(__dirname, '..', '..', '..', 'examples', 'transformer_encoder.nnm'), 'utf8'));
  const f = finding(src, 'NNM206');
  const memory = src.analysis.models[f.model]!.memory!;
  const runs = memory.planRuns;
  const p = previewFix(src, f, f.fixes[0]!)!;
  assert.equal(memory.planRuns, runs); // the planner ran only at the configured batch (and the SIMD fill)
  // read, the figure is the one the analyses hold
  assert.equal(p.before!.maxBatch, memory.maxBatch.planned.batch);
  assert.ok(memory.planRuns > runs);
  const after = analyzeDocument(applyEdits(src.text, p.edits), 'nnm').models[f.model]!.memory!;
  assert.equal(p.after!.maxBatch, after.maxBatch.planned.batch);
  assert.equal(p.after!.planned, after.bytes.planned);
});

test('the fixes of one request locate their syntax in one parse of the text', () => {
  const text = fixture('precision.trigger');
  assert.equal(parseFile(text), parseFile(text));
  const other = text.replace('precision: fp32', 'precision: bf16');
  assert.notEqual(parseFile(other), parseFile(text));
  assert.deepEqual(parseFile(text), parseNnm(text).file);
});
