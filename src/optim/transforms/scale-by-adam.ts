import * as tf from '@tensorflow/tfjs';
import type { Transform } from '../transform';

/** Settings of {@link scaleByAdam}. */
export interface AdamScaleOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * Adam's direction, in the form the reference (and PyTorch before 1.5) uses:
 * `m = b1*m + (1-b1)*d`, `v = b2*v + (1-b2)*d^2` (slots `m`, `v`, starting at zero), output
 * `sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v) + eps)`. Epsilon is added to the uncorrected sqrt(v),
 * unlike tfjs's Adam, which adds it after bias correction.
 *
 * t is the optimizer's step (`iterations + 1`), shared by all variables, as in tfjs. PyTorch
 * counts steps per parameter; the two agree whenever every variable gets a gradient at every
 * step (always so in `model.fit`). A variable first updated at step 5 starts with t = 5 here.
 */
export function scaleByAdam({ beta1, beta2, epsilon }: AdamScaleOptions): Transform {
  return {
    name: `scaleByAdam(beta1=${beta1}, beta2=${beta2}, epsilon=${epsilon})`,
    slots: ['m', 'v'],
    update: (d, [m, v], { step }) => {
      const m1 = tf.add(tf.mul(m!, beta1), tf.mul(d, 1 - beta1));
      const v1 = tf.add(tf.mul(v!, beta2), tf.mul(tf.square(d), 1 - beta2));
      const correction = Math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step);
      const dir = tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), epsilon)), correction);
      return { update: dir, slots: [m1, v1] };
    },
  };
}
