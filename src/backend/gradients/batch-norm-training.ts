/**
 * Batch normalisation in training mode (statistics of the batch) as one op with a
 * closed-form gradient, for the batch-norm layers of gaf-lab's models.
 *
 * tfjs-layers builds it from `tf.moments` + `tf.batchNorm`: Mean, Sub, Square, Mean and
 * FusedBatchNorm, each recorded on the tape. For the backward pass that keeps, per layer, the
 * centred input x - mean (saved by Square) and its square (saved by the second Mean) besides
 * x itself: two extra activation-sized tensors per layer, about 40% of everything a
 * MobileNetV2 training step saves (measured: 420 of 1090 MB at batch 32). Its backward pass
 * runs the gradients of all five ops, with broadcasts and accumulations: about 15 full passes
 * over the activation.
 *
 * Here the forward pass runs the same ops in the same order (bit-identical output, mean and
 * variance) inside one custom-gradient op that saves only x and the per-channel statistics.
 * With N values per channel, rstd = 1/sqrt(var + eps), k = gamma * rstd, xc = x - mean,
 * S1 = sum(dy) and S2 = sum(dy * xc) (sums over every axis but the channel axis), the
 * gradient, including the dependence of mean and variance on x, is
 *   d beta  = S1
 *   d gamma = rstd * S2
 *   d x     = k * (dy - S1 / N - xc * rstd^2 * S2 / N)
 * (differentiate y = gamma * (x - mean) * rstd + beta with d mean/dx = 1/N and
 * d var/dx = 2 (x - mean) / N; the terms through mean and variance reduce to the two sums).
 * d x is computed as dy * k plus the per-channel affine map xc * c2 + c1 of x, the latter as
 * one FusedBatchNorm (c2 = -k rstd^2 S2 / N, c1 = -k S1 / N): 7 full passes, 3 of them
 * reductions. Results equal the composite's up to float32 rounding.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** What {@link batchNormTraining} returns. */
export interface BatchNormTrainingResult {
  /** The normalised, scaled and shifted x. */
  y: tf.Tensor;
  /** Per-channel batch mean and (biased) variance, shape [C], for the moving averages. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Axes of x reduced by per-channel statistics (all but the last) and how many values each channel has. */
function reductionOf(x: tf.Tensor): { axes: number[]; count: number } {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  return { axes, count: x.size / (x.shape[x.shape.length - 1] ?? 1) };
}

/**
 * Batch norm of `x` over every axis but the last, with batch statistics, as tfjs-layers computes
 * it in training (`tf.moments` then `tf.batchNorm`), differentiable with respect to x, gamma and
 * beta by the closed form of the module notes. All three results belong to the current scope, as op results do.
 * @param x rank >= 2, channels last, float32.
 * @param gamma scale, shape [C]; beta offset, shape [C].
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  const channels = x.shape[x.shape.length - 1];
  if (x.rank < 2 || gamma.rank !== 1 || beta.rank !== 1 || gamma.shape[0] !== channels || beta.shape[0] !== channels) {
    throw new Error(
      `batchNormTraining: x must have rank >= 2 with channels last and gamma, beta shape [C]; got x ${JSON.stringify(x.shape)}, gamma ${JSON.stringify(gamma.shape)}, beta ${JSON.stringify(beta.shape)}.`,
    );
  }
  const { axes, count } = reductionOf(x);
  const keepShape = x.shape.map((d, i) => (i < x.rank - 1 ? 1 : d));
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const [xs, g, b] = [xIn as tf.Tensor, gammaIn as tf.Tensor1D, betaIn as tf.Tensor1D];
    // The ops of tf.moments, in its order, so that y, mean and variance are bit-identical.
    const mean = tf.mean(xs, axes) as tf.Tensor1D;
    const variance = tf.mean(tf.square(tf.sub(tf.cast(xs, 'float32'), tf.reshape(mean, keepShape))), axes) as tf.Tensor1D;
    const y = tf.batchNorm(xs, mean, variance, b, g, epsilon);
    (save as tf.GradSaveFunc)([xs, mean, variance, g]);
    // Kept past the op's own tidy for the moving averages.
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [sx, sMean, sVar, sGamma] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const rstd = tf.rsqrt(tf.add(sVar, tf.scalar(epsilon)));
        const k = tf.mul(sGamma, rstd);
        const s1 = tf.sum(dy, axes);
        const s2 = tf.sum(tf.mul(dy, tf.sub(sx, sMean)), axes);
        const c2 = tf.mul(tf.mul(k, tf.square(rstd)), tf.mul(s2, tf.scalar(-1 / count)));
        const c1 = tf.mul(k, tf.mul(s1, tf.scalar(-1 / count)));
        // (x - mean) * c2 + c1 in one per-channel affine pass (variance 1, epsilon 0: rsqrt is exactly 1).
        const affine = tf.batchNorm(sx, sMean, tf.onesLike(sVar), c1, c2, 0);
        const dx = tf.add(tf.mul(dy, k), affine);
        return [dx, tf.mul(rstd, s2), s1];
      });
    return { value: y, gradFunc };
  });
  const y = op(x, gamma, beta) as tf.Tensor;
  if (stats === undefined) throw new Error('internal: batchNormTraining ran without computing its statistics');
  // Into the caller's scope like any op result (a clone shares the data), so that tidy frees them.
  const kept = stats;
  const out = { y, mean: tf.clone(kept.mean), variance: tf.clone(kept.variance) };
  kept.mean.dispose();
  kept.variance.dispose();
  return out;
}

let enabled = true;

/**
 * Whether gaf-lab's batch-norm layers train through {@link batchNormTraining} (true, the
 * default) or through tfjs-layers' composite (false; `setFastTraining(false)` sets this, for
 * before/after comparisons). @returns true when the setting changed.
 */
export function setLeanBatchNorm(on: boolean): boolean {
  const changed = enabled !== on;
  enabled = on;
  return changed;
}

/** The current {@link setLeanBatchNorm} setting. */
export function leanBatchNormOn(): boolean {
  return enabled;
}
