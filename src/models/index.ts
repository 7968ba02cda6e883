/**
 * The model zoo: CIFAR architectures of the reference, He et al.'s CIFAR ResNets, a small
 * CNN for Fashion-MNIST and the standard ImageNet ResNets, all as tf.LayersModel.
 * @module
 */
export { createModel, listModels, modelNames, closestModelName, normalizeModelName } from './registry';
export type { CreateModelOptions, ModelInfo } from './registry';
export { countTrainableParams } from './params';
export type { InitMode } from './layers';
export { GroupedConv2D, ChannelSlice, ChannelZeroPad } from './custom-layers';
