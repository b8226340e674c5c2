// A model over the text table's row limit: its largest tensors only unless --detail; and the
// --json text, compact and streamed in pieces, against JSON.stringify of the same report object.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, report } from '../../../server/src/cli/memlens';
import { analyzeDocument } from '../../../server/src/core/analyze';
import { toJsonReport, type JsonReport } from '../../../server/src/report/json';
import { inChunks, jsonParts } from '../../../server/src/report/jsonStream';
import { largestOps } from '../../../server/src/report/largest';
import { FULL_TABLE_OPS, formatReport, SUMMARY_ROWS } from '../../../server/src/report/text';

/** input(4), `before` relus, one dense of 100 units (the one large tensor), `after` relus: 2 + before + after ops */
function chain(before: number, after: number): string {
  const relu = (n: number) => Array.from({ length: n }, () => '  x = relu(x)');
  return ['config {', '  batch: 2', '}', 'model chain {', '  x = input(4)', ...relu(before), '  w = dense(x, 100)', ...relu(after), '  return x', '}', ''].join('\n');
}

const LARGE = chain(500, 499); // 1,001 ops; the dense is on line 506
const AT_LIMIT = chain(500, 498); // 1,000 ops

function fileWith(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'memlens-large-')), 'chain.nnm');
  writeFileSync(file, text);
  return file;
}

async function reportText(file: string, flags: Parameters<typeof report>[1]): Promise<{ text: string; pieces: number; code: number }> {
  let text = '';
  let pieces = 0;
  const code = await report(file, flags, (s) => {
    text += s;
    pieces++;
  });
  return { text, pieces, code };
}

/** the table rows of a text report: lines that start with a line number */
const tableRows = (text: string): string[] => text.split('\n').filter((l) => /^ *\d+ {2}\S/.test(l));

describe('largestOps', () => {
  it('the n largest in index order, ties to the earlier index, and the largest value left out', () => {
    const values = [5, 9, 1, 9, 7, 3, 7];
    assert.deepEqual(largestOps(values.length, (i) => values[i]!, 3), { ops: [1, 3, 4], restMax: 7 });
    assert.deepEqual(largestOps(values.length, (i) => values[i]!, 1), { ops: [1], restMax: 9 });
    assert.deepEqual(largestOps(3, (i) => values[i]!, 5), { ops: [0, 1, 2], restMax: 0 });
  });
});

describe('text report of a model over the row limit', () => {
  it(`lists the ${SUMMARY_ROWS} largest of 1,001 tensors in op order and says how many more there are`, async () => {
    const { text, code } = await reportText(fileWith(LARGE), {});
    assert.equal(code, 0);
    const rows = tableRows(text);
    assert.equal(rows.length, SUMMARY_ROWS);
    // the dense's 400 B/sample output, then the 19 earliest of the 16 B/sample tensors (input, relus)
    assert.deepEqual(rows.map((r) => Number(r.trim().split(/\s+/)[0])), [...Array.from({ length: 19 }, (_, i) => 5 + i), 506]);
    assert.equal(rows[19], ' 506  w       dense  [N, 100]     500       400 B      800 B');
    assert.ok(
      text.includes('\nthe 20 largest of 1,001 tensors at batch 2, in op order; 981 more tensors of at most 32 B each; use --detail to list every one\n'),
      text,
    );
    // the totals are the whole model's
    assert.ok(text.includes('  activations       16 KiB x N = 32 KiB at batch 2\n'), text);
  });

  it('--detail lists every tensor; a model of 1,000 ops gets every row without asking', async () => {
    const detail = await reportText(fileWith(LARGE), { detail: true });
    assert.equal(tableRows(detail.text).length, 1001);
    assert.doesNotMatch(detail.text, /more tensors/);
    const atLimit = await reportText(fileWith(AT_LIMIT), {});
    assert.equal(FULL_TABLE_OPS, 1000);
    assert.equal(tableRows(atLimit.text).length, 1000);
    assert.doesNotMatch(atLimit.text, /more tensors/);
  });

  it('formatReport (the editor\'s Show Memory Report) summarises the same way', () => {
    const analysis = analyzeDocument(LARGE, 'nnm');
    assert.equal(tableRows(formatReport('chain.nnm', analysis)).length, SUMMARY_ROWS);
    assert.equal(tableRows(formatReport('chain.nnm', analysis, { detail: true })).length, 1001);
  });
});

