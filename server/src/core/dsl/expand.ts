// Expansion: op calls to the GraphBuilder, block calls with their arguments bound, `repeat`
// feeding each result back, checkpoint segments, and the limits on all of it.
import type { BlockItem, Call, Expr, Ident, ModelItem, Repeat, Statement } from './ast';
import type { CallFrame, CoreDiagnostic, Graph, OpId, SourceRange, TensorId } from '../ir';
import { isRejection, type GraphBuilder, type OpRequest } from '../graphBuilder';
import type { RefCollector } from './refs';
import { lookupOp, opNames } from '../ops/registry';
import type { ArgValue, OpSpec } from '../ops/types';
import { bindOpArgs, rangeOfArg, type EvArg } from './bind';
import { Evaluator, knownWords, LIMITS, LimitReached, tensorsOf, type Binding, type ElaborationContext, type Frame } from './evaluate';
import { didYouMean } from './suggest';
import { asInt, describeValue, ERROR, type Value } from './values';
import { addDenseAdapters, bindLora, type LoraSpec } from './lora';

/** the record of an OpRequest whose values come by index (argValues) */
const NO_ARGS: Readonly<Record<string, ArgValue>> = Object.freeze({});

const inplaceIndexes = new Map<OpSpec, number>();
/** index of the spec's `inplace` argument, -1 when it has none */
function inplaceIndex(spec: OpSpec): number {
  let i = inplaceIndexes.get(spec);
  if (i === undefined) {
    i = spec.args.findIndex((a) => a.name === 'inplace');
    inplaceIndexes.set(spec, i);
  }
  return i;
}

/** `lora(...)` written as a call (there is no op of that name) */
function isLoraCall(node: Expr): node is Call {
  return node.kind === 'call' && node.calleeName === 'lora';
}

/** attention's values with its lora_rank and lora_targets set (dense's adapters are ops of their own) */
function withLora(spec: OpSpec, values: readonly (ArgValue | undefined)[], lora: LoraSpec): readonly (ArgValue | undefined)[] {
  if (spec.name !== 'attention') return values;
  const out = values.slice();
  out[spec.args.findIndex((a) => a.name === 'lora_rank')] = lora.rank;
  if (lora.targets) out[spec.args.findIndex((a) => a.name === 'lora_targets')] = lora.targets.join(',');
  return out;
}

/** elaborates one model into its graph */
export class ModelRun extends Evaluator {
  /** reused for each op's binding diagnostics */
  private readonly scratch: CoreDiagnostic[] = [];
  private segments = 0;
  /** the frame of the op call being bound, for the one callback bindOpArgs reports unknown words through */
  private bindingFrame: Frame | undefined;
  /** the callee's span handed to refs, which copy its offsets at once: no Ident is built per call */
  private readonly calleeSpan = { from: 0, to: 0 };
  /** one request for every op: the builder copies what it keeps (inputs, ranges), never the request */
  private readonly request: { -readonly [K in keyof OpRequest]: OpRequest[K] } = {
    op: '',
    inputs: [],
    args: NO_ARGS,
    argValues: undefined,
    spans: undefined,
    siteFrom: 0,
    siteTo: 0,
    statementFrom: 0,
    statementTo: 0,
    callStack: undefined,
    inPlace: false,
    checkpointSegment: undefined,
    frozen: false,
    sharesParamsWith: undefined,
  };
  private readonly unknownWord = (a: EvArg): void => this.unknownName(a.word!, a.at, this.bindingFrame!);

  constructor(el: ElaborationContext, builder: GraphBuilder, graph: number, refs: RefCollector, private readonly modelName: Ident) {
    super(el, builder, graph, refs);
  }

  /** the model's scope; statement offsets are updated per statement */
  private readonly frame: Frame = { scope: new Map(), callStack: [], blockChain: [], statementFrom: 0, statementTo: 0 };
  private outputs: TensorId[] | undefined;
  private truncated = false;
  /** past a `return` or a limit: later statements are not elaborated */
  private stopped = false;
  /** the tensor each body statement produced, by its index in the body (the outline's shapes) */
  readonly tensors: (TensorId | undefined)[] = [];

  /** a whole model: its body's statements in order, then its graph */
  run(model: ModelItem): Graph {
    const body = model.body;
    for (let index = 0; index < body.length && !this.stopped; index++) this.statement(body[index]!, index);
    return this.finish(model.range);
  }

