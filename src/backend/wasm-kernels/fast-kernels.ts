/**
 * Faster versions of kernels tfjs-backend-wasm already has, for the ones a training step
 * spends most of its time in (see docs/performance.md for the profiles behind each choice).
 * @module
 */
import { conv2dBackpropFilterReplacement } from './conv2d-backprop-filter-windows';
import { conv2dBackpropInputReplacement } from './conv2d-backprop-input';
import { conv2dReplacement, fusedConv2dReplacement } from './conv2d-forward';
import { depthwiseBackpropFilterReplacement } from './depthwise-backprop-filter-dots';
import { fusedBatchNormReplacement } from './fused-batch-norm';
import { castReplacement, identityReplacement } from './identity';
import { maxPoolGradReplacement } from './max-pool-grad';
import { meanReplacement, sumReplacement } from './reduce-outer';
import { sliceReplacement } from './slice';
import { tileReplacement } from './tile';
import { installReplacement, KernelReplacement, removeReplacement } from './replace-kernel';

/** What each replacement does better, for reports. */
export interface WasmFastKernelInfo {
  readonly name: string;
  readonly method: string;
  /** Inputs left to tfjs-backend-wasm's own kernel. */
  readonly delegates: string;
}

const DIRECT_CONV =
  "gaf-lab's own WebAssembly SIMD convolution (2-pixel x 16-channel register tiles, taps in the padding skipped, no padded copy), on every thread of the run";

const REPLACEMENTS: readonly (KernelReplacement & WasmFastKernelInfo)[] = [
  {
    ...fusedConv2dReplacement,
    method: DIRECT_CONV,
    delegates: 'NCHW, non-float32, output channels not in fours, activations other than linear, PReLU weights',
  },
  {
    ...conv2dReplacement,
    method: DIRECT_CONV,
    delegates: 'NCHW, non-float32, output channels not in fours',
  },
  {
    ...conv2dBackpropInputReplacement,
    method:
      "transposed convolution as forward convolutions (gaf-lab's SIMD convolution; XNNPACK when the input channels are not in fours): stride 1 one convolution with the reversed, in/out-swapped filter; stride s one per output phase with its sub-filter (no zero-spread dy)",
    delegates: 'NCHW, non-float32',
  },
  {
    ...conv2dBackpropFilterReplacement,
    method:
      "direct: gaf-lab's own WebAssembly SIMD tile kernel reading x and dy in place (no im2col, no packing), on every thread of the run, for output channels in fours; otherwise chunked XNNPACK products over pixels in one of four layouts (pointwise; windows: transposed im2col from contiguous copies of the phase-split input, rows sharing their zero padding; taps: per-tap gathers; exact: whole images, im2col by row copies and one rank-4 transpose, dy packed once), chosen by a fitted cost model",
    delegates: 'none (replaces the foundation kernel of index.ts)',
  },
  {
    ...depthwiseBackpropFilterReplacement,
    method:
      'per-channel dot products in JS over the channel-major phase grid, all taps of a phase in one pass (no windows matrix, no batched BatchMatMul)',
    delegates: 'none (replaces the foundation kernel of index.ts)',
  },
  {
    ...sumReplacement,
    method: 'XNNPACK average pooling over the reduced rows (no transpose), partial means combined in float64',
    delegates: 'innermost axes, non-contiguous axes, non-float32',
  },
  { ...meanReplacement, method: 'as Sum, scaled by 1/R', delegates: 'innermost axes, non-contiguous axes, non-float32' },
  {
    ...fusedBatchNormReplacement,
    method: 'per-channel y = x*k + b as one XNNPACK 1x1 depthwise convolution with bias (k, b from the statistics in float64)',
    delegates: 'statistics that are not one value per channel, non-float32, rank other than 4',
  },
  {
    ...identityReplacement,
    method: 'shares the input memory (reference count) instead of copying it; the engine clones every tensor it saves for backprop',
    delegates: 'string tensors',
  },
  {
    ...castReplacement,
    method: 'a cast to the dtype the tensor already has shares its memory (tf.moments casts float32 to float32)',
    delegates: 'real dtype conversions, strings',
  },
  {
    ...sliceReplacement,
    method: 'copies the box straight from a view of the wasm heap (the original first copies the whole input out with readSync)',
    delegates: 'strings, scalars',
  },
  {
    ...tileReplacement,
    method: 'copies the input into place, then fills each axis by doubling copyWithin (tf.broadcastTo runs Tile)',
    delegates: 'strings',
  },
  {
    ...maxPoolGradReplacement,
    method: 'JS argmax per window and channel (cpu tie-breaking), one pass over the input',
    delegates: 'non-float32, rank other than 4',
  },
];

/** The replacements {@link registerWasmFastKernels} installs. */
export const WASM_FAST_KERNELS: readonly WasmFastKernelInfo[] = REPLACEMENTS.map(({ name, method, delegates }) => ({
  name,
  method,
  delegates,
}));

/**
 * Replaces tfjs-backend-wasm's kernels listed in {@link WASM_FAST_KERNELS} with gaf-lab's.
 * Idempotent; safe before or after `tf.setBackend('wasm')`.
 * @returns the names replaced by this call.
 */
export function registerWasmFastKernels(): string[] {
  return REPLACEMENTS.filter((r) => installReplacement(r)).map((r) => r.name);
}

/** Puts tfjs-backend-wasm's own kernels back (for comparisons); returns the names restored. */
export function unregisterWasmFastKernels(): string[] {
  return REPLACEMENTS.filter((r) => removeReplacement(r.name)).map((r) => r.name);
}
