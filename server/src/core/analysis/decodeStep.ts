// Generate mode's decode step (issue 18): once the prompt is in the KV cache, a model generating
// text runs one position per sequence per step, attending over every cached position. The written
// graph is one forward over its whole length (the prefill); the decode step is the same layers
// at one position. For a graph whose every layer acts on each position alone (embeddings, dense
// layers, norms over trailing axes, elementwise ops) and whose only mixing of positions is causal
// self-attention reading the cache, every tensor of the decode step is its prefill tensor with the
// position axis cut to 1: exactly 1/L of its bytes. The attention scores become one query's row
// over the cached positions (heads x context), none with a fused kernel. Any other op makes the
// figure absent, with the op named: it is exact or not given.
import { DTYPE_BYTES, type Graph, type OpId } from '../ir';
import { activationDType } from '../graphBuilder';
import { graphColumns, type GraphColumns } from '../graphColumns';
import type { ArgValue } from '../ops/types';
import { atBatch, formatBytes, formatInt, type SymbolicBytes } from '../units';
import { engineOf, type MemoryAnalysis } from './memory';
import { kvCacheOf } from './kvCache';
import { argsOf, opContextOf } from './opArgs';

export interface DecodeStepFigures {
  /** the positions the layers are written for (the prefill's length L) */
  readonly writtenPositions: number;
  /** the positions attended over at the last step: the model's `context`, else L */
  readonly context: number;
  /** per sequence, at the decode step's peak: activations live there (prefill's / L) and the attention row */
  readonly activationsPerSequence: number;
  readonly workspacePerSequence: number;
  /** the op running at that peak */
  readonly peakOp: OpId;
  /** weights, buffers and the KV cache at `context` (the batch's sequences), plus the peak's transient x batch */
  readonly peak: number;
}

export type DecodeStep = DecodeStepFigures | { readonly reason: string };

/** what decodeStepOf reads of a model's analysis (a ModelAnalysis) */
export interface DecodeInputs {
  readonly graph: Graph;
  readonly footprint: { readonly bytes: { readonly weights: SymbolicBytes; readonly buffers: SymbolicBytes; readonly kvCache: SymbolicBytes } };
  readonly memory?: MemoryAnalysis;
}

/** the decode step of a model in generate mode; undefined in the other modes or without self-attention */
export function decodeStepOf({ graph, footprint, memory }: DecodeInputs): DecodeStep | undefined {
  if (graph.config.mode !== 'generate') return undefined;
  const cache = kvCacheOf(graph);
  if (cache.layers.length === 0) return undefined;
  const engine = memory && engineOf(memory);
  if (!engine) return { reason: 'the model has no memory analysis (see its other diagnostics)' };
  const c = graphColumns(graph);
  const length = writtenLength(c, cache.layers.map((l) => l.op));
  if (typeof length === 'string') return { reason: length };
  const unsupported = firstMixingOp(graph, c, length);
  if (unsupported) return { reason: unsupported };
  const context = graph.config.context ?? length;
  const activation = activationDType(graph.config);
  const bytesPerActivation = DTYPE_BYTES[activation];
  const { schedule, liveness } = engine;
  let best = -1;
  let bestActivations = 0;
  let bestWorkspace = 0;
  let peakOp = 0;
  for (let step = 0; step <= schedule.forwardEnd; step++) {
    const live = liveness.perStep[step]!;
    const op = schedule.stepOp[step]!;
    if (live.activations.fixed !== 0 || live.workspace.fixed !== 0) return { reason: 'some of its tensors do not grow with the batch, so they are not one row per position of a sequence' };
    // every live buffer is a per-position tensor (checked above): its decode-step bytes are 1/L
    const activations = live.activations.perSample / length;
    // the cached attention's decode-step scores from the registry; any other op's workspace at one position
    const decode = c.opSpec[op]?.decodeWorkspaceElements;
    const workspace = decode ? decode(opContextOf(c, op, graph.config.layout, activation), context) * bytesPerActivation : live.workspace.perSample / length;
    if (activations + workspace > best) {
      best = activations + workspace;
      bestActivations = activations;
      bestWorkspace = workspace;
      peakOp = op;
    }
  }
  const batch = graph.config.batch;
  const resident = atBatch(footprint.bytes.weights, batch) + atBatch(footprint.bytes.buffers, batch) + atBatch(footprint.bytes.kvCache, batch);
  const peak = resident + best * batch;
  if (!Number.isSafeInteger(peak)) return { reason: 'the decode step exceeds 2^53 bytes and cannot be counted exactly' };
  return { writtenPositions: length, context, activationsPerSequence: bestActivations, workspacePerSequence: bestWorkspace, peakOp, peak };
}

