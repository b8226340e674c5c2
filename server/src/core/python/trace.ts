// One model's graph, built while its forward runs on an example input. Tensors carry the graph
// tensor id and their full torch shape; the registry sees per-sample shapes (the batch axis out).
import { GraphBuilder, isRejection } from '../graphBuilder';
import type { CheckpointMode, DType, Graph, ModelConfig, OpId, ParamCount, SourceRange } from '../ir';
import type { ArgValue } from '../ops/types';
import type { SyntaxNode as Node } from '../tfjs/syntax';
import { rangeOfNode } from '../tfjs/graphs';
import { collectModules } from './modules';
import { registerTrace } from './holds';
import { describe, type Instance, type Parameter, type TensorValue } from './values';

export { releaseVariable } from './holds';

/** the evaluation stops following a forward: the reason is reported on the node */
const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['fp32', 'fp16', 'bf16', 'fp64']);

export class TraceStop extends Error {
  constructor(
    readonly node: Node,
    readonly reason: string,
    /** an error torch itself would raise (a shape mismatch), not a limit of memlens */
    readonly isError = false,
    /** the example inputs' batch is likely on this axis instead (a sequence-first model): retry so */
    readonly retryBatchAxis?: number,
    /** these example tensors have their batch on another axis (an initial state [layers, N, H] passed beside a batch-first input): retry so */
    readonly retryInputAxes?: ReadonlyMap<TensorValue, number>,
  ) {
    super(reason);
  }
}

/** one source site and what it produced, for hover and inlay hints */
export interface Application {
  readonly site: Node;
  readonly label: string;
  readonly ops: OpId[];
  readonly output: number;
}

export interface TraceTraining {
  /** loss.backward() was called on a tensor of this model */
  backward: boolean;
  /** model.eval(), torch.no_grad() or torch.inference_mode() around the call */
  inference: boolean;
  loss?: string;
}

/** what ownParams finds of a module's tensors */
interface OwnParams {
  readonly params: ParamCount;
  /** of params.nonTrainable, the frozen parameters (requires_grad False): weights, not buffers */
  readonly frozen: number;
  /** counted by this op */
  readonly fresh: readonly Parameter[];
  /** trainable tensors an earlier op counts */
  readonly tied: readonly Parameter[];
}

function elementsOf(p: Parameter): number {
  return p.shape.reduce((a, b) => a * b, 1);
}

export class Trace {
  readonly builder: GraphBuilder;
  readonly applications: Application[] = [];
  /** first op of each module instance called: the later calls share its weights */
  private readonly firstOps = new Map<Instance, OpId>();
  /** each parameter or buffer counted so far: the op that counts it, and its number among them */
  private readonly counted = new Map<Parameter, { readonly op: OpId; readonly tensor: number }>();
  private inputOp: OpId | undefined;
  readonly training: TraceTraining = { backward: false, inference: false };
  /** each call of a torch.nn layer, by its qualified name in the model (`layer1.0.conv1`), with its outputs */
  readonly moduleCalls: { module: string; outputs: TensorValue[] }[] = [];
  /** the example call that started the trace */
  readonly callSite: Node;
  /** the model's conversion to another float precision when it was called (`model.half()` before the call), if any */
  conversion?: { readonly precision: 'fp64' | 'fp16' | 'bf16'; readonly site: Node };
  /** the float dtypes of the example tensors the model was called on (`x.half()`, `dtype=torch.float16`), with where each was made */
  readonly floatExamples: { readonly dtype: DType; readonly site: Node }[] = [];
  /** why the forward could not be followed to its end */
  stopped?: TraceStop;
  output?: TensorValue[];
  /** losses computed on the outputs after the forward: outputs of the graph too */
  readonly losses: TensorValue[] = [];
  /** the batch of the example input, as written, and its literal */
  batchLiteral?: number;
  batchNode?: Node;

  constructor(
    readonly name: string,
    readonly root: Instance,
    readonly config: ModelConfig,
    readonly site: Node,
    readonly nameNode: Node,
    /** the statement whose ops are being added (inlay hints sit at its end) */
    public statement: Node,
    /** the axis of an example tensor that is the batch: 0, or 1 for a sequence-first model's [L, N, ...] */
    readonly exampleBatchAxis = 0,
    /** the examples whose batch is on an axis of their own (a recurrent layer's initial state), found by an earlier reading */
    readonly inputAxes: ReadonlyMap<TensorValue, number> = new Map(),
  ) {
    this.callSite = statement;
    this.builder = new GraphBuilder(name, config, rangeOfNode(site), rangeOfNode(nameNode));
    registerTrace(this, this.builder);
  }

