// Builds a Graph op by op. Both frontends (.nnm and TensorFlow.js) feed it resolved calls;
// it fills defaults, runs the registry's shape and parameter rules and guards against overflow.
import type { CallFrame, DType, Graph, ModelConfig, OpId, ParamCount, SourceRange, TensorId, TensorType, TiedWeight } from './ir';
import { NO_PARAMS, sameShape } from './ops/common';
import { lookupOp } from './ops/registry';
import { ShapeError, type ArgValue, type OpContext, type OpSpec } from './ops/types';
import { safeProduct } from './units';
import { attachGraphColumns, GraphColumnsBuilder } from './graphColumns';
import { graphFromColumns, type GraphHead, type RangeSource } from './graphObjects';
import { FloatColumn, IntColumn } from './columns';

export interface OpRequest {
  /** op name or alias */
  readonly op: string;
  readonly inputs: readonly TensorId[];
  /** non-tensor arguments by name; missing ones take the spec's default */
  readonly args: Readonly<Record<string, ArgValue>>;
  /**
   * Instead of `args` (ignored when present): the values by index into the spec's `args`,
   * undefined where not given. The .nnm frontend binds by index and so builds no record per op.
   */
  readonly argValues?: readonly (ArgValue | undefined)[];
  /** the call expression in the source; without it, `spans` and `siteFrom` / `siteTo` */
  readonly site?: SourceRange;
  /** the op's top-level statement; without it, `spans` and `statementFrom` / `statementTo` */
  readonly statement?: SourceRange;
  /**
   * Offsets instead of ranges, turned into ranges by `spans` when an op is read: the .nnm frontend
   * made a range (three objects) per op and per statement, kept for the whole analysis.
   */
  readonly spans?: RangeSource;
  readonly siteFrom?: number;
  readonly siteTo?: number;
  readonly statementFrom?: number;
  readonly statementTo?: number;
  readonly callStack?: readonly CallFrame[];
  readonly inPlace?: boolean;
  readonly checkpointSegment?: number;
  /** `frozen: true`: the op's trainable weights become frozen ones (OpNode.frozen) */
  readonly frozen?: boolean;
  /** name for the output tensor; defaults to `<op>#<id>` */
  readonly name?: string;
  readonly sharesParamsWith?: number;
  /**
   * The op's parameters as the frontend counted them, instead of the registry's rule: a PyTorch
   * module knows its own tensors (tied, frozen, never-called weights), which the op cannot see.
   */
  readonly params?: ParamCount;
  /** with `params`: how many of its nonTrainable are frozen weights (parameters with requires_grad False), not buffers */
  readonly frozenParams?: number;
}

/** why the builder refused an op, and the argument to blame when one is */
export interface OpRejection {
  readonly message: string;
  readonly arg?: string;
  /** the op was to share another op's weights, which do not fit it */
  readonly shared?: { readonly made: number; readonly needed: number };
}

/**
 * add()'s answer: the new op's id, which is also the id of the tensor it writes (one output per op),
 * or why it was refused. A number, not a record, so that adding an op allocates no answer.
 */
export type OpResult = OpId | OpRejection;

export function isRejection(result: OpResult): result is OpRejection {
  return typeof result !== 'number';
}

/** dtype of activations for a precision: mixed computes in fp16 and keeps fp32 master weights */
export function activationDType(config: ModelConfig): DType {
  switch (config.precision) {
    case 'fp16':
    case 'mixed':
      return 'fp16';
    case 'bf16':
      return 'bf16';
    case 'fp64':
      return 'fp64';
    case 'int8':
      return 'int8';
    default:
      return 'fp32';
  }
}

/** the call stack of every op outside a block (shared: nothing mutates a Graph) */
const NO_FRAMES: readonly CallFrame[] = [];

/**
 * Ops go into columns, not objects (graphColumns.ts); the graph builds its op and tensor objects
 * when they are first read (graphObjects.ts).
 */
