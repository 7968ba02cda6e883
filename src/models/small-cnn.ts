/**
 * A small CNN for Fashion-MNIST (28x28x1) that also runs on 32x32x3:
 * conv3x3(32) + BN + ReLU + maxpool2, conv3x3(64) + BN + ReLU + maxpool2, flatten, dense.
 * Convolutions have no bias (BN follows). This is the model docs/performance.md times.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder } from './layers';

/** Builds the small CNN (50,282 parameters on 28x28x1 with 10 classes). */
export function buildSmallCnn(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 32, kernel: 3, padding: 1, name: 'conv1' });
  x = b.maxPool(x, 2, 2, 0, 'pool1');
  x = b.convBnRelu(x, { filters: 64, kernel: 3, padding: 1, name: 'conv2' });
  x = b.maxPool(x, 2, 2, 0, 'pool2');
  x = b.flatten(x, 'flatten');
  x = b.dense(x, opts.numClasses, 'fc');
  return tf.model({ inputs: input, outputs: x, name: 'smallcnn' });
}