  /**
   * An example tensor enters the model: an input op with its per-sample shape. A tensor made by
   * a factory (torch.randn(8, 3, 32, 32)) has its batch first; its literal is the example batch.
   */
  input(x: TensorValue, site: Node, batchAxisOf?: number): TensorValue {
    if (x.trace === this) return x;
    // another model's output (a GAN's discriminator on the generator's samples) enters as an input
    const from = x.trace as Trace | undefined;
    const own = batchAxisOf ?? this.inputAxes.get(x);
    if (own === -1 && !x.trace) return this.sharedInput(x, site);
    const batchAxis = x.batchAxis >= 0 ? x.batchAxis : Math.min(own ?? this.exampleBatchAxis, x.shape.length - 1);
    if (x.shape.length === 0) throw new TraceStop(site, 'a scalar tensor has no batch axis');
    // an initial state's batch is the input's, as torch requires
    if (own !== undefined && x.batchAxis < 0 && this.batchLiteral !== undefined && x.shape[batchAxis] !== this.batchLiteral) throw new TraceStop(site, `${describe(x)} has a batch of ${x.shape[batchAxis]} on axis ${batchAxis}, the input a batch of ${this.batchLiteral}`, true);
    if (x.batchAxis >= 0 && x.shape[batchAxis] !== 1) throw new TraceStop(site, `the model input ${describe(x)} merges the batch with another axis`);
    const perSample = x.shape.filter((_, i) => i !== batchAxis);
    const args: Record<string, ArgValue> = { shape: perSample.length > 0 ? perSample : [1] };
    // float examples follow the configured precision; token ids and masks keep their dtype
    if (!FLOAT_DTYPES.has(x.dtype)) args['dtype'] = x.dtype;
    else if (!from) this.floatExamples.push({ dtype: x.dtype, site: x.site });
    const r = this.builder.add({ op: 'input', inputs: [], args, site: rangeOfNode(site), statement: rangeOfNode(site) });
    if (isRejection(r)) throw new TraceStop(site, `input: ${r.message}`, true);
    this.inputOp ??= r;
    this.examples.set(r, x);
    if (x.batchAxis < 0) {
      this.batchLiteral ??= x.shape[batchAxis];
      // the batch fix edits the first literal: only when that is the batch
      if (x.batchNode && batchAxis === 0) this.batchNode ??= x.batchNode;
    }
    else if (from?.batchLiteral !== undefined) this.batchLiteral ??= from.batchLiteral;
    const shape = [...x.shape];
    shape[batchAxis] = 1;
    return { kind: 'tensor', shape, batchAxis, dtype: x.dtype, site: x.site, id: r, trace: this };
  }


  /**
   * An example the whole batch shares (a causal mask made outside the model, passed in or read as
   * a global): an input that does not grow with N; it exists before the step, as inputs do.
   */
  private sharedInput(x: TensorValue, site: Node): TensorValue {
    if (x.shape.length === 0) throw new TraceStop(site, 'a scalar tensor is not followed as a model input');
    const args: Record<string, ArgValue> = { shape: [...x.shape], per_sample: false };
    if (!FLOAT_DTYPES.has(x.dtype)) args['dtype'] = x.dtype;
    const r = this.builder.add({ op: 'input', inputs: [], args, site: rangeOfNode(site), statement: rangeOfNode(site) });
    if (isRejection(r)) throw new TraceStop(site, `input: ${r.message}`, true);
    this.examples.set(r, x);
    return { kind: 'tensor', shape: [...x.shape], batchAxis: -1, dtype: x.dtype, site: x.site, id: r, trace: this };
  }

  /** the example tensor each input op was made from */
  private readonly examples = new Map<OpId, TensorValue>();
  /** the examples a layer brought in (batchOn), by the example */
  private readonly entered = new Map<TensorValue, TensorValue>();

  /**
   * A tensor a layer reads with its batch on `batchAxis` (a recurrent layer's initial state
   * [layers, N, H]): an example made outside the model enters so; one that entered with its batch
   * on another axis (passed positionally beside a batch-first input) asks for the call to be read
   * once more with this example's batch there.
   */
  batchOn(t: TensorValue, batchAxis: number, site: Node): TensorValue {
    // (batchAxis -1: the example is shared by the whole batch); an example read twice (a global mask in every layer) enters once
    if (!t.trace) {
      const seen = this.entered.get(t);
      if (seen) return seen;
      const entered = this.input(t, site, batchAxis);
      this.entered.set(t, entered);
      return entered;
    }
    if (t.trace !== this || t.id === undefined || t.batchAxis === batchAxis) return t;
    const example = this.examples.get(t.id);
    if (example && example.batchAxis < 0 && !this.inputAxes.has(example)) {
      throw new TraceStop(site, `${describe(example)} is read with its batch on axis ${batchAxis}`, false, undefined, new Map([...this.inputAxes, [example, batchAxis]]));
    }
    return t;
  }

