// Every tf.layers export of TensorFlow.js 4.22, by name: the layer memlens plans it as (an alias
// names its canonical factory), or why memlens does not model it. test/unit/tfjs/layerTable.test.ts
// reads the library's own exports and fails on a name this table does not answer.

export type LayerEntry =
  /** planned by layers.ts under `canonical` (the name itself when it is not an alias) */
  | { readonly kind: 'layer'; readonly canonical: string }
  /** a recurrent cell: followed as the `cell` of tf.layers.rnn (or of stackedRNNCells) */
  | { readonly kind: 'cell'; readonly canonical: string }
  /** not a layer factory memlens follows itself (tf.layers.input is tf.input) */
  | { readonly kind: 'api'; readonly note: string }
  | { readonly kind: 'unsupported'; readonly reason: string };

const layer = (canonical: string): LayerEntry => ({ kind: 'layer', canonical });
const cell = (canonical: string): LayerEntry => ({ kind: 'cell', canonical });
const no = (reason: string): LayerEntry => ({ kind: 'unsupported', reason });

const SUPPORTED = [
  'activation', 'add', 'alphaDropout', 'average', 'averagePooling1d', 'averagePooling2d', 'averagePooling3d', 'batchNormalization',
  'bidirectional', 'centerCrop', 'concatenate', 'conv1d', 'conv2d', 'conv2dTranspose', 'conv3d', 'conv3dTranspose', 'cropping2D',
  'dense', 'depthwiseConv2d', 'dot', 'dropout', 'elu', 'embedding', 'flatten', 'gaussianDropout', 'gaussianNoise',
  'globalAveragePooling1d', 'globalAveragePooling2d', 'globalMaxPooling1d', 'globalMaxPooling2d', 'gru', 'inputLayer',
  'layerNormalization', 'leakyReLU', 'lstm', 'maximum', 'maxPooling1d', 'maxPooling2d', 'maxPooling3d', 'minimum', 'multiply', 'permute', 'prelu',
  'reLU', 'repeatVector', 'rescaling', 'reshape', 'resizing', 'rnn', 'separableConv2d', 'simpleRNN', 'softmax',
  'spatialDropout1d', 'thresholdedReLU', 'timeDistributed', 'upSampling2d', 'zeroPadding2d',
] as const;

/** tf.js' second names for the same factory (tfjs-layers exports_layers.ts) */
const ALIASES: Readonly<Record<string, string>> = {
  avgPool1d: 'averagePooling1d',
  avgPool2d: 'averagePooling2d',
  avgPool3d: 'averagePooling3d',
  avgPooling1d: 'averagePooling1d',
  avgPooling2d: 'averagePooling2d',
  avgPooling3d: 'averagePooling3d',
  maxPool1d: 'maxPooling1d',
  maxPool2d: 'maxPooling2d',
  globalMaxPool1d: 'globalMaxPooling1d',
  globalMaxPool2d: 'globalMaxPooling2d',
};

const TABLE: ReadonlyMap<string, LayerEntry> = new Map<string, LayerEntry>([
  ...SUPPORTED.map((name): [string, LayerEntry] => [name, layer(name)]),
  ...Object.entries(ALIASES).map(([alias, name]): [string, LayerEntry] => [alias, layer(name)]),
  ['lstmCell', cell('lstmCell')],
  ['gruCell', cell('gruCell')],
  ['simpleRNNCell', cell('simpleRNNCell')],
  ['stackedRNNCells', cell('stackedRNNCells')],
  ['input', { kind: 'api', note: 'tf.layers.input is tf.input: a symbolic input tensor' }],
  ['Layer', no('tf.layers.Layer is the base class of custom layers (class X extends tf.layers.Layer), not a layer factory')],
  ['RNN', no('tf.layers.RNN is the class behind tf.layers.rnn; memlens follows the factory tf.layers.rnn({cell})')],
  ['RNNCell', no('tf.layers.RNNCell is the base class of custom recurrent cells, which memlens does not follow')],
  ['convLstm2d', no('convLstm2d (a convolutional LSTM) has no op in memlens\' registry yet')],
  ['convLstm2dCell', no('convLstm2dCell (a convolutional LSTM cell) has no op in memlens\' registry yet')],
  ['masking', no('masking hands a mask to the layers after it, which changes the kernels they run; memlens does not model masks yet')],
  ['categoryEncoding', no('categoryEncoding (one-hot, multi-hot and count encodings of integer tokens) is not modelled by memlens yet')],
  ['randomWidth', no('randomWidth resizes each batch to a random width: the output shape is only known at run time')],
]);

/** how memlens answers tf.layers.<name>, or undefined for a name tf.js does not export */
export function layerEntry(name: string): LayerEntry | undefined {
  return TABLE.get(name);
}

/** the factory an alias stands for (the name itself otherwise): avgPool2d -> averagePooling2d */
export function canonicalLayer(name: string): string {
  const e = TABLE.get(name);
  return e?.kind === 'layer' || e?.kind === 'cell' ? e.canonical : name;
}

/** every name the table answers */
export function tableNames(): string[] {
  return [...TABLE.keys()];
}
