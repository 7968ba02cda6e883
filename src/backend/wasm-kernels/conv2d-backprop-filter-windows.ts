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
 *   (Hq*Wq)/(oh*ow) - 1 positions: 13% for 3x3 'same' on 32x32, 27% on 16x16, 125% on 4x4;
 *   at stride 1 rows and images share their padding ({@link windowsGrid}): 6% on 32x32.
 * - "taps" (small images, where the grid would waste more than packing costs): per filter tap,
 *   dW_tap^T = dy^T x X_tap, X_tap gathered pixel by pixel (the packed operand, C wide) and
 *   dy^T from a rank-3 transpose; exact pixels, no grid.
 * - "exact" (wide channels, strided, small images: no grid waste, dy packed once per pixel): a
 *   slice of whole images at a time, P gathered with the taps between image rows (one copy per
 *   image row and tap at stride 1), one rank-4 transpose to P^T [(i,j,c), pixels], times the
 *   same pixels' dy; the product is in the filter layout already.
 * - "pointwise" (1x1, stride 1, no padding): X and dy are used as they are; the narrower of
 *   the two is the packed operand, the other is transposed once (rank 3).
 * {@link chooseFilterGradLayout} picks windows, taps or exact from a cost model fitted to those
 * measurements.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConvInfo, convGradGeometry, requireFloat32, shapeAttr } from './conv-attrs';
import { copyGridRows, copyWindowColumns, gatherTaps, TapGrid } from './heap-copies';
import { PhaseGrid, phaseGrid, phaseSplitInput } from './phase-grid';
import { directFilterGrad, directLayoutFits } from './conv2d-backprop-filter-direct';
import { KernelReplacement } from './replace-kernel';
import { heapF32, Scratch, simdRunner, withScratch } from './wasm-backend-access';

const NAME = 'Conv2DBackpropFilter';

/** Positions per chunk: the packed operand [chunk, width] is about 64K floats, between 256 and 8192 rows. */
export function chunkRows(width: number): number {
  return Math.max(256, Math.min(8192, Math.floor(65536 / width)));
}

/** How the filter gradient of one convolution is computed (see the module comment). */
export type FilterGradLayout = 'direct' | 'pointwise' | 'windows' | 'taps' | 'exact';

/**
 * The layout for a convolution: 'direct' (gaf-lab's own SIMD kernel, threaded) whenever it
 * fits and `direct` allows it: it runs at 1.5-3x the rate of the XNNPACK layouts on one thread
 * and scales with threads (docs/performance.md). Otherwise a cost model; cost per (im2col row x pixel), from the measured rates: a
 * multiply-add 0.05 ns, packing 6 ns per packed element, a contiguous copy 0.3 ns per float,
 * a pixel-by-pixel gather 20 ns per pixel plus 1 ns per float, a rank-3 transpose 1 ns per
 * float. windows: grid-inflated products (L/N) + packing dy on the grid + copying P^T;
 * taps: exact products + packing every X_tap + gathering them + transposing dy;
 * exact: copying P (row runs, or pixel by pixel when strided) + a rank-4 transpose of it
 * (0.8 ns per float) + packing dy + summing the per-slice products in JS (3 ns per add,
 * CO / exactSlicePixels(CO) adds per (row x pixel)).
 */
export function chooseFilterGradLayout(info: ConvInfo, direct = true): FilterGradLayout {
  if (direct && directLayoutFits(info)) return 'direct';
  const { filterHeight: fh, filterWidth: fw, inChannels: C, outChannels: CO, strideHeight: sh, strideWidth: sw } = info;
  const pads = info.padInfo;
  if (fh === 1 && fw === 1 && sh === 1 && sw === 1 && pads.top === 0 && pads.left === 0 && pads.bottom === 0 && pads.right === 0)
    return 'pointwise';
  const rows = fh * fw * C;
  const grid = windowsGrid(info);
  const inflation = grid.L / (info.batchSize * info.outHeight * info.outWidth);
  const windows = 0.05 * CO * (inflation - 1) + (6 * CO * inflation) / rows + 0.3 * inflation;
  const taps = 6 + (20 + C) / C + CO / rows;
  const exact = 1.1 + (sw > 1 ? 20 / C : 0) + (6 * CO) / rows + (3 * CO) / exactSlicePixels(CO);
  const best = Math.min(windows, taps, exact);
  return best === windows ? 'windows' : best === exact ? 'exact' : 'taps';
}

/**
 * The windows layout's grid. At stride 1 with no more padding after than before (3x3 'same'),
 * images and rows can share their padding: a [B, H + padTop, W + padLeft] grid, where a tap
 * reading past the right edge wraps into the next row's left padding, past the bottom into the
 * next image's top padding, and past the last image into the zeros copyWindowColumns puts
 * beyond L. On 32x32 that is 33x33 positions per image instead of phaseGrid's 34x34 (6% more
 * than the output pixels instead of 13%).
 */
