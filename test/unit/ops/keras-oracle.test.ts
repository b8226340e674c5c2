// The registry's nhwc rules against TensorFlow.js layers (Keras semantics) as an oracle:
// output shape and trainable / non-trainable parameter counts must match exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ArgValue } from '../../../server/src/core/ops/types';
import { Net } from './net';

const L = tf.layers;
const Z = { recurrentInitializer: 'zeros', kernelInitializer: 'zeros' } as const;

interface Case {
  readonly name: string;
  readonly input: number[];
  readonly op: string;
  readonly args: Record<string, ArgValue>;
  readonly layer: () => tf.layers.Layer;
}

const CASES: Case[] = [
  { name: 'Conv2D same stride 2', input: [32, 32, 3], op: 'conv2d', args: { filters: 16, kernel: 3, stride: 2, pad: 'same' }, layer: () => L.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'Conv2D valid dilated no bias', input: [32, 32, 8], op: 'conv2d', args: { filters: 4, kernel: [3, 5], dilation: 2, bias: false }, layer: () => L.conv2d({ filters: 4, kernelSize: [3, 5], dilationRate: 2, useBias: false }) },
  { name: 'Conv1D', input: [50, 16], op: 'conv1d', args: { filters: 33, kernel: 3, stride: 2 }, layer: () => L.conv1d({ filters: 33, kernelSize: 3, strides: 2 }) },
  { name: 'Conv3D', input: [8, 16, 16, 4], op: 'conv3d', args: { filters: 6, kernel: 3, pad: 'same' }, layer: () => L.conv3d({ filters: 6, kernelSize: 3, padding: 'same' }) },
  { name: 'DepthwiseConv2D dm 2', input: [32, 32, 32], op: 'depthwise_conv2d', args: { kernel: 3, depth_multiplier: 2, stride: 2, pad: 'same' }, layer: () => L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }) },
  { name: 'SeparableConv2D', input: [28, 28, 32], op: 'separable_conv2d', args: { filters: 64, kernel: 3 }, layer: () => L.separableConv2d({ filters: 64, kernelSize: 3 }) },
  { name: 'Conv2DTranspose same', input: [7, 7, 64], op: 'conv2d_transpose', args: { filters: 32, kernel: 3, stride: 2, pad: 'same' }, layer: () => L.conv2dTranspose({ filters: 32, kernelSize: 3, strides: 2, padding: 'same' }) },
  { name: 'Conv2DTranspose valid k < stride', input: [7, 7, 64], op: 'conv2d_transpose', args: { filters: 32, kernel: 2, stride: 3, pad: 'valid' }, layer: () => L.conv2dTranspose({ filters: 32, kernelSize: 2, strides: 3, padding: 'valid' }) },
  { name: 'Dense on [L, F]', input: [10, 64], op: 'dense', args: { units: 32 }, layer: () => L.dense({ units: 32 }) },
  { name: 'Embedding', input: [12], op: 'embedding', args: { vocab: 1000, dim: 64 }, layer: () => L.embedding({ inputDim: 1000, outputDim: 64 }) },
  { name: 'BatchNormalization', input: [8, 8, 64], op: 'batchnorm', args: {}, layer: () => L.batchNormalization({}) },
  { name: 'BatchNormalization scale false', input: [8, 8, 64], op: 'batchnorm', args: { scale: false }, layer: () => L.batchNormalization({ scale: false }) },
  { name: 'LayerNormalization', input: [10, 64], op: 'layernorm', args: {}, layer: () => L.layerNormalization({}) },
  { name: 'LSTM', input: [20, 100], op: 'lstm', args: { hidden: 128, bias_sets: 1 }, layer: () => L.lstm({ units: 128, ...Z }) },
  { name: 'LSTM return_sequences', input: [20, 100], op: 'lstm', args: { hidden: 16, bias_sets: 1, return_sequences: true }, layer: () => L.lstm({ units: 16, returnSequences: true, ...Z }) },
  { name: 'GRU (tf.js: reset_after false)', input: [20, 100], op: 'gru', args: { hidden: 128, bias_sets: 1 }, layer: () => L.gru({ units: 128, ...Z }) },
  { name: 'SimpleRNN', input: [20, 100], op: 'simple_rnn', args: { hidden: 128, bias_sets: 1 }, layer: () => L.simpleRNN({ units: 128, ...Z }) },
  { name: 'Bidirectional LSTM', input: [20, 100], op: 'lstm', args: { hidden: 32, bias_sets: 1, bidirectional: true }, layer: () => L.bidirectional({ layer: L.lstm({ units: 32, ...Z }) as tf.RNN }) },
  { name: 'MaxPooling2D same', input: [15, 15, 8], op: 'maxpool', args: { kernel: 2, pad: 'same' }, layer: () => L.maxPooling2d({ poolSize: 2, padding: 'same' }) },
  { name: 'AveragePooling2D stride', input: [15, 15, 8], op: 'avgpool', args: { kernel: 3, stride: 2 }, layer: () => L.averagePooling2d({ poolSize: 3, strides: 2 }) },
  { name: 'MaxPooling1D', input: [50, 16], op: 'maxpool1d', args: { kernel: 3, stride: 2 }, layer: () => L.maxPooling1d({ poolSize: 3, strides: 2 }) },
  { name: 'GlobalAveragePooling2D', input: [7, 7, 32], op: 'globalavgpool', args: {}, layer: () => L.globalAveragePooling2d({}) },
  { name: 'GlobalMaxPooling1D', input: [40, 32], op: 'globalmaxpool', args: {}, layer: () => L.globalMaxPooling1d({}) },
  { name: 'Flatten', input: [7, 7, 32], op: 'flatten', args: {}, layer: () => L.flatten({}) },
  { name: 'Reshape', input: [7, 7, 32], op: 'reshape', args: { shape: [49, -1] }, layer: () => L.reshape({ targetShape: [49, 32] }) },
  { name: 'Permute', input: [7, 5, 3], op: 'transpose', args: { perm: [2, 0, 1] }, layer: () => L.permute({ dims: [3, 1, 2] }) },
  { name: 'UpSampling2D', input: [7, 9, 16], op: 'upsample', args: { scale: [2, 3] }, layer: () => L.upSampling2d({ size: [2, 3] }) },
  { name: 'ZeroPadding2D', input: [7, 9, 16], op: 'zeropad', args: { pad: [0, 1, 2, 3] }, layer: () => L.zeroPadding2d({ padding: [[0, 1], [2, 3]] }) },
  { name: 'Cropping2D', input: [7, 9, 16], op: 'cropping2d', args: { crop: [0, 1, 2, 3] }, layer: () => L.cropping2D({ cropping: [[0, 1], [2, 3]] }) },
  { name: 'RepeatVector', input: [32], op: 'repeat_vector', args: { n: 3 }, layer: () => L.repeatVector({ n: 3 }) },
  { name: 'Dropout', input: [10, 8], op: 'dropout', args: { rate: 0.2 }, layer: () => L.dropout({ rate: 0.2 }) },
];