  /**
   * One statement of the body, `index` its place there. The frontend may call this while it parses
   * the body, so that a large model's statements need not all be in memory (streamed.ts).
   */
  statement(stmt: Statement, index: number): void {
    if (this.stopped || stmt.kind === 'config') return;
    if (this.outputs !== undefined) {
      this.el.reportFrom('unreachable', stmt.range, 'statement after return is never elaborated', undefined, 'warning');
      this.stopped = true;
      return;
    }
    const frame = this.frame;
    frame.statementFrom = stmt.from;
    frame.statementTo = stmt.to;
    try {
      if (stmt.kind === 'assign') {
        const v = this.assign(stmt, frame);
        this.tensors[index] = v.kind === 'tensor' ? v.id : undefined;
      } else {
        const v = this.known(this.eval(stmt.value, frame), stmt.value, frame);
        this.tensors[index] = v.kind === 'tensor' ? v.id : undefined;
        if (v.kind === 'tensor') this.outputs = [v.id];
        else {
          if (v.kind !== 'error') this.el.reportFrom('evaluation', stmt.value.range, `a model returns a tensor, got ${describeValue(v)}`);
          this.outputs = [];
        }
      }
    } catch (e) {
      if (e instanceof RangeError) {
        // deep expressions inside deeply nested blocks can outrun the stack: a diagnostic, not a crash
        this.el.reportFrom('expansionLimit', this.modelName.range, `model '${this.modelName.name}' nests blocks and expressions too deeply to elaborate`);
      } else if (!(e instanceof LimitReached)) throw e;
      this.truncated = true;
      this.outputs ??= [];
      this.stopped = true;
    }
  }

  /** the graph, once every statement is in; `range` is the whole model's */
  finish(range: SourceRange): Graph {
    const name = this.modelName;
    let outputs = this.outputs;
    if (outputs === undefined) {
      this.el.reportFrom('modelNoReturn', name.range, `model '${name.name}' has no 'return'; its last tensor is taken as the output`, undefined, 'warning');
      outputs = this.builder.opCount > 0 ? [this.builder.opCount - 1] : [];
    }
    this.refs.add(this.graph, 'model', name.name, name, name, true);
    return this.builder.build(outputs, this.truncated, range);
  }

  private callee(call: Call): { readonly from: number; readonly to: number } {
    this.calleeSpan.from = call.from;
    this.calleeSpan.to = call.calleeTo;
    return this.calleeSpan;
  }

  /** the lora(...) values of `lora:` arguments, by the argument that carries them (undefined: reported) */
  private readonly loraSpecs = new WeakMap<EvArg, LoraSpec | undefined>();

  /**
   * A `lora: lora(...)` argument is not an op call: its own arguments are bound as LoRA settings
   * (targets' bare words q, k, v, o stay words), the argument keeps a marker the call takes out.
   */
  protected override evalArgs(call: Call, frame: Frame): EvArg[] {
    const named = call.named;
    if (!named?.some((a, i) => a?.name?.name === 'lora' && isLoraCall(call.values[i]!)) || this.el.block('lora')) return super.evalArgs(call, frame);
    const out = super.evalArgs(call, frame, (i) => named[i]?.name?.name === 'lora' && isLoraCall(call.values[i]!));
    for (let i = 0; i < out.length; i++) {
      if (named[i]?.name?.name !== 'lora' || !isLoraCall(call.values[i]!)) continue;
      const inner = call.values[i] as Call;
      let positional = 0;
      const args = inner.values.map((node, k): EvArg => {
        const name = inner.named?.[k]?.name;
        // targets is the fourth positional argument (rank, alpha, dropout, targets)
        const targets = name ? name.name === 'targets' : positional++ === 3;
        const value = targets ? this.targetWords(node, frame) : this.known(this.eval(node, frame), node, frame);
        return { name, value, at: node };
      });
      this.loraSpecs.set(out[i]!, bindLora(args, inner.callee.range, (code, range, message) => this.el.reportFrom(code, range, message, frame)));
    }
    return out;
  }

