// Helpers shared by the op families: layout-aware axes, window arithmetic, argument access.
import type { Layout, ParamCount } from '../ir';
import { ShapeError, type ArgValue, type OpContext } from './types';

export const NO_PARAMS: ParamCount = { trainable: 0, nonTrainable: 0 };

export function intArg(ctx: OpContext, name: string): number {
  const v = ctx.args[name];
  if (typeof v !== 'number') throw new ShapeError(`argument '${name}' must be an integer`, name);
  return v;
}

export function boolArg(ctx: OpContext, name: string): boolean {
  return ctx.args[name] === true;
}

/** expand `3` or `[3, 5]` to one value per spatial dim */
export function perDim(value: ArgValue | undefined, dims: number, name: string): number[] {
  if (typeof value === 'number') return new Array<number>(dims).fill(value);
  if (Array.isArray(value)) {
    if (value.length === dims) return [...value];
    if (value.length === 1) return new Array<number>(dims).fill(value[0]!);
  }
  throw new ShapeError(`'${name}' needs 1 or ${dims} values`, name);
}

/** index of the channel axis of a per-sample shape of the given rank */
export function channelAxis(layout: Layout, rank: number): number {
  return layout === 'nchw' ? 0 : rank - 1;
}

/** split a per-sample shape into channels and spatial dims according to the layout */
export function splitChannels(shape: readonly number[], layout: Layout): { channels: number; spatial: number[] } {
  const axis = channelAxis(layout, shape.length);
  return { channels: shape[axis]!, spatial: shape.filter((_, i) => i !== axis) };
}

/** rebuild a per-sample shape from channels and spatial dims */
export function joinChannels(channels: number, spatial: readonly number[], layout: Layout): number[] {
  return layout === 'nchw' ? [channels, ...spatial] : [...spatial, channels];
}

export function expectRank(ctx: OpContext, index: number, rank: number, opName: string, hint = ''): readonly number[] {
  const shape = ctx.inputs[index]!.shape;
  if (shape.length !== rank) {
    throw new ShapeError(
      `${opName} expects a ${rank}-D input per sample, got ${shape.length}-D [${shape.join(', ')}]${hint ? `; ${hint}` : ''}`,
    );
  }
  return shape;
}

/**
 * Output length of a sliding window (convolution, pooling), PyTorch's formula for explicit padding:
 * floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1; 'same' gives ceil(in / stride), 'valid' pad 0.
 */
export function windowOutput(
  input: number,
  kernel: number,
  stride: number,
  pad: number | 'same' | 'valid',
  dilation: number,
  what: string,
): number {
  const span = dilation * (kernel - 1) + 1;
  if (pad === 'same') return Math.ceil(input / stride);
  const p = pad === 'valid' ? 0 : pad;
  if (span > input + 2 * p) {
    throw new ShapeError(`${what} kernel spans ${span} but the padded input is only ${input + 2 * p}`, 'kernel');
  }
  return Math.floor((input + 2 * p - span) / stride) + 1;
}

/** padding argument per spatial dim: numbers, or 'same'/'valid' for all dims */
export function paddingArg(value: ArgValue | undefined, dims: number): (number | 'same' | 'valid')[] {
  if (value === 'same' || value === 'valid') return new Array<'same' | 'valid'>(dims).fill(value);
  if (value === undefined) return new Array<number>(dims).fill(0);
  return perDim(value, dims, 'pad');
}
