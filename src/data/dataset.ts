/**
 * One dataset interface for every loader, and the batching pipeline on top of it.
 *
 * - {@link ImageSource}: random access to labelled images of one shape. {@link ArrayDataset}
 *   holds them in memory (MNIST, CIFAR); {@link FileListDataset} decodes them from files on
 *   demand (image folders), so a dataset never has to fit in memory.
 * - {@link DataLoader}: seeded per-epoch shuffling, augmentation, batching into tensors, and
 *   a prefetch queue.
 *
 * Ownership of batches: every {@link Batch} holds tensors that the consumer owns and must free
 * with `batch.dispose()` once done (tf.tidy cannot span the `await` of an async loop). Batches
 * still waiting in the prefetch queue are plain typed arrays, not tensors, so stopping a loop
 * early leaks nothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageTransform } from './augment';
import { Rng, mixSeed, permutation } from './rng';
import type { ImageSet, ImageShape, PixelArray } from './types';

/** Random access to labelled images that all have the same shape. */
export interface ImageSource {
  /** Number of samples. */
  readonly size: number;
  /** Shape of every sample written by {@link ImageSource.readInto}. */
  readonly shape: ImageShape;
  /** Class names, indexed by label. */
  readonly classNames: readonly string[];
  /** Label of sample `index` (cheap: no image is decoded). */
  labelOf(index: number): number;
  /**
   * Writes sample `index` as HWC float32 into `out` at `offset`. `rng` is the sample's own
   * generator, for sources that augment while decoding. Returns (or resolves to) `false` when
   * the sample was unreadable and is to be skipped; throws when it must not be skipped.
   */
  readInto(index: number, out: Float32Array, offset: number, rng: Rng): boolean | Promise<boolean>;
}

const shapeSize = (s: ImageShape): number => s.height * s.width * s.channels;

function checkIndex(index: number, size: number, who: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`${who}: index ${index} is out of range 0..${size - 1}.`);
  }
}

/**
 * Labelled images held in memory (NHWC). Pixels may be float32 (used as they are) or uint8
 * (scaled to [0, 1] when read: 4x less memory for CIFAR-sized sets).
 */
export class ArrayDataset implements ImageSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  /** The pixels, NHWC. */
  readonly images: PixelArray;
  /** The labels. */
  readonly labels: Int32Array;
  private readonly sampleSize: number;

  constructor(set: Pick<ImageSet<PixelArray>, 'images' | 'labels' | 'height' | 'width' | 'channels' | 'classNames'>) {
    const { images, labels, height, width, channels, classNames } = set;
    for (const [k, v] of Object.entries({ height, width, channels })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`ArrayDataset: ${k} must be a positive integer, got ${String(v)}.`);
    }
    if (!(images instanceof Float32Array || images instanceof Uint8Array)) {
      throw new Error('ArrayDataset: images must be a Float32Array (values in [0,1]) or a Uint8Array (0..255).');
    }
    if (!(labels instanceof Int32Array)) throw new Error('ArrayDataset: labels must be an Int32Array.');
    this.sampleSize = height * width * channels;
    if (images.length !== labels.length * this.sampleSize) {
      throw new Error(
        `ArrayDataset: ${labels.length} labels need ${labels.length}x${height}x${width}x${channels} = ` +
          `${labels.length * this.sampleSize} pixels, images has ${images.length}.`,
      );
    }
    const k = classNames.length;
    labels.forEach((l, i) => {
      if (l < 0 || l >= k) throw new Error(`ArrayDataset: label ${l} of sample ${i} is out of range 0..${k - 1}.`);
    });
    this.images = images;
    this.labels = labels;
    this.size = labels.length;
    this.shape = { height, width, channels };
    this.classNames = classNames;
  }

  /** Wraps a loader's result, e.g. `ArrayDataset.from(loadCifar10({split: 'train', pixels: 'uint8'}))`. */
  static from(set: ImageSet<PixelArray>): ArrayDataset {
    return new ArrayDataset(set);
  }

  labelOf(index: number): number {
    checkIndex(index, this.size, 'ArrayDataset.labelOf');
    return this.labels[index];
  }

  readInto(index: number, out: Float32Array, offset: number): boolean {
    checkIndex(index, this.size, 'ArrayDataset.readInto');
    const n = this.sampleSize;
    const start = index * n;
    if (this.images instanceof Float32Array) {
      out.set(this.images.subarray(start, start + n), offset);
    } else {
      const src = this.images;
      for (let i = 0; i < n; i++) out[offset + i] = src[start + i] / 255;
    }
    return true;
  }
}

