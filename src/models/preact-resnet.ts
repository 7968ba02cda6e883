/**
 * Pre-activation ResNet-18 as in the reference CIFAR zoo: 3x3 stem conv (no BN after it),
 * blocks BN-ReLU-conv-BN-ReLU-conv whose projection shortcut (stride or channel change) is a
 * bare 1x1 convolution taken from the first pre-activation, and no final BN before the
 * pool (the reference has none).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

function preActBlock(b: NetBuilder, x: Sym, planes: number, stride: number, name: string): Sym {
  const pre = b.relu(b.bn(x, `${name}_bn1`), `${name}_relu1`);
  const needsProjection = stride !== 1 || x.shape[3] !== planes;
  const short = needsProjection ? b.conv(pre, { filters: planes, kernel: 1, stride, bias: false, name: `${name}_shortcut` }) : x;
  let out = b.conv(pre, { filters: planes, kernel: 3, stride, padding: 1, bias: false, name: `${name}_conv1` });
  out = b.relu(b.bn(out, `${name}_bn2`), `${name}_relu2`);
  out = b.conv(out, { filters: planes, kernel: 3, padding: 1, bias: false, name: `${name}_conv2` });
  return b.add([out, short], `${name}_add`);
}

/** Builds PreActResNet with the given blocks per stage ([2,2,2,2] is PreActResNet18). */
export function buildPreActResNet(blocks: readonly number[], opts: BuildOptions, name = 'PreActResNet18'): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.conv(input, { filters: 64, kernel: 3, padding: 1, bias: false, name: 'conv1' });
  const planes = [64, 128, 256, 512];
  const strides = [1, 2, 2, 2];
  blocks.forEach((n, stage) => {
    for (let i = 0; i < n; i++) {
      x = preActBlock(b, x, planes[stage], i === 0 ? strides[stage] : 1, `layer${stage + 1}_${i}`);
    }
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name });
}
