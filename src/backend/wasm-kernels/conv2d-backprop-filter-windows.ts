/**
 * Conv2DBackpropFilter for the wasm backend as a sum of cache-sized XNNPACK products, with
 * the im2col matrix built transposed from contiguous copies.
 *
 * dW[(i,j,c), o] = sum_u P^T[(i,j,c), u] * dyGrid[u, o] over the positions u of the phase
 * grid ({@link phaseGrid}; dyGrid is dy with zero rows and columns where the grid has no
 * output pixel). Three costs of the foundation kernel (conv2d-backprop-filter.ts) shaped this:
 * - it transposes dy to [out, pixels] with a rank-2 wasm Transpose (60-90 ms for a
 *   [131072, 32] dy); here dy is only copied, image row by image row;
 * - its im2col gathers pixel by pixel; here each row (tap, channel) of P^T is one slice of the
 *   channel-major, phase-split input;
 * - XNNPACK has no blocking over the inner dimension: a product with K in the tens of
 *   thousands streams the whole packed right operand from memory once per 4-6 rows of the
 *   left one, and packing that operand took 5-25 ns per element (measured). So the sum over u
 *   is cut into chunks of {@link chunkRows} positions whose right operand (chunk x out
 *   channels) stays within about 256 KiB, and the chunk products are added in JavaScript.
 * The grid adds (Hq*Wq)/(oh*ow) - 1 extra positions: 13% for a 3x3 'same' convolution on
 * 32x32, 27% on 16x16.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { copyGridRows, copyWindowColumns } from './heap-copies';
import { phaseGrid, phaseSplitInput } from './phase-grid';
import { KernelReplacement } from './replace-kernel';
import { heapF32, withScratch } from './wasm-backend-access';

const NAME = 'Conv2DBackpropFilter';

/** Positions per chunk: the right operand [chunk, outChannels] is about 64K floats, between 256 and 8192 rows. */
export function chunkRows(outChannels: number): number {
  return Math.max(256, Math.min(8192, Math.floor(65536 / outChannels)));
}

/** kernelFunc: inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilterWindows({ inputs, backend, attrs = {} }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = requireFloat32(NAME, { x: inputs['x'], dy: inputs['dy'] });
  const filterShape = shapeAttr(NAME, attrs, 'filterShape');
  const info = convGradGeometry(NAME, x.shape, filterShape, dy.shape, attrs, false);
  const [fh, fw, C, CO] = filterShape as [number, number, number, number];
  const { outHeight: oh, outWidth: ow } = info;
  const grid = phaseGrid(info);
  const { Hq, Wq, L } = grid;
  const windows: [number, number][] = [];
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) windows.push([i, j]);
  const shifted = windows.map(grid.windowOf);
  const rows = fh * fw * C;
  const chunk = Math.min(L, chunkRows(CO));
  return withScratch(NAME, backend, (s) => {
    const phases = phaseSplitInput(s, x, info, grid); // [C, sh*sw, L]
    const dW = s.alloc(filterShape); // rows (i, j, c) x CO: the filter layout
    const acc = new Float32Array(rows * CO);
    for (let u0 = 0; u0 < L; u0 += chunk) {
      const u1 = Math.min(L, u0 + chunk);
      const a = s.alloc([1, rows, u1 - u0]);
      const b = s.alloc([1, u1 - u0, CO]);
      copyWindowColumns(heapF32(s.backend, phases), C, grid.phases, L, shifted, u0, u1, heapF32(s.backend, a));
      copyGridRows(heapF32(s.backend, dy), oh, ow, CO, Hq, Wq, u0, u1, heapF32(s.backend, b));
      const part = s.matMul(a, b); // [1, rows, CO]
      const p = heapF32(s.backend, part);
      for (let k = 0; k < acc.length; k++) acc[k] += p[k]!;
      s.free(part);
      s.free(b);
      s.free(a);
    }
    heapF32(s.backend, dW).set(acc);
    return s.keep(dW);
  });
}

/** Replaces the foundation's Conv2DBackpropFilter (see the module comment). */
export const conv2dBackpropFilterReplacement: KernelReplacement = {
  name: NAME,
  make: () => conv2dBackpropFilterWindows,
};
