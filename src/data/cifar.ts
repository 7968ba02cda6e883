/**
 * CIFAR-10 and CIFAR-100, binary version (https://www.cs.toronto.edu/~kriz/cifar.html), from
 * the extracted folders or straight from the official archives.
 *
 * Record layouts: CIFAR-10 = 1 label byte + 3072 pixel bytes; CIFAR-100 = 1 coarse label byte
 * + 1 fine label byte + 3072 pixel bytes. The pixels are planar: 1024 red, then 1024 green,
 * then 1024 blue, each a 32x32 image in row-major order. Output is NHWC.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataFormatError, bytes } from './errors';
import { gunzipIfNeeded } from './gzip';
import { defaultDataDir, findInPlaces, isDirectory, isFile, searchPlaces, type ProbeResult } from './paths';
import { readTar } from './tar';
import { checkLimit, checkPixelFormat, checkSplit, type ImageSet, type PixelFormat, type Split } from './types';

/** CIFAR-10 class names, indexed by label (as in batches.meta.txt). */
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze([
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
]);

/** CIFAR-100 fine class names, indexed by fine label (as in fine_label_names.txt). */
export const CIFAR100_FINE_CLASS_NAMES: readonly string[] = Object.freeze([
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
]);

/** CIFAR-100 coarse (superclass) names, indexed by coarse label (as in coarse_label_names.txt). */
export const CIFAR100_COARSE_CLASS_NAMES: readonly string[] = Object.freeze([
  'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables',
  'household_electrical_devices', 'household_furniture', 'insects', 'large_carnivores',
  'large_man-made_outdoor_things', 'large_natural_outdoor_scenes', 'large_omnivores_and_herbivores',
  'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals', 'trees',
  'vehicles_1', 'vehicles_2',
]);

const PIXELS = 3072;

interface Layout {
  title: string;
  folder: string;
  archive: string;
  labelBytes: number;
  files: Record<Split, string[]>;
  howToGet: (dir: string) => string;
}

const CIFAR10: Layout = {
  title: 'CIFAR-10',
  folder: 'cifar-10-batches-bin',
  archive: 'cifar-10-binary.tar.gz',
  labelBytes: 1,
  files: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
  howToGet: (dir) =>
    'run `gaf-lab data download cifar-10`, or download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz ' +
    `(MD5 c32a1d4ab5d03f1284b67883e8d87530) into ${dir}/ (it is read as it is, or extract it there).`,
};

const CIFAR100: Layout = {
  title: 'CIFAR-100',
  folder: 'cifar-100-binary',
  archive: 'cifar-100-binary.tar.gz',
  labelBytes: 2,
  files: { train: ['train.bin'], test: ['test.bin'] },
  howToGet: (dir) =>
    'run `gaf-lab data download cifar-100`, or download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz ' +
    `(MD5 03b5dce01913d631647c71ecec9e9cb8) into ${dir}/ (it is read as it is, or extract it there).`,
};

/** Options of {@link loadCifar10} and {@link loadCifar100}. */
export interface CifarLoadOptions {
  /** `train` (50,000 images) or `test` (10,000). */
  split: Split;
  /**
   * Folder holding the extracted folder (`cifar-10-batches-bin/` or `cifar-100-binary/`) or
   * the official archive, or the extracted folder itself. When given, only there is searched;
   * otherwise `$GAF_DATA_DIR`, then `<repo>/data`.
   */
  dataDir?: string;
  /** Keep at most the first `limit` images (in file order). */
  limit?: number;
  /**
   * `float32` in [0, 1] (default) or raw `uint8`. The full training set takes 614 MB as
   * float32 and 154 MB as uint8; {@link ArrayDataset} scales uint8 on the fly.
   */
  pixels?: PixelFormat;
}

/** A CIFAR-100 set: `labels`/`classNames` follow `labelType`; both label kinds are included. */
export interface Cifar100Set<P extends Float32Array | Uint8Array = Float32Array> extends ImageSet<P> {
  fineLabels: Int32Array;
  coarseLabels: Int32Array;
  fineClassNames: readonly string[];
  coarseClassNames: readonly string[];
}

/** Where the binary files come from: a folder, or members of an archive. */
type Found = { kind: 'folder'; dir: string } | { kind: 'archive'; file: string };

