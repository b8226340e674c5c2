// TensorFlow.js (Keras) layers -> registry ops. Each layer becomes one op, or a short chain
// (a channelsFirst convolution is transposed to channels-last and back, as tf.js does itself).
// Config values arrive as static Values; one that matters but is unknown stops the layer.
import type { ArgValue } from '../ops/types';
import type { LayerObject, Value } from './values';
import { describe } from './values';
import { TFJS_CODES } from './codes';
import { LayerConfig, PlanError, type LayerPlan, type LayerProblem, type OpStep } from './layerConfig';
import { kerasOnlySteps } from './preprocessingLayers';
import { extraSteps } from './extraLayers';
import { canonicalLayer, layerEntry } from './layerTable';
import { bidirectionalPlan, notDefault, recurrentPlan, type MultiPlan } from './recurrentLayers';

export type { LayerPlan, LayerProblem, OpStep } from './layerConfig';

/** Keras activation names -> the registry's fused activations (same shape; the nearest backward behaviour) */
const ACTIVATION_NAMES: Readonly<Record<string, string>> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  hardSigmoid: 'sigmoid',
  tanh: 'tanh',
  softsign: 'tanh',
  softmax: 'softmax',
  gelu: 'gelu',
  gelu_new: 'gelu',
  swish: 'silu',
  mish: 'silu',
  elu: 'elu',
  selu: 'elu',
  softplus: 'sigmoid',
};

function activationArg(cfg: LayerConfig, type: string, fallback = 'linear'): string {
  const name = cfg.string('activation', fallback);
  const mapped = ACTIVATION_NAMES[name];
  if (mapped === undefined) {
    throw new PlanError({ node: cfg.nodeOf('activation'), message: `${type}: unknown activation '${name}'`, code: TFJS_CODES.invalidConfig, severity: 'error' });
  }
  return mapped;
}

function padding(cfg: LayerConfig, type: string): 'same' | 'valid' {
  const p = cfg.string('padding', 'valid');
  if (p === 'same' || p === 'valid') return p;
  if (p === 'causal') {
    throw new PlanError({ node: cfg.nodeOf('padding'), message: `${type}: padding 'causal' is not supported by memlens yet`, code: TFJS_CODES.unsupported, severity: 'info' });
  }
  throw new PlanError({ node: cfg.nodeOf('padding'), message: `${type}: padding must be 'same' or 'valid', got '${p}'`, code: TFJS_CODES.invalidConfig, severity: 'error' });
}

function channelsFirst(cfg: LayerConfig): boolean {
  return cfg.oneOf('dataFormat', ['channelsLast', 'channelsFirst'], 'channelsLast') === 'channelsFirst';
}

/**
 * channels-first layers whose call() tf.js runs as the graph shows it: transposed to channels-last,
 * the layer, transposed back (the global pools reduce the inner axes instead, Graph.profileAs); the
 * others order their transposes otherwise or pad and crop in place, which the profile does not replay
 */
const CHANNELS_FIRST_REPLAYED: ReadonlySet<string> = new Set(['conv2d', 'separableConv2d', 'maxPooling2d', 'averagePooling2d', 'upSampling2d', 'flatten', 'globalAveragePooling2d', 'globalMaxPooling2d']);

/** channelsFirst layers run channels-last between two transposes, as tf.js does */
function maybeChannelsFirst(cfg: LayerConfig, rank: number, core: OpStep, type: string): OpStep[] {
  if (!channelsFirst(cfg)) return [core];
  const toLast = [...Array.from({ length: rank - 1 }, (_, i) => i + 1), 0];
  const toFirst = [rank - 1, ...Array.from({ length: rank - 1 }, (_, i) => i)];
  const gap = CHANNELS_FIRST_REPLAYED.has(type) ? {} : { profileGap: `${type} with dataFormat channelsFirst` };
  return [{ op: 'transpose', args: { perm: toLast }, ...gap }, { ...core, ...gap }, { op: 'transpose', args: { perm: toFirst }, ...gap }];
}

function windowArgs(cfg: LayerConfig, type: string, kernelKey: string, defaultKernel?: number): Record<string, ArgValue> {
  const kernel = cfg.ints(kernelKey, defaultKernel);
  return {
    kernel,
    stride: cfg.ints('strides', 1),
    pad: padding(cfg, type),
  };
}

/** a Keras axis (the batch is axis 0; negative counts from the end, -1 by default) as the ops' per-sample axis */
function perSampleAxis(cfg: LayerConfig, key: string, type: string): number {
  const axis = cfg.int(key, -1);
  if (axis === 0) throw new PlanError({ node: cfg.nodeOf(key), message: `${type} over axis 0, the batch axis, couples the samples; memlens does not model it`, code: TFJS_CODES.unsupported, severity: 'info' });
  return axis < 0 ? axis : axis - 1;
}

