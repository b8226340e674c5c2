// The Python frontend on hostile input, through the whole pipeline (analyzeDocument: frontend,
// analyses and rules) and through analyzePython with a document key reused across versions
// (incremental re-parse): it never throws, never hangs, never reports an internal error (NNM409),
// every diagnostic is well formed and placed inside the document, and no graph carries a negative,
// NaN or inexact count. fast-check under fixed seeds, so a failure reproduces.
//
// Analysis is synchronous: a hang cannot be interrupted in-process, so every run is timed and must
// finish within BOUND_MS (generous: the machine is shared); the file's step limit is what keeps an
// infinite loop bounded. Inputs that would take the process down (unbounded lists) run in child
// processes under a time limit. Defects found by review keep a regression test each at the end, with the minimal input.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { analyzeDocument, analyzeGraphs } from '../../../server/src/core/analyze';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import type { DocumentAnalysis } from '../../../server/src/core/document';
import type { CoreDiagnostic } from '../../../server/src/core/ir';
import { analyzePython, type PythonAnalysis, type PythonOptions } from '../../../server/src/core/python/frontend';
import { forgetDocument } from '../../../server/src/core/tfjs/parse';
import { FIXTURES, ready } from './helpers';

const ROOT = join(__dirname, '..', '..', '..');
const SEED = 20_260_417;
/** a failure found, shrinking stops at the time limit (a slow counterexample would make it take hours) */
const FC = { seed: SEED, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true } as const;
/** one analysis of one file, parse to rules, in CPU time; the corpus takes 5-250 ms a file here */
const BOUND_MS = 2000;
/** a file that ran into the step limit (NNM404) spent 2,000,000 steps: 0.4-1.7 s here */
const STEP_LIMIT_BOUND_MS = 5000;


// ---- the invariants ----

interface Timed<T> {
  readonly result: T;
  readonly ms: number;
}

/** CPU milliseconds since `from` (process.cpuUsage): the bounds guard against hangs, which a loaded machine's wall clock would blur */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function timed<T extends { readonly diagnostics: readonly CoreDiagnostic[] }>(text: string, what: string, run: () => T): Timed<T> {
  const t0 = process.cpuUsage();
  let result: T;
  try {
    result = run();
  } catch (err) {
    assert.fail(`${what} threw on ${show(text)}:\n${(err as Error).stack ?? String(err)}`);
  }
  const ms = cpuMsSince(t0);
  const bound = result.diagnostics.some((d) => d.code === 'NNM404') ? STEP_LIMIT_BOUND_MS : BOUND_MS;
  assert.ok(ms < bound, `${what} took ${ms.toFixed(0)} ms (bound ${bound} ms) on ${show(text)}`);
  return { result, ms };
}

function show(text: string): string {
  return JSON.stringify(text.length > 1500 ? `${text.slice(0, 1500)}...` : text);
}

/** every number anywhere under value that is not finite, with its path */
function nonFinite(value: unknown, path: string, seen = new Set<object>(), out: string[] = []): string[] {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(`${path} = ${value}`);
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const [key, child] of Object.entries(value)) nonFinite(child, `${path}.${key}`, seen, out);
  }
  return out;
}

/** a count: an exact integer, never negative (unless that is the known defect) */
function checkCount(n: number, what: string, text: string, exact: boolean): void {
  assert.ok(Number.isInteger(n), `${what} = ${n}, not an integer, on ${show(text)}`);
  if (exact) assert.ok(Number.isSafeInteger(n), `${what} = ${n}, not exact, on ${show(text)}`);
  assert.ok(n >= 0, `${what} = ${n} on ${show(text)}`);
}

function checkDiagnostics(text: string, diagnostics: readonly CoreDiagnostic[]): void {
  // tree-sitter's rows break at \n only; the inputs here hold no other line break
  const lines = text.split('\n');
  for (const d of diagnostics) {
    const where = `${d.code} '${d.message}' at ${JSON.stringify(d.range)} on ${show(text)}`;
    assert.notEqual(d.code, 'NNM409', `internal error: ${where}`);
    assert.match(d.code, /^NNM\d{3}$/, where);
    assert.ok(d.message.trim().length > 0, `empty message: ${where}`);
    assert.ok(['error', 'warning', 'info', 'hint'].includes(d.severity), where);
    for (const p of [d.range.start, d.range.end]) {
      assert.ok(Number.isInteger(p.line) && p.line >= 0 && p.line < lines.length, `line out of the document: ${where}`);
      assert.ok(Number.isInteger(p.character) && p.character >= 0 && p.character <= lines[p.line]!.length, `character out of its line: ${where}`);
    }
    const { start, end } = d.range;
    assert.ok(end.line > start.line || (end.line === start.line && end.character >= start.character), `range ends before it starts: ${where}`);
    for (const word of ['NaN', 'Infinity', 'undefined', '[object Object]']) {
      if (!text.includes(word)) assert.ok(!d.message.includes(word), `'${word}' shown to the user: ${where}`);
    }
  }
}

/** what analyzePython returns: diagnostics, graphs and the counted modules */
function checkFrontend(text: string, r: PythonAnalysis): void {
  checkDiagnostics(text, r.diagnostics);
  for (const g of r.graphs) {
    for (const t of g.tensors) {
      assert.ok(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `${g.name}: ${t.name} has shape [${t.shape.join(', ')}] on ${show(text)}`);
      assert.ok(Number.isSafeInteger(t.elementsPerSample) && t.elementsPerSample >= 0, `${g.name}: ${t.name} has ${t.elementsPerSample} elements on ${show(text)}`);
    }
    for (const op of g.ops) {
      checkCount(op.params.trainable, `${g.name}: trainable parameters of op ${op.id} (${op.op})`, text, true);
      checkCount(op.params.nonTrainable, `${g.name}: non-trainable parameters of op ${op.id} (${op.op})`, text, true);
    }
    assert.ok(Number.isSafeInteger(g.config.batch) && g.config.batch >= 1, `${g.name}: batch ${g.config.batch}`);
    assert.deepEqual(nonFinite(g, g.name), [], show(text));
  }
  for (const m of r.modules) {
    // a module tree too large to count exactly is reported as such, not analysed
    for (const [k, n] of Object.entries(m.counts)) checkCount(n, `model '${m.name}': ${k}`, text, false);
  }
}

