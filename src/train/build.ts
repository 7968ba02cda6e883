/**
 * Builds what a run needs from its resolved config: the model, the datasets and loaders (the
 * optimizer comes from `optimizerFromSettings`).
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { createModel } from '../models/registry';
import { cifarEvalTransform, cifarTrainTransform, normalize } from '../data/augment';
import { loadCifar10, loadCifar100 } from '../data/cifar';
import { ArrayDataset, DataLoader, splitValidation, stratifiedSubset, takeFirst, type ImageSource } from '../data/dataset';
import { IMAGENET_MEAN, IMAGENET_STD, imagenetDataset } from '../data/imagefolder';
import { loadFashionMnist, loadMnist } from '../data/mnist';
import type { ImageSet } from '../data/types';
import type { ResolvedConfig } from '../config/index';

/** A fresh model with the config's seeded initialisation. */
export function buildModel(r: ResolvedConfig): tf.LayersModel {
  const { init, numClasses, inputShape } = r.model.options;
  return createModel(r.model.name, { init, numClasses, inputShape, seed: r.seed });
}

// Sweep workers train many runs on the same data: load each split once per process.
const cache = new Map<string, ImageSource>();

/** Forgets the datasets loaded so far (they are kept for the next run of the same process). */
export function clearDataCache(): void {
  cache.clear();
}

function loadSplit(d: ResolvedConfig['dataset'], split: 'train' | 'test', limit: number | undefined): ImageSource {
  const key = JSON.stringify([d.name, split, d.dataDir, limit, d.imageSize, d.augment, d.randomResizedCrop]);
  const hit = cache.get(key);
  if (hit) return hit;
  const dataDir = d.dataDir ?? undefined;
  const opts = { split, dataDir, limit, pixels: 'uint8' as const };
  let source: ImageSource;
  switch (d.name) {
    case 'fashion-mnist':
      source = ArrayDataset.from(loadFashionMnist(opts) as ImageSet<Uint8Array>);
      break;
    case 'mnist':
      source = ArrayDataset.from(loadMnist(opts) as ImageSet<Uint8Array>);
      break;
    case 'cifar10':
      source = ArrayDataset.from(loadCifar10(opts) as ImageSet<Uint8Array>);
      break;
    case 'cifar100':
      source = ArrayDataset.from(loadCifar100(opts) as ImageSet<Uint8Array>);
      break;
    case 'imagenet': {
      const all = imagenetDataset({
        split: split === 'train' ? 'train' : 'val',
        dataDir,
        size: d.imageSize ?? 224,
        train: split === 'train' && d.augment,
        scale: d.randomResizedCrop?.scale,
        ratio: d.randomResizedCrop?.ratio,
      });
      source = limit !== undefined ? takeFirst(all, limit) : all;
      break;
    }
  }
  cache.set(key, source);
  return source;
}

function subsetOf(d: ResolvedConfig['dataset'], split: 'train' | 'test'): ImageSource {
  const s = split === 'train' ? d.subset : d.testSubset;
  const source = loadSplit(d, split, s?.first ?? undefined);
  // A fixed seed: every seed of an experiment sees the same images (seeds vary init and order).
  return s?.perClass != null ? stratifiedSubset(source, s.perClass, 0) : source;
}

/** The training, validation and test sets and their loaders. */
export interface RunData {
  train: ImageSource;
  /** Carved out of the training subset (`dataset.validation`); null without one. */
  validation: ImageSource | null;
  test: ImageSource;
  trainLoader: DataLoader;
  validationLoader: DataLoader | null;
  testLoader: DataLoader;
}

// The validation images are the same for every seed and method: a choice made on them compares like with like.
const VALIDATION_SEED = 7;

/**
 * Loads the datasets of a config and wraps them in loaders: the training loader is shuffled
 * with the config's seed (order and augmentation are functions of seed and epoch only, so a
 * resumed run sees the same batches), the test loader is not shuffled.
 */
export function buildData(r: ResolvedConfig): RunData {
  const d = r.dataset;
  const whole = subsetOf(d, 'train');
  const split = d.validation ? splitValidation(whole, d.validation.perClass, VALIDATION_SEED) : null;
  const train = split ? split.train : whole;
  const validation = split ? split.validation : null;
  const test = subsetOf(d, 'test');
  const cifar = d.name === 'cifar10' || d.name === 'cifar100' ? d.name : null;
  // ImageNet crops and flips while decoding; what is left is the usual mean/std normalisation.
  const imagenet = d.name === 'imagenet' ? normalize(IMAGENET_MEAN, IMAGENET_STD) : undefined;
  const trainLoader = new DataLoader(train, {
    batchSize: r.batchSize,
    seed: r.seed,
    transform: cifar ? (d.augment ? cifarTrainTransform(cifar) : cifarEvalTransform(cifar)) : imagenet,
  });
  const evalLoader = (set: ImageSource): DataLoader =>
    new DataLoader(set, { batchSize: r.evalBatchSize, shuffle: false, transform: cifar ? cifarEvalTransform(cifar) : imagenet });
  return {
    train,
    validation,
    test,
    trainLoader,
    validationLoader: validation ? evalLoader(validation) : null,
    testLoader: evalLoader(test),
  };
}
