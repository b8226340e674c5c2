// Hand-written, error-tolerant recursive-descent parser for .nnm: items and statements
// (token access and expressions: exprParser.ts).
// Recovery: a syntax error is reported once, then the parser skips to the next statement
// (a new line, or a line that starts like a statement) or to the closing `}`, and goes on.
// Never throws: deep nesting ends in a diagnostic, every loop consumes a token or stops.
import type { CoreDiagnostic } from '../ir';
import { Assign, BlockItem, ConfigEntry, ConfigItem, Ident, ModelItem, Param, Return, type Expr, type Item, type NnmFile, type Statement } from './ast';
import { Bail, describe, ExprParser, KEYWORDS } from './exprParser';
import { Lexer, type Token } from './lexer';
import type { SourceLines } from './source';

export { MAX_EXPR_DEPTH } from './exprParser';

export interface ParseResult {
  readonly file: NnmFile;
  readonly diagnostics: CoreDiagnostic[];
  /** the text's line starts: turns the offsets nodes keep into positions */
  readonly lines: SourceLines;
}

/**
 * Told of each model's statements as they are parsed, so that a model can be elaborated without
 * holding its whole body (streamed.ts). A statement the listener takes is left out of the body.
 */
export interface ModelBodyListener {
  /** a model's name is parsed and its body follows; `before` are the file's items above it */
  modelStart(name: Ident, before: readonly Item[]): void;
  /** a statement of that body and its index among the body's statements; true: taken */
  statement(stmt: Statement, index: number): boolean;
  /** the body is over (closed or not); the model spans the keys from..to */
  modelEnd(from: number, to: number): void;
}

/** `listen` makes the listener once the text's line table exists (its ranges grow with the parse) */
export function parseNnm(text: string, listen?: (lines: SourceLines) => ModelBodyListener): ParseResult {
  const lexer = new Lexer(text);
  const parser = new Parser(text, lexer);
  parser.listener = listen?.(lexer.lines);
  return { file: parser.parseFile(), diagnostics: parser.diagnostics, lines: lexer.lines };
}

/** parse one expression (a config value from settings or the CLI); diagnostics on failure */
export function parseExpression(text: string): { expr: Expr; diagnostics: CoreDiagnostic[] } {
  const parser = new Parser(text, new Lexer(text));
  return { expr: parser.parseStandaloneExpr(), diagnostics: parser.diagnostics };
}

class Parser extends ExprParser {
  private commentsSeen = 0;
  private readonly commentByLine = new Map<number, string>();
  listener: ModelBodyListener | undefined;
  private readonly items: Item[] = [];

