// More torch.nn layers, beside layers.ts' table: Bilinear, Unflatten, PixelUnshuffle, ChannelShuffle, the
// Upsampling layers, AdaptiveMaxPool3d, LPPool1d/2d, LocalResponseNorm, SyncBatchNorm (on one device), AlphaDropout and
// FeatureAlphaDropout, CircularPad1d/2d/3d (torch >= 2.1). Written from the PyTorch docs.
import { describe, int, intOf, NONE, TRUE, FALSE, NotKnown, pythonFloat, type LayerCall, type LayerSpec, type PyValue, type TensorValue } from './values';
import { flag, ints, need, normState, num, one, rankOf } from './layerArgs';
import { adaptiveCall, padPerAxis, reshapeTo, upsampleSize } from './layers';

/** Unflatten(dim, unflattened_size): one axis becomes several, a view; -1 in the sizes is inferred */
const unflatten: LayerSpec = {
  name: 'Unflatten',
  signature: [['dim'], ['unflattened_size']],
  forward(call, inputs) {
    const x = one(inputs, call);
    const dim0 = need(call.config, 'dim', call.fail);
    const sizesArg = call.config.get('unflattened_size') ?? NONE;
    const items = sizesArg.kind === 'tuple' || sizesArg.kind === 'list' ? sizesArg.items.map(intOf) : undefined;
    if (!items || items.some((d) => d === undefined)) throw new NotKnown(`\`unflattened_size\` is ${describe(sizesArg)}, not known integers`);
    const rank = x.shape.length;
    const dim = dim0 < 0 ? dim0 + rank : dim0;
    if (dim < 0 || dim >= rank) call.fail(`dim ${dim0} is out of range for ${describe(x)}`);
    if (dim === x.batchAxis) throw new NotKnown('Unflatten of the batch axis is not modelled');
    const size = x.shape[dim]!;
    const sizes = items as number[];
    const known = sizes.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const inferred = sizes.filter((d) => d === -1).length;
    if (inferred > 1 || sizes.some((d) => d < -1) || (inferred === 0 ? known !== size : known === 0 || size % known !== 0)) call.fail(`unflattened_size (${sizes.join(', ')}) does not fit axis ${dim0} of ${describe(x)}`);
    const full = sizes.map((d) => (d === -1 ? size / known : d));
    const shape = [...x.shape.slice(0, dim), ...full, ...x.shape.slice(dim + 1)];
    return reshapeTo(call, x, shape, x.batchAxis < dim ? x.batchAxis : x.batchAxis + full.length - 1);
  },
};

function image(call: LayerCall, inputs: readonly PyValue[], name: string): TensorValue {
  const x = one(inputs, call);
  if (x.batchAxis !== 0 || x.shape.length !== 4) call.fail(`${name} is modelled for a batched [N, C, H, W] image, got ${describe(x)}`);
  return x;
}

const pixelUnshuffle: LayerSpec = {
  name: 'PixelUnshuffle',
  signature: [['downscale_factor']],
  forward(call, inputs) {
    const x = image(call, inputs, 'PixelUnshuffle');
    return call.emit('pixel_unshuffle', [x], { factor: need(call.config, 'downscale_factor', call.fail) });
  },
};

const channelShuffle: LayerSpec = {
  name: 'ChannelShuffle',
  signature: [['groups']],
  forward(call, inputs) {
    const x = one(inputs, call);
    if (x.batchAxis !== 0 || x.shape.length < 3) call.fail(`ChannelShuffle is modelled for a batched [N, C, ...] input, got ${describe(x)}`);
    return call.emit('channel_shuffle', [x], { groups: need(call.config, 'groups', call.fail) });
  },
};

/** UpsamplingNearest2d / UpsamplingBilinear2d (align_corners=True): torch's size or scale_factor (layers.ts' upsampleSize) */
function upsampling(name: string, mode: 'nearest' | 'bilinear'): LayerSpec {
  return {
    name,
    signature: [['size', NONE], ['scale_factor', NONE]],
    forward(call, inputs) {
      const x = image(call, inputs, name);
      const r = upsampleSize(x, call.config.get('size') ?? NONE, call.config.get('scale_factor') ?? NONE);
      if (typeof r === 'string') return call.fail(`${name}: ${r}`);
      return call.emit('upsample', [x], { ...r, mode, interpolation: mode });
    },
  };
}

