// The layering of server/src, read from its import statements (type-only imports included, since
// they tie modules together as much for a reader): no import cycles; the rules and analyses know
// no frontend; the core knows neither the language server nor VS Code.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = join(__dirname, '..', '..', 'server', 'src');
const CORE = join(SRC, 'core');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = sourceFiles(SRC);
const known = new Set(files);

/** every module a file names: import / export ... from, `import type`, bare imports, require, import() */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** a relative specifier -> the file under server/src it names; undefined for packages */
function resolveRelative(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  return [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((c) => known.has(c));
}

const edges = new Map(files.map((f) => [f, [...new Set(specifiers(f).flatMap((s) => resolveRelative(f, s) ?? []))]]));
const rel = (file: string): string => relative(SRC, file).split(sep).join('/');
const inside = (file: string, dir: string): boolean => file.startsWith(dir + sep);

/** Tarjan's strongly connected components, keeping those of more than one file (or a file importing itself) */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the cycle finder finds a cycle, and only the cycle', () => {
  const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['e']]]);
  assert.deepEqual(cycles(graph).map((c) => c.sort()), [['a', 'b', 'c'], ['e']]);
});

test('server/src has no import cycles, type imports included', () => {
  assert.ok(files.length > 50, `only ${files.length} files found under ${SRC}`);
  const found = cycles(edges).map((c) => `cycle of ${c.length} files: ${c.map(rel).sort().join(', ')}`);
  assert.deepEqual(found, []);
});

const TABLE = join(CORE, 'frontends.ts');

/** the folders the registration table takes its frontends from (dsl/, tfjs/, ...), and python/ before it is registered */
function frontendFolders(): string[] {
  const folders = (edges.get(TABLE) ?? []).filter((f) => dirname(f) !== CORE).map((f) => dirname(f));
  return [...new Set([...folders, join(CORE, 'python')])];
}

test('the rules and the analyses import no frontend, nor the table of them', () => {
  const folders = frontendFolders();
  assert.ok(folders.includes(join(CORE, 'dsl')) && folders.includes(join(CORE, 'tfjs')), `frontend folders: ${folders.map(rel).join(', ')}`);
  const wrong: string[] = [];
  for (const [file, targets] of edges) {
    if (!inside(file, join(CORE, 'rules')) && !inside(file, join(CORE, 'analysis'))) continue;
    for (const target of targets) if (target === TABLE || folders.some((d) => inside(target, d))) wrong.push(`${rel(file)} -> ${rel(target)}`);
  }
  assert.deepEqual(wrong, []);
});

test('the core imports neither the language server nor VS Code', () => {
  const wrong: string[] = [];
  for (const file of files.filter((f) => inside(f, CORE))) {
    for (const spec of specifiers(file)) {
      const target = resolveRelative(file, spec);
      const lsp = target !== undefined && inside(target, join(SRC, 'lsp'));
      if (lsp || /^vscode($|-)/.test(spec)) wrong.push(`${rel(file)} -> ${spec}`);
    }
  }
  assert.deepEqual(wrong, []);
});
