/**
 * Data movement the gradient kernels do in JavaScript, directly on the wasm heap.
 *
 * Why JS here: the wasm backend's StridedSlice took about 10x longer than these row copies
 * to cut one filter tap out of an activation (measured: 9 taps of [128,34,34,3] with stride 2,
 * 95 ms vs 12 ms), and its Slice copies the whole input to JS first. The loops below only move
 * data (mostly whole rows with `TypedArray.set`); every multiply-add runs in wasm kernels.
 * Padding is handled here as well (out-of-range reads give 0), so the input is never padded
 * into a second copy.
 * @module
 */

/** Where the filter taps read the input: output pixel (r, q) of tap (i, j) reads input row r*strideH + i*dilationH - padTop, column q*strideW + j*dilationW - padLeft. */
export interface TapGrid {
  outH: number;
  outW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

/** Copies of `D` floats below this size use a plain loop (cheaper than a subarray per pixel). */
const SMALL_RUN = 16;

/**
 * im2col for a group of filter taps:
 * `dst[a, r, q, t, d] = src[a, r*sh + i_t*dh - padTop, q*sw + j_t*dw - padLeft, d]`, 0 where the
 * source index falls outside the input (the padding).
 * @param src input of shape `srcShape` = [A, H, W, D] (row-major).
 * @param taps the (i, j) filter offsets of the group, in the order they appear in `dst`.
 * @param dst output of length A*outH*outW*taps.length*D; fully overwritten.
 */
export function gatherTaps(
  src: Float32Array,
  srcShape: readonly [number, number, number, number],
  taps: readonly (readonly [number, number])[],
  grid: TapGrid,
  dst: Float32Array,
): void {
  const [A, H, W, D] = srcShape;
  const { outH, outW, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, padTop, padLeft } = grid;
  const g = taps.length;
  const pix = g * D;
  dst.fill(0);
  for (let t = 0; t < g; t++) {
    const [ti, tj] = taps[t]!;
    const col0 = tj * dw - padLeft;
    // Output columns q whose input column q*sw + col0 lies in [0, W).
    const qLo = Math.max(0, Math.ceil(-col0 / sw));
    const qHi = Math.min(outW, Math.floor((W - 1 - col0) / sw) + 1);
    if (qHi <= qLo) continue;
    const row0 = ti * dh - padTop;
    for (let a = 0; a < A; a++) {
      for (let r = 0; r < outH; r++) {
        const ir = r * sh + row0;
        if (ir < 0 || ir >= H) continue;
        const sRow = ((a * H + ir) * W + col0) * D;
        const dRow = (a * outH + r) * outW * pix + t * D;
        if (g === 1 && sw === 1) {
          dst.set(src.subarray(sRow + qLo * D, sRow + qHi * D), dRow + qLo * D);
        } else if (D < SMALL_RUN) {
          for (let q = qLo; q < qHi; q++) {
            const s = sRow + q * sw * D;
            const o = dRow + q * pix;
            for (let d = 0; d < D; d++) dst[o + d] = src[s + d]!;
          }
        } else {
          for (let q = qLo; q < qHi; q++) {
            const s = sRow + q * sw * D;
            dst.set(src.subarray(s, s + D), dRow + q * pix);
          }
        }
      }
    }
  }
}

/**
 * Spreads `src` over a larger zero grid with gaps between rows and columns (the transposed
 * convolution's "stride dilation") and an offset (its padding):
 * `dst[b, y*sh + top, x*sw + left, d] = src[b, y, x, d]`, 0 elsewhere. Pixels that land
 * outside `dst` are dropped (negative `top`/`left` crop).
 * @param src shape [B, h, w, D]; @param dst shape [B, Hd, Wd, D], fully overwritten unless
 * `clear` is false (then only the target pixels are written: interleaving several sources).
 */
export function scatterStrided(
  src: Float32Array,
  srcShape: readonly [number, number, number, number],
  dst: Float32Array,
  dstShape: readonly [number, number, number, number],
  sh: number,
  sw: number,
  top: number,
  left: number,
  clear = true,
): void {
  const [B, h, w, D] = srcShape;
  const [, Hd, Wd] = dstShape;
  if (clear) dst.fill(0);
  const yLo = Math.max(0, Math.ceil(-top / sh));
  const yHi = Math.min(h, Math.floor((Hd - 1 - top) / sh) + 1);
  const xLo = Math.max(0, Math.ceil(-left / sw));
  const xHi = Math.min(w, Math.floor((Wd - 1 - left) / sw) + 1);
  if (yHi <= yLo || xHi <= xLo) return;
  for (let b = 0; b < B; b++) {
    for (let y = yLo; y < yHi; y++) {
      const sRow = (b * h + y) * w * D;
      const dRow = ((b * Hd + y * sh + top) * Wd + left) * D;
      if (sw === 1) {
        dst.set(src.subarray(sRow + xLo * D, sRow + xHi * D), dRow + xLo * D);
      } else if (D < SMALL_RUN) {
        for (let x = xLo; x < xHi; x++) {
          const s = sRow + x * D;
          const o = dRow + x * sw * D;
          for (let d = 0; d < D; d++) dst[o + d] = src[s + d]!;
        }
      } else {
        for (let x = xLo; x < xHi; x++) {
          const s = sRow + x * D;
          dst.set(src.subarray(s, s + D), dRow + x * sw * D);
        }
      }
    }
  }
}

/** One filter tap's window into a flattened, phase-split input (see {@link copyShiftedWindows}). */
export interface ShiftedWindow {
  /** Which stride phase (row phase * strideW + column phase) the tap reads. */
  phase: number;
  /** Flat offset of the tap inside that phase's [B, Hq, Wq] block. */
  offset: number;
}

/**
 * For every channel c and window t: `dst[c, t, u] = src[c, phase_t, u + offset_t]` for
 * u < L, and 0 where u + offset_t runs past the end of the phase block. One contiguous copy
 * per (channel, tap).
 * @param src shape [C, phases, L]; @param dst shape [C, windows.length, L], fully overwritten.
 */
export function copyShiftedWindows(
  src: Float32Array,
  C: number,
  phases: number,
  L: number,
  windows: readonly ShiftedWindow[],
  dst: Float32Array,
): void {
  const g = windows.length;
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < g; t++) {
      const { phase, offset } = windows[t]!;
      const n = L - offset;
      const s = (c * phases + phase) * L + offset;
      const o = (c * g + t) * L;
      dst.set(src.subarray(s, s + n), o);
      dst.fill(0, o + n, o + L);
    }
  }
}