/** A view of some samples of another source, in the given order. */
export class SubsetDataset implements ImageSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  /** Indices into the parent source. */
  readonly indices: Int32Array;

  constructor(readonly parent: ImageSource, indices: ArrayLike<number>) {
    this.indices = Int32Array.from(indices);
    this.indices.forEach((i) => checkIndex(i, parent.size, 'SubsetDataset'));
    this.size = this.indices.length;
    this.shape = parent.shape;
    this.classNames = parent.classNames;
  }

  labelOf(index: number): number {
    checkIndex(index, this.size, 'SubsetDataset.labelOf');
    return this.parent.labelOf(this.indices[index]);
  }

  readInto(index: number, out: Float32Array, offset: number, rng: Rng): boolean | Promise<boolean> {
    checkIndex(index, this.size, 'SubsetDataset.readInto');
    return this.parent.readInto(this.indices[index], out, offset, rng);
  }
}

/** The first `n` samples of `source` (all of them when it has fewer). */
export function takeFirst(source: ImageSource, n: number): SubsetDataset {
  if (!Number.isInteger(n) || n < 1) throw new Error(`takeFirst: n must be an integer >= 1, got ${String(n)}.`);
  return new SubsetDataset(source, Array.from({ length: Math.min(n, source.size) }, (_, i) => i));
}

/**
 * A class-balanced subset: `perClass` samples of every class, drawn at random (seeded) from
 * each class, kept in the source's order. Throws, naming the class, when a class has fewer.
 */
export function stratifiedSubset(source: ImageSource, perClass: number, seed = 0): SubsetDataset {
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new Error(`stratifiedSubset: perClass must be an integer >= 1, got ${String(perClass)}.`);
  }
  const byClass: number[][] = source.classNames.map(() => []);
  for (let i = 0; i < source.size; i++) byClass[source.labelOf(i)].push(i);
  const chosen: number[] = [];
  byClass.forEach((members, k) => {
    if (members.length < perClass) {
      throw new Error(
        `stratifiedSubset: class ${k} (${source.classNames[k]}) has ${members.length} samples, fewer than ` +
          `perClass=${perClass}. Lower perClass to at most the smallest class size.`,
      );
    }
    const rng = new Rng(mixSeed(seed, k));
    chosen.push(...rng.shuffle(members.slice()).slice(0, perClass));
  });
  chosen.sort((a, b) => a - b);
  return new SubsetDataset(source, chosen);
}

/** A training set and the validation set carved out of it. */
export interface ValidationSplit {
  train: SubsetDataset;
  validation: SubsetDataset;
}

/**
 * Carves a class-balanced validation set out of a training set: `perClass` samples of every
 * class (as {@link stratifiedSubset} draws them with `seed`) become the validation set and the
 * rest stays for training, so the two never share a sample. Throws, naming the class, when a
 * class would be left with no training sample.
 */
export function splitValidation(source: ImageSource, perClass: number, seed = 0): ValidationSplit {
  const validation = stratifiedSubset(source, perClass, seed);
  const held = new Set(validation.indices);
  const rest: number[] = [];
  for (let i = 0; i < source.size; i++) if (!held.has(i)) rest.push(i);
  const counts = source.classNames.map(() => 0);
  for (const i of rest) counts[source.labelOf(i)]++;
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) {
    throw new Error(
      `splitValidation: validation perClass=${perClass} takes every sample of class ${empty} (${source.classNames[empty]}), ` +
        'leaving none to train on. Lower validation.perClass or enlarge the training subset.',
    );
  }
  return { train: new SubsetDataset(source, rest), validation };
}

/** What to do with a file that cannot be decoded. */
export type UnreadablePolicy = 'fail' | 'skip';

/** One file of a {@link FileListDataset}. */
export interface FileItem {
  file: string;
  label: number;
}

