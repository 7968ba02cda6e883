/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend: the gradient of a depthwise
 * convolution with respect to its input.
 *
 * It is the transposed convolution: spread dy over a zero grid with stride-1 gaps between
 * pixels, pad it by (effective filter size - 1 - forward pad) on the top/left, and run the
 * wasm (XNNPACK) DepthwiseConv2dNative over it, stride 1, with the spatially reversed filter
 * and the forward dilation. Each of the C*M output channels of that convolution belongs to
 * one (c, m) pair; summing over m gives dx. With stride 1 and non-negative pads the zero grid
 * is not built: the padding is passed to the convolution instead.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { scatterStrided } from './heap-copies';
import { heapF32, withScratch } from './wasm-backend-access';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

/** kernelFunc: inputs {dy, filter}; attrs {strides, pad, dilations, dimRoundingMode, inputShape}. */
export function depthwiseBackpropInput({
  inputs,
  backend,
  attrs = {},
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, filter } = requireFloat32(NAME, { dy: inputs['dy'], filter: inputs['filter'] });
  const inputShape = shapeAttr(NAME, attrs, 'inputShape');
  const info = convGradGeometry(NAME, inputShape, filter.shape, dy.shape, attrs, true);
  const [fh, fw, C, M] = filter.shape as [number, number, number, number];
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const effH = info.effectiveFilterHeight;
  const effW = info.effectiveFilterWidth;
  // Grid Z of height H + effH - 1 so that a 'valid' correlation with the reversed filter has
  // height H; dy pixel y lands at row y*sh + top. Derivation: dx[h] = sum_i dy_up[h + padTop - i*d] W[i];
  // substituting i = fh-1-k gives sum_k Z[h + k*d] Wrev[k] with Z[u] = dy_up[u - top].
  const top = effH - 1 - info.padInfo.top;
  const left = effW - 1 - info.padInfo.left;
  const Hz = H + effH - 1;
  const Wz = W + effW - 1;
  const bottom = Hz - top - ((oh - 1) * sh + 1);
  const right = Wz - left - ((ow - 1) * sw + 1);
  return withScratch(NAME, backend, (s) => {
    let z: tf.TensorInfo = dy;
    let pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] = 'valid';
    if (sh === 1 && sw === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
      pad = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ];
    } else {
      z = s.alloc([B, Hz, Wz, C * M]);
      scatterStrided(heapF32(s.backend, dy), [B, oh, ow, C * M], heapF32(s.backend, z), [B, Hz, Wz, C * M], sh, sw, top, left);
    }
    const reversed = s.reshape(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [fh, fw, C * M, 1]);
    const perPair = s.run(
      'DepthwiseConv2dNative',
      { x: z, filter: reversed },
      { strides: [1, 1], pad, dilations: [info.dilationHeight, info.dilationWidth], dataFormat: 'NHWC' },
    ); // [B, H, W, C*M]
    if (M === 1) return s.keep(perPair);
    return s.keep(s.run('Sum', { x: s.reshape(perPair, [B, H, W, C, M]) }, { axis: [4], keepDims: false }));
  });
}

/** Registration config for tf.registerKernel. */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};
