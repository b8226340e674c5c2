// A plain-JavaScript copy of the tree-sitter tree. Reading a web-tree-sitter Node crosses into
// WASM and allocates on every access; the interpreter reads nodes many times (inlined helper
// functions, unrolled loops), so the tree is copied once with a cursor. Top-level statements
// whose text and start column did not change since the previous version are reused as they
// are: their offsets are relative to the statement, so moving them costs one assignment.
import type { Language, Tree, TreeCursor } from 'web-tree-sitter';
import { lineStarts, positionAt } from '../lineIndex';

/** a top-level statement: the base its nodes' relative offsets hang from */
export interface Anchor {
  doc: DocText;
  /** absolute index and row of the statement's first character */
  index: number;
  row: number;
}

/** the document text and its line starts, shared by every node of one version */
export class DocText {
  private lineStarts: number[] | undefined;
  constructor(readonly text: string) {}

  /** 0-based row and UTF-16 column of an index */
  position(index: number): { row: number; column: number } {
    const { line, character } = positionAt((this.lineStarts ??= lineStarts(this.text)), index);
    return { row: line, column: character };
  }
}

export class SyntaxNode {
  parent: SyntaxNode | null = null;
  readonly children: SyntaxNode[] = [];
  /** field name of each child (null when none), parallel to `children` */
  readonly fields: (string | null)[] = [];
  private namedCache: SyntaxNode[] | undefined;

  constructor(
    readonly type: string,
    readonly isNamed: boolean,
    readonly anchor: Anchor,
    /** offsets relative to the anchor */
    private readonly relStart: number,
    private readonly relEnd: number,
  ) {}

  get startIndex(): number {
    return this.anchor.index + this.relStart;
  }

  get endIndex(): number {
    return this.anchor.index + this.relEnd;
  }

  get text(): string {
    return this.anchor.doc.text.slice(this.startIndex, this.endIndex);
  }

  get startPosition(): { row: number; column: number } {
    return this.anchor.doc.position(this.startIndex);
  }

  get endPosition(): { row: number; column: number } {
    return this.anchor.doc.position(this.endIndex);
  }

  get namedChildren(): SyntaxNode[] {
    return (this.namedCache ??= this.children.filter((c) => c.isNamed));
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  namedChild(i: number): SyntaxNode | null {
    return this.namedChildren[i] ?? null;
  }

  child(i: number): SyntaxNode | null {
    return this.children[i] ?? null;
  }

  childForFieldName(name: string): SyntaxNode | null {
    const i = this.fields.indexOf(name);
    return i < 0 ? null : this.children[i]!;
  }

  /** descendants (not the node itself) of the given types, in document order */
  descendantsOfType(types: string | readonly string[]): SyntaxNode[] {
    const wanted = typeof types === 'string' ? [types] : types;
    const out: SyntaxNode[] = [];
    const stack = [...this.children].reverse();
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (wanted.includes(n.type)) out.push(n);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    return out;
  }
}

/** top-level statements of the previous version, by start column and text */
export type StatementCache = Map<string, SyntaxNode>;

/**
 * Copy a tree; top-level statements found in `previous` (same text, same start column) are
 * reused. Returns the program node and the cache for the next version.
 */
export function copyTree(tree: Tree, text: string, previous?: StatementCache, skipped: ReadonlySet<string> = PUNCTUATION): { root: SyntaxNode; cache: StatementCache } {
  const doc = new DocText(text);
  const rootAnchor: Anchor = { doc, index: 0, row: 0 };
  const cursor = tree.walk();
  const cache: StatementCache = new Map();
  try {
    const root = new SyntaxNode(cursor.nodeType, true, rootAnchor, cursor.startIndex, cursor.endIndex);
    if (!cursor.gotoFirstChild()) return { root, cache };
    do {
      const start = cursor.startIndex;
      const end = cursor.endIndex;
      const pos = doc.position(start);
      const key = `${pos.column}:${text.slice(start, end)}`;
      let stmt = previous?.get(key);
      if (stmt && !cache.has(key)) {
        stmt.anchor.doc = doc;
        stmt.anchor.index = start;
        stmt.anchor.row = pos.row;
      } else {
        const anchor: Anchor = { doc, index: start, row: pos.row };
        stmt = copySubtree(cursor, anchor, tree.language, skipped);
      }
      cache.set(key, stmt);
      stmt.parent = root;
      root.children.push(stmt);
      root.fields.push(cursor.currentFieldName);
    } while (cursor.gotoNextSibling());
    return { root, cache };
  } finally {
    cursor.delete();
  }
}

/** punctuation the TypeScript interpreter never reads: not copied, which saves most cursor reads on it */
export const PUNCTUATION: ReadonlySet<string> = new Set(['(', ')', '[', ']', '{', '}', ',', ';', ':', '.', '=>', '=']);

interface TypeInfo {
  readonly type: string;
  readonly named: boolean;
}

/** type name and namedness per type id, read once per language */
const typeTables = new WeakMap<Language, TypeInfo[]>();

function typeInfo(language: Language, id: number): TypeInfo {
  let table = typeTables.get(language);
  if (!table) {
    table = [];
    typeTables.set(language, table);
  }
  let info = table[id];
  if (!info) {
    const type = language.types[id];
    info = type === undefined ? { type: 'ERROR', named: true } : { type, named: language.nodeTypeIsNamed(id) };
    table[id] = info;
  }
  return info;
}

/** copy the node under the cursor and its subtree; the cursor ends where it started */
function copySubtree(cursor: TreeCursor, anchor: Anchor, language: Language, skipped: ReadonlySet<string>): SyntaxNode {
  const base = anchor.index;
  const rootInfo = typeInfo(language, cursor.nodeTypeId);
  const top = new SyntaxNode(rootInfo.type, rootInfo.named, anchor, cursor.startIndex - base, cursor.endIndex - base);
  if (!cursor.gotoFirstChild()) return top;
  const stack: SyntaxNode[] = [top];
  for (;;) {
    const parent = stack[stack.length - 1]!;
    const info = typeInfo(language, cursor.nodeTypeId);
    if (info.named || !skipped.has(info.type)) {
      const node = new SyntaxNode(info.type, info.named, anchor, cursor.startIndex - base, cursor.endIndex - base);
      node.parent = parent;
      parent.children.push(node);
      parent.fields.push(cursor.currentFieldName);
      if (cursor.gotoFirstChild()) {
        stack.push(node);
        continue;
      }
    }
    while (!cursor.gotoNextSibling()) {
      cursor.gotoParent();
      stack.pop();
      if (stack.length === 0) return top;
    }
  }
}
