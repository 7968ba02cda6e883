/**
 * tfjs-layers' BatchNormalization with a leaner training step: the same layer (same class
 * name, config, weights and outputs; saved models load as the plain tfjs layer), whose
 * training-mode call runs {@link batchNormTraining} (one op with a closed-form gradient that
 * keeps only x and per-channel statistics for the backward pass) instead of `tf.moments` +
 * `tf.batchNorm` (five recorded ops keeping two more activation-sized tensors per layer).
 * Inference, and layers the lean op does not cover (channel axis not last, no scale or no
 * center), use the inherited call; so does everything while `setFastTraining(false)` is on.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, leanBatchNormOn } from '../backend/gradients/batch-norm-training';

/** Arguments of tf.layers.batchNormalization. */
export type BatchNormalizationArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
type Kwargs = Parameters<tf.layers.Layer['call']>[1];

/** The fields of tfjs-layers' BatchNormalization the training call reads (set in its constructor and build). */
interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** tfjs-layers registers its BatchNormalization class for deserialisation; it is not exported by name. */
function tfjsBatchNormalization(): new (args: BatchNormalizationArgs) => tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'];
  if (entry === undefined) throw new Error(`gaf-lab: tfjs-layers ${tf.version.tfjs} registers no 'BatchNormalization' class.`);
  return entry[0] as unknown as new (args: BatchNormalizationArgs) => tf.layers.Layer;
}

/** tfjs-layers' moving-average update, op for op: v <- v - (v - value) * (1 - momentum). */
function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/** See the module notes. Construct it with tf.layers.batchNormalization's arguments. */
export class LeanBatchNormalization extends tfjsBatchNormalization() {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = (kwargs?.['training'] as boolean | undefined) ?? false;
    if (
      !training ||
      !leanBatchNormOn() ||
      x === undefined ||
      self.gamma == null ||
      self.beta == null ||
      !(self.axis === -1 || self.axis === x.rank - 1)
    ) {
      return super.call(inputs, kwargs);
    }
    const { gamma, beta, movingMean, movingVariance, momentum, epsilon } = self as Required<BatchNormFields>;
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, gamma.read() as tf.Tensor1D, beta.read() as tf.Tensor1D, epsilon);
      movingAverage(movingMean, mean, momentum);
      movingAverage(movingVariance, variance, momentum);
      return y;
    });
  }
}
