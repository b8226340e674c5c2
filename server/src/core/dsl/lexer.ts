// Tokenizer for .nnm. Positions are 0-based lines and UTF-16 columns (JS string indices),
// as LSP wants them. Never throws: bad characters become one diagnostic per run and are skipped.
import type { CoreDiagnostic, Position, SourceRange } from '../ir';
import { sizeUnitFactor } from '../units';
import { diag } from './codes';
import { SourceLines } from './source';

export type TokenKind = 'ident' | 'int' | 'real' | 'size' | 'string' | 'punct' | 'newline' | 'eof';

/**
 * A token; flat fields keep it small, `range` is built on demand (diagnostics only: the syntax
 * tree keeps offsets). Fields are `declare`d and assigned in the constructor: declared class
 * fields would be defined as undefined first and then assigned again. The parser hands tokens
 * well behind its cursor back to the lexer (`recycle`), which refills them: a large file's
 * 800k tokens are a few thousand objects.
 */
export class Token {
  declare kind: TokenKind;
  /** source text (for strings: the decoded value) */
  declare text: string;
  /** offsets into the source */
  declare start: number;
  declare end: number;
  declare line: number;
  declare character: number;
  /** numbers: the value; sizes: bytes (NaN when not exactly countable) */
  declare value: number | undefined;

  constructor(kind: TokenKind, text: string, start: number, end: number, line: number, character: number, value: number | undefined) {
    this.kind = kind;
    this.text = text;
    this.start = start;
    this.end = end;
    this.line = line;
    this.character = character;
    this.value = value;
  }

  get range(): SourceRange {
    return { start: this.startPos, end: this.endPos };
  }

  get startPos(): Position {
    return { line: this.line, character: this.character };
  }

  get endPos(): Position {
    // tokens never span lines: the end column follows from the length
    return { line: this.line, character: this.character + (this.end - this.start) };
  }
}

export interface Comment {
  readonly line: number;
  readonly text: string;
}

export interface LexResult {
  readonly tokens: Token[];
  readonly comments: Comment[];
  readonly diagnostics: CoreDiagnostic[];
}

/** punctuation by character code: one table lookup per token instead of a string and a set lookup */
const PUNCT1: (string | undefined)[] = [];
for (const p of ['(', ')', '{', '}', '[', ']', ',', ':', '=', '?', '+', '-', '*', '/', '%', '<', '>']) PUNCT1[p.charCodeAt(0)] = p;
/** `<=`, `>=`, `==`, `!=` by the code of their first character */
const PUNCT2_BEFORE_EQ: (string | undefined)[] = [];
for (const p of ['<=', '>=', '==', '!=']) PUNCT2_BEFORE_EQ[p.charCodeAt(0)] = p;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function textHash(text: string, start: number, end: number): number {
  let hash = 0;
  for (let k = start; k < end; k++) hash = (Math.imul(hash, 31) + text.charCodeAt(k)) | 0;
  return hash;
}

/**
 * The texts of names and numbers, one string per distinct text: a model repeats a few names
 * (`x`, `relu`, `64`) thousands of times, and the tree keeps them. Found by a hash of the
 * characters (open addressing), so a repeated name costs no slice of the source.
 */
class Interned {
  private strings: (string | undefined)[];
  /** plain arrays: typed ones cost more to allocate than a small document takes to lex */
  private hashes: number[];
  private count = 0;

  /** sized for the text (about one distinct name per 64 characters): a large file grows the table less often */
  constructor(textLength: number) {
    let size = 128;
    while (size < textLength / 64) size *= 2;
    this.strings = emptySlots(size, undefined);
    this.hashes = emptySlots(size, 0);
  }

  intern(text: string, start: number, end: number, hash: number): string {
    const strings = this.strings;
    const mask = strings.length - 1;
    const length = end - start;
    for (let k = hash & mask; ; k = (k + 1) & mask) {
      const s = strings[k];
      if (s === undefined) break;
      if (this.hashes[k] === hash && s.length === length && sameText(s, text, start)) return s;
    }
    const s = text.slice(start, end);
    if (++this.count * 2 > strings.length) this.grow();
    this.put(s, hash);
    return s;
  }

