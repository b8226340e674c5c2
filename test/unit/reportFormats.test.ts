// The CI outputs: SARIF 2.1.0 (validated against the OASIS schema), the Markdown summary, and
// `memlens check` over folders with its exit codes and --fail-over budget.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { Log } from 'sarif';
import { main } from '../../server/src/cli/memlens';
import { DIAGNOSTIC_CATALOG } from '../../server/src/core/diagnosticCatalog';

const ROOT = join(__dirname, '..', '..');
const example = (name: string) => relative(process.cwd(), join(ROOT, 'examples', name));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

// the SARIF 2.1.0 schema as published with Microsoft's SARIF SDK (a JSON Schema draft-04 document)
const SCHEMA = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// its language-tag pattern is not a valid Unicode-mode regular expression, hence unicodeRegExp: false
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(SCHEMA);

function assertValidSarif(log: unknown): asserts log is Log {
  const ok = validateSarif(log);
  assert.ok(ok, JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2));
}

/** every NNMxxx code written in the server's sources */
function codesInSources(dir: string, out = new Set<string>()): Set<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) codesInSources(path, out);
    else if (path.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/'(NNM\d{3})'/g)) out.add(m[1]!);
  }
  return out;
}

describe('the diagnostic catalog', () => {
  it('names every code the server can report, once, with a documented page', () => {
    const codes = DIAGNOSTIC_CATALOG.map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length, 'a code listed twice');
    for (const code of codesInSources(join(ROOT, 'server', 'src'))) assert.ok(codes.includes(code), `${code} is reported but not in the catalog`);
    for (const e of DIAGNOSTIC_CATALOG) {
      const [page, anchor] = e.doc.split('#') as [string, string];
      const text = readFileSync(join(ROOT, 'docs', page), 'utf8');
      // GitHub's anchor of a heading: lower case, spaces to dashes, punctuation dropped
      const anchors = [...text.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
      assert.ok(anchors.includes(anchor), `${e.code}: ${e.doc} has no such heading`);
    }
  });
});

describe('memlens report --format sarif', () => {
  it('validates against SARIF 2.1.0, with rules, regions and the quick fixes as fixes', async () => {
    const file = example('mobilenet_v2.nnm');
    const { code, out } = await run(['report', file, '--format', 'sarif']);
    assert.equal(code, 0);
    const log = JSON.parse(out) as unknown;
    assertValidSarif(log);
    const run0 = log.runs[0]!;
    assert.equal(run0.tool.driver.name, 'memlens');
    assert.equal(run0.tool.driver.rules!.length, DIAGNOSTIC_CATALOG.length);
    assert.equal(run0.columnKind, 'utf16CodeUnits');
    // the text report's diagnostics, one result each, at the same 1-based positions
    const text = await run(['report', file]);
    const lines = text.out.split('\n').map((l) => l.trim()).filter((l) => /: (error|warning|info|hint) NNM\d+:/.test(l));
    assert.equal(run0.results!.length, lines.length);
    const batchBloat = run0.results!.find((r) => r.ruleId === 'NNM203')!;
    assert.ok(batchBloat, 'mobilenet_v2.nnm has an NNM203 at batch 96');
    assert.equal(batchBloat.level, 'warning');
    assert.equal(run0.tool.driver.rules![batchBloat.ruleIndex!]!.id, 'NNM203');
    assert.match(run0.tool.driver.rules![batchBloat.ruleIndex!]!.helpUri!, /\/docs\/rules\.md#nnm203-batchbloat$/);
    const region = batchBloat.locations![0]!.physicalLocation!.region!;
    assert.ok(lines.some((l) => l.startsWith(`${file}:${region.startLine}:${region.startColumn}: warning NNM203`)), `${region.startLine}:${region.startColumn}`);
    // its fix sets the batch the rule suggests: the editor's quick fix, as a replacement of the batch literal
    assert.ok(batchBloat.fixes && batchBloat.fixes.length > 0, 'the batch fix');
    const replacement = batchBloat.fixes[0]!.artifactChanges[0]!.replacements[0]!;
    assert.match(batchBloat.fixes[0]!.description!.text!, /batch/i);
    assert.match(replacement.insertedContent!.text!, /^\d+$/);
  });

  it('a file with errors: error results, exit 1, still valid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-sarif-'));
    const file = join(dir, 'broken.nnm');
    writeFileSync(file, 'model m {\n  x = input(3, 8, 8)\n  y = conv2d(x, 4 kernel: 3)\n  return y\n}\n');
    const { code, out } = await run(['report', file, '--format', 'sarif']);
    assert.equal(code, 1);
    const log = JSON.parse(out) as unknown;
    assertValidSarif(log);
    const r = log.runs[0]!.results!.find((x) => x.ruleId === 'NNM101')!;
    assert.equal(r.level, 'error');
    assert.deepEqual({ line: r.locations![0]!.physicalLocation!.region!.startLine }, { line: 3 });
  });

  it('--json and --format disagree, or an unknown format: usage errors', async () => {
    assert.equal((await run(['report', example('mlp.nnm'), '--json', '--format', 'sarif'])).code, 2);
    const bad = await run(['report', example('mlp.nnm'), '--format', 'pdf']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--format pdf: expected text, json, sarif, markdown/);
  });
});

