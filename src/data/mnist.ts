/**
 * MNIST and Fashion-MNIST from their official IDX files (gzipped or raw).
 *
 * Fashion-MNIST is found without configuration on a machine with Debian's
 * `dataset-fashion-mnist` package (files in /usr/share/datasets/fashion-mnist/).
 */
import * as path from 'node:path';
import { DataFormatError } from './errors';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, readIdxFile } from './idx';
import { defaultDataDir, findInPlaces, firstFile, searchPlaces, type ProbeResult, type SearchPlace } from './paths';
import {
  bytesToUnitFloat,
  checkLimit,
  checkPixelFormat,
  checkSplit,
  type ImageSet,
  type PixelFormat,
  type Split,
} from './types';

/** Class names of MNIST, indexed by label. */
export const MNIST_CLASS_NAMES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Class names of Fashion-MNIST, indexed by label (as published by Zalando Research). */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Folder of Debian's `dataset-fashion-mnist` package. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Options of {@link loadMnist} and {@link loadFashionMnist}. */
export interface IdxLoadOptions {
  /** `train` (60,000 images) or `test` (10,000). */
  split: Split;
  /**
   * Folder holding the four IDX files, or its parent (then `<dataDir>/mnist` or
   * `<dataDir>/fashion-mnist` is used). When given, only there is searched.
   */
  dataDir?: string;
  /** Keep at most the first `limit` images (in file order). */
  limit?: number;
  /** `float32` in [0, 1] (default) or raw `uint8`. */
  pixels?: PixelFormat;
}

/** The official file names of one split; the variants without `.gz` are raw IDX files. */
export function idxFileNames(split: Split): { images: string[]; labels: string[] } {
  const prefix = split === 'train' ? 'train' : 't10k';
  const variants = (kind: string, dims: number): string[] => [
    `${prefix}-${kind}-idx${dims}-ubyte.gz`,
    `${prefix}-${kind}-idx${dims}-ubyte`,
    `${prefix}-${kind}.idx${dims}-ubyte`,
  ];
  return { images: variants('images', 3), labels: variants('labels', 1) };
}

interface DatasetSpec {
  title: string;
  folder: string;
  classNames: readonly string[];
  systemDirs: SearchPlace[];
  /** How to get the data, given the folder it should go into. */
  howToGet: (dir: string) => string;
}

const FASHION: DatasetSpec = {
  title: 'Fashion-MNIST',
  folder: 'fashion-mnist',
  classNames: FASHION_MNIST_CLASS_NAMES,
  systemDirs: [{ dir: DEBIAN_FASHION_MNIST_DIR, origin: 'Debian package dataset-fashion-mnist' }],
  howToGet: (dir) =>
    'run `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; installs it where it is found ' +
    'automatically), or `gaf-lab data download fashion-mnist`, or download the four files from ' +
    `http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ into ${dir}/.`,
};

const MNIST: DatasetSpec = {
  title: 'MNIST',
  folder: 'mnist',
  classNames: MNIST_CLASS_NAMES,
  systemDirs: [],
  howToGet: (dir) =>
    'run `gaf-lab data download mnist`, or download train-images-idx3-ubyte.gz, ' +
    'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from ' +
    `https://ossci-datasets.s3.amazonaws.com/mnist/ into ${dir}/.`,
};

/** Loads MNIST (handwritten digits, 28x28 grey). Searches like {@link loadFashionMnist}. */
export function loadMnist(opts: IdxLoadOptions & { pixels?: 'float32' }): ImageSet<Float32Array>;
export function loadMnist(opts: IdxLoadOptions & { pixels: 'uint8' }): ImageSet<Uint8Array>;
export function loadMnist(opts: IdxLoadOptions): ImageSet<Float32Array> | ImageSet<Uint8Array> {
  return loadIdxDataset(MNIST, opts, 'loadMnist');
}