/** what one layer becomes; `inputShapes` are the per-sample shapes it is applied to */
function steps(layer: LayerObject, cfg: LayerConfig, inputShapes: readonly (readonly number[])[]): OpStep[] | MultiPlan {
  // an alias is planned as its factory (avgPool2d as averagePooling2d); the Keras frontend's names pass unchanged
  const type = layer.keras ? layer.type : canonicalLayer(layer.type);
  const rank = inputShapes[0]?.length ?? 0;
  const bias = (): boolean => cfg.bool('useBias', true);
  switch (type) {
    case 'dense':
      return [{ op: 'dense', args: { units: cfg.int('units'), bias: bias(), activation: activationArg(cfg, type) } }];
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
      return maybeChannelsFirst(cfg, rank, {
        op: type,
        args: {
          filters: cfg.int('filters'),
          ...windowArgs(cfg, type, 'kernelSize'),
          dilation: cfg.ints('dilationRate', 1),
          bias: bias(),
          activation: activationArg(cfg, type),
          // Keras for Python groups the channels; tf.js ignores the option
          ...(layer.keras ? { groups: cfg.int('groups', 1) } : {}),
        },
      }, type);
    case 'depthwiseConv2d':
      return maybeChannelsFirst(cfg, rank, {
        op: 'depthwise_conv2d',
        args: { ...windowArgs(cfg, type, 'kernelSize'), dilation: cfg.ints('dilationRate', 1), depth_multiplier: cfg.int('depthMultiplier', 1), bias: bias(), activation: activationArg(cfg, type) },
      }, type);
    case 'separableConv2d':
      return maybeChannelsFirst(cfg, rank, {
        op: 'separable_conv2d',
        args: {
          filters: cfg.int('filters'),
          ...windowArgs(cfg, type, 'kernelSize'),
          dilation: cfg.ints('dilationRate', 1),
          depth_multiplier: cfg.int('depthMultiplier', 1),
          bias: bias(),
          activation: activationArg(cfg, type),
        },
      }, type);
    case 'conv2dTranspose':
      return maybeChannelsFirst(cfg, rank, {
        op: 'conv2d_transpose',
        args: { filters: cfg.int('filters'), ...windowArgs(cfg, type, 'kernelSize'), bias: bias(), activation: activationArg(cfg, type) },
      }, type);
    case 'batchNormalization': {
      const axis = cfg.int('axis', -1);
      if (axis !== -1 && axis !== rank) {
        throw new PlanError({ node: cfg.nodeOf('axis'), message: `batchNormalization over axis ${axis}: only the last axis is supported by memlens yet`, code: TFJS_CODES.unsupported, severity: 'info' });
      }
      return [{ op: 'batchnorm', args: { center: cfg.bool('center', true), scale: cfg.bool('scale', true), eps: cfg.number('epsilon', 1e-3), momentum: cfg.number('momentum', 0.99) } }];
    }
    case 'layerNormalization': {
      const axis = cfg.raw('axis') === undefined ? -1 : cfg.int('axis');
      if (axis !== -1 && axis !== rank) {
        throw new PlanError({ node: cfg.nodeOf('axis'), message: `layerNormalization over axis ${axis}: only the last axis is supported by memlens yet`, code: TFJS_CODES.unsupported, severity: 'info' });
      }
      return [{ op: 'layernorm', args: { dims: 1, center: cfg.bool('center', true), scale: cfg.bool('scale', true), eps: cfg.number('epsilon', 1e-3) } }];
    }
    case 'dropout':
      return [{ op: 'dropout', args: { rate: cfg.number('rate', 0) } }];
    case 'spatialDropout1d':
      return [{ op: 'dropout', args: { rate: cfg.number('rate', 0), spatial: true } }];
    case 'flatten':
      return maybeChannelsFirst(cfg, rank, { op: 'flatten', args: {} }, type).slice(0, channelsFirst(cfg) ? 2 : 1);
    case 'reshape': {
      const shape = cfg.intList('targetShape');
      if (!shape) throw new PlanError({ node: cfg.nodeOf('targetShape'), message: 'reshape needs targetShape', code: TFJS_CODES.invalidConfig, severity: 'error' });
      return [{ op: 'reshape', args: { shape } }];
    }
    case 'permute': {
      const dims = cfg.intList('dims');
      if (!dims) throw new PlanError({ node: cfg.nodeOf('dims'), message: 'permute needs dims', code: TFJS_CODES.invalidConfig, severity: 'error' });
      // Keras counts axes from 1 (0 is the batch)
      return [{ op: 'transpose', args: { perm: dims.map((d) => d - 1) } }];
    }
    case 'repeatVector':
      return [{ op: 'repeat_vector', args: { n: cfg.int('n') } }];
    case 'activation': {
      const name = activationArg(cfg, type, '');
      // a linear Activation layer is an identity: a view of its input
      return [name === 'linear' ? { op: 'reshape', args: { shape: [...(inputShapes[0] ?? [])] } } : { op: name, args: {} }];
    }
    case 'reLU': {
      const max = cfg.raw('maxValue') === undefined ? undefined : cfg.number('maxValue', 0);
      if (max !== undefined && max !== 6) {
        throw new PlanError({ node: cfg.nodeOf('maxValue'), message: `reLU with maxValue ${max}: only 6 (relu6) is supported by memlens yet`, code: TFJS_CODES.unsupported, severity: 'info' });
      }
      return [{ op: max === 6 ? 'relu6' : 'relu', args: {} }];
    }
    case 'softmax':
      return [{ op: 'softmax', args: { axis: perSampleAxis(cfg, 'axis', type) } }];
    case 'leakyReLU':
      return [{ op: 'leaky_relu', args: { alpha: cfg.number('alpha', 0.3) } }];
    case 'elu':
      return [{ op: 'elu', args: { alpha: cfg.number('alpha', 1) } }];
    case 'maxPooling1d':
    case 'maxPooling2d':
    case 'maxPooling3d':
    case 'averagePooling1d':
    case 'averagePooling2d':
    case 'averagePooling3d': {
      const dims = Number(type.charAt(type.length - 2));
      const op = `${type.startsWith('max') ? 'maxpool' : 'avgpool'}${dims === 2 ? '' : `${dims}d`}`;
      const kernel = cfg.ints('poolSize', 2);
      const stride = cfg.has('strides') ? cfg.ints('strides') : kernel;
      return maybeChannelsFirst(cfg, rank, { op, args: { kernel, stride, pad: padding(cfg, type) } }, type);
    }
    case 'globalAveragePooling1d':
    case 'globalAveragePooling2d':
    case 'globalMaxPooling1d':
    case 'globalMaxPooling2d': {
      const op = type.startsWith('globalMax') ? 'globalmaxpool' : 'globalavgpool';
      if (!channelsFirst(cfg)) return [{ op, args: {} }];
      // tf.js reduces a channels-first tensor over its inner axes: no transpose is made
      const [toLast, pool] = maybeChannelsFirst(cfg, rank, { op, args: {} }, type);
      return [{ ...toLast!, profileAs: 'channelsFirst pooling' }, { ...pool!, profileAs: 'channelsFirst' }];
    }
    case 'zeroPadding2d':
      return maybeChannelsFirst(cfg, rank, { op: 'zeropad', args: { pad: cfg.ints('padding', 1) } }, type);
    case 'upSampling2d': {
      // bilinear interpolation runs ResizeBilinear: same shapes, other kernels than the profile replays
      const bilinear = notDefault(cfg, 'interpolation', (v) => v.kind === 'string' && v.value === 'nearest') ? { profileGap: 'upSampling2d with interpolation' } : {};
      return maybeChannelsFirst(cfg, rank, { op: 'upsample', args: { scale: cfg.ints('size', [2, 2]) } }, type).map((step) => ({ ...step, ...bilinear }));
    }
    case 'cropping2D':
      return maybeChannelsFirst(cfg, rank, { op: 'cropping2d', args: { crop: cfg.ints('cropping') } }, type);
    case 'add':
      return [{ op: 'add', args: {} }];
    case 'multiply':
      return [{ op: 'mul', args: {} }];
    case 'average':
      return [{ op: 'average', args: {} }];
    case 'concatenate':
      return [{ op: 'concat', args: { axis: perSampleAxis(cfg, 'axis', type) } }];
    case 'embedding': {
      if (cfg.bool('maskZero', false)) {
        // the mask is an extra bool tensor; shapes and params are unaffected
      }
      // maskZero hands a mask to the next layers, whose kernels change (rnn() masks every step)
      const maskGap = notDefault(cfg, 'maskZero', (v) => v.kind === 'bool' && !v.value) ? { profileGap: 'embedding with maskZero' } : {};
      return [{ op: 'embedding', args: { vocab: cfg.int('inputDim'), dim: cfg.int('outputDim') }, ...maskGap }];
    }
    case 'lstm':
    case 'gru':
    case 'simpleRNN':
    case 'rnn':
      return recurrentPlan(layer, cfg, inputShapes);
    case 'bidirectional':
      return bidirectionalPlan(layer, cfg, inputShapes);
    case 'conv3dTranspose':
      return maybeChannelsFirst(cfg, rank, {
        op: 'conv3d_transpose',
        args: { filters: cfg.int('filters'), ...windowArgs(cfg, type, 'kernelSize'), bias: bias(), activation: activationArg(cfg, type) },
      }, type);
    case 'inputLayer':
      throw new PlanError({ node: layer.site, message: 'tf.layers.inputLayer is followed only as the first layer of a sequential model (its inputShape); elsewhere use tf.input', code: TFJS_CODES.unsupported, severity: 'info' });
    case 'timeDistributed': {
      const inner = cfg.nestedLayer('layer');
      if (inner.type !== 'dense') {
        throw new PlanError({ node: cfg.nodeOf('layer'), message: `timeDistributed(${inner.type}): only dense inside timeDistributed is supported by memlens yet`, code: TFJS_CODES.unsupported, severity: 'info' });
      }
      if (rank !== 2) {
        throw new PlanError({ node: layer.site, message: `timeDistributed expects a [timesteps, features] input per sample, got [${(inputShapes[0] ?? []).join(', ')}]`, code: TFJS_CODES.shape, severity: 'error' });
      }
      // tf.js runs the inner layer once per time step inside rnn(): not the dense of the graph
      const innerSteps = steps(inner, new LayerConfig(inner), inputShapes);
      return (Array.isArray(innerSteps) ? innerSteps : innerSteps.steps).map((step) => ({ ...step, profileAs: 'timeDistributed' }));
    }
    default: {
      const more = extraSteps(layer, cfg, inputShapes) ?? kerasOnlySteps(layer, cfg, inputShapes);
      if (more) return more;
      const entry = layer.keras ? undefined : layerEntry(layer.type);
      if (entry?.kind === 'unsupported') throw new PlanError({ node: layer.site, message: `tf.layers.${layer.type}: ${entry.reason}; the model is not analysed`, code: TFJS_CODES.unsupported, severity: 'info' });
      if (entry?.kind === 'cell') throw new PlanError({ node: layer.site, message: `tf.layers.${layer.type} is a recurrent cell: memlens follows it as the cell of tf.layers.rnn({cell}), not applied on its own`, code: TFJS_CODES.unsupported, severity: 'info' });
      const known = entry ? 'is not supported by memlens yet' : 'is not a layer of TensorFlow.js 4.22';
      throw new PlanError({ node: layer.site, message: `tf.layers.${type} ${known}; the model is not analysed`, code: TFJS_CODES.unsupported, severity: 'info' });
    }
  }
}