const adaptiveMaxPool3d: LayerSpec = {
  name: 'AdaptiveMaxPool3d',
  signature: [['output_size'], ['return_indices', FALSE]],
  forward(call, inputs) {
    if (flag(call.config, 'return_indices', call.fail)) throw new NotKnown('return_indices is not modelled yet');
    return adaptiveCall(call, one(inputs, call), 'Max', 3, call.config.get('output_size') ?? NONE);
  },
};

/**
 * SyncBatchNorm as torch runs it on one device (no process group of more than one): a batch norm
 * over axis 1 of an input of any rank from 2, marked `sync`: torch 1.13 raises on a CPU input, in
 * inference and training alike (the PyTorch CPU profile gives that reason instead of a figure).
 */
const syncBatchNorm: LayerSpec = {
  name: 'SyncBatchNorm',
  signature: [['num_features'], ['eps', { kind: 'float', value: 1e-5 }], ['momentum', { kind: 'float', value: 0.1 }], ['affine', TRUE], ['track_running_stats', TRUE], ['process_group', NONE], ['device', NONE], ['dtype', NONE]],
  init: normState,
  forward(call, inputs) {
    const x = one(inputs, call);
    const n = need(call.config, 'num_features', call.fail);
    if (x.batchAxis !== 0 || x.shape.length < 2 || x.shape[1] !== n) call.fail(`SyncBatchNorm(${n}) expects [N, ${n}, ...], got ${describe(x)}`);
    return call.emit('batchnorm', [x], { affine: flag(call.config, 'affine', call.fail), sync: true });
  },
};

function alphaDropout(name: string, feature: boolean): LayerSpec {
  return {
    name,
    signature: [['p', { kind: 'float', value: 0.5 }], ['inplace', FALSE]],
    forward(call, inputs) {
      const x = one(inputs, call);
      const p = num(call.config, 'p', call.fail);
      if (!(p >= 0 && p <= 1)) call.fail(`dropout probability ${pythonFloat(p)} is not between 0 and 1`);
      if (!call.self.module?.training) return x;
      if (p === 1) throw new NotKnown('alpha dropout with p = 1 is not modelled');
      if (flag(call.config, 'inplace', call.fail)) throw new NotKnown(`${name}(inplace=True) is not modelled yet`);
      if (feature && (x.batchAxis !== 0 || rankOf(x) < 2)) call.fail(`${name} is modelled for a batched [N, C, ...] input, got ${describe(x)}`);
      return call.emit('alpha_dropout', [x], { rate: p, feature });
    },
  };
}

/** CircularPad1d/2d/3d (torch >= 2.1): `padding` one int or (left, right, top, bottom, ...) from the last axis */
function circularPad(dims: 1 | 2 | 3): LayerSpec {
  const name = `CircularPad${dims}d`;
  return {
    name,
    signature: [['padding']],
    forward(call, inputs) {
      const x = one(inputs, call);
      if (x.batchAxis !== 0 || x.shape.length !== dims + 2) call.fail(`${name} is modelled for a batched [N, C, ${dims === 1 ? 'L' : dims === 2 ? 'H, W' : 'D, H, W'}] input, got ${describe(x)}`);
      const padding = call.config.get('padding') ?? NONE;
      const single = intOf(padding);
      if (single !== undefined) return call.emit('zeropad', [x], { pad: [single], mode: 'circular' });
      const items = padding.kind === 'tuple' || padding.kind === 'list' ? padding.items.map(intOf) : undefined;
      if (!items || items.length !== 2 * dims || items.some((v) => v === undefined)) return call.fail(`${name} expects padding as an int or ${2 * dims} ints, got ${describe(padding)}`);
      return call.emit('zeropad', [x], { pad: padPerAxis(items as number[], dims), mode: 'circular' });
    },
  };
}

