// Grammar-aware mutations of a seed text. A mutation is plain data drawn by fast-check (so it
// shrinks and replays from a seed) and is resolved against the seed's own pieces:
// - TypeScript / JavaScript / Python: the syntax nodes of the tree-sitter tree the server's
//   parsers build (tfjs/parse.ts), so a mutation deletes, duplicates or swaps whole expressions,
//   statements, argument lists, and replaces numbers and identifiers with others of the file or
//   with extreme values;
// - .nnm: its tokens (the same split as test/unit/robustness.test.ts uses), plus the language's
//   vocabulary.
// The edits of one case are resolved against the unmutated seed and applied back to front, skipping
// any that overlap an earlier one, so each stays meaningful.
import fc from 'fast-check';
import type { Node } from 'web-tree-sitter';
import type { SourceLanguage } from '../../server/src/core/frontend';
import { parseDocument, type Dialect } from '../../server/src/core/tfjs/parse';
import type { Seed } from './corpus';

/** a piece of the seed a mutation can act on: a syntax node or a .nnm token */
export interface Piece {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

export interface Pieces {
  readonly all: readonly Piece[];
  readonly byType: ReadonlyMap<string, readonly Piece[]>;
  readonly numbers: readonly Piece[];
  readonly identifiers: readonly Piece[];
}

export type MutationKind = 'delete' | 'duplicate' | 'swap' | 'number' | 'identifier' | 'extreme' | 'insert';

export interface Mutation {
  readonly kind: MutationKind;
  /** which piece (modulo the count of candidates) */
  readonly at: number;
  /** which other piece, for swap / number / identifier */
  readonly other: number;
  /** which extreme value or vocabulary token (modulo their count) */
  readonly value: number;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>('delete', 'duplicate', 'swap', 'number', 'identifier', 'extreme', 'insert'),
  at: fc.nat(),
  other: fc.nat(),
  value: fc.nat(),
});

/** values that overflow, underflow or make NaN, spelled in each language */
const EXTREMES: Readonly<Record<'nnm' | 'ts' | 'py', readonly string[]>> = {
  nnm: ['0', '-1', '1e12', '9007199254740992', '9007199254740993', '99999999999999999999', '1e30', '1e308', '-0', '0.5', '2147483648'],
  ts: ['0', '-1', '1e12', '2 ** 53', '2 ** 64', '9007199254740993', '1e308 * 10', '0 / 0', 'NaN', 'Infinity', '-Infinity', 'Number.MAX_VALUE', '-0', '0.5', 'undefined', 'null'],
  py: ['0', '-1', '10**12', '2**53', '2**64', '9007199254740993', '1e308 * 10', "float('nan')", "float('inf')", '-0', '0.5', 'None', '10**10**10'],
};

/** .nnm vocabulary for insertions (keywords, ops, punctuation) */
const NNM_VOCAB = [
  'model', 'block', 'config', 'return', 'repeat', 'input', 'conv2d', 'dense', 'relu', 'batchnorm', 'add', 'concat', 'maxpool',
  'flatten', 'reshape', 'lstm', 'attention', 'embedding', 'layernorm', 'kernel', 'stride', 'groups', 'batch', 'device',
  'optimizer', 'inplace', 'true', 'x', '(', ')', '{', '}', '[', ']', ',', ':', '=', '\n', ' ', '16GiB',
];
/** TypeScript / Python tokens for insertions: brackets and keywords that unbalance a tree */
const CODE_VOCAB: Readonly<Record<'ts' | 'py', readonly string[]>> = {
  ts: ['(', ')', '{', '}', '[', ']', ',', ';', '=>', 'return ', 'async ', 'await ', 'new ', '...', '?.', '\n', 'function f(x) { return f(x); }\n', 'tf.layers.dense({units: 1e12})'],
  py: ['(', ')', '[', ']', ',', ':', '\n', '    ', 'return ', 'lambda x: ', '*', '**', 'yield ', 'def f(x):\n    return f(x)\n', 'nn.Linear(10**12, 10**12)'],
};

const NNM_TOKEN = /\s+|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:e\d+)?[A-Za-z]*|[=!<>]=|\S/g;

function dialectOf(language: SourceLanguage): Dialect {
  return language === 'python' ? 'python' : 'typescript';
}

function group(all: Piece[], isNumber: (p: Piece) => boolean, isIdentifier: (p: Piece) => boolean): Pieces {
  const byType = new Map<string, Piece[]>();
  for (const p of all) {
    const list = byType.get(p.type);
    if (list) list.push(p);
    else byType.set(p.type, [p]);
  }
  return { all, byType, numbers: all.filter(isNumber), identifiers: all.filter(isIdentifier) };
}

