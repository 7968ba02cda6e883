import * as tf from '@tensorflow/tfjs';
import type { Transform } from '../transform';

/** Settings of {@link scaleByRms}. */
export interface RmsScaleOptions {
  /** PyTorch's `alpha`: smoothing constant of the running averages. */
  decay: number;
  epsilon: number;
  /** Divide by the running standard deviation instead of the running RMS. */
  centered: boolean;
}

/**
 * PyTorch's RMSprop direction: `sa = a*sa + (1-a)*d^2` (slot `squareAvg`); centered also keeps
 * `ga = a*ga + (1-a)*d` (slot `gradAvg`) and uses `avg = sqrt(sa - ga^2) + eps`, otherwise
 * `avg = sqrt(sa) + eps`; output `d / avg`. Slots start at zero.
 *
 * `sa - ga^2` is mathematically >= 0 but rounds to a tiny negative number in float32 (seen with
 * a constant gradient after ~24 steps at decay 0.5), where PyTorch's formula gives NaN. It is
 * clamped at 0 here, so that case behaves like an exactly zero variance (`avg = eps`).
 */
export function scaleByRms({ decay, epsilon, centered }: RmsScaleOptions): Transform {
  return {
    name: `scaleByRms(decay=${decay}, epsilon=${epsilon}, centered=${centered})`,
    slots: centered ? ['squareAvg', 'gradAvg'] : ['squareAvg'],
    update: (d, slots) => {
      const sa = tf.add(tf.mul(slots[0]!, decay), tf.mul(tf.square(d), 1 - decay));
      if (!centered) {
        return { update: tf.div(d, tf.add(tf.sqrt(sa), epsilon)), slots: [sa] };
      }
      const ga = tf.add(tf.mul(slots[1]!, decay), tf.mul(d, 1 - decay));
      const variance = tf.relu(tf.sub(sa, tf.square(ga)));
      return { update: tf.div(d, tf.add(tf.sqrt(variance), epsilon)), slots: [sa, ga] };
    },
  };
}
