/**
 * ResNet-18/34/50/101/152 as in the reference CIFAR zoo (3x3 stem with stride 1, no max
 * pool, stages of 64/128/256/512 planes with strides 1/2/2/2, global average pool, one
 * linear layer). Convolutions have no bias (BN follows). A block's shortcut is a 1x1
 * convolution + BN when the stride or the channel count changes, the identity otherwise.
 *
 * The block functions are shared with the ImageNet ResNets (imagenet-resnet.ts), which
 * differ only in the stem and the head.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** A residual block: (builder, input, planes, stride, name) -> output. */
export type ResidualBlock = (b: NetBuilder, x: Sym, planes: number, stride: number, name: string) => Sym;

/** Output channels of a block with `planes` (BasicBlock: planes, Bottleneck: 4*planes). */
export interface BlockKind {
  block: ResidualBlock;
  expansion: number;
}

function shortcut(b: NetBuilder, x: Sym, outPlanes: number, stride: number, name: string): Sym {
  const inPlanes = x.shape[3];
  if (stride === 1 && inPlanes === outPlanes) return x;
  return b.convBn(x, { filters: outPlanes, kernel: 1, stride, name: `${name}_shortcut` });
}

/** What a block does to its residual branch just before the addition (e.g. squeeze-excitation). */
export type BranchHook = (b: NetBuilder, branch: Sym, name: string) => Sym;

const noHook: BranchHook = (_b, branch) => branch;

/** conv3x3-BN-ReLU-conv3x3-BN, `hook`, plus shortcut, ReLU. */
export function makeBasicBlock(hook: BranchHook = noHook): ResidualBlock {
  return (b, x, planes, stride, name) => {
    let out = b.convBnRelu(x, { filters: planes, kernel: 3, stride, padding: 1, name: `${name}_conv1` });
    out = hook(b, b.convBn(out, { filters: planes, kernel: 3, padding: 1, name: `${name}_conv2` }), name);
    const sum = b.add([out, shortcut(b, x, planes, stride, name)], `${name}_add`);
    return b.relu(sum, `${name}_out`);
  };
}

/** conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(4x)-BN, `hook`, plus shortcut, ReLU. */
export function makeBottleneckBlock(hook: BranchHook = noHook): ResidualBlock {
  return (b, x, planes, stride, name) => {
    let out = b.convBnRelu(x, { filters: planes, kernel: 1, name: `${name}_conv1` });
    out = b.convBnRelu(out, { filters: planes, kernel: 3, stride, padding: 1, name: `${name}_conv2` });
    out = hook(b, b.convBn(out, { filters: 4 * planes, kernel: 1, name: `${name}_conv3` }), name);
    const sum = b.add([out, shortcut(b, x, 4 * planes, stride, name)], `${name}_add`);
    return b.relu(sum, `${name}_out`);
  };
}

/** conv3x3-BN-ReLU-conv3x3-BN, plus shortcut, ReLU. */
export const basicBlock: ResidualBlock = makeBasicBlock();

/** conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(4x)-BN, plus shortcut, ReLU. */
export const bottleneckBlock: ResidualBlock = makeBottleneckBlock();

export const BASIC: BlockKind = { block: basicBlock, expansion: 1 };
export const BOTTLENECK: BlockKind = { block: bottleneckBlock, expansion: 4 };

/** Depths the reference defines, with their block kind and blocks per stage. */
export const RESNET_CONFIGS = {
  18: { kind: BASIC, blocks: [2, 2, 2, 2] },
  34: { kind: BASIC, blocks: [3, 4, 6, 3] },
  50: { kind: BOTTLENECK, blocks: [3, 4, 6, 3] },
  101: { kind: BOTTLENECK, blocks: [3, 4, 23, 3] },
  152: { kind: BOTTLENECK, blocks: [3, 8, 36, 3] },
} as const;

export type ResNetDepth = keyof typeof RESNET_CONFIGS;

/** The four stages (64, 128, 256, 512 planes; strides 1, 2, 2, 2). */
export function resnetStages(b: NetBuilder, x: Sym, kind: BlockKind, blocks: readonly number[]): Sym {
  const planes = [64, 128, 256, 512];
  const strides = [1, 2, 2, 2];
  let out = x;
  blocks.forEach((n, stage) => {
    for (let i = 0; i < n; i++) {
      out = kind.block(b, out, planes[stage], i === 0 ? strides[stage] : 1, `layer${stage + 1}_${i}`);
    }
  });
  return out;
}

/** Builds the reference's CIFAR ResNet-`depth`. */
export function buildResNet(depth: ResNetDepth, opts: BuildOptions): tf.LayersModel {
  const { kind, blocks } = RESNET_CONFIGS[depth];
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 64, kernel: 3, padding: 1, name: 'conv1' });
  x = resnetStages(b, x, kind, blocks);
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: `ResNet${depth}` });
}