function nnmPieces(text: string): Pieces {
  const all: Piece[] = [];
  for (const m of text.matchAll(NNM_TOKEN)) {
    const tok = m[0];
    if (/^\s/.test(tok)) continue;
    const type = /^\d/.test(tok) ? 'number' : /^[A-Za-z_]/.test(tok) ? 'identifier' : /^#/.test(tok) ? 'comment' : tok;
    all.push({ type, start: m.index, end: m.index + tok.length });
  }
  return group(all, (p) => p.type === 'number', (p) => p.type === 'identifier');
}

function treePieces(text: string, dialect: Dialect): Pieces {
  const parsed = parseDocument(text, dialect);
  if (!parsed) throw new Error('the tree-sitter parsers are not loaded (await initTfjsFrontend())');
  const all: Piece[] = [];
  const stack: Node[] = [parsed.tree.rootNode];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.parent) all.push({ type: node.type, start: node.startIndex, end: node.endIndex });
    for (let i = node.namedChildCount - 1; i >= 0; i--) stack.push(node.namedChild(i)!);
  }
  parsed.release();
  all.sort((a, b) => a.start - b.start || b.end - a.end);
  const numeric = new Set(['number', 'integer', 'float']);
  const named = new Set(['identifier', 'property_identifier', 'shorthand_property_identifier', 'type_identifier']);
  return group(all, (p) => numeric.has(p.type), (p) => named.has(p.type));
}

/** the pieces of a seed, computed once per seed (parsing is the costly part) */
export function piecesOf(seed: Seed): Pieces {
  return seed.language === 'nnm' ? nnmPieces(seed.text) : treePieces(seed.text, dialectOf(seed.language));
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function pick<T>(list: readonly T[], index: number): T | undefined {
  return list.length === 0 ? undefined : list[index % list.length];
}

function editFor(seed: Seed, pieces: Pieces, m: Mutation): Edit | undefined {
  const flavour = seed.language === 'nnm' ? 'nnm' : seed.language === 'python' ? 'py' : 'ts';
  const slice = (p: Piece): string => seed.text.slice(p.start, p.end);
  switch (m.kind) {
    case 'delete': {
      const p = pick(pieces.all, m.at);
      return p && { start: p.start, end: p.end, text: '' };
    }
    case 'duplicate': {
      const p = pick(pieces.all, m.at);
      // a statement is repeated on its own line, an expression next to itself
      return p && { start: p.end, end: p.end, text: (flavour === 'py' && p.type.endsWith('statement') ? '\n' : ' ') + slice(p) };
    }
    case 'swap': {
      const p = pick(pieces.all, m.at);
      const other = p && pick(pieces.byType.get(p.type) ?? [], m.other);
      return p && other && { start: p.start, end: p.end, text: slice(other) };
    }
    case 'number': {
      const p = pick(pieces.numbers, m.at);
      const other = pick(pieces.numbers, m.other);
      return p && other && { start: p.start, end: p.end, text: slice(other) };
    }
    case 'identifier': {
      const p = pick(pieces.identifiers, m.at);
      const other = pick(pieces.identifiers, m.other);
      return p && other && { start: p.start, end: p.end, text: slice(other) };
    }
    case 'extreme': {
      // a number, else any piece, becomes an extreme value
      const p = pick(pieces.numbers, m.at) ?? pick(pieces.all, m.at);
      const value = pick(EXTREMES[flavour], m.value)!;
      return p && { start: p.start, end: p.end, text: flavour === 'nnm' ? value : `(${value})` };
    }
    case 'insert': {
      const vocab = flavour === 'nnm' ? NNM_VOCAB : CODE_VOCAB[flavour];
      const at = seed.text.length === 0 ? 0 : m.at % (seed.text.length + 1);
      return { start: at, end: at, text: pick(vocab, m.value)! };
    }
  }
}

/** the seed's text with the mutations applied (overlapping ones skipped) */
export function mutate(seed: Seed, pieces: Pieces, mutations: readonly Mutation[]): string {
  const edits = mutations.map((m) => editFor(seed, pieces, m)).filter((e): e is Edit => e !== undefined);
  const kept: Edit[] = [];
  for (const e of edits) {
    if (kept.every((k) => e.end < k.start || e.start > k.end)) kept.push(e);
  }
  kept.sort((a, b) => b.start - a.start);
  let text = seed.text;
  for (const e of kept) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}
