import * as tf from '@tensorflow/tfjs';
import { stateless, type Transform } from '../transform';

/**
 * The adaptive atan GAF of SGD_atanMom_Ada, recomputed per variable at every step from the
 * incoming update d: `alpha = 2*max|d| / (pi*shrink)`, `beta = gamma/alpha`,
 * `out = alpha * atan(beta * d)`. So the largest component maps to
 * `alpha*atan(gamma*pi*shrink/2)` and the bound `alpha*pi/2` is `max|d|/shrink`.
 *
 * Differs from the reference on purpose: the reference uses `max(d)`, not `max|d|`. For a
 * tensor whose largest entry is 0 (all zeros, or all <= 0 with a zero) it divides by zero and
 * yields NaN; for a tensor with negative entries it takes alpha from the entry nearest +inf, so
 * the scale follows the sign pattern rather than the size of the update. Signs are preserved
 * either way (alpha and beta change sign together). Here an all-zero update stays all-zero.
 */
export function adaptiveAtan(shrink: number, gamma: number): Transform {
  const alphaPerMax = 2 / (Math.PI * shrink);
  return stateless(
    `adaptiveAtan(shrink=${shrink}, gamma=${gamma})`,
    (d) => {
      const alpha = tf.mul(tf.max(tf.abs(d)), alphaPerMax);
      // alpha = 0 only when d is all zeros; then alpha*atan(0) = 0 with any finite divisor.
      const safeAlpha = tf.where(tf.greater(alpha, 0), alpha, tf.onesLike(alpha));
      return tf.mul(alpha, tf.atan(tf.mul(d, tf.div(gamma, safeAlpha))));
    },
    true,
  );
}
