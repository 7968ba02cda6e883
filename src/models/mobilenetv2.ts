/**
 * MobileNetV2 as in the reference CIFAR zoo (stem stride 1 and the second stage stride 1
 * for 32x32 inputs). Inverted residual block: 1x1 expand (even when the expansion is 1) +
 * BN + ReLU, 3x3 depthwise + BN + ReLU, 1x1 project + BN (linear). With stride 1 the block
 * adds a shortcut: identity, or 1x1 conv + BN when the channel count changes (the reference's
 * choice; the paper has no shortcut there). Head: 1x1 conv(1280) + BN + ReLU, global
 * average pool, Linear(1280, numClasses). No conv bias.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** (expansion, out planes, blocks, stride of the first block) per stage. */
export const MOBILENETV2_CONFIG: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 1],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function invertedResidual(b: NetBuilder, x: Sym, outPlanes: number, expansion: number, stride: number, name: string): Sym {
  const inPlanes = x.shape[3] as number;
  const planes = expansion * inPlanes;
  let out = b.convBnRelu(x, { filters: planes, kernel: 1, name: `${name}_expand` });
  out = b.convBnRelu(out, { filters: planes, kernel: 3, stride, padding: 1, groups: planes, name: `${name}_dw` });
  out = b.convBn(out, { filters: outPlanes, kernel: 1, name: `${name}_project` });
  if (stride !== 1) return out;
  const short = inPlanes === outPlanes ? x : b.convBn(x, { filters: outPlanes, kernel: 1, name: `${name}_shortcut` });
  return b.add([out, short], `${name}_add`);
}

/** Builds MobileNetV2 for CIFAR. */
export function buildMobileNetV2(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 32, kernel: 3, padding: 1, name: 'conv1' });
  let k = 0;
  for (const [expansion, outPlanes, blocks, stride] of MOBILENETV2_CONFIG) {
    for (let i = 0; i < blocks; i++) {
      x = invertedResidual(b, x, outPlanes, expansion, i === 0 ? stride : 1, `block${k++}`);
    }
  }
  x = b.convBnRelu(x, { filters: 1280, kernel: 1, name: 'conv2' });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: 'MobileNetV2' });
}
