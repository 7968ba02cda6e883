/**
 * ResNeXt-29 as in the reference CIFAR zoo: stem 1x1 (sic) conv(64) + BN + ReLU; three
 * stages of 3 blocks (strides 1, 2, 2); block = 1x1 conv to the group width
 * (cardinality x bottleneck width) + BN + ReLU, 3x3 grouped conv (cardinality groups) + BN
 * + ReLU, 1x1 conv to 2x group width + BN, shortcut (1x1 conv + BN on shape change), ReLU.
 * The bottleneck width doubles after each stage. Global average pool, linear.
 * ResNeXt29_2x64d: cardinality 2, bottleneck width 64.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

function block(b: NetBuilder, x: Sym, cardinality: number, width: number, stride: number, name: string): Sym {
  const groupWidth = cardinality * width;
  let out = b.convBnRelu(x, { filters: groupWidth, kernel: 1, name: `${name}_conv1` });
  out = b.convBnRelu(out, { filters: groupWidth, kernel: 3, stride, padding: 1, groups: cardinality, name: `${name}_conv2` });
  out = b.convBn(out, { filters: 2 * groupWidth, kernel: 1, name: `${name}_conv3` });
  const short =
    stride !== 1 || x.shape[3] !== 2 * groupWidth
      ? b.convBn(x, { filters: 2 * groupWidth, kernel: 1, stride, name: `${name}_shortcut` })
      : x;
  return b.relu(b.add([out, short], `${name}_add`), `${name}_out`);
}

/** Builds ResNeXt-29 with the given cardinality and initial bottleneck width. */
export function buildResNeXt29(cardinality: number, bottleneckWidth: number, opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 64, kernel: 1, name: 'conv1' });
  let width = bottleneckWidth;
  [1, 2, 2].forEach((stride, stage) => {
    for (let i = 0; i < 3; i++) x = block(b, x, cardinality, width, i === 0 ? stride : 1, `layer${stage + 1}_${i}`);
    width *= 2;
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: `ResNeXt29_${cardinality}x${bottleneckWidth}d` });
}