export class GraphBuilder {
  private readonly inputs: TensorId[] = [];
  /**
   * One context for every op, and one input list per arity: shape and parameter rules are pure
   * and read them during add() only. Two objects made per op were a tenth of what it allocated.
   */
  private readonly ctx: { -readonly [K in keyof OpContext]: OpContext[K] };
  private readonly inputLists: InputType[][] = [];
  private readonly columns = new GraphColumnsBuilder();
  /** the weights each op's own rule made (before any a frontend adds): a later application sharing them must need as many */
  // a column by op id, NaN where the op made none: a Map of a million entries rehashed as it grew
  private readonly weightsMade = new FloatColumn();
  private readonly site: (SourceRange | undefined)[] = [];
  private readonly statement: (SourceRange | undefined)[] = [];
  private readonly spans: (RangeSource | undefined)[] = [];
  private readonly siteFrom = new IntColumn();
  private readonly siteTo = new IntColumn();
  private readonly statementFrom = new IntColumn();
  private readonly statementTo = new IntColumn();
  private readonly callStack: (readonly CallFrame[])[] = [];
  private readonly inPlace = new IntColumn();
  private readonly tensorName: (string | undefined)[] = [];

  constructor(
    private readonly name: string,
    private readonly config: ModelConfig,
    private readonly range: SourceRange,
    private readonly nameRange: SourceRange,
  ) {
    this.ctx = { layout: config.layout, activationDType: activationDType(config), inputs: [], args: {} };
  }

  /** the per-sample shape of a tensor added so far */
  shapeOf(id: TensorId): readonly number[] {
    this.check(id);
    return this.columns.shapeOf(id);
  }

  /**
   * Parameters attributed to an op after it was added: a PyTorch model's weights that no call
   * read (modules never called, raw nn.Parameter tensors) ride on its input.
   */
  addParams(id: OpId, params: ParamCount, frozen = 0): void {
    this.check(id);
    if (!Number.isSafeInteger(params.trainable) || !Number.isSafeInteger(params.nonTrainable)) throw new Error('parameters past 2^53');
    this.columns.addParams(id, params, Math.min(frozen, params.nonTrainable));
  }

  /** whether a tensor added so far does not grow with the batch */
  isBatchIndependent(id: TensorId): boolean {
    this.check(id);
    return this.columns.isBatchIndependent(id);
  }

  /** the element type of a tensor added so far */
  dtypeOf(id: TensorId): DType {
    this.check(id);
    return this.columns.dtypeOf(id);
  }

  /** the parameters of an op added so far */
  paramsOf(id: OpId): ParamCount {
    this.check(id);
    return this.columns.paramsOf(id);
  }

  /** whose weights an op added so far uses: its own id, or the op whose weights it shares */
  weightOwnerOf(id: OpId): OpId {
    this.check(id);
    return this.columns.weightOwnerOf(id);
  }