/** the whole pipeline: the frontend's result plus footprints, liveness and rule findings */
function checkDocument(text: string, r: DocumentAnalysis): void {
  checkFrontend(text, r as unknown as PythonAnalysis);
  for (const { graph, footprint, memory } of r.models) {
    checkCount(footprint.params.trainable, `${graph.name}: footprint trainable`, text, true);
    checkCount(footprint.params.nonTrainable, `${graph.name}: footprint non-trainable`, text, true);
    assert.deepEqual(nonFinite({ footprint, memory }, graph.name), [], show(text));
  }
  assert.deepEqual(nonFinite(r.findings ?? [], 'findings'), [], show(text));
}

function analyzeFull(text: string, documentKey?: string): DocumentAnalysis {
  const { result } = timed(text, 'analyzeDocument', () => analyzeDocument(text, 'python', documentKey ? { documentKey } : {}));
  checkDocument(text, result);
  return result;
}

function analyzeFrontend(text: string, options: Partial<PythonOptions> = {}): PythonAnalysis {
  const { result } = timed(text, 'analyzePython', () => analyzePython(text, { defaults: BUILTIN_DEFAULTS, ...options }));
  checkFrontend(text, result);
  return result;
}

/** what must not depend on how the text was parsed: every diagnostic, graph and count */
function summary(r: PythonAnalysis): unknown {
  return {
    diagnostics: r.diagnostics.map((d) => `${d.code} ${d.severity} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.message}`),
    graphs: r.graphs.map((g) => ({
      name: g.name,
      batch: g.config.batch,
      mode: g.config.mode,
      ops: g.ops.map((o) => `${o.op}(${o.inputs.join(',')})->${o.output} ${o.params.trainable}/${o.params.nonTrainable}`),
      shapes: g.tensors.map((t) => t.shape.join('x')),
    })),
    modules: r.modules.map((m) => ({ name: m.name, ...m.counts })),
  };
}

// ---- the corpus and its mutations ----

function pyFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? pyFiles(join(dir, e.name)) : e.name.endsWith('.py') ? [join(dir, e.name)] : []));
}
const CORPUS: readonly { path: string; text: string }[] = pyFiles(FIXTURES)
  .sort()
  .map((path) => ({ path, text: readFileSync(path, 'utf8') }));

/** inserted anywhere: punctuation, keywords, statements, odd and huge numbers */
const TOKENS = [
  ')', '(', ']', '[', '}', '{', ':', ',', '.', '*', '**', '=', '-', '@', '\\', '#', '"', "'", '"""', '...',
  'lambda', 'lambda x: x', 'self.', 'self', 'super()', 'super().__init__()', 'None', 'True', 'not ', ' if x else ',
  'for x in y:', 'while True:', 'return', 'yield', 'del ', 'global x', 'pass', 'break', 'import torch', 'from . import x',
  'int(1e309)', '1e309', '0', '-1', '10**30', '10**20', '2**53', 'float("nan")', 'float("inf")', '-0.0', '3.5',
  'nn.', 'torch.', 'nn.Linear(', 'nn.Linear(10**20, 10**20)', 'nn.Conv2d(3, 0, 3)', '.view(-1)', '.view(-1, -1)', '[::0]', '[10**30]',
  'range(10**9)', '*range(5)', '\n', '\n    ', '\n        ', '    ', '\t', 'é', '😀',
];
/** whole statements inserted as a line, at some indentation */
const STATEMENTS = [
  'for x in y:', 'while True:', 'while True: pass', 'return self', 'return', 'self.x = self.x', 'super().__init__()',
  'x = x.view(-1)', 'x = self(x)', 'self.fc = nn.Linear(10**20, 10**20)', 'self.c = nn.Conv2d(3, 0, 3)', 'x = x[10**30]',
  'def forward(self, x):', 'class M(M):', 'import torch', 'if x:', 'else:', 'raise ValueError()', 'try:', 'except:', 'with torch.no_grad():',
];
const NUMBERS = ['0', '-1', '1', '10**30', '10**20', '2**53', '-0', '0.5', '1e308', 'None', '99999999999999999999', '3'];

type Mutation =
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'replace'; at: number; length: number; token: string }
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'line'; at: number; indent: number; statement: string }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'number'; at: number; value: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 30 }), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('line' as const), at: fc.nat(), indent: fc.constantFrom(0, 4, 8, 12), statement: fc.constantFrom(...STATEMENTS) }),
  fc.record({ kind: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: fc.constantFrom(...NUMBERS) }),
);

function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'duplicate': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at + m.length) + text.slice(at, at + m.length) + text.slice(at + m.length);
    }
    case 'replace': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.token + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.token + text.slice(at);
    }
    case 'line': {
      const lines = text.split('\n');
      lines.splice(m.at % (lines.length + 1), 0, ' '.repeat(m.indent) + m.statement);
      return lines.join('\n');
    }
    case 'swapLines': {
      const lines = text.split('\n');
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'number': {
      // the likeliest place for an overflow or a negative size: a number literal
      const numbers = [...text.matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w.])/g)];
      if (numbers.length === 0) return text;
      const hit = numbers[m.at % numbers.length]!;
      return text.slice(0, hit.index) + m.value + text.slice(hit.index + hit[0].length);
    }
  }
}

