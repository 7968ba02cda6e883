import * as tf from '@tensorflow/tfjs';
import type { DataLoader } from '../data/dataset';
import { crossEntropy, trainableVariables, trainStep } from './step';

/** What one epoch of {@link trainEpoch} measured. */
export interface TrainEpochResult {
  /** Mean cross-entropy over the epoch's samples (those before a non-finite loss, if any). */
  loss: number;
  /** Top-1 accuracy over the epoch's samples (training mode, as PyTorch scripts report it). */
  accuracy: number;
  /** Top-5 accuracy (1 when there are at most 5 classes). */
  top5: number;
  samples: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
  /** True when a non-finite loss was met; the epoch stops at that batch. */
  diverged: boolean;
  /** The non-finite loss and the batch it came from, when diverged. */
  divergence?: { batch: number; loss: number };
  /** True when `signal` stopped the epoch before its end (after a complete step). */
  stopped: boolean;
  /** Learning rate of the last step taken (undefined when no step was taken). */
  lastLearningRate?: number;
}

/** What {@link evaluate} measured. */
export interface EvalResult {
  loss: number;
  /** Top-1 accuracy. */
  accuracy: number;
  top5: number;
  samples: number;
}

/** Running figures of an epoch, passed to `onBatch`. */
export interface BatchInfo {
  /** Mean loss and top-1 accuracy of the epoch so far. */
  loss: number;
  accuracy: number;
  samples: number;
  learningRate?: number;
}

/** Options of {@link trainEpoch}. */
export interface TrainEpochOptions {
  /** Called after every step with the batch number, that batch's loss and the running figures. */
  onBatch?: (batch: number, loss: number, info: BatchInfo) => void;
  /** Learning rate of batch `batch` (0-based), set on the optimizer before its step (per-iteration schedules). */
  learningRate?: (batch: number) => number;
  /** Stops the epoch after the step in flight (SIGINT handling). */
  signal?: AbortSignal;
}

/** [top-1 hits, top-5 hits] of a batch as one tensor. */
function hits(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const y = labels.toInt();
    const top1 = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
    const k = Math.min(5, logits.shape[logits.shape.length - 1]!);
    const { indices } = tf.topk(logits, k);
    const top5 = tf.sum(tf.cast(tf.any(tf.equal(indices, tf.expandDims(y, 1)), 1), 'float32'));
    return tf.stack([top1, top5]) as tf.Tensor1D;
  });
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (v: number) => void };
  if (typeof o.setLearningRate !== 'function') {
    throw new Error(`trainEpoch: a learning-rate schedule needs an optimizer with setLearningRate (${optimizer.getClassName()} has none).`);
  }
  o.setLearningRate(lr);
}

/**
 * One epoch of minibatch training of a classifier that outputs logits. The loss is read back
 * once per batch (to stop at a non-finite one); the trainable weights of `model` are the only
 * variables updated.
 */
export async function trainEpoch(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  loader: DataLoader,
  epoch: number,
  options: TrainEpochOptions | TrainEpochOptions['onBatch'] = {},
): Promise<TrainEpochResult> {
  const o: TrainEpochOptions = typeof options === 'function' ? { onBatch: options } : options;
  const t0 = performance.now();
  const varList = trainableVariables(model);
  let lossSum = 0;
  let top1 = 0;
  let top5 = 0;
  let samples = 0;
  let lr: number | undefined;
  let divergence: TrainEpochResult['divergence'];
  let stopped = false;
  for await (const b of loader.epoch(epoch)) {
    if (o.learningRate) setLearningRate(optimizer, (lr = o.learningRate(b.batch)));
    else lr = (optimizer as unknown as { learningRate?: number }).learningRate;
    const { loss, measured: hit } = trainStep(model, optimizer, b.x, b.y, { varList, measure: hits });
    const [lv, hv] = [(await loss.data())[0]!, await hit!.data()];
    tf.dispose([loss, hit!]);
    b.dispose();
    if (!Number.isFinite(lv)) {
      divergence = { batch: b.batch, loss: lv };
      break;
    }
    lossSum += lv * b.size;
    top1 += hv[0]!;
    top5 += hv[1]!;
    samples += b.size;
    o.onBatch?.(b.batch, lv, { loss: lossSum / samples, accuracy: top1 / samples, samples, learningRate: lr });
    // A stop request after the epoch's last step lets the epoch count as complete.
    if (o.signal?.aborted && b.batch + 1 < loader.batchesPerEpoch) {
      stopped = true;
      break;
    }
  }
  const n = Math.max(1, samples);
  return {
    loss: samples > 0 ? lossSum / n : NaN,
    accuracy: top1 / n,
    top5: top5 / n,
    samples,
    seconds: (performance.now() - t0) / 1000,
    diverged: divergence !== undefined,
    ...(divergence ? { divergence } : {}),
    stopped,
    lastLearningRate: lr,
  };
}

/** Loss, top-1 and top-5 accuracy of a logits classifier over a whole loader (inference mode). */
export async function evaluate(model: tf.LayersModel, loader: DataLoader): Promise<EvalResult> {
  let lossSum = 0;
  let top1 = 0;
  let top5 = 0;
  let samples = 0;
  for await (const b of loader.epoch(0)) {
    const [loss, hit] = tf.tidy(() => {
      const logits = model.apply(b.x, { training: false }) as tf.Tensor;
      return [crossEntropy(logits, b.y), hits(logits, b.y)];
    });
    const [lv, hv] = [(await loss.data())[0]!, await hit.data()];
    lossSum += lv * b.size;
    top1 += hv[0]!;
    top5 += hv[1]!;
    samples += b.size;
    tf.dispose([loss, hit]);
    b.dispose();
  }
  const n = Math.max(1, samples);
  return { loss: lossSum / n, accuracy: top1 / n, top5: top5 / n, samples };
}
