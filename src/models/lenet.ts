/**
 * LeNet as in the reference CIFAR zoo: conv5x5(6) -> ReLU -> maxpool2 -> conv5x5(16) ->
 * ReLU -> maxpool2 -> fc120 -> ReLU -> fc84 -> ReLU -> fc(numClasses); all layers with bias.
 *
 * Flatten order differs from PyTorch (NHWC here, NCHW there): counts are equal, but fc1's
 * weights would need a permutation to be ported.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder } from './layers';

/** Builds LeNet (62,006 parameters for 32x32x3 input and 10 classes). */
export function buildLeNet(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.relu(b.conv(input, { filters: 6, kernel: 5, name: 'conv1' }), 'relu1');
  x = b.maxPool(x, 2, 2, 0, 'pool1');
  x = b.relu(b.conv(x, { filters: 16, kernel: 5, name: 'conv2' }), 'relu2');
  x = b.maxPool(x, 2, 2, 0, 'pool2');
  x = b.flatten(x, 'flatten');
  x = b.relu(b.dense(x, 120, 'fc1'), 'relu3');
  x = b.relu(b.dense(x, 84, 'fc2'), 'relu4');
  x = b.dense(x, opts.numClasses, 'fc3');
  return tf.model({ inputs: input, outputs: x, name: 'LeNet' });
}
