import * as tf from '@tensorflow/tfjs';
import { stateless, type Transform } from '../transform';

/** Clips every component of the incoming update to [-value, value]. */
export function clipByValue(value: number): Transform {
  return stateless(`clipByValue(${value})`, (d) => tf.clipByValue(d, -value, value));
}
