// Tokenizer for .nnm. Positions are 0-based lines and UTF-16 columns (JS string indices),
// as LSP wants them. Never throws: bad characters become one diagnostic per run and are skipped.
import type { CoreDiagnostic, Position, SourceRange } from '../ir';
import { sizeUnitFactor } from '../units';
import { diag } from './codes';

export type TokenKind = 'ident' | 'int' | 'real' | 'size' | 'string' | 'punct' | 'newline' | 'eof';

/** a token; flat fields keep a large file's token list small, `range` is built on demand */
export class Token {
  constructor(
    readonly kind: TokenKind,
    /** source text (for strings: the decoded value) */
    readonly text: string,
    /** offsets into the source */
    readonly start: number,
    readonly end: number,
    readonly line: number,
    readonly character: number,
    readonly endCharacter: number,
    /** numbers: the value; sizes: bytes (NaN when not exactly countable) */
    readonly value: number | undefined,
  ) {}

  get range(): SourceRange {
    return { start: this.startPos, end: this.endPos };
  }

  get startPos(): Position {
    return { line: this.line, character: this.character };
  }

  get endPos(): Position {
    return { line: this.line, character: this.endCharacter };
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

const PUNCT2 = new Set(['<=', '>=', '==', '!=']);
const PUNCT1 = new Set(['(', ')', '{', '}', '[', ']', ',', ':', '=', '?', '+', '-', '*', '/', '%', '<', '>']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const diagnostics: CoreDiagnostic[] = [];
  let line = 0;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  const pos = (offset: number) => ({ line, character: offset - lineStart });
  // tokens never span lines (a \r\n newline token ends where the next line starts; its range is unused)
  const push = (kind: TokenKind, start: number, end: number, tokText: string, value?: number) => {
    tokens.push(new Token(kind, tokText, start, end, line, start - lineStart, end - lineStart, value));
  };
  let junkStart = -1;
  const flushJunk = (end: number) => {
    if (junkStart < 0) return;
    const shown = text.slice(junkStart, Math.min(end, junkStart + 12));
    diagnostics.push(
      diag('invalidToken', { start: pos(junkStart), end: pos(end) }, `unexpected character${end - junkStart > 1 ? 's' : ''} ${JSON.stringify(shown)}${end - junkStart > 12 ? '...' : ''}`),
    );
    junkStart = -1;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      flushJunk(i);
      const len = c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      push('newline', i, i + len, '\n');
      i += len;
      line++;
      lineStart = i;
      continue;
    }
    if (c === 32 || c === 9 || c === 12 || c === 0xfeff) {
      flushJunk(i);
      i++;
      continue;
    }
    if (c === 35 /* # */) {
      flushJunk(i);
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
      comments.push({ line, text: text.slice(i + 1, j) });
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      flushJunk(i);
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      push('ident', i, j, text.slice(i, j));
      i = j;
      continue;
    }
    if (isDigit(c)) {
      flushJunk(i);
      i = lexNumber(text, i);
      continue;
    }
    if (c === 34 /* " */) {
      flushJunk(i);
      i = lexString(text, i);
      continue;
    }
    const two = text.charCodeAt(i + 1) === 61 /* = */ ? text.slice(i, i + 2) : '';
    if (two !== '' && PUNCT2.has(two)) {
      flushJunk(i);
      push('punct', i, i + 2, two);
      i += 2;
      continue;
    }
    const one = text[i]!;
    if (PUNCT1.has(one)) {
      flushJunk(i);
      push('punct', i, i + 1, one);
      i++;
      continue;
    }
    if (junkStart < 0) junkStart = i;
    i++;
  }
  flushJunk(n);
  push('eof', n, n, '');
  return { tokens, comments, diagnostics };

  function lexNumber(src: string, start: number): number {
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
    const numText = src.slice(start, j);
    if (j < n && isIdentStart(src.charCodeAt(j))) {
      let k = j;
      while (k < n && isIdentPart(src.charCodeAt(k))) k++;
      const unit = src.slice(j, k);
      const factor = sizeUnitFactor(unit);
      if (factor === undefined) {
        diagnostics.push(
          diag('invalidToken', { start: pos(start), end: pos(k) }, `'${src.slice(start, k)}' is not a number or a size (size units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`),
        );
        return k;
      }
      const bytes = Math.round(Number(numText) * factor);
      push('size', start, k, src.slice(start, k), Number.isSafeInteger(bytes) ? bytes : Number.NaN);
      return k;
    }
    push(isInt ? 'int' : 'real', start, j, numText, Number(numText));
    return j;
  }

  function lexString(src: string, start: number): number {
    let j = start + 1;
    let value = '';
    while (j < n) {
      const ch = src[j]!;
      if (ch === '"') {
        push('string', start, j + 1, value);
        return j + 1;
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
    diagnostics.push(diag('invalidToken', { start: pos(start), end: pos(j) }, 'unterminated string (a string ends with " on the same line)'));
    push('string', start, j, value);
    return j;
  }
}
