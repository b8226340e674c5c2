// Footprint without liveness: parameters, weights, activations, gradients and optimizer
// state, each affine in the batch. A pure function of the graph and its config.
import { DTYPE_BYTES, type Graph, type ModelConfig, type OpId, type ParamCount } from '../ir';
import { addBytes, atBatch, isSafeBytes, symbolic, ZERO_BYTES, type SymbolicBytes } from '../units';
import { DTYPES, graphColumns, type GraphColumns } from '../graphColumns';
import { withGetters } from '../getters';
import { kvCacheOf } from './kvCache';
import { frozenMatrices, quantizedMatrixBytes, quantizedWeights, quantizeOf } from './quantize';

export interface OpFootprint {
  readonly op: OpId;
  readonly params: ParamCount;
  /** bytes of the op's output tensor: perSample x N */
  readonly outputBytes: SymbolicBytes;
  /** bytes of its parameters (weights + buffers) */
  readonly weightBytes: number;
}

/**
 * The model's parameter counts. `frozen` (present when some weights are frozen) is the part of
 * nonTrainable that are frozen weights: stored as weights (the weight dtype), not as buffers, with
 * no gradient and no optimizer state.
 */
export interface ModelParams extends ParamCount {
  readonly frozen?: number;
  /** of the frozen weights, those stored quantised (config quantize), and the bytes they take */
  readonly quantized?: number;
  readonly quantizedBytes?: number;
}

/** of the non-trainable parameters, the frozen weights (0 when none) */
export function frozenOf(params: ModelParams): number {
  return params.frozen ?? 0;
}

/** bytes of the weights, trainable and frozen, at `weightBytes` each but the quantised ones at theirs */
export function weightBytesOf(trainable: number, frozen: number, params: Pick<ModelParams, 'quantized' | 'quantizedBytes'>, weightBytes: number): number {
  return (trainable + frozen - (params.quantized ?? 0)) * weightBytes + (params.quantizedBytes ?? 0);
}

export interface FootprintBytes {
  /** trainable and frozen weights at the weight dtype */
  readonly weights: SymbolicBytes;
  /** non-trainable state other than frozen weights (batch-norm running statistics) */
  readonly buffers: SymbolicBytes;
  /** every forward output, one buffer each (no reuse): perSample x N */
  readonly activations: SymbolicBytes;
  /** weight gradients (train only) */
  readonly gradients: SymbolicBytes;
  /** optimizer state plus, for mixed precision, the fp32 master weights (train only) */
  readonly optimizer: SymbolicBytes;
  /** generate mode: the self-attention layers' keys and values for `context` positions, per sequence x N (kvCache.ts) */
  readonly kvCache: SymbolicBytes;
  /** the sum of the above: memory with no reuse at all */
  readonly total: SymbolicBytes;
}

export interface Footprint {
  readonly params: ModelParams;
  readonly activationElementsPerSample: number;
  readonly bytes: FootprintBytes;
  /** a getter: built on first read */
  readonly perOp: readonly OpFootprint[];
  /** generate mode: the KV cache's bytes per position of every layer, per sequence (kvCache.ts; 0 in the other modes) */
  readonly kvCachePerPosition: number;
  /** true when some figure left the exactly-countable range (> 2^53) */
  readonly overflow: boolean;
}

/** bytes per stored weight, per buffer value, per weight gradient, per optimizer-state value */
export function weightFormat(config: ModelConfig): { weight: number; buffer: number; gradient: number; state: number; master: number } {
  switch (config.precision) {
    case 'fp32':
      return { weight: 4, buffer: 4, gradient: 4, state: 4, master: 0 };
    case 'fp64':
      return { weight: 8, buffer: 8, gradient: 8, state: 8, master: 0 };
    case 'fp16':
    case 'bf16':
      return { weight: 2, buffer: 2, gradient: 2, state: 2, master: 0 };
    case 'mixed':
      // Micikevicius et al. 2018: fp16 weights and gradients, fp32 master copy and optimizer state
      return { weight: 2, buffer: 4, gradient: 2, state: 4, master: 4 };
    case 'int8':
      return { weight: 1, buffer: 4, gradient: 4, state: 4, master: 0 };
  }
}

/** optimizer state values per trainable parameter: SGD 0, SGD with momentum 1, Adam/AdamW 2 */
export function optimizerSlots(config: ModelConfig): number {
  switch (config.optimizer.kind) {
    case 'none':
      return 0;
    case 'sgd':
      return config.optimizer.momentum > 0 ? 1 : 0;
    case 'adam':
    case 'adamw':
      return 2;
  }
}

