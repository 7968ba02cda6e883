/**
 * VGG with batch norm as in the reference CIFAR zoo: each conv is 3x3, padding 1, WITH bias
 * (the reference keeps PyTorch's default bias=True although BN follows), then BN and ReLU;
 * 'M' is a 2x2 max pool; the head is a single Linear(512, numClasses).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder } from './layers';

/** The VGG depths the reference defines. */
export type VggDepth = 11 | 13 | 16 | 19;

/** Layer plans: a number is a conv with that many filters, 'M' a max pool. */
export const VGG_CONFIGS: Record<VggDepth, (number | 'M')[]> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/**
 * Builds VGG-`depth`. After five 2x2 pools a 32x32 input is 1x1x512, so the reference's
 * flatten equals the global average pool used here (which also accepts inputs larger
 * than 32x32, a multiple of 32 keeping all pools exact).
 */
export function buildVgg(depth: VggDepth, opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x: tf.SymbolicTensor = input;
  let conv = 0;
  let pool = 0;
  for (const item of VGG_CONFIGS[depth]) {
    if (item === 'M') {
      x = b.maxPool(x, 2, 2, 0, `pool${++pool}`);
    } else {
      const name = `conv${++conv}`;
      x = b.conv(x, { filters: item, kernel: 3, padding: 1, bias: true, name });
      x = b.relu(b.bn(x, `${name}_bn`), `${name}_relu`);
    }
  }
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'classifier');
  return tf.model({ inputs: input, outputs: x, name: `VGG${depth}` });
}
