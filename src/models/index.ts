/**
 * The model zoo: CIFAR architectures of the reference, He et al.'s CIFAR ResNets, a small
 * CNN for Fashion-MNIST, the standard ImageNet ResNets and the SE-ResNets the GAF authors
 * trained on ImageNet, all as tf.LayersModel.
 * @module
 */
export { INIT_MODES } from './layers';
export { createModel, listModels, modelNames, closestModelName, normalizeModelName } from './registry';
export type { CreateModelOptions, ModelInfo } from './registry';
export { countTrainableParams } from './params';
export type { InitMode } from './layers';
export { GroupedConv2D, ChannelSlice, ChannelZeroPad } from './custom-layers';