describe('--json and --json-detail', () => {
  it('--json: one compact line, the model figures without rows, the row counts', async () => {
    const file = fileWith(LARGE);
    const { text } = await reportText(file, { json: true });
    assert.equal(text.indexOf('\n'), text.length - 1, 'one line');
    const json = JSON.parse(text) as JsonReport;
    const m = json.models[0]!;
    assert.equal(m.tensors, undefined);
    assert.equal(m.steps, undefined);
    assert.deepEqual([m.tensorCount, m.stepCount], [1001, 1001]);
    // input(4) and 999 relus of 16 B per sample, a dense of 400: 16,400 B per sample, 32,800 at batch 2
    assert.deepEqual([m.bytes.activationsPerSample, m.bytes.activations, m.params.trainable], [16_400, 32_800, 500]);
    assert.equal(text, JSON.stringify(toJsonReport(file, analyzeDocument(LARGE, 'nnm'))) + '\n');
  });

  it('--json-detail: the streamed text is JSON.stringify of the report object with its rows, in several pieces', async () => {
    const file = fileWith(LARGE);
    const { text, pieces } = await reportText(file, { jsonDetail: true });
    const object = toJsonReport(file, analyzeDocument(LARGE, 'nnm'), { detail: true });
    assert.equal(text, JSON.stringify(object) + '\n');
    assert.deepEqual(JSON.parse(text), object);
    const m = object.models[0]!;
    assert.equal(m.tensors!.length, m.tensorCount);
    assert.equal(m.steps!.length, m.stepCount);
    assert.deepEqual(m.tensors![501], { name: 'w', line: 506, op: 'dense', shape: ['N', 100], dtype: 'fp32', params: 500, bytes: 800, liveFrom: 501, liveTo: 501, savedForBackward: false, inPlace: false, offset: m.tensors![501]!.offset });
    assert.ok(text.length > 2 * 65_536 && pieces >= 2, `${text.length} characters in ${pieces} pieces`);
  });

  it('pieces of any size join to the same text; check prints an array of the reports', async () => {
    const analysis = analyzeDocument(LARGE, 'nnm');
    const files = [{ path: 'a.nnm', analysis }, { path: 'b.nnm', analysis }];
    const whole = JSON.stringify([toJsonReport('a.nnm', analysis, { detail: true }), toJsonReport('b.nnm', analysis, { detail: true })]) + '\n';
    const small = [...inChunks(jsonParts(files, false, { detail: true }), 100)];
    assert.ok(small.length > 100);
    assert.equal(small.join(''), whole);
    let out = '';
    const code = await check([fileWith(LARGE)], { json: true }, (s) => (out += s));
    assert.equal(code, 0);
    const reports = JSON.parse(out) as JsonReport[];
    assert.deepEqual(reports.map((r) => r.models.map((m) => [m.name, m.tensorCount, m.tensors])), [[['chain', 1001, undefined]]]);
  });

  it('a piece whose write is pending is waited for before the next is written', async () => {
    const file = fileWith(LARGE);
    let pending = false;
    let overlapped = false;
    let pieces = 0;
    await report(file, { jsonDetail: true }, () => {
      if (pending) overlapped = true;
      pieces++;
      pending = true;
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          pending = false;
          resolve();
        }),
      );
    });
    assert.ok(pieces >= 2);
    assert.equal(overlapped, false);
  });
});