  private check(id: TensorId): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.columns.opCount)) throw new Error(`unknown tensor id ${id}`);
  }

  get opCount(): number {
    return this.columns.opCount;
  }

  private readonly held = new Map<TensorId, OpId>();
  private readonly tied: TiedWeight[] = [];

  /** op `reader` also reads a parameter tensor that op `owner` counts (Graph.tiedWeights) */
  tieWeight(tie: TiedWeight): void {
    this.tied.push(tie);
  }

  /** a source variable holds `tensor` until the latest op (Graph.heldUntil) */
  holdUntilNow(tensor: TensorId): void {
    const last = this.columns.opCount - 1;
    if (last > (this.held.get(tensor) ?? -1)) this.held.set(tensor, last);
  }

  add(request: OpRequest): OpResult {
    const spec = lookupOp(request.op);
    if (!spec) return { message: `unknown op '${request.op}'` };
    if (!locatable(request)) throw new Error(`op request '${request.op}' has neither ranges nor spans with offsets`);
    const args = attrsCache.of(spec, request.args, request.argValues);
    const n = request.inputs.length;
    const inputs = (this.inputLists[n] ??= inputTypes(n));
    for (let k = 0; k < n; k++) {
      const id = request.inputs[k]!;
      this.check(id);
      inputs[k]!.shape = this.columns.shapeOf(id);
      inputs[k]!.dtype = this.columns.dtypeOf(id);
    }
    const ctx = this.ctx;
    ctx.inputs = inputs;
    ctx.args = args;
    let shape: number[];
    try {
      shape = spec.inferShape(ctx);
    } catch (err) {
      if (err instanceof ShapeError) return rejection(err);
      throw err;
    }
    const elementsPerSample = safeProduct(shape);
    if (elementsPerSample === undefined) {
      return { message: `${spec.name} output [${shape.join(', ')}] has more elements than can be counted exactly (over 2^53)` };
    }
    let params: ParamCount;
    try {
      params = request.params ?? (request.sharesParamsWith === undefined ? spec.params(ctx, shape) : NO_PARAMS);
      // a layer applied again uses its weights: a tensor that would need other weights does not fit it
      if (request.sharesParamsWith !== undefined && request.params === undefined) {
        const own = spec.params(ctx, shape);
        const owner = request.sharesParamsWith;
        const first = owner >= 0 && owner < this.weightsMade.length ? this.weightsMade.at(owner) : NaN;
        if (!Number.isNaN(first) && own.trainable + own.nonTrainable !== first) {
          const needed = own.trainable + own.nonTrainable;
          return { message: `this layer's weights (${first} values) were made for its first input; this input would need ${needed}`, shared: { made: first, needed } };
        }
      }
    } catch (err) {
      if (err instanceof ShapeError) return rejection(err);
      throw err;
    }
    if (!Number.isSafeInteger(params.trainable) || !Number.isSafeInteger(params.nonTrainable)) {
      return { message: `${spec.name} has more parameters than can be counted exactly (over 2^53)` };
    }
    // a frozen op's weights keep their count but lose their gradient: they move to nonTrainable;
    // an op with adapters (LoRA) trains only those
    let adapters = 0;
    try {
      adapters = request.params === undefined && request.sharesParamsWith === undefined ? (spec.adapterParams?.(ctx) ?? 0) : 0;
    } catch (err) {
      if (err instanceof ShapeError) return rejection(err);
      throw err;
    }
    const freezes = request.frozen === true || adapters > 0 ? params.trainable : 0;
    if (freezes > 0 || adapters > 0) params = { trainable: adapters, nonTrainable: params.nonTrainable + freezes };
    const frozen = freezes + (request.params !== undefined ? Math.min(request.frozenParams ?? 0, params.nonTrainable) : 0);
    if (!Number.isSafeInteger(params.trainable)) return { message: `${spec.name} has more parameters than can be counted exactly (over 2^53)` };
    const dtype = spec.outputDType?.(ctx) ?? ctx.activationDType;
    // an op that keeps its input's shape (activations, norms) shares the input's array
    const kept = n > 0 && sameShape(inputs[0]!.shape, shape) ? inputs[0]!.shape : shape;
    const inPlace = request.inPlace ?? false;
    // a tensor grows with the batch when an input does; an op without inputs other than `input`
    // makes a batch-independent tensor (a constant, a view of the weights)
    const grows = spec.growsWithBatch?.(ctx) === true;
    // (an input shared by the whole batch, per_sample false, is batch-independent too)
    let batchIndependent = spec.name !== 'input' ? !grows : ctx.args['per_sample'] === false;
    for (let k = 0; k < n && batchIndependent; k++) batchIndependent = this.columns.isBatchIndependent(request.inputs[k]!);
    if (spec.reducesBatch?.(ctx)) batchIndependent = true;
    const id = this.columns.add(spec, args, request.inputs, inPlace, params, request.sharesParamsWith, request.checkpointSegment, kept, dtype, elementsPerSample, batchIndependent, frozen);
    this.weightsMade.push(request.sharesParamsWith === undefined && request.params === undefined ? params.trainable + params.nonTrainable : NaN);
    this.site.push(request.site);
    this.statement.push(request.statement);
    this.spans.push(request.spans);
    this.siteFrom.push(request.siteFrom ?? -1);
    this.siteTo.push(request.siteTo ?? -1);
    this.statementFrom.push(request.statementFrom ?? -1);
    this.statementTo.push(request.statementTo ?? -1);
    this.callStack.push(request.callStack ?? NO_FRAMES);
    this.inPlace.push(inPlace ? 1 : 0);
    this.tensorName.push(request.name);
    if (spec.name === 'input') this.inputs.push(id);
    return id;
  }

  /** give a tensor a user-facing name after the fact (the left-hand side of a statement) */
  rename(id: TensorId, name: string): void {
    this.check(id);
    this.tensorName[id] = name;
  }

  /**
   * `range`: the model's, when it was not known as the builder was made (a body elaborated as it is
   * parsed); `config`: the model's, when the code after the model decides it (a Python training step)
   */
  build(outputs: readonly TensorId[], truncated = false, range = this.range, config = this.config): Graph {
    const head: GraphHead = {
      name: this.name,
      range,
      nameRange: this.nameRange,
      inputs: this.inputs,
      outputs: [...outputs],
      config,
      ...(truncated ? { truncated: true } : {}),
      ...(this.held.size > 0 ? { heldUntil: new Map(this.held) } : {}),
      ...(this.tied.length > 0 ? { tiedWeights: [...this.tied] } : {}),
    };
    const columns = this.columns.finish(head.outputs);
    const graph = graphFromColumns(head, columns, {
      site: this.site,
      statement: this.statement,
      spans: this.spans,
      siteFrom: this.siteFrom.finish(),
      siteTo: this.siteTo.finish(),
      statementFrom: this.statementFrom.finish(),
      statementTo: this.statementTo.finish(),
      callStack: this.callStack,
      inPlace: new Uint8Array(this.inPlace.finish()),
      tensorName: this.tensorName,
    });
    attachGraphColumns(graph, columns);
    return graph;
  }
}

