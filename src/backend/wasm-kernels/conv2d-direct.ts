/**
 * A 2-D convolution (NHWC, float32) on gaf-lab's own SIMD conv tile ({@link convFunctions}),
 * on every thread of the run: the forward pass of Conv2D / FusedConv2D and the convolutions
 * of the input gradient.
 *
 * The plan: the output rows whose window lies inside the image in height form bands with the
 * same valid taps (the padding rows at the top and bottom are bands of their own), likewise
 * columns; each (row band x column band) rectangle is one set of calls that skip the taps in
 * the padding, so x is read in place and no padded copy is made. A rectangle is tiled with
 * the tile's pixels (2) along its rows, what is left of it with 2 pixels down its columns, the
 * rest pixel by pixel. Work units are (image chunk, block of output channels), taken by the
 * threads as they come free; every output is one complete sum whoever computes it, so the
 * result does not depend on the thread count.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { CONV_TILE_CO_VECTORS, CONV_TILE_PIXELS, convFunctionName } from '../simd/conv-kernel';
import { cachedJobTemplate, JobTemplate } from '../simd/job-template';
import { callRecord, TileRunner } from '../simd/tile-threads';
import { heapAddress, heapF32, runSimdJob, Scratch } from './wasm-backend-access';

/** Bytes of x and output per image chunk: about half a core's L2 cache. */
const CHUNK_BYTES = 256 * 1024;

/** The geometry of one convolution (tfjs's Conv2DInfo has every field). */
export type DirectConvInfo = Pick<
  tf.backend_util.Conv2DInfo,
  | 'batchSize'
  | 'inHeight'
  | 'inWidth'
  | 'inChannels'
  | 'outChannels'
  | 'outHeight'
  | 'outWidth'
  | 'filterHeight'
  | 'filterWidth'
  | 'strideHeight'
  | 'strideWidth'
  | 'dilationHeight'
  | 'dilationWidth'
> & { padInfo: { top: number; left: number } };

/** True when the direct convolution can compute this geometry (output channels in fours). */
export function directConvFits(info: DirectConvInfo): boolean {
  return info.outChannels % 4 === 0 && info.outHeight > 0 && info.outWidth > 0;
}

/**
 * Filter bytes one tile walks per output pixel pair (all taps and input channels, 16 output
 * channels) above which XNNPACK is faster: a tile re-reads them for every pair of pixels, from
 * L2 beyond about this size (measured on 3x3 filters: 1.2-1.5x XNNPACK's speed up to 128 input
 * channels, 74 KiB; equal at 256, 147 KiB; 0.7x at 512).
 */
export const DIRECT_CONV_MAX_FILTER_BLOCK = 96 * 1024;

/** True when the direct convolution fits and is the faster one (see {@link DIRECT_CONV_MAX_FILTER_BLOCK}). */
export function directConvPays(info: DirectConvInfo): boolean {
  return directConvFits(info) && info.filterHeight * info.filterWidth * info.inChannels * 64 <= DIRECT_CONV_MAX_FILTER_BLOCK;
}

/** Byte addresses on the wasm heap: input, filter [fh, fw, C, CO], start values [CO] (bias or zeros), output. */
export interface DirectConvAddresses {
  x: number;
  w: number;
  init: number;
  out: number;
}

/** Consecutive output positions with the same valid taps: [first, end) positions, [first, end) taps. */
interface Band {
  p0: number;
  p1: number;
  k0: number;
  k1: number;
}

/** Bands along one axis: output length `out`, input length `len`, stride, dilation, filter size, leading pad. */
function bands(out: number, len: number, stride: number, dilation: number, f: number, pad: number): Band[] {
  const result: Band[] = [];
  for (let p = 0; p < out; p++) {
    const k0 = Math.min(f, Math.max(0, Math.ceil((pad - p * stride) / dilation)));
    const k1 = Math.max(k0, Math.min(f, Math.floor((len - 1 + pad - p * stride) / dilation) + 1));
    const last = result[result.length - 1];
    if (last && last.k0 === k0 && last.k1 === k1) last.p1 = p + 1;
    else result.push({ p0: p, p1: p + 1, k0, k1 });
  }
  return result;
}

/** Rectangles of output pixels no tap reaches (their value is the start value): [r0, r1, c0, c1]. */
export function emptyRectangles(info: DirectConvInfo): [number, number, number, number][] {
  const rows = bands(info.outHeight, info.inHeight, info.strideHeight, info.dilationHeight, info.filterHeight, info.padInfo.top);
  const cols = bands(info.outWidth, info.inWidth, info.strideWidth, info.dilationWidth, info.filterWidth, info.padInfo.left);
  const out: [number, number, number, number][] = [];
  for (const r of rows) for (const c of cols) if (r.k0 === r.k1 || c.k0 === c.k1) out.push([r.p0, r.p1, c.p0, c.p1]);
  return out;
}

/** Images per chunk. */
export function directConvChunkImages(info: DirectConvInfo): number {
  const perImage = 4 * (info.inHeight * info.inWidth * info.inChannels + info.outHeight * info.outWidth * info.outChannels);
  return Math.max(1, Math.min(info.batchSize, Math.floor(CHUNK_BYTES / perImage)));
}

