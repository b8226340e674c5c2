// Token access, recovery and expressions of the .nnm parser (items and statements: parser.ts).
// Never throws out of the parser: a broken expression is reported, then unwinds (Bail) to its
// statement, which recovers; nesting deeper than MAX_EXPR_DEPTH ends in a diagnostic.
import type { CoreDiagnostic, SourceRange } from '../ir';
import { Arg, Binary, BoolLit, Call, ErrorExpr, Ident, ListExpr, NumberLit, Repeat, SizeLit, StringLit, Ternary, Unary, type BinaryOp, type Expr } from './ast';
import { diag } from './codes';
import type { Lexer, Token } from './lexer';
import type { SourceLines } from './source';

/** deepest expression nesting (parentheses, operators, chains) the parser accepts */
export const MAX_EXPR_DEPTH = 200;

export const KEYWORDS = new Set(['config', 'block', 'model', 'return', 'repeat', 'and', 'or', 'not', 'true', 'false']);

/** thrown inside the parser only: unwinds a broken expression (already reported) to its statement */
export class Bail {}

export class ExprParser {
  /** index of the current token in the stream */
  protected i = 0;
  /** open ( and [: newlines inside them are insignificant */
  protected bracket = 0;
  protected depth = 0;
  protected prev: Token;
  /** a window of the token stream: tokens [base, base + buf.length) */
  private buf: Token[] = [];
  private base = 0;
  /**
   * Arguments of the calls being parsed, innermost on top: each call copies its own out at the
   * exact size, so no growing array per call is made and dropped. A named argument's Arg is kept
   * at its position in `namedStack`.
   */
  private readonly argStack: Expr[] = [];
  private readonly namedStack: (Arg | undefined)[] = [];
  private argTop = 0;
  readonly diagnostics: CoreDiagnostic[];
  /** what nodes turn their offsets into positions with */
  protected readonly lines: SourceLines;

  constructor(
    protected readonly text: string,
    protected readonly lexer: Lexer,
  ) {
    this.diagnostics = lexer.diagnostics;
    this.lines = lexer.lines;
    this.prev = this.tok(0);
  }

  /** the token at stream index k (k >= base), lexing on demand */
  protected tok(k: number): Token {
    while (k >= this.base + this.buf.length) this.buf.push(this.lexer.next());
    return this.buf[k - this.base]!;
  }

  /** forget tokens well behind the cursor (the parser looks back one token at most) */
  private trim(): void {
    const behind = this.i - this.base;
    if (behind > 4096) {
      const drop = behind - 8;
      // no one holds these (the parser keeps offsets, not tokens, past a few tokens); `prev` may lie further back
      this.lexer.recycle(this.buf, 0, drop, this.prev);
      // moved down in place: splice would also build an array of the dropped tokens
      this.buf.copyWithin(0, drop);
      this.buf.length -= drop;
      this.base += drop;
    }
  }

  protected peek(): Token {
    if (this.bracket > 0) while (this.tok(this.i).kind === 'newline') this.i++;
    return this.tok(this.i);
  }

  protected peekAt(k: number): Token {
    let j = this.i;
    let seen = 0;
    for (;;) {
      const t = this.tok(j);
      if (t.kind === 'eof') return t;
      if (!(this.bracket > 0 && t.kind === 'newline')) {
        if (seen === k) return t;
        seen++;
      }
      j++;
    }
  }

