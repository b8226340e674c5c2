// Helpers shared by the op families: layout-aware axes, window arithmetic, argument access.
import type { DType, Layout, ParamCount } from '../ir';
import { ShapeError, type ArgSpec, type ArgValue, type OpContext, type OpSpec, type SavedForBackward } from './types';

export const NO_PARAMS: ParamCount = { trainable: 0, nonTrainable: 0 };

export function intArg(ctx: OpContext, name: string): number {
  const v = ctx.args[name];
  if (typeof v !== 'number') throw new ShapeError(`argument '${name}' must be an integer`, name);
  return v;
}

export function boolArg(ctx: OpContext, name: string): boolean {
  return ctx.args[name] === true;
}

/** `dims` copies of `value` (a loop of pushes: `new Array(n).fill` is several times slower for short arrays) */
function filled<T>(dims: number, value: T): T[] {
  const out: T[] = [];
  for (let k = 0; k < dims; k++) out.push(value);
  return out;
}

/** expand `3` or `[3, 5]` to one value per spatial dim */
export function perDim(value: ArgValue | undefined, dims: number, name: string): number[] {
  if (typeof value === 'number') return filled(dims, value);
  if (Array.isArray(value)) {
    if (value.length === dims) return [...value];
    if (value.length === 1) return filled(dims, value[0]!);
  }
  throw new ShapeError(`'${name}' needs 1 or ${dims} values`, name);
}

/** names of the spatial axes by count, for formulas and messages */
export const SPATIAL_NAMES: Readonly<Record<number, readonly string[]>> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

/** index of the channel axis of a per-sample shape of the given rank */
export function channelAxis(layout: Layout, rank: number): number {
  return layout === 'nchw' ? 0 : rank - 1;
}

/** a [C, H, W] image (channels last: [H, W, C]), as pixel_shuffle and pixel_unshuffle take one, and a shape built back in its layout */
export interface Image {
  readonly channels: number;
  readonly h: number;
  readonly w: number;
  shape(channels: number, h: number, w: number): number[];
}

export function imageOf(ctx: OpContext, opName: string): Image {
  const shape = expectMinRank(ctx, 0, 3, opName);
  if (shape.length !== 3) throw new ShapeError(`${opName} needs a [C, H, W] image, got rank ${shape.length}`);
  const c = channelAxis(ctx.layout, 3);
  const [h, w] = c === 0 ? [shape[1]!, shape[2]!] : [shape[0]!, shape[1]!];
  return { channels: shape[c]!, h, w, shape: (channels, hh, ww) => (c === 0 ? [channels, hh, ww] : [hh, ww, channels]) };
}

/** split a per-sample shape into channels and spatial dims according to the layout */
export function splitChannels(shape: readonly number[], layout: Layout): { channels: number; spatial: number[] } {
  const axis = channelAxis(layout, shape.length);
  const spatial: number[] = [];
  for (let i = 0; i < shape.length; i++) if (i !== axis) spatial.push(shape[i]!);
  return { channels: shape[axis]!, spatial };
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
  if (value === 'same' || value === 'valid') return filled(dims, value);
  if (value === undefined) return filled(dims, 0);
  return perDim(value, dims, 'pad');
}

// ---- argument schemas shared by several ops ----

/** a tensor argument (always positional) */
export function tensorArg(name = 'x', doc = 'input tensor'): ArgSpec {
  return { name, kind: 'tensor', positional: true, required: true, doc };
}

/** any number of tensors: add(a, b, c), concat(a, b, axis: 0) */
export function tensorsArg(doc: string): ArgSpec {
  return { name: 'xs', kind: 'tensor', positional: true, variadic: true, required: true, doc };
}

/** accepted by every op whose inPlace kind is not 'never' */
export const INPLACE_ARG: ArgSpec = {
  name: 'inplace',
  kind: 'bool',
  default: false,
  doc: 'write the output over the input buffer (legality is checked by the liveness analysis)',
};

export const BIAS_ARG: ArgSpec = { name: 'bias', kind: 'bool', default: true, doc: 'add a learned bias per output channel / unit' };

/** fused activations (Keras `activation=`): the op's output is the activated value */
export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'gelu', 'silu', 'elu', 'leaky_relu'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export const ACTIVATION_ARG: ArgSpec = {
  name: 'activation',
  kind: 'enum',
  values: ACTIVATIONS,
  default: 'linear',
  doc: 'fused activation applied to the output (Keras semantics); its backward also keeps the output',
};

/** gelu and silu need their pre-activation in backward; the others can use their output */
const NEEDS_PRE_ACTIVATION: ReadonlySet<string> = new Set(['gelu', 'silu']);

function fusedActivation(ctx: OpContext): string {
  const a = ctx.args['activation'];
  return typeof a === 'string' ? a : 'linear';
}

/**
 * Saved-for-backward of an op with a learned weight and an optional fused activation: the input
 * (for the weight gradient), the output when the activation's derivative reads it, and the
 * pre-activation as an extra when it needs that instead (gelu, silu).
 */
export function weightedSaved(extra?: (ctx: OpContext, outShape: readonly number[]) => number, extraDoc?: string): SavedForBackward {
  return {
    inputs: [0],
    output: false,
    outputWhen: (ctx) => fusedActivation(ctx) !== 'linear' && !NEEDS_PRE_ACTIVATION.has(fusedActivation(ctx)),
    extraElements: (ctx, outShape) => ({
      perSample: (NEEDS_PRE_ACTIVATION.has(fusedActivation(ctx)) ? product(outShape) : 0) + (extra?.(ctx, outShape) ?? 0),
      fixed: 0,
    }),
    extraDoc: `${extraDoc ? `${extraDoc}; ` : ''}the pre-activation when the fused activation is gelu or silu`,
  };
}

