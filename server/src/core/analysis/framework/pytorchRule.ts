// The shape of a PyTorch CPU op rule: what a rule reads and does while its forward and backward
// run (pytorchCpu.ts provides the contexts), and the small rules most ops are made of.
import type { AttrValue, OpNode, Tensor } from '../../ir';

/** what every op rule reads and does, forward or backward */
export interface StepContext {
  readonly node: OpNode;
  /** the op reads a parameter tensor another op counts (Graph.tiedWeights): its gradient is made here too */
  readonly readsTiedWeight: boolean;
  /** whole shape (batch axis first unless batch-independent) of input k and of the output */
  inShape(k: number): readonly number[];
  readonly outShape: readonly number[];
  inBytes(k: number): number;
  readonly outBytes: number;
  readonly elementBytes: number;
  /** the CPU's vector width in bits (oneDNN's blocked layouts follow it) */
  readonly vectorBits: number;
  /** input k is laid out contiguously (not a transposed or sliced view) */
  inContiguous(k: number): boolean;
  /** input k is a 4-D tensor laid out channels-last (a permuted NHWC result) */
  inChannelsLast(k: number): boolean;
  /** a transient buffer, alive until freed */
  temp(bytes: number): Temporary;
  free(t: Temporary): void;
}

/** what an op rule can do while its forward runs */
export interface ForwardContext extends StepContext {
  readonly training: boolean;
  /**
   * the output as a new tensor: contiguous, channels-last (a convolution of a channels-last
   * input), or `sequenceFirst`: a batch-first [N, L, ...] view of a tensor laid out [L, N, ...]
   * (torch's batch_first attention transposes its sequence-first result back)
   */
  output(layout?: 'channelsLast' | 'sequenceFirst'): void;
  /** the output as a view of input 0 (a copy when the strides do not allow a view) */
  view(): void;
  /** the output is input 0 itself */
  alias(): void;
  /** state kept for the backward (train) beside the saved inputs and output; dropped at once in inference */
  extra(bytes: number): void;
  /** autograd records this op (training, and its output needs a gradient) */
  readonly recording: boolean;
  /** a temporary autograd keeps for the backward: the backward frees it (`kept`), else it goes with the node; freed at once when not recording */
  keep(t: Temporary): void;
  /** autograd keeps input k for the backward (beside the rule's static `saves`) */
  saveInput(k: number): void;
  /** the bytes of the copy torch.matmul makes of input k when it folds the batch dims (0: a view does) */
  foldCopy(k: number): number;
  /** the bytes of the copy a reshape of input k (3 or more axes) to [rows, its last axis] makes, as torch's linear folds it (0: a view does, or it has 2 axes) */
  rowsCopy(k: number): number;
}

/** what an op rule can do while its backward runs */
export interface BackwardContext extends StepContext {
  /** whether input k receives a gradient */
  needsGrad(k: number): boolean;
  /** input k's gradient, allocated (or accumulated into the one it has) */
  gradInput(k: number): void;
  /** input k's gradient is the output's gradient itself (a view or an add) */
  passGrad(k: number): void;
  /** the op's weight gradients (accumulated when the weights are shared) */
  weightGrad(): void;
  /** one weight-gradient tensor of the op, made piece by piece (a gradient summed step by step); freed with `free` when superseded */
  weightGradPart(bytes: number): Temporary;
  /**
   * gradients of some of the op's weight tensors, each its own tensor as in torch (index: the
   * tensor's place among the op's weights), made now; the function returned sums each, last first,
   * into the total of the earlier calls that share the weights (a cell called once per time step),
   * which autograd does once the product's backward has let its temporaries go
   */
  weightGradTensors(tensors: readonly { readonly index: number; readonly elements: number }[]): () => void;
  /** the temporaries the forward kept (`keep`), in the order kept */
  readonly kept: readonly Temporary[];
  /** the output's gradient is let go now (torch's engine drops it once the op's first backward node has run), not when the rule returns */
  releaseGradOutput(): void;
  /** autograd lets go of saved input k now (the inner node that saved it has run), not when the rule returns */
  releaseSavedInput(k: number): void;
  /** input k's gradient is the output's expanded over the reduced axes (SumBackward): a view of its storage, no bytes of its own */
  expandGrad(k: number): void;
  /** the output's gradient is an expanded one (out.sum()'s) that this rule reads as it is (readsExpandedGradient) */
  readonly gradOutputExpanded: boolean;
}

