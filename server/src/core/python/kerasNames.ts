// Keras in Python -> the tf.js frontend's Keras layer table (tfjs/layers.ts), converted in this one
// place: class names to tf.js factory names, positional parameters to keywords, snake_case keyword
// arguments to tf.js' camelCase config keys, Python values to the tf.js frontend's static values.
// The layer rules themselves (shapes, weights) live only in tfjs/layers.ts.
import type { SyntaxNode as Node } from '../tfjs/syntax';
import type { LayerObject, ObjectValue, SymbolicTensor, Value } from '../tfjs/values';
import { describe, type CallArgs, type PyValue } from './values';

export interface KerasLayerName {
  /** the tf.js factory: tf.layers.conv2d */
  readonly type: string;
  /** Keras' positional parameters, in order (snake_case) */
  readonly positional: readonly string[];
}

const CONV = ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate'];
const POOL = ['pool_size', 'strides', 'padding', 'data_format'];

/** Keras layer classes memlens models, by their Python name (aliases included) */
export const KERAS_LAYERS: ReadonlyMap<string, KerasLayerName> = new Map<string, KerasLayerName>([
  ['Dense', { type: 'dense', positional: ['units', 'activation', 'use_bias'] }],
  ['Conv1D', { type: 'conv1d', positional: CONV }],
  ['Conv2D', { type: 'conv2d', positional: CONV }],
  ['Conv3D', { type: 'conv3d', positional: CONV }],
  ['Conv2DTranspose', { type: 'conv2dTranspose', positional: ['filters', 'kernel_size', 'strides', 'padding'] }],
  ['DepthwiseConv2D', { type: 'depthwiseConv2d', positional: ['kernel_size', 'strides', 'padding', 'depth_multiplier'] }],
  ['SeparableConv2D', { type: 'separableConv2d', positional: CONV }],
  ['BatchNormalization', { type: 'batchNormalization', positional: ['axis', 'momentum', 'epsilon', 'center', 'scale'] }],
  ['LayerNormalization', { type: 'layerNormalization', positional: ['axis', 'epsilon', 'center', 'scale'] }],
  ['Dropout', { type: 'dropout', positional: ['rate', 'noise_shape', 'seed'] }],
  ['SpatialDropout1D', { type: 'spatialDropout1d', positional: ['rate'] }],
  ['Flatten', { type: 'flatten', positional: ['data_format'] }],
  ['Reshape', { type: 'reshape', positional: ['target_shape'] }],
  ['Permute', { type: 'permute', positional: ['dims'] }],
  ['RepeatVector', { type: 'repeatVector', positional: ['n'] }],
  ['Activation', { type: 'activation', positional: ['activation'] }],
  ['ReLU', { type: 'reLU', positional: ['max_value', 'negative_slope', 'threshold'] }],
  ['Softmax', { type: 'softmax', positional: ['axis'] }],
  ['LeakyReLU', { type: 'leakyReLU', positional: ['negative_slope'] }],
  ['ELU', { type: 'elu', positional: ['alpha'] }],
  ['MaxPooling1D', { type: 'maxPooling1d', positional: POOL }],
  ['MaxPooling2D', { type: 'maxPooling2d', positional: POOL }],
  ['MaxPooling3D', { type: 'maxPooling3d', positional: POOL }],
  ['AveragePooling1D', { type: 'averagePooling1d', positional: POOL }],
  ['AveragePooling2D', { type: 'averagePooling2d', positional: POOL }],
  ['AveragePooling3D', { type: 'averagePooling3d', positional: POOL }],
  ['GlobalAveragePooling1D', { type: 'globalAveragePooling1d', positional: ['data_format', 'keepdims'] }],
  ['GlobalAveragePooling2D', { type: 'globalAveragePooling2d', positional: ['data_format', 'keepdims'] }],
  ['GlobalMaxPooling1D', { type: 'globalMaxPooling1d', positional: ['data_format', 'keepdims'] }],
  ['GlobalMaxPooling2D', { type: 'globalMaxPooling2d', positional: ['data_format', 'keepdims'] }],
  ['ZeroPadding2D', { type: 'zeroPadding2d', positional: ['padding', 'data_format'] }],
  ['UpSampling2D', { type: 'upSampling2d', positional: ['size', 'data_format', 'interpolation'] }],
  ['Cropping2D', { type: 'cropping2D', positional: ['cropping', 'data_format'] }],
  ['Add', { type: 'add', positional: [] }],
  ['Multiply', { type: 'multiply', positional: [] }],
  ['Average', { type: 'average', positional: [] }],
  ['Concatenate', { type: 'concatenate', positional: ['axis'] }],
  ['Embedding', { type: 'embedding', positional: ['input_dim', 'output_dim'] }],
  ['LSTM', { type: 'lstm', positional: ['units', 'activation', 'recurrent_activation', 'use_bias'] }],
  ['GRU', { type: 'gru', positional: ['units', 'activation', 'recurrent_activation', 'use_bias'] }],
  ['SimpleRNN', { type: 'simpleRNN', positional: ['units', 'activation', 'use_bias'] }],
  ['Bidirectional', { type: 'bidirectional', positional: ['layer', 'merge_mode'] }],
  ['TimeDistributed', { type: 'timeDistributed', positional: ['layer'] }],
  // preprocessing (tfjs/preprocessingLayers.ts)
  ['Rescaling', { type: 'rescaling', positional: ['scale', 'offset'] }],
  ['CenterCrop', { type: 'centerCrop', positional: ['height', 'width'] }],
  ['Resizing', { type: 'resizing', positional: ['height', 'width', 'interpolation', 'crop_to_aspect_ratio'] }],
  ['Normalization', { type: 'normalization', positional: ['axis', 'mean', 'variance', 'invert'] }],
  ['RandomFlip', { type: 'randomFlip', positional: ['mode', 'seed'] }],
  ['RandomRotation', { type: 'randomRotation', positional: ['factor', 'fill_mode', 'interpolation', 'seed', 'fill_value'] }],
  ['RandomZoom', { type: 'randomZoom', positional: ['height_factor', 'width_factor', 'fill_mode', 'interpolation', 'seed', 'fill_value'] }],
  ['RandomContrast', { type: 'randomContrast', positional: ['factor', 'seed'] }],
  ['RandomTranslation', { type: 'randomTranslation', positional: ['height_factor', 'width_factor', 'fill_mode', 'interpolation', 'seed', 'fill_value'] }],
  ['RandomBrightness', { type: 'randomBrightness', positional: ['factor', 'value_range', 'seed'] }],
  // attention (tfjs/attentionLayers.ts)
  ['MultiHeadAttention', { type: 'multiHeadAttention', positional: ['num_heads', 'key_dim', 'value_dim', 'dropout', 'use_bias', 'output_shape', 'attention_axes'] }],
  ['Attention', { type: 'attention', positional: ['use_scale', 'score_mode'] }],
]);