  private put(s: string, hash: number): void {
    const mask = this.strings.length - 1;
    let k = hash & mask;
    while (this.strings[k] !== undefined) k = (k + 1) & mask;
    this.strings[k] = s;
    this.hashes[k] = hash;
  }

  private grow(): void {
    const old = this.strings;
    const oldHashes = this.hashes;
    this.strings = emptySlots(old.length * 2, undefined);
    this.hashes = emptySlots(old.length * 2, 0);
    for (let k = 0; k < old.length; k++) if (old[k] !== undefined) this.put(old[k]!, oldHashes[k]!);
  }
}

/** `size` slots holding `empty` (Array.fill is slow on short arrays, pushes on long ones) */
function emptySlots<T>(size: number, empty: T): T[] {
  if (size > 1024) return new Array<T>(size).fill(empty);
  const out: T[] = [];
  for (let k = 0; k < size; k++) out.push(empty);
  return out;
}

function sameText(s: string, text: string, start: number): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) !== text.charCodeAt(start + k)) return false;
  return true;
}

/** everything at once (tests, tools); the parser pulls tokens one by one from a Lexer */
export function lex(text: string): LexResult {
  const lexer = new Lexer(text);
  const tokens: Token[] = [];
  for (;;) {
    const t = lexer.next();
    tokens.push(t);
    if (t.kind === 'eof') break;
  }
  return { tokens, comments: lexer.comments, diagnostics: lexer.diagnostics };
}

/**
 * A pull tokenizer: tokens are made as the parser asks for them, so a large file's tokens die
 * young instead of being held all at once. Diagnostics go to `diagnostics` as they are found.
 */
export class Lexer {
  readonly comments: Comment[] = [];
  private i = 0;
  private line = 0;
  private lineStart = 0;
  private junkStart = -1;
  private readonly n: number;
  private readonly names: Interned;
  /** the line starts met so far: syntax-tree nodes turn their offsets into positions with it */
  readonly lines: SourceLines;

  constructor(
    private readonly text: string,
    readonly diagnostics: CoreDiagnostic[] = [],
  ) {
    this.n = text.length;
    this.lines = new SourceLines(text.length);
    this.names = new Interned(text.length);
  }

  private pos(offset: number): Position {
    return { line: this.line, character: offset - this.lineStart };
  }

  /** tokens the parser no longer reads */
  private readonly spare: Token[] = [];

  /** take back tokens no one reads any more, to be refilled by next() */
  recycle(tokens: readonly Token[], from: number, to: number, keep: Token): void {
    for (let k = from; k < to; k++) if (tokens[k] !== keep) this.spare.push(tokens[k]!);
  }

  // tokens never span lines (a \r\n newline token ends where the next line starts; its range is unused)
  private make(kind: TokenKind, start: number, end: number, tokText: string, value?: number): Token {
    const t = this.spare.pop();
    if (t === undefined) return new Token(kind, tokText, start, end, this.line, start - this.lineStart, value);
    t.kind = kind;
    t.text = tokText;
    t.start = start;
    t.end = end;
    t.line = this.line;
    t.character = start - this.lineStart;
    t.value = value;
    return t;
  }

  private flushJunk(end: number): void {
    const junkStart = this.junkStart;
    if (junkStart < 0) return;
    const shown = this.text.slice(junkStart, Math.min(end, junkStart + 12));
    this.diagnostics.push(
      diag('invalidToken', { start: this.pos(junkStart), end: this.pos(end) }, `unexpected character${end - junkStart > 1 ? 's' : ''} ${JSON.stringify(shown)}${end - junkStart > 12 ? '...' : ''}`),
    );
    this.junkStart = -1;
  }

