// Evaluation of expressions and statements: compile-time values (ints, reals, bools, words,
// lists) computed here, calls and repeat left to the expansion (expand.ts). Each evaluation
// step is counted so no input can make it run unbounded.
import type { GraphBuilder } from '../graphBuilder';
import type { CallFrame, CoreDiagnostic, SourceRange } from '../ir';
import { ALL_OPS } from '../ops/registry';
import type { Assign, BlockItem, Call, Expr, Ident, Located, Repeat } from './ast';
import type { EvArg } from './bind';
import type { CodeName } from './codes';
import type { RefCollector } from './refs';
import { didYouMean } from './suggest';
import { binaryOp, describeValue, ERROR, type Value } from './values';

export const LIMITS = {
  /** ops one model may expand to */
  opsPerModel: 1_000_000,
  /** largest `repeat` count */
  repeatCount: 1_000_000,
  /** block calls nested inside each other */
  blockDepth: 64,
  /** evaluation steps per model (guards expansions that create no ops) */
  stepsPerModel: 20_000_000,
};

/**
 * What a model's evaluation needs of the file's elaboration (the Elaborator): its blocks and where
 * problems go. An interface, so the evaluator and the expansion need not import elaborate.ts.
 */
export interface ElaborationContext {
  readonly expandedBlocks: Set<string>;
  reportFrom(code: CodeName, range: SourceRange, message: string, frame?: Frame, severity?: 'error' | 'warning'): void;
  forward(d: CoreDiagnostic, frame?: Frame): void;
  block(name: string): BlockItem | undefined;
  blockNames(): Iterable<string>;
}

export interface Binding {
  readonly value: Value;
  /** the name that defines it (its range is read only for refs) */
  readonly def: Ident;
  readonly isParam: boolean;
}

export interface Frame {
  readonly scope: Map<string, Binding>;
  readonly callStack: readonly CallFrame[];
  /** blocks being expanded, outermost first (recursion check) */
  readonly blockChain: readonly string[];
  /** the top-level model statement being elaborated: offsets into the document's lines */
  statementFrom: number;
  statementTo: number;
  readonly segment?: number;
  /** inside a `frozen: true` block call or repeat: every op's weights are frozen */
  readonly frozen?: true;
  /** the top-level call site of the expansion, for `related` information */
  readonly topSite?: SourceRange;
}

/** thrown to stop a model's elaboration at a limit (already reported) */
export class LimitReached {}

let knownWordsCache: Set<string> | undefined;
/** bare words that are values, not names: padding modes and every enum value of the registry */
export function knownWords(): Set<string> {
  if (!knownWordsCache) {
    knownWordsCache = new Set(['same', 'valid']);
    for (const op of ALL_OPS) for (const a of op.args) for (const v of a.values ?? []) knownWordsCache.add(v);
  }
  return knownWordsCache;
}

export abstract class Evaluator {
  private steps = 0;
  /**
   * The call that is the value of the statement being assigned, and its name: its op's output is
   * made with that name instead of `op#id` renamed afterwards (a string per statement saved).
   */
  protected namedCall: Call | undefined;
  protected callName = '';

  constructor(
    protected readonly el: ElaborationContext,
    protected readonly builder: GraphBuilder,
    protected readonly graph: number,
    protected readonly refs: RefCollector,
  ) {}

  protected abstract call(call: Call, args: EvArg[], frame: Frame, iteration?: number): Value;
  protected abstract repeat(e: Repeat, frame: Frame): Value;

  /** takes the node, not its range: reading `range` from nodes of a dozen shapes is a slow lookup, needed only at the limit */
  protected step(node: { readonly range: SourceRange }): void {
    if (++this.steps > LIMITS.stepsPerModel) {
      this.el.reportFrom('expansionLimit', node.range, `expansion stopped: over ${LIMITS.stepsPerModel.toLocaleString('en-US')} evaluation steps in one model`);
      throw new LimitReached();
    }
  }

  protected assign(stmt: Assign, frame: Frame): Value {
    const before = this.builder.opCount;
    this.namedCall = stmt.value.kind === 'call' ? stmt.value : undefined;
    this.callName = stmt.name.name;
    const v = this.known(this.eval(stmt.value, frame), stmt.value, frame);
    // the statement's own result takes its name; nested unnamed calls keep op#id
    if (v.kind === 'tensor' && v.id >= before) this.builder.rename(v.id, stmt.name.name);
    frame.scope.set(stmt.name.name, { value: v, def: stmt.name, isParam: false });
    this.refs.add(this.graph, v.kind === 'tensor' ? 'tensor' : 'parameter', stmt.name.name, stmt.name, stmt.name, true, tensorsOf(v), undefined, frame.callStack.length === 0);
    return v;
  }

  /** a bare word that is neither bound nor a known value word is an unknown name */
  protected known(v: Value, expr: Expr, frame: Frame): Value {
    if (v.kind === 'symbol' && expr.kind === 'ident' && !knownWords().has(v.name)) {
      this.unknownName(expr.name, expr, frame);
      return ERROR;
    }
    return v;
  }

  protected unknownName(name: string, at: Located, frame: Frame): void {
    this.el.reportFrom('unknownName', at.range, `unknown name '${name}'${didYouMean(name, frame.scope.keys())}`, frame);
  }

