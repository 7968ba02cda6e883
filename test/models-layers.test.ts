/**
 * The zoo's own layers and PyTorch conventions, checked against independent computations:
 * grouped convolution vs one convolution with a block-diagonal kernel, channel shuffle vs
 * PyTorch's index formula, PyTorch's symmetric padding vs values computed by hand, and a
 * save/load round trip of the custom layers.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ChannelSlice, ChannelZeroPad, GroupedConv2D } from '../src/models/index';
import { NetBuilder } from '../src/models/layers';
import { channelShuffle } from '../src/models/shufflenetv2';

before(async () => {
  await tf.setBackend('cpu');
});

function close(actual: tf.Tensor, expected: tf.Tensor, tol = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - e[i]) <= tol, `index ${i}: ${a[i]} vs ${e[i]}`);
}

test('GroupedConv2D equals one convolution whose kernel is zero off the group blocks', () => {
  // PyTorch groups=2, 4 -> 6 channels: outputs 0..2 see inputs 0..1, outputs 3..5 see inputs 2..3.
  const input = tf.input({ shape: [5, 5, 4] });
  const layer = new GroupedConv2D({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', groups: 2, useBias: true });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  const [kernel, bias] = layer.getWeights();
  assert.deepEqual(kernel.shape, [3, 3, 2, 6], 'compact kernel, k*k*(cin/groups)*cout weights');
  const k = kernel.arraySync() as number[][][][];
  const full = tf.buffer([3, 3, 4, 6]);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      for (let o = 0; o < 6; o++) {
        const g = Math.floor(o / 3);
        for (let c = 0; c < 2; c++) full.set(k[i][j][c][o], i, j, g * 2 + c, o);
      }
  const x = tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', 11);
  const expected = tf.add(tf.conv2d(x as tf.Tensor4D, full.toTensor() as tf.Tensor4D, 2, 'valid'), bias);
  close(model.predict(x) as tf.Tensor, expected);
  model.dispose();
});

test('channel shuffle moves channel i*(C/g)+j to j*g+i (PyTorch view-permute-reshape)', () => {
  // C = 6, g = 2: [a0 a1 a2 | b0 b1 b2] -> [a0 b0 a1 b1 a2 b2], i.e. source channels 0,3,1,4,2,5.
  const input = tf.input({ shape: [2, 2, 6] });
  const model = tf.model({ inputs: input, outputs: channelShuffle(input, 2, 'shuffle') });
  const x = tf.tidy(() => tf.tile(tf.range(0, 6).reshape([1, 1, 1, 6]), [1, 2, 2, 1]));
  const y = model.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync().slice(0, 6)), [0, 3, 1, 4, 2, 5]);
  model.dispose();
});

test('ChannelSlice and ChannelZeroPad select and pad channels', () => {
  const input = tf.input({ shape: [1, 1, 5] });
  const sliced = new ChannelSlice({ start: 1, size: 3 }).apply(input) as tf.SymbolicTensor;
  const padded = new ChannelZeroPad({ before: 2, after: 1 }).apply(sliced) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: padded });
  const y = model.predict(tf.tensor4d([[[[10, 11, 12, 13, 14]]]])) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [0, 0, 11, 12, 13, 0]);
  model.dispose();
});

test('strided padded convolutions pad symmetrically like PyTorch, not like tfjs "same"', () => {
  // 4x4 input with values 0..15 (row-major), 3x3 all-ones kernel, stride 2, padding 1.
  // PyTorch: output (r, c) sums rows 2r-1..2r+1 and cols 2c-1..2c+1, zero outside:
  //   (0,0): 0+1+4+5 = 10            (0,1): 1+2+3 + 5+6+7 = 24
  //   (1,0): 4+5 + 8+9 + 12+13 = 51  (1,1): 5+6+7 + 9+10+11 + 13+14+15 = 90
  // tfjs 'same' would pad only bottom/right and give (0,0) = 0+1+2+4+5+6+8+9+10 = 45.
  const b = new NetBuilder({});
  const input = tf.input({ shape: [4, 4, 1] });
  const out = b.conv(input, { filters: 1, kernel: 3, stride: 2, padding: 1, bias: false, name: 'c' });
  const model = tf.model({ inputs: input, outputs: out });
  model.getLayer('c').setWeights([tf.ones([3, 3, 1, 1])]);
  const y = model.predict(tf.range(0, 16).reshape([1, 4, 4, 1])) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [10, 24, 51, 90]);
  model.dispose();
});

test('a padded max pool after ReLU equals PyTorch max pool (3x3, stride 2, padding 1)', () => {
  // Non-negative 4x4 input 0..15: PyTorch windows rows/cols {-1,0,1}, {1,2,3}:
  // (0,0) = max(0,1,4,5) = 5, (0,1) = max(1..3, 5..7) = 7, (1,0) = 13, (1,1) = 15.
  const b = new NetBuilder({});
  const input = tf.input({ shape: [4, 4, 1] });
  const model = tf.model({ inputs: input, outputs: b.maxPool(input, 3, 2, 1, 'p') });
  const y = model.predict(tf.range(0, 16).reshape([1, 4, 4, 1])) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [5, 7, 13, 15]);
  model.dispose();
});

test('models with the custom layers survive a save/load round trip', async () => {
  const input = tf.input({ shape: [6, 6, 4] });
  let x = new GroupedConv2D({ filters: 4, kernelSize: 3, padding: 'same', groups: 2 }).apply(input) as tf.SymbolicTensor;
  x = new ChannelSlice({ start: 0, size: 2 }).apply(x) as tf.SymbolicTensor;
  x = new ChannelZeroPad({ before: 1, after: 1 }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(saved);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
  const xIn = tf.randomNormal([1, 6, 6, 4], 0, 1, 'float32', 5);
  close(loaded.predict(xIn) as tf.Tensor, model.predict(xIn) as tf.Tensor);
  model.dispose();
  loaded.dispose();
});

test('the custom layers leak no tensors in forward passes', () => {
  const input = tf.input({ shape: [4, 4, 4] });
  let x = new GroupedConv2D({ filters: 4, kernelSize: 1, groups: 4 }).apply(input) as tf.SymbolicTensor;
  x = new ChannelSlice({ start: 1, size: 2 }).apply(x) as tf.SymbolicTensor;
  x = new ChannelZeroPad({ before: 0, after: 2 }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  const xIn = tf.ones([2, 4, 4, 4]);
  (model.predict(xIn) as tf.Tensor).dispose();
  const n = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) (model.predict(xIn) as tf.Tensor).dispose();
  assert.equal(tf.memory().numTensors, n);
  model.dispose();
  xIn.dispose();
});