describe('memlens check', () => {
  function workspace(): string {
    const dir = mkdtempSync(join(tmpdir(), 'memlens-check-'));
    mkdirSync(join(dir, 'models'));
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'models', 'mlp.nnm'), readFileSync(join(ROOT, 'examples', 'mlp.nnm')));
    writeFileSync(join(dir, 'models', 'net.py'), 'import torch\nimport torch.nn as nn\n\nmodel = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))\nout = model(torch.randn(32, 784))\n');
    // not model files: a script without torch, and anything under node_modules
    writeFileSync(join(dir, 'models', 'util.py'), 'print("hello")\n');
    writeFileSync(join(dir, 'node_modules', 'dep', 'bad.nnm'), 'model {\n');
    return dir;
  }

  it('walks a folder: one line per model, the model files only, exit 0', async () => {
    const dir = workspace();
    const { code, out } = await run(['check', dir]);
    assert.equal(code, 0, out);
    assert.match(out, /models\/mlp\.nnm:\d+: model mlp: planned [\d.]+ \w+ \/ 64 GiB cpu: fits/);
    // 784*256 + 256 + 256*10 + 10 parameters; the PyTorch profile needs a CPU device for its figure, which this default GPU is not
    assert.match(out, /models\/net\.py:4: model model: planned [\d.]+ \w+ \/ 16 GiB v100-16gb: fits/);
    assert.doesNotMatch(out, /util\.py|node_modules/);
    assert.match(out, /memlens: 2 model files checked\n$/);
  });

  it('--fail-over: exit 1 when a peak exceeds the budget; the PyTorch figure is the one held to it on a CPU', async () => {
    const dir = workspace();
    const under = await run(['check', join(dir, 'models', 'net.py'), '--device', 'cpu', '--fail-over', '1GiB']);
    assert.equal(under.code, 0, under.out);
    assert.match(under.out, /PyTorch expects [\d.]+ \w+ \/ 64 GiB cpu: fits/);
    const over = await run(['check', join(dir, 'models', 'net.py'), '--device', 'cpu', '--fail-over', '1KiB']);
    assert.equal(over.code, 1);
    assert.match(over.out, /: over --fail-over 1 KiB/);
    assert.equal((await run(['check', dir, '--fail-over', 'lots'])).code, 2);
  });

  it('exit 1 on errors; a glob pattern; markdown and SARIF over several files', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'models', 'broken.nnm'), 'model m {\n  x = input(3, 8, 8)\n  y = conv2d(x, 4 kernel: 3)\n  return y\n}\n');
    const text = await run(['check', dir]);
    assert.equal(text.code, 1);
    assert.match(text.out, /broken\.nnm:3:\d+: error NNM101/);
    const glob = await run(['check', `${dir.split('\\').join('/')}/models/*.py`]);
    assert.match(glob.out, /memlens: 1 model file checked/);
    assert.equal((await run(['check', join(dir, 'nothing-*.py')])).code, 2);
    const md = await run(['check', dir, '--format', 'markdown']);
    assert.match(md.out, /^## memlens memory report\n\n3 files, 3 models: 1 error, 0 warnings, 0 over the device budget\./);
    assert.match(md.out, /\| `[^`]*models\/net\.py`:4 \*\*model\*\* \| train, batch 32, fp32 \| 203,530 \|/);
    assert.match(md.out, /- ❌ `[^`]*broken\.nnm:3:\d+` \*\*NNM101\*\*/);
    const sarif = await run(['check', dir, '--format', 'sarif']);
    const log = JSON.parse(sarif.out) as unknown;
    assertValidSarif(log);
    assert.equal(log.runs[0]!.artifacts!.length, 3);
  });
});
