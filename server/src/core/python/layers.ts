// torch.nn layers as memlens models them: the constructor's signature as torch defines it, the
// parameter and buffer tensors each instance registers (what model.parameters() and the state
// dict hold), and what calling it does in terms of registry ops. Written from the PyTorch docs.
import type { ArgValue } from '../ops/types';
import { elementwise, flag, INPLACE, ints, need, normState, notKnownBecause, num, one, rankOf } from './layerArgs';
import { MORE_ACTIVATIONS, softmaxAxis } from './activationLayers';
import { describe, intOf, NotKnown, numberOf, SequenceFirstInput, pythonFloat, NONE, TRUE, FALSE, int, type LayerBuild, type LayerCall, type LayerSpec, type PyValue, type Signature, type TensorValue } from './values';
import { multiheadAttention } from './multiheadAttention';
import { releaseVariable } from './holds';

export type { LayerBuild, LayerCall, LayerSpec, Signature } from './values';
export { perSampleAxis } from './layerArgs';

// ---------------------------------------------------------------- convolutions

function conv(dims: 1 | 2 | 3, transposed: boolean): LayerSpec {
  const name = `Conv${transposed ? 'Transpose' : ''}${dims}d`;
  const signature: Signature = transposed
    ? [['in_channels'], ['out_channels'], ['kernel_size'], ['stride', int(1)], ['padding', int(0)], ['output_padding', int(0)], ['groups', int(1)], ['bias', TRUE], ['dilation', int(1)], ['padding_mode', { kind: 'str', value: 'zeros' }]]
    : [['in_channels'], ['out_channels'], ['kernel_size'], ['stride', int(1)], ['padding', int(0)], ['dilation', int(1)], ['groups', int(1)], ['bias', TRUE], ['padding_mode', { kind: 'str', value: 'zeros' }]];
  return {
    name,
    signature,
    init(c, b, fail) {
      const cin = need(c, 'in_channels', fail);
      const cout = need(c, 'out_channels', fail);
      const groups = need(c, 'groups', fail);
      const k = ints(c, 'kernel_size', dims, fail);
      if (groups < 1 || cin % groups !== 0 || cout % groups !== 0) fail(`groups (${groups}) must divide in_channels (${cin}) and out_channels (${cout})`);
      b.attr('in_channels', int(cin));
      b.attr('out_channels', int(cout));
      b.attr('kernel_size', { kind: 'tuple', items: k.map(int) });
      b.param('weight', transposed ? [cin, cout / groups, ...k] : [cout, cin / groups, ...k]);
      b.param('bias', flag(c, 'bias', fail) ? [cout] : undefined);
    },
    forward(call, inputs) {
      let x = one(inputs, call);
      const c = call.config;
      if (rankOf(x) !== dims + 1 || x.batchAxis !== 0) call.fail(`${name} expects a batched [N, C, ${dims === 1 ? 'L' : dims === 2 ? 'H, W' : 'D, H, W'}] input, got ${describe(x)}`);
      const cin = need(c, 'in_channels', call.fail);
      if (x.shape[1] !== cin) call.fail(`${name} expects ${cin} input channels, got ${describe(x)}`);
      const mode = c.get('padding');
      let pad: ArgValue;
      if (mode?.kind === 'str') {
        if (mode.value !== 'same' && mode.value !== 'valid') call.fail(`padding '${mode.value}' is not a torch padding mode`);
        pad = mode.value;
      } else pad = ints(c, 'padding', dims, call.fail);
      const pm = c.get('padding_mode');
      const padMode = pm?.kind === 'str' ? pm.value : 'zeros';
      if (!['zeros', 'reflect', 'replicate', 'circular'].includes(padMode)) call.fail(`padding_mode '${padMode}' is not a torch padding mode`);
      if (padMode !== 'zeros') {
        if (transposed) call.fail(`${name} supports only padding_mode 'zeros'`);
        // torch pads a copy of the input in that mode, then convolves it unpadded
        const before = torchModePadding(pad, ints(c, 'kernel_size', dims, call.fail), ints(c, 'dilation', dims, call.fail));
        if (before.some((p) => p > 0)) x = call.emit('zeropad', [x], { pad: before, mode: padMode }, false, true);
        pad = 0;
      }
      const given = one(inputs, call);
      const args: Record<string, ArgValue> = {
        filters: need(c, 'out_channels', call.fail),
        kernel: ints(c, 'kernel_size', dims, call.fail),
        stride: ints(c, 'stride', dims, call.fail),
        pad,
        dilation: ints(c, 'dilation', dims, call.fail),
        groups: need(c, 'groups', call.fail),
        bias: flag(c, 'bias', call.fail),
      };
      if (transposed) args['output_padding'] = ints(c, 'output_padding', dims, call.fail);
      const out = call.emit(transposed ? `conv${dims}d_transpose` : `conv${dims}d`, [x], args);
      // the call holds its argument until it returns: through the padded copy's convolution too
      if (x !== given) releaseVariable(given);
      return out;
    },
  };
}

