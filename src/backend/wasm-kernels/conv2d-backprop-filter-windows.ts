/**
 * Conv2DBackpropFilter for the wasm backend as sums of cache-sized XNNPACK products, with one
 * of three layouts chosen per convolution.
 *
 * dW[(i,j,c), o] = sum over output pixels n of P[n, (i,j,c)] * dy[n, o] (P: im2col of x).
 * The contraction runs over the pixels, tens of thousands of them, and three costs of the
 * wasm build shape everything here (measured):
 * - XNNPACK packs the right operand of every product at 5-10 ns per element (it is cached
 *   per tensor, so a right operand reused by several products is packed once);
 * - XNNPACK does not block the inner dimension: with K in the tens of thousands it streams
 *   the whole packed right operand from memory once per 4-6 rows of the left one, so the sum
 *   is cut into chunks whose right operand stays within about 256 KiB ({@link chunkRows});
 * - a rank-2 wasm Transpose is slow (60-90 ms for [131072, 32]), a rank-3 one is not (12 ms
 *   for the same data as [128, 1024, 32] -> [32, 128, 1024]).
 *
 * Layouts:
 * - "windows" (3x3 and other filters on images of 16x16 and up): P^T is built on the phase
 *   grid of {@link phaseGrid}, each row (tap, channel) one contiguous slice of the
 *   channel-major, phase-split input; dy gets zero rows and columns where the grid has no
 *   output pixel and is the packed operand (out channels wide). The grid adds
 *   (Hq*Wq)/(oh*ow) - 1 positions: 13% for 3x3 'same' on 32x32, 27% on 16x16, 125% on 4x4.
 * - "taps" (small images, where the grid would waste more than packing costs): per filter tap,
 *   dW_tap^T = dy^T x X_tap, X_tap gathered pixel by pixel (the packed operand, C wide) and
 *   dy^T from a rank-3 transpose; exact pixels, no grid.
 * - "pointwise" (1x1, stride 1, no padding): X and dy are used as they are; the narrower of
 *   the two is the packed operand, the other is transposed once (rank 3).
 * {@link chooseFilterGradLayout} picks windows or taps from a cost model fitted to those
 * measurements.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConvInfo, convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { copyGridRows, copyWindowColumns, gatherTaps } from './heap-copies';
import { PhaseGrid, phaseGrid, phaseSplitInput } from './phase-grid';
import { KernelReplacement } from './replace-kernel';
import { heapF32, Scratch, withScratch } from './wasm-backend-access';

const NAME = 'Conv2DBackpropFilter';

/** Positions per chunk: the packed operand [chunk, width] is about 64K floats, between 256 and 8192 rows. */
export function chunkRows(width: number): number {
  return Math.max(256, Math.min(8192, Math.floor(65536 / width)));
}

/** How the filter gradient of one convolution is computed. */
export type FilterGradLayout = 'pointwise' | 'windows' | 'taps';

/**
 * The layout for a convolution. Cost per (im2col row x pixel), from the measured rates: a
 * multiply-add 0.05 ns, packing 6 ns per packed element, a contiguous copy 0.3 ns per float,
 * a pixel-by-pixel gather 20 ns per pixel plus 1 ns per float, a rank-3 transpose 1 ns per
 * float. windows: grid-inflated products (L/N) + packing dy on the grid + copying P^T;
 * taps: exact products + packing every X_tap + gathering them + transposing dy.
 */
export function chooseFilterGradLayout(info: ConvInfo): FilterGradLayout {
  const { filterHeight: fh, filterWidth: fw, inChannels: C, outChannels: CO, strideHeight: sh, strideWidth: sw } = info;
  const pads = info.padInfo;
  if (fh === 1 && fw === 1 && sh === 1 && sw === 1 && pads.top === 0 && pads.left === 0 && pads.bottom === 0 && pads.right === 0) return 'pointwise';
  const rows = fh * fw * C;
  const grid = phaseGrid(info);
  const inflation = grid.L / (info.batchSize * info.outHeight * info.outWidth);
  const windows = 0.05 * CO * (inflation - 1) + (6 * CO * inflation) / rows + 0.3 * inflation;
  const taps = 6 + (20 + C) / C + CO / rows;
  return windows <= taps ? 'windows' : 'taps';
}

/**
 * out[M, P] = sum over chunks [u0, u1) of K of A_chunk [M, u1-u0] x B_chunk [u1-u0, P], the
 * chunks filled by `fillA` / `fillB`; accumulated in JavaScript (float32, like the products).
 */
function chunkedProduct(s: Scratch, M: number, K: number, P: number, chunk: number,
  fillA: (u0: number, u1: number, dst: Float32Array) => void, fillB: (u0: number, u1: number, dst: Float32Array) => void): Float32Array {
  const acc = new Float32Array(M * P);
  for (let u0 = 0; u0 < K; u0 += chunk) {
    const u1 = Math.min(K, u0 + chunk);
    const a = s.alloc([1, M, u1 - u0]);
    const b = s.alloc([1, u1 - u0, P]);
    fillA(u0, u1, heapF32(s.backend, a));
    fillB(u0, u1, heapF32(s.backend, b));
    const part = s.matMul(a, b);
    const p = heapF32(s.backend, part);
    for (let k = 0; k < acc.length; k++) acc[k] += p[k]!;
    s.free(part);
    s.free(b);
    s.free(a);
  }
  return acc;
}

