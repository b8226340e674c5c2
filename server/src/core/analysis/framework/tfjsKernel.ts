// The kernels a TensorFlow.js layer runs, as the CPU profile (tfjsCpu.ts) replays them; the rules that
// make them are in tfjsOps.ts and tfjsRecurrent.ts.
import type { AttrValue } from '../../ir';

/**
 * where a kernel reads a tensor: an input of the op (`{ input: k }`), an output of an earlier kernel
 * of the same op (`{ kernel: i }`, its `output` j for a kernel with several), or one of the op's
 * variables (`{ weight: name, bytes }`: its gradient is summed per variable like any tensor's)
 */
export type KernelSource = { readonly input: number } | { readonly kernel: number; readonly output?: number } | { readonly weight: string; readonly bytes: number };

/**
 * the gradient a kernel gives one input: a new buffer of the input's size, dy's own buffer, none (not
 * on a path to a weight), or `always`: a new buffer made even where no gradient is needed and kept
 * to the backward's end (a custom gradient, as the fused matMul's, computes all its inputs' at once,
 * for inputs it reshaped: the reshape's gradient entry holds the buffer, the input gets a view)
 */
export type GradientBuffer = 'fresh' | 'alias' | 'none' | 'always';

export interface Kernel {
  readonly bytes: number;
  /** the bytes of its further outputs (a split, an unstack); a gradient reaching any of them fills the others' with zeros */
  readonly more?: readonly number[];
  /** disposed by a tidy() inside the layer (an RNN step's) once kernel `diesAfter` has run, unless saved for backward */
  readonly diesAfter?: number;
  /** buffers its gradient function makes and disposes before it gives any gradient (alive only at that moment) */
  readonly gradScratch?: number;
  readonly from: readonly KernelSource[];
  readonly grads: readonly GradientBuffer[];
  /** the gradient config keeps the kernel's inputs / its output for backward */
  readonly savesInputs: boolean;
  readonly savesOutput: boolean;
  /** with savesInputs: only these sources (by index) are saved (FusedBatchNorm keeps all but its offset) */
  readonly savesOnly?: readonly number[];
  /** its gradient makes the op's variables' gradients (a rule's implicit variables; without it, the op's first kernel reached in backward) */
  readonly weightGradients?: boolean;
  /** a custom op (a fused matMul or conv): its gradient makes its variables' gradients even where the layer is frozen */
  readonly customGradient?: boolean;
  /** made from random numbers or constants only: no gradient reaches it */
  readonly constant?: boolean;
  /** buffers the kernel makes and disposes inside itself, alive beside its output at its peak */
  readonly transient?: number;
  /** an inner kernel of a layer whose call() has no tidy(): it stays until predict's or the forward's tidy ends */
  readonly untidied?: boolean;
  /** its gradient function's buffers: made outside the per-input tidy (kept to the backward's end), and inside it at most at once */
  readonly gradKeeps?: number;
  readonly gradTransient?: number;
}

export interface OpRuleContext {
  readonly training: boolean;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly inputs: number;
  readonly inBytes: (k: number) => number;
  readonly outBytes: number;
  /** elements of one weight-free output channel set: bytes of the op's bias, 0 without one */
  readonly biasBytes: number;
  /** the per-sample shapes of an input and of the output, and the batch */
  readonly inShape: (k: number) => readonly number[];
  readonly outShape: readonly number[];
  readonly batch: number;
}

/** the op's kernels in order (the last one's output is the op's output); [] for a view of its input; null when not covered */
export type OpRule = (ctx: OpRuleContext) => readonly Kernel[] | null;