/**
 * Columns [u0, u1) of the transposed im2col matrix, rows ordered (window, channel):
 * `dst[t*C + c, u - u0] = src[c, phase_t, u + offset_t]`, 0 where u + offset_t runs past the
 * end of the phase block. One contiguous copy per (window, channel).
 * @param src shape [C, phases, L]; @param dst shape [windows.length * C, u1 - u0], fully overwritten.
 */
export function copyWindowColumns(
  src: Float32Array,
  C: number,
  phases: number,
  L: number,
  windows: readonly ShiftedWindow[],
  u0: number,
  u1: number,
  dst: Float32Array,
): void {
  const width = u1 - u0;
  windows.forEach(({ phase, offset }, t) => {
    const n = Math.max(0, Math.min(width, L - offset - u0));
    for (let c = 0; c < C; c++) {
      const s = (c * phases + phase) * L + offset + u0;
      const o = (t * C + c) * width;
      dst.set(src.subarray(s, s + n), o);
      if (n < width) dst.fill(0, o + n, o + width);
    }
  });
}

/**
 * Rows [u0, u1) of `dy` [B, oh, ow, D] placed on a [B, Hq, Wq] grid (Hq >= oh, Wq >= ow),
 * zeros at grid positions outside dy: `dst[u - u0, d] = dy[b, r, q, d]` for
 * u = (b*Hq + r)*Wq + q. One contiguous copy per image row.
 * @param dst shape [u1 - u0, D], fully overwritten.
 */
export function copyGridRows(
  dy: Float32Array,
  oh: number,
  ow: number,
  D: number,
  Hq: number,
  Wq: number,
  u0: number,
  u1: number,
  dst: Float32Array,
): void {
  dst.fill(0);
  for (let g = Math.floor(u0 / Wq); g * Wq < u1; g++) {
    const r = g % Hq;
    if (r >= oh) continue;
    const b = (g - r) / Hq;
    const qLo = Math.max(0, u0 - g * Wq);
    const qHi = Math.min(ow, u1 - g * Wq);
    if (qHi <= qLo) continue;
    const s = ((b * oh + r) * ow + qLo) * D;
    dst.set(dy.subarray(s, s + (qHi - qLo) * D), (g * Wq + qLo - u0) * D);
  }
}
