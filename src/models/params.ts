/**
 * Parameter counting with PyTorch's convention: trainable weights only (BN gamma and beta
 * count; BN moving mean/variance are non-trainable and do not).
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** Number of trainable scalars of a model (sum of the sizes of `model.trainableWeights`). */
export function countTrainableParams(model: tf.LayersModel): number {
  let n = 0;
  for (const w of model.trainableWeights) n += w.shape.reduce<number>((a, d) => a * (d ?? 0), 1);
  return n;
}
