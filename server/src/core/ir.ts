// The graph IR shared by every frontend (.nnm DSL, TensorFlow.js) and every analysis.
// Shapes are per sample: the batch dimension N is implicit and symbolic, so every
// activation figure is `perSample x N` and analyses stay affine in the batch size.

export interface Position {
  /** 0-based line */
  line: number;
  /** 0-based UTF-16 column */
  character: number;
}

export interface SourceRange {
  start: Position;
  end: Position;
}

export type DType = 'fp64' | 'fp32' | 'fp16' | 'bf16' | 'int8' | 'fp8' | 'int32' | 'int64' | 'bool';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  fp64: 8,
  fp32: 4,
  fp16: 2,
  bf16: 2,
  int8: 1,
  fp8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
};

/** bytes of one sample of a tensor (the batch multiplies it); 0 for a batch-independent one */
export function tensorBytesPerSample(t: { readonly elementsPerSample: number; readonly dtype: DType; readonly batchIndependent?: true }): number {
  return t.batchIndependent ? 0 : t.elementsPerSample * DTYPE_BYTES[t.dtype];
}

export type TensorId = number;
export type OpId = number;

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
}

// V8 detail, for speed only. Every `{ trainable, nonTrainable }` literal shares one hidden class.
// Its fields start as small integers; the first count read from a Float64Array (the totals, a
// graph's op objects) is a boxed double, which made V8 replace that class. The op rules' literals
// kept cloning the replaced class, so every params object of every op was migrated on its first
// read: an inline-cache miss per op (39,985 in nine analyses of a 10,000-op model) that also kept
// GraphBuilder.add from being optimised. Widening the fields once, before any literal is cloned,
// is done in place and leaves nothing to replace.
const widenParamCount: { trainable: unknown; nonTrainable: unknown } = { trainable: 0, nonTrainable: 0 };
widenParamCount.trainable = undefined;
widenParamCount.nonTrainable = undefined;