  /** `targets: [q, v]`: an unbound bare word is the projection's name, not an unknown name */
  private targetWords(node: Expr, frame: Frame): Value {
    const word = (e: Expr): Value => (e.kind === 'ident' && !frame.scope.has(e.name) ? { kind: 'symbol', name: e.name } : this.known(this.eval(e, frame), e, frame));
    return node.kind === 'list' ? { kind: 'list', items: node.items.map(word) } : word(node);
  }

  /**
   * `lora: lora(...)` on a call, taken out of the arguments: undefined when absent, null when
   * wrong (reported), else the settings
   */
  private takeLora(args: EvArg[], frame: Frame, spec: OpSpec | undefined, block: BlockItem | undefined): LoraSpec | undefined | null {
    const i = args.findIndex((a) => a.name?.name === 'lora');
    if (i < 0 || spec?.args.some((s) => s.name === 'lora') || block?.params.some((p) => p.name.name === 'lora')) return undefined;
    const a = args[i]!;
    args.splice(i, 1);
    if (!this.loraSpecs.has(a)) {
      if (a.value.kind === 'error') return null;
      this.el.reportFrom('argumentType', a.at.range, `'lora' takes lora(rank: r, alpha: a), got ${describeValue(a.value)}`, frame);
      return null;
    }
    const lora = this.loraSpecs.get(a);
    if (!lora) return null;
    const on = spec?.name;
    if (on !== 'dense' && on !== 'attention') {
      const what = block ? `the block call '${block.name.name}': give it on its dense and attention calls` : `'${on}'`;
      this.el.reportFrom('argumentType', a.at.range, `'lora' adds adapters to a dense or attention call, not to ${what}`, frame);
      return null;
    }
    if (on === 'dense' && lora.targets) {
      this.el.reportFrom('argumentType', a.at.range, "lora 'targets' names attention projections; a dense layer is one matrix", frame);
      return null;
    }
    if (on === 'attention' && lora.dropout > 0) {
      this.el.reportFrom('argumentType', a.at.range, "lora 'dropout' on attention is not modelled (each adapted projection would keep its own dropped input and mask): give it on dense calls, or leave it at 0", frame);
      return null;
    }
    return lora;
  }

  /**
   * `checkpoint: true` on a block call or repeat, or `checkpoint: k` on a repeat (its iterations
   * 0, k, 2k, ...: every k-th block), taken out of the arguments: whether this call (iteration
   * `iteration` of a repeat) is checkpointed
   */
  private takeCheckpoint(args: EvArg[], frame: Frame, spec: OpSpec | undefined, block: BlockItem | undefined, iteration: number | undefined): boolean {
    let i = 0;
    while (i < args.length && args[i]!.name?.name !== 'checkpoint') i++;
    if (i === args.length) return false;
    if (spec?.args.some((s) => s.name === 'checkpoint') || block?.params.some((p) => p.name.name === 'checkpoint')) return false;
    const a = args[i]!;
    args.splice(i, 1);
    if (a.value.kind === 'bool') return a.value.value;
    if (a.value.kind === 'int' && a.value.value >= 1 && iteration !== undefined) return iteration % a.value.value === 0;
    // every single block: true, on any call
    if (a.value.kind === 'int' && a.value.value === 1) return true;
    if (a.value.kind === 'int' && a.value.value >= 1) {
      this.el.reportFrom('argumentType', a.at.range, `'checkpoint: ${a.value.value}' checkpoints one in every ${a.value.value} iterations of a repeat; on a single call give true or false`, frame);
    } else if (a.value.kind !== 'error' && (iteration ?? 0) === 0) {
      // a repeat says it once, at its first iteration
      this.el.reportFrom('argumentType', a.at.range, `'checkpoint' must be true, false or, on a repeat, a whole number k >= 1 (every k-th block), got ${describeValue(a.value)}`, frame);
    }
    return false;
  }

  /**
   * A generic boolean argument of any call (`checkpoint:`, `frozen:`), taken out of the arguments;
   * false when absent, not a boolean (reported), or a parameter of the op or block itself.
   */
  private takeFlag(flag: string, args: EvArg[], frame: Frame, spec: OpSpec | undefined, block: BlockItem | undefined): boolean {
    let i = 0;
    while (i < args.length && args[i]!.name?.name !== flag) i++;
    if (i === args.length) return false;
    if (spec?.args.some((s) => s.name === flag) || block?.params.some((p) => p.name.name === flag)) return false;
    const a = args[i]!;
    args.splice(i, 1);
    if (a.value.kind === 'bool') return a.value.value;
    if (a.value.kind !== 'error') this.el.reportFrom('argumentType', a.at.range, `'${flag}' must be true or false, got ${describeValue(a.value)}`, frame);
    return false;
  }

