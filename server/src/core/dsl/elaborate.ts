// Elaboration: evaluates a model's statements, expands block calls and `repeat`, and feeds
// every op call to the GraphBuilder. Compile-time values (ints, bools, lists, words) are
// computed here; tensors come from the builder. Linear in the size of the expansion, bounded
// by explicit limits so no input can hang it.
import type { ConfigOverrides } from '../config';
import { mergeConfig } from '../config';
import { GraphBuilder } from '../graphBuilder';
import type { CallFrame, CoreDiagnostic, Graph, ModelConfig, SourceRange, TensorId } from '../ir';
import { ALL_OPS, lookupOp, opNames } from '../ops/registry';
import type { OpSpec } from '../ops/types';
import type { Assign, BlockItem, Call, Expr, Ident, ModelItem, Repeat, Statement } from './ast';
import { bindOpArgs, type EvArg } from './bind';
import { diag, type CodeName } from './codes';
import { evalConfigItem } from './config';
import { RefCollector } from './refs';
import { didYouMean } from './suggest';
import { asInt, binaryOp, describeValue, ERROR, type Value } from './values';

export const LIMITS = {
  /** ops one model may expand to */
  opsPerModel: 1_000_000,
  /** largest `repeat` count */
  repeatCount: 1_000_000,
  /** block calls nested inside each other */
  blockDepth: 64,
  /** evaluation steps per model (guards expansions that create no ops) */
  stepsPerModel: 5_000_000,
};

interface Binding {
  readonly value: Value;
  readonly def: SourceRange;
  readonly isParam: boolean;
}

interface Frame {
  readonly scope: Map<string, Binding>;
  readonly callStack: readonly CallFrame[];
  /** blocks being expanded, outermost first (recursion check) */
  readonly blockChain: readonly string[];
  /** the top-level model statement being elaborated */
  statement: SourceRange;
  readonly segment?: number;
  /** the top-level call site of the expansion, for `related` information */
  readonly topSite?: SourceRange;
}

/** what one model statement produced: the outline shows its tensor */
export interface StatementResult {
  readonly graph: number;
  readonly tensor?: TensorId;
}

class LimitReached {}