/** Keras' short aliases */
for (const [alias, name] of [['MaxPool1D', 'MaxPooling1D'], ['MaxPool2D', 'MaxPooling2D'], ['MaxPool3D', 'MaxPooling3D'], ['AvgPool1D', 'AveragePooling1D'], ['AvgPool2D', 'AveragePooling2D'], ['AvgPool3D', 'AveragePooling3D'], ['GlobalAvgPool1D', 'GlobalAveragePooling1D'], ['GlobalAvgPool2D', 'GlobalAveragePooling2D'], ['GlobalMaxPool1D', 'GlobalMaxPooling1D'], ['GlobalMaxPool2D', 'GlobalMaxPooling2D'], ['Convolution2D', 'Conv2D']] as const) {
  (KERAS_LAYERS as Map<string, KerasLayerName>).set(alias, KERAS_LAYERS.get(name)!);
}

/** `layers.add([a, b])` and friends: a merge layer made and applied at once */
export const KERAS_MERGE_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['add', 'Add'],
  ['multiply', 'Multiply'],
  ['average', 'Average'],
  ['concatenate', 'Concatenate'],
]);

/** the layers whose `groups` the shared table reads */
const GROUPED: ReadonlySet<string> = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'Convolution2D']);

/** Keras keywords that are not the camelCase of the tf.js key */
const RENAMED: Readonly<Record<string, string>> = { negative_slope: 'alpha' };

/** options that change a layer's weights or shapes, which tf.js' table does not take: only their default is analysed */
const ONLY_DEFAULT: Readonly<Record<string, { readonly isDefault: (v: PyValue) => boolean; readonly why: string }>> = {
  groups: { isDefault: (v) => v.kind === 'int' && v.value === 1, why: 'grouped channels are modelled for Conv1D, Conv2D and Conv3D only' },
  output_padding: { isDefault: (v) => v.kind === 'none', why: 'output_padding is not in the shared Keras layer table yet' },
  keepdims: { isDefault: (v) => v.kind === 'bool' && !v.value, why: 'keepdims=True is not in the shared Keras layer table yet' },
  threshold: { isDefault: (v) => (v.kind === 'int' || v.kind === 'float') && v.value === 0, why: 'a ReLU threshold is not in the shared Keras layer table yet' },
};