/** weights, buffers, weight gradients and optimizer state (with mixed precision's fp32 master copy) */
export function stateBytes(params: ModelParams, config: ModelConfig): Pick<FootprintBytes, 'weights' | 'buffers' | 'gradients' | 'optimizer'> {
  const format = weightFormat(config);
  const training = config.mode === 'train';
  const frozen = frozenOf(params);
  return {
    weights: symbolic(weightBytesOf(params.trainable, frozen, params, format.weight), 0),
    buffers: symbolic((params.nonTrainable - frozen) * format.buffer, 0),
    gradients: training ? symbolic(params.trainable * format.gradient, 0) : ZERO_BYTES,
    optimizer: training ? symbolic(params.trainable * (optimizerSlots(config) * format.state + format.master), 0) : ZERO_BYTES,
  };
}

/** OpFootprint.outputBytes of one op, read from the columns (a report picks a few ops of a large model) */
export function opOutputBytes(c: GraphColumns, op: OpId): SymbolicBytes {
  const out = c.opOutput[op]!;
  // tensorBytesPerSample of the tensor: its elements at its dtype, 0 when it does not grow with the batch
  const perSample = c.tensorBatchIndependent[out] === 1 ? 0 : c.tensorElements[out]! * DTYPE_BYTES[DTYPES[c.tensorDType[out]!]!];
  return symbolic(c.tensorFixedBytes[out]!, perSample);
}

/** one op's quantised weights and their bytes (none unless config quantize applies to it) */
function quantizedOfOp(c: GraphColumns, op: OpId, config: ModelConfig): Pick<ModelParams, 'quantized' | 'quantizedBytes'> {
  const q = quantizeOf(config);
  if (q === 'none') return {};
  const matrices = frozenMatrices(c, op);
  return { quantized: matrices.reduce((n, m) => n + m.rows * m.cols, 0), quantizedBytes: matrices.reduce((n, m) => n + quantizedMatrixBytes(m, q), 0) };
}

export function computeFootprint(graph: Graph): Footprint {
  const config = graph.config;
  const format = weightFormat(config);
  let trainable = 0;
  let nonTrainable = 0;
  let frozen = 0;
  let elements = 0;
  let activationBytes = 0;
  let fixedActivationBytes = 0;
  // from the graph's columns: the engine reads them next, so the ops are walked once per keystroke
  const c = graphColumns(graph);
  for (let i = 0; i < c.opCount; i++) {
    trainable += c.opTrainable[i]!;
    nonTrainable += c.opNonTrainable[i]!;
    frozen += c.opFrozen[i]!;
    const out = c.opOutput[i]!;
    elements += c.tensorElements[out]!;
    activationBytes += c.tensorBytes[out]!;
    fixedActivationBytes += c.tensorFixedBytes[out]!;
  }
  // one row per op: built on first read (hovers, inlay hints, reports), not for the diagnostics
  let perOp: OpFootprint[] | undefined;
  const perOpRows = (): OpFootprint[] =>
    graph.ops.map((op) => ({
      op: op.id,
      params: op.params,
      outputBytes: opOutputBytes(c, op.id),
      weightBytes: weightBytesOf(op.params.trainable, op.frozen ?? 0, quantizedOfOp(c, op.id, config), format.weight) + (op.params.nonTrainable - (op.frozen ?? 0)) * format.buffer,
    }));
  // the frozen count only where there is one: a model without any keeps its two-field params (JSON)
  const quantized = quantizedWeights(c, config);
  const params: ModelParams =
    frozen === 0 ? { trainable, nonTrainable } : quantized ? { trainable, nonTrainable, frozen, quantized: quantized.weights, quantizedBytes: quantized.bytes } : { trainable, nonTrainable, frozen };
  const { weights, buffers, gradients, optimizer } = stateBytes(params, config);
  const activations = symbolic(fixedActivationBytes, activationBytes);
  const cache = kvCacheOf(graph);
  const kvCache = cache.bytesPerSample === 0 ? ZERO_BYTES : symbolic(0, cache.bytesPerSample);
  const total = [weights, buffers, activations, gradients, optimizer, kvCache].reduce(addBytes, ZERO_BYTES);
  const all = [weights, buffers, activations, gradients, optimizer, kvCache, total];
  const overflow =
    !all.every(isSafeBytes) ||
    !Number.isSafeInteger(elements) ||
    !Number.isSafeInteger(atBatch(total, config.batch));
  return withGetters(
    { params, activationElementsPerSample: elements, bytes: { weights, buffers, activations, gradients, optimizer, kvCache, total }, kvCachePerPosition: cache.bytesPerPosition, overflow },
    { perOp: (): readonly OpFootprint[] => (perOp ??= perOpRows()) },
  );
}