function locate(layout: Layout, dataDir: string | undefined, split: Split): Found {
  const needed = layout.files[split];
  const probe = (dir: string): ProbeResult<Found> => {
    // The dataset folder itself, the folder extracted inside `dir`, or the archive.
    for (const d of [dir, path.join(dir, layout.folder)]) {
      if (needed.every((f) => isFile(path.join(d, f)))) return { found: { kind: 'folder', dir: d } };
    }
    const archive = path.join(dir, layout.archive);
    if (isFile(archive)) return { found: { kind: 'archive', file: archive } };
    const sub = path.join(dir, layout.folder);
    const lacking = isDirectory(sub) ? needed.filter((f) => !isFile(path.join(sub, f))) : needed;
    return {
      missing: isDirectory(sub)
        ? `${sub} lacks ${lacking.join(', ')}`
        : `no ${layout.folder}/ folder and no ${layout.archive}`,
    };
  };
  const root = dataDir !== undefined ? path.resolve(dataDir) : defaultDataDir();
  return findInPlaces(
    `${layout.title} (${split} split)`,
    searchPlaces('', dataDir),
    probe,
    layout.howToGet(root),
    `${layout.folder}/${needed.join(', ')} or ${layout.archive}`,
  ).found;
}

/** A data file, sized without reading it (so a small `limit` reads only what it needs). */
interface DataFile {
  name: string;
  size: number;
  read: () => Uint8Array;
}

/** Finds the named files (and reads the optional meta files) in a folder or the archive. */
function openFiles(layout: Layout, found: Found, names: string[], metaNames: string[]): {
  data: DataFile[];
  meta: Map<string, string>;
} {
  const meta = new Map<string, string>();
  if (found.kind === 'folder') {
    for (const m of metaNames) {
      const p = path.join(found.dir, m);
      if (isFile(p)) meta.set(m, fs.readFileSync(p, 'utf8'));
    }
    const data = names.map((n) => {
      const p = path.join(found.dir, n);
      return { name: p, size: fs.statSync(p).size, read: () => fs.readFileSync(p) };
    });
    return { data, meta };
  }
  const tar = gunzipIfNeeded(fs.readFileSync(found.file), found.file);
  const members = new Map<string, Uint8Array>();
  for (const e of readTar(tar, found.file)) if (e.type === 'file') members.set(e.name, e.data);
  const member = (n: string): Uint8Array | undefined => members.get(`${layout.folder}/${n}`) ?? members.get(n);
  for (const m of metaNames) {
    const b = member(m);
    if (b) meta.set(m, Buffer.from(b).toString('utf8'));
  }
  const data = names.map((n) => {
    const b = member(n);
    if (!b) {
      throw new DataFormatError(
        found.file,
        `the archive has no member ${layout.folder}/${n} (it has ${[...members.keys()].slice(0, 10).join(', ') || 'no files'}). ` +
          `Is it the official ${layout.archive}? Download it again.`,
      );
    }
    return { name: `${found.file}:${layout.folder}/${n}`, size: b.length, read: () => b };
  });
  return { data, meta };
}

/** Class names from a meta file when it lists exactly the expected number, else the official ones. */
function namesFrom(text: string | undefined, official: readonly string[]): readonly string[] {
  if (text === undefined) return official;
  const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  return names.length === official.length ? Object.freeze(names) : official;
}

interface Decoded {
  images: Float32Array | Uint8Array;
  labels: Int32Array[];
  count: number;
}

/**
 * Decodes CIFAR binary records into NHWC pixels and one label array per label byte. Checks
 * that each file is a whole number of records and every label is in range.
 */
function decodeRecords(
  files: DataFile[],
  labelBytes: number,
  labelLimits: number[],
  labelKinds: string[],
  limit: number | undefined,
  pixels: PixelFormat,
): Decoded {
  const rec = labelBytes + PIXELS;
  let total = 0;
  for (const f of files) {
    if (f.size === 0 || f.size % rec !== 0) {
      throw new DataFormatError(
        f.name,
        `size ${bytes(f.size)} is not a positive multiple of the ${rec}-byte record ` +
          `(${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + 3072 pixels): the file is truncated or not a ` +
          `CIFAR binary file (${Math.floor(f.size / rec)} whole records + ${f.size % rec} bytes). ` +
          'Download it again.',
      );
    }
    total += f.size / rec;
  }
  const count = limit === undefined ? total : Math.min(limit, total);
  const images = pixels === 'uint8' ? new Uint8Array(count * PIXELS) : new Float32Array(count * PIXELS);
  const labels = labelLimits.map(() => new Int32Array(count));
  let n = 0;
  for (const f of files) {
    if (n >= count) break;
    const b = f.read();
    if (b.length !== f.size) throw new DataFormatError(f.name, `changed size while being read (${bytes(f.size)} -> ${bytes(b.length)}).`);
    for (let r = 0; r * rec < b.length && n < count; r++, n++) {
      const base = r * rec;
      for (let k = 0; k < labelBytes; k++) {
        const v = b[base + k];
        if (v >= labelLimits[k]) {
          throw new DataFormatError(
            f.name,
            `record ${r} (byte ${base + k}): ${labelKinds[k]} label ${v} is out of range 0..${labelLimits[k] - 1}. ` +
              'The file is corrupted or belongs to the other CIFAR dataset.',
          );
        }
        labels[k][n] = v;
      }
      // Planar RGB (channel, y, x) -> interleaved (y, x, channel).
      const px = base + labelBytes;
      const out = n * PIXELS;
      if (images instanceof Uint8Array) {
        for (let i = 0; i < 1024; i++) {
          images[out + 3 * i] = b[px + i];
          images[out + 3 * i + 1] = b[px + 1024 + i];
          images[out + 3 * i + 2] = b[px + 2048 + i];
        }
      } else {
        for (let i = 0; i < 1024; i++) {
          images[out + 3 * i] = b[px + i] / 255;
          images[out + 3 * i + 1] = b[px + 1024 + i] / 255;
          images[out + 3 * i + 2] = b[px + 2048 + i] / 255;
        }
      }
    }
  }
  return { images, labels, count };
}