/** the length every cached self-attention layer is written for; a message when they differ */
function writtenLength(c: GraphColumns, attentionOps: readonly number[]): number | string {
  const lengths = new Set(attentionOps.map((op) => c.tensorShape[c.inputs[c.inputStart[op]!]!]![0]!));
  if (lengths.size !== 1) return `its self-attention layers are written for different lengths (${[...lengths].join(', ')}): a decode step runs one position of one sequence`;
  return [...lengths][0]!;
}

/** ops that act on every position alone whatever their arguments (at inference for the noise and dropout ones) */
const PER_POSITION = new Set([
  'input', 'embedding', 'add', 'mul', 'average', 'sub', 'div', 'scale', 'shift', 'dropout', 'alpha_dropout', 'gaussian_noise', 'stochastic_depth',
  'relu', 'relu6', 'leaky_relu', 'elu', 'gelu', 'silu', 'sigmoid', 'tanh', 'hardswish', 'hardsigmoid', 'exp', 'log', 'pow', 'hardtanh', 'selu',
  'celu', 'mish', 'softplus', 'softsign', 'tanhshrink', 'log_sigmoid', 'hardshrink', 'softshrink', 'threshold', 'rrelu', 'prelu',
]);

/**
 * The first op that does not act on each position alone (or whose tensor is not [L, ...] per
 * sequence), as a reason; undefined when the whole graph is per position apart from its
 * cached causal self-attention.
 */
function firstMixingOp(graph: Graph, c: GraphColumns, length: number): string | undefined {
  for (let i = 0; i < c.opCount; i++) {
    const spec = c.opSpec[i];
    const op = graph.ops[i]!;
    const out = c.opOutput[i]!;
    const shape = c.tensorShape[out]!;
    const where = `'${op.op}' (line ${op.site.start.line + 1})`;
    if (c.tensorBatchIndependent[out] === 1 || shape[0] !== length) return `${where} makes a tensor that is not one row per position ([${length}, ...] per sequence), so its decode step is not the prefill's at one position`;
    if (!spec) return `${where} is not an op the decode step knows`;
    const args = argsOf(c.opAttrs[i]!);
    const rank = (k: number): number => c.tensorShape[c.inputs[c.inputStart[i]! + k]!]!.length;
    const arity = c.inputStart[i + 1]! - c.inputStart[i]!;
    if (!perPosition(spec.name, args, rank, arity)) return `${where} mixes positions (or may): the decode step is given for models whose only mixing of positions is causal self-attention`;
  }
  return undefined;
}

function perPosition(name: string, args: Readonly<Record<string, ArgValue>>, rank: (input: number) => number, arity: number): boolean {
  if (PER_POSITION.has(name)) return true;
  const lastAxes = (axis: ArgValue | undefined, of: number): boolean => {
    const a = Number(axis ?? -1);
    return Number.isInteger(a) && (a < 0 ? a + of : a) > 0;
  };
  switch (name) {
    case 'dense':
      // on the last axis: of a per-position vector, not of the positions themselves
      return rank(0) >= 2;
    case 'layernorm':
      return Number(args['dims'] ?? 1) < rank(0);
    case 'softmax':
    case 'log_softmax':
    case 'softmin':
      return lastAxes(args['axis'], rank(0));
    case 'concat':
      return args['axis'] !== undefined && lastAxes(args['axis'], rank(0));
    case 'reshape':
      // the leading axis kept (checked by the caller): each position's row is reinterpreted alone
      return true;
    case 'attention':
      // the queries attend over earlier positions only, which the cache holds; no masks read
      return args['causal'] === true && arity === 1;
    default:
      return false;
  }
}

/** one line for the hover and the text report: the decode step's peak and what it is made of, or why it is not given */
export function decodeStepLine(step: DecodeStep, graph: Graph): string {
  if ('reason' in step) return `not given: ${step.reason}`;
  const op = graph.ops[step.peakOp]!;
  const row = step.workspacePerSequence > 0 ? ` + ${formatBytes(step.workspacePerSequence)} of attention scores` : '';
  return `${formatBytes(step.peak)} at context ${formatInt(step.context)} (weights and KV cache, plus ${formatBytes(step.activationsPerSequence)} of activations${row} per sequence at '${op.op}', line ${op.site.start.line + 1})`;
}