for (const c of CASES) {
  test(`Keras ${c.name} = ${c.op}`, () => {
    const layer = c.layer();
    const out = layer.apply(tf.input({ shape: c.input })) as tf.SymbolicTensor;
    const n = new Net('nhwc');
    const x = c.op === 'embedding' ? n.op('input', [], { shape: c.input, dtype: 'int32' }) : n.input(...c.input);
    const y = n.op(c.op, [x], c.args);
    assert.deepEqual(y.shape, out.shape.slice(1), 'shape');
    const count = (ws: tf.LayerVariable[]) => ws.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);
    assert.deepEqual(n.params, { trainable: count(layer.trainableWeights), nonTrainable: count(layer.nonTrainableWeights) }, 'params');
  });
}

test('Keras merges: Concatenate, Add, Multiply, Average', () => {
  const a = tf.input({ shape: [8, 8, 16] });
  const b = tf.input({ shape: [8, 8, 24] });
  const n = new Net('nhwc');
  const [x, y] = [n.input(8, 8, 16), n.input(8, 8, 24)];
  assert.deepEqual(n.op('concat', [x, y]).shape, (L.concatenate().apply([a, b]) as tf.SymbolicTensor).shape.slice(1));
  for (const [op, layer] of [['add', L.add()], ['mul', L.multiply()], ['average', L.average()]] as const) {
    assert.deepEqual(n.op(op, [x, x]).shape, (layer.apply([a, a]) as tf.SymbolicTensor).shape.slice(1), op);
  }
});
