/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend: the gradient of a depthwise
 * convolution with respect to its filter [fh, fw, C, M] (M = channel multiplier).
 *
 * dW[i, j, c, m] = sum_n P_c[n, (i, j)] * dy[n, c*M + m], where P_c is the im2col matrix of
 * input channel c alone. Channels are independent, so this is one small matrix product per
 * channel: a batched BatchMatMul over C of dy^T [C, M, N] x P [C, N, taps]. The input is
 * transposed once to channel-major [C, B, H, W] so that each channel's taps are gathered with
 * row copies ({@link gatherTaps}).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { gatherTaps } from './heap-copies';
import { tapGroups } from './tap-groups';
import { heapF32, withScratch } from './wasm-backend-access';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

/** kernelFunc: inputs {x, dy}; attrs {strides, pad, dilations, dimRoundingMode, filterShape}. */
export function depthwiseBackpropFilter({ inputs, backend, attrs = {} }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = requireFloat32(NAME, { x: inputs['x'], dy: inputs['dy'] });
  const filterShape = shapeAttr(NAME, attrs, 'filterShape');
  const info = convGradGeometry(NAME, x.shape, filterShape, dy.shape, attrs, true);
  const [fh, fw, C, M] = filterShape as [number, number, number, number];
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
  const N = B * oh * ow;
  const grid = {
    outH: oh,
    outW: ow,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  return withScratch(NAME, backend, (s) => {
    const xT = s.transpose(x, [3, 0, 1, 2]); // [C, B, H, W]
    // dy channel index is c*M + m, so its transpose [C*M, N] splits into [C, M, N].
    const dyT = s.reshape(s.transpose(s.reshape(dy, [N, C * M]), [1, 0]), [C, M, N]);
    const parts: tf.TensorInfo[] = [];
    for (const group of tapGroups(fh, fw, N * C)) {
      const P = s.alloc([C, N, group.length]);
      // Viewing [C, B, H, W] as [C*B, H, W, 1] makes the gathered layout [C, B*oh*ow, taps].
      gatherTaps(heapF32(s.backend, xT), [C * B, H, W, 1], group, grid, heapF32(s.backend, P));
      parts.push(s.matMul(dyT, P)); // [C, M, taps]
      s.free(P);
    }
    const dW = s.transpose(s.concat(parts, 2), [2, 0, 1]); // [fh*fw, C, M]
    return s.keep(s.reshape(dW, filterShape));
  });
}

/** Registration config for tf.registerKernel. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