export function windowsGrid(info: ConvInfo): PhaseGrid {
  const p = info.padInfo;
  // The padding the taps actually read after the input (not padInfo.bottom/right: tf's numeric
  // pad gives a 2x3 filter on 7x7 an 8x8 output, two columns of padding on the right).
  const after = (out: number, f: number, len: number, before: number): number => out - 1 + f - len - before;
  const shared =
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    after(info.outHeight, info.filterHeight, info.inHeight, p.top) <= p.top &&
    after(info.outWidth, info.filterWidth, info.inWidth, p.left) <= p.left &&
    info.outHeight <= info.inHeight + p.top &&
    info.outWidth <= info.inWidth + p.left;
  if (!shared) return phaseGrid(info);
  const Hq = info.inHeight + p.top;
  const Wq = info.inWidth + p.left;
  return { Hq, Wq, L: info.batchSize * Hq * Wq, phases: 1, windowOf: ([i, j]) => ({ phase: 0, offset: i * Wq + j }) };
}

/**
 * out[M, P] = sum over chunks [u0, u1) of K of A_chunk [M, u1-u0] x B_chunk [u1-u0, P], the
 * chunks filled by `fillA` / `fillB`; accumulated in JavaScript (float32, like the products).
 */
function chunkedProduct(
  s: Scratch,
  M: number,
  K: number,
  P: number,
  chunk: number,
  fillA: (u0: number, u1: number, dst: Float32Array) => void,
  fillB: (u0: number, u1: number, dst: Float32Array) => void,
): Float32Array {
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
  return chunkedProduct(
    s,
    fh * fw * C,
    grid.L,
    CO,
    Math.min(grid.L, chunkRows(CO)),
    (u0, u1, dst) => copyWindowColumns(heapF32(s.backend, phases), C, grid.phases, grid.L, shifted, u0, u1, dst),
    (u0, u1, dst) => copyGridRows(heapF32(s.backend, dy), oh, ow, CO, grid.Hq, grid.Wq, u0, u1, dst),
  ); // rows (i, j, c): the filter layout
}