export class Elaborator {
  readonly graphs: Graph[] = [];
  readonly statementTensors = new Map<Statement, StatementResult>();
  readonly expandedBlocks = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly blocks: ReadonlyMap<string, BlockItem>,
    private readonly diagnostics: CoreDiagnostic[],
    private readonly refs: RefCollector,
  ) {}

  private report(code: CodeName, range: SourceRange, message: string, frame?: Frame, severity: 'error' | 'warning' = 'error'): void {
    this.forward(diag(code, range, message, severity), frame);
  }

  /** a block body expanded many times reports each problem once; inside an expansion, point at the call too */
  forward(d: CoreDiagnostic, frame?: Frame): void {
    const key = `${d.code}|${d.range.start.line}:${d.range.start.character}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const top = frame?.topSite;
    this.diagnostics.push(top && frame.callStack.length > 0 ? { ...d, related: [{ range: top, message: `in the expansion of '${frame.callStack[0]!.block}' called here` }] } : d);
  }

  elaborateModel(model: ModelItem, defaults: ModelConfig, fileConfig: ConfigOverrides, overrides: ConfigOverrides | undefined): void {
    const graphIndex = this.graphs.length;
    let modelConfig: ConfigOverrides = {};
    for (const stmt of model.body) {
      if (stmt.kind !== 'config') continue;
      const r = evalConfigItem(stmt);
      this.diagnostics.push(...r.diagnostics);
      modelConfig = { ...modelConfig, ...r.overrides };
    }
    const config = mergeConfig(defaults, fileConfig, modelConfig, overrides);
    const run = new ModelRun(this, new GraphBuilder(model.name.name, config, model.range, model.name.range), graphIndex, this.refs);
    this.graphs.push(run.run(model));
  }

  // shared with ModelRun
  reportFrom(code: CodeName, range: SourceRange, message: string, frame?: Frame, severity: 'error' | 'warning' = 'error'): void {
    this.report(code, range, message, frame, severity);
  }
  block(name: string): BlockItem | undefined {
    return this.blocks.get(name);
  }
  blockNames(): Iterable<string> {
    return this.blocks.keys();
  }
}

let knownWordsCache: Set<string> | undefined;
/** bare words that are values, not names: padding modes and every enum value of the registry */
function knownWords(): Set<string> {
  if (!knownWordsCache) {
    knownWordsCache = new Set(['same', 'valid']);
    for (const op of ALL_OPS) for (const a of op.args) for (const v of a.values ?? []) knownWordsCache.add(v);
  }
  return knownWordsCache;
}

class ModelRun {
  private steps = 0;
  /** reused for each op's binding diagnostics */
  private readonly scratch: CoreDiagnostic[] = [];
  private segments = 0;

  constructor(
    private readonly el: Elaborator,
    private readonly builder: GraphBuilder,
    private readonly graph: number,
    private readonly refs: RefCollector,
  ) {}

  run(model: ModelItem): Graph {
    const frame: Frame = { scope: new Map(), callStack: [], blockChain: [], statement: model.range };
    let outputs: TensorId[] | undefined;
    try {
      for (const stmt of model.body) {
        if (stmt.kind === 'config') continue;
        if (outputs !== undefined) {
          this.el.reportFrom('unreachable', stmt.range, 'statement after return is never elaborated', undefined, 'warning');
          break;
        }
        frame.statement = stmt.range;
        if (stmt.kind === 'assign') {
          const v = this.assign(stmt, frame);
          this.el.statementTensors.set(stmt, { graph: this.graph, ...(v.kind === 'tensor' ? { tensor: v.id } : {}) });
        } else {
          const v = this.known(this.eval(stmt.value, frame), stmt.value, frame);
          this.el.statementTensors.set(stmt, { graph: this.graph, ...(v.kind === 'tensor' ? { tensor: v.id } : {}) });
          if (v.kind === 'tensor') outputs = [v.id];
          else {
            if (v.kind !== 'error') this.el.reportFrom('evaluation', stmt.value.range, `a model returns a tensor, got ${describeValue(v)}`);
            outputs = [];
          }
        }
      }
    } catch (e) {
      if (e instanceof RangeError) {
        // deep expressions inside deeply nested blocks can outrun the stack: a diagnostic, not a crash
        this.el.reportFrom('expansionLimit', model.name.range, `model '${model.name.name}' nests blocks and expressions too deeply to elaborate`);
      } else if (!(e instanceof LimitReached)) throw e;
      outputs ??= [];
    }
    if (outputs === undefined) {
      this.el.reportFrom('modelNoReturn', model.name.range, `model '${model.name.name}' has no 'return'; its last tensor is taken as the output`, undefined, 'warning');
      outputs = this.builder.opCount > 0 ? [this.builder.opCount - 1] : [];
    }
    this.refs.add(this.graph, 'model', model.name.name, model.name.range, model.name.range, true);
    return this.builder.build(outputs);
  }

  private step(range: SourceRange): void {
    if (++this.steps > LIMITS.stepsPerModel) {
      this.el.reportFrom('expansionLimit', range, `expansion stopped: over ${LIMITS.stepsPerModel.toLocaleString('en-US')} evaluation steps in one model`);
      throw new LimitReached();
    }
  }

  private assign(stmt: Assign, frame: Frame): Value {
    const before = this.builder.opCount;
    const v = this.known(this.eval(stmt.value, frame), stmt.value, frame);
    // the statement's own result takes its name; nested unnamed calls keep op#id
    if (v.kind === 'tensor' && v.id >= before) this.builder.rename(v.id, stmt.name.name);
    frame.scope.set(stmt.name.name, { value: v, def: stmt.name.range, isParam: false });
    this.refs.add(this.graph, v.kind === 'tensor' ? 'tensor' : 'parameter', stmt.name.name, stmt.name.range, stmt.name.range, true, tensorsOf(v));
    return v;
  }

  /** a bare word that is neither bound nor a known value word is an unknown name */
  private known(v: Value, expr: Expr, frame: Frame): Value {
    if (v.kind === 'symbol' && expr.kind === 'ident' && !knownWords().has(v.name)) {
      this.unknownName(expr, frame);
      return ERROR;
    }
    return v;
  }

  private unknownName(id: Ident, frame: Frame): void {
    this.el.reportFrom('unknownName', id.range, `unknown name '${id.name}'${didYouMean(id.name, frame.scope.keys())}`, frame);
  }

  eval(e: Expr, frame: Frame): Value {
    this.step(e.range);
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
        return e.isInt ? { kind: 'int', value: e.value } : { kind: 'real', value: e.value };
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
        this.refs.add(this.graph, b.value.kind === 'tensor' ? 'tensor' : 'parameter', e.name, e.range, b.def, false, tensorsOf(b.value));
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

  private unary(op: '-' | 'not', operand: Expr, range: SourceRange, frame: Frame): Value {
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

  private binary(e: Extract<Expr, { kind: 'binary' }>, frame: Frame): Value {
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

  private evalArgs(call: Call, frame: Frame): EvArg[] {
    const out: EvArg[] = [];
    for (const a of call.args) {
      const value = this.eval(a.value, frame);
      const word = value.kind === 'symbol' && a.value.kind === 'ident' ? a.value.name : undefined;
      out.push({ name: a.name, value, range: a.value.range, word });
    }
    return out;
  }

  /** `checkpoint: true` on a block call or repeat: taken out of the arguments */
  private takeCheckpoint(args: EvArg[], frame: Frame, spec: OpSpec | undefined, block: BlockItem | undefined): boolean {
    const i = args.findIndex((a) => a.name?.name === 'checkpoint');
    if (i < 0) return false;
    if (spec?.args.some((s) => s.name === 'checkpoint') || block?.params.some((p) => p.name.name === 'checkpoint')) return false;
    const a = args[i]!;
    args.splice(i, 1);
    if (a.value.kind === 'bool') return a.value.value;
    if (a.value.kind !== 'error') this.el.reportFrom('argumentType', a.range, `'checkpoint' must be true or false, got ${describeValue(a.value)}`, frame);
    return false;
  }

  private call(call: Call, args: EvArg[], frame: Frame, iteration?: number): Value {
    const name = call.callee.name;
    const block = this.el.block(name);
    const spec = block ? undefined : lookupOp(name);
    if (!block && !spec) {
      this.el.reportFrom('unknownCallee', call.callee.range, `unknown op or block '${name}'${didYouMean(name, [...opNames(), ...this.el.blockNames()])}`, frame);
      return ERROR;
    }
    const checkpoint = this.takeCheckpoint(args, frame, spec, block);
    const segment = frame.segment ?? (checkpoint ? this.segments++ : undefined);
    if (block) return this.callBlock(block, call, args, frame, segment, iteration);
    return this.callOp(spec!, call, args, frame, segment);
  }

  private callOp(spec: OpSpec, call: Call, args: EvArg[], frame: Frame, segment: number | undefined): Value {
    const local = this.scratch;
    const bound = bindOpArgs(spec, args, call.callee.range, local, (a) => this.unknownName({ kind: 'ident', name: a.word!, range: a.range }, frame));
    if (local.length > 0) {
      for (const d of local) this.el.forward(d, frame);
      local.length = 0;
    }
    if (!bound.ok) return ERROR;
    if (this.builder.opCount >= LIMITS.opsPerModel) {
      this.el.reportFrom('expansionLimit', call.range, `expansion stopped: over ${LIMITS.opsPerModel.toLocaleString('en-US')} ops in one model`, frame);
      throw new LimitReached();
    }
    const r = this.builder.add({
      op: spec.name,
      inputs: bound.inputs,
      args: bound.args,
      site: call.range,
      statement: frame.statement,
      callStack: frame.callStack,
      inPlace: bound.args['inplace'] === true,
      ...(segment !== undefined ? { checkpointSegment: segment } : {}),
    });
    if (!r.ok) {
      const blamed = r.arg !== undefined ? bound.ranges[r.arg] : undefined;
      this.el.reportFrom('shape', blamed ?? call.range, r.message.startsWith(spec.name) ? r.message : `${spec.name}: ${r.message}`, frame);
      return ERROR;
    }
    this.refs.add(this.graph, 'op', spec.name, call.callee.range, undefined, false, r.tensor.id, r.node.id);
    return { kind: 'tensor', id: r.tensor.id };
  }

  private callBlock(block: BlockItem, call: Call, args: EvArg[], frame: Frame, segment: number | undefined, iteration?: number): Value {
    const name = block.name.name;
    if (frame.blockChain.includes(name)) {
      const cycle = [...frame.blockChain.slice(frame.blockChain.indexOf(name)), name].join(' -> ');
      this.el.reportFrom('recursion', call.callee.range, `block '${name}' calls itself (${cycle}); blocks cannot recurse`, frame);
      return ERROR;
    }
    if (frame.blockChain.length >= LIMITS.blockDepth) {
      this.el.reportFrom('expansionLimit', call.callee.range, `block calls nested more than ${LIMITS.blockDepth} deep`, frame);
      return ERROR;
    }
    this.el.expandedBlocks.add(name);
    const scope = new Map<string, Binding>();
    const inner: Frame = {
      scope,
      callStack: [...frame.callStack, { block: name, site: call.range, ...(iteration !== undefined ? { iteration } : {}) }],
      blockChain: [...frame.blockChain, name],
      statement: frame.statement,
      ...(segment !== undefined ? { segment } : {}),
      topSite: frame.topSite ?? call.range,
    };
    if (!this.bindBlockArgs(block, call, args, inner, frame)) return ERROR;
    const opStart = this.builder.opCount;
    let result: Value | undefined;
    for (const stmt of block.body) {
      if (stmt.kind === 'assign') this.assign(stmt, inner);
      else if (stmt.kind === 'return') {
        result = this.known(this.eval(stmt.value, inner), stmt.value, inner);
        break;
      }
    }
    const ops: number[] = [];
    for (let id = opStart; id < this.builder.opCount; id++) ops.push(id);
    result ??= ERROR;
    this.refs.add(this.graph, 'block', name, call.callee.range, block.name.range, false, tensorsOf(result), ops);
    return result;
  }

  private bindBlockArgs(block: BlockItem, call: Call, args: readonly EvArg[], inner: Frame, outer: Frame): boolean {
    const name = block.name.name;
    const given = new Map<string, EvArg>();
    let ok = true;
    let p = 0;
    for (const a of args) {
      if (a.name) {
        const pname = a.name.name;
        if (!block.params.some((x) => x.name.name === pname)) {
          this.el.reportFrom('unknownArgument', a.name.range, `block '${name}' has no parameter '${pname}'${didYouMean(pname, block.params.map((x) => x.name.name))}`, outer);
          ok = false;
        } else if (given.has(pname)) {
          this.el.reportFrom('duplicateArgument', a.name.range, `'${pname}' is given twice`, outer);
          ok = false;
        } else given.set(pname, a);
        continue;
      }
      const param = block.params[p++];
      if (!param) {
        this.el.reportFrom('tooManyArguments', a.range, `block '${name}' takes ${block.params.length} parameter${block.params.length === 1 ? '' : 's'}`, outer);
        ok = false;
        break;
      }
      given.set(param.name.name, a);
    }
    for (const param of block.params) {
      const pname = param.name.name;
      const a = given.get(pname);
      let value: Value;
      if (a) {
        value = a.word !== undefined && !knownWords().has(a.word) ? (this.unknownName({ kind: 'ident', name: a.word, range: a.range }, outer), ERROR) : a.value;
      } else if (param.default) {
        value = this.known(this.eval(param.default, inner), param.default, inner);
      } else {
        this.el.reportFrom('missingArgument', call.callee.range, `block '${name}' needs '${pname}'`, outer);
        ok = false;
        continue;
      }
      inner.scope.set(pname, { value, def: param.name.range, isParam: true });
      this.refs.add(this.graph, 'parameter', pname, param.name.range, param.name.range, true, tensorsOf(value));
    }
    return ok;
  }

  private repeat(e: Repeat, frame: Frame): Value {
    const countValue = this.known(this.eval(e.count, frame), e.count, frame);
    const args = this.evalArgs(e.call, frame);
    if (countValue.kind === 'error') return ERROR;
    const k = asInt(countValue);
    if (!k.ok) {
      this.el.reportFrom(countValue.kind === 'real' ? 'number' : 'evaluation', e.count.range, `repeat count: ${k.message}`, frame);
      return ERROR;
    }
    if (k.value < 0) {
      this.el.reportFrom('evaluation', e.count.range, `repeat count must be 0 or more, got ${k.value}`, frame);
      return ERROR;
    }
    if (k.value > LIMITS.repeatCount) {
      this.el.reportFrom('expansionLimit', e.count.range, `repeat ${k.value} is over the limit of ${LIMITS.repeatCount.toLocaleString('en-US')} repetitions`, frame);
      return ERROR;
    }
    const firstIndex = args.findIndex((a) => !a.name);
    if (firstIndex < 0) {
      this.el.reportFrom('missingArgument', e.call.callee.range, `repeat feeds each result back as the first argument: '${e.call.callee.name}' needs one`, frame);
      return ERROR;
    }
    let current = args[firstIndex]!.value;
    for (let i = 0; i < k.value; i++) {
      const before = this.builder.opCount;
      const iterArgs = args.slice();
      iterArgs[firstIndex] = { ...args[firstIndex]!, value: current, ...(i > 0 ? { word: undefined } : {}) };
      current = this.call(e.call, iterArgs, frame, i);
      if (current.kind === 'error') return ERROR;
      const perIteration = this.builder.opCount - before;
      if (i === 0 && perIteration * (k.value - 1) > LIMITS.opsPerModel - this.builder.opCount) {
        this.el.reportFrom(
          'expansionLimit',
          e.range,
          `repeat ${k.value} would expand to about ${(perIteration * k.value).toLocaleString('en-US')} ops, over the limit of ${LIMITS.opsPerModel.toLocaleString('en-US')} per model`,
          frame,
        );
        throw new LimitReached();
      }
    }
    return current;
  }
}

function tensorsOf(v: Value): number | undefined {
  return v.kind === 'tensor' ? v.id : undefined;
}