export function snakeToCamel(key: string): string {
  return RENAMED[key] ?? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** config keys in tf.js messages, back to the Keras keyword the user wrote */
export function camelToSnake(message: string): string {
  const back = new Map(Object.entries(RENAMED).map(([k, v]) => [v, k]));
  return message.replace(/'([a-z]+[A-Z][A-Za-z]*)'/g, (_, key: string) => `'${back.get(key) ?? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}'`);
}

/** Keras' string values in tf.js spelling: 'channels_first' -> 'channelsFirst', 'hard_sigmoid' -> 'hardSigmoid' */
function stringValue(key: string, s: string): string {
  if (key === 'data_format' || key === 'activation') return snakeToCamel(s);
  return s;
}

export type Converted = { readonly ok: true; readonly config: ObjectValue } | { readonly ok: false; readonly node: Node; readonly message: string; readonly error: boolean };

/**
 * A Keras layer call's arguments as the tf.js config object. `objectOf` answers nested layers
 * (Bidirectional(LSTM(...))). Nodes come from the call's own argument list, for diagnostics.
 */
export function kerasConfig(className: string, spec: KerasLayerName, args: CallArgs, site: Node, objectOf: (v: PyValue) => LayerObject | SymbolicTensor | undefined): Converted {
  const argNodes = site.childForFieldName('arguments')?.namedChildren.filter((n) => n.type !== 'comment') ?? [];
  const positionalNodes = argNodes.filter((n) => n.type !== 'keyword_argument' && n.type !== 'list_splat' && n.type !== 'dictionary_splat');
  const keywordNode = (k: string): Node | undefined => argNodes.find((n) => n.type === 'keyword_argument' && n.childForFieldName('name')?.text === k)?.childForFieldName('value') ?? undefined;
  if (args.positional.length > spec.positional.length) {
    return { ok: false, node: site, message: `${className}() takes ${spec.positional.length} positional arguments, got ${args.positional.length} (Keras raises)`, error: true };
  }
  const props = new Map<string, Value>();
  const nodes = new Map<string, Node>();
  const set = (key: string, v: PyValue, node: Node): Converted | undefined => {
    const only = key === 'groups' && GROUPED.has(className) ? undefined : ONLY_DEFAULT[key];
    if (only && !only.isDefault(v)) {
      return { ok: false, node, message: `${className}(${key}=${describe(v)}): ${only.why}; the model is not analysed`, error: false };
    }
    if (className === 'GRU' && key === 'reset_after') return undefined;
    const camel = snakeToCamel(key);
    if (props.has(camel)) return { ok: false, node, message: `${className}() got multiple values for argument '${key}' (Keras raises)`, error: true };
    props.set(camel, toValue(v, node, key, objectOf));
    nodes.set(camel, node);
    return undefined;
  };
  for (let i = 0; i < args.positional.length; i++) {
    const bad = set(spec.positional[i]!, args.positional[i]!, positionalNodes[i] ?? site);
    if (bad) return bad;
  }
  for (const [k, v] of args.keywords) {
    const bad = set(k, v, keywordNode(k) ?? site);
    if (bad) return bad;
  }
  if (className === 'GRU') {
    // Keras' GRU defaults to reset_after=True: a second bias per gate, which tf.js does not support
    const ra = args.keywords.get('reset_after');
    if (!(ra?.kind === 'bool' && !ra.value)) {
      return { ok: false, node: keywordNode('reset_after') ?? site, message: "GRU with reset_after=True (Keras' default) keeps a second bias per gate; the shared Keras layer table follows tf.js, which has only reset_after=False: pass reset_after=False to analyse the model", error: false };
    }
  }
  return { ok: true, config: { kind: 'object', props, nodes } };
}

/** a Python value as the tf.js frontend's static value */
export function toValue(v: PyValue, node: Node, key: string, objectOf: (v: PyValue) => LayerObject | SymbolicTensor | undefined): Value {
  switch (v.kind) {
    case 'int':
    case 'float':
      return { kind: 'number', value: v.value };
    case 'bool':
      return { kind: 'bool', value: v.value };
    case 'str':
      return { kind: 'string', value: stringValue(key, v.value) };
    case 'none':
      return { kind: 'null' };
    case 'tuple':
    case 'list':
      return { kind: 'array', items: v.items.map((x) => toValue(x, node, key, objectOf)) };
    case 'unknown':
      return { kind: 'unknown', node: v.node, reason: v.reason };
    case 'namespace':
      // activation=tf.nn.relu, keras.activations.gelu: the function's name
      if (key === 'activation') return { kind: 'string', value: stringValue(key, v.path.slice(v.path.lastIndexOf('.') + 1)) };
      return { kind: 'unknown', node, reason: `${v.path} is not a value memlens reads for '${key}'` };
    case 'instance': {
      const object = objectOf(v);
      if (object) return object;
      return { kind: 'unknown', node, reason: `${describe(v)} is not a value memlens reads for '${key}'` };
    }
    default:
      return { kind: 'unknown', node, reason: `${describe(v)} is not a value memlens reads for '${key}'` };
  }
}