function tapsLayout(s: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo): Float32Array {
  const {
    batchSize: B,
    inHeight: H,
    inWidth: W,
    filterHeight: fh,
    filterWidth: fw,
    inChannels: C,
    outChannels: CO,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const N = B * oh * ow;
  const tapGrid = {
    outH: oh,
    outW: ow,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: 1,
    dilationW: 1,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const dyT = channelMajor(s, dy, B, oh * ow, CO); // [CO, N]
  const dW = new Float32Array(fh * fw * C * CO);
  const chunk = Math.min(N, Math.max(1024, chunkRows(C)));
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const xt = s.alloc([N, C]);
      gatherTaps(heapF32(s.backend, x), [B, H, W, C], [[i, j]], tapGrid, heapF32(s.backend, xt));
      const part = chunkedProduct(
        s,
        CO,
        N,
        C,
        chunk,
        (u0, u1, dst) => copyColumns(heapF32(s.backend, dyT), CO, N, u0, u1, dst),
        (u0, u1, dst) => dst.set(heapF32(s.backend, xt).subarray(u0 * C, u1 * C)),
      ); // [CO, C]
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
  const product = chunkedProduct(
    s,
    otherWidth,
    N,
    packedWidth,
    Math.min(N, chunkRows(packedWidth)),
    (u0, u1, dst) => copyColumns(heapF32(s.backend, otherT), otherWidth, N, u0, u1, dst),
    (u0, u1, dst) => dst.set(heapF32(s.backend, packed).subarray(u0 * packedWidth, u1 * packedWidth)),
  ); // [otherWidth, packedWidth]
  if (C > CO) return product; // X^T dy: [C, CO] already
  const dW = new Float32Array(C * CO);
  for (let o = 0; o < CO; o++) for (let c = 0; c < C; c++) dW[c * CO + o] = product[o * C + c]!;
  return dW;
}

/**
 * im2col with the taps between the image rows: `dst[a, r, t, q, c] = x[b0 + a, r*sh + i_t - padTop, q*sw + j_t - padLeft, c]`,
 * 0 in the padding; for stride 1 one contiguous copy per (image row, tap).
 * @param dst shape [n, outH, taps.length, outW, C], fully overwritten.
 */
function gatherTapRows(
  x: Float32Array,
  [n, H, W, C]: readonly [number, number, number, number],
  b0: number,
  taps: readonly (readonly [number, number])[],
  grid: TapGrid,
  dst: Float32Array,
): void {
  const { outH, outW, strideH: sh, strideW: sw, padTop, padLeft } = grid;
  const T = taps.length;
  const run = outW * C;
  for (let t = 0; t < T; t++) {
    const [ti, tj] = taps[t]!;
    const col0 = tj - padLeft;
    const qLo = Math.min(outW, Math.max(0, Math.ceil(-col0 / sw)));
    const qHi = Math.max(qLo, Math.min(outW, Math.floor((W - 1 - col0) / sw) + 1));
    for (let a = 0; a < n; a++) {
      for (let r = 0; r < outH; r++) {
        const ir = r * sh + ti - padTop;
        const o = ((a * outH + r) * T + t) * run;
        if (ir < 0 || ir >= H) {
          dst.fill(0, o, o + run);
          continue;
        }
        if (qLo > 0) dst.fill(0, o, o + qLo * C);
        if (qHi < outW) dst.fill(0, o + qHi * C, o + run);
        const sRow = (((b0 + a) * H + ir) * W + col0) * C;
        if (sw === 1) {
          dst.set(x.subarray(sRow + qLo * C, sRow + qHi * C), o + qLo * C);
        } else {
          for (let q = qLo; q < qHi; q++) {
            const src = sRow + q * sw * C;
            dst.set(x.subarray(src, src + C), o + q * C);
          }
        }
      }
    }
  }
}

/**
 * Pixels per slice of the exact layout. At least 1024: summing a slice's [rows, CO] product
 * into the total costs about 3 ns per float in JS (measured: 8 slices of [4608, 512] added
 * 65 ms to a 140 ms filter gradient), while a packed dy larger than the cache slowed the
 * products by only 2-3% (1024 x 512 vs 256 x 512 rows).
 */
function exactSlicePixels(CO: number): number {
  return Math.max(1024, chunkRows(CO));
}

/**
 * Exact transposed im2col, a slice of whole images at a time (about exactSlicePixels(CO) pixels):
 * P from {@link gatherTapRows}, turned into P^T [fh*fw*C, pixels] by one rank-4 transpose
 * (measured well under the per-pixel copies an im2col with interleaved taps needs at 64
 * channels), times the same pixels' dy (the packed operand, CO wide: packed once, not once
 * per tap as in "taps"). The product is already in the filter layout.
 */
function exactLayout(s: Scratch, x: tf.TensorInfo, dy: tf.TensorInfo, info: ConvInfo): Float32Array {
  const {
    batchSize: B,
    inHeight: H,
    inWidth: W,
    filterHeight: fh,
    filterWidth: fw,
    inChannels: C,
    outChannels: CO,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const taps: [number, number][] = [];
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) taps.push([i, j]);
  const tapGrid = {
    outH: oh,
    outW: ow,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: 1,
    dilationW: 1,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const pix = oh * ow;
  const rows = fh * fw * C;
  const images = Math.max(1, Math.min(B, Math.round(exactSlicePixels(CO) / pix)));
  const acc = new Float32Array(rows * CO);
  for (let b0 = 0; b0 < B; b0 += images) {
    const n = Math.min(images, B - b0);
    const p = s.alloc([n * oh, taps.length, ow, C]);
    gatherTapRows(heapF32(s.backend, x), [n, H, W, C], b0, taps, tapGrid, heapF32(s.backend, p));
    const pT = s.transpose(p, [1, 3, 0, 2]); // [taps, C, n*oh, ow]: P^T, rows in the filter layout
    s.free(p);
    const a = s.reshape(pT, [1, rows, n * pix]);
    s.free(pT);
    const b = s.alloc([1, n * pix, CO]);
    heapF32(s.backend, b).set(heapF32(s.backend, dy).subarray(b0 * pix * CO, (b0 + n) * pix * CO));
    const part = s.matMul(a, b);
    const v = heapF32(s.backend, part);
    if (b0 === 0) acc.set(v);
    else for (let k = 0; k < acc.length; k++) acc[k] += v[k]!;
    s.free(part);
    s.free(b);
    s.free(a);
  }
  return acc;
}

/** The filter gradient with a given layout (for comparisons; the kernel chooses with {@link chooseFilterGradLayout}). */
export function conv2dBackpropFilterWithLayout(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  choose: (info: ConvInfo) => FilterGradLayout,
): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, dy } = requireFloat32(NAME, { x: inputs['x'], dy: inputs['dy'] });
  const filterShape = shapeAttr(NAME, attrs, 'filterShape');
  const info = convGradGeometry(NAME, x.shape, filterShape, dy.shape, attrs, false);
  let layout = choose(info);
  const runner = layout === 'direct' ? simdRunner(backend) : undefined;
  // No SIMD kernel here (a runtime without WebAssembly SIMD): the XNNPACK layouts' cost model.
  if (typeof runner === 'string') layout = chooseFilterGradLayout(info, false);
  return withScratch(NAME, backend, (s) => {
    if (runner !== undefined && typeof runner !== 'string') return directFilterGrad(s, x, dy, info, filterShape, runner);
    const values =
      layout === 'pointwise'
        ? pointwiseLayout(s, x, dy, info)
        : layout === 'taps'
          ? tapsLayout(s, x, dy, info)
          : layout === 'exact'
            ? exactLayout(s, x, dy, info)
            : windowsLayout(s, x, dy, info, windowsGrid(info));
    const dW = s.alloc(filterShape);
    heapF32(s.backend, dW).set(values);
    return s.keep(dW);
  });
}

/** kernelFunc: inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilterWindows(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  return conv2dBackpropFilterWithLayout(args, chooseFilterGradLayout);
}

/** Replaces the foundation's Conv2DBackpropFilter (see the module comment). */
export const conv2dBackpropFilterReplacement: KernelReplacement = {
  name: NAME,
  make: () => conv2dBackpropFilterWindows,
};
