// Statement groups (server/src/core/python/groups.ts): a file's top-level statements evaluated in
// groups that cannot affect one another give what one pass over the file gives, and a keystroke
// re-evaluates only the group it changes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { BUILTIN_DEFAULTS } from '../../../server/src/core/config';
import { analyzePython, forgetPythonDocument, type PythonAnalysis, type PythonOptions } from '../../../server/src/core/python/frontend';
import { groupStatements } from '../../../server/src/core/python/groups';
import { parseDocument } from '../../../server/src/core/tfjs/parse';
import { copyTree } from '../../../server/src/core/tfjs/syntax';
import { PYTHON_SKIPPED } from '../../../server/src/core/python/imports';
import { generatePythonFile } from '../../../bench/python';
import { FIXTURES, ready } from './helpers';

/** what a user sees of an analysis: each graph whole, the diagnostics, the hover refs */
function seen(a: PythonAnalysis): string {
  const diagnostics = a.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character} ${d.code} ${d.message}`).sort();
  const refs = a.refs.map((r) => `${r.range.start.line}:${r.range.start.character} ${r.kind} ${r.name} g${r.graph ?? '-'} ${r.ops?.length ?? 0}`).sort();
  const modules = a.modules.map((m) => `${m.name} ${m.counts.trainable} ${m.counts.frozen} ${m.counts.buffers} ${m.unknown ?? ''}`);
  return JSON.stringify({ graphs: a.graphs, diagnostics, refs, modules });
}

function analyze(text: string, options: Partial<PythonOptions> = {}): PythonAnalysis {
  return analyzePython(text, { defaults: BUILTIN_DEFAULTS, ...options });
}

/** the groups of a file, as lists of each group's statements' first lines */
function groupsOf(text: string): string[][] {
  const parsed = parseDocument(text, 'python')!;
  try {
    const { root } = copyTree(parsed.tree, text, undefined, PYTHON_SKIPPED);
    const statements = root.namedChildren.filter((c) => c.type !== 'comment');
    return groupStatements(statements).map((g) => g.indices.map((i) => statements[i]!.text.split('\n')[0]!));
  } finally {
    parsed.release();
  }
}

const HEADER = ['import torch', 'import torch.nn as nn', 'WIDTH = 8'];

describe('Python statement groups', () => {
  before(ready);

  it('two models that share only imports, a constant and a class fall into two groups, each with its own copy of the shared definitions', () => {
    const text = [
      ...HEADER,
      'class Block(nn.Module):',
      '    def __init__(self, c):',
      '        super().__init__()',
      '        self.conv = nn.Conv2d(c, c, 3, padding=1)',
      '    def forward(self, x):',
      '        return self.conv(x)',
      'a = Block(WIDTH)',
      'out_a = a(torch.randn(2, WIDTH, 8, 8))',
      'b = Block(4)',
      'out_b = b(torch.randn(2, 4, 8, 8))',
    ].join('\n');
    assert.deepEqual(groupsOf(text), [
      ['import torch', 'import torch.nn as nn', 'WIDTH = 8', 'class Block(nn.Module):', 'a = Block(WIDTH)', 'out_a = a(torch.randn(2, WIDTH, 8, 8))'],
      ['import torch', 'import torch.nn as nn', 'class Block(nn.Module):', 'b = Block(4)', 'out_b = b(torch.randn(2, 4, 8, 8))'],
    ]);
  });

  it('a mutable value two models read, a name bound twice, or a class attribute set from outside links their statements', () => {
    const shared = [...HEADER, 'cfg = [4, 8]', 'a = nn.Linear(cfg[0], 2)', 'b = nn.Linear(cfg[1], 2)'].join('\n');
    assert.deepEqual(groupsOf(shared), [['import torch.nn as nn', 'cfg = [4, 8]', 'a = nn.Linear(cfg[0], 2)', 'b = nn.Linear(cfg[1], 2)']]);
    const rebound = [...HEADER, 'n = 4', 'a = nn.Linear(n, 2)', 'n = 8', 'b = nn.Linear(n, 2)'].join('\n');
    assert.equal(groupsOf(rebound).length, 1);
    const patched = [...HEADER, 'class B(nn.Module):', '    k = 2', 'B.k = 3', 'a = B()', 'b = B()'].join('\n');
    assert.equal(groupsOf(patched).length, 1);
    const independent = [...HEADER, 'n = 4', 'a = nn.Linear(n, 2)', 'b = nn.Linear(8, 2)'].join('\n');
    assert.deepEqual(groupsOf(independent), [['import torch.nn as nn', 'n = 4', 'a = nn.Linear(n, 2)'], ['import torch.nn as nn', 'b = nn.Linear(8, 2)']]);
  });

  it('globals(), exec, setattr, a star import of a local module or an attribute set on torch put the whole file in one group', () => {
    for (const line of ["globals()['n'] = 3", "exec('n = 3')", "setattr(nn, 'X', 3)", 'from blocks import *', 'torch.backends.cudnn.benchmark = True']) {
      const text = [...HEADER, line, 'a = nn.Linear(4, 2)', 'b = nn.Linear(8, 2)'].join('\n');
      assert.deepEqual(groupsOf(text), [[...HEADER, line, 'a = nn.Linear(4, 2)', 'b = nn.Linear(8, 2)']], line);
    }
    // a star import of a library is given to every group
    const star = ['from torch.nn import *', 'a = Linear(4, 2)', 'b = Linear(8, 2)'].join('\n');
    assert.deepEqual(groupsOf(star), [['from torch.nn import *', 'a = Linear(4, 2)'], ['from torch.nn import *', 'b = Linear(8, 2)']]);
  });

  it('every fixture of the corpus and the generated bench file analyse exactly as in one pass', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).map((f) => join(FIXTURES, f));
    for (const dir of ['resnet_cifar', 'transformer']) files.push(...readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.py')).map((f) => join(FIXTURES, dir, f)));
    for (const path of files) {
      const text = readFileSync(path, 'utf8');
      assert.equal(seen(analyze(text, { documentKey: path })), seen(analyze(text, { documentKey: path, ungrouped: true })), path);
    }
    const generated = generatePythonFile(600);
    const grouped = analyze(generated);
    assert.ok(grouped.graphs.length >= 15, `${grouped.graphs.length} graphs`);
    assert.equal(seen(grouped), seen(analyze(generated, { ungrouped: true })));
  });

  it('a keystroke re-evaluates only the group it changes: the other groups keep their graphs, and the result is that of a fresh analysis', () => {
    const key = 'file:///groups/keystroke.py';
    const text = generatePythonFile(300);
    const first = analyze(text, { documentKey: key });
    const at = text.indexOf('nn.Dropout(0.5)') + 'nn.Dropout(0.'.length;
    assert.ok(at > 20);
    const edited = text.slice(0, at) + '7' + text.slice(at);
    const second = analyze(edited, { documentKey: key });
    const kept = second.graphs.filter((g) => first.graphs.includes(g)).length;
    assert.equal(kept, first.graphs.length - 1, 'every graph but the edited model is the same object');
    assert.equal(seen(second), seen(analyze(edited)));
    // a keystroke in a comment changes no group
    const c = edited.indexOf('# ') + 2;
    const commented = edited.slice(0, c) + 'x' + edited.slice(c);
    const third = analyze(commented, { documentKey: key });
    assert.deepEqual(third.graphs, second.graphs);
    assert.ok(third.graphs.every((g, i) => g === second.graphs[i]));
    // a new line above shifts every group below: they are evaluated again, with their new rows
    const shifted = '\n' + commented;
    assert.equal(seen(analyze(shifted, { documentKey: key })), seen(analyze(shifted)));
    forgetPythonDocument(key);
  });

  it('a group whose import read a file is evaluated again when that file changes', () => {
    const key = '/groups/main.py';
    let blocks = 'import torch.nn as nn\nWIDTH = 4\n';
    const readFile = (path: string): string | undefined => (path === '/groups/blocks.py' ? blocks : undefined);
    const text = ['import torch', 'import torch.nn as nn', 'from blocks import WIDTH', 'a = nn.Linear(WIDTH, 2)', 'out = a(torch.randn(3, WIDTH))'].join('\n');
    const first = analyze(text, { documentKey: key, readFile });
    assert.equal(first.modules[0]!.counts.trainable, 4 * 2 + 2);
    blocks = 'import torch.nn as nn\nWIDTH = 16\n';
    const second = analyze(text, { documentKey: key, readFile });
    assert.equal(second.modules[0]!.counts.trainable, 16 * 2 + 2);
    forgetPythonDocument(key);
  });
});
