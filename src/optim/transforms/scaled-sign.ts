import * as tf from '@tensorflow/tfjs';
import { stateless, type Transform } from '../transform';

/**
 * Replaces the incoming update by `scale * sign(d)` element-wise (0 stays 0): scaled sign-SGD,
 * the limit of `alpha * atan(beta x)` (scale `alpha*pi/2`) or `alpha * tanh(beta x)` (scale
 * `alpha`) as beta grows. It stands where a GAF would, so the observer reports its output as
 * the activated gradient.
 */
export function scaledSign(scale: number): Transform {
  return stateless(`scaledSign(${scale})`, (d) => tf.mul(tf.sign(d), scale), true);
}
