/**
 * Sum and Mean over a contiguous block of axes that is not the innermost one, for the wasm
 * backend: the per-channel reductions of batch norm and its gradient (axes [0, 1, 2] of an
 * NHWC tensor), global average pooling (axes [1, 2]), bias gradients (axis 0).
 *
 * tfjs-backend-wasm reduces only innermost axes, so for these it first transposes the whole
 * tensor: 15-33 ms for a Sum over [0, 1, 2] of a [128, 32, 32, 32] activation, almost all of
 * it the transpose. But a mean over a block of rows is exactly what XNNPACK's average pooling
 * computes, streaming the input once with SIMD: viewed as [A*Ro, Ri, 1, B] (Ri the product of
 * the last reduced axes, Ro of the other reduced ones), an average pool with an [Ri, 1] window
 * gives the means of each (a, ro, b) in under 1 ms for that tensor. The remaining Ro partial
 * means per output are combined in JavaScript in float64 (and scaled to a sum for Sum).
 * Keeping Ri at most {@link MAX_WINDOW} bounds the float32 accumulation inside the pool.
 * (Tried and slower: a JS loop over the heap, 8-12 ms; ones[1, R] x X[R, B] on XNNPACK,
 * 18 ms, because it packs X as a weight matrix and caches that copy until X is freed.)
 * Everything else (innermost axes, non-float32 dtypes, empty tensors, axes that are not one
 * contiguous block) goes to tfjs-backend-wasm's own kernel.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';
import { heapF32, withScratch } from './wasm-backend-access';

/** Largest pooling window (elements accumulated in float32 by XNNPACK) unless one axis alone is larger. */
export const MAX_WINDOW = 4096;

/** How a reduction is split: the input seen as [A, Ro, Ri, B], pooled over Ri, combined over Ro. */
export interface OuterReductionPlan {
  A: number;
  Ro: number;
  Ri: number;
  B: number;
  /** The reduced axes, sorted. */
  axes: number[];
}

/**
 * Plans a reduction of `shape` over `axis`, or returns undefined when the reduced axes are not
 * one contiguous block.
 */
export function planOuterReduction(shape: readonly number[], axis: unknown): OuterReductionPlan | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis as number | number[], shape as number[]))].sort((a, b) => a - b);
  if (axes.length === 0) return undefined;
  for (let k = 1; k < axes.length; k++) if (axes[k] !== axes[0]! + k) return undefined;
  const prod = (from: number, to: number): number => shape.slice(from, to).reduce((p, v) => p * v, 1);
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  // Pool over the longest suffix of the reduced axes whose size stays within MAX_WINDOW (at
  // least one axis, and at least 2 elements when possible: XNNPACK rejects a 1-element pool).
  let split = last;
  let Ri = shape[last]!;
  while (split > first && (Ri * shape[split - 1]! <= MAX_WINDOW || Ri < 2)) {
    split--;
    Ri *= shape[split]!;
  }
  return { A: prod(0, first), Ro: prod(first, split), Ri, B: prod(last + 1, shape.length), axes };
}

/** Output shape of a reduction, with or without the kept size-1 axes. */
function reducedShape(shape: readonly number[], axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((v, i) => (axes.includes(i) ? 1 : v)) : shape.filter((_, i) => !axes.includes(i));
}

/** Reduction kernel for Sum or Mean. */
function makeOuterReduce(name: 'Sum' | 'Mean', original: WasmKernelFunc): WasmKernelFunc {
  return (args) => {
    const x = args.inputs['x'];
    const attrs = args.attrs ?? {};
    if (x === undefined || x.dtype !== 'float32') return original(args);
    const plan = planOuterReduction(x.shape, attrs['axis']);
    if (plan === undefined || plan.B === 1 || plan.Ri < 2 || plan.A * plan.Ro * plan.Ri * plan.B === 0) return original(args);
    const { A, Ro, Ri, B, axes } = plan;
    const outShape = reducedShape(x.shape, axes, attrs['keepDims'] === true);
    return withScratch(name, args.backend, (s) => {
      const means = s.run('AvgPool', { x: s.reshape(x, [A * Ro, Ri, 1, B]) }, { filterSize: [Ri, 1], strides: [1, 1], pad: 'valid' }); // [A*Ro, 1, 1, B]
      if (Ro === 1 && name === 'Mean') return s.keep(s.reshape(means, outShape));
      const scale = name === 'Sum' ? Ri : 1 / Ro;
      const out = s.alloc(outShape);
      const m = heapF32(s.backend, means);
      const dst = heapF32(s.backend, out);
      const acc = new Float64Array(B);
      for (let a = 0; a < A; a++) {
        acc.fill(0);
        for (let r = 0, o = a * Ro * B; r < Ro; r++, o += B) for (let b = 0; b < B; b++) acc[b] += m[o + b]!;
        for (let b = 0; b < B; b++) dst[a * B + b] = acc[b]! * scale;
      }
      return s.keep(out);
    });
  };
}

/** Replacement for wasm 'Sum'. */
export const sumReplacement: KernelReplacement = { name: 'Sum', make: (original) => makeOuterReduce('Sum', original) };

/** Replacement for wasm 'Mean'. */
export const meanReplacement: KernelReplacement = { name: 'Mean', make: (original) => makeOuterReduce('Mean', original) };