export interface Temporary {
  readonly bytes: number;
}

export interface TorchOpRule {
  /** input indices and output that autograd keeps for the backward */
  readonly saves: { readonly inputs: readonly number[]; readonly output: boolean };
  /**
   * run in place in training, an op whose backward reads its input gets that input cloned first
   * (autograd keeps the original): hardtanh_ (ReLU6), hardswish_, silu_; relu_ and leaky_relu_
   * read their result and clone nothing
   */
  readonly clonesInPlaceInput?: boolean;
  /** its backward reads the output's gradient contiguous (channels-last when its input is): a strided one (a view autograd passed) is cloned first, held while it runs */
  readonly contiguousGradient?: boolean;
  /** an elementwise op: its output takes the memory layout of an input of its shape (channels-last stays channels-last); its backward reads an expanded gradient as it is */
  readonly elementwise?: boolean;
  /**
   * its backward reads an expanded gradient (out.sum()'s, stride 0 over the input) as it is
   * ('scalar': only one expanded from a single element, which any view can take); the backward of
   * an op neither this nor elementwise gets a contiguous copy of it first (measured: conv, linear's
   * products, layer norm, pooling, upsampling)
   */
  readonly readsExpandedGradient?: boolean | 'scalar';
  /** only its inference is replayed: a training step with it gets a reason, not a figure */
  readonly inferenceOnly?: boolean;
  /**
   * training is replayed for some configurations only: what this node has that is not (e.g.
   * '2 layers'), null when covered; given the per-sample input shape
   */
  trainingGap?(node: OpNode, input: readonly number[]): string | null;
  /** what torch 1.13 raises running this node on a CPU (its message), null when it runs: the step has no figure, whatever else it holds */
  raises?(node: OpNode, training: boolean): string | null;
  /** in either mode, what this node has that is not replayed (e.g. 'flash'), null when covered; given the per-sample input shape and the input tensors */
  gap?(node: OpNode, input: readonly number[], training: boolean, inputs: readonly Tensor[]): string | null;
  forward(c: ForwardContext): void;
  backward(c: BackwardContext): void;
}

export const every = (c: BackwardContext, grad: (k: number) => void): void => {
  for (let k = 0; k < c.node.inputs.length; k++) if (c.needsGrad(k)) grad(k);
};
export const newOutput = (c: ForwardContext): void => c.output();
export const plainBackward = (c: BackwardContext): void => {
  every(c, (k) => c.gradInput(k));
  c.weightGrad();
};
export const passBackward = (c: BackwardContext): void => every(c, (k) => c.passGrad(k));

export function rule(saves: TorchOpRule['saves'], forward: TorchOpRule['forward'] = newOutput, backward: TorchOpRule['backward'] = plainBackward): TorchOpRule {
  return { saves, forward, backward };
}

/** an elementwise op (its output follows its input's memory layout) */
export const pointwise = (r: TorchOpRule): TorchOpRule => ({ ...r, elementwise: true });
/** an activation whose backward reads its input: in place in training, the input is cloned and the clone saved */
export const readsInput = (): TorchOpRule => pointwise({ ...rule(INPUT), clonesInPlaceInput: true });

export const NOTHING = { inputs: [], output: false } as const;
export const INPUT = { inputs: [0], output: false } as const;
export const OUTPUT = { inputs: [], output: true } as const;
export const BOTH_INPUTS = { inputs: [0, 1], output: false } as const;

export function nums(v: AttrValue | undefined): readonly number[] {
  return Array.isArray(v) ? (v as readonly number[]) : typeof v === 'number' ? [v] : [];
}
