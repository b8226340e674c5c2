// The .nnm syntax tree. Every node keeps its source range so diagnostics, hovers and
// refs map back to exact positions, including inside expanded blocks and `repeat`.
import type { SourceRange } from '../ir';

export interface Ident {
  readonly kind: 'ident';
  readonly name: string;
  readonly range: SourceRange;
}

export interface NumberLit {
  readonly kind: 'number';
  readonly value: number;
  /** written without a decimal point or exponent */
  readonly isInt: boolean;
  readonly text: string;
  readonly range: SourceRange;
}

export interface SizeLit {
  readonly kind: 'size';
  /** bytes; undefined when the size is not exactly countable (> 2^53) */
  readonly bytes: number | undefined;
  readonly text: string;
  readonly range: SourceRange;
}

export interface StringLit {
  readonly kind: 'string';
  readonly value: string;
  readonly range: SourceRange;
}

export interface BoolLit {
  readonly kind: 'bool';
  readonly value: boolean;
  readonly range: SourceRange;
}

export interface Arg {
  /** present for `name: value` */
  readonly name?: Ident;
  readonly value: Expr;
  readonly range: SourceRange;
}

export interface Call {
  readonly kind: 'call';
  readonly callee: Ident;
  readonly args: readonly Arg[];
  readonly range: SourceRange;
}

export interface Repeat {
  readonly kind: 'repeat';
  readonly count: Expr;
  readonly call: Call;
  readonly keywordRange: SourceRange;
  readonly range: SourceRange;
}

export type UnaryOp = '-' | 'not';
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';

export interface Unary {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly range: SourceRange;
}

export interface Binary {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly opRange: SourceRange;
  readonly range: SourceRange;
}

export interface Ternary {
  readonly kind: 'ternary';
  readonly cond: Expr;
  readonly then: Expr;
  readonly otherwise: Expr;
  readonly range: SourceRange;
}

export interface ListExpr {
  readonly kind: 'list';
  readonly items: readonly Expr[];
  readonly range: SourceRange;
}

/** placeholder where the parser recovered from a syntax error (already reported) */
export interface ErrorExpr {
  readonly kind: 'error';
  readonly range: SourceRange;
}

export type Expr =
  | Ident
  | NumberLit
  | SizeLit
  | StringLit
  | BoolLit
  | Call
  | Repeat
  | Unary
  | Binary
  | Ternary
  | ListExpr
  | ErrorExpr;

export interface Assign {
  readonly kind: 'assign';
  readonly name: Ident;
  readonly value: Expr;
  readonly range: SourceRange;
}

export interface Return {
  readonly kind: 'return';
  readonly value: Expr;
  readonly range: SourceRange;
}

export interface ConfigEntry {
  readonly key: Ident;
  readonly value: Expr;
  /** the value's source text (device presets such as `a100-40gb` are read from it) */
  readonly valueText: string;
  readonly range: SourceRange;
}

export interface ConfigItem {
  readonly kind: 'config';
  readonly entries: readonly ConfigEntry[];
  readonly keywordRange: SourceRange;
  readonly range: SourceRange;
}

export type Statement = Assign | Return | ConfigItem;

export interface Param {
  readonly name: Ident;
  readonly default?: Expr;
  readonly defaultText?: string;
  readonly range: SourceRange;
}

export interface BlockItem {
  readonly kind: 'block';
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly body: readonly Statement[];
  /** `#` comment lines directly above the block */
  readonly doc?: string;
  readonly range: SourceRange;
}

export interface ModelItem {
  readonly kind: 'model';
  readonly name: Ident;
  readonly body: readonly Statement[];
  readonly range: SourceRange;
}

export type Item = ConfigItem | BlockItem | ModelItem;

export interface NnmFile {
  readonly items: readonly Item[];
}
