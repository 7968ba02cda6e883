/**
 * GoogLeNet (Inception v1) as in the reference CIFAR zoo: 3x3 stem conv(192) + BN + ReLU,
 * inception modules a3 b3, max pool, a4..e4, max pool, a5 b5, 8x8 average pool (global on
 * 32x32 inputs), Linear(1024, numClasses). Every conv keeps PyTorch's default bias and is
 * followed by BN + ReLU. The "5x5" branch is two stacked 3x3 convolutions, as in the
 * reference.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** in_planes is implied; [n1x1, n3x3red, n3x3, n5x5red, n5x5, poolPlanes]. */
export type InceptionSpec = [number, number, number, number, number, number];

export const GOOGLENET_MODULES: Record<string, InceptionSpec> = {
  a3: [64, 96, 128, 16, 32, 32],
  b3: [128, 128, 192, 32, 96, 64],
  a4: [192, 96, 208, 16, 48, 64],
  b4: [160, 112, 224, 24, 64, 64],
  c4: [128, 128, 256, 24, 64, 64],
  d4: [112, 144, 288, 32, 64, 64],
  e4: [256, 160, 320, 32, 128, 128],
  a5: [256, 160, 320, 32, 128, 128],
  b5: [384, 192, 384, 48, 128, 128],
};

function cbr(b: NetBuilder, x: Sym, filters: number, kernel: 1 | 3, name: string): Sym {
  const y = b.conv(x, { filters, kernel, padding: kernel === 3 ? 1 : 0, bias: true, name });
  return b.relu(b.bn(y, `${name}_bn`), `${name}_relu`);
}

function inception(b: NetBuilder, x: Sym, spec: InceptionSpec, name: string): Sym {
  const [n1, n3r, n3, n5r, n5, np] = spec;
  const y1 = cbr(b, x, n1, 1, `${name}_b1`);
  const y2 = cbr(b, cbr(b, x, n3r, 1, `${name}_b2_1`), n3, 3, `${name}_b2_2`);
  const y3a = cbr(b, x, n5r, 1, `${name}_b3_1`);
  const y3 = cbr(b, cbr(b, y3a, n5, 3, `${name}_b3_2`), n5, 3, `${name}_b3_3`);
  const y4 = cbr(b, b.maxPoolSame(x, 3, `${name}_b4_pool`), np, 1, `${name}_b4`);
  return b.concat([y1, y2, y3, y4], `${name}_cat`);
}

/** Builds GoogLeNet for CIFAR. */
export function buildGoogLeNet(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const m = GOOGLENET_MODULES;
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = cbr(b, input, 192, 3, 'pre');
  x = inception(b, x, m.a3, 'a3');
  x = inception(b, x, m.b3, 'b3');
  // Pools follow concatenated ReLU outputs (>= 0): zero padding equals PyTorch's -inf padding.
  x = b.maxPool(x, 3, 2, 1, 'maxpool1');
  for (const k of ['a4', 'b4', 'c4', 'd4', 'e4']) x = inception(b, x, m[k], k);
  x = b.maxPool(x, 3, 2, 1, 'maxpool2');
  x = inception(b, x, m.a5, 'a5');
  x = inception(b, x, m.b5, 'b5');
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: 'GoogLeNet' });
}
