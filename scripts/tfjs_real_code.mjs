// memlens on real TensorFlow.js code, as a new user tries it (issue #19, docs/tfjs.md 'Measured on
// real code'). For each case of bench/tfjs-real-code.json: the unmodified example file with the
// case's call appended is written next to the original (so that its local imports resolve), memlens
// analyses it (`bin/memlens.js report --json`, after `npm run build`), and the oracle
// (scripts/tfjs_real_code_oracle.mjs: TensorFlow.js 4.22 executing the same probe, from the root
// of its repository's files, as its README runs it) builds it.
//   node scripts/tfjs_real_code.mjs <corpus folder> [--verbose]
// The corpus folder holds, outside the repo, one folder per source of the JSON (its `folder`) with
// that repository's files at the commit named there (`git show <commit>:<path>` of a clone). Each model the oracle builds (a model used as a layer of another counts with that one)
// is classed: exact (parameters and output shapes equal), wrong, not analysed with a diagnostic, or
// silent. Cases marked `static: false` are counted apart, by whether memlens says why.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.argv[2];
const verbose = process.argv.includes('--verbose');
if (!corpus) {
  process.stderr.write('usage: node scripts/tfjs_real_code.mjs <corpus folder> [--verbose]\n');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(join(ROOT, 'bench', 'tfjs-real-code.json'), 'utf8'));

/** stdout of a node child as JSON; memlens exits non-zero when it reports errors, still printing */
function runJson(args, lastLine, cwd = ROOT) {
  let out;
  let err = '';
  try {
    out = execFileSync(process.execPath, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (e) {
    out = e.stdout ?? '';
    err = String(e.stderr ?? e.message).slice(-400);
  }
  try {
    return JSON.parse(lastLine ? out.trim().split('\n').pop() : out);
  } catch {
    return { models: [], diagnostics: [], errors: [`no JSON from ${args[0]}: ${err}`] };
  }
}

/** the diagnostics that tell the user a model was not analysed, and why */
const sayWhy = (d) => /^NNM3/.test(d.code) && /is not analysed/.test(d.message);

const sameShape = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * memlens names a model at its declaration (`const combined =` on the line above a wrapped
 * `tf.model(`), the oracle at the call: the same line, else the nearest of the 3 lines before
 */
function matching(report, line) {
  const near = report.models.filter((m) => m.line <= line && m.line >= line - 3).sort((a, b) => b.line - a.line);
  return near[0];
}

function classify(oracleModel, report) {
  const found = matching(report, oracleModel.line);
  if (!found) {
    const why = report.diagnostics.find(sayWhy);
    return why ? { verdict: 'diagnostic', detail: `${why.code} line ${why.line}: ${why.message}` } : { verdict: 'silent', detail: report.diagnostics.map((d) => d.message).join(' | ') };
  }
  const shapes = found.tensors.map((t) => t.shape.slice(1));
  const paramsOk = found.params.trainable === oracleModel.trainable && found.params.nonTrainable === oracleModel.nonTrainable;
  const shapesOk = oracleModel.outputShapes.every((s) => shapes.some((m) => sameShape(m, s)));
  const detail = `memlens ${found.params.trainable}+${found.params.nonTrainable}, tf.js ${oracleModel.trainable}+${oracleModel.nonTrainable}; outputs ${JSON.stringify(oracleModel.outputShapes)}${shapesOk ? '' : ' not among memlens shapes'}`;
  return { verdict: paramsOk && shapesOk ? 'exact' : 'wrong', detail, name: found.name };
}

const tally = { exact: 0, wrong: 0, diagnostic: 0, silent: 0 };
const notStatic = { diagnostic: 0, analysed: 0, silent: 0 };
const rows = [];
const cases = spec.sources.flatMap((source) => source.cases.map((c) => ({ ...c, file: join(source.folder, c.file), root: join(corpus, source.folder) })));
for (const c of cases) {
  const original = join(corpus, c.file);
  const ext = extname(original);
  const probe = original.slice(0, -ext.length) + '.memlens-probe' + ext;
  writeFileSync(probe, readFileSync(original, 'utf8') + '\n' + c.call + '\n');
  try {
    const report = runJson(['bin/memlens.js', 'report', '--json', probe]);
    if (c.static === false) {
      const verdict = report.models.length > 0 ? 'analysed' : report.diagnostics.some(sayWhy) ? 'diagnostic' : 'silent';
      notStatic[verdict] += 1;
      rows.push({ file: c.file, call: c.call, verdict: `not static (${c.reason}): ${verdict}`, detail: report.diagnostics.filter(sayWhy).map((d) => d.message)[0] ?? '' });
      continue;
    }
    const oracle = runJson([join(ROOT, 'scripts', 'tfjs_real_code_oracle.mjs'), probe], true, c.root);
    const units = oracle.models.filter((m) => !m.usedAsLayer && m.line !== null);
    // a top-level-only file builds its models once on import; a probe's call builds its own
    const seen = new Set();
    for (const m of units) {
      if (seen.has(m.line)) continue;
      seen.add(m.line);
      const r = classify(m, report);
      tally[r.verdict] += 1;
      rows.push({ file: c.file, call: c.call, line: m.line, verdict: r.verdict, detail: r.detail });
    }
    if (units.length === 0) rows.push({ file: c.file, call: c.call, verdict: 'oracle built nothing', detail: oracle.errors.join(' | ') });
  } finally {
    rmSync(probe, { force: true });
  }
}

for (const r of rows) {
  const head = `${r.verdict.padEnd(10)} ${r.file}${r.line ? ':' + r.line : ''} ${r.call}`;
  process.stdout.write(head + (verbose || r.verdict !== 'exact' ? `\n           ${r.detail}` : '') + '\n');
}
const determinable = tally.exact + tally.wrong + tally.diagnostic + tally.silent;
const pct = (n) => ((100 * n) / determinable).toFixed(1);
for (const source of spec.sources) process.stdout.write(`\n${source.repo}@${source.commit.slice(0, 12)}: ${source.cases.length} probes`);
process.stdout.write(`\n${cases.length} probes in all\n`);
process.stdout.write(`statically determinable models: ${determinable}; analysed exact ${tally.exact} (${pct(tally.exact)}%), wrong ${tally.wrong}, not analysed with a diagnostic ${tally.diagnostic}, silent ${tally.silent}\n`);
process.stdout.write(`not statically determinable (probes): ${notStatic.diagnostic + notStatic.analysed + notStatic.silent}; with a diagnostic ${notStatic.diagnostic}, analysed anyway ${notStatic.analysed}, silent ${notStatic.silent}\n`);