/** layer types that take a list of tensors */
export const MERGE_LAYERS: ReadonlySet<string> = new Set(['add', 'multiply', 'average', 'concatenate', 'maximum', 'minimum', 'dot']);

export function planLayer(layer: LayerObject, inputShapes: readonly (readonly number[])[]): LayerPlan {
  const cfg = new LayerConfig(layer);
  try {
    const trainable = cfg.bool('trainable', true);
    const planned = steps(layer, cfg, inputShapes);
    if (Array.isArray(planned)) return { ok: true, steps: planned, trainable };
    return { ok: true, steps: planned.steps, trainable, ...(planned.outputs ? { outputs: planned.outputs } : {}) };
  } catch (err) {
    if (err instanceof PlanError) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** per-sample input shape declared on a first layer (inputShape, batchInputShape, inputDim) */
export function declaredInputShape(layer: LayerObject): { ok: true; shape: number[] | undefined; dtype: string | undefined } | { ok: false; problem: LayerProblem } {
  const cfg = new LayerConfig(layer);
  try {
    const dtype = cfg.has('dtype') ? cfg.string('dtype', 'float32') : undefined;
    const inputShape = cfg.intList('inputShape', true);
    if (inputShape) return { ok: true, shape: inputShape, dtype };
    const batchShape = cfg.intList('batchInputShape');
    if (batchShape) return { ok: true, shape: batchShape.slice(1), dtype };
    if (cfg.has('inputDim') && layer.type !== 'embedding') return { ok: true, shape: [cfg.int('inputDim')], dtype };
    if (layer.type === 'embedding' && cfg.has('inputLength')) return { ok: true, shape: [...[cfg.ints('inputLength')].flat()], dtype };
    return { ok: true, shape: undefined, dtype };
  } catch (err) {
    if (err instanceof PlanError) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** tf.js dtype names -> IR input dtypes */
export function inputDType(dtype: string | undefined): string | undefined {
  switch (dtype) {
    case undefined:
    case 'float32':
      return undefined;
    case 'int32':
      return 'int32';
    // Keras for Python keeps numpy's int64 (tf.js has none)
    case 'int64':
      return 'int64';
    case 'bool':
      return 'int8';
    default:
      return undefined;
  }
}
