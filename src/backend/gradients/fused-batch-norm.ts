/**
 * The gradient of FusedBatchNorm written with two reductions instead of tfjs-core's four
 * reductions and a Tile.
 *
 * With k = scale / sqrt(variance + eps), S1 = sum(dy) and S2 = sum(dy * (x - mean)), the sums
 * running over the axes along which the statistics are broadcast (every axis but the
 * channel axis for per-channel statistics, none for per-element ones), tfjs-core's formulas are
 *   d x        = dy * tile(1/sqrt(var+eps)) * scale       = dy * k
 *   d mean     = sum(-1/sqrt(var+eps) * dy * scale)        = -k * S1
 *   d variance = sum(-0.5 (var+eps)^-3/2 (x-mean) dy scale) = -0.5 * k / (var+eps) * S2
 *   d scale    = sum(dy * (x-mean) / sqrt(var+eps))        = S2 / sqrt(var+eps)
 *   d offset   = sum(dy)                                   = S1
 * (the per-channel factors move out of the sums). On wasm the Tile of the channel vector
 * over the whole activation cost about 290 ms per call and each Sum a transpose of the
 * activation; here only S1 and S2 touch the full tensor. tfjs keeps one gradient per kernel,
 * so this replaces tfjs-core's on every backend; it equals tfjs-core's wherever that one
 * works (rank-1 and per-element statistics) and, unlike it, also handles statistics of shape
 * [1, 1, 1, C] (tfjs-core's fails reshaping an unreduced tensor to that shape).
 * @module
 */
import * as tf from '@tensorflow/tfjs';

const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined | null];
  const dyT = dy as tf.Tensor;
  const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
  const reduce = (t: tf.Tensor): tf.Tensor => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
  // Per-channel factors and the two full-tensor reductions; computed here, once, because the
  // per-input closures below run in separate tidy scopes.
  const rsqrt = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
  const k = scale == null ? rsqrt : tf.mul(rsqrt, scale);
  const sumDy = reduce(dyT);
  const sumDyXc = tf.tidy(() => reduce(tf.mul(dyT, tf.sub(x, mean))));
  return {
    x: () => tf.mul(dyT, k),
    mean: () => tf.mul(tf.neg(k), sumDy),
    variance: () => tf.mul(tf.mul(k, tf.mul(tf.square(rsqrt), tf.scalar(-0.5))), sumDyXc),
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