function checkOpts(opts: CifarLoadOptions, who: string): { split: Split; limit?: number; pixels: PixelFormat } {
  if (opts === null || typeof opts !== 'object') throw new Error(`${who}: pass options, e.g. ${who}({split: 'train'}).`);
  return { split: checkSplit(opts.split, who), limit: checkLimit(opts.limit, who), pixels: checkPixelFormat(opts.pixels, who) };
}

/**
 * Loads CIFAR-10 (32x32 RGB, 10 classes). Missing data raises a {@link DatasetNotFoundError}
 * listing the places searched; a damaged file a {@link DataFormatError} naming it.
 *
 * @example
 * const train = loadCifar10({ split: 'train', pixels: 'uint8' });
 * const ds = ArrayDataset.from(train);
 */
export function loadCifar10(opts: CifarLoadOptions & { pixels?: 'float32' }): ImageSet<Float32Array>;
export function loadCifar10(opts: CifarLoadOptions & { pixels: 'uint8' }): ImageSet<Uint8Array>;
export function loadCifar10(opts: CifarLoadOptions): ImageSet<Float32Array> | ImageSet<Uint8Array> {
  const { split, limit, pixels } = checkOpts(opts, 'loadCifar10');
  const found = locate(CIFAR10, opts.dataDir, split);
  const { data, meta } = openFiles(CIFAR10, found, CIFAR10.files[split], ['batches.meta.txt']);
  const d = decodeRecords(data, 1, [10], ['class'], limit, pixels);
  const set = {
    labels: d.labels[0],
    count: d.count,
    height: 32,
    width: 32,
    channels: 3,
    classNames: namesFrom(meta.get('batches.meta.txt'), CIFAR10_CLASS_NAMES),
    files: data.map((f) => f.name),
  };
  return d.images instanceof Uint8Array ? { ...set, images: d.images } : { ...set, images: d.images };
}

/**
 * Loads CIFAR-100 (32x32 RGB, 100 fine classes in 20 coarse ones). `labels` and `classNames`
 * are the fine ones unless `labelType: 'coarse'`; both kinds are always included.
 */
export function loadCifar100(opts: CifarLoadOptions & { pixels?: 'float32'; labelType?: 'fine' | 'coarse' }): Cifar100Set<Float32Array>;
export function loadCifar100(opts: CifarLoadOptions & { pixels: 'uint8'; labelType?: 'fine' | 'coarse' }): Cifar100Set<Uint8Array>;
export function loadCifar100(
  opts: CifarLoadOptions & { labelType?: 'fine' | 'coarse' },
): Cifar100Set<Float32Array> | Cifar100Set<Uint8Array> {
  const { split, limit, pixels } = checkOpts(opts, 'loadCifar100');
  const labelType = opts.labelType ?? 'fine';
  if (labelType !== 'fine' && labelType !== 'coarse') {
    throw new Error(`loadCifar100: labelType must be 'fine' or 'coarse', got ${JSON.stringify(labelType)}.`);
  }
  const found = locate(CIFAR100, opts.dataDir, split);
  const metaFiles = ['fine_label_names.txt', 'coarse_label_names.txt'];
  const { data, meta } = openFiles(CIFAR100, found, CIFAR100.files[split], metaFiles);
  // Byte 0 is the coarse label, byte 1 the fine label.
  const d = decodeRecords(data, 2, [20, 100], ['coarse', 'fine'], limit, pixels);
  const fineClassNames = namesFrom(meta.get('fine_label_names.txt'), CIFAR100_FINE_CLASS_NAMES);
  const coarseClassNames = namesFrom(meta.get('coarse_label_names.txt'), CIFAR100_COARSE_CLASS_NAMES);
  const [coarseLabels, fineLabels] = d.labels;
  const set = {
    labels: labelType === 'fine' ? fineLabels : coarseLabels,
    classNames: labelType === 'fine' ? fineClassNames : coarseClassNames,
    fineLabels,
    coarseLabels,
    fineClassNames,
    coarseClassNames,
    count: d.count,
    height: 32,
    width: 32,
    channels: 3,
    files: data.map((f) => f.name),
  };
  return d.images instanceof Uint8Array ? { ...set, images: d.images } : { ...set, images: d.images };
}