  parseFile(): NnmFile {
    const items = this.items;
    let reported = false;
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t.kind === 'eof') break;
      let item: Item | undefined;
      if (t.kind === 'ident' && t.text === 'config') item = this.parseConfig();
      else if (t.kind === 'ident' && t.text === 'block') item = this.parseBlock();
      else if (t.kind === 'ident' && t.text === 'model') item = this.parseModel();
      if (item) {
        items.push(item);
        reported = false;
        this.endOfLine('after the closing }');
        continue;
      }
      if (!reported) {
        const hint = this.startsStatement(this.i) ? '; statements belong inside a `model { }` or `block { }`' : '';
        this.error(t.range, `expected 'config', 'block' or 'model', found ${describe(t)}${hint}`);
        reported = true;
      }
      this.next();
      this.recover();
    }
    return { items };
  }

  /** after an item or statement: the line must end (or the body close) */
  private endOfLine(what: string): void {
    const t = this.tok(this.i);
    if (t.kind === 'newline' || t.kind === 'eof' || (t.kind === 'punct' && t.text === '}')) return;
    // an unclosed body stopped at the next item: that is already reported
    if (this.i > 0 && this.tok(this.i - 1).kind === 'newline') return;
    this.error(t.range, `expected the end of the line ${what}, found ${describe(t)}`);
    this.recover();
  }

  private parseConfig(): ConfigItem {
    // tokens are recycled once well behind the cursor: keep what is needed after the body, not the token
    const kw = this.next();
    const kwStart = kw.start;
    const keyword = this.ident(kw);
    const entries: ConfigEntry[] = [];
    this.skipNewlines();
    if (!this.expect('{', "to open 'config'")) {
      this.recover();
      return new ConfigItem(entries, keyword, this.lines, kwStart, this.prevEnd());
    }
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '}') {
        this.next();
        break;
      }
      if (t.kind === 'eof' || (t.kind === 'ident' && (t.text === 'model' || t.text === 'block') && !this.peekIs(1, ':'))) {
        this.error(keyword.range, "'config {' is not closed: missing '}'");
        break;
      }
      if (this.eat(',')) continue;
      if (t.kind !== 'ident' || !this.peekIs(1, ':')) {
        this.error(t.range, `expected 'key: value' in config, found ${describe(t)}`);
        this.next();
        this.recover();
        continue;
      }
      const key = this.ident(this.next());
      this.next(); // ':'
      const valueStart = this.peek().start;
      const value = this.guardedExpr();
      const valueText = value.kind === 'error' ? '' : this.text.slice(valueStart, this.prev.end);
      entries.push(new ConfigEntry(key, value, valueText, this.lines, key.from, this.prevEnd()));
      if (this.is(',')) continue;
      this.endOfLine("after a config entry (one 'key: value' per line or separated by ',')");
    }
    return new ConfigItem(entries, keyword, this.lines, kwStart, this.prevEnd());
  }

  private itemName(kw: Token, what: string): Ident {
    const t = this.peek();
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) return this.ident(this.next());
    this.error(this.errorRange(t), `expected a ${what} name after '${kw.text}', found ${describe(t)}`);
    return new Ident('', this.lines, kw.end, kw.end);
  }

  private parseBlock(): BlockItem {
    const kw = this.next();
    const kwStart = kw.start;
    const kwLine = kw.line;
    const keyword = this.ident(kw);
    const name = this.itemName(kw, 'block');
    const params: Param[] = [];
    const open = this.peek();
    if (open.kind === 'punct' && open.text === '(') {
      const openStart = open.start;
      this.next();
      this.bracket++;
      try {
        while (!this.is(')')) {
          const t = this.peek();
          if (t.kind !== 'ident' || KEYWORDS.has(t.text)) this.fail(this.errorRange(t), `expected a parameter name, found ${describe(t)}`);
          const pname = this.ident(this.next());
          let def: Expr | undefined;
          let defaultText: string | undefined;
          if (this.eat(':')) {
            const first = this.peek().start;
            def = this.parseExpr();
            defaultText = this.text.slice(first, this.prev.end);
          }
          params.push(new Param(pname, def, defaultText, this.lines, pname.from, this.prevEnd()));
          if (!this.eat(',')) break;
        }
        this.close(')', openStart, "the parameter list is not closed: missing ')'", 'in the parameter list');
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.depth = 0;
        this.recoverToBrace();
      }
    } else {
      this.error(this.errorRange(open), `expected '(' and the parameters of block '${name.name}'`);
      this.recoverToBrace();
    }
    const body = this.parseBody(keyword, name);
    const doc = this.docAbove(kwLine);
    return new BlockItem(name, params, body, doc, this.lines, kwStart, this.prevEnd());
  }

  /** skip to the `{` of a body on this line, if there is one */
  private recoverToBrace(): void {
    this.bracket = 0;
    for (;;) {
      const t = this.tok(this.i);
      if (t.kind === 'eof' || t.kind === 'newline' || (t.kind === 'punct' && t.text === '{')) return;
      this.i++;
    }
  }

  private docAbove(line: number): string | undefined {
    // comments lexed so far cover every line above the block
    const comments = this.lexer.comments;
    for (; this.commentsSeen < comments.length; this.commentsSeen++) this.commentByLine.set(comments[this.commentsSeen]!.line, comments[this.commentsSeen]!.text);
    const lines: string[] = [];
    for (let l = line - 1; l >= 0 && this.commentByLine.has(l); l--) lines.unshift(this.commentByLine.get(l)!.trim());
    return lines.length ? lines.join('\n') : undefined;
  }

  private parseModel(): ModelItem {
    const kw = this.next();
    const kwStart = kw.start;
    const keyword = this.ident(kw);
    const name = this.itemName(kw, 'model');
    if (!this.is('{')) this.recoverToBrace();
    const listener = this.listener;
    listener?.modelStart(name, this.items);
    const body = this.parseBody(keyword, name, listener);
    listener?.modelEnd(kwStart, this.prevEnd());
    return new ModelItem(name, body, this.lines, kwStart, this.prevEnd());
  }

  private parseBody(keyword: Ident, name: Ident, listener?: ModelBodyListener): Statement[] {
    const body: Statement[] = [];
    let index = 0;
    this.skipNewlines();
    const what = `${keyword.name} '${name.name}'`;
    if (!this.eat('{')) {
      // go on as if the brace were there: the statements below are most likely the body
      this.error(this.errorRange(this.peek()), `expected '{' to open ${what}`);
    }
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '}') {
        this.next();
        return body;
      }
      if (t.kind === 'eof' || (t.kind === 'ident' && (t.text === 'model' || t.text === 'block') && !this.peekIs(1, '='))) {
        this.error(name.name ? name.range : keyword.range, `${what} is not closed: missing '}'`);
        return body;
      }
      const stmt = this.parseStatement();
      if (stmt && !listener?.statement(stmt, index++)) body.push(stmt);
    }
  }

  private parseStatement(): Statement | undefined {
    const t = this.peek();
    const start = t.start;
    if (t.kind === 'ident' && t.text === 'config' && this.peekIs(1, '{')) {
      const item = this.parseConfig();
      this.endOfLine('after the closing }');
      return item;
    }
    if (t.kind === 'ident' && t.text === 'return') {
      this.next();
      const value = this.guardedExpr();
      const stmt = new Return(value, this.lines, start, this.prevEnd());
      if (value.kind !== 'error') this.endOfLine('after the return value');
      return stmt;
    }
    if (t.kind === 'ident' && !KEYWORDS.has(t.text) && this.peekIs(1, '=')) {
      const name = this.ident(this.next());
      this.next(); // '='
      const value = this.guardedExpr();
      const stmt = new Assign(name, value, this.lines, start, this.prevEnd());
      if (value.kind !== 'error') this.endOfLine('after the statement');
      return stmt;
    }
    this.error(t.range, `expected a statement ('name = expression' or 'return expression'), found ${describe(t)}`);
    this.next();
    this.recover();
    return undefined;
  }

}