const NO_SHAPE: readonly number[] = [];

/** a site and a statement, each as a range or as offsets into `spans` */
function locatable(r: OpRequest): boolean {
  const spans = r.spans !== undefined;
  return (r.site !== undefined || (spans && r.siteFrom !== undefined && r.siteTo !== undefined)) &&
    (r.statement !== undefined || (spans && r.statementFrom !== undefined && r.statementTo !== undefined));
}

function rejection(err: ShapeError): OpRejection {
  return err.arg !== undefined ? { message: err.message, arg: err.arg } : { message: err.message };
}

/** an input's type as the shape rules see it, refilled per op */
type InputType = { -readonly [K in keyof TensorType]: TensorType[K] };

/** `n` input types, refilled per op: shape rules read them during add() only */
function inputTypes(n: number): InputType[] {
  const types: InputType[] = [];
  for (let k = 0; k < n; k++) types.push({ shape: NO_SHAPE, dtype: 'fp32' });
  return types;
}

/** the non-tensor arguments of a spec, in order, with their defaults */
interface ArgTable {
  readonly names: readonly string[];
  /** index of each name in the spec's `args` */
  readonly specIndex: readonly number[];
  readonly defaults: readonly (ArgValue | undefined)[];
  /** the values of the call at hand, by index into `names` */
  readonly values: (ArgValue | undefined)[];
  /** recently built attrs with their values by index, newest replacing the oldest */
  readonly recent: { values: (ArgValue | undefined)[]; attrs: Readonly<Record<string, ArgValue>> }[];
  next: number;
}

const RECENT_ATTRS = 8;

/**
 * An op's attrs: the given arguments with the spec's defaults filled in, keys in the spec's order.
 * A chain of like layers or a block expanded many times repeats a few argument sets, so the last
 * few per spec are reused when equal: no object is built for a repeat and the graph keeps one
 * copy (attrs are never mutated). Values are compared by identity (a list given anew is new).
 */
class AttrsCache {
  private readonly tables = new Map<OpSpec, ArgTable>();

  of(spec: OpSpec, given: Readonly<Record<string, ArgValue>>, byIndex: readonly (ArgValue | undefined)[] | undefined): Readonly<Record<string, ArgValue>> {
    const table = this.tables.get(spec) ?? this.table(spec);
    const { names, specIndex, defaults, values } = table;
    if (byIndex) for (let k = 0; k < names.length; k++) values[k] = byIndex[specIndex[k]!] ?? defaults[k];
    else for (let k = 0; k < names.length; k++) values[k] = given[names[k]!] ?? defaults[k];
    for (const r of table.recent) if (sameValues(r.values, values)) return r.attrs;
    const attrs: Record<string, ArgValue> = {};
    for (let k = 0; k < names.length; k++) if (values[k] !== undefined) attrs[names[k]!] = values[k]!;
    const entry = { values: values.slice(), attrs };
    if (table.recent.length < RECENT_ATTRS) table.recent.push(entry);
    else table.recent[table.next++ % RECENT_ATTRS] = entry;
    return attrs;
  }

  private table(spec: OpSpec): ArgTable {
    const specIndex: number[] = [];
    spec.args.forEach((a, i) => {
      if (a.kind !== 'tensor') specIndex.push(i);
    });
    const args = specIndex.map((i) => spec.args[i]!);
    const table: ArgTable = { names: args.map((a) => a.name), specIndex, defaults: args.map((a) => a.default), values: args.map(() => undefined), recent: [], next: 0 };
    this.tables.set(spec, table);
    return table;
  }
}

/** one for the process: attrs are immutable, so graphs may share them too */
const attrsCache = new AttrsCache();

function sameValues(a: readonly (ArgValue | undefined)[], b: readonly (ArgValue | undefined)[]): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