/**
 * Decodes one file into HWC float32 at `out[offset..]` (of the dataset's shape). Throws when
 * the file cannot be decoded.
 */
export type FileDecoder = (file: string, out: Float32Array, offset: number, rng: Rng) => Promise<void>;

/**
 * A streamed dataset: a list of files decoded on demand (nothing but the list is kept in
 * memory). An unreadable file either fails the batch with an error naming it (`fail`, the
 * default: a damaged dataset should be noticed) or is left out of its batch and recorded in
 * {@link FileListDataset.skipped} (`skip`).
 */
export class FileListDataset implements ImageSource {
  readonly size: number;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  readonly items: readonly FileItem[];
  /** Files skipped as unreadable so far (policy `skip`), each listed once, with the reason. */
  readonly skipped: { file: string; reason: string }[] = [];
  /** How many reads were skipped in all (a file skipped in every epoch counts every time). */
  skipCount = 0;

  constructor(
    items: readonly FileItem[],
    shape: ImageShape,
    classNames: readonly string[],
    private readonly decode: FileDecoder,
    readonly onUnreadable: UnreadablePolicy = 'fail',
  ) {
    if (onUnreadable !== 'fail' && onUnreadable !== 'skip') {
      throw new Error(`onUnreadable must be 'fail' or 'skip', got ${JSON.stringify(onUnreadable)}.`);
    }
    this.items = items;
    this.size = items.length;
    this.shape = shape;
    this.classNames = classNames;
  }

  labelOf(index: number): number {
    checkIndex(index, this.size, 'FileListDataset.labelOf');
    return this.items[index].label;
  }

  async readInto(index: number, out: Float32Array, offset: number, rng: Rng): Promise<boolean> {
    checkIndex(index, this.size, 'FileListDataset.readInto');
    const { file } = this.items[index];
    try {
      await this.decode(file, out, offset, rng);
      return true;
    } catch (e) {
      const reason = (e as Error).message;
      if (this.onUnreadable === 'skip') {
        this.skipCount++;
        if (!this.skipped.some((x) => x.file === file)) this.skipped.push({ file, reason });
        return false;
      }
      throw new Error(
        `Cannot read image ${file}: ${reason}. Remove or replace the file, or pass onUnreadable: 'skip' ` +
          'to leave unreadable images out (they are counted in dataset.skipped).',
      );
    }
  }
}

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Samples per batch. */
  batchSize: number;
  /** Reshuffle every epoch (default true). The order is a function of (seed, epoch) only. */
  shuffle?: boolean;
  /** Seed of shuffling and augmentation (default 0). */
  seed?: number;
  /** Leave out the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Applied to every sample after reading (augmentation, normalisation). */
  transform?: ImageTransform;
  /** `index`: y is int32 [B] (default); `onehot`: y is float32 [B, numClasses]. */
  labels?: 'index' | 'onehot';
  /** How many batches to prepare ahead of the consumer (default 2; 0 = none). */
  prefetch?: number;
  /** How many samples of a batch an asynchronous source reads at once (default 16). */
  concurrency?: number;
}

/** One batch. The consumer owns its tensors: call {@link Batch.dispose} when done. */
export interface Batch {
  /** Images, float32 [B, H, W, C]. */
  x: tf.Tensor4D;
  /** Labels: int32 [B], or float32 [B, numClasses] one-hot. */
  y: tf.Tensor1D | tf.Tensor2D;
  /**
   * Number of samples (B, >= 1); smaller than batchSize for a last partial batch or when
   * unreadable files were skipped (a batch left empty by skipping is not delivered).
   */
  size: number;
  /** Index into the source of each sample in the batch. */
  indices: Int32Array;
  /** The epoch and the batch number within it. */
  epoch: number;
  batch: number;
  /** Frees x and y. */
  dispose(): void;
}

/** Where a loader stands: enough to resume exactly (see {@link DataLoader.setState}). */
export interface LoaderState {
  seed: number;
  /** The epoch to continue. */
  epoch: number;
  /** The next batch to deliver in that epoch. */
  batch: number;
}

interface HostBatch {
  x: Float32Array;
  labels: Int32Array;
  indices: Int32Array;
  size: number;
}

const SHUFFLE_TAG = 0x5348;
const AUGMENT_TAG = 0x4147;

