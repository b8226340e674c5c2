// The .nnm syntax tree. Every node keeps its source span so diagnostics, hovers and refs map
// back to exact positions, including inside expanded blocks and `repeat`. A node holds offsets
// (source.ts) and builds its `range` when it is read: a new object per read, so nothing may key
// a map by a node's range (key by the node).
import type { SourceRange } from '../ir';
import type { SourceLines } from './source';

/**
 * Fields are `declare`d and assigned once in each constructor: declared class fields would be
 * defined as undefined first and then assigned again, for each of a large file's many nodes.
 */
abstract class Node {
  declare readonly src: SourceLines;
  /** start key and end key of the span (source.ts) */
  declare readonly from: number;
  declare readonly to: number;

  constructor(src: SourceLines, from: number, to: number) {
    this.src = src;
    this.from = from;
    this.to = to;
  }

  get range(): SourceRange {
    return this.src.range(this.from, this.to);
  }
}

export class Ident extends Node {
  declare readonly kind: 'ident';
  declare readonly name: string;
  constructor(name: string, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'ident';
    this.name = name;
  }
}

export class NumberLit extends Node {
  declare readonly kind: 'number';
  declare readonly value: number;
  /** written without a decimal point or exponent */
  declare readonly isInt: boolean;
  declare readonly text: string;
  constructor(value: number, isInt: boolean, text: string, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'number';
    this.value = value;
    this.isInt = isInt;
    this.text = text;
  }
}

export class SizeLit extends Node {
  declare readonly kind: 'size';
  /** bytes; undefined when the size is not exactly countable (> 2^53) */
  declare readonly bytes: number | undefined;
  declare readonly text: string;
  constructor(bytes: number | undefined, text: string, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'size';
    this.bytes = bytes;
    this.text = text;
  }
}

export class StringLit extends Node {
  declare readonly kind: 'string';
  declare readonly value: string;
  constructor(value: string, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'string';
    this.value = value;
  }
}

export class BoolLit extends Node {
  declare readonly kind: 'bool';
  declare readonly value: boolean;
  constructor(value: boolean, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'bool';
    this.value = value;
  }
}

export class Arg extends Node {
  /** present for `name: value` */
  declare readonly name: Ident | undefined;
  declare readonly value: Expr;
  constructor(name: Ident | undefined, value: Expr, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.name = name;
    this.value = value;
  }
}

/**
 * A call keeps its callee's name and its argument values, not a node per name and per argument:
 * `callee` and `args` are built when read (by fixes, tests, config), a new object per read.
 */
export class Call extends Node {
  declare readonly kind: 'call';
  declare readonly calleeName: string;
  /** end key of the callee's name (it starts where the call starts) */
  declare readonly calleeTo: number;
  /** argument values in order */
  declare readonly values: readonly Expr[];
  /** the named arguments by position (undefined for a positional one); undefined when none is named */
  declare readonly named: readonly (Arg | undefined)[] | undefined;
  constructor(calleeName: string, calleeTo: number, values: readonly Expr[], named: readonly (Arg | undefined)[] | undefined, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'call';
    this.calleeName = calleeName;
    this.calleeTo = calleeTo;
    this.values = values;
    this.named = named;
  }

  get callee(): Ident {
    return new Ident(this.calleeName, this.src, this.from, this.calleeTo);
  }

  /** a positional argument's range is its value's */
  get args(): readonly Arg[] {
    return this.values.map((v, i) => this.named?.[i] ?? new Arg(undefined, v, this.src, v.from, v.to));
  }
}

export class Repeat extends Node {
  declare readonly kind: 'repeat';
  declare readonly count: Expr;
  declare readonly call: Call;
  declare readonly keyword: Ident;
  constructor(count: Expr, call: Call, keyword: Ident, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'repeat';
    this.count = count;
    this.call = call;
    this.keyword = keyword;
  }

  get keywordRange(): SourceRange {
    return this.keyword.range;
  }
}

export type UnaryOp = '-' | 'not';
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';

export class Unary extends Node {
  declare readonly kind: 'unary';
  declare readonly op: UnaryOp;
  declare readonly operand: Expr;
  constructor(op: UnaryOp, operand: Expr, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'unary';
    this.op = op;
    this.operand = operand;
  }
}

