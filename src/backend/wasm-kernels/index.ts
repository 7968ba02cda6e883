/**
 * Gradient kernels that let the TensorFlow.js `wasm` backend train conv nets.
 *
 * tfjs-backend-wasm 4.22 has the forward convolutions but not the filter gradient of Conv2D
 * nor either gradient of the depthwise convolution, so `optimizer.minimize` on any conv net
 * fails with "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'". This module
 * registers them. It is the one place to replace when faster versions exist.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input';

/** What one gaf-lab wasm kernel is for and where its limits are. */
export interface WasmGradientKernelInfo {
  /** tfjs kernel name. */
  readonly name: string;
  /** Which training step needs it. */
  readonly neededFor: string;
  /** How it is computed (which wasm kernels do the arithmetic). */
  readonly method: string;
  /** Attribute values and cases it handles. */
  readonly supports: readonly string[];
  /** What it rejects with an Error naming the kernel and the attribute. */
  readonly unsupported: readonly string[];
}

const COMMON_SUPPORT = [
  'float32 tensors',
  "pad 'same', 'valid', a non-negative integer, or explicit [[0,0],[top,bottom],[left,right],[0,0]]",
  "dimRoundingMode 'floor' | 'round' | 'ceil' (with numeric or explicit pad, as in tfjs)",
  'strides: a positive integer or [h, w]; any batch size; odd/even sizes; non-square filters',
] as const;

const COMMON_UNSUPPORTED = [
  "dataFormat other than 'NHWC' (e.g. 'NCHW')",
  'dtypes other than float32',
  'explicit padding on the batch or channel dimension, negative or fractional pads',
] as const;

/** The kernels {@link registerWasmGradientKernels} provides, with what each supports. */
export const WASM_GRADIENT_KERNELS: readonly WasmGradientKernelInfo[] = [
  {
    name: 'Conv2DBackpropFilter',
    neededFor: 'the filter gradient of every Conv2D (tf.layers.conv2d, the pointwise half of separableConv2d)',
    method: 'im2col of the input in tap groups (JS row copies on the wasm heap) and one XNNPACK BatchMatMul per group: dW^T = dy^T x P',
    supports: [...COMMON_SUPPORT],
    unsupported: [...COMMON_UNSUPPORTED, 'dilations > 1 (tfjs defines Conv2D gradients for dilation 1 only)'],
  },
  {
    name: 'DepthwiseConv2dNativeBackpropFilter',
    neededFor:
      'the filter gradient of depthwise convolutions (tf.layers.depthwiseConv2d, separableConv2d; MobileNet, MobileNetV2, ShuffleNetV2, EfficientNet)',
    method: 'per-channel im2col (input transposed to channel-major once) and a BatchMatMul batched over channels',
    supports: [...COMMON_SUPPORT, 'channel multiplier >= 1', 'dilations > 1 with stride 1'],
    unsupported: [...COMMON_UNSUPPORTED, 'dilations > 1 together with strides > 1'],
  },
  {
    name: 'DepthwiseConv2dNativeBackpropInput',
    neededFor: 'the input gradient of depthwise convolutions that are not the first layer',
    method:
      'transposed convolution: dy spread with stride gaps and padded (JS copies), then the wasm DepthwiseConv2dNative with the reversed filter; Sum over the channel multiplier',
    supports: [...COMMON_SUPPORT, 'channel multiplier >= 1', 'dilations > 1 with stride 1'],
    unsupported: [...COMMON_UNSUPPORTED, 'dilations > 1 together with strides > 1'],
  },
];

const CONFIGS: readonly tf.KernelConfig[] = [conv2dBackpropFilterConfig, depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig];

/**
 * Registers, for backend 'wasm', each kernel of {@link WASM_GRADIENT_KERNELS} that no one has
 * registered yet (a later tfjs-backend-wasm that ships its own keeps its own).
 * It only adds kernels: replacing what tfjs has is `setFastTraining`'s job.
 *
 * Safe to call any number of times, before or after `tf.setBackend('wasm')`: kernels are
 * looked up by name when they run.
 * @returns the names of the missing kernels registered by this call (empty when all were already there).
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of CONFIGS) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    registered.push(config.kernelName);
  }
  return registered;
}

export { setIm2colBudget, DEFAULT_IM2COL_BUDGET_FLOATS } from './tap-groups';
export { registerWasmFastKernels, unregisterWasmFastKernels, WASM_FAST_KERNELS } from './fast-kernels';
export type { WasmFastKernelInfo } from './fast-kernels';
