// torch 1.13's CPU rules for padding and upsampling, as its allocator's trace gives them
// (/usr/bin/python3, profile_memory; scripts/torch_op_oracle.py's circular_* and upsampl* cases).
import { nums, plainBackward, type BackwardContext, type ForwardContext, type StepContext, type Temporary, type TorchOpRule } from './pytorchRule';

/** the registry's `pad` as [before, after] per spatial axis, from the first: one value, one per axis, or pairs */
function padPairs(c: StepContext): [number, number][] {
  const values = nums(c.node.attrs['pad']);
  const axes = c.outShape.length - 2;
  if (values.length === 1) return Array.from({ length: axes }, () => [values[0]!, values[0]!]);
  if (values.length === axes) return values.map((v) => [v, v]);
  return Array.from({ length: axes }, (_, i) => [values[2 * i] ?? 0, values[2 * i + 1] ?? 0]);
}

/**
 * F.pad(mode='circular') is a composite in torch 1.13: a new tensor of the padded shape, the input
 * copied into its middle (through one slice per spatial axis), then each border copied from the
 * other side of the padded tensor itself, the last axis first, its start before its end. Autograd
 * records a CopySlices per copy; its backward walks them last first. A border's: the gradient
 * cloned whole, the border's slice cloned and zeros of it written back, the incoming gradient
 * freed; then the slice's backward (zeros of the padded size, the border written in) summed out of
 * place with the clone. The middle's: the gradient cloned, the middle's slice cloned (the input's
 * size), both padded-size tensors freed, then one slice backward per axis, each a new tensor of
 * the input's size, the last the input's gradient.
 */
function circularBackward(c: BackwardContext): void {
  const padded = c.outBytes;
  const shape = c.outShape;
  let grad: Temporary | null = null;
  const dropGrad = (): void => (grad ? c.free(grad) : c.releaseGradOutput());
  const pairs = padPairs(c);
  for (let axis = pairs.length - 1; axis >= 0; axis--) {
    for (const width of [...pairs[axis]!].reverse()) {
      if (width <= 0) continue;
      const border = (padded / shape[axis + 2]!) * width;
      const whole = c.temp(padded);
      const slice = c.temp(border);
      c.free(c.temp(border));
      dropGrad();
      const zeros = c.temp(padded);
      c.free(slice);
      const sum = c.temp(padded);
      c.free(whole);
      c.free(zeros);
      grad = sum;
    }
  }
  const whole = c.temp(padded);
  let middle = c.temp(c.inBytes(0));
  dropGrad();
  c.free(whole);
  for (let axis = 1; axis < pairs.length; axis++) {
    const next = c.temp(c.inBytes(0));
    c.free(middle);
    middle = next;
  }
  if (c.needsGrad(0)) c.gradInput(0);
  c.free(middle);
}

const zeropad: TorchOpRule = {
  saves: { inputs: [], output: false },
  // reflect and replicate pads keep their input for the backward (grad_fn._saved_self); constant and circular keep nothing
  forward: (c) => {
    const mode = c.node.attrs['mode'];
    if (mode === 'reflect' || mode === 'replicate') c.saveInput(0);
    c.output();
  },
  backward: (c) => (c.node.attrs['mode'] === 'circular' ? circularBackward(c) : plainBackward(c)),
};

/**
 * torch 1.13's CPU interpolation (nearest, nearest-exact, (bi/tri)linear, bicubic) runs a
 * TensorIterator over index and weight arrays it makes after the output, per spatial axis from the
 * first: an int64 index and a weight of the input's dtype, output-axis long, once for nearest, twice
 * for linear, four times for bicubic; all freed when the kernel returns. A 4-D or 5-D input laid
 * out channels-last (so also one with a single channel) takes a loop of its own without them, but
 * for bicubic. `area` is an adaptive average pooling: no arrays. The backward makes the input's
 * gradient alone.
 */
const ARRAYS_PER_AXIS: Readonly<Record<string, number>> = { nearest: 1, 'nearest-exact': 1, linear: 2, bilinear: 2, trilinear: 2, bicubic: 4, area: 0 };

/** torch's mode of an upsample node: the frontend's `interpolation`, else the registry's nearest or (bi/tri)linear */
export function interpolationOf(c: StepContext): string {
  const given = c.node.attrs['interpolation'];
  if (typeof given === 'string') return given;
  return c.node.attrs['mode'] === 'bilinear' ? 'linear' : 'nearest';
}

function channelsLastLoop(c: ForwardContext): boolean {
  const shape = c.inShape(0);
  if (shape.length !== 4 && shape.length !== 5) return false;
  if (c.inChannelsLast(0)) return true;
  // a contiguous tensor is channels-last too when its channels or its positions are one
  return c.inContiguous(0) && (shape[1] === 1 || shape.slice(2).every((d) => d === 1));
}

const upsample: TorchOpRule = {
  saves: { inputs: [], output: false },
  gap(node) {
    const mode = node.attrs['interpolation'];
    return typeof mode === 'string' && ARRAYS_PER_AXIS[mode] === undefined ? `mode '${mode}'` : null;
  },
  forward(c) {
    c.output();
    const mode = interpolationOf(c);
    if (mode !== 'bicubic' && channelsLastLoop(c)) return;
    const arrays: Temporary[] = [];
    for (const length of c.outShape.slice(2)) {
      for (let k = 0; k < ARRAYS_PER_AXIS[mode]!; k++) arrays.push(c.temp(length * 8), c.temp(length * c.elementBytes));
    }
    for (const t of arrays) c.free(t);
  },
  backward: plainBackward,
};

/** the rules of this file, keyed by registry op */
export const RESAMPLING_OPS: Readonly<Record<string, TorchOpRule>> = { zeropad, upsample };
