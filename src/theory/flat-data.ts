/**
 * Classification data as two tensors (flattened images, integer labels), its seeded batch
 * order and top-1 accuracy, for the deep-net, CNN and convergence studies.
 */
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist } from '../data/mnist';
import type { Split } from '../data/types';
import { permutation } from '../data/rng';
import { checkNum, fail } from './validate';

/** A labelled data set held as tensors; the caller disposes it with {@link disposeFlatData}. */
export interface FlatData {
  /** Inputs `[n, features]`, float32. */
  x: tf.Tensor2D;
  /** Labels `[n]`, int32 class indices. */
  y: tf.Tensor1D;
  count: number;
  features: number;
  classes: number;
}

/** Options of {@link loadFlatFashionMnist}. */
export interface FlatFashionOptions {
  /** `train` (default) or `test`. */
  split?: Split;
  /** Keep the first `limit` images (default 2000). */
  limit?: number;
  /** Folder of the IDX files (default: the usual search, Debian's package included). */
  dataDir?: string;
  /** Subtract the per-pixel mean of the loaded images (default false: pixels in [0, 1]). */
  center?: boolean;
}

/** Fashion-MNIST images flattened to 784 features in [0, 1], with integer labels. */
export function loadFlatFashionMnist(options: FlatFashionOptions = {}): FlatData {
  const limit = checkNum('loadFlatFashionMnist', 'limit', options.limit ?? 2000, { min: 1, integer: true });
  const set = loadFashionMnist({ split: options.split ?? 'train', limit, dataDir: options.dataDir });
  const features = set.height * set.width * set.channels;
  const x = tf.tidy(() => {
    const raw = tf.tensor2d(set.images, [set.count, features]);
    return options.center ? tf.sub(raw, tf.mean(raw, 0, true)) : raw;
  }) as tf.Tensor2D;
  return { x, y: tf.tensor1d(set.labels, 'int32'), count: set.count, features, classes: set.classNames.length };
}

/** Frees the tensors of a {@link FlatData}. */
export function disposeFlatData(d: FlatData): void {
  tf.dispose([d.x, d.y]);
}

/** Checks that `d` looks like a {@link FlatData} with `features` inputs. */
export function checkFlatData(where: string, d: FlatData, features?: number): void {
  if (!d || !(d.x instanceof tf.Tensor) || !(d.y instanceof tf.Tensor)) {
    fail(where, 'data', typeof d, '{x: Tensor2D [n, features], y: int32 Tensor1D [n], ...}', 'Use loadFlatFashionMnist({limit: 1000}).');
  }
  if (d.x.rank !== 2 || d.y.rank !== 1 || d.x.shape[0] !== d.y.shape[0]) {
    fail(
      where,
      'data shapes',
      `x ${JSON.stringify(d.x.shape)}, y ${JSON.stringify(d.y.shape)}`,
      'x [n, features] and y [n] with the same n',
    );
  }
  if (d.x.isDisposed || d.y.isDisposed) fail(where, 'data', 'disposed tensors', 'live tensors', 'Load the data again.');
  if (features !== undefined && d.x.shape[1] !== features)
    fail(where, 'data.x.shape[1]', d.x.shape[1], `${features} (the model's input size)`);
}

/** Top-1 accuracy of logits against int labels, as a number. */
export function accuracyOf(logits: tf.Tensor, labels: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), labels.toInt()), 'float32')).dataSync()[0]!);
}

/**
 * Index batches of one pass over `n` samples in a seeded random order (the last batch may be
 * smaller). Epoch `e` of seed `s` is always the same order.
 */
export function batchOrder(n: number, batchSize: number, seed: number, epoch: number): Int32Array[] {
  const p = permutation(n, seed * 1000003 + epoch);
  const out: Int32Array[] = [];
  for (let i = 0; i < n; i += batchSize) out.push(p.slice(i, Math.min(n, i + batchSize)));
  return out;
}