  protected next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    this.prev = t;
    if (this.i - this.base > 4096) this.trim();
    return t;
  }

  protected is(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }

  protected eat(text: string): boolean {
    if (!this.is(text)) return false;
    this.next();
    return true;
  }

  protected skipNewlines(): void {
    while (this.tok(this.i).kind === 'newline') this.i++;
  }

  protected error(range: SourceRange, message: string): void {
    this.diagnostics.push(diag('syntax', range, message));
  }

  /** report a syntax error inside an expression and unwind to the statement */
  protected fail(range: SourceRange, message: string): never {
    this.error(range, message);
    throw new Bail();
  }

  protected expect(text: string, what: string): boolean {
    if (this.eat(text)) return true;
    const t = this.peek();
    this.error(this.errorRange(t), `expected '${text}' ${what}, found ${describe(t)}`);
    return false;
  }

  /** a token's range, or the end of the previous token when the error is a missing token at a line end */
  protected errorRange(t: Token): SourceRange {
    if (t.kind === 'newline' || t.kind === 'eof') return { start: this.prev.endPos, end: this.prev.endPos };
    return t.range;
  }

  /** the end key (source.ts) of a token */
  protected endOf(t: Token): number {
    return t.kind === 'eof' ? this.lines.length + 1 : t.end;
  }

  /** the range of the one-character bracket at `start` (its token may be recycled by now) */
  protected bracketRange(start: number): SourceRange {
    return this.lines.range(start, start + 1);
  }

  /** the end key of the last token taken: where the node being built ends */
  protected prevEnd(): number {
    return this.endOf(this.prev);
  }

  protected ident(t: Token): Ident {
    return new Ident(t.text, this.lines, t.start, this.endOf(t));
  }

  /** skip to the end of the current statement: a newline or `}` outside brackets, or a line that starts a statement */
  protected recover(): void {
    this.bracket = 0;
    if (this.i > 0 && this.tok(this.i - 1).kind === 'newline' && this.startsStatement(this.i)) return;
    let depth = 0;
    for (;;) {
      const t = this.tok(this.i);
      if (t.kind === 'eof') return;
      if (t.kind === 'newline') {
        if (depth <= 0 || this.startsStatement(this.i + 1)) return;
      } else if (t.kind === 'punct') {
        if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
        else if (t.text === ')' || t.text === ']') depth--;
        else if (t.text === '}') {
          if (depth <= 0) return;
          depth--;
        }
      }
      this.i++;
    }
  }

  protected startsStatement(j: number): boolean {
    const t = this.tok(j);
    if (t.kind === 'punct') return t.text === '}';
    if (t.kind !== 'ident') return false;
    if (t.text === 'return' || t.text === 'model' || t.text === 'block' || t.text === 'config') return true;
    const after = this.tok(j + 1);
    return after.kind === 'punct' && after.text === '=';
  }

  protected peekIs(k: number, text: string): boolean {
    const t = this.peekAt(k);
    return t.kind === 'punct' && t.text === text;
  }

  parseStandaloneExpr(): Expr {
    this.skipNewlines();
    const e = this.guardedExpr();
    this.skipNewlines();
    const t = this.peek();
    if (t.kind !== 'eof') this.error(t.range, `unexpected ${describe(t)} after the value`);
    return e;
  }

  /** an expression; on a syntax error (already reported) an ErrorExpr, and the parser skips to the statement's end */
  protected guardedExpr(): Expr {
    const start = this.peek().start;
    try {
      return this.parseExpr();
    } catch (e) {
      if (!(e instanceof Bail)) throw e;
      this.depth = 0;
      this.recover();
      return new ErrorExpr(this.lines, start, this.prevEnd());
    }
  }

  protected enter(t: Token): void {
    if (++this.depth > MAX_EXPR_DEPTH) {
      this.diagnostics.push(diag('tooDeep', t.range, `expression nested more than ${MAX_EXPR_DEPTH} levels deep`));
      throw new Bail();
    }
  }

  protected parseExpr(): Expr {
    const start = this.peek();
    this.enter(start);
    const from = start.start;
    try {
      const cond = this.parseBinary(1);
      if (!this.is('?')) return cond;
      this.next();
      const then = this.parseExpr();
      if (!this.is(':')) this.fail(this.errorRange(this.peek()), `expected ':' between the branches of '? :', found ${describe(this.peek())}`);
      this.next();
      const otherwise = this.parseExpr();
      return new Ternary(cond, then, otherwise, this.lines, from, this.prevEnd());
    } finally {
      this.depth--;
    }
  }

  /**
   * Binary operators by precedence climbing: or 1, and 2, (not 3, prefix), comparisons 4
   * (not chainable), + - 5, * / % 6. A left-deep chain counts its length as depth, so the
   * evaluator's recursion stays bounded too.
   */
  protected parseBinary(minPrec: number): Expr {
    const first = this.peek();
    const from = first.start;
    let left: Expr;
    if (minPrec <= 3 && first.kind === 'ident' && first.text === 'not') {
      this.next();
      this.enter(first);
      try {
        const operand = this.parseBinary(3);
        left = new Unary('not', operand, this.lines, from, this.prevEnd());
      } finally {
        this.depth--;
      }
      // a `not` operand swallowed everything down to precedence 3; only and / or may follow
      if (minPrec > 2) return left;
    } else {
      left = this.parseUnary();
    }
    let chain = 0;
    let lastPrec = 0;
    try {
      for (;;) {
        const t = this.peek();
        const prec = binaryPrecedence(t);
        if (prec === 0 || prec < minPrec) return left;
        if (prec === 4 && lastPrec === 4) this.fail(t.range, `comparisons do not chain; write 'a < b and b < c'`);
        const op = t.text as BinaryOp;
        const opStart = t.start;
        this.next();
        chain++;
        lastPrec = prec;
        this.enter(t);
        const right = this.parseBinary(prec + 1);
        left = new Binary(op, left, right, opStart, this.lines, from, this.prevEnd());
      }
    } finally {
      this.depth -= chain;
    }
  }

  protected parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '-') {
      const from = t.start;
      this.next();
      this.enter(t);
      try {
        const operand = this.parseUnary();
        return new Unary('-', operand, this.lines, from, this.prevEnd());
      } finally {
        this.depth--;
      }
    }
    return this.parsePrimary();
  }

  protected parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
      case 'real':
        this.next();
        return new NumberLit(t.value!, t.kind === 'int', t.text, this.lines, t.start, t.end);
      case 'size':
        this.next();
        return new SizeLit(Number.isNaN(t.value) ? undefined : t.value, t.text, this.lines, t.start, t.end);
      case 'string':
        this.next();
        return new StringLit(t.text, this.lines, t.start, t.end);
      case 'ident':
        return this.parseIdentExpr(t);
      case 'punct':
        if (t.text === '(') return this.parseParens(t);
        if (t.text === '[') return this.parseList(t);
        break;
      default:
        break;
    }
    return this.fail(this.errorRange(t), `expected an expression, found ${describe(t)}`);
  }

  protected parseIdentExpr(t: Token): Expr {
    if (t.text === 'true' || t.text === 'false') {
      this.next();
      return new BoolLit(t.text === 'true', this.lines, t.start, t.end);
    }
    if (t.text === 'repeat') return this.parseRepeat(t);
    if (KEYWORDS.has(t.text)) {
      this.fail(t.range, `'${t.text}' is a keyword and cannot start an expression`);
    }
    this.next();
    if (this.is('(')) return this.parseCall(t);
    return this.ident(t);
  }

  protected parseRepeat(kw: Token): Expr {
    const kwStart = kw.start;
    const keyword = this.ident(kw);
    this.next();
    const count = this.parseUnary();
    const t = this.peek();
    if (t.kind !== 'ident' || KEYWORDS.has(t.text) || !this.peekIs(1, '(')) {
      this.fail(this.errorRange(t), `expected a call after 'repeat ${count.kind === 'number' ? count.text : 'K'}' (repeat K f(x, ...)), found ${describe(t)}`);
    }
    this.next();
    const call = this.parseCall(t);
    return new Repeat(count, call, keyword, this.lines, kwStart, this.prevEnd());
  }

  protected parseCall(calleeToken: Token): Call {
    const callee = calleeToken.text;
    const calleeFrom = calleeToken.start;
    const calleeTo = this.endOf(calleeToken);
    const open = this.next(); // '('
    this.enter(open);
    const openStart = open.start;
    this.bracket++;
    const base = this.argTop;
    let sawNamed = false;
    try {
      while (!this.is(')')) {
        const t = this.peek();
        if (t.kind === 'eof') break;
        // `f(x,` left open while typing: the next line's statement is not an argument
        if (t.line > this.prev.line && this.startsStatement(this.i)) this.fail(this.bracketRange(openStart), `'(' of '${callee}(' is not closed: missing ')'`);
        let name: Ident | undefined;
        if (t.kind === 'ident' && this.peekIs(1, ':')) {
          name = this.ident(this.next());
          this.next();
          sawNamed = true;
        } else if (sawNamed) {
          this.fail(t.range, 'positional argument after a named one: positional arguments come first');
        }
        const value = this.parseExpr();
        this.namedStack[this.argTop] = name ? new Arg(name, value, this.lines, name.from, this.prevEnd()) : undefined;
        this.argStack[this.argTop++] = value;
        if (!this.eat(',')) break;
      }
      // the usual case first: the messages below are made only for a call left open
      const t = this.peek();
      if (t.kind === 'punct' && t.text === ')') {
        this.next();
        this.bracket--;
      } else this.close(')', openStart, `'(' of '${callee}(' is not closed: missing ')'`, `in the arguments of '${callee}'`);
      const named = sawNamed ? this.namedStack.slice(base, this.argTop) : undefined;
      return new Call(callee, calleeTo, this.argStack.slice(base, this.argTop), named, this.lines, calleeFrom, this.prevEnd());
    } finally {
      this.argTop = base;
      this.depth--;
    }
  }

  /** consume the closing bracket, or fail: "not closed" when the next token sits on a later line */
  protected close(text: string, openStart: number, notClosed: string, where: string): void {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === text) {
      this.next();
      this.bracket--;
      return;
    }
    if (t.kind === 'eof' || t.line > this.prev.line) this.fail(this.bracketRange(openStart), notClosed);
    this.fail(t.range, `expected ',' or '${text}' ${where}, found ${describe(t)}`);
  }

  protected parseParens(open: Token): Expr {
    const openStart = open.start;
    this.next();
    this.enter(open);
    this.bracket++;
    try {
      const inner = this.parseExpr();
      const t = this.peek();
      if (t.kind === 'punct' && t.text === ')') {
        this.next();
        this.bracket--;
        return inner;
      }
      if (t.kind === 'eof' || t.line > this.prev.line) this.fail(this.bracketRange(openStart), "'(' is not closed: missing ')'");
      return this.fail(t.range, `expected ')' to close the parenthesis, found ${describe(t)}`);
    } finally {
      this.depth--;
    }
  }

  protected parseList(open: Token): Expr {
    const openStart = open.start;
    this.next();
    this.enter(open);
    this.bracket++;
    const items: Expr[] = [];
    try {
      while (!this.is(']')) {
        if (this.peek().kind === 'eof') break;
        items.push(this.parseExpr());
        if (!this.eat(',')) break;
      }
      this.close(']', openStart, "'[' is not closed: missing ']'", 'in the list');
      return new ListExpr(exactSize(items), this.lines, openStart, this.prevEnd());
    } finally {
      this.depth--;
    }
  }
}

/**
 * A pushed-to array keeps room for 16 more items; the tree lives as long as the analysis, so
 * its short lists are copied to their exact size (a third of a call node's bytes).
 */
function exactSize<T>(list: T[]): T[] {
  return list.length === 0 ? list : list.slice();
}

/** or 1, and 2, comparisons 4, + - 5, * / % 6; 0 for a token that is no binary operator */
function binaryPrecedence(t: Token): number {
  if (t.kind === 'ident') return t.text === 'or' ? 1 : t.text === 'and' ? 2 : 0;
  if (t.kind !== 'punct') return 0;
  switch (t.text) {
    case '<':
    case '<=':
    case '>':
    case '>=':
    case '==':
    case '!=':
      return 4;
    case '+':
    case '-':
      return 5;
    case '*':
    case '/':
    case '%':
      return 6;
    default:
      return 0;
  }
}

export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the file';
    case 'newline':
      return 'the end of the line';
    case 'string':
      return 'a string';
    default:
      return `'${t.text.length > 20 ? `${t.text.slice(0, 20)}...` : t.text}'`;
  }
}

