/**
 * MaxPoolGrad for the wasm backend: routes each output gradient to the input pixel that was
 * the window's maximum.
 *
 * tfjs-backend-wasm's C++ kernel took 87 ms for a 2x2/2 pool over [128, 32, 32, 32]; this
 * JavaScript loop over the wasm heap visits each window once, all channels of a pixel
 * together (contiguous in NHWC), and takes a fraction of that. Ties and padding follow the
 * cpu backend exactly: the first maximum in row-major window order wins (strictly greater
 * replaces), pixels outside the input are skipped, and a window whose values are all -Inf or
 * NaN passes no gradient.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';
import { heapF32, withScratch } from './wasm-backend-access';

const NAME = 'MaxPoolGrad';

function fastMaxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs ?? {};
  const dy = args.inputs['dy']!;
  const input = args.inputs['input']!;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as 'same' | 'valid' | number,
    (attrs['dimRoundingMode'] ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  if (dy.shape.length !== 4 || dy.shape[0] !== B || dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== C) {
    throw new Error(
      `${NAME} (gaf-lab wasm kernel): dy has shape [${dy.shape.join(', ')}] but pooling [${input.shape.join(', ')}] gives [${B}, ${oh}, ${ow}, ${C}].`,
    );
  }
  return withScratch(NAME, args.backend, (s) => {
    const dxT = s.alloc([...input.shape]);
    const x = heapF32(s.backend, input);
    const g = heapF32(s.backend, dy);
    const dx = heapF32(s.backend, dxT);
    dx.fill(0);
    // Flat offsets of the in-range window pixels of the current output pixel.
    const taps = new Int32Array(fh * fw);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < oh; r++) {
        const r0 = r * sh - pt;
        const iLo = Math.max(0, r0);
        const iHi = Math.min(H, r0 + fh);
        for (let q = 0; q < ow; q++) {
          const c0 = q * sw - pl;
          const jLo = Math.max(0, c0);
          const jHi = Math.min(W, c0 + fw);
          let n = 0;
          for (let i = iLo; i < iHi; i++) for (let j = jLo; j < jHi; j++) taps[n++] = ((b * H + i) * W + j) * C;
          const gBase = ((b * oh + r) * ow + q) * C;
          for (let c = 0; c < C; c++) {
            let best = -Infinity;
            let at = -1;
            for (let t = 0; t < n; t++) {
              const p = taps[t]! + c;
              const v = x[p]!;
              if (v > best) {
                best = v;
                at = p;
              }
            }
            if (at >= 0) dx[at] += g[gBase + c]!;
          }
        }
      }
    }
    return s.keep(dxT);
  });
}

/** Replacement for wasm 'MaxPoolGrad' (float32, rank 4 NHWC; anything else goes to tfjs-backend-wasm's kernel). */
export const maxPoolGradReplacement: KernelReplacement = {
  name: NAME,
  make:
    (original: WasmKernelFunc): WasmKernelFunc =>
    (args) => {
      const { dy, input } = args.inputs;
      if (dy?.dtype !== 'float32' || input?.dtype !== 'float32' || input.shape.length !== 4) return original(args);
      return fastMaxPoolGrad(args);
    },
};
