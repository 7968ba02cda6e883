/**
 * The benchmarks' training step: one fixed random batch (seeded, so every side of a comparison
 * sees the same numbers), softmax cross-entropy, and a timer around minimize up to the loss read
 * back (which waits for queued work on asynchronous backends).
 */
import * as tf from '@tensorflow/tfjs';

export interface TimedStep {
  /** The model's trainable variables, in the order the optimizers see them. */
  vars: tf.Variable[];
  /** The training loss on the batch (for gradients outside `step`). */
  loss(): tf.Scalar;
  /** One optimizer step; resolves with its wall time in milliseconds. */
  step(optimizer: tf.Optimizer): Promise<number>;
  /** Frees the batch. */
  dispose(): void;
}

export function timedStep(model: tf.LayersModel, batch: number, shape: readonly number[], numClasses: number): TimedStep {
  const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, numClasses, 'int32', 2) as tf.Tensor1D, numClasses));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  return {
    vars,
    loss,
    async step(optimizer) {
      const t0 = performance.now();
      const value = optimizer.minimize(loss, true, vars);
      await value?.data();
      value?.dispose();
      return performance.now() - t0;
    },
    dispose() {
      x.dispose();
      y.dispose();
    },
  };
}