/** a sibling of the fixture, so that relative imports resolve the same way, never cached */
function freshKey(path: string): string {
  return path.replace(/\.py$/, '.fresh-analysis.py');
}

before(ready);

describe('Python frontend robustness', () => {
  it('the corpus itself passes the invariants, fresh and re-analysed under its key', () => {
    assert.ok(CORPUS.length >= 12, `corpus: ${CORPUS.length} files`);
    for (const { path, text } of CORPUS) {
      const first = analyzeFull(text, path);
      const again = analyzeFull(text, path);
      assert.deepEqual(summary(again as unknown as PythonAnalysis), summary(first as unknown as PythonAnalysis), path);
      forgetDocument(path);
    }
  });

  it('fuzz: mutated corpus files through the whole pipeline (deleted, duplicated, replaced slices; swapped lines; inserted tokens; odd numbers)', () => {
    fc.assert(
      fc.property(fc.nat(CORPUS.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (which, mutations) => {
        const { path, text } = CORPUS[which]!;
        const mutated = mutations.reduce(mutate, text);
        analyzeFull(mutated, freshKey(path));
        forgetDocument(freshKey(path));
      }),
      { ...FC, numRuns: 600 },
    );
  });

  it('fuzz: incremental re-parse under one document key gives what a fresh parse gives, version after version', () => {
    fc.assert(
      fc.property(
        fc.nat(CORPUS.length - 1),
        fc.array(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
        (which, versions) => {
          const { path, text } = CORPUS[which]!;
          const key = path;
          forgetDocument(key);
          const original = summary(analyzeFrontend(text, { documentKey: key }));
          let current = text;
          for (const step of versions) {
            current = step.reduce(mutate, current);
            const incremental = analyzeFrontend(current, { documentKey: key });
            // the incremental result goes through the analyses and rules too
            const doc = timed(current, 'analyzeGraphs', () => analyzeGraphs(incremental, { text: current, language: 'python', lineComment: '#' })).result;
            checkDocument(current, doc);
            const fresh = analyzeFrontend(current, { documentKey: freshKey(path) });
            forgetDocument(freshKey(path));
            assert.deepEqual(summary(incremental), summary(fresh), `incremental and fresh analyses differ on ${show(current)}`);
          }
          // and undoing every edit at once gives the original analysis back
          assert.deepEqual(summary(analyzeFrontend(text, { documentKey: key })), original, `undo to the original of ${path}`);
          forgetDocument(key);
        },
      ),
      { ...FC, numRuns: 100 },
    );
  });

  // ---- generated adversarial programs ----

  const HEADER = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n';

  /** top-level code before the model: recursion, loops, odd classes; `stops` when it ends the file's evaluation */
  const PRELUDES: readonly { code: string; stops?: boolean }[] = [
    { code: '' },
    { code: 'def f(n):\n    return f(n + 1)\n\nk = f(0)\n' },
    { code: 'def f(n):\n    return f(n + 1) + f(n + 2)\n\nk = f(0)\n', stops: true },
    { code: 'def g(n):\n    return h(n)\n\ndef h(n):\n    return g(n)\n\nk = g(1)\n' },
    { code: 'while True:\n    pass\n', stops: true },
    { code: 'i = 0\nwhile i >= 0:\n    i += 1\n', stops: true },
    { code: 'for i in range(10**9):\n    pass\n' },
    { code: 'xs = [i * j for i in range(10**5) for j in range(10**5)]\n', stops: true },
    { code: 'xs = {i: [j for j in range(100)] for i in range(1000)}\n' },
    { code: 'class A(A):\n    pass\n' },
    { code: 'class B(Undefined):\n    pass\n\nb = B()\n' },
    { code: 'class C(nn.Module):\n    pass\n\nclass C(C):\n    pass\n\nc = C()\n' },
    { code: 'super().__init__()\n' },
    { code: 'def s():\n    return super().forward()\n\ns()\n' },
    { code: 'x = lambda: x()\nx()\n' },
    { code: 'k = 10**30\n' },
    { code: 'k = -1\n' },
    { code: 'k = None\n' },
    { code: 'd = {}\nd[d] = d\n' },
    { code: 'l = []\nl.append(l)\nl[0][0][0].append(l)\n' },
    { code: 'import missing_module\nfrom missing import thing\n' },
    { code: 'try:\n    pass\nexcept Exception:\n    pass\nfinally:\n    pass\n' },
    { code: 'async def a():\n    await a()\n' },
    { code: 'def gen():\n    while True:\n        yield 1\n\nfor v in gen():\n    pass\n', stops: true },
    { code: 'x = 1\ndel x\ny = x\n' },
    { code: 'global q\nq = q\n' },
  ];

  /** constructor lines whose parameter count torch would give: [line, trainable] */
  const GOOD_LAYERS: readonly [string, number][] = [
    ['self.conv = nn.Conv2d(3, 4, 3)', 112],
    ['self.bn = nn.BatchNorm1d(8)', 16],
    ['self.emb = nn.Embedding(10, 4)', 40],
    ['self.act = nn.ReLU()', 0],
    ['self.seq = nn.Sequential(nn.Linear(8, 2), nn.Tanh())', 18],
    ['self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])', 18],
    ['self.rnn = nn.LSTM(4, 4)', 160],
    ['self.heads = nn.ModuleDict({"a": nn.Linear(8, 1), "b": nn.Identity()})', 9],
  ];
  /** constructor lines torch would reject, or memlens cannot count */
  const BAD_LAYERS: readonly string[] = [
    'self.huge = nn.Linear(10**20, 10**20)',
    'self.empty = nn.Conv2d(3, 0, 3)',
    'self.neg = nn.Linear(4, -1)',
    'self.seq = nn.Sequential(*range(5))',
    'self.k = nn.Linear(k, 4)',
    'self.me = self',
    'self.again = M()', // a constructor that builds itself: an error, as torch's RecursionError
    'self.none = nn.Linear(None, 4)',
    'self.text = nn.Linear("a", 4)',
    'self.big = nn.Embedding(10**9, 10**9)',
    'self.many = nn.ModuleList([nn.Linear(4, 4)] * 10**30)',
    'for i in range(10**9):\n            self.x = nn.Linear(4, 4)',
    'super().__init__()',
    'self.fc = undefined_name',
  ];
  /** forward bodies memlens cannot follow (the model's counts must still be reported) */
  const STUCK_FORWARDS: readonly string[] = [
    'return self(x)',
    'return self.forward(x)',
    'return self.a(x)',
    'return self.fc(x) + torch.arange(3)',
    'return undefined_fn(self.fc(x))',
    'x = x.view(-1, -1)\n        return self.fc(x)',
    'return self.conv(x)',
    'return super().forward(x)',
    'for i in range(10**9):\n            x = self.fc(x)\n        return x',
    'while True:\n            x = self.fc(x)\n        return x',
    'return self.fc(x) if x.sum() > 0 else x',
    'return self.fc(x[10**30])',
    'return self.fc(x.view(10**20, -1))',
  ];
  /** forward bodies that may be followed, or not */
  const OTHER_FORWARDS: readonly string[] = [
    'return self.fc(x)',
    'return F.relu(self.fc(x))',
    'y = self.fc(x)\n        return y, y',
    'return [self.fc(x) for _ in range(100)][0]',
    'return (lambda y: self.fc(y))(x)',
    'return self.b(x)',
    'return',
    'return None',
    'yield self.fc(x)',
    'return self.fc(*x)',
    'return self.fc(x, x, x)',
    'del x\n        return self.fc(x)',
  ];
  const BASES = ['nn.Module', 'torch.nn.Module', 'Undefined', 'M', 'nn.Module, nn.Module', 'object', 'nn.Linear'];
  const CALLS = [
    'm = M()\nout = m(torch.randn(2, 4))\n',
    'm = M()\nout = m(torch.randn(2, 4))\nout.sum().backward()\n',
    'm = M()\nwith torch.no_grad():\n    out = m(torch.randn(2, 4))\n',
    'm = M()\nout = m(torch.randn(10**30, 4))\n',
    'm = M()\nout = m(torch.randn(0, 4))\n',
    'm = M()\nout = m(torch.randn(-1, 4))\n',
    'm = M()\nout = m(m)\n',
    'm = M()\nout = m()\n',
    'm = M()\n',
    'M()(torch.randn(2, 4))\n',
  ];

  function program(prelude: string, base: string, layers: readonly string[], forward: string, call: string): string {
    const init = ['super().__init__()', 'self.fc = nn.Linear(4, 8)', ...layers].map((l) => `        ${l}`).join('\n');
    const helpers = '    def a(self, x):\n        return self.b(x)\n\n    def b(self, x):\n        return self.a(x)\n';
    return `${HEADER}${prelude}\n\nclass M(${base}):\n    def __init__(self):\n${init}\n\n    def forward(self, x):\n        ${forward}\n\n${helpers}\n\n${call}`;
  }

  it('fuzz: generated adversarial programs end with diagnostics, in bounded time', () => {
    fc.assert(
      fc.property(
        // the preludes that run into the step limit cost ~1 s each: the fixed cases below run each once
        fc.constantFrom(...PRELUDES.filter((p) => !p.stops)),
        fc.constantFrom(...BASES),
        // two `self.again = M()` recurse exponentially into the step limit: a fixed case below
        fc.array(fc.oneof(fc.constantFrom(...GOOD_LAYERS.map(([l]) => l)), fc.constantFrom(...BAD_LAYERS)), { maxLength: 4 }).filter((ls) => ls.filter((l) => l.includes('M()')).length <= 1),
        fc.constantFrom(...STUCK_FORWARDS, ...OTHER_FORWARDS),
        fc.constantFrom(...CALLS),
        (prelude, base, layers, forward, call) => {
          analyzeFull(program(prelude.code, base, layers, forward, call));
        },
      ),
      { ...FC, numRuns: 300 },
    );
  });

  it('fuzz: a model whose forward cannot be followed still reports its exact parameter count', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRELUDES.filter((p) => !p.stops)),
        fc.constantFrom('nn.Module', 'torch.nn.Module'),
        fc.subarray([...GOOD_LAYERS]),
        fc.constantFrom(...STUCK_FORWARDS),
        fc.constantFrom(...CALLS.slice(0, 3)),
        (prelude, base, layers, forward, call) => {
          const text = program(prelude.code, base, layers.map(([l]) => l), forward, call);
          const r = analyzeFull(text);
          const expected = 40 + layers.reduce((s, [, n]) => s + n, 0);
          assert.equal(r.models.length, 0, `a graph for a model memlens cannot follow: ${show(text)}`);
          const sentence = `${expected.toLocaleString('en-US')} trainable parameters`;
          assert.ok(
            r.diagnostics.some((d) => d.message.startsWith("model 'm'") && d.message.includes(sentence)),
            `no diagnostic with '${sentence}': ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}\non ${show(text)}`,
          );
        },
      ),
      { ...FC, numRuns: 80 },
    );
  });

  it('fuzz: generated nn.Sequential models with odd sizes', () => {
    // C channels or features, K kernel, S stride, P padding, R a rate, L recurrent layers
    const layer = fc.constantFrom(
      'nn.Linear(C, C)', 'nn.Conv2d(C, C, K, stride=S, padding=P)', 'nn.ConvTranspose2d(C, C, K, stride=S)', 'nn.Conv1d(C, C, K)',
      'nn.MaxPool2d(K, stride=S)', 'nn.AvgPool2d(K)', 'nn.AdaptiveAvgPool2d(K)', 'nn.BatchNorm2d(C)', 'nn.BatchNorm1d(C)',
      'nn.LayerNorm(C)', 'nn.GroupNorm(K, C)', 'nn.Embedding(C, C)', 'nn.Flatten(K)', 'nn.Dropout(R)', 'nn.ReLU()', 'nn.Identity()',
      'nn.Upsample(scale_factor=S)', 'nn.Softmax(dim=K)', 'nn.LSTM(C, C, batch_first=True)', 'nn.GRU(C, C, num_layers=L)',
    );
    const good: Readonly<Record<string, readonly string[]>> = { C: ['3', '3', '8', 'k'], K: ['1', '2', '3'], S: ['1', '2'], P: ['0', '1'], R: ['0.0', '0.5'], L: ['1', '2'] };
    const ODD = ['0', '-1', '-2', '10**20', '2**53', '10**9', '1.5', 'None', 'True', "'same'", 'float("nan")', 'float("inf")', 'k'];
    /** a layer: well formed, or with each argument odd one time in three (num_layers too) */
    const layerArb = fc.tuple(layer, fc.boolean(), fc.array(fc.nat(), { minLength: 6, maxLength: 6 })).map(([l, odd, picks]) => {
      let i = 0;
      return l.replace(/\b[CKSPRL]\b/g, (slot) => {
        const pick = picks[i++ % picks.length]!;
        return odd && pick % 3 === 0 ? ODD[pick % ODD.length]! : good[slot]![pick % good[slot]!.length]!;
      });
    });
    const shapeArb = fc.oneof(
      { arbitrary: fc.constantFrom('2, 3, 8, 8', '2, 3, 8, 8', '2, 3', '2, 5, 3', '1, 3, 16, 16', '2, 3, 16'), weight: 4 },
      { arbitrary: fc.array(fc.constantFrom(...ODD, '2', '3', '8'), { minLength: 1, maxLength: 4 }).map((v) => v.join(', ')), weight: 1 },
    );
    let traced = 0;
    fc.assert(
      fc.property(fc.array(layerArb, { minLength: 1, maxLength: 5 }), shapeArb, (calls, shape) => {
        const text = `${HEADER}k = 3\nm = nn.Sequential(\n    ${calls.join(',\n    ')},\n)\nx = torch.randn(${shape})\nout = m(x)\n`;
        if (analyzeFull(text).models.length > 0) traced++;
      }),
      { ...FC, numRuns: 500 },
    );
    // the generator is not so hostile that nothing is ever traced
    assert.ok(traced >= 25, `${traced} of 500 generated models traced`);
  });

  it("the brief's adversarial programs, each ending with a diagnostic", () => {
    const model = (init: string, forward: string, call = 'm = M()\nout = m(torch.randn(2, 4))\n'): string =>
      `${HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n${init}\n    def forward(self, x):\n${forward}\n\n${call}`;
    const cases: readonly [string, string, RegExp][] = [
      ['deep recursion in a size', `${HEADER}def f(n):\n    return f(n + 1)\n\nm = nn.Linear(f(0), 4)\nm(torch.randn(2, 4))\n`, /NNM401 .*nest deeper/],
      ['exponential recursion', `${HEADER}def f(n):\n    return f(n + 1) + f(n + 1)\n\nm = nn.Linear(f(0), 4)\n`, /NNM404/],
      ['while True: pass', `${HEADER}while True:\n    pass\nm = nn.Linear(4, 4)\n`, /NNM404/],
      ['a range of 10**9', `${HEADER}m = nn.Linear(4, 4)\nx = torch.randn(2, 4)\nfor i in range(10**9):\n    x = m(x)\n`, /NNM401 .*range\(10\*\*9\)/],
      ['a huge comprehension', `${HEADER}xs = [i * j for i in range(10**5) for j in range(10**5)]\nm = nn.Linear(len(xs), 4)\n`, /NNM404/],
      ['a class deriving from itself', `${HEADER}class M(M):\n    pass\n\nm = M()\nm(torch.randn(2, 4))\n`, /NNM401/],
      ['a class deriving from an undefined name', `${HEADER}class M(Undefined):\n    def forward(self, x):\n        return x\n\nm = M()\nm(torch.randn(2, 4))\n`, /NNM401 .*Undefined/],
      ['a module calling itself in forward', model('', '        return self(x)'), /NNM401 model 'm': calls nest deeper than 64 levels\. 20 trainable parameters/],
      ['mutual recursion between methods', model('    def a(self, x):\n        return self.b(x)\n    def b(self, x):\n        return self.a(x)\n', '        return self.a(x)'), /NNM401 model 'm': calls nest deeper than 64 levels\. 20 trainable parameters/],
      ['nn.Linear(10**20, 10**20)', `${HEADER}m = nn.Linear(10**20, 10**20)\nm(torch.randn(2, 10**20))\n`, /NNM401 .*in_features/],
      ['nn.Conv2d(3, 0, 3)', `${HEADER}m = nn.Conv2d(3, 0, 3)\nm(torch.randn(2, 3, 8, 8))\n`, /NNM403 model 'm': .*0 trainable parameters/],
      ['nn.Linear(4, -4)', `${HEADER}m = nn.Linear(4, -4)\nm(torch.randn(2, 4))\n`, /NNM403 Linear: `out_features` must be at least 0, got -4/],
      ['nn.Conv2d(3, 4, -3)', `${HEADER}m = nn.Conv2d(3, 4, -3)\nm(torch.randn(2, 3, 8, 8))\n`, /NNM403 Conv2d: a weight of shape \[4, 3, -3, -3\] has a negative size/],
      ['nn.Conv2d(3, 4, 3, stride=0)', `${HEADER}m = nn.Conv2d(3, 4, 3, stride=0)\nm(torch.randn(2, 3, 8, 8))\n`, /NNM403 model 'm': .*'stride'/],
      ['nn.Sequential(*range(5))', `${HEADER}m = nn.Sequential(*range(5))\nm(torch.randn(2, 4))\n`, /NNM401 model 'm': 0 is not a module/],
      ['super() outside a method', `${HEADER}super().__init__()\ndef g():\n    return super().forward()\n\nm = nn.Linear(g(), 4)\n`, /NNM401/],
      ['a model that is never called', `${HEADER}m = nn.Linear(4, 4)\n`, /NNM402 model 'm' \(Linear\): 20 trainable parameters/],
      ['an example of 10**30 samples', `${HEADER}m = nn.Linear(4, 4)\nm(torch.randn(10**30, 4))\n`, /NNM40[12]/],
      ['a reshape with two -1', model('', '        return self.fc(x.view(-1, -1))'), /NNM401 model 'm': a reshape with two -1 sizes\. 20 trainable parameters/],
      ['a shape that does not fit', model('', '        return self.fc(x.view(-1, 2))'), /NNM403 model 'm': .*20 trainable parameters/],
    ];
    for (const [what, text, expect] of cases) {
      const r = analyzeFull(text);
      const lines = r.diagnostics.map((d) => `${d.code} ${d.message}`);
      assert.ok(lines.some((l) => expect.test(l)), `${what}: expected ${expect}, got ${JSON.stringify(lines)}`);
    }
    // code that never ends: the step limit stops the file, the models built before it stay
    const endless = [
      ...PRELUDES.filter((x) => x.stops).map((p) => program(p.code, 'nn.Module', [], 'return self.fc(x)', CALLS[0]!)),
      program('', 'nn.Module', ['while True:\n            pass'], 'return self.fc(x)', CALLS[0]!),
    ];
    for (const p of endless) {
      const text = `${HEADER}early = nn.Linear(4, 4)\n${p.slice(HEADER.length)}`;
      const r = analyzeFull(text);
      const lines = r.diagnostics.map((d) => `${d.code} ${d.message}`);
      assert.ok(lines.some((l) => l.startsWith('NNM404')), `${show(text)}: ${JSON.stringify(lines)}`);
      assert.ok(lines.some((l) => l.startsWith("NNM402 model 'early' (Linear): 20 trainable parameters")), `${show(text)}: ${JSON.stringify(lines)}`);
    }
  });

  it('a module importing itself, and two modules importing each other', () => {
    const self = join(FIXTURES, 'selfimport.py');
    const a = join(FIXTURES, 'cycle_a.py');
    const b = join(FIXTURES, 'cycle_b.py');
    const net = 'class Net(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n        self.fc = nn.Linear(n, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n';
    const files = new Map<string, string>([
      [self, `${HEADER}from .selfimport import Net\nfrom selfimport import Net as Other\n\n${net}\nif __name__ == '__main__':\n    m = Other(4)\n    m(torch.randn(2, 4))\n`],
      [a, `${HEADER}from .cycle_b import make\n\n${net}\ndef width():\n    return make() + 1\n\nif __name__ == '__main__':\n    m = Net(width())\n    m(torch.randn(2, width()))\n`],
      [b, `${HEADER}from .cycle_a import width, Net\n\ndef make():\n    return width()\n\nif __name__ == '__main__':\n    m = Net(4)\n    m(torch.randn(2, 4))\n`],
    ]);
    const readFile = (path: string): string | undefined => files.get(path);
    for (const [path, text] of files) {
      const r = analyzeFrontend(text, { documentKey: path, readFile });
      forgetDocument(path);
      assert.ok(r.graphs.length + r.diagnostics.length > 0, `${path}: no graph and no diagnostic`);
    }
  });

  it('blank, binary and control-character input', () => {
    for (const text of ['', '\n', 'import torch', 'import torch\n', 'import torch\n\0\0\0', `import torch\n${'\uFFFF'.repeat(100)}`, 'import torch\n\uD800\n', `import torch\n${Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256)).toString('latin1')}`]) {
      analyzeFull(text);
      analyzeFrontend(text, { documentKey: join(FIXTURES, 'blank.py') });
    }
    forgetDocument(join(FIXTURES, 'blank.py'));
  });

  it('expressions nested a few hundred deep are followed', () => {
    // CPython itself refuses parentheses nested 200 deep; memlens handles that much
    const depth = 200;
    const cases = [
      `x = ${'('.repeat(depth)}1${')'.repeat(depth)}`,
      `x = ${'['.repeat(depth)}1${']'.repeat(depth)}`,
      `x = 1${' + 1'.repeat(depth)}`,
      `x = ${'abs('.repeat(depth)}1${')'.repeat(depth)}`,
      `m = ${'nn.Sequential('.repeat(depth)}nn.Linear(2, 2)${')'.repeat(depth)}\nm(torch.randn(1, 2))`,
    ];
    for (const body of cases) analyzeFull(`${HEADER}${body}\n`);
  });
});