  /**
   * `tie: t` on an op call: the op uses the weights of the op that made tensor t (weight tying: an
   * output projection sharing the token embedding), counted once, its gradient accumulated there.
   * Taken out of the arguments; undefined when absent, null when given but unusable (reported).
   */
  private takeTie(args: EvArg[], frame: Frame, spec: OpSpec | undefined, block: BlockItem | undefined): OpId | undefined | null {
    const i = args.findIndex((a) => a.name?.name === 'tie');
    if (i < 0 || spec?.args.some((s) => s.name === 'tie') || block?.params.some((p) => p.name.name === 'tie')) return undefined;
    const a = args[i]!;
    args.splice(i, 1);
    if (a.value.kind === 'error') return null;
    if (block) {
      this.el.reportFrom('argumentType', a.at.range, `'tie' shares one op's weights: give it on an op call, not on the block call '${block.name.name}'`, frame);
      return null;
    }
    if (a.value.kind !== 'tensor') {
      this.el.reportFrom('argumentType', a.at.range, `'tie' must be a tensor made by an op with weights, got ${describeValue(a.value)}`, frame);
      return null;
    }
    const owner = this.builder.weightOwnerOf(a.value.id);
    const made = this.builder.paramsOf(owner);
    if (made.trainable + made.nonTrainable === 0) {
      this.el.reportFrom('argumentType', a.at.range, `'tie': the op that made this tensor has no weights to share`, frame);
      return null;
    }
    return owner;
  }

  protected call(call: Call, args: EvArg[], frame: Frame, iteration?: number): Value {
    const name = call.calleeName;
    const block = this.el.block(name);
    const spec = block ? undefined : lookupOp(name);
    if (!block && !spec) {
      this.el.reportFrom('unknownCallee', call.callee.range, `unknown op or block '${name}'${didYouMean(name, [...opNames(), ...this.el.blockNames()])}`, frame);
      return ERROR;
    }
    const checkpoint = this.takeCheckpoint(args, frame, spec, block, iteration);
    const segment = frame.segment ?? (checkpoint ? this.segments++ : undefined);
    // `frozen: true` freezes the op's weights, or every op's inside the block call
    const frozen = this.takeFlag('frozen', args, frame, spec, block) || frame.frozen === true;
    const tie = this.takeTie(args, frame, spec, block);
    if (tie === null) return ERROR;
    const lora = this.takeLora(args, frame, spec, block);
    if (lora === null) return ERROR;
    if (block) return this.callBlock(block, call, args, frame, segment, iteration, frozen);
    return this.callOp(spec!, call, args, frame, segment, iteration !== undefined, tie, frozen, lora);
  }

