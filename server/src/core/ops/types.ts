// The contract of an op in the registry. The registry is the only place that knows
// what an op does: its arguments, shape rule, parameters, what its backward keeps,
// whether it may run in place and what workspace it needs.

import type { DType, Layout, ParamCount, TensorType } from '../ir';

export type ArgKind =
  | 'tensor' // one tensor
  | 'int' // integer
  | 'number' // any finite number (dropout rate, momentum)
  | 'bool'
  | 'string'
  | 'ints' // a list of integers
  | 'intOrInts' // an int, or a list of ints (kernel: 3 / kernel: [3, 5])
  | 'padding' // int, list of ints, 'same' or 'valid'
  | 'enum'; // one of `values`

export type ArgValue = number | boolean | string | readonly number[];

export interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
  /** may be given positionally (tensor arguments always are); positional order = order in `args` */
  readonly positional?: boolean;
  /** takes all remaining positional arguments of its kind as a list (add(a, b, c), input(3, 224, 224)) */
  readonly variadic?: boolean;
  /** absent and no default: the call is an error */
  readonly required?: boolean;
  readonly default?: ArgValue;
  /** for 'enum' */
  readonly values?: readonly string[];
  /** for numbers: inclusive lower bound (kernel >= 1) */
  readonly min?: number;
  /** for numbers: exclusive upper bound (dropout rate < 1) */
  readonly maxExclusive?: number;
  readonly doc: string;
}

/** What a shape / parameter rule sees: input types and resolved non-tensor arguments. */
export interface OpContext {
  readonly inputs: readonly TensorType[];
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly layout: Layout;
  /** dtype of activations at the configured precision */
  readonly activationDType: DType;
}

/** A shape rule's rejection: a message for the user, pointing at an argument when one is to blame. */
export class ShapeError extends Error {
  constructor(
    message: string,
    readonly arg?: string,
  ) {
    super(message);
  }
}

/** What an op's backward pass needs kept from its forward pass (issue: liveness engine). */
export interface SavedForBackward {
  /** indices of inputs whose values the backward reads */
  readonly inputs: readonly number[];
  /** whether the backward reads the op's own output */
  readonly output: boolean;
  /** extra per-sample elements kept (batch-norm statistics, dropout mask, attention probabilities, rnn gates) */
  extraElements?(ctx: OpContext, outShape: readonly number[]): { perSample: number; fixed: number };
  /** dtype of the extra elements when not the activation dtype (dropout mask: bool) */
  readonly extraDType?: DType;
  /** per-call override of `output` (a fused activation makes conv/dense keep their output) */
  outputWhen?(ctx: OpContext): boolean;
  /** when `outputWhen` keeps the output, for docs (default: a fused activation is set) */
  readonly outputWhenDoc?: string;
  /** what the extra elements are, for docs and hovers */
  readonly extraDoc?: string;
  /**
   * of `inputs`, those the backward reads only for the weight gradient (a linear layer's input):
   * kept only when the op's weights take a gradient, as PyTorch's autograd saves addmm's mat1 only
   * when the weight requires grad (measured: scripts/frozen_oracle.py)
   */
  readonly weightGradientInputs?: readonly number[];
  /** of the extra elements, those only the weight gradient reads (attention's attended values, for the output projection) */
  weightGradientExtra?(ctx: OpContext, outShape: readonly number[]): { perSample: number; fixed: number };
}

export type InPlaceKind =
  | 'never'
  | 'elementwise' // output may overwrite input 0 (same shape)
  | 'inferOnly'; // only legal when not training (batch-norm)

export interface OpSpec {
  /** canonical name as written in .nnm */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** registry family (conv, dense, norm, activation, pool, shape, rnn, attention, io) */
  readonly family: string;
  /** one-line description for completion and hover */
  readonly summary: string;
  /** the formula of the shape and parameter rules, for docs and hovers */
  readonly formula: string;
  readonly args: readonly ArgSpec[];
  /** output per-sample shape; throws ShapeError on a mismatch */
  inferShape(ctx: OpContext): number[];
  params(ctx: OpContext, outShape: readonly number[]): ParamCount;
  /**
   * trainable adapter weights beside the op's own (LoRA on attention's projections): when there
   * are any, the op's own trainable weights are frozen and only these train
   */
  adapterParams?(ctx: OpContext): number;
  /** output dtype when not the activation dtype */
  outputDType?(ctx: OpContext): DType;
  readonly savedForBackward: SavedForBackward;
  readonly inPlace: InPlaceKind;
  /** transient per-sample / fixed elements needed while the op runs (im2col lowering, attention scores) */
  workspaceElements?(ctx: OpContext, outShape: readonly number[]): { perSample: number; fixed: number };
  /** what the workspace is, for docs and hovers */
  readonly workspaceDoc?: string;
  /**
   * generate mode: what the op keeps of every past position (self-attention's keys and values, the
   * KV cache), in elements per position per sample, and the positions its input is written for
   */
  kvCacheElements?(ctx: OpContext): { perPosition: number; positions: number };
  /** generate mode: the workspace of one decode step (one new position) over `context` cached positions, per sample */
  decodeWorkspaceElements?(ctx: OpContext, context: number): number;
  /** the output is a view of input 0 (flatten, reshape): no new buffer is needed */
  readonly aliasesInput?: boolean;
  /** at inference the op is the identity and returns input 0 itself (dropout): a view there, a new buffer in training */
  readonly identityInInference?: boolean;
  /** the output repeats input 0 over the batch as a view (torch's expand): the input's storage, no bytes of its own */
  readonly repeatsInput?: boolean;
  /** the output is a view of the model's own weights or buffers, counted there: no activation bytes */
  readonly viewsWeights?: boolean;
  /** the output sums or averages over the batch (a mean loss): it does not grow with N */
  reducesBatch?(ctx: OpContext): boolean;
  /** an op whose output grows with N though its inputs do not (a per-sample random mask made in a forward, a tensor expanded over the batch) */
  growsWithBatch?(ctx: OpContext): boolean;
}
