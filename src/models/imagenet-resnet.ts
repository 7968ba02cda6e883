/**
 * The standard ImageNet ResNet-18, ResNet-34 and ResNet-50 (torchvision layout, stride on the
 * 3x3 convolution of the bottleneck): 7x7/2 stem conv + BN + ReLU, 3x3/2 max pool, the four
 * stages of resnet.ts, global average pool, Linear(512*expansion, numClasses).
 * 11,689,512, 21,797,672 and 25,557,032 trainable parameters with 1000 classes.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder } from './layers';
import { RESNET_CONFIGS, resnetStages, type BlockKind } from './resnet';

export type ImageNetResNetDepth = 18 | 34 | 50;

/** The torchvision stem and head around stages of `kind` blocks (also used by the SE-ResNets). */
export function buildImageNetResNetWith(kind: BlockKind, blocks: readonly number[], opts: BuildOptions, name: string): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 64, kernel: 7, stride: 2, padding: 3, name: 'conv1' });
  // PyTorch pads this max pool with -inf; after the ReLU zero padding gives the same result.
  x = b.maxPool(x, 3, 2, 1, 'maxpool');
  x = resnetStages(b, x, kind, blocks);
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'fc');
  return tf.model({ inputs: input, outputs: x, name });
}

/** Builds the ImageNet ResNet-`depth` (any input of at least 32x32; 224x224 is standard). */
export function buildImageNetResNet(depth: ImageNetResNetDepth, opts: BuildOptions): tf.LayersModel {
  const { kind, blocks } = RESNET_CONFIGS[depth];
  return buildImageNetResNetWith(kind, blocks, opts, `imagenet_resnet${depth}`);
}