/** A tensor type without identity: what shape rules consume and produce. */
export interface TensorType {
  /** per-sample shape (batch excluded), in the graph's layout */
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface Tensor extends TensorType {
  readonly id: TensorId;
  /** the source name it was bound to (`x`), or `<op>#<id>` for an unnamed intermediate */
  readonly name: string;
  /** the op that writes it */
  readonly producer: OpId;
  /** product of `shape` (elements per sample); checked to be a safe integer */
  readonly elementsPerSample: number;
  /**
   * The tensor does not grow with the batch (torch.arange(T) in a forward, a position embedding,
   * a parameter read as a tensor): `shape` is its whole shape, its bytes are fixed.
   */
  readonly batchIndependent?: true;
}

/** One level of block expansion: the call site that led into a block body. */
export interface CallFrame {
  readonly block: string;
  readonly site: SourceRange;
  /** repeat iteration (0-based) when the call came from `repeat K`, else undefined */
  readonly iteration?: number;
}

export type AttrValue = number | boolean | string | readonly number[] | null;

export interface OpNode {
  readonly id: OpId;
  /** canonical registry name (aliases resolved) */
  readonly op: string;
  readonly inputs: readonly TensorId[];
  readonly output: TensorId;
  /** resolved non-tensor arguments, defaults filled in */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly params: ParamCount;
  /** the call expression in the source */
  readonly site: SourceRange;
  /** the top-level statement of the model (or TS statement) this op belongs to; inlay hints sit at its end */
  readonly statement: SourceRange;
  /** block expansions that led here, outermost first; empty for ops written directly in the model */
  readonly callStack: readonly CallFrame[];
  /** `inplace: true` requested in the source (legality is checked by the liveness engine) */
  readonly inPlace: boolean;
  /** set when the op sits inside a `checkpoint: true` block call / repeat (checkpoint segment id) */
  readonly checkpointSegment?: number;
  /** an op instance sharing weights with an earlier one (tf.js layer applied twice): its params are not counted again */
  readonly sharesParamsWith?: OpId;
  /**
   * frozen weights (`.nnm` `frozen: true`): how many of `params.nonTrainable` are weights that take
   * no gradient and no optimizer state but are stored like trainable ones (the weight dtype), not
   * like buffers; absent = none
   */
  readonly frozen?: number;
}

/** generate: inference that keeps every self-attention layer's keys and values for `context` positions (the KV cache) */
export type Mode = 'train' | 'infer' | 'generate';
export type Precision = 'fp32' | 'fp16' | 'bf16' | 'mixed' | 'int8' | 'fp64';
export type Layout = 'nchw' | 'nhwc';
export type Lowering = 'auto' | 'im2col' | 'direct';

export type OptimizerKind = 'none' | 'sgd' | 'adam' | 'adamw';
export interface Optimizer {
  readonly kind: OptimizerKind;
  readonly momentum: number;
  /** zero_grad(set_to_none=True): the previous step's gradients are freed, not zeroed (PyTorch 1.13's default is False) */
  readonly setToNone?: boolean;
  /** options the source gives that the framework profiles do not model (PyTorch: weight_decay on SGD/Adam, nesterov, amsgrad, foreach, ...) */
  readonly unprofiled?: readonly string[];
}

export type DeviceKind = 'gpu' | 'cpu' | 'ipu';
export interface Device {
  /** preset name (`v100-16gb`) or the kind for a custom device (`gpu`) */
  readonly name: string;
  readonly kind: DeviceKind;
  readonly memoryBytes: number;
  /** SIMD vector width in bits used to fill lanes with the batch; 0 when the device does not rely on it (IPU) */
  readonly vectorBits: number;
  readonly supportsBf16: boolean;
}

export interface ModelConfig {
  readonly mode: Mode;
  readonly batch: number;
  readonly precision: Precision;
  readonly optimizer: Optimizer;
  readonly device: Device;
  readonly layout: Layout;
  readonly lowering: Lowering;
  /** whose allocator bytes.expectedPeak describes (analysis/framework): the ideal planner, eager PyTorch or TensorFlow.js */
  readonly framework: Framework;
  /** data parallelism and ZeRO (analysis/perDevice.ts); absent = 1 device, stage 0, no offload, no accumulation */
  readonly devices?: number;
  /** ZeRO stage; FSDP NO_SHARD = 0, SHARD_GRAD_OP = 2, FULL_SHARD = 3 */
  readonly zero?: ZeroStage;
  readonly offload?: Offload;
  readonly gradientAccumulation?: number;
  /**
   * generate mode: the positions each self-attention layer's KV cache holds (prompt and new tokens);
   * absent = the sequence length the layer is written for
   */
  readonly context?: number;
  /** Megatron-style tensor parallelism over this many devices (analysis/tensorParallel.ts); absent = 1 */
  readonly tensorParallel?: number;
  /** with tensorParallel: the replicated regions (norms, dropout, residuals) split along the sequence (Korthikanti et al. 2022) */
  readonly sequenceParallel?: boolean;
  /** pipeline stages (analysis/pipeline.ts); absent = 1 */
  readonly pipeline?: number;
  /** micro-batches per pipeline step (1F1B); absent = 1 */
  readonly microbatches?: number;
  /**
   * frozen dense and attention-projection weights stored quantised, as bitsandbytes does
   * (analysis/quantize.ts); absent = none
   */
  readonly quantize?: Quantize;
}

/** int8: Linear8bitLt; nf4: Linear4bit; nf4-dq: Linear4bit with compress_statistics (QLoRA's double quantisation) */
export type Quantize = 'none' | 'int8' | 'nf4' | 'nf4-dq';

export type ZeroStage = 0 | 1 | 2 | 3;
export type Offload = 'none' | 'cpu';

export type Framework = 'ideal' | 'pytorch' | 'tfjs';

export interface Graph {
  readonly name: string;
  /** whole model item and its name token */
  readonly range: SourceRange;
  readonly nameRange: SourceRange;
  readonly tensors: readonly Tensor[];
  readonly ops: readonly OpNode[];
  readonly inputs: readonly TensorId[];
  readonly outputs: readonly TensorId[];
  readonly config: ModelConfig;
  /**
   * elaboration stopped at a limit (ops or evaluation steps per model): the graph holds only what was
   * built before it, so no memory figure of it would be true; analyses beyond the footprint skip it
   */
  readonly truncated?: boolean;
  /**
   * A language whose variables keep tensors alive (Python) says until which op a variable held each
   * tensor it bound (a function's argument until the call returns, a name until it is rebound).
   * Eager profiles keep those tensors that long; the ideal accounting frees at the last read.
   */
  readonly heldUntil?: ReadonlyMap<TensorId, OpId>;
  /**
   * Parameter tensors an op reads that another op owns and counts (PyTorch's
   * `decoder.weight = encoder.weight`): the reader's backward makes a gradient of the tied tensor,
   * which the framework sums with the owner's. A whole layer called twice is `sharesParamsWith`.
   */
  readonly tiedWeights?: readonly TiedWeight[];
  /**
   * Options a frontend read that change what a framework runs but not the graph (a recurrent
   * layer's activations or dropout in tf.js): per op, what the framework profiles do not model,
   * so that they give that reason instead of a figure.
   */
  readonly profileGaps?: ReadonlyMap<OpId, string>;
  /**
   * Ops a framework runs other than as the op alone, per op, named for the framework profiles:
   * 'timeDistributed' (a tf.js dense run once per time step inside rnn()), 'channelsFirst
   * pooling' (the transpose the frontend puts before a channels-first global pool, which tf.js
   * does not run) and 'channelsFirst' (that pool, reducing the inner axes).
   */
  readonly profileAs?: ReadonlyMap<OpId, string>;
  /**
   * Ops made from one framework layer call that became several ops (a channels-first convolution
   * between its transposes): per op, the call's first op. The call's tidy() disposes what its
   * inner ops made when the call returns, and the executor disposes its input only then.
   */
  readonly profileLayers?: ReadonlyMap<OpId, OpId>;
  /**
   * How torch.utils.checkpoint ran each checkpoint segment (OpNode.checkpointSegment), where not as
   * torch 1.13's default (reentrant, keeping the RNG state; a `.nnm` checkpoint block):
   * use_reentrant=False runs under saved-tensor hooks (autograd records the forward but keeps
   * nothing of it but the call's arguments; the first unpack in the backward runs it again);
   * preserve_rng_state=False takes no RNG state.
   */
  readonly checkpointModes?: ReadonlyMap<number, CheckpointMode>;
}

/** one parameter tensor read by an op other than the one that counts it */
export interface TiedWeight {
  readonly reader: OpId;
  readonly owner: OpId;
  /** the tensor's elements (a trainable one: a frozen tensor has no gradient to sum) */
  readonly elements: number;
  /** the tensor, as one number per tensor of the graph (several readers of one tensor give the same) */
  readonly tensor: number;
}

export interface CheckpointMode {
  readonly reentrant: boolean;
  readonly preservesRngState: boolean;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** A finding in core terms; the LSP layer maps it to a Diagnostic, the CLI prints it. */
export interface CoreDiagnostic {
  readonly range: SourceRange;
  readonly severity: Severity;
  /** stable code, documented in docs/diagnostics.md (NNM1xx syntax/names, NNM2xx memory, NNM3xx TS frontend) */
  readonly code: string;
  readonly message: string;
  readonly related?: readonly { range: SourceRange; message: string }[];
  /** the docs page and section (relative to docs/: `tfjs.md#layers`) that lists what is supported; the editor links the code there */
  readonly doc?: string;
  /** a frontend's own quick fix: plain text edits that need no re-analysis (a pragma to insert) */
  readonly quickFix?: { readonly title: string; readonly edits: readonly { readonly range: SourceRange; readonly newText: string }[] };
}

export function rangeOf(startLine: number, startChar: number, endLine: number, endChar: number): SourceRange {
  return { start: { line: startLine, character: startChar }, end: { line: endLine, character: endChar } };
}

/** the same start and end positions (the objects may differ) */
export function sameRange(a: SourceRange, b: SourceRange): boolean {
  return (
    a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character
  );
}

export function containsPosition(range: SourceRange, pos: Position): boolean {
  const afterStart =
    pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}