/** [before, after] per spatial axis of a convolution's padding: 'same' puts the odd one after, as torch does */
function torchModePadding(pad: ArgValue, kernel: readonly number[], dilation: readonly number[]): number[] {
  if (pad === 'valid') return kernel.flatMap(() => [0, 0]);
  if (pad === 'same') {
    return kernel.flatMap((k, i) => {
      const total = (dilation[i] ?? 1) * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  const each = Array.isArray(pad) ? (pad as readonly number[]) : [Number(pad)];
  return kernel.flatMap((_, i) => [each[i] ?? each[0]!, each[i] ?? each[0]!]);
}

// ---------------------------------------------------------------- dense, embedding

const linear: LayerSpec = {
  name: 'Linear',
  signature: [['in_features'], ['out_features'], ['bias', TRUE]],
  init(c, b, fail) {
    const fin = need(c, 'in_features', fail);
    const fout = need(c, 'out_features', fail);
    b.attr('in_features', int(fin));
    b.attr('out_features', int(fout));
    b.param('weight', [fout, fin]);
    b.param('bias', flag(c, 'bias', fail) ? [fout] : undefined);
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    const fin = need(call.config, 'in_features', call.fail);
    if (x.shape[x.shape.length - 1] !== fin || x.batchAxis === x.shape.length - 1) call.fail(`Linear expects ${fin} features on the last axis, got ${describe(x)}`);
    const units = need(call.config, 'out_features', call.fail);
    const args = { units, bias: flag(call.config, 'bias', call.fail) };
    if (rankOf(x) <= 2) return call.emit('dense', [x], args);
    // torch applies Linear over any leading axes (channels-last ConvNeXt blocks): two free views around it
    if (x.batchAxis !== 0) call.fail(`Linear over ${describe(x)} with the batch not first is not modelled yet`);
    const lead = x.shape.slice(0, -1);
    const rows = reshapeTo(call, x, [lead[0]!, lead.slice(1).reduce((p, q) => p * q, 1), fin], 0);
    const out = call.emit('dense', [rows], args);
    return reshapeTo(call, out, [...lead, units], 0);
  },
};

const embedding: LayerSpec = {
  name: 'Embedding',
  signature: [['num_embeddings'], ['embedding_dim'], ['padding_idx', NONE], ['max_norm', NONE], ['norm_type', { kind: 'float', value: 2 }], ['scale_grad_by_freq', FALSE], ['sparse', FALSE]],
  init(c, b, fail) {
    const n = need(c, 'num_embeddings', fail);
    const d = need(c, 'embedding_dim', fail);
    b.attr('num_embeddings', int(n));
    b.attr('embedding_dim', int(d));
    b.param('weight', [n, d]);
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    if (x.dtype !== 'int64' && x.dtype !== 'int32') call.fail(`Embedding expects integer token ids, got a ${x.dtype} tensor`);
    return call.emit('embedding', [x], { vocab: need(call.config, 'num_embeddings', call.fail), dim: need(call.config, 'embedding_dim', call.fail) });
  },
};

// ---------------------------------------------------------------- normalisation

function batchNorm(dims: 1 | 2 | 3): LayerSpec {
  return {
    name: `BatchNorm${dims}d`,
    signature: [['num_features'], ['eps', { kind: 'float', value: 1e-5 }], ['momentum', { kind: 'float', value: 0.1 }], ['affine', TRUE], ['track_running_stats', TRUE]],
    init: normState,
    forward(call, inputs) {
      const x = one(inputs, call);
      const n = need(call.config, 'num_features', call.fail);
      const rank = rankOf(x);
      const ok = dims === 1 ? rank === 1 || rank === 2 : rank === dims + 1;
      if (!ok || x.batchAxis !== 0 || x.shape[1] !== n) call.fail(`BatchNorm${dims}d(${n}) expects [N, ${n}, ...] of ${dims + 2} axes, got ${describe(x)}`);
      return call.emit('batchnorm', [x], { affine: flag(call.config, 'affine', call.fail) });
    },
  };
}

/** InstanceNorm1d/2d/3d: torch's defaults learn nothing and keep no running statistics */
function instanceNorm(dims: 1 | 2 | 3): LayerSpec {
  return {
    name: `InstanceNorm${dims}d`,
    signature: [['num_features'], ['eps', { kind: 'float', value: 1e-5 }], ['momentum', { kind: 'float', value: 0.1 }], ['affine', FALSE], ['track_running_stats', FALSE]],
    init: normState,
    forward(call, inputs) {
      const x = one(inputs, call);
      const n = need(call.config, 'num_features', call.fail);
      if (x.batchAxis !== 0 || rankOf(x) !== dims + 1 || x.shape[1] !== n) call.fail(`InstanceNorm${dims}d(${n}) is modelled for a batched [N, ${n}, ...] input of ${dims + 2} axes, got ${describe(x)}`);
      return call.emit('instancenorm', [x], { affine: flag(call.config, 'affine', call.fail), track: flag(call.config, 'track_running_stats', call.fail) });
    },
  };
}

const layerNorm: LayerSpec = {
  name: 'LayerNorm',
  signature: [['normalized_shape'], ['eps', { kind: 'float', value: 1e-5 }], ['elementwise_affine', TRUE], ['bias', TRUE]],
  init(c, b, fail) {
    const v = c.get('normalized_shape');
    const shape = v && (v.kind === 'tuple' || v.kind === 'list') ? v.items.map(intOf) : [v ? intOf(v) : undefined];
    if (shape.some((d) => d === undefined)) fail(`\`normalized_shape\` is ${v ? describe(v) : 'missing'}, not known integers`);
    const dims = shape as number[];
    b.attr('normalized_shape', { kind: 'tuple', items: dims.map(int) });
    const affine = flag(c, 'elementwise_affine', fail);
    b.param('weight', affine ? dims : undefined);
    b.param('bias', affine && flag(c, 'bias', fail) ? dims : undefined);
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    const shape = call.self.attrs.get('normalized_shape');
    const dims = shape?.kind === 'tuple' ? shape.items.map((d) => intOf(d) ?? 0) : [];
    const tail = x.shape.slice(x.shape.length - dims.length);
    if (x.batchAxis >= x.shape.length - dims.length || tail.join() !== dims.join()) call.fail(`LayerNorm(${dims.join(', ')}) does not match the last axes of ${describe(x)}`);
    const affine = flag(call.config, 'elementwise_affine', call.fail);
    const bias = affine && flag(call.config, 'bias', call.fail);
    return call.emit('layernorm', [x], { dims: dims.length, affine, center: bias, scale: affine });
  },
};

const groupNorm: LayerSpec = {
  name: 'GroupNorm',
  signature: [['num_groups'], ['num_channels'], ['eps', { kind: 'float', value: 1e-5 }], ['affine', TRUE]],
  init(c, b, fail) {
    const n = need(c, 'num_channels', fail);
    const g = need(c, 'num_groups', fail);
    if (g < 1 || n % g !== 0) fail(`num_groups (${g}) must divide num_channels (${n})`);
    const affine = flag(c, 'affine', fail);
    b.param('weight', affine ? [n] : undefined);
    b.param('bias', affine ? [n] : undefined);
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    const n = need(call.config, 'num_channels', call.fail);
    if (x.batchAxis !== 0 || x.shape[1] !== n) call.fail(`GroupNorm expects [N, ${n}, ...], got ${describe(x)}`);
    return call.emit('groupnorm', [x], { groups: need(call.config, 'num_groups', call.fail), affine: flag(call.config, 'affine', call.fail) });
  },
};

// ---------------------------------------------------------------- activations, dropout

const softmaxLayer: LayerSpec = {
  name: 'Softmax',
  signature: [['dim', NONE]],
  forward(call, inputs) {
    const x = one(inputs, call);
    return call.emit('softmax', [x], { axis: softmaxAxis(x, call.config.get('dim'), call.fail, notKnownBecause) });
  },
};

function dropout(name: string, spatial: boolean): LayerSpec {
  return {
    name,
    signature: [['p', { kind: 'float', value: 0.5 }], INPLACE],
    forward(call, inputs) {
      const x = one(inputs, call);
      const p = num(call.config, 'p', call.fail);
      if (!(p >= 0 && p <= 1)) call.fail(`dropout probability ${pythonFloat(p)} is not between 0 and 1`);
      // eval mode, or p = 0 with torch's fused kernel skipped? torch still runs dropout at p = 0 in training
      if (!call.self.module?.training) return x;
      if (p === 1) call.fail('dropout with p = 1 zeroes everything; memlens does not model it');
      return call.emit('dropout', [x], { rate: p, spatial }, flag(call.config, 'inplace', call.fail));
    },
  };
}

const identity: LayerSpec = {
  name: 'Identity',
  signature: [],
  forward: (call, inputs) => one(inputs, call),
};

// ---------------------------------------------------------------- pooling, reshaping

function pool(kind: 'Max' | 'Avg', dims: 1 | 2 | 3): LayerSpec {
  const signature: Signature =
    kind === 'Max'
      ? [['kernel_size'], ['stride', NONE], ['padding', int(0)], ['dilation', int(1)], ['return_indices', FALSE], ['ceil_mode', FALSE]]
      : [['kernel_size'], ['stride', NONE], ['padding', int(0)], ['ceil_mode', FALSE], ['count_include_pad', TRUE], ['divisor_override', NONE]];
  return {
    name: `${kind}Pool${dims}d`,
    signature,
    forward(call, inputs) {
      return poolCall(call, one(inputs, call), kind, dims, call.config);
    },
  };
}

export function poolCall(call: LayerCall, x: TensorValue, kind: 'Max' | 'Avg', dims: number, c: ReadonlyMap<string, PyValue>): TensorValue {
  if (rankOf(x) !== dims + 1 || x.batchAxis !== 0) call.fail(`${kind.toLowerCase()} pooling over ${dims} axes expects [N, C, ...] of ${dims + 2} axes, got ${describe(x)}`);
  if (kind === 'Max' && flag(c, 'return_indices', call.fail)) call.fail('return_indices is not modelled yet');
  const stride = c.get('stride');
  const args: Record<string, ArgValue> = { kernel: ints(c, 'kernel_size', dims, call.fail), pad: ints(c, 'padding', dims, call.fail), ceil_mode: flag(c, 'ceil_mode', call.fail) };
  if (stride && stride.kind !== 'none') args['stride'] = ints(c, 'stride', dims, call.fail);
  if (kind === 'Max') {
    const dilation = ints(c, 'dilation', dims, call.fail);
    if (dilation.some((d) => d < 1)) call.fail(`dilation must be at least 1, got ${dilation.join(', ')}`);
    if (dilation.some((d) => d !== 1)) args['dilation'] = dilation;
  }
  const op = `${kind === 'Max' ? 'maxpool' : 'avgpool'}${dims === 2 ? '' : `${dims}d`}`;
  return call.emit(op, [x], args);
}

function adaptivePool(kind: 'Max' | 'Avg', dims: 1 | 2 | 3): LayerSpec {
  return {
    name: `Adaptive${kind}Pool${dims}d`,
    signature: kind === 'Max' ? [['output_size'], ['return_indices', FALSE]] : [['output_size']],
    forward(call, inputs) {
      return adaptiveCall(call, one(inputs, call), kind, dims, call.config.get('output_size') ?? NONE);
    },
  };
}

export function adaptiveCall(call: LayerCall, x: TensorValue, kind: 'Max' | 'Avg', dims: number, size: PyValue): TensorValue {
  if (rankOf(x) !== dims + 1 || x.batchAxis !== 0) call.fail(`adaptive pooling over ${dims} axes expects [N, C, ...] of ${dims + 2} axes, got ${describe(x)}`);
  // None keeps that axis's size
  const items = size.kind === 'tuple' || size.kind === 'list' ? size.items : Array.from({ length: dims }, () => size);
  if (items.length !== dims) call.fail(`output_size must have ${dims} values, got ${describe(size)}`);
  const out = items.map((v, i) => (v.kind === 'none' ? x.shape[2 + i]! : intOf(v)));
  if (out.some((d) => d === undefined)) call.fail(`output_size ${describe(size)} is not known integers`);
  return call.emit(kind === 'Max' ? 'adaptive_maxpool' : 'adaptive_avgpool', [x], { size: out as number[] });
}

const flattenLayer: LayerSpec = {
  name: 'Flatten',
  signature: [['start_dim', int(1)], ['end_dim', int(-1)]],
  forward(call, inputs) {
    const x = one(inputs, call);
    const start = need(call.config, 'start_dim', call.fail);
    const end = need(call.config, 'end_dim', call.fail);
    return flattenCall(call, x, start, end);
  },
};

/** torch.flatten(x, start, end) as a reshape of the per-sample axes */
export function flattenCall(call: LayerCall, x: TensorValue, start: number, end: number): TensorValue {
  const rank = x.shape.length;
  const s = start < 0 ? start + rank : start;
  const e = end < 0 ? end + rank : end;
  if (s < 0 || e >= rank || s > e) call.fail(`flatten(${start}, ${end}) is out of range for ${describe(x)}`);
  const shape = [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...x.shape.slice(e + 1)];
  return reshapeTo(call, x, shape, x.batchAxis < s ? x.batchAxis : x.batchAxis > e ? x.batchAxis - (e - s) : s);
}

/**
 * A view with a new full shape whose batch axis is `batchAxis`, holding N times the number there
 * (1 for a plain batch axis, T for an axis of N T); the element count per N must not change.
 */
export function reshapeTo(call: LayerCall, x: TensorValue, shape: readonly number[], batchAxis: number): TensorValue {
  // a tensor that does not grow with the batch (torch.arange(T).unsqueeze(0)) keeps its whole shape
  if (x.batchAxis < 0 && batchAxis < 0) {
    const out = call.emit('reshape', [x], { shape: shape.length > 0 ? [...shape] : [1] }, false, true);
    return { ...out, shape: [...shape], batchAxis: -1 };
  }
  if (batchAxis < 0 || batchAxis >= shape.length) call.fail(`the reshape to [${shape.join(', ')}] loses the batch axis`);
  const perSample = shape[batchAxis] === 1 ? shape.filter((_, i) => i !== batchAxis) : [...shape];
  if (perSample.length === 0) perSample.push(1);
  const out = call.emit('reshape', [x], { shape: perSample }, false, true);
  return { ...out, shape: [...shape], batchAxis };
}

/** x, which does not grow with the batch and has a leading 1, as a view repeated over the batch (torch's expand) */
export function expandOverBatch(call: LayerCall, x: TensorValue): TensorValue {
  const out = call.emit('expand_batch', [x], {}, false, true);
  return { ...out, shape: [1, ...x.shape.slice(1)], batchAxis: 0 };
}

const upsample: LayerSpec = {
  name: 'Upsample',
  signature: [['size', NONE], ['scale_factor', NONE], ['mode', { kind: 'str', value: 'nearest' }], ['align_corners', NONE]],
  forward(call, inputs) {
    const x = one(inputs, call);
    const r = upsampleSize(x, call.config.get('size') ?? NONE, call.config.get('scale_factor') ?? NONE);
    if (typeof r === 'string') return call.fail(`Upsample: ${r}`);
    return call.emit('upsample', [x], { ...r, ...upsampleAttrs(call.config.get('mode')) });
  },
};

/**
 * The upsample op's arguments for torch's size= / scale_factor= on [N, C, ...spatial]: an integer
 * factor stays a scale; a size, or a fractional factor (torch's output floor(in * scale), checked
 * with torch 1.13), is the output's size. A string is why it cannot be followed.
 */
export function upsampleSize(x: TensorValue, size: PyValue, factor: PyValue): { scale: number[] } | { size: number[] } | string {
  const spatial = x.shape.slice(2);
  if (x.batchAxis !== 0 || spatial.length < 1) return `it is modelled for a batched [N, C, ...spatial] tensor, got ${describe(x)}`;
  const perAxis = (v: PyValue): (number | undefined)[] => (v.kind === 'tuple' || v.kind === 'list' ? v.items.map((w) => numberOf(w)) : spatial.map(() => numberOf(v)));
  if (size.kind !== 'none') {
    const sizes = perAxis(size);
    if (factor.kind !== 'none') return 'only one of size and scale_factor should be defined (torch raises)';
    if (sizes.length !== spatial.length || sizes.some((s) => s === undefined || !Number.isInteger(s) || s < 1)) return `size ${describe(size)} is not ${spatial.length} known positive integer(s)`;
    return { size: sizes as number[] };
  }
  if (factor.kind === 'none') return 'either size or scale_factor should be defined (torch raises)';
  const scale = perAxis(factor);
  if (scale.length !== spatial.length || scale.some((s) => s === undefined || !(s > 0))) return `scale_factor ${describe(factor)} is not ${spatial.length} known positive number(s)`;
  if (scale.every((s) => Number.isInteger(s))) return { scale: scale as number[] };
  const out = spatial.map((d, i) => Math.floor(d * scale[i]!));
  if (out.some((d) => d < 1)) return `scale_factor ${describe(factor)} leaves an empty output from ${spatial.join(' x ')}`;
  return { size: out };
}

/** torch's interpolation modes as the registry's upsample knows them: nearest, or interpolating (no effect on memory) */
function upsampleMode(mode: PyValue | undefined): 'nearest' | 'bilinear' {
  return mode?.kind === 'str' && mode.value !== 'nearest' ? 'bilinear' : 'nearest';
}

/** an upsample node's mode attributes: the registry's, and torch's own (`interpolation`), which the PyTorch profile replays */
export function upsampleAttrs(mode: PyValue | undefined): { mode: 'nearest' | 'bilinear'; interpolation: string } {
  return { mode: upsampleMode(mode), interpolation: mode?.kind === 'str' ? mode.value : 'nearest' };
}

/**
 * torch's padding (before, after) pairs start at the last axis and may cover only the last few;
 * the registry's zeropad lists a pair per spatial axis from the first (0 for axes not padded)
 */
export function padPerAxis(torchPairs: readonly number[], spatialAxes: number): number[] {
  const padded = torchPairs.length / 2;
  const pad: number[] = [];
  for (let axis = 0; axis < spatialAxes; axis++) {
    const fromLast = spatialAxes - 1 - axis;
    pad.push(fromLast < padded ? torchPairs[2 * fromLast]! : 0, fromLast < padded ? torchPairs[2 * fromLast + 1]! : 0);
  }
  return pad;
}

/**
 * ZeroPad2d, ConstantPad1d/2d/3d, ReflectionPad1d/2d, ReplicationPad1d/2d/3d: `padding` is one int
 * or torch's (left, right, top, bottom, ...) tuple, which starts at the last axis; the registry's
 * pad lists [before, after] from the first spatial axis
 */
function padLayer(name: string, dims: number, mode: 'zeros' | 'reflect' | 'replicate', constant: boolean): LayerSpec {
  return {
    name,
    signature: constant ? [['padding'], ['value']] : [['padding']],
    forward(call, inputs) {
      const x = one(inputs, call);
      if (x.batchAxis !== 0 || x.shape.length !== dims + 2) call.fail(`${name} is modelled for a batched [N, C, ${dims === 1 ? 'L' : dims === 2 ? 'H, W' : 'D, H, W'}] input, got ${describe(x)}`);
      const padding = call.config.get('padding') ?? NONE;
      const single = intOf(padding);
      if (single !== undefined) return call.emit('zeropad', [x], { pad: [single], mode });
      const items = padding.kind === 'tuple' || padding.kind === 'list' ? padding.items.map(intOf) : undefined;
      if (!items || items.length !== 2 * dims || items.some((v) => v === undefined)) return call.fail(`${name} expects padding as an int or ${2 * dims} ints, got ${describe(padding)}`);
      return call.emit('zeropad', [x], { pad: padPerAxis(items as number[], dims), mode });
    },
  };
}

const PADDING: readonly LayerSpec[] = [
  padLayer('ZeroPad2d', 2, 'zeros', false),
  ...[1, 2, 3].map((d) => padLayer(`ConstantPad${d}d`, d, 'zeros', true)),
  ...[1, 2].map((d) => padLayer(`ReflectionPad${d}d`, d, 'reflect', false)),
  ...[1, 2, 3].map((d) => padLayer(`ReplicationPad${d}d`, d, 'replicate', false)),
];

const pixelShuffleLayer: LayerSpec = {
  name: 'PixelShuffle',
  signature: [['upscale_factor']],
  forward(call, inputs) {
    const x = one(inputs, call);
    if (x.batchAxis !== 0 || x.shape.length !== 4) call.fail(`PixelShuffle is modelled for a batched [N, C, H, W] image, got ${describe(x)}`);
    return call.emit('pixel_shuffle', [x], { factor: need(call.config, 'upscale_factor', call.fail) });
  },
};

/** PReLU(num_parameters=1, init=0.25): one learned slope, or one per channel (axis 1 of the input) */
const preluLayer: LayerSpec = {
  name: 'PReLU',
  signature: [['num_parameters', int(1)], ['init', { kind: 'float', value: 0.25 }]],
  init(c, b, fail) {
    const n = need(c, 'num_parameters', fail);
    if (n < 1) fail(`\`num_parameters\` must be at least 1, got ${n}`);
    b.param('weight', [n]);
  },
  forward(call, inputs) {
    const x = one(inputs, call);
    return call.emit('prelu', [x], { num_parameters: need(call.config, 'num_parameters', call.fail) });
  },
};

// ---------------------------------------------------------------- recurrent

function recurrent(name: 'LSTM' | 'GRU' | 'RNN', gates: number): LayerSpec {
  return {
    name,
    signature: [['input_size'], ['hidden_size'], ['num_layers', int(1)], ...(name === 'RNN' ? [['nonlinearity', { kind: 'str', value: 'tanh' }] as const] : []), ['bias', TRUE], ['batch_first', FALSE], ['dropout', { kind: 'float', value: 0 }], ['bidirectional', FALSE], ...(name === 'LSTM' ? [['proj_size', int(0)] as const] : [])],
    init(c, b, fail) {
      const fin = need(c, 'input_size', fail);
      const h = need(c, 'hidden_size', fail);
      const layers = need(c, 'num_layers', fail);
      if (layers > 10_000) fail(`num_layers ${layers} is more layers than memlens follows (10,000)`);
      const dirs = flag(c, 'bidirectional', fail) ? 2 : 1;
      const bias = flag(c, 'bias', fail);
      if (name === 'LSTM' && need(c, 'proj_size', fail) !== 0) fail('LSTM with proj_size is not modelled yet');
      b.attr('input_size', int(fin));
      b.attr('hidden_size', int(h));
      for (let l = 0; l < layers; l++) {
        for (let d = 0; d < dirs; d++) {
          const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
          const inF = l === 0 ? fin : h * dirs;
          b.param(`weight_ih${sfx}`, [gates * h, inF]);
          b.param(`weight_hh${sfx}`, [gates * h, h]);
          b.param(`bias_ih${sfx}`, bias ? [gates * h] : undefined);
          b.param(`bias_hh${sfx}`, bias ? [gates * h] : undefined);
        }
      }
    },
    forward(call, inputs) {
      const x = one(inputs, call);
      const c = call.config;
      const batchFirst = flag(c, 'batch_first', call.fail);
      const layers = need(c, 'num_layers', call.fail);
      const bidirectional = flag(c, 'bidirectional', call.fail);
      const rows = layers * (bidirectional ? 2 : 1);
      if (!batchFirst && x.shape.length === 3 && x.batchAxis === 0) {
        // the examples are likely [L, N, ...]: read them all once more so (the reason names a state that fits neither way)
        const misfit = inputs.length > 1 ? stateMisfit(name, inputs[1]!, rows, need(c, 'hidden_size', call.fail)) : undefined;
        throw new SequenceFirstInput(misfit ?? `${name}(batch_first=False) expects [L, N, F], got ${describe(x)}`);
      }
      const state = inputs.length > 1 ? initialState(call, name, inputs[1]!, rows, need(c, 'hidden_size', call.fail)) : [];
      if (x.shape.length !== 3 || x.batchAxis !== (batchFirst ? 0 : 1)) call.fail(`${name}(batch_first=${batchFirst ? 'True' : 'False'}) expects ${batchFirst ? '[N, L, F]' : '[L, N, F]'}, got ${describe(x)}`);
      const fin = need(c, 'input_size', call.fail);
      if (x.shape[2] !== fin) call.fail(`${name} expects ${fin} input features, got ${describe(x)}`);
      const op = name === 'LSTM' ? 'lstm' : name === 'GRU' ? 'gru' : 'simple_rnn';
      // torch drops between stacked layers only (and warns, dropping nothing, with one layer)
      const dropout = layers > 1 ? num(c, 'dropout', call.fail) : 0;
      if (!(dropout >= 0 && dropout <= 1)) call.fail(`dropout probability ${pythonFloat(dropout)} is not between 0 and 1`);
      if (dropout === 1) call.fail('dropout with p = 1 zeroes everything; memlens does not model it');
      const out = call.emit(op, [x, ...state], { hidden: need(c, 'hidden_size', call.fail), return_sequences: true, bidirectional, layers, bias_sets: flag(c, 'bias', call.fail) ? 2 : 0, ...(dropout > 0 ? { dropout } : {}), ...(batchFirst ? {} : { batch_first: false }) });
      // (output, h_n) or (output, (h_n, c_n)): the final states are small and not followed
      const h = { kind: 'unknown', node: call.site, reason: `the final hidden state of ${name} is not followed by memlens` } as const;
      // the output keeps the input's layout: [N, L, H] batch first, [L, N, H] otherwise
      return { kind: 'tuple', items: [out, name === 'LSTM' ? { kind: 'tuple', items: [h, h] } : h] };
    },
  };
}

/**
 * `rnn(x, h0)` / `lstm(x, (h0, c0))`: the caller's initial state, [layers * directions, N, hidden],
 * as tensors of the graph the layer's op reads (an example made outside the model enters with its
 * batch on axis 1; one made in the forward from `x.size(0)` grows with N); None is torch's zero
 * state. An unbatched state [layers * directions, hidden] is not followed.
 */
/** why a state's parts cannot be [rows, any batch, hidden], whatever axis its batch is on; undefined when they can */
function stateMisfit(name: string, state: PyValue, rows: number, hidden: number): string | undefined {
  if (state.kind === 'none') return undefined;
  const parts = state.kind === 'tuple' || state.kind === 'list' ? state.items : [state];
  const bad = parts.find((t) => t.kind === 'tensor' && (t.shape.length !== 3 || t.shape[0] !== rows || t.shape[2] !== hidden));
  return bad ? `${name} reads an initial state [${rows}, N, ${hidden}], got ${describe(bad)}` : undefined;
}

function initialState(call: LayerCall, name: string, state: PyValue, rows: number, hidden: number): TensorValue[] {
  if (state.kind === 'none') return [];
  const parts = name === 'LSTM' ? (state.kind === 'tuple' || state.kind === 'list' ? state.items : undefined) : [state];
  if (!parts || parts.length !== (name === 'LSTM' ? 2 : 1)) call.fail(`${name} expects ${name === 'LSTM' ? 'an initial state (h0, c0)' : 'an initial state h0'}, got ${describe(state)}`);
  return parts.map((t) => {
    if (t.kind !== 'tensor') throw new NotKnown(`the initial state of ${name} is ${describe(t)}, not a known tensor`);
    const why = (v: PyValue): string => `${name} reads an initial state [${rows}, N, ${hidden}], got ${describe(v)}`;
    // an example that entered with its batch first beside a batch-first input: this one is read once more with its batch on axis 1
    const s = t.shape.length === 3 && t.shape[2] === hidden ? call.batchOn(t, 1) : t;
    if (s.shape.length !== 3 || s.shape[0] !== rows || s.shape[2] !== hidden || s.batchAxis !== 1 || s.shape[1] !== 1) {
      // torch raises for a state of another size; a batch memlens cannot place is not known
      if (s.shape.length === 3 && s.batchAxis === 1 && s.shape[1] === 1) call.fail(why(s));
      throw new NotKnown(why(s));
    }
    return s;
  });
}

// ---------------------------------------------------------------- containers, losses

const container = (name: string): LayerSpec => ({ name, signature: [], container: true });

function lossLayer(name: string, loss: string): LayerSpec {
  // the arguments of torch's loss modules; only `reduction` changes what is allocated
  const signature: Signature = [['weight', NONE], ['size_average', NONE], ['ignore_index', int(-100)], ['reduce', NONE], ['reduction', { kind: 'str', value: 'mean' }], ['label_smoothing', { kind: 'float', value: 0 }], ['pos_weight', NONE]];
  return { name, signature, loss };
}

const ACTIVATIONS: readonly LayerSpec[] = [
  elementwise('ReLU', 'relu', [INPLACE]),
  elementwise('ReLU6', 'relu6', [INPLACE]),
  elementwise('LeakyReLU', 'leaky_relu', [['negative_slope', { kind: 'float', value: 0.01 }], INPLACE], (c, f) => ({ alpha: num(c, 'negative_slope', f) })),
  elementwise('ELU', 'elu', [['alpha', { kind: 'float', value: 1 }], INPLACE], (c, f) => ({ alpha: num(c, 'alpha', f) })),
  elementwise('GELU', 'gelu', [['approximate', { kind: 'str', value: 'none' }]]),
  elementwise('SiLU', 'silu', [INPLACE]),
  elementwise('Sigmoid', 'sigmoid', []),
  elementwise('Tanh', 'tanh', []),
  elementwise('Hardswish', 'hardswish', [INPLACE]),
  elementwise('Hardsigmoid', 'hardsigmoid', [INPLACE]),
];

export const LAYERS: ReadonlyMap<string, LayerSpec> = new Map(
  [
    conv(1, false),
    conv(2, false),
    conv(3, false),
    conv(1, true),
    conv(2, true),
    conv(3, true),
    linear,
    embedding,
    batchNorm(1),
    batchNorm(2),
    batchNorm(3),
    instanceNorm(1),
    instanceNorm(2),
    instanceNorm(3),
    layerNorm,
    groupNorm,
    ...ACTIVATIONS,
    ...MORE_ACTIVATIONS,
    preluLayer,
    pixelShuffleLayer,
    ...PADDING,
    softmaxLayer,
    dropout('Dropout', false),
    dropout('Dropout1d', true),
    dropout('Dropout2d', true),
    dropout('Dropout3d', true),
    identity,
    multiheadAttention,
    pool('Max', 1),
    pool('Max', 2),
    pool('Max', 3),
    pool('Avg', 1),
    pool('Avg', 2),
    pool('Avg', 3),
    adaptivePool('Avg', 1),
    adaptivePool('Avg', 2),
    adaptivePool('Avg', 3),
    adaptivePool('Max', 1),
    adaptivePool('Max', 2),
    flattenLayer,
    upsample,
    recurrent('LSTM', 4),
    recurrent('GRU', 3),
    recurrent('RNN', 1),
    container('Sequential'),
    container('ModuleList'),
    container('ModuleDict'),
    lossLayer('CrossEntropyLoss', 'cross_entropy'),
    lossLayer('NLLLoss', 'nll_loss'),
    lossLayer('MSELoss', 'mse_loss'),
    lossLayer('L1Loss', 'l1_loss'),
    lossLayer('BCELoss', 'binary_cross_entropy'),
    lossLayer('BCEWithLogitsLoss', 'binary_cross_entropy_with_logits'),
  ].map((s) => [s.name, s]),
);

