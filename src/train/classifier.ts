import * as tf from '@tensorflow/tfjs';
import type { DataLoader } from '../data/dataset';

/** What one epoch of {@link trainEpoch} measured. */
export interface TrainEpochResult {
  /** Mean cross-entropy over the epoch's samples. */
  loss: number;
  /** Top-1 accuracy over the epoch's samples (training mode, as PyTorch scripts report it). */
  accuracy: number;
  samples: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
  /** True when a non-finite loss was met; the epoch stops at that batch. */
  diverged: boolean;
}

/** What {@link evaluate} measured. */
export interface EvalResult {
  loss: number;
  accuracy: number;
  samples: number;
}

/** Softmax cross-entropy of logits against integer labels, averaged over the batch. */
function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  const onehot = tf.oneHot(labels.toInt(), logits.shape[logits.shape.length - 1]!);
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
}

function correct(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels.toInt()), 'float32'));
}

/**
 * One epoch of minibatch training of a classifier that outputs logits.
 * Loss and accuracy are accumulated on the device and read once per batch.
 */
export async function trainEpoch(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  loader: DataLoader,
  epoch: number,
  onBatch?: (batch: number, loss: number) => void,
): Promise<TrainEpochResult> {
  const t0 = performance.now();
  let lossSum = 0;
  let hits = 0;
  let samples = 0;
  let diverged = false;
  for await (const b of loader.epoch(epoch)) {
    let hit: tf.Scalar | undefined;
    const loss = optimizer.minimize(() => {
      const logits = model.apply(b.x, { training: true }) as tf.Tensor;
      // The gradient tape frees the logits when minimize returns: count the hits while they live.
      hit = tf.keep(correct(logits, b.y));
      return crossEntropy(logits, b.y);
    }, true) as tf.Scalar;
    const [lv, hv] = [(await loss.data())[0]!, (await hit!.data())[0]!];
    tf.dispose([loss, hit!]);
    b.dispose();
    if (!Number.isFinite(lv)) {
      diverged = true;
      break;
    }
    lossSum += lv * b.size;
    hits += hv;
    samples += b.size;
    onBatch?.(b.batch, lv);
  }
  return { loss: lossSum / Math.max(1, samples), accuracy: hits / Math.max(1, samples), samples, seconds: (performance.now() - t0) / 1000, diverged };
}

/** Loss and top-1 accuracy of a logits classifier over a whole loader (inference mode). */
export async function evaluate(model: tf.LayersModel, loader: DataLoader): Promise<EvalResult> {
  let lossSum = 0;
  let hits = 0;
  let samples = 0;
  for await (const b of loader.epoch(0)) {
    const [loss, hit] = tf.tidy(() => {
      const logits = model.apply(b.x, { training: false }) as tf.Tensor;
      return [crossEntropy(logits, b.y), correct(logits, b.y)];
    });
    lossSum += (await loss.data())[0]! * b.size;
    hits += (await hit.data())[0]!;
    samples += b.size;
    tf.dispose([loss, hit]);
    b.dispose();
  }
  return { loss: lossSum / Math.max(1, samples), accuracy: hits / Math.max(1, samples), samples };
}
