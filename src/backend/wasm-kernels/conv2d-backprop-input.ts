/**
 * Conv2DBackpropInput for the wasm backend, as a forward convolution on XNNPACK.
 *
 * tfjs-backend-wasm's own kernel is a direct loop in C++: 520 ms for the input gradient of a
 * 3x3, 32->64 convolution on [128, 16, 16, 32], where a forward convolution of the same size
 * takes about 50 ms. The input gradient is the transposed convolution:
 * dx[h] = sum_i dyUp[h + padTop - i] W[i] (dyUp: dy with sh-1 zeros between rows, likewise
 * for columns); substituting i = fh-1-k gives dx[h] = sum_k Z[h + k] Wrev[k] with
 * Z[u] = dyUp[u - (fh-1-padTop)]: a stride-1 'valid' convolution of Z, a zero grid of
 * [B, H+fh-1, W+fw-1, out] holding dy, with the filter reversed in space and its in/out
 * channels swapped. With stride 1 and non-negative pads Z is dy plus zero borders, which the
 * convolution's own padding provides, so no copy is made.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, shapeAttr } from './conv-attrs';
import { scatterStrided } from './heap-copies';
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';
import { heapF32, Scratch, withScratch } from './wasm-backend-access';

const NAME = 'Conv2DBackpropInput';

/** W [fh, fw, in, out] -> W' [fh, fw, out, in] with W'[k, l] = W[fh-1-k, fw-1-l]: the filter of the transposed convolution. */
export function transposedConvFilter(s: Scratch, filter: tf.TensorInfo): tf.TensorInfo {
  const reversed = s.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = s.transpose(reversed, [0, 1, 3, 2]);
  s.free(reversed);
  return swapped;
}

function fastConv2dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs ?? {};
  const dy = args.inputs['dy']!;
  const filter = args.inputs['filter']!;
  const inputShape = shapeAttr(NAME, attrs, 'inputShape');
  const info = convGradGeometry(NAME, inputShape, filter.shape, dy.shape, attrs, false);
  const [fh, fw, , CO] = filter.shape as [number, number, number, number];
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const top = fh - 1 - info.padInfo.top;
  const left = fw - 1 - info.padInfo.left;
  const Hz = H + fh - 1;
  const Wz = W + fw - 1;
  const bottom = Hz - top - ((oh - 1) * sh + 1);
  const right = Wz - left - ((ow - 1) * sw + 1);
  return withScratch(NAME, args.backend, (s) => {
    let z: tf.TensorInfo = dy;
    let pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] = 'valid';
    if (sh === 1 && sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
      pad = [[0, 0], [top, bottom], [left, right], [0, 0]];
    } else {
      z = s.alloc([B, Hz, Wz, CO]);
      scatterStrided(heapF32(s.backend, dy), [B, oh, ow, CO], heapF32(s.backend, z), [B, Hz, Wz, CO], sh, sw, top, left);
    }
    const w = transposedConvFilter(s, filter);
    return s.keep(s.run('Conv2D', { x: z, filter: w }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' }));
  });
}

/**
 * Replacement for wasm 'Conv2DBackpropInput': float32 NHWC goes through XNNPACK; anything else
 * (NCHW, other dtypes) to tfjs-backend-wasm's own kernel.
 */
export const conv2dBackpropInputReplacement: KernelReplacement = {
  name: NAME,
  make: (original: WasmKernelFunc): WasmKernelFunc => (args) => {
    const { dy, filter } = args.inputs;
    const format = args.attrs?.['dataFormat'];
    if (dy?.dtype !== 'float32' || filter?.dtype !== 'float32' || (format !== undefined && format !== null && format !== 'NHWC')) return original(args);
    return fastConv2dBackpropInput(args);
  },
};
