/**
 * The CIFAR ResNets of He et al. 2016 ("Deep Residual Learning", section 4.2), sized for
 * CPUs: a 3x3 conv(16) + BN + ReLU, three stages of n basic blocks with 16, 32, 64 filters
 * (strides 1, 2, 2), global average pool, linear; depth = 6n + 2 (20, 32, 44, 56, 110).
 * Shortcuts are the paper's option A: identity, and where the shape changes the input is
 * subsampled (every second pixel) and zero-padded with planes/4 channels on each side, so
 * shortcuts add no parameters (ResNet-20: 269,722 parameters for 10 classes).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ChannelZeroPad } from './custom-layers';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** Depths offered (6n + 2). */
export type CifarResNetDepth = 20 | 32 | 44 | 56 | 110;

function optionAShortcut(b: NetBuilder, x: Sym, planes: number, stride: number, name: string): Sym {
  const inPlanes = x.shape[3] as number;
  if (stride === 1 && inPlanes === planes) return x;
  // A 1x1 average pool with stride 2 picks x[::2, ::2], like PyTorch's slicing.
  const sub = stride === 1 ? x : b.avgPool(x, 1, stride, `${name}_subsample`);
  const extra = planes - inPlanes;
  return new ChannelZeroPad({ before: Math.floor(extra / 2), after: extra - Math.floor(extra / 2), name: `${name}_pad` }).apply(sub) as Sym;
}

function block(b: NetBuilder, x: Sym, planes: number, stride: number, name: string): Sym {
  let out = b.convBnRelu(x, { filters: planes, kernel: 3, stride, padding: 1, name: `${name}_conv1` });
  out = b.convBn(out, { filters: planes, kernel: 3, padding: 1, name: `${name}_conv2` });
  return b.relu(b.add([out, optionAShortcut(b, x, planes, stride, name)], `${name}_add`), `${name}_out`);
}

/** Builds He et al.'s CIFAR ResNet-`depth`. */
export function buildCifarResNet(depth: CifarResNetDepth, opts: BuildOptions): tf.LayersModel {
  if ((depth - 2) % 6 !== 0) throw new Error(`CIFAR ResNet depth must be 6n+2, got ${depth}`);
  const n = (depth - 2) / 6;
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 16, kernel: 3, padding: 1, name: 'conv1' });
  [16, 32, 64].forEach((planes, stage) => {
    for (let i = 0; i < n; i++) {
      x = block(b, x, planes, stage > 0 && i === 0 ? 2 : 1, `layer${stage + 1}_${i}`);
    }
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: `resnet${depth}` });
}