/**
 * The units of work: one per (image chunk, block of output channels), each a list of call
 * records ({@link callRecord}); outputs no tap reaches are left to the caller.
 */
export function planDirectConv(info: DirectConvInfo, at: DirectConvAddresses): number[][] {
  const {
    batchSize: B,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outChannels: CO,
    outHeight: oh,
    outWidth: ow,
    filterHeight: fh,
    filterWidth: fw,
    strideHeight: sh,
    strideWidth: sw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = info;
  if (!directConvFits(info)) throw new Error(`internal: the direct convolution needs output channels in fours, got ${CO}`);
  const rowBands = bands(oh, H, sh, dh, fh, info.padInfo.top).filter((b) => b.k0 < b.k1);
  const colBands = bands(ow, W, sw, dw, fw, info.padInfo.left).filter((b) => b.k0 < b.k1);
  const chunk = directConvChunkImages(info);
  const blocks: { co0: number; vectors: number }[] = [];
  for (let co0 = 0; co0 < CO;) {
    const vectors = CONV_TILE_CO_VECTORS.find((v) => co0 + 4 * v <= CO)!;
    blocks.push({ co0, vectors });
    co0 += 4 * vectors;
  }
  const PT = CONV_TILE_PIXELS[0];
  const units: { n0: number; nImg: number; co0: number; vectors: number }[] = [];
  for (let n0 = 0; n0 < B; n0 += chunk) for (const b of blocks) units.push({ n0, nImg: Math.min(chunk, B - n0), ...b });

  const xPixH = 4 * sh * W * C; // one output row down, in x
  const xPixW = 4 * sw * C; // one output column right, in x
  const outPixH = 4 * ow * CO;
  const outPixW = 4 * CO;
  return units.map((u) => {
    const calls: number[] = [];
    {
      for (const rb of rowBands) {
        for (const cb of colBands) {
          const nKh = rb.k1 - rb.k0;
          const nKw = cb.k1 - cb.k0;
          const wStart = at.w + 4 * ((rb.k0 * fw + cb.k0) * C * CO + u.co0);
          /** Calls for output rows [r0, r1) x columns [c0, c1), tiled with `pixels` along rows (or down columns). */
          const call = (pixels: number, r0: number, c0: number, nRows: number, nTiles: number, down: boolean) =>
            calls.push(
              ...callRecord(convFunctionName(pixels, u.vectors), [
                at.x + 4 * (((u.n0 * H + r0 * sh + rb.k0 * dh - info.padInfo.top) * W + c0 * sw + cb.k0 * dw - info.padInfo.left) * C),
                wStart,
                at.init + 4 * u.co0,
                at.out + 4 * (((u.n0 * oh + r0) * ow + c0) * CO + u.co0),
                u.nImg,
                4 * H * W * C,
                4 * oh * ow * CO,
                nRows,
                down ? xPixW : xPixH,
                down ? outPixW : outPixH,
                nTiles,
                down ? xPixH : xPixW,
                down ? outPixH : outPixW,
                nKh,
                nKw,
                C,
                4 * dh * W * C,
                4 * dw * C,
                4 * CO,
                4 * (fw - nKw) * C * CO,
              ]),
            );
          const height = rb.p1 - rb.p0;
          const width = cb.p1 - cb.p0;
          const across = Math.floor(width / PT);
          if (across > 0) call(PT, rb.p0, cb.p0, height, across, false);
          const left = width - PT * across; // columns no row tile covers
          if (left === 0) continue;
          const c0 = cb.p0 + PT * across;
          const down = Math.floor(height / PT);
          if (down > 0) call(PT, rb.p0, c0, left, down, true);
          const rest = height - PT * down;
          if (rest > 0) call(1, rb.p0 + PT * down, c0, rest, left, false);
        }
      }
    }
    return calls;
  });
}

/**
 * The convolution of x [B, H, W, C] with filter [fh, fw, C, CO] plus `bias` [CO] (or 0), by the
 * direct kernel on `runner`'s threads; tracked by `s`.
 */
export function directConv2d(
  s: Scratch,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
  info: DirectConvInfo,
  runner: TileRunner,
): tf.TensorInfo {
  const CO = info.outChannels;
  const out = s.alloc([info.batchSize, info.outHeight, info.outWidth, CO]);
  const zeros = bias === undefined ? s.alloc([CO]) : undefined;
  const at = {
    x: heapAddress(s.backend, x),
    w: heapAddress(s.backend, filter),
    init: heapAddress(s.backend, bias ?? zeros!),
    out: heapAddress(s.backend, out),
  };
  if (zeros) heapF32(s.backend, zeros).fill(0);
  const empty = emptyRectangles(info);
  if (empty.length > 0) {
    const o = heapF32(s.backend, out);
    const start = heapF32(s.backend, bias ?? zeros!);
    for (let n = 0; n < info.batchSize; n++)
      for (const [r0, r1, c0, c1] of empty)
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) o.set(start, ((n * info.outHeight + r) * info.outWidth + c) * CO);
  }
  const key = `conv ${JSON.stringify(info)}`;
  const template = cachedJobTemplate(key, () => new JobTemplate(planDirectConv(info, { x: 0, w: 0, init: 0, out: 0 }), 4));
  runSimdJob(s, runner, template, [at.x, at.w, at.init, at.out]);
  return out;
}
