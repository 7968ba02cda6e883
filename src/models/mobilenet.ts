/**
 * MobileNet (v1) as in the reference CIFAR zoo: 3x3 stem conv(32) stride 1 + BN + ReLU,
 * then 13 depthwise-separable blocks (depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU,
 * no conv bias), global average pool, Linear(1024, numClasses).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder } from './layers';

/** Output planes of each block; a pair is [planes, stride]. */
export const MOBILENET_CONFIG: (number | [number, number])[] = [
  64,
  [128, 2],
  128,
  [256, 2],
  256,
  [512, 2],
  512,
  512,
  512,
  512,
  512,
  [1024, 2],
  1024,
];

/** Builds MobileNet v1 for CIFAR. */
export function buildMobileNet(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 32, kernel: 3, padding: 1, name: 'conv1' });
  MOBILENET_CONFIG.forEach((item, i) => {
    const [planes, stride] = typeof item === 'number' ? [item, 1] : item;
    const cin = x.shape[3] as number;
    x = b.convBnRelu(x, { filters: cin, kernel: 3, stride, padding: 1, groups: cin, name: `block${i}_dw` });
    x = b.convBnRelu(x, { filters: planes, kernel: 1, name: `block${i}_pw` });
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: 'MobileNet' });
}
