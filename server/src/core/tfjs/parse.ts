// web-tree-sitter loading and the per-document tree cache. The language server hands us
// whole texts without edit info, so the edit is recovered by diffing the previous text
// (common prefix / suffix) and the old tree is re-parsed incrementally.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser, type Edit, type Point, type Tree } from 'web-tree-sitter';
import type { StatementCache } from './syntax';

export type Dialect = 'typescript' | 'tsx' | 'python';

interface Runtime {
  readonly parser: Parser;
  readonly languages: Readonly<Record<Dialect, Language>>;
}

let runtime: Runtime | undefined;
let initializing: Promise<void> | undefined;

const GRAMMAR_FILES: Readonly<Record<Dialect, { file: string; packageName: string }>> = {
  typescript: { file: 'tree-sitter-typescript.wasm', packageName: 'tree-sitter-typescript' },
  tsx: { file: 'tree-sitter-tsx.wasm', packageName: 'tree-sitter-typescript' },
  python: { file: 'tree-sitter-python.wasm', packageName: 'tree-sitter-python' },
};

/** where a wasm file lies: the given folder, next to the bundle (dist/), or in node_modules */
function locate(file: string, packageName: string, wasmDir?: string): string {
  for (const dir of [wasmDir, __dirname]) {
    if (dir && existsSync(join(dir, file))) return join(dir, file);
  }
  return require.resolve(`${packageName}/${file}`);
}

/** Load the tree-sitter runtime and grammars (TypeScript, TSX, Python) once; analyzeDocument stays synchronous afterwards. */
export function initTfjsFrontend(wasmDir?: string): Promise<void> {
  if (runtime) return Promise.resolve();
  initializing ??= (async () => {
    const runtimeWasm = locate('tree-sitter.wasm', 'web-tree-sitter', wasmDir);
    await Parser.init({ locateFile: () => runtimeWasm });
    const load = (d: Dialect): Promise<Language> => Language.load(locate(GRAMMAR_FILES[d].file, GRAMMAR_FILES[d].packageName, wasmDir));
    const [typescript, tsx, python] = await Promise.all([load('typescript'), load('tsx'), load('python')]);
    runtime = { parser: new Parser(), languages: { typescript, tsx, python } };
  })();
  initializing.catch(() => {
    initializing = undefined;
  });
  return initializing;
}

export function isTfjsFrontendReady(): boolean {
  return runtime !== undefined;
}

interface CachedTree {
  text: string;
  dialect: Dialect;
  tree: Tree;
  /** the copied top-level statements of this version, reused by the next one */
  statements?: StatementCache;
}

/** documents whose trees are kept between versions; the oldest are dropped past the limit */
const MAX_CACHED_DOCUMENTS = 32;
const cache = new Map<string, CachedTree>();

export interface ParsedDocument {
  readonly tree: Tree;
  /** the edit applied to the previous tree, when the parse was incremental */
  readonly edit?: Edit;
  /** the previous text of this document when the parse was incremental */
  readonly previousText?: string;
  /** copied statements of the previous version (see syntax.ts) */
  readonly statements?: StatementCache;
  /** keep this version's copied statements for the next one */
  keepStatements(statements: StatementCache): void;
  /** free the tree if nobody caches it */
  release(): void;
}

/**
 * Parse `text`; with a document key the previous tree of that document is reused through an
 * incremental re-parse. Returns undefined before initTfjsFrontend has finished.
 */
export function parseDocument(text: string, dialect: Dialect, documentKey?: string): ParsedDocument | undefined {
  if (!runtime) return undefined;
  const { parser, languages } = runtime;
  parser.setLanguage(languages[dialect]);
  const previous = documentKey === undefined ? undefined : cache.get(documentKey);
  if (previous && previous.dialect === dialect) {
    const keep = (statements: StatementCache): void => {
      previous.statements = statements;
    };
    const old = previous.statements;
    if (previous.text === text) return { tree: previous.tree, previousText: text, ...(old ? { statements: old } : {}), keepStatements: keep, release: noop };
    const edit = diffEdit(previous.text, text);
    previous.tree.edit(edit);
    const tree = parser.parse(text, previous.tree);
    if (tree) {
      previous.tree.delete();
      const previousText = previous.text;
      previous.tree = tree;
      previous.text = text;
      // refresh LRU order
      cache.delete(documentKey!);
      cache.set(documentKey!, previous);
      return { tree, edit, previousText, ...(old ? { statements: old } : {}), keepStatements: keep, release: noop };
    }
  }
  if (previous) forgetDocument(documentKey!);
  const tree = parser.parse(text);
  if (!tree) return undefined;
  if (documentKey === undefined) return { tree, keepStatements: noop, release: () => tree.delete() };
  const entry: CachedTree = { text, dialect, tree };
  cache.set(documentKey, entry);
  while (cache.size > MAX_CACHED_DOCUMENTS) forgetDocument(cache.keys().next().value!);
  return {
    tree,
    keepStatements: (statements) => {
      entry.statements = statements;
    },
    release: noop,
  };
}

/** drop a closed document's tree */
export function forgetDocument(documentKey: string): void {
  const entry = cache.get(documentKey);
  if (!entry) return;
  entry.tree.delete();
  cache.delete(documentKey);
}

function noop(): void {}

/** the single edit that turns `before` into `after`: common prefix and suffix kept */
export function diffEdit(before: string, after: string): Edit {
  const limit = Math.min(before.length, after.length);
  let start = commonPrefix(before, after, limit);
  let tail = commonSuffix(before, after, limit - start);
  // keep surrogate pairs whole
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--;
  if (tail > 0 && isLowSurrogate(before.charCodeAt(before.length - tail))) tail--;
  const oldEnd = before.length - tail;
  const newEnd = after.length - tail;
  const startPosition = pointAt(before, start);
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition,
    oldEndPosition: advance(startPosition, before, start, oldEnd),
    newEndPosition: advance(startPosition, after, start, newEnd),
  };
}

/** block-wise comparison first (native string equality), then character by character */
const BLOCK = 256;

function commonPrefix(a: string, b: string, limit: number): number {
  let i = 0;
  while (i + BLOCK <= limit && a.slice(i, i + BLOCK) === b.slice(i, i + BLOCK)) i += BLOCK;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffix(a: string, b: string, limit: number): number {
  let n = 0;
  while (n + BLOCK <= limit && a.slice(a.length - n - BLOCK, a.length - n) === b.slice(b.length - n - BLOCK, b.length - n)) n += BLOCK;
  while (n < limit && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++;
  return n;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function pointAt(text: string, index: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

function advance(from: Point, text: string, start: number, end: number): Point {
  let { row, column } = from;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      row++;
      column = 0;
    } else {
      column++;
    }
  }
  return { row, column };
}
