/**
 * Conv2DBackpropInput for the wasm backend, as forward convolutions on XNNPACK.
 *
 * tfjs-backend-wasm's own kernel is a direct loop in C++: 520 ms for the input gradient of a
 * 3x3, 32->64 convolution on [128, 16, 16, 32], where a forward convolution of the same size
 * takes about 50 ms. The input gradient is the transposed convolution:
 * dx[h] = sum_{r, i : r*s + i - padTop = h} dy[r] W[i] (likewise for columns).
 *
 * Stride 1: substituting i = fh-1-k gives dx[h] = sum_k dyPad[h + k] Wrev[k], a stride-1
 * convolution of dy padded by fh-1-padTop on top with the filter reversed in space and its
 * in/out channels swapped; the convolution's own padding provides the zeros, no copy is made.
 *
 * Stride s > 1 ("sub-pixel" decomposition): only taps i = i0 + s*m with
 * i0 = (a + padTop) mod s reach the output rows h = a + s*u of phase a, and
 * dx[a + s*u] = sum_m dy[u + d - m] W[i0 + s*m] with d = (a + padTop - i0) / s. So each of
 * the s*s phases (a, b) is again a stride-1 convolution of dy, with the sub-filter of its
 * taps (reversed, in/out swapped) and padding k-1-d on top; its output is interleaved into dx.
 * This does the useful work only; the textbook alternative, spreading dy over a zero grid
 * with s-1 gaps and convolving with the whole filter, multiplies zeros 3 times out of 4 for
 * stride 2. It stays as the fallback for geometries whose phase padding would be negative
 * (a phase convolution that would have to crop dy).
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGradGeometry, shapeAttr } from './conv-attrs';
import { scatterStrided } from './heap-copies';
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';
import { directConv2d, directConvPays } from './conv2d-direct';
import { heapF32, Scratch, simdRunner, withScratch } from './wasm-backend-access';

const NAME = 'Conv2DBackpropInput';

/** One output phase along one axis: rows a + s*u, u < n, fed by taps i0 + s*m, m < k, with padding (before, after) around dy. */
interface AxisPhase {
  a: number;
  n: number;
  i0: number;
  k: number;
  before: number;
  after: number;
}

/** The s phases of one axis: input length `len`, filter `f`, stride `s`, leading pad `pad`, dy length `o`. */
export function axisPhases(len: number, f: number, s: number, pad: number, o: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let a = 0; a < Math.min(s, len); a++) {
    const n = Math.ceil((len - a) / s);
    const i0 = (a + pad) % s;
    const k = i0 < f ? Math.ceil((f - i0) / s) : 0;
    const d = (a + pad - i0) / s;
    const before = k - 1 - d;
    phases.push({ a, n, i0, k, before, after: n - o - before + k - 1 });
  }
  return phases;
}

/**
 * The phase's filter, [kr, kc, out, in]: W'[k', l', o, c] = W[r.i0 + sh*(kr-1-k'), c0 + sw*(kc-1-l'), c, o]
 * (the taps of the phase, reversed, channels swapped); for stride 1 the whole filter reversed.
 * Written in JS: filters are small, and the wasm Reverse + Transpose pair it replaces cost
 * about 1.3 ms per call (72 ms of a MobileNetV2 step).
 */
function phaseFilter(s: Scratch, filter: tf.TensorInfo, r: AxisPhase, c: AxisPhase, sh: number, sw: number): tf.TensorInfo {
  const [, fw, C, CO] = filter.shape as [number, number, number, number];
  const out = s.alloc([r.k, c.k, CO, C]);
  const src = heapF32(s.backend, filter);
  const dst = heapF32(s.backend, out);
  for (let kk = 0; kk < r.k; kk++) {
    for (let ll = 0; ll < c.k; ll++) {
      const i = r.i0 + sh * (r.k - 1 - kk);
      const j = c.i0 + sw * (c.k - 1 - ll);
      const from = (i * fw + j) * C * CO;
      const to = (kk * c.k + ll) * CO * C;
      for (let ci = 0; ci < C; ci++) for (let o = 0; o < CO; o++) dst[to + o * C + ci] = src[from + ci * CO + o]!;
    }
  }
  return out;
}

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

