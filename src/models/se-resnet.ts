/**
 * SE-ResNet-18/50 for ImageNet: the torchvision ResNet body (imagenet-resnet.ts) with a
 * squeeze-excitation layer (Hu et al.) on every residual branch, after its last BN and before
 * the addition: global average pool, Linear(C, C/16) with bias, ReLU, Linear(C/16, C) with bias,
 * sigmoid, channel-wise product. C is the branch's output width (planes for basic blocks,
 * 4*planes for bottlenecks). This is the SE-ResNet the authors' ImageNet script trains
 * (`se_resnet18`, `se_resnet50`); with 1000 classes it has 11,778,592 and 28,088,024
 * trainable parameters.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { buildImageNetResNetWith } from './imagenet-resnet';
import { BuildOptions, NetBuilder, Sym } from './layers';
import { makeBasicBlock, makeBottleneckBlock, RESNET_CONFIGS, type BlockKind, type BranchHook } from './resnet';

/** Reduction of the squeeze-excitation bottleneck (C -> C/16 -> C). */
export const SE_REDUCTION = 16;

/** Squeeze-excitation of a branch: its channels rescaled by sigmoid(fc2(relu(fc1(mean over H, W)))). */
export const squeezeExcitation: BranchHook = (b: NetBuilder, branch: Sym, name: string): Sym => {
  const c = branch.shape[3] as number;
  let w = b.globalAvgPool(branch, `${name}_se_pool`);
  w = b.relu(b.dense(w, Math.floor(c / SE_REDUCTION), `${name}_se_fc1`), `${name}_se_relu`);
  w = b.act(b.dense(w, c, `${name}_se_fc2`), 'sigmoid', `${name}_se_sigmoid`);
  w = tf.layers.reshape({ targetShape: [1, 1, c], name: `${name}_se_reshape` }).apply(w) as Sym;
  return b.multiply([branch, w], `${name}_se_scale`);
};

const SE_BASIC: BlockKind = { block: makeBasicBlock(squeezeExcitation), expansion: 1 };
const SE_BOTTLENECK: BlockKind = { block: makeBottleneckBlock(squeezeExcitation), expansion: 4 };

/** Depths of the SE-ResNets built here. */
export type SeResNetDepth = 18 | 50;

/** Builds SE-ResNet-`depth` for ImageNet-sized inputs (224x224 is standard). */
export function buildSeResNet(depth: SeResNetDepth, opts: BuildOptions): tf.LayersModel {
  const kind = depth === 18 ? SE_BASIC : SE_BOTTLENECK;
  return buildImageNetResNetWith(kind, RESNET_CONFIGS[depth].blocks, opts, `imagenet_se_resnet${depth}`);
}