export class Binary extends Node {
  declare readonly kind: 'binary';
  declare readonly op: BinaryOp;
  declare readonly left: Expr;
  declare readonly right: Expr;
  /** the operator token's start key (its end follows from the operator's length) */
  declare readonly opFrom: number;
  constructor(op: BinaryOp, left: Expr, right: Expr, opFrom: number, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'binary';
    this.op = op;
    this.left = left;
    this.right = right;
    this.opFrom = opFrom;
  }

  get opRange(): SourceRange {
    return this.src.range(this.opFrom, this.opFrom + this.op.length);
  }
}

export class Ternary extends Node {
  declare readonly kind: 'ternary';
  declare readonly cond: Expr;
  declare readonly then: Expr;
  declare readonly otherwise: Expr;
  constructor(cond: Expr, then: Expr, otherwise: Expr, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'ternary';
    this.cond = cond;
    this.then = then;
    this.otherwise = otherwise;
  }
}

export class ListExpr extends Node {
  declare readonly kind: 'list';
  declare readonly items: readonly Expr[];
  constructor(items: readonly Expr[], src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'list';
    this.items = items;
  }
}

/** placeholder where the parser recovered from a syntax error (already reported) */
export class ErrorExpr extends Node {
  declare readonly kind: 'error';
  constructor(src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'error';
  }
}

export type Expr = Ident | NumberLit | SizeLit | StringLit | BoolLit | Call | Repeat | Unary | Binary | Ternary | ListExpr | ErrorExpr;

export class Assign extends Node {
  declare readonly kind: 'assign';
  declare readonly name: Ident;
  declare readonly value: Expr;
  constructor(name: Ident, value: Expr, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'assign';
    this.name = name;
    this.value = value;
  }
}

export class Return extends Node {
  declare readonly kind: 'return';
  declare readonly value: Expr;
  constructor(value: Expr, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'return';
    this.value = value;
  }
}

export class ConfigEntry extends Node {
  declare readonly key: Ident;
  declare readonly value: Expr;
  /** the value's source text (device presets such as `a100-40gb` are read from it) */
  declare readonly valueText: string;
  constructor(key: Ident, value: Expr, valueText: string, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.key = key;
    this.value = value;
    this.valueText = valueText;
  }
}

export class ConfigItem extends Node {
  declare readonly kind: 'config';
  declare readonly entries: readonly ConfigEntry[];
  declare readonly keyword: Ident;
  constructor(entries: readonly ConfigEntry[], keyword: Ident, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'config';
    this.entries = entries;
    this.keyword = keyword;
  }

  get keywordRange(): SourceRange {
    return this.keyword.range;
  }
}

export type Statement = Assign | Return | ConfigItem;

export class Param extends Node {
  declare readonly name: Ident;
  declare readonly default: Expr | undefined;
  declare readonly defaultText: string | undefined;
  constructor(name: Ident, def: Expr | undefined, defaultText: string | undefined, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.name = name;
    this.default = def;
    this.defaultText = defaultText;
  }
}

export class BlockItem extends Node {
  declare readonly kind: 'block';
  declare readonly name: Ident;
  declare readonly params: readonly Param[];
  declare readonly body: readonly Statement[];
  /** `#` comment lines directly above the block */
  declare readonly doc: string | undefined;
  constructor(name: Ident, params: readonly Param[], body: readonly Statement[], doc: string | undefined, src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'block';
    this.name = name;
    this.params = params;
    this.body = body;
    this.doc = doc;
  }
}

export class ModelItem extends Node {
  declare readonly kind: 'model';
  declare readonly name: Ident;
  declare readonly body: readonly Statement[];
  constructor(name: Ident, body: readonly Statement[], src: SourceLines, from: number, to: number) {
    super(src, from, to);
    this.kind = 'model';
    this.name = name;
    this.body = body;
  }
}

export type Item = ConfigItem | BlockItem | ModelItem;

export interface NnmFile {
  readonly items: readonly Item[];
}

/** anything with a source range: a node, or a range made for a diagnostic */
export interface Located {
  readonly range: SourceRange;
}