  /**
   * the parameters of `owner` not yet counted in this graph (trainable, and frozen plus float
   * buffers), and its trainable ones another op counts already (a weight tied to another module's)
   */
  private ownParams(owner: Instance): OwnParams {
    let trainable = 0;
    let nonTrainable = 0;
    let frozen = 0;
    const fresh: Parameter[] = [];
    const tied: Parameter[] = [];
    const state = owner.module;
    if (!state) return { params: { trainable, nonTrainable }, frozen, fresh, tied };
    for (const p of new Set([...state.params.values(), ...state.buffers.values()])) {
      if (!p) continue;
      if (this.counted.has(p)) {
        if (!p.buffer && p.requiresGrad) tied.push(p);
        continue;
      }
      fresh.push(p);
      const n = elementsOf(p);
      if (p.buffer) {
        if (p.dtype !== 'int64' && p.dtype !== 'int32' && p.dtype !== 'bool') nonTrainable += n;
      } else if (p.requiresGrad) trainable += n;
      else {
        // a frozen parameter: stored as a weight, not a buffer (docs/finetune.md)
        nonTrainable += n;
        frozen += n;
      }
    }
    return { params: { trainable, nonTrainable }, frozen, fresh, tied };
  }

  /** op `op` counts the parameters `ownParams` found new, and reads the tied ones (Graph.tiedWeights) */
  private claim(op: OpId, own: OwnParams): void {
    for (const p of own.fresh) this.counted.set(p, { op, tensor: this.counted.size });
    for (const p of own.tied) {
      const first = this.counted.get(p)!;
      if (first.op !== op) this.builder.tieWeight({ reader: op, owner: first.op, elements: elementsOf(p), tensor: first.tensor });
    }
  }

  /** add one op whose inputs are tensors of this trace; the output keeps input 0's batch axis */
  /** innermost call sites in the analysed document, with their statements (an imported file's lines are shown at them) */
  private readonly local: { site: Node; statement: Node }[] = [];

  /** whether a node lies in the analysed document rather than an imported file */
  isLocal(node: Node): boolean {
    return node.anchor.doc === this.site.anchor.doc;
  }

  /** runs `body` with `site` as the place ops of an imported file are shown, when it is local */
  within<T>(site: Node, body: () => T): T {
    if (!this.isLocal(site)) return body();
    this.local.push({ site, statement: this.isLocal(this.statement) ? this.statement : site });
    try {
      return body();
    } finally {
      this.local.pop();
    }
  }

  private shown(site: Node): { site: Node; statement: Node } {
    if (this.isLocal(site) && this.isLocal(this.statement)) return { site, statement: this.statement };
    return this.local[this.local.length - 1] ?? { site: this.callSite, statement: this.callSite };
  }

  /** the checkpointed segment the forward is in (torch.utils.checkpoint), and how many there were */
  private segment: number | undefined;
  private segments = 0;

  /** the segments checkpointed otherwise than torch's default (Graph.checkpointModes) */
  private readonly checkpointModes = new Map<number, CheckpointMode>();

  /** the ops `run` emits form one checkpointed segment (a checkpoint inside another stays in the outer one) */
  checkpointed<T>(run: () => T, mode: CheckpointMode = { reentrant: true, preservesRngState: true }): T {
    if (this.segment !== undefined) return run();
    this.segment = this.segments++;
    if (!mode.reentrant || !mode.preservesRngState) this.checkpointModes.set(this.segment, mode);
    try {
      return run();
    } finally {
      this.segment = undefined;
    }
  }

  emit(op: string, inputs: readonly TensorValue[], args: Record<string, ArgValue>, at: Node, owner?: Instance, inPlace = false, label?: string): TensorValue {
    const { site, statement } = this.shown(at);
    for (const t of inputs) {
      if (t.trace !== this || t.id === undefined) throw new TraceStop(site, `${describe(t)} does not come from this model's input (a tensor made inside forward, or another model's)`);
    }
    const shared = owner ? this.firstOps.get(owner) : undefined;
    const own = owner && shared === undefined ? this.ownParams(owner) : undefined;
    const params = own?.params;
    const r = this.builder.add({
      op,
      inputs: inputs.map((t) => t.id!),
      args,
      site: rangeOfNode(site),
      statement: rangeOfNode(statement),
      inPlace,
      ...(this.segment !== undefined ? { checkpointSegment: this.segment } : {}),
      ...(owner && label ? { name: label } : {}),
      ...(shared !== undefined ? { sharesParamsWith: shared } : {}),
      ...(params ? { params } : owner ? {} : { params: { trainable: 0, nonTrainable: 0 } }),
      ...(own && own.frozen > 0 ? { frozenParams: own.frozen } : {}),
    });
    if (isRejection(r)) throw new TraceStop(site, `${label ?? op}: ${r.message}`, true);
    if (owner && shared === undefined) this.firstOps.set(owner, r);
    if (own) this.claim(r, own);
    this.record(site, label ?? op, r);
    // the output keeps the axes of the first input that grows with the batch
    return this.tensorOf(r, inputs.find((t) => t.batchAxis >= 0) ?? inputs[0], site);
  }

