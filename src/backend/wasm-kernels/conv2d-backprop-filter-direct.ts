/**
 * The "direct" layout of Conv2DBackpropFilter: gaf-lab's own SIMD tile kernel
 * ({@link filterGradModule}) reads x and dy where they lie on the wasm heap and accumulates
 * dW tile by tile, on every thread of the run ({@link TileRunner}).
 *
 * The plan: for each filter tap the output pixels whose input pixel lies inside the image
 * form a box (rows [h0, h1) x columns [w0, w1) of every image), so a tile call walks images,
 * rows and columns with fixed byte strides, and padding costs nothing. Images are taken in
 * chunks whose x and dy fit a core's L2 cache (every tile of a chunk reads them again). The
 * work units, (tap, block of 4 input channels) with all output channels, are split into
 * contiguous parts that the threads take as they come free; each unit's sums run in the same
 * order whatever thread takes it, so dW does not depend on the thread count.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { cachedJobTemplate, JobTemplate } from '../simd/job-template';
import { callRecord, TileRunner } from '../simd/tile-threads';
import { tileFunctionName } from '../simd/filter-grad-kernel';
import { ConvInfo } from './conv-attrs';
import { heapAddress, runSimdJob, Scratch } from './wasm-backend-access';

/** Bytes of x and dy per image chunk: about half a core's L2 cache. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Parts of the work per thread. Each part reads all of x and dy once, so more parts cost
 * memory traffic; more than one lets a thread that comes free take over from one that started
 * late.
 */
const PARTS_PER_THREAD = 2;

/** True when the direct layout can compute this convolution's filter gradient (output channels in vectors of 4). */
export function directLayoutFits(info: ConvInfo): boolean {
  return info.outChannels % 4 === 0;
}

/** Byte addresses of the operands on the wasm heap. */
export interface DirectAddresses {
  x: number;
  dy: number;
  out: number;
}

/** Images per chunk for a convolution. */
export function directChunkImages(info: ConvInfo): number {
  const perImage = 4 * (info.inHeight * info.inWidth * info.inChannels + info.outHeight * info.outWidth * info.outChannels);
  return Math.max(1, Math.min(info.batchSize, Math.floor(CHUNK_BYTES / perImage)));
}

/** Output positions [lo, hi) along one axis whose input position q*stride + tap - pad lies in [0, size). */
function validRange(out: number, stride: number, tap: number, pad: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - tap) / stride));
  const hi = Math.min(out, Math.floor((size - 1 + pad - tap) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * The work in `parts` parts (each a list of call records, {@link callRecord}) over disjoint
 * outputs; `out` must hold zeros. dW does not depend on the number of parts.
 */
export function planDirectFilterGrad(info: ConvInfo, at: DirectAddresses, parts: number): number[][] {
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
  if (!directLayoutFits(info)) throw new Error(`internal: the direct layout needs output channels in fours, got ${CO}`);
  const pad = info.padInfo;
  // Units: (tap, ci block); whole blocks of 4 input channels, then the remainder block.
  type Unit = { tap: number; rows: [number, number]; cols: [number, number]; ci: number; width: number };
  const units: Unit[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const rows = validRange(oh, sh, i * dh, pad.top, H);
      const cols = validRange(ow, sw, j * dw, pad.left, W);
      if (rows[0] === rows[1] || cols[0] === cols[1]) continue; // this tap only ever reads padding: dW stays 0
      for (let ci = 0; ci < C; ci += 4) units.push({ tap: i * fw + j, rows, cols, ci, width: Math.min(4, C - ci) });
    }
  }
  const chunk = directChunkImages(info);
  const xImg = 4 * H * W * C;
  const dyImg = 4 * oh * ow * CO;
  const lists: number[][] = [];
  for (let t = 0; t < parts; t++) {
    const mine = units.slice(Math.floor((t * units.length) / parts), Math.floor(((t + 1) * units.length) / parts));
    // Consecutive full blocks of one tap become one call (nCiB blocks).
    const groups: { u: Unit; blocks: number }[] = [];
    for (const u of mine) {
      const last = groups[groups.length - 1];
      if (last && last.u.tap === u.tap && last.u.width === 4 && u.width === 4) last.blocks++;
      else groups.push({ u, blocks: 1 });
    }
    const calls: number[] = [];
    for (let n0 = 0; n0 < B; n0 += chunk) {
      const nImg = Math.min(chunk, B - n0);
      for (const { u, blocks } of groups) {
        const i = Math.floor(u.tap / fw);
        const j = u.tap % fw;
        const [h0, h1] = u.rows;
        const [w0, w1] = u.cols;
        const xPix = (n0 * H + h0 * sh + i * dh - pad.top) * W + w0 * sw + j * dw - pad.left;
        const dyPix = (n0 * oh + h0) * ow + w0;
        const push = (vectors: number, co0: number, coBlocks: number) =>
          calls.push(
            ...callRecord(tileFunctionName(u.width, vectors), [
              at.x + 4 * (xPix * C + u.ci),
              at.dy + 4 * (dyPix * CO + co0),
              at.out + 4 * ((u.tap * C + u.ci) * CO + co0),
              blocks,
              coBlocks,
              nImg,
              xImg,
              dyImg,
              h1 - h0,
              4 * sh * W * C,
              4 * ow * CO,
              w1 - w0,
              4 * sw * C,
              4 * CO,
              4 * CO,
            ]),
          );
        if (CO >= 8) push(2, 0, Math.floor(CO / 8));
        if (CO % 8 === 4) push(1, CO - 4, 1);
      }
    }
    lists.push(calls);
  }
  return lists;
}

/** dW [fh, fw, C, CO] by the direct layout, on `runner`'s threads. */
export function directFilterGrad(
  s: Scratch,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  filterShape: number[],
  runner: TileRunner,
): tf.TensorInfo {
  const dW = s.alloc(filterShape);
  const parts = PARTS_PER_THREAD * runner.threads;
  const template = cachedJobTemplate(
    `filter ${parts} ${JSON.stringify(info)}`,
    () => new JobTemplate(planDirectFilterGrad(info, { x: 0, dy: 0, out: 0 }, parts), 3),
  );
  s.backend.typedArrayFromHeap(dW).fill(0);
  runSimdJob(s, runner, template, [heapAddress(s.backend, x), heapAddress(s.backend, dy), heapAddress(s.backend, dW)]);
  return s.keep(dW);
}
