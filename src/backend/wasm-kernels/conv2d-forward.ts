/**
 * Conv2D and FusedConv2D for the wasm backend on gaf-lab's own SIMD convolution
 * ({@link directConv2d}), which runs at 1.2-1.5x the rate of XNNPACK on one thread for up to 128 input channels (3x3), and on
 * every thread of the run. What it does not cover goes to tfjs-backend-wasm's own kernel
 * (XNNPACK): NCHW, non-float32, output channels not in fours, a fused activation other than
 * linear, PReLU weights, a bias that is not one value per output channel.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { directConv2d, directConvPays } from './conv2d-direct';
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';
import { simdRunner, withScratch } from './wasm-backend-access';

type Args = Parameters<WasmKernelFunc>[0];

function direct(name: string, args: Args, original: WasmKernelFunc): tf.TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const attrs = args.attrs ?? {};
  const format = attrs['dataFormat'];
  const activation = attrs['activation'];
  if (
    x?.dtype !== 'float32' ||
    filter?.dtype !== 'float32' ||
    x.shape.length !== 4 ||
    filter.shape.length !== 4 ||
    (format !== undefined && format !== null && format !== 'NHWC') ||
    (activation !== undefined && activation !== null && activation !== 'linear') ||
    preluActivationWeights !== undefined ||
    (bias !== undefined && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== filter.shape[3]))
  )
    return original(args);
  const dilations = (attrs['dilations'] ?? [1, 1]) as number | [number, number];
  let info: tf.backend_util.Conv2DInfo;
  try {
    info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs['strides'] as number | [number, number],
      dilations,
      attrs['pad'] as 'same' | 'valid' | number,
      (attrs['dimRoundingMode'] ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
    );
  } catch {
    return original(args); // tfjs's own kernel gives its own error for attributes it rejects
  }
  const runner = simdRunner(args.backend);
  if (typeof runner === 'string' || !directConvPays(info) || info.inChannels !== x.shape[3]) return original(args);
  return withScratch(name, args.backend, (s) => s.keep(directConv2d(s, x, filter, bias, info, runner)));
}

/** Replacement for wasm 'Conv2D'. */
export const conv2dReplacement: KernelReplacement = {
  name: 'Conv2D',
  make: (original) => (args) => direct('Conv2D', args, original),
};

/** Replacement for wasm 'FusedConv2D' (linear activation, with or without bias). */
export const fusedConv2dReplacement: KernelReplacement = {
  name: 'FusedConv2D',
  make: (original) => (args) => direct('FusedConv2D', args, original),
};