/** SavedForBackward resolved for one call: what the liveness analysis keeps */
export interface ResolvedSaved {
  readonly inputs: readonly number[];
  readonly output: boolean;
  readonly extra: { perSample: number; fixed: number };
  readonly extraDType?: DType;
}

export function resolveSaved(spec: OpSpec, ctx: OpContext, outShape: readonly number[]): ResolvedSaved {
  const s = spec.savedForBackward;
  return {
    // an optional input not given (a recurrent layer without its initial state) is not saved
    inputs: s.inputs.filter((k) => k < ctx.inputs.length),
    output: s.outputWhen ? s.outputWhen(ctx) : s.output,
    extra: s.extraElements ? s.extraElements(ctx, outShape) : { perSample: 0, fixed: 0 },
    ...(s.extraDType ? { extraDType: s.extraDType } : {}),
  };
}

export const SAVES_NOTHING: SavedForBackward = { inputs: [], output: false };
export const SAVES_INPUT: SavedForBackward = { inputs: [0], output: false };
export const SAVES_OUTPUT: SavedForBackward = { inputs: [], output: true };

// ---- argument access with validation (frontends check kinds; rules still never trust them) ----

/** an integer argument >= min */
export function intAtLeast(ctx: OpContext, name: string, min: number): number {
  const v = intArg(ctx, name);
  if (!Number.isInteger(v) || v < min) throw new ShapeError(`'${name}' must be an integer >= ${min}, got ${v}`, name);
  return v;
}

export function numberArg(ctx: OpContext, name: string, fallback: number): number {
  const v = ctx.args[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** per-dim integers >= min from `3` or `[3, 5]` */
export function perDimAtLeast(ctx: OpContext, name: string, dims: number, min: number, fallback?: number): number[] {
  const raw = ctx.args[name] ?? fallback;
  const values = perDim(raw, dims, name);
  for (const v of values) {
    if (!Number.isInteger(v) || v < min) throw new ShapeError(`'${name}' values must be integers >= ${min}, got ${v}`, name);
  }
  return values;
}

/** a list of integers given positionally (reshape(x, 4, -1)) or as a list */
export function intList(ctx: OpContext, name: string): number[] {
  const v = ctx.args[name];
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return [...v];
  throw new ShapeError(`'${name}' needs a list of integers`, name);
}

/** an axis index into a per-sample shape; negative counts from the end */
export function normalizeAxis(axis: number, rank: number, name: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`'${name}' ${axis} is out of range for a ${rank}-D per-sample tensor (valid: ${-rank}..${rank - 1})`, name);
  }
  return axis < 0 ? axis + rank : axis;
}

// ---- shapes ----

/** numpy broadcasting of two or more shapes, aligned at the last axis */
export function broadcastShapes(shapes: readonly (readonly number[])[], name: string): number[] {
  if (shapes.length < 2) throw new ShapeError(`${name} needs at least two tensors, got ${shapes.length}`);
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      if (d !== 1 && out[j] !== 1 && out[j] !== d) {
        throw new ShapeError(`${name} cannot broadcast ${shapeText(shapes[0]!)} with ${shapeText(s)}: dims ${out[j]} and ${d} differ`);
      }
      if (d !== 1) out[j] = d;
    }
  }
  return out;
}

export function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** the input shape of a windowed op over `dims` spatial axes (channels + spatial); the hint is built only for the error */
export function expectSpatialRank(ctx: OpContext, dims: number, opName: string, spatial: readonly string[] = SPATIAL_NAMES[dims]!): readonly number[] {
  const shape = ctx.inputs[0]!.shape;
  if (shape.length !== dims + 1) expectRank(ctx, 0, dims + 1, opName, `expected ${layoutHint(ctx.layout, spatial)}`);
  return shape;
}

/** the input shape, checking the rank is at least `min` */
export function expectMinRank(ctx: OpContext, index: number, min: number, opName: string, hint = ''): readonly number[] {
  const shape = ctx.inputs[index]!.shape;
  if (shape.length < min) {
    throw new ShapeError(
      `${opName} expects at least a ${min}-D input per sample, got ${shape.length}-D ${shapeText(shape)}${hint ? `; ${hint}` : ''}`,
    );
  }
  return shape;
}

/** names of the per-sample axes for messages: [C, H, W] or [H, W, C] */
export function layoutHint(layout: Layout, spatial: readonly string[]): string {
  const dims = layout === 'nchw' ? ['C', ...spatial] : [...spatial, 'C'];
  return `[${dims.join(', ')}] under ${layout}`;
}

/**
 * Wraps a family's specs so a call with the wrong number of tensors is a ShapeError, not a crash
 * inside the rule (frontends normally catch it first; the TF.js frontend may not).
 */
export function checkedOps(specs: readonly OpSpec[]): readonly OpSpec[] {
  return specs.map((spec) => {
    const tensors = spec.args.filter((a) => a.kind === 'tensor');
    const variadic = tensors.some((a) => a.variadic);
    const inferShape = (ctx: OpContext): number[] => {
      const n = ctx.inputs.length;
      if (variadic ? n < 1 : n !== tensors.length) {
        const want = variadic ? 'at least 1 tensor' : `${tensors.length} tensor${tensors.length === 1 ? '' : 's'}`;
        throw new ShapeError(`${spec.name} takes ${want}, got ${n}`);
      }
      return spec.inferShape(ctx);
    };
    return { ...spec, inferShape };
  });
}
