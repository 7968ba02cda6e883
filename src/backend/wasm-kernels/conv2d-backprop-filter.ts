/**
 * Conv2DBackpropFilter for the wasm backend: the gradient of a 2-D convolution with respect
 * to its filter.
 *
 * With P the im2col matrix of the input (one row per output pixel n, one column per filter
 * entry (i, j, c)), dW[(i,j,c), o] = sum_n P[n, (i,j,c)] * dy[n, o]. It is computed
 * transposed, dW^T = dy^T x P, because the wasm BatchMatMul takes XNNPACK's fast path only
 * for batch 1 without transposed operands (a transposed operand was 40x slower for a
 * 1024^3 product). P is gathered in tap groups ({@link tapGroups}) to bound memory.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { gatherTaps } from './heap-copies';
import { tapGroups } from './tap-groups';
import { heapF32, withScratch } from './wasm-backend-access';

const NAME = 'Conv2DBackpropFilter';

/** kernelFunc: inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilter({
  inputs,
  backend,
  attrs = {},
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = requireFloat32(NAME, { x: inputs['x'], dy: inputs['dy'] });
  const filterShape = shapeAttr(NAME, attrs, 'filterShape');
  const info = convGradGeometry(NAME, x.shape, filterShape, dy.shape, attrs, false);
  const [fh, fw, C, CO] = filterShape as [number, number, number, number];
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
  const N = B * oh * ow;
  const grid = {
    outH: oh,
    outW: ow,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: 1,
    dilationW: 1,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  return withScratch(NAME, backend, (s) => {
    const dyT = s.reshape(s.transpose(s.reshape(dy, [N, CO]), [1, 0]), [1, CO, N]);
    const parts: tf.TensorInfo[] = [];
    for (const group of tapGroups(fh, fw, N * C)) {
      const P = s.alloc([1, N, group.length * C]);
      gatherTaps(heapF32(s.backend, x), [B, H, W, C], group, grid, heapF32(s.backend, P));
      parts.push(s.matMul(dyT, P)); // [1, CO, taps*C]
      s.free(P);
    }
    const dWT = s.reshape(s.concat(parts, 2), [CO, fh * fw * C]);
    return s.keep(s.reshape(s.transpose(dWT, [1, 0]), filterShape));
  });
}

/** Registration config for tf.registerKernel. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