/**
 * Loads Fashion-MNIST (Zalando clothing images, 28x28 grey, 10 classes).
 *
 * Search order without `dataDir`: `$GAF_DATA_DIR/fashion-mnist`, `<repo>/data/fashion-mnist`,
 * then Debian's `/usr/share/datasets/fashion-mnist`. A missing dataset raises a
 * {@link DatasetNotFoundError} listing every place searched and how to get the files; a damaged
 * file raises a {@link DataFormatError} naming it and its byte count.
 *
 * @example
 * const train = loadFashionMnist({ split: 'train', limit: 1000 });
 * // train.images: Float32Array(1000*28*28) in [0,1]; train.labels: Int32Array(1000)
 */
export function loadFashionMnist(opts: IdxLoadOptions & { pixels?: 'float32' }): ImageSet<Float32Array>;
export function loadFashionMnist(opts: IdxLoadOptions & { pixels: 'uint8' }): ImageSet<Uint8Array>;
export function loadFashionMnist(opts: IdxLoadOptions): ImageSet<Float32Array> | ImageSet<Uint8Array> {
  return loadIdxDataset(FASHION, opts, 'loadFashionMnist');
}

function loadIdxDataset(spec: DatasetSpec, opts: IdxLoadOptions, who: string): ImageSet<Float32Array> | ImageSet<Uint8Array> {
  if (opts === null || typeof opts !== 'object') {
    throw new Error(`${who}: pass options, e.g. ${who}({split: 'train'}).`);
  }
  const split = checkSplit(opts.split, who);
  const limit = checkLimit(opts.limit, who);
  const pixels = checkPixelFormat(opts.pixels, who);
  const names = idxFileNames(split);
  const probe = (dir: string): ProbeResult<{ images: string; labels: string }> => {
    const images = firstFile(dir, names.images);
    const labels = firstFile(dir, names.labels);
    if (images && labels) return { found: { images, labels } };
    const lacking = [images ? undefined : names.images[0], labels ? undefined : names.labels[0]].filter(Boolean);
    return { missing: `no ${lacking.join(' or ')} (gzipped or raw)` };
  };
  const { found } = findInPlaces(
    `${spec.title} (${split} split)`,
    searchPlaces(spec.folder, opts.dataDir, spec.systemDirs),
    probe,
    spec.howToGet(path.join(opts.dataDir !== undefined ? path.resolve(opts.dataDir) : defaultDataDir(), spec.folder)),
    `${names.images[0]} and ${names.labels[0]}`,
  );
  return readIdxPair(found.images, found.labels, spec.classNames, limit, pixels);
}

/**
 * Reads an IDX images file (magic 0x00000803) and its labels file (0x00000801): the counts
 * must agree and every label must index `classNames`.
 */
export function readIdxPair(
  imagesFile: string,
  labelsFile: string,
  classNames: readonly string[],
  limit?: number,
  pixels: PixelFormat = 'float32',
): ImageSet<Float32Array> | ImageSet<Uint8Array> {
  const img = readIdxFile(imagesFile, IDX_IMAGES_MAGIC);
  const lab = readIdxFile(labelsFile, IDX_LABELS_MAGIC);
  const [n, height, width] = img.dims;
  if (lab.dims[0] !== n) {
    throw new DataFormatError(
      labelsFile,
      `has ${lab.dims[0]} labels but ${imagesFile} has ${n} images; the two files must come from the same split.`,
    );
  }
  const count = limit === undefined ? n : Math.min(limit, n);
  const labelBytes = lab.data as Uint8Array;
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = labelBytes[i];
    if (v >= classNames.length) {
      throw new DataFormatError(
        labelsFile,
        `label ${v} at index ${i} is out of range 0..${classNames.length - 1}.`,
      );
    }
    labels[i] = v;
  }
  const raw = (img.data as Uint8Array).subarray(0, count * height * width);
  const common = { labels, count, height, width, channels: 1, classNames, files: [imagesFile, labelsFile] };
  // Copy even for uint8 so the result does not pin the whole decompressed file in memory.
  return pixels === 'uint8' ? { images: raw.slice(), ...common } : { images: bytesToUnitFloat(raw), ...common };
}