/** Columns [u0, u1) of a row-major [M, K] matrix `src` into `dst` [M, u1-u0]. */
function copyColumns(src: Float32Array, M: number, K: number, u0: number, u1: number, dst: Float32Array): void {
  for (let m = 0; m < M; m++) dst.set(src.subarray(m * K + u0, m * K + u1), m * (u1 - u0));
}

/** [B, P, D] -> [D, B*P] with a rank-3 wasm transpose (the fast kind); tracked by `s`. */
function channelMajor(s: Scratch, t: tf.TensorInfo, B: number, P: number, D: number): tf.TensorInfo {
  const view = s.reshape(t, [B, P, D]);
  const out = s.transpose(view, [2, 0, 1]);
  s.free(view);
  return out;
}

function windowsLayout(s: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo, grid: PhaseGrid): Float32Array {
  const { filterHeight: fh, filterWidth: fw, inChannels: C, outChannels: CO, outHeight: oh, outWidth: ow } = info;
  const windows: [number, number][] = [];
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) windows.push([i, j]);
  const shifted = windows.map(grid.windowOf);
  const phases = phaseSplitInput(s, x, info, grid); // [C, sh*sw, L]
  return chunkedProduct(s, fh * fw * C, grid.L, CO, Math.min(grid.L, chunkRows(CO)),
    (u0, u1, dst) => copyWindowColumns(heapF32(s.backend, phases), C, grid.phases, grid.L, shifted, u0, u1, dst),
    (u0, u1, dst) => copyGridRows(heapF32(s.backend, dy), oh, ow, CO, grid.Hq, grid.Wq, u0, u1, dst)); // rows (i, j, c): the filter layout
}

function tapsLayout(s: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo): Float32Array {
  const { batchSize: B, inHeight: H, inWidth: W, filterHeight: fh, filterWidth: fw, inChannels: C, outChannels: CO, outHeight: oh, outWidth: ow } = info;
  const N = B * oh * ow;
  const tapGrid = { outH: oh, outW: ow, strideH: info.strideHeight, strideW: info.strideWidth, dilationH: 1, dilationW: 1, padTop: info.padInfo.top, padLeft: info.padInfo.left };
  const dyT = channelMajor(s, dy, B, oh * ow, CO); // [CO, N]
  const dW = new Float32Array(fh * fw * C * CO);
  const chunk = Math.min(N, Math.max(1024, chunkRows(C)));
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const xt = s.alloc([N, C]);
      gatherTaps(heapF32(s.backend, x), [B, H, W, C], [[i, j]], tapGrid, heapF32(s.backend, xt));
      const part = chunkedProduct(s, CO, N, C, chunk,
        (u0, u1, dst) => copyColumns(heapF32(s.backend, dyT), CO, N, u0, u1, dst),
        (u0, u1, dst) => dst.set(heapF32(s.backend, xt).subarray(u0 * C, u1 * C))); // [CO, C]
      s.free(xt);
      const base = (i * fw + j) * C * CO;
      for (let o = 0; o < CO; o++) for (let c = 0; c < C; c++) dW[base + c * CO + o] = part[o * C + c]!;
    }
  }
  return dW;
}

function pointwiseLayout(s: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo): Float32Array {
  const { batchSize: B, inChannels: C, outChannels: CO, outHeight: oh, outWidth: ow } = info;
  const N = B * oh * ow;
  // Pack the narrower of X [N, C] and dy [N, CO]; transpose the other to [width, N].
  const [packed, packedWidth, other, otherWidth] = C <= CO ? [x, C, dy, CO] : [dy, CO, x, C];
  const otherT = channelMajor(s, other, B, oh * ow, otherWidth); // [otherWidth, N]
  const product = chunkedProduct(s, otherWidth, N, packedWidth, Math.min(N, chunkRows(packedWidth)),
    (u0, u1, dst) => copyColumns(heapF32(s.backend, otherT), otherWidth, N, u0, u1, dst),
    (u0, u1, dst) => dst.set(heapF32(s.backend, packed).subarray(u0 * packedWidth, u1 * packedWidth))); // [otherWidth, packedWidth]
  if (C > CO) return product; // X^T dy: [C, CO] already
  const dW = new Float32Array(C * CO);
  for (let o = 0; o < CO; o++) for (let c = 0; c < C; c++) dW[c * CO + o] = product[o * C + c]!;
  return dW;
}

/** kernelFunc: inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilterWindows({ inputs, backend, attrs = {} }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = requireFloat32(NAME, { x: inputs['x'], dy: inputs['dy'] });
  const filterShape = shapeAttr(NAME, attrs, 'filterShape');
  const info = convGradGeometry(NAME, x.shape, filterShape, dy.shape, attrs, false);
  const layout = chooseFilterGradLayout(info);
  return withScratch(NAME, backend, (s) => {
    const values = layout === 'pointwise' ? pointwiseLayout(s, x, dy, info)
      : layout === 'taps' ? tapsLayout(s, x, dy, info)
        : windowsLayout(s, x, dy, info, phaseGrid(info));
    const dW = s.alloc(filterShape);
    heapF32(s.backend, dW).set(values);
    return s.keep(dW);
  });
}

/** Replaces the foundation's Conv2DBackpropFilter (see the module comment). */
export const conv2dBackpropFilterReplacement: KernelReplacement = {
  name: NAME,
  make: () => conv2dBackpropFilterWindows,
};
