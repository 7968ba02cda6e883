import * as tf from '@tensorflow/tfjs';
import type { Transform } from '../transform';

/** Settings of {@link trace}. */
export interface TraceOptions {
  /** mu in [0, 1). */
  momentum: number;
  /** tau in [0, 1]: the share of the incoming value left out of the buffer. */
  dampening: number;
  /** Nesterov form: output `incoming + mu * buffer` instead of `buffer`. */
  nesterov: boolean;
}

/**
 * PyTorch's SGD momentum buffer (slot `momentum`). On a variable's first step the buffer is a
 * copy of the incoming value (so dampening does not shrink the first step); afterwards
 * `b = mu*b + (1 - tau)*incoming`. Output: `b`, or `incoming + mu*b` with Nesterov.
 * With tau = 0 this is also RMSprop's momentum buffer, whose zero start gives the same `b`.
 */
export function trace({ momentum, dampening, nesterov }: TraceOptions): Transform {
  const out = (incoming: tf.Tensor, b: tf.Tensor): tf.Tensor => (nesterov ? tf.add(incoming, tf.mul(b, momentum)) : b);
  return {
    name: `trace(momentum=${momentum}, dampening=${dampening}, nesterov=${nesterov})`,
    slots: ['momentum'],
    first: (incoming) => ({ update: out(incoming, incoming), slots: [incoming] }),
    update: (incoming, [b], _ctx) => {
      const next = tf.add(tf.mul(b!, momentum), tf.mul(incoming, 1 - dampening));
      return { update: out(incoming, next), slots: [next] };
    },
  };
}
