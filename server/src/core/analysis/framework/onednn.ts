// How PyTorch 1.13 runs a float convolution on a CPU, measured with its allocator
// (scripts/torch_op_oracle.py): through oneDNN (mkldnn) or through its own im2col ("slow") kernel,
// and the copies each path makes. oneDNN works in a blocked layout whose channel blocks are 16 wide
// on AVX-512 machines (8 on AVX2): it copies the input, the weight and the output into that
// layout, pads channels to whole blocks, and copies the output back to a plain tensor.
import { product } from '../../ops/common';

/** channel block of oneDNN's blocked layouts: the fp32 lanes of one vector (16 on AVX-512, 8 on AVX2) */
export function channelBlock(vectorBits: number): number {
  return Math.max(8, Math.floor(vectorBits / 32));
}
/** below this many input channels oneDNN reads the plain input and leaves the weight's input channels unpadded */
const BLOCKED_INPUT_CHANNELS = 16;

export interface ConvGeometry {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** spatial input and output sizes (1, 2 or 3 dims) */
  readonly inSpatial: readonly number[];
  readonly outSpatial: readonly number[];
  readonly kernel: readonly number[];
  readonly strided: boolean;
  readonly padded: boolean;
  readonly dilated: boolean;
  readonly groups: number;
  readonly elementBytes: number;
  /** channel block of the machine's blocked layouts */
  readonly block: number;
}

/**
 * torch 1.13's choice (ConvParams::use_mkldnn) for a float CPU convolution on one thread: oneDNN
 * unless a 1x1 unstrided kernel, or a small single-sample input with a kernel of at most 3x3.
 */
export function usesOneDnn(g: ConvGeometry): boolean {
  const oneByOne = g.kernel.every((k) => k === 1);
  if (!(g.strided || g.dilated || g.batch >= 16 || !oneByOne)) return false;
  const inputElements = g.batch * g.inChannels * product(g.inSpatial);
  const kernelOver3 = g.kernel.length >= 2 && g.kernel[g.kernel.length - 1]! > 3 && g.kernel[g.kernel.length - 2]! > 3;
  return g.groups > 1 || kernelOver3 || g.batch > 1 || inputElements > 20480;
}

/** the bytes of oneDNN's blocked copies of one convolution's input, weight and output */
export function oneDnnCopies(g: ConvGeometry): { input: number; weight: number; output: number } {
  const pad = (channels: number): number => Math.ceil(channels / g.block) * g.block;
  const blocked = g.inChannels >= BLOCKED_INPUT_CHANNELS;
  const inChannels = blocked ? pad(g.inChannels) : g.inChannels;
  const weightIn = g.groups > 1 ? g.inChannels / g.groups : inChannels;
  const weightOut = g.groups > 1 ? g.outChannels : pad(g.outChannels);
  return {
    input: blocked ? g.batch * inChannels * product(g.inSpatial) * g.elementBytes : 0,
    weight: weightOut * weightIn * product(g.kernel) * g.elementBytes,
    output: g.batch * pad(g.outChannels) * product(g.outSpatial) * g.elementBytes,
  };
}

/** the slow kernel's column buffer (im2col over the whole batch); none for a plain 1x1 product */
export function slowColumns(g: ConvGeometry): number {
  if (g.kernel.every((k) => k === 1) && !g.strided && !g.padded) return 0;
  return g.batch * (g.inChannels / g.groups) * product(g.kernel) * product(g.outSpatial) * g.elementBytes;
}