  private readonly views = new Map<Parameter, TensorValue>();

  /** a parameter or buffer read as a tensor in the forward: one view op per tensor, no bytes of its own */
  weightView(p: Parameter, site: Node): TensorValue {
    const seen = this.views.get(p);
    if (seen) return seen;
    const args: Record<string, ArgValue> = { shape: p.shape.length > 0 ? [...p.shape] : [1], dtype: p.dtype };
    const r = this.builder.add({ op: 'weight_view', inputs: [], args, site: rangeOfNode(this.shown(site).site), statement: rangeOfNode(this.shown(site).statement), params: { trainable: 0, nonTrainable: 0 } });
    if (isRejection(r)) throw new TraceStop(site, `a parameter of shape [${p.shape.join(', ')}]: ${r.message}`);
    const t: TensorValue = { kind: 'tensor', id: r, trace: this, shape: p.shape.length > 0 ? [...p.shape] : [1], batchAxis: -1, dtype: p.dtype, site };
    this.views.set(p, t);
    return t;
  }

  /** a tensor made inside the forward that does not grow with the batch (torch.arange(T)) */
  constant(shape: readonly number[], dtype: DType, site: Node): TensorValue {
    return this.emit('constant', [], { shape: shape.length > 0 ? [...shape] : [1], dtype }, site, undefined, false, 'constant');
  }

  /** a tensor made inside the forward with one row per sample (torch.empty([N, 1, 1, 1])): its batch axis is `batchAxis` */
  perSampleConstant(shape: readonly number[], batchAxis: number, dtype: DType, site: Node): TensorValue {
    const perSample = shape.filter((_, i) => i !== batchAxis);
    const t = this.emit('constant', [], { shape: perSample.length > 0 ? perSample : [1], dtype, per_sample: true }, site, undefined, false, 'constant');
    return { ...t, shape: [...shape], batchAxis };
  }

  /**
   * The full shape of an op's output from its per-sample shape: the batch axis of input 0 is
   * put back (a plain batch axis was left out per sample; a merged one, N T, kept its T).
   */
  tensorOf(r: OpId, like: TensorValue | undefined, site: Node): TensorValue {
    const perSample = this.builder.shapeOf(r);
    if (this.builder.isBatchIndependent(r) || !like || like.batchAxis < 0) {
      return { kind: 'tensor', id: r, trace: this, shape: [...perSample], batchAxis: -1, dtype: this.builder.dtypeOf(r), site };
    }
    const coef = like ? like.shape[like.batchAxis]! : 1;
    const batchAxis = like ? Math.min(like.batchAxis, coef === 1 ? perSample.length : perSample.length - 1) : 0;
    const shape = coef === 1 ? [...perSample.slice(0, batchAxis), 1, ...perSample.slice(batchAxis)] : [...perSample];
    return { kind: 'tensor', id: r, trace: this, shape, batchAxis, dtype: this.builder.dtypeOf(r), site };
  }

  private record(site: Node, label: string, op: OpId): void {
    const last = this.applications[this.applications.length - 1];
    if (last && last.site === site) {
      last.ops.push(op);
      (last as { output: number }).output = op;
      return;
    }
    this.applications.push({ site, label, ops: [op], output: op });
  }

  /** the graph: weights no call read (modules never called, raw parameters) ride on the first input */
  build(config: ModelConfig): Graph {
    const outputs = [...new Set([...(this.output ?? []), ...this.losses].map((t) => t.id).filter((id): id is number => id !== undefined))];
    let leftover: ParamCount = { trainable: 0, nonTrainable: 0 };
    let leftoverFrozen = 0;
    for (const { module } of collectModules(this.root)) {
      const { params: own, frozen, fresh } = this.ownParams(module);
      leftover = { trainable: leftover.trainable + own.trainable, nonTrainable: leftover.nonTrainable + own.nonTrainable };
      leftoverFrozen += frozen;
      for (const p of fresh) this.counted.set(p, { op: this.inputOp ?? -1, tensor: this.counted.size });
    }
    if ((leftover.trainable !== 0 || leftover.nonTrainable !== 0) && this.inputOp !== undefined) this.builder.addParams(this.inputOp, leftover, leftoverFrozen);
    const graph = this.builder.build(outputs, false, rangeOfNode(this.site), config);
    return this.checkpointModes.size > 0 ? { ...graph, checkpointModes: new Map(this.checkpointModes) } : graph;
  }
}
