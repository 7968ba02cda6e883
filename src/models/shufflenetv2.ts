/**
 * ShuffleNetV2 as in the reference CIFAR zoo (stem 3x3 conv(24) stride 1, no max pool).
 * Basic unit: split channels in halves; the second half goes through 1x1 conv + BN + ReLU,
 * 3x3 depthwise + BN, 1x1 conv + BN + ReLU; concat [first half, result]; channel shuffle
 * (2 groups). Down-sampling unit: left = depthwise 3x3/2 + BN, 1x1 conv + BN + ReLU;
 * right = 1x1 conv + BN + ReLU, depthwise 3x3/2 + BN, 1x1 conv + BN + ReLU; concat, shuffle.
 * Head: 1x1 conv + BN + ReLU, global average pool, linear. No conv bias.
 * The reference hard-codes 10 classes; here the head follows numClasses.
 * The GAF authors' training scripts build `ShuffleNetV2(net_size=0.5)`, so the registry's
 * `ShuffleNetV2` is that size. Their CIFAR-100 copy of the file also narrows the head conv
 * from 1024 to 24 channels for sizes 0.5, 1 and 1.5 (an edit of theirs, not kuangliu's):
 * the registry's `ShuffleNetV2_head24` is that model (`headChannels` 24), `ShuffleNetV2` keeps
 * the 1024-wide head.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ChannelSlice } from './custom-layers';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** Width settings of the reference (net_size -> stage outputs and head width). */
export const SHUFFLENETV2_CONFIGS = {
  0.5: { outChannels: [48, 96, 192, 1024], blocks: [3, 7, 3] },
  1: { outChannels: [116, 232, 464, 1024], blocks: [3, 7, 3] },
  1.5: { outChannels: [176, 352, 704, 1024], blocks: [3, 7, 3] },
  2: { outChannels: [224, 488, 976, 2048], blocks: [3, 7, 3] },
} as const;

export type ShuffleNetV2Size = keyof typeof SHUFFLENETV2_CONFIGS;

function channels(x: Sym): number {
  return x.shape[3] as number;
}

/** PyTorch view(N,g,C/g,H,W).permute(0,2,1,3,4): channel i*(C/g)+j moves to j*g+i. */
export function channelShuffle(x: Sym, groups: number, name: string): Sym {
  const [h, w, c] = [x.shape[1] as number, x.shape[2] as number, channels(x)];
  let y = tf.layers.reshape({ targetShape: [h, w, groups, c / groups], name: `${name}_r1` }).apply(x) as Sym;
  y = tf.layers.permute({ dims: [1, 2, 4, 3], name: `${name}_perm` }).apply(y) as Sym;
  return tf.layers.reshape({ targetShape: [h, w, c], name: `${name}_r2` }).apply(y) as Sym;
}

function basicUnit(b: NetBuilder, x: Sym, name: string): Sym {
  const c = channels(x);
  const half = Math.floor(c / 2);
  const x1 = new ChannelSlice({ start: 0, size: half, name: `${name}_x1` }).apply(x) as Sym;
  const x2 = new ChannelSlice({ start: half, size: c - half, name: `${name}_x2` }).apply(x) as Sym;
  let out = b.convBnRelu(x2, { filters: half, kernel: 1, name: `${name}_conv1` });
  out = b.convBn(out, { filters: half, kernel: 3, padding: 1, groups: half, name: `${name}_conv2` });
  out = b.convBnRelu(out, { filters: half, kernel: 1, name: `${name}_conv3` });
  return channelShuffle(b.concat([x1, out], `${name}_cat`), 2, `${name}_shuffle`);
}

function downUnit(b: NetBuilder, x: Sym, outChannels: number, name: string): Sym {
  const cin = channels(x);
  const mid = Math.floor(outChannels / 2);
  let left = b.convBn(x, { filters: cin, kernel: 3, stride: 2, padding: 1, groups: cin, name: `${name}_conv1` });
  left = b.convBnRelu(left, { filters: mid, kernel: 1, name: `${name}_conv2` });
  let right = b.convBnRelu(x, { filters: mid, kernel: 1, name: `${name}_conv3` });
  right = b.convBn(right, { filters: mid, kernel: 3, stride: 2, padding: 1, groups: mid, name: `${name}_conv4` });
  right = b.convBnRelu(right, { filters: mid, kernel: 1, name: `${name}_conv5` });
  return channelShuffle(b.concat([left, right], `${name}_cat`), 2, `${name}_shuffle`);
}

/**
 * Builds ShuffleNetV2 of the given width (the GAF scripts use 0.5), with a head conv of
 * `headChannels` (default: the width's own, 1024 for 0.5).
 */
export function buildShuffleNetV2(
  size: ShuffleNetV2Size,
  opts: BuildOptions,
  headChannels: number = SHUFFLENETV2_CONFIGS[size].outChannels[3],
  name = 'ShuffleNetV2',
): tf.LayersModel {
  const cfg = SHUFFLENETV2_CONFIGS[size];
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 24, kernel: 3, padding: 1, name: 'conv1' });
  cfg.blocks.forEach((n, stage) => {
    x = downUnit(b, x, cfg.outChannels[stage], `layer${stage + 1}_down`);
    for (let i = 0; i < n; i++) x = basicUnit(b, x, `layer${stage + 1}_${i}`);
  });
  x = b.convBnRelu(x, { filters: headChannels, kernel: 1, name: 'conv2' });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name });
}