  next(): Token {
    const text = this.text;
    const n = this.n;
    while (this.i < n) {
      const i = this.i;
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        this.flushJunk(i);
        const len = c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
        const t = this.make('newline', i, i + len, '\n');
        this.i = i + len;
        this.line++;
        this.lineStart = this.i;
        this.lines.starts.push(this.i);
        return t;
      }
      if (c === 32 || c === 9 || c === 12 || c === 0xfeff) {
        this.flushJunk(i);
        let j = i + 1;
        for (let d = text.charCodeAt(j); d === 32 || d === 9 || d === 12 || d === 0xfeff; d = text.charCodeAt(++j));
        this.i = j;
        continue;
      }
      if (c === 35 /* # */) {
        this.flushJunk(i);
        let j = i + 1;
        while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
        this.comments.push({ line: this.line, text: text.slice(i + 1, j) });
        this.i = j;
        continue;
      }
      if (isIdentStart(c)) {
        this.flushJunk(i);
        let j = i + 1;
        let hash = c;
        for (let d = text.charCodeAt(j); j < n && isIdentPart(d); d = text.charCodeAt(++j)) hash = (Math.imul(hash, 31) + d) | 0;
        this.i = j;
        return this.make('ident', i, j, this.names.intern(text, i, j, hash));
      }
      if (isDigit(c)) {
        this.flushJunk(i);
        const t = this.lexNumber(i);
        if (t) return t;
        continue;
      }
      if (c === 34 /* " */) {
        this.flushJunk(i);
        return this.lexString(i);
      }
      if (c < 128) {
        const two = text.charCodeAt(i + 1) === 61 /* = */ ? PUNCT2_BEFORE_EQ[c] : undefined;
        if (two !== undefined) {
          this.flushJunk(i);
          this.i = i + 2;
          return this.make('punct', i, i + 2, two);
        }
        const one = PUNCT1[c];
        if (one !== undefined) {
          this.flushJunk(i);
          this.i = i + 1;
          return this.make('punct', i, i + 1, one);
        }
      }
      if (this.junkStart < 0) this.junkStart = i;
      this.i++;
    }
    this.flushJunk(n);
    return this.make('eof', n, n, '');
  }

  /** a number or size token, or undefined (and a diagnostic) for a malformed one */
  private lexNumber(start: number): Token | undefined {
    const src = this.text;
    const n = this.n;
    let j = start;
    while (j < n && isDigit(src.charCodeAt(j))) j++;
    let isInt = true;
    if (src[j] === '.' && isDigit(src.charCodeAt(j + 1))) {
      isInt = false;
      j++;
      while (j < n && isDigit(src.charCodeAt(j))) j++;
    }
    // exponent: e, optional sign, at least one digit
    if ((src[j] === 'e' || src[j] === 'E') && (isDigit(src.charCodeAt(j + 1)) || ((src[j + 1] === '+' || src[j + 1] === '-') && isDigit(src.charCodeAt(j + 2))))) {
      isInt = false;
      j += 2;
      while (j < n && isDigit(src.charCodeAt(j))) j++;
    }
    if (j < n && isIdentStart(src.charCodeAt(j))) {
      const numText = src.slice(start, j);
      let k = j;
      while (k < n && isIdentPart(src.charCodeAt(k))) k++;
      this.i = k;
      const unit = src.slice(j, k);
      const factor = sizeUnitFactor(unit);
      if (factor === undefined) {
        this.diagnostics.push(
          diag('invalidToken', { start: this.pos(start), end: this.pos(k) }, `'${src.slice(start, k)}' is not a number or a size (size units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`),
        );
        return undefined;
      }
      const bytes = Math.round(Number(numText) * factor);
      return this.make('size', start, k, src.slice(start, k), Number.isSafeInteger(bytes) ? bytes : Number.NaN);
    }
    this.i = j;
    const numText = this.names.intern(src, start, j, textHash(src, start, j));
    return this.make(isInt ? 'int' : 'real', start, j, numText, Number(numText));
  }

  private lexString(start: number): Token {
    const src = this.text;
    const n = this.n;
    let j = start + 1;
    let value = '';
    while (j < n) {
      const ch = src[j]!;
      if (ch === '"') {
        this.i = j + 1;
        return this.make('string', start, j + 1, value);
      }
      if (ch === '\n' || ch === '\r') break;
      if (ch === '\\' && j + 1 < n && src[j + 1] !== '\n') {
        const e = src[j + 1]!;
        value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        j += 2;
        continue;
      }
      value += ch;
      j++;
    }
    this.diagnostics.push(diag('invalidToken', { start: this.pos(start), end: this.pos(j) }, 'unterminated string (a string ends with " on the same line)'));
    this.i = j;
    return this.make('string', start, j, value);
  }
}