/**
 * Turns an {@link ImageSource} into batches of tensors.
 *
 * @example
 * const loader = new DataLoader(ArrayDataset.from(train), {batchSize: 128, seed: 1,
 *   transform: cifarTrainTransform('cifar10')});
 * for (let e = 0; e < epochs; e++) {
 *   for await (const b of loader.epoch(e)) {
 *     await model.trainOnBatch(b.x, b.y);
 *     b.dispose();
 *   }
 * }
 */
export class DataLoader {
  readonly batchSize: number;
  readonly seed: number;
  /** Shape of the samples in `x` (after the transform). */
  readonly outputShape: ImageShape;
  private readonly opts: Required<Omit<DataLoaderOptions, 'transform'>> & { transform?: ImageTransform };
  private state: LoaderState;

  constructor(readonly source: ImageSource, options: DataLoaderOptions) {
    const o = options ?? ({} as DataLoaderOptions);
    const int = (name: string, v: unknown, min: number): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
        throw new Error(`DataLoader: ${name} must be an integer >= ${min}, got ${String(v)}.`);
      }
      return v;
    };
    this.batchSize = int('batchSize', o.batchSize, 1);
    this.seed = o.seed ?? 0;
    if (!Number.isSafeInteger(this.seed)) throw new Error(`DataLoader: seed must be a safe integer, got ${String(o.seed)}.`);
    if (o.labels !== undefined && o.labels !== 'index' && o.labels !== 'onehot') {
      throw new Error(`DataLoader: labels must be 'index' or 'onehot', got ${JSON.stringify(o.labels)}.`);
    }
    if (source.size === 0) throw new Error('DataLoader: the source has no samples.');
    this.opts = {
      batchSize: this.batchSize,
      shuffle: o.shuffle ?? true,
      seed: this.seed,
      dropLast: o.dropLast ?? false,
      transform: o.transform,
      labels: o.labels ?? 'index',
      prefetch: int('prefetch', o.prefetch ?? 2, 0),
      concurrency: int('concurrency', o.concurrency ?? 16, 1),
    };
    this.outputShape = o.transform ? o.transform.outputShape(source.shape) : source.shape;
    if (this.batchesPerEpoch === 0) {
      throw new Error(
        `DataLoader: dropLast with batchSize ${this.batchSize} > ${source.size} samples leaves no batch at all.`,
      );
    }
    this.state = { seed: this.seed, epoch: 0, batch: 0 };
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.source.size;
    return this.opts.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order in which epoch `epoch` visits the source: a function of (seed, epoch) only. */
  order(epoch: number): Int32Array {
    if (!this.opts.shuffle) return Int32Array.from({ length: this.source.size }, (_, i) => i);
    return permutation(this.source.size, mixSeed(this.seed, epoch, SHUFFLE_TAG));
  }

  /** Where the consumer stands: the next batch {@link DataLoader.next} would deliver. */
  getState(): LoaderState {
    return { ...this.state };
  }

  /** Resumes from a state saved with {@link DataLoader.getState} (same seed and data). */
  setState(s: LoaderState): void {
    if (s.seed !== this.seed) {
      throw new Error(`DataLoader.setState: state was saved with seed ${s.seed}, this loader has seed ${this.seed}.`);
    }
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.batch) || s.batch < 0 || s.batch > this.batchesPerEpoch) {
      throw new Error(`DataLoader.setState: bad state ${JSON.stringify(s)} (batchesPerEpoch ${this.batchesPerEpoch}).`);
    }
    this.state = s.batch === this.batchesPerEpoch ? { seed: s.seed, epoch: s.epoch + 1, batch: 0 } : { ...s };
  }

  /** Batches of the epoch the loader stands at, from its current batch (resumes after setState). */
  next(): AsyncGenerator<Batch> {
    return this.epoch(this.state.epoch, this.state.batch);
  }

  [Symbol.asyncIterator](): AsyncGenerator<Batch> {
    return this.next();
  }

  /**
   * Batches of epoch `epoch`, from batch `fromBatch` (default 0). The loader's state follows
   * the batches handed to the consumer.
   */
  async *epoch(epoch: number, fromBatch = 0): AsyncGenerator<Batch> {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader.epoch: epoch must be an integer >= 0, got ${epoch}.`);
    const nb = this.batchesPerEpoch;
    if (!Number.isInteger(fromBatch) || fromBatch < 0 || fromBatch > nb) {
      throw new Error(`DataLoader.epoch: fromBatch must be in 0..${nb}, got ${fromBatch}.`);
    }
    const order = this.order(epoch);
    const queue: Promise<HostBatch>[] = [];
    let nextToStart = fromBatch;
    const startOne = (): void => {
      const p = this.prepare(order, epoch, nextToStart++);
      p.catch(() => undefined); // awaited below; this only prevents an "unhandled rejection"
      queue.push(p);
    };
    for (let b = fromBatch; b < nb; b++) {
      while (nextToStart < nb && queue.length <= this.opts.prefetch) startOne();
      const host = await (queue.shift() as Promise<HostBatch>);
      this.state = b + 1 === nb ? { seed: this.seed, epoch: epoch + 1, batch: 0 } : { seed: this.seed, epoch, batch: b + 1 };
      // A batch whose every file was skipped as unreadable is not worth a training step.
      if (host.size > 0) yield this.toTensors(host, epoch, b);
    }
  }

  /** Reads, transforms and packs batch `b` of an epoch into typed arrays. */
  private async prepare(order: Int32Array, epoch: number, b: number): Promise<HostBatch> {
    // Yield to the event loop first, so prefetching overlaps the consumer's own awaits
    // instead of running ahead of them synchronously.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const start = b * this.batchSize;
    const idx = order.subarray(start, Math.min(start + this.batchSize, order.length));
    const n = idx.length;
    const t = this.opts.transform;
    const inShape = this.source.shape;
    const inSize = shapeSize(inShape);
    const outSize = shapeSize(this.outputShape);
    const x = new Float32Array(n * outSize);
    const ok = new Uint8Array(n);
    // Read with at most `concurrency` asynchronous reads in flight. With a transform, each
    // reader decodes into its own scratch image and transforms straight into the batch, so no
    // second batch-sized buffer is needed (224x224 batches are large).
    let cursor = 0;
    const worker = async (): Promise<void> => {
      const scratch = t ? new Float32Array(inSize) : undefined;
      while (cursor < n) {
        const j = cursor++;
        const rng = new Rng(mixSeed(this.seed, epoch, idx[j], AUGMENT_TAG));
        const r = scratch ? this.source.readInto(idx[j], scratch, 0, rng) : this.source.readInto(idx[j], x, j * outSize, rng);
        // In-memory sources answer synchronously: skip the await (a microtask per sample).
        const read = typeof r === 'boolean' ? r : await r;
        if (read && t && scratch) t.apply(scratch, inShape, x.subarray(j * outSize, (j + 1) * outSize), rng);
        ok[j] = read ? 1 : 0;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, n) }, worker));
    // Close the gaps left by skipped (unreadable) samples.
    let m = 0;
    const labels = new Int32Array(n);
    const indices = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      if (!ok[j]) continue;
      if (m !== j) x.copyWithin(m * outSize, j * outSize, (j + 1) * outSize);
      labels[m] = this.source.labelOf(idx[j]);
      indices[m] = idx[j];
      m++;
    }
    return { x: x.subarray(0, m * outSize), labels: labels.subarray(0, m), indices: indices.subarray(0, m), size: m };
  }

  private toTensors(host: HostBatch, epoch: number, batch: number): Batch {
    const { height, width, channels } = this.outputShape;
    const x = tf.tensor4d(host.x, [host.size, height, width, channels], 'float32');
    let y: tf.Tensor1D | tf.Tensor2D;
    if (this.opts.labels === 'onehot') {
      const k = this.source.classNames.length;
      const oh = new Float32Array(host.size * k);
      host.labels.forEach((l, i) => (oh[i * k + l] = 1));
      y = tf.tensor2d(oh, [host.size, k], 'float32');
    } else {
      y = tf.tensor1d(host.labels, 'int32');
    }
    return {
      x,
      y,
      size: host.size,
      indices: host.indices,
      epoch,
      batch,
      dispose: () => {
        x.dispose();
        y.dispose();
      },
    };
  }
}
