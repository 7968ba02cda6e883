import * as tf from '@tensorflow/tfjs';
import { stateless, type Transform } from '../transform';

/**
 * Multiplies by `-learningRate`, read at every step from the optimizer so that schedulers can
 * change it between steps. Always the last stage: its output is added to the parameter.
 */
export function scaleByLearningRate(): Transform {
  return stateless('scaleByLearningRate', (d, { learningRate }) => tf.mul(d, -learningRate));
}