  private callOp(spec: OpSpec, call: Call, args: EvArg[], frame: Frame, segment: number | undefined, repeated: boolean, tie: OpId | undefined, frozen: boolean, lora?: LoraSpec): Value {
    const local = this.scratch;
    this.bindingFrame = frame;
    const bound = bindOpArgs(spec, args, call, local, this.unknownWord);
    if (local.length > 0) {
      for (const d of local) this.el.forward(d, frame);
      local.length = 0;
    }
    if (!bound.ok) return ERROR;
    if (this.builder.opCount >= LIMITS.opsPerModel) {
      this.el.reportFrom('expansionLimit', call.range, `expansion stopped: over ${LIMITS.opsPerModel.toLocaleString('en-US')} ops in one model`, frame);
      throw new LimitReached();
    }
    const inplaceAt = inplaceIndex(spec);
    const inPlace = inplaceAt >= 0 && bound.values[inplaceAt] === true;
    const argValues = lora ? withLora(spec, bound.values, lora) : bound.values;
    if (lora && spec.name === 'dense' && argValues[spec.args.findIndex((s) => s.name === 'activation')] !== undefined && argValues[spec.args.findIndex((s) => s.name === 'activation')] !== 'linear') {
      this.el.reportFrom('argumentType', call.range, 'dense: a fused activation with lora would apply before the adapters are added; write the activation as its own call around the dense', frame);
      return ERROR;
    }
    const request = this.request;
    request.op = spec.name;
    request.inputs = bound.inputs;
    request.argValues = argValues;
    // offsets: the graph makes the ranges of the ops that are read
    request.spans = call.src;
    request.siteFrom = call.from;
    request.siteTo = call.to;
    request.statementFrom = frame.statementFrom;
    request.statementTo = frame.statementTo;
    request.callStack = frame.callStack;
    request.inPlace = inPlace;
    request.checkpointSegment = segment;
    // LoRA's base weights are frozen
    request.frozen = frozen || lora !== undefined;
    request.sharesParamsWith = tie;
    // the statement renames its result anyway; nested calls keep op#id
    const name = call === this.namedCall ? this.callName : undefined;
    const adapters = lora !== undefined && spec.name === 'dense';
    request.name = adapters ? undefined : name;
    const base = this.builder.add(request);
    const r = adapters && !isRejection(base) ? addDenseAdapters(this.builder, base, bound.inputs[0]!, this.builder.shapeOf(base).at(-1)!, lora, request, name) : base;
    if (isRejection(r)) {
      const blamed = r.arg !== undefined ? rangeOfArg(spec, bound, r.arg) : undefined;
      if (tie !== undefined && r.shared) {
        const { made, needed } = r.shared;
        const why =
          needed === 0
            ? 'it has no weights to tie'
            : `tie: the tied op has ${made.toLocaleString('en-US')} weights; this call would need ${needed.toLocaleString('en-US')} of its own${needed > made ? ' (pass bias: false if only the bias differs)' : ''}`;
        this.el.reportFrom('shape', call.range, `${spec.name}: ${why}`, frame);
        return ERROR;
      }
      this.el.reportFrom('shape', blamed ?? call.range, r.message.startsWith(spec.name) ? r.message : `${spec.name}: ${r.message}`, frame);
      return ERROR;
    }
    // a call met once (top level, not repeated) needs no merging with other instances
    this.refs.add(this.graph, 'op', spec.name, this.callee(call), undefined, false, r, r, !repeated && frame.callStack.length === 0);
    return { kind: 'tensor', id: r };
  }

  private callBlock(block: BlockItem, call: Call, args: EvArg[], frame: Frame, segment: number | undefined, iteration: number | undefined, frozen: boolean): Value {
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
    // built without spreads of optional fields: a block call is made per expansion
    const site: CallFrame = iteration !== undefined ? { block: name, site: call.range, iteration } : { block: name, site: call.range };
    const callStack = [...frame.callStack, site];
    const blockChain = [...frame.blockChain, name];
    const topSite = frame.topSite ?? call.range;
    const inner: { -readonly [K in keyof Frame]: Frame[K] } =
      segment !== undefined
        ? { scope, callStack, blockChain, statementFrom: frame.statementFrom, statementTo: frame.statementTo, segment, topSite }
        : { scope, callStack, blockChain, statementFrom: frame.statementFrom, statementTo: frame.statementTo, topSite };
    if (frozen) inner.frozen = true;
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
    this.refs.add(this.graph, 'block', name, this.callee(call), block.name, false, tensorsOf(result), ops, iteration === undefined && frame.callStack.length === 0);
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
        this.el.reportFrom('tooManyArguments', a.at.range, `block '${name}' takes ${block.params.length} parameter${block.params.length === 1 ? '' : 's'}`, outer);
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
        value = a.word !== undefined && !knownWords().has(a.word) ? (this.unknownName(a.word, a.at, outer), ERROR) : a.value;
      } else if (param.default) {
        value = this.known(this.eval(param.default, inner), param.default, inner);
      } else {
        this.el.reportFrom('missingArgument', call.callee.range, `block '${name}' needs '${pname}'`, outer);
        ok = false;
        continue;
      }
      inner.scope.set(pname, { value, def: param.name, isParam: true });
      this.refs.add(this.graph, 'parameter', pname, param.name, param.name, true, tensorsOf(value));
    }
    return ok;
  }

  protected repeat(e: Repeat, frame: Frame): Value {
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
      const first = args[firstIndex]!;
      // the fed-back value was no bare word after the first iteration
      iterArgs[firstIndex] = { name: first.name, value: current, at: first.at, word: i > 0 ? undefined : first.word };
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
  }}
