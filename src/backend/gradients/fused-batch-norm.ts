/**
 * The gradient of FusedBatchNorm with per-channel statistics, written with two reductions
 * instead of tfjs-core's four reductions and a Tile.
 *
 * With k = scale / sqrt(variance + eps) (per channel), S1 = sum(dy) and
 * S2 = sum(dy * (x - mean)) over every axis but the channel axis, tfjs-core's formulas are
 *   d x        = dy * tile(1/sqrt(var+eps)) * scale       = dy * k
 *   d mean     = sum(-1/sqrt(var+eps) * dy * scale)        = -k * S1
 *   d variance = sum(-0.5 (var+eps)^-3/2 (x-mean) dy scale) = -0.5 * k / (var+eps) * S2
 *   d scale    = sum(dy * (x-mean) / sqrt(var+eps))        = S2 / sqrt(var+eps)
 *   d offset   = sum(dy)                                   = S1
 * (the per-channel factors move out of the sums). On wasm the Tile of the channel vector
 * over the whole activation cost about 290 ms per call and each Sum a transpose of the
 * activation; here only S1 and S2 touch the full tensor. The gradient is the same for every
 * backend, so it replaces tfjs-core's for all of them; for statistics that are not one value
 * per channel (rank > 1) tfjs-core's own gradient runs unchanged.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** The gradient config this module replaces, kept to delegate to and to restore. */
let tfjsGradient: tf.GradConfig | undefined;

function originalGradient(): tf.GradConfig {
  if (tfjsGradient === undefined) throw new Error('internal: the tfjs FusedBatchNorm gradient was not captured before the override');
  return tfjsGradient;
}

const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined | null];
  const dyT = dy as tf.Tensor;
  if (mean.rank !== 1) return originalGradient().gradFunc(dy, saved, attrs);
  const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
  // Per-channel factors and the two full-tensor reductions; computed here, once, because the
  // per-input closures below run in separate tidy scopes.
  const rsqrt = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
  const k = scale == null ? rsqrt : tf.mul(rsqrt, scale);
  const sumDy = tf.reshape(tf.sum(dyT, axes), mean.shape);
  const sumDyXc = tf.tidy(() => tf.reshape(tf.sum(tf.mul(dyT, tf.sub(x, mean)), axes), mean.shape));
  return {
    x: () => tf.mul(dyT, k),
    mean: () => tf.mul(tf.neg(k), sumDy),
    variance: () => tf.mul(tf.mul(tf.mul(k, tf.square(rsqrt)), tf.scalar(-0.5)), sumDyXc),
    scale: () => tf.mul(rsqrt, sumDyXc),
    offset: () => tf.clone(sumDy),
  };
};

/** The gaf-lab gradient for FusedBatchNorm. */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc,
};

/** Installs {@link fusedBatchNormGradConfig}, remembering tfjs-core's gradient. Idempotent. */
export function overrideFusedBatchNormGradient(): boolean {
  const current = tf.getGradient('FusedBatchNorm');
  if (current === fusedBatchNormGradConfig) return false;
  tfjsGradient = current;
  tf.registerGradient(fusedBatchNormGradConfig);
  return true;
}

/** Puts tfjs-core's FusedBatchNorm gradient back. */
export function restoreFusedBatchNormGradient(): boolean {
  if (tfjsGradient === undefined || tf.getGradient('FusedBatchNorm') !== fusedBatchNormGradConfig) return false;
  tf.registerGradient(tfjsGradient);
  return true;
}