// ---- once known defects, each a minimal input: they stay as regression tests ----

/** analyzePython in a child process: one that aborts the process or runs past the limit fails here, not the runner */
function inChild(text: string, limitMs: number): Promise<{ code: number | null; signal: string | null; out: string; killed: boolean }> {
  const script = `
    const { initTfjsFrontend } = require('./server/src/core/tfjs/parse.ts');
    const { analyzePython } = require('./server/src/core/python/frontend.ts');
    const { BUILTIN_DEFAULTS } = require('./server/src/core/config.ts');
    initTfjsFrontend().then(() => {
      const t0 = process.cpuUsage();
      const r = analyzePython(process.env.MEMLENS_PY_TEXT, { defaults: BUILTIN_DEFAULTS });
      const cpu = process.cpuUsage(t0);
      console.log(JSON.stringify({ ms: Math.round((cpu.user + cpu.system) / 1000), diagnostics: r.diagnostics.map((d) => d.code + ' ' + d.message) }));
    });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=512', '--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, MEMLENS_PY_TEXT: text }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killed = false;
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out: out.slice(-2000), killed });
    });
  });
}

describe('Python frontend: defects found by review, fixed', () => {
  const H = 'import torch\nimport torch.nn as nn\n';

  // the child's limit covers its start (tsx, the parser's WASM) on a loaded machine; the analysis itself is bounded below
  const CHILD_LIMIT_MS = 30000;
  // started together at the top of this group, so their time overlaps
  let children: Promise<Awaited<ReturnType<typeof inChild>>>[] = [];
  const CHILD_CASES = [
    // repeat() in operators.ts pushes 10**8 items one by one: ~15 s, then nothing; 10**9 ends in NNM409 'Invalid array length'
    `${H}x = [0] * 10**8\n`,
    // list + list in operators.ts spreads both into a new array: the size doubles until V8 aborts the process
    // ('Fatal JavaScript invalid size error', SIGTRAP) after ~16 s and 2.9 GB; under 512 MB it is a heap OOM abort
    `${H}x = [0] * 100000\nfor i in range(12):\n    x = x + x\n`,
    // refsOf in frontend.ts: ops.includes / tensors.includes for every application of one site, quadratic (64000 layers: 19 s)
    `${H}m = nn.Sequential(*[nn.Linear(4, 4) for _ in range(64000)])\nm(torch.randn(2, 4))\n`,
    // recurrent(): one parameter map entry per layer, no bound: 10**5 layers 2.4 s, 10**6 27 s, 10**9 100 s then NNM409 'Map maximum size exceeded'
    `${H}m = nn.GRU(4, 4, num_layers=10**6)\n`,
  ];
  before(() => {
    children = CHILD_CASES.map((text) => inChild(text, CHILD_LIMIT_MS));
  });
  after(async () => {
    await Promise.all(children);
  });

  const childCase = (index: number) => async () => {
    const r = await children[index]!;
    assert.ok(!r.killed, `still running after ${CHILD_LIMIT_MS} ms: ${show(CHILD_CASES[index]!)}`);
    assert.equal(r.code, 0, `exit ${r.code} (${r.signal}): ${r.out}`);
    const { ms, diagnostics } = JSON.parse(r.out.trim().split('\n').pop()!) as { ms: number; diagnostics: string[] };
    assert.ok(ms < STEP_LIMIT_BOUND_MS, `${ms} ms`);
    assert.ok(!diagnostics.some((d) => d.startsWith('NNM409')), diagnostics.join('; '));
  };

  it('a list repeated 10**8 times is a diagnostic, not a 15 s hang', childCase(0));
  it('a list doubled in a loop is a diagnostic, not a process abort', childCase(1));
  it('64,000 applications of layers from one call site stay within the time bound', childCase(2));
  it('nn.GRU(4, 4, num_layers=10**6) is a diagnostic, not a 27 s hang', childCase(3));

  it('a string or list too long for JavaScript is a diagnostic, not an internal error', () => {
    for (const body of [
      "x = 'a' * 10**9", // String.prototype.repeat: Invalid string length
      "x = 'a' * 100000\ny = x * 100000",
      'x = [0] * 200000\ny = x * 2', // items.push(...v.items) with 200,000 arguments
      'x = [0] * 200000\nx += x', // execAugAssign
      'x = [0] * 200000\nx.extend(x)', // pyMethods.ts list.extend
      'x = [0] * 200000\ny = [*x, *x]', // evalItems
      'x = [0] * 200000\ny = max(*x)', // evalArgs
      'x = [0] * 200000\nm = nn.Sequential(*x)',
    ]) {
      const text = `${H}${body}\n`;
      const r = analyzePython(text, { defaults: BUILTIN_DEFAULTS });
      const internal = r.diagnostics.find((d) => d.code === 'NNM409');
      assert.equal(internal, undefined, `${JSON.stringify(body)}: ${internal?.message}`);
    }
  });

  it('expressions nested thousands deep are a diagnostic, not a stack overflow', () => {
    const depth = 5000;
    for (const body of [
      `x = 1${' + 1'.repeat(depth)}`, // eval -> binaryOp -> eval, from ~3,300 terms
      `x = ${'['.repeat(depth)}1${']'.repeat(depth)}`, // evalItems, from ~1,900
      `x = ${'-'.repeat(depth)}1`, // unary, from ~3,300
      `x = ${'not '.repeat(depth)}1`,
      `x = 1${'.a'.repeat(depth)}`, // attribute, from ~3,300
      `x = f${'(1)'.repeat(depth)}`, // evalCall, from ~2,200
      `x = a${'[0]'.repeat(depth)}`, // subscript, from ~2,200
      `x = ${'abs('.repeat(depth)}1${')'.repeat(depth)}`, // from ~1,200
      `m = ${'nn.Sequential('.repeat(depth)}nn.Linear(2, 2)${')'.repeat(depth)}\nm(torch.randn(1, 2))`, // from ~1,200
    ]) {
      const text = `${H}${body}\n`;
      const r = analyzePython(text, { defaults: BUILTIN_DEFAULTS });
      const internal = r.diagnostics.find((d) => d.code === 'NNM409');
      assert.equal(internal, undefined, `${JSON.stringify(body.slice(0, 40))}...: ${internal?.message}`);
    }
  });

  it('negative layer sizes never count negative parameters', () => {
    const r = analyzePython(`${H}m = nn.Embedding(-10, 4)\nm(torch.randint(0, 10, (2, 5)))\n`, { defaults: BUILTIN_DEFAULTS });
    for (const g of r.graphs) for (const op of g.ops) assert.ok(op.params.trainable >= 0, `${g.name}: op ${op.op} has ${op.params.trainable} parameters`);
    assert.ok(r.diagnostics.length > 0, 'torch raises on nn.Embedding(-10, 4); memlens says nothing');
    for (const [body, where] of [
      ['m = nn.Linear(4, -1)\nm(torch.randn(2, 4))', "NNM403 ... -5 trainable parameters"],
      ['m = nn.Conv2d(3, -4, 3)\nm(torch.randn(2, 3, 8, 8))', '-112 trainable parameters'],
      ['m = nn.BatchNorm2d(-3)\nm(torch.randn(2, 3, 8, 8))', '-6 trainable, -6 buffer values'],
      ['m = nn.LayerNorm(-4)\nm(torch.randn(2, 4))', '-8 trainable parameters'],
      ['m = nn.Linear(-5, 3)', "NNM402 model 'm' (Linear): -12 trainable parameters"],
    ]) {
      const a = analyzePython(`${H}${body}\n`, { defaults: BUILTIN_DEFAULTS });
      for (const m of a.modules) for (const [k, n] of Object.entries(m.counts)) assert.ok(n >= 0, `${JSON.stringify(body)}: ${k} = ${n} (${where})`);
    }
  });

  it('a parameter count past 2^53 is not shown as if exact', () => {
    const r = analyzePython(`${H}m = nn.Linear(2**52, 2)\nm(torch.randn(1, 2**52))\n`, { defaults: BUILTIN_DEFAULTS });
    for (const m of r.modules) assert.ok(Number.isSafeInteger(m.counts.trainable), `${m.name}: ${m.counts.trainable}`);
  });

  it('a model built in an imported file is not reported in the importing file, at the imported lines', () => {
    const lib = join(FIXTURES, 'imported_lib.py');
    const main = join(FIXTURES, 'imported_main.py');
    const files = new Map([[lib, `${H}\n\n\n\n\nshared = nn.Linear(4, 4)\n`]]);
    const text = `${H}from imported_lib import shared\n`;
    const r = analyzePython(text, { defaults: BUILTIN_DEFAULTS, documentKey: main, readFile: (p) => files.get(p) });
    forgetDocument(main);
    // today: NNM402 "model 'shared' (Linear): 20 trainable parameters ..." at line 7 of this 2-line file
    checkDiagnostics(text, r.diagnostics);
  });

  it('a module whose constructor builds itself is an error, not 64 nested copies', () => {
    const text = `${H}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n        self.me = M()\n\n    def forward(self, x):\n        return self.fc(x)\n\nm = M()\nout = m(torch.randn(2, 4))\n`;
    const r = analyzeDocument(text, 'python');
    assert.ok(r.diagnostics.some((d) => d.code.startsWith('NNM40')), r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; '));
  });

  it('int() of an infinite or huge float is not an exact integer', () => {
    const cases: readonly [string, string][] = [
      ['m = nn.Linear(int(1e309), 4)', "NNM402 model 'm' (Linear): \u221e trainable parameters"],
      ['m = nn.Linear(int(-1e309), 4)', '-\u221e trainable parameters'],
      ['m = nn.Linear(int(1e300), 2)', '2,000,000,000,...,000 trainable parameters'],
      ['m = nn.Linear(4, 4)\nm(torch.randn(int(1e309), 4))', "a graph at batch Infinity: 'NNM201 m: memory at batch Infinity is too large to count exactly'"],
    ];
    for (const [body, today] of cases) {
      const text = `${H}${body}\n`;
      const r = analyzeDocument(text, 'python');
      for (const g of r.graphs) assert.ok(Number.isSafeInteger(g.config.batch), `${JSON.stringify(body)}: batch ${g.config.batch} (${today})`);
      for (const m of (r as unknown as PythonAnalysis).modules) {
        for (const [k, n] of Object.entries(m.counts)) assert.ok(Number.isSafeInteger(n), `${JSON.stringify(body)}: ${k} = ${n} (${today})`);
      }
    }
  });

  it("Python's inf is not shown as JavaScript's Infinity", () => {
    for (const body of ['m = nn.Linear(1e309, 4)', 'm = nn.Conv2d(3, 4, 3, padding=-1e309)\nm(torch.randn(2, 3, 8, 8))', 'm = nn.Dropout(1e309)\nm(torch.randn(2, 4))']) {
      const r = analyzePython(`${H}${body}\n`, { defaults: BUILTIN_DEFAULTS });
      for (const d of r.diagnostics) assert.doesNotMatch(d.message, /Infinity/, `${JSON.stringify(body)}: ${d.message}`);
    }
  });

  it('a file that runs into the step limit stops within the time bound', () => {
    const text = `${H}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 8)\n        self.a = M()\n        self.b = M()\n\nm = M()\n`;
    const t0 = process.cpuUsage();
    analyzePython(text, { defaults: BUILTIN_DEFAULTS });
    const ms = cpuMsSince(t0);
    assert.ok(ms < STEP_LIMIT_BOUND_MS, `${ms.toFixed(0)} ms`);
  });

  it('a forward cut off by the step limit yields no graph, and the model its parameter count', () => {
    const text = `${H}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n        while True:\n            pass\n        return self.fc(x)\n\nm = M()\nm(torch.randn(2, 4))\n`;
    const r = analyzeDocument(text, 'python');
    assert.deepEqual(r.models.map((m) => `${m.graph.name}: ${m.graph.ops.length} ops, outputs [${m.graph.outputs.join(', ')}]`), []);
    assert.ok(r.diagnostics.some((d) => d.message.startsWith("model 'm'") && d.message.includes('20 trainable parameters')), r.diagnostics.map((d) => d.message).join('; '));
  });
});
