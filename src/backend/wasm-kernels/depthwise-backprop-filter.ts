/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend: the gradient of a depthwise
 * convolution with respect to its filter [fh, fw, C, M] (M = channel multiplier).
 *
 * dW[i, j, c, m] = sum over (b, r, q) of dy[b, r, q, c*M + m] * xpad[b, r*sh + i*dh, q*sw + j*dw, c].
 * Channels are independent, so it is one small matrix product per channel, done as one
 * BatchMatMul batched over C: dy [C, M, L] x P^T, P [C, taps, L].
 *
 * P is built with contiguous copies only ("shifted windows"): the padded input is stored
 * channel-major and split into its sh x sw stride phases, [C, sh, sw, B, Hq, Wq] (wasm
 * Transpose/PadV2), and dy is zero-extended to [C, M, B, Hq, Wq]. In that layout every tap
 * reads one phase at one constant flat offset, so its column of P is a single slice of the
 * phase block. Grid positions outside dy are 0 in dy, so what P holds there does not matter
 * (it is input data or 0; only a NaN/Inf in the input could leak through a 0 there). A
 * per-element im2col in JS was measured at about 1 s for a [32,32,32,96] input, several times
 * the cost of these contiguous copies.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { copyShiftedWindows } from './heap-copies';
import { phaseGrid, phaseSplitInput } from './phase-grid';
import { tapGroups } from './tap-groups';
import { heapF32, withScratch, type Scratch } from './wasm-backend-access';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

/** The checked inputs and geometry both depthwise filter-gradient kernels start from. */
export interface DepthwiseFilterProblem {
  x: tf.TensorInfo;
  dy: tf.TensorInfo;
  filterShape: number[];
  info: ReturnType<typeof convGradGeometry>;
  grid: ReturnType<typeof phaseGrid>;
  fh: number;
  fw: number;
  C: number;
  M: number;
}

/** Validates the kernel's inputs and attrs (errors name `kernel`) and computes the phase grid. */
export function depthwiseFilterProblem(kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): DepthwiseFilterProblem {
  const { x, dy } = requireFloat32(kernel, { x: inputs['x'], dy: inputs['dy'] });
  const filterShape = shapeAttr(kernel, attrs, 'filterShape');
  const info = convGradGeometry(kernel, x.shape, filterShape, dy.shape, attrs, true);
  const [fh, fw, C, M] = filterShape as [number, number, number, number];
  return { x, dy, filterShape, info, grid: phaseGrid(info), fh, fw, C, M };
}

/**
 * dy channel-major and zero-extended to the phase grid: [C*M, L] in the scratch heap. The dy
 * channel index is c*M + m, so row c*M + m holds channel c, multiplier m.
 */
export function dyOnPhaseGrid(s: Scratch, p: DepthwiseFilterProblem): tf.TensorInfo {
  const { outHeight: oh, outWidth: ow } = p.info;
  const dyT = s.transpose(p.dy, [3, 0, 1, 2]); // [C*M, B, oh, ow]
  const dyGrid = s.run(
    'PadV2',
    { x: dyT },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, p.grid.Hq - oh],
        [0, p.grid.Wq - ow],
      ],
      constantValue: 0,
    },
  );
  s.free(dyT);
  return dyGrid;
}

/** kernelFunc: inputs {x, dy}; attrs {strides, pad, dilations, dimRoundingMode, filterShape}. */
export function depthwiseBackpropFilter({
  inputs,
  backend,
  attrs = {},
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const p = depthwiseFilterProblem(NAME, inputs, attrs);
  const { x, filterShape, info, grid, fh, fw, C, M } = p;
  const { L } = grid;
  return withScratch(NAME, backend, (s) => {
    const phases = phaseSplitInput(s, x, info, grid); // [C, sh*sw, L]
    const dyGrid = s.reshape(dyOnPhaseGrid(s, p), [C, M, L]);
    const parts: tf.TensorInfo[] = [];
    for (const group of tapGroups(fh, fw, C * L)) {
      const P = s.alloc([C, group.length, L]);
      copyShiftedWindows(heapF32(s.backend, phases), C, grid.phases, L, group.map(grid.windowOf), heapF32(s.backend, P));
      parts.push(s.run('BatchMatMul', { a: dyGrid, b: P }, { transposeA: false, transposeB: true })); // [C, M, taps]
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