  eval(e: Expr, frame: Frame): Value {
    this.step(e);
    switch (e.kind) {
      case 'number':
        if (e.isInt && !Number.isSafeInteger(e.value)) {
          this.el.reportFrom('number', e.range, `${e.text} is too large to be an exact integer (the limit is 2^53 - 1)`, frame);
          return ERROR;
        }
        if (!Number.isFinite(e.value)) {
          this.el.reportFrom('number', e.range, `${e.text} is too large to represent`, frame);
          return ERROR;
        }
        return e.isInt ? intValue(e.value) : { kind: 'real', value: e.value };
      case 'size':
        if (e.bytes === undefined) {
          this.el.reportFrom('number', e.range, `${e.text} is too large to count exactly in bytes`, frame);
          return ERROR;
        }
        return { kind: 'size', bytes: e.bytes };
      case 'string':
        return { kind: 'string', value: e.value };
      case 'bool':
        return { kind: 'bool', value: e.value };
      case 'ident': {
        const b = frame.scope.get(e.name);
        if (!b) return { kind: 'symbol', name: e.name };
        this.refs.add(this.graph, b.value.kind === 'tensor' ? 'tensor' : 'parameter', e.name, e, b.def, false, tensorsOf(b.value), undefined, frame.callStack.length === 0);
        return b.value;
      }
      case 'list': {
        const items: Value[] = [];
        for (const item of e.items) items.push(this.known(this.eval(item, frame), item, frame));
        return { kind: 'list', items };
      }
      case 'unary':
        return this.unary(e.op, e.operand, e.range, frame);
      case 'binary':
        return this.binary(e, frame);
      case 'ternary': {
        const c = this.known(this.eval(e.cond, frame), e.cond, frame);
        if (c.kind === 'error') return ERROR;
        if (c.kind !== 'bool') {
          this.el.reportFrom('evaluation', e.cond.range, `a condition must be true or false, got ${describeValue(c)}`, frame);
          return ERROR;
        }
        const branch = c.value ? e.then : e.otherwise;
        return this.known(this.eval(branch, frame), branch, frame);
      }
      case 'call':
        return this.call(e, this.evalArgs(e, frame), frame);
      case 'repeat':
        return this.repeat(e, frame);
      case 'error':
        return ERROR;
    }
  }

  protected unary(op: '-' | 'not', operand: Expr, range: SourceRange, frame: Frame): Value {
    const v = this.known(this.eval(operand, frame), operand, frame);
    if (v.kind === 'error') return ERROR;
    if (op === 'not') {
      if (v.kind === 'bool') return { kind: 'bool', value: !v.value };
      this.el.reportFrom('evaluation', range, `'not' needs true or false, got ${describeValue(v)}`, frame);
      return ERROR;
    }
    const r = binaryOp('-', { kind: 'int', value: 0 }, v);
    if (r.ok) return v.kind === 'real' ? { kind: 'real', value: -v.value } : r.value;
    this.el.reportFrom('evaluation', range, `'-' needs a number, got ${describeValue(v)}`, frame);
    return ERROR;
  }

  protected binary(e: Extract<Expr, { kind: 'binary' }>, frame: Frame): Value {
    const a = this.known(this.eval(e.left, frame), e.left, frame);
    if (e.op === 'and' || e.op === 'or') {
      if (a.kind === 'error') return ERROR;
      if (a.kind !== 'bool') {
        this.el.reportFrom('evaluation', e.left.range, `'${e.op}' needs true or false, got ${describeValue(a)}`, frame);
        return ERROR;
      }
      if (e.op === 'and' ? !a.value : a.value) return a;
      const b = this.known(this.eval(e.right, frame), e.right, frame);
      if (b.kind === 'error') return ERROR;
      if (b.kind !== 'bool') {
        this.el.reportFrom('evaluation', e.right.range, `'${e.op}' needs true or false, got ${describeValue(b)}`, frame);
        return ERROR;
      }
      return b;
    }
    const b = this.known(this.eval(e.right, frame), e.right, frame);
    if (a.kind === 'error' || b.kind === 'error') return ERROR;
    const r = binaryOp(e.op, a, b);
    if (r.ok) return r.value;
    const code: CodeName = r.message.includes('overflow') ? 'number' : 'evaluation';
    this.el.reportFrom(code, e.opRange, r.message, frame);
    return ERROR;
  }

  /** `skip(i)`: argument i is not evaluated here (its value is ERROR; a subclass binds it itself) */
  protected evalArgs(call: Call, frame: Frame, skip?: (i: number) => boolean): EvArg[] {
    // exact size (see emptySlots in bind.ts)
    const values = call.values;
    const named = call.named;
    const out = new Array<EvArg>(values.length);
    for (let i = 0; i < values.length; i++) {
      const node = values[i]!;
      const value = skip?.(i) ? ERROR : this.eval(node, frame);
      const word = value.kind === 'symbol' && node.kind === 'ident' ? node.name : undefined;
      // a named argument is blamed at its value; a positional one's range is its value's anyway
      out[i] = { name: named?.[i]?.name, value, at: node, word };
    }
    return out;
  }
}

/** the values of the small integers written in models (widths, kernels), shared: values are immutable */
const SMALL_INTS: Value[] = [];
for (let k = 0; k <= 4096; k++) SMALL_INTS.push({ kind: 'int', value: k });

function intValue(value: number): Value {
  return value >= 0 && value <= 4096 && Number.isInteger(value) ? SMALL_INTS[value]! : { kind: 'int', value };
}

export function tensorsOf(v: Value): number | undefined {
  return v.kind === 'tensor' ? v.id : undefined;
}