function fastConv2dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const attrs = args.attrs ?? {};
  const dy = args.inputs['dy']!;
  const filter = args.inputs['filter']!;
  const inputShape = shapeAttr(NAME, attrs, 'inputShape');
  const info = convGradGeometry(NAME, inputShape, filter.shape, dy.shape, attrs, false);
  const [fh, fw, C, CO] = filter.shape as [number, number, number, number];
  const { batchSize: B, inHeight: H, inWidth: W, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const runner = simdRunner(args.backend);
  // A stride-1 convolution: gaf-lab's SIMD kernel when the output (x's) channels come in fours, XNNPACK otherwise.
  const conv = (s: Scratch, x: tf.TensorInfo, w: tf.TensorInfo, pad: 'valid' | ExplicitPad): tf.TensorInfo => {
    const convInfo = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      w.shape as [number, number, number, number],
      1,
      1,
      pad,
    );
    if (typeof runner !== 'string' && directConvPays(convInfo)) return directConv2d(s, x, w, undefined, convInfo, runner);
    return s.run('Conv2D', { x, filter: w }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' });
  };
  const rows = axisPhases(H, fh, sh, info.padInfo.top, oh);
  const cols = axisPhases(W, fw, sw, info.padInfo.left, ow);
  const padsOk = (p: AxisPhase): boolean => p.k === 0 || (p.before >= 0 && p.after >= 0);
  return withScratch(NAME, args.backend, (s) => {
    if (rows.every(padsOk) && cols.every(padsOk)) {
      if (sh === 1 && sw === 1) {
        const [r, c] = [rows[0]!, cols[0]!];
        return s.keep(
          conv(s, dy, phaseFilter(s, filter, r, c, 1, 1), [
            [0, 0],
            [r.before, r.after],
            [c.before, c.after],
            [0, 0],
          ]),
        );
      }
      const dx = s.alloc([B, H, W, C]);
      heapF32(s.backend, dx).fill(0);
      for (const r of rows) {
        for (const c of cols) {
          if (r.k === 0 || c.k === 0) continue; // no tap reaches this phase: it stays 0
          const w = phaseFilter(s, filter, r, c, sh, sw);
          const part = conv(s, dy, w, [
            [0, 0],
            [r.before, r.after],
            [c.before, c.after],
            [0, 0],
          ]); // [B, r.n, c.n, C]
          scatterStrided(heapF32(s.backend, part), [B, r.n, c.n, C], heapF32(s.backend, dx), [B, H, W, C], sh, sw, r.a, c.a, false);
          s.free(part);
          s.free(w);
        }
      }
      return s.keep(dx);
    }
    // Fallback: dy spread over a zero grid of [B, H+fh-1, W+fw-1, out], one 'valid' convolution.
    const top = fh - 1 - info.padInfo.top;
    const left = fw - 1 - info.padInfo.left;
    const Hz = H + fh - 1;
    const Wz = W + fw - 1;
    const z = s.alloc([B, Hz, Wz, CO]);
    scatterStrided(heapF32(s.backend, dy), [B, oh, ow, CO], heapF32(s.backend, z), [B, Hz, Wz, CO], sh, sw, top, left);
    const whole = (f: number): AxisPhase => ({ a: 0, n: 0, i0: 0, k: f, before: 0, after: 0 });
    return s.keep(conv(s, z, phaseFilter(s, filter, whole(fh), whole(fw), 1, 1), 'valid'));
  });
}

/**
 * Replacement for wasm 'Conv2DBackpropInput': float32 NHWC goes through XNNPACK; anything else
 * (NCHW, other dtypes) to tfjs-backend-wasm's own kernel.
 */
export const conv2dBackpropInputReplacement: KernelReplacement = {
  name: NAME,
  make:
    (original: WasmKernelFunc): WasmKernelFunc =>
    (args) => {
      const { dy, filter } = args.inputs;
      const format = args.attrs?.['dataFormat'];
      if (dy?.dtype !== 'float32' || filter?.dtype !== 'float32' || (format !== undefined && format !== null && format !== 'NHWC'))
        return original(args);
      return fastConv2dBackpropInput(args);
    },
};