/** Bilinear(in1_features, in2_features, out_features): weight [out, in1, in2], bias [out]; called on two inputs */
const bilinear: LayerSpec = {
  name: 'Bilinear',
  signature: [['in1_features'], ['in2_features'], ['out_features'], ['bias', TRUE], ['device', NONE], ['dtype', NONE]],
  init(c, b, fail) {
    const in1 = need(c, 'in1_features', fail);
    const in2 = need(c, 'in2_features', fail);
    const out = need(c, 'out_features', fail);
    b.attr('in1_features', int(in1));
    b.attr('in2_features', int(in2));
    b.attr('out_features', int(out));
    b.param('weight', [out, in1, in2]);
    b.param('bias', flag(c, 'bias', fail) ? [out] : undefined);
  },
  forward(call, inputs) {
    const x1 = one(inputs, call);
    const x2 = inputs[1];
    if (!x2 || x2.kind !== 'tensor') return call.fail(`Bilinear expects two tensors, got ${x2 ? describe(x2) : 'one'}`);
    const c = call.config;
    const [in1, in2] = [need(c, 'in1_features', call.fail), need(c, 'in2_features', call.fail)];
    if (x1.shape[x1.shape.length - 1] !== in1) call.fail(`Bilinear expects ${in1} features on the first input's last axis, got ${describe(x1)}`);
    if (x2.shape[x2.shape.length - 1] !== in2) call.fail(`Bilinear expects ${in2} features on the second input's last axis, got ${describe(x2)}`);
    if (x1.shape.length !== x2.shape.length || x1.batchAxis !== x2.batchAxis || x1.shape.slice(0, -1).some((d, i) => d !== x2.shape[i])) call.fail(`Bilinear's inputs must share their leading axes, got ${describe(x1)} and ${describe(x2)}`);
    if (x1.batchAxis !== 0) throw new NotKnown(`Bilinear of ${describe(x1)}, whose first axis is not the batch, is not modelled`);
    return call.emit('bilinear', [x1, x2], { units: need(c, 'out_features', call.fail), bias: flag(c, 'bias', call.fail) });
  },
};

/** LPPool1d/2d(norm_type, kernel_size, stride=None, ceil_mode=False) */
function lpPool(dims: 1 | 2): LayerSpec {
  const name = `LPPool${dims}d`;
  return {
    name,
    signature: [['norm_type'], ['kernel_size'], ['stride', NONE], ['ceil_mode', FALSE]],
    forward(call, inputs) {
      const x = one(inputs, call);
      const c = call.config;
      if (x.batchAxis !== 0 || x.shape.length !== dims + 2) call.fail(`${name} is modelled for a batched [N, C, ${dims === 1 ? 'L' : 'H, W'}] input, got ${describe(x)}`);
      const stride = c.get('stride');
      return call.emit(`lppool${dims}d`, [x], { norm: num(c, 'norm_type', call.fail), kernel: ints(c, 'kernel_size', dims, call.fail), ...(stride && stride.kind !== 'none' ? { stride: ints(c, 'stride', dims, call.fail) } : {}), ceil_mode: flag(c, 'ceil_mode', call.fail) });
    },
  };
}

const localResponseNorm: LayerSpec = {
  name: 'LocalResponseNorm',
  signature: [['size'], ['alpha', { kind: 'float', value: 1e-4 }], ['beta', { kind: 'float', value: 0.75 }], ['k', { kind: 'float', value: 1 }]],
  forward(call, inputs) {
    const x = one(inputs, call);
    const c = call.config;
    if (x.batchAxis !== 0 || x.shape.length < 3) call.fail(`LocalResponseNorm expects a batched input of 3 or more axes [N, C, ...], got ${describe(x)}`);
    return call.emit('local_response_norm', [x], { size: need(c, 'size', call.fail), alpha: num(c, 'alpha', call.fail), beta: num(c, 'beta', call.fail), k: num(c, 'k', call.fail) });
  },
};

/** the layers torch added after 1.13, by the torch version (major, minor) that has them */
export const LAYER_SINCE: Readonly<Record<string, readonly [number, number]>> = { CircularPad1d: [2, 1], CircularPad2d: [2, 1], CircularPad3d: [2, 1] };

/** for LAYER_CLASSES (modules.ts) */
export const MORE_LAYERS: readonly LayerSpec[] = [
  bilinear,
  unflatten,
  pixelUnshuffle,
  channelShuffle,
  upsampling('UpsamplingNearest2d', 'nearest'),
  upsampling('UpsamplingBilinear2d', 'bilinear'),
  adaptiveMaxPool3d,
  lpPool(1),
  lpPool(2),
  localResponseNorm,
  syncBatchNorm,
  alphaDropout('AlphaDropout', false),
  alphaDropout('FeatureAlphaDropout', true),
  circularPad(1),
  circularPad(2),
  circularPad(3),
];
