/**
 * Tiny synthetic datasets written in the OFFICIAL on-disk formats (CIFAR-10/100 binary version,
 * ImageNet-style image folders), so that the real loaders, the training runner and whole sweeps
 * can be exercised where the real data cannot be downloaded (CI, the notebooks' smoke mode).
 *
 * The images are not random noise: every class has its own colour and its own stripe
 * orientation, plus per-pixel noise, so a model can learn something in a few steps. They are
 * not results of anything; they only make the pipeline run end to end.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CIFAR100_COARSE_CLASS_NAMES, CIFAR100_FINE_CLASS_NAMES, CIFAR10_CLASS_NAMES } from './cifar';
import { Rng, mixSeed } from './rng';
import { loadSharp } from './sharp';

/**
 * One CIFAR binary record: the label bytes, then 3072 pixel bytes, planar: 1024 red, 1024
 * green, 1024 blue, each 32x32 row-major. `pixel(c, y, x)` gives the byte (0..255).
 */
export function cifarRecord(labels: readonly number[], pixel: (c: number, y: number, x: number) => number): Buffer {
  const b = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, i) => (b[i] = l));
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) b[labels.length + c * 1024 + y * 32 + x] = pixel(c, y, x);
    }
  }
  return b;
}

/** A pixel pattern that differs per record, channel, row and column (what the loader tests check against). */
export function cifarPixel(record: number): (c: number, y: number, x: number) => number {
  return (c, y, x) => (record * 37 + c * 85 + y * 7 + x * 3) % 256;
}

/**
 * CIFAR-100's 20 superclasses and their 5 classes each, as listed on the dataset's page
 * (https://www.cs.toronto.edu/~kriz/cifar.html), with the names of `fine_label_names.txt`.
 */
const CIFAR100_SUPERCLASSES: Record<string, readonly string[]> = {
  aquatic_mammals: ['beaver', 'dolphin', 'otter', 'seal', 'whale'],
  fish: ['aquarium_fish', 'flatfish', 'ray', 'shark', 'trout'],
  flowers: ['orchid', 'poppy', 'rose', 'sunflower', 'tulip'],
  food_containers: ['bottle', 'bowl', 'can', 'cup', 'plate'],
  fruit_and_vegetables: ['apple', 'mushroom', 'orange', 'pear', 'sweet_pepper'],
  household_electrical_devices: ['clock', 'keyboard', 'lamp', 'telephone', 'television'],
  household_furniture: ['bed', 'chair', 'couch', 'table', 'wardrobe'],
  insects: ['bee', 'beetle', 'butterfly', 'caterpillar', 'cockroach'],
  large_carnivores: ['bear', 'leopard', 'lion', 'tiger', 'wolf'],
  'large_man-made_outdoor_things': ['bridge', 'castle', 'house', 'road', 'skyscraper'],
  large_natural_outdoor_scenes: ['cloud', 'forest', 'mountain', 'plain', 'sea'],
  large_omnivores_and_herbivores: ['camel', 'cattle', 'chimpanzee', 'elephant', 'kangaroo'],
  medium_mammals: ['fox', 'porcupine', 'possum', 'raccoon', 'skunk'],
  'non-insect_invertebrates': ['crab', 'lobster', 'snail', 'spider', 'worm'],
  people: ['baby', 'boy', 'girl', 'man', 'woman'],
  reptiles: ['crocodile', 'dinosaur', 'lizard', 'snake', 'turtle'],
  small_mammals: ['hamster', 'mouse', 'rabbit', 'shrew', 'squirrel'],
  trees: ['maple_tree', 'oak_tree', 'palm_tree', 'pine_tree', 'willow_tree'],
  vehicles_1: ['bicycle', 'bus', 'motorcycle', 'pickup_truck', 'train'],
  vehicles_2: ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor'],
};

/** The coarse label (superclass index) of each CIFAR-100 fine label, as in the official files. */
export const CIFAR100_COARSE_OF_FINE: readonly number[] = Object.freeze(
  CIFAR100_FINE_CLASS_NAMES.map((fine) => {
    const coarse = Object.keys(CIFAR100_SUPERCLASSES).find((c) => CIFAR100_SUPERCLASSES[c]!.includes(fine));
    return CIFAR100_COARSE_CLASS_NAMES.indexOf(coarse ?? '');
  }),
);

/** The look of one class: a mean colour and a stripe direction. */
interface ClassLook {
  colour: [number, number, number];
  /** Unit vector across the stripes. */
  dx: number;
  dy: number;
}

function classLooks(numClasses: number, seed: number): ClassLook[] {
  return Array.from({ length: numClasses }, (_, k) => {
    const rng = new Rng(mixSeed(seed, 7919, k));
    // Orientations spread over half a turn so that neighbouring classes differ most.
    const angle = (Math.PI * k) / numClasses;
    return { colour: [rng.uniform(50, 205), rng.uniform(50, 205), rng.uniform(50, 205)], dx: Math.cos(angle), dy: Math.sin(angle) };
  });
}

/** Stripe period in pixels of a `side`-pixel image: about four stripes across it. */
const period = (side: number): number => Math.max(4, side / 4);

/**
 * One synthetic image as interleaved RGB bytes (`height x width x 3`): the class colour plus a
 * stripe pattern (amplitude 45, random phase) plus uniform noise of +-`noise`, clamped.
 */
function synthImage(look: ClassLook, width: number, height: number, noise: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const phase = rng.uniform(0, 2 * Math.PI);
  const w = (2 * Math.PI) / period(Math.min(width, height));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stripe = 45 * Math.sin(w * (x * look.dx + y * look.dy) + phase);
      for (let c = 0; c < 3; c++) {
        const v = look.colour[c]! + stripe + rng.uniform(-noise, noise);
        out[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}

function positiveInt(who: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${who}: ${field} must be a whole number >= 1, got ${JSON.stringify(v)}.`);
  return v;
}

function checkSeed(who: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${who}: seed must be a whole number >= 0, got ${JSON.stringify(v)}.`);
  return v;
}

function checkNoise(who: string, v: unknown): number {
  if (v === undefined) return 30;
  if (typeof v !== 'number' || !(v >= 0 && v <= 255)) throw new Error(`${who}: noise must be a number of grey levels in [0, 255], got ${JSON.stringify(v)}.`);
  return v;
}

/** Options of {@link writeSyntheticCifar}. */
export interface SyntheticCifarOptions {
  variant: 'cifar10' | 'cifar100';
  /** Training images per class (>= 1). */
  trainPerClass: number;
  /** Test images per class (>= 1). */
  testPerClass: number;
  /** Seeds the class looks and the noise (default 0): the same seed writes the same bytes. */
  seed?: number;
  /** Half-width of the uniform pixel noise in grey levels (default 30). */
  noise?: number;
}

/** What {@link writeSyntheticCifar} wrote. */
export interface SyntheticCifarResult {
  /** The dataset folder (`<dir>/cifar-10-batches-bin` or `<dir>/cifar-100-binary`). */
  folder: string;
  /** Every file written. */
  files: string[];
  classes: number;
  train: number;
  test: number;
}

/**
 * Writes a tiny CIFAR-10 or CIFAR-100 in the official binary layout under `dir`, where the
 * loaders find it with `dataDir: dir`:
 * - CIFAR-10: `cifar-10-batches-bin/data_batch_1.bin` ... `data_batch_5.bin` (the training
 *   records split into 5 nearly equal files, as the official 5 x 10,000), `test_batch.bin`,
 *   `batches.meta.txt`; records of 1 label byte + 3072 planar pixel bytes.
 * - CIFAR-100: `cifar-100-binary/train.bin`, `test.bin`, `fine_label_names.txt`,
 *   `coarse_label_names.txt`; records of coarse label byte + fine label byte + 3072 pixels,
 *   the coarse label being the fine class's real superclass.
 * Records cycle through the classes (0, 1, ..., n-1, 0, 1, ...), so the first n images of a
 * split hold every class. An existing dataset folder is replaced.
 */
export function writeSyntheticCifar(dir: string, options: SyntheticCifarOptions): SyntheticCifarResult {
  const who = 'writeSyntheticCifar';
  if (typeof dir !== 'string' || dir === '') throw new Error(`${who}: dir must be a folder path, got ${JSON.stringify(dir)}.`);
  if (options === null || typeof options !== 'object') throw new Error(`${who}: pass options, e.g. {variant: 'cifar10', trainPerClass: 2, testPerClass: 1}.`);
  const variant = options.variant;
  if (variant !== 'cifar10' && variant !== 'cifar100') throw new Error(`${who}: variant must be 'cifar10' or 'cifar100', got ${JSON.stringify(variant)}.`);
  const trainPerClass = positiveInt(who, 'trainPerClass', options.trainPerClass);
  const testPerClass = positiveInt(who, 'testPerClass', options.testPerClass);
  const seed = checkSeed(who, options.seed);
  const noise = checkNoise(who, options.noise);
  const classes = variant === 'cifar10' ? 10 : 100;
  const looks = classLooks(classes, seed);

  const records = (split: number, perClass: number): Buffer[] => {
    const rng = new Rng(mixSeed(seed, split));
    return Array.from({ length: perClass * classes }, (_, i) => {
      const label = i % classes;
      const img = synthImage(looks[label]!, 32, 32, noise, rng);
      const labels = variant === 'cifar10' ? [label] : [CIFAR100_COARSE_OF_FINE[label]!, label];
      return cifarRecord(labels, (c, y, x) => img[(y * 32 + x) * 3 + c]!);
    });
  };
  const train = records(1, trainPerClass);
  const test = records(2, testPerClass);

  const folder = path.join(path.resolve(dir), variant === 'cifar10' ? 'cifar-10-batches-bin' : 'cifar-100-binary');
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const files: string[] = [];
  const write = (name: string, data: Buffer | string): void => {
    const p = path.join(folder, name);
    fs.writeFileSync(p, data);
    files.push(p);
  };
  if (variant === 'cifar10') {
    // At least 10 training records, so each of the 5 files gets one or more (the loader rejects empty files).
    for (let f = 0; f < 5; f++) {
      write(`data_batch_${f + 1}.bin`, Buffer.concat(train.slice(Math.floor((f * train.length) / 5), Math.floor(((f + 1) * train.length) / 5))));
    }
    write('test_batch.bin', Buffer.concat(test));
    write('batches.meta.txt', `${CIFAR10_CLASS_NAMES.join('\n')}\n\n`);
  } else {
    write('train.bin', Buffer.concat(train));
    write('test.bin', Buffer.concat(test));
    write('fine_label_names.txt', `${CIFAR100_FINE_CLASS_NAMES.join('\n')}\n`);
    write('coarse_label_names.txt', `${CIFAR100_COARSE_CLASS_NAMES.join('\n')}\n`);
  }
  return { folder, files, classes, train: train.length, test: test.length };
}

/** Options of {@link writeSyntheticImageFolder}. */
export interface SyntheticImageFolderOptions {
  /** Number of classes (named like ImageNet's WordNet ids: n90000000, n90000001, ...) or the class names. */
  classes: number | readonly string[];
  /** Training images per class (>= 1). */
  trainPerClass: number;
  /** Validation images per class (>= 1). */
  valPerClass: number;
  /** Range [min, max] of the image sides in pixels; each image draws its width and height (default [40, 72]). */
  sides?: [number, number];
  /** Seeds the class looks, sizes and noise (default 0). */
  seed?: number;
  /** Half-width of the uniform pixel noise in grey levels (default 30). */
  noise?: number;
  /** JPEG quality 1-100 (default 90). */
  quality?: number;
}

/** What {@link writeSyntheticImageFolder} wrote. */
export interface SyntheticImageFolderResult {
  /** `<dir>/train` and `<dir>/val`. */
  trainDir: string;
  valDir: string;
  classNames: string[];
  train: number;
  val: number;
  /** Every image written. */
  files: string[];
}

/**
 * Writes a tiny ImageNet-style folder tree of JPEG files:
 * `<dir>/train/<class>/<class>_<i>.JPEG` and `<dir>/val/<class>/<class>_val_<i>.JPEG` (the
 * ILSVRC-2012 layout with the validation images sorted into class folders), images of varying
 * size and aspect ratio so that random-resized crops and resizing have work to do. Pass
 * `<data root>/imagenet` as `dir` for {@link imagenetDataset} to find it under `dataDir: <data root>`.
 * Existing `train/` and `val/` folders under `dir` are replaced.
 */
export async function writeSyntheticImageFolder(dir: string, options: SyntheticImageFolderOptions): Promise<SyntheticImageFolderResult> {
  const who = 'writeSyntheticImageFolder';
  if (typeof dir !== 'string' || dir === '') throw new Error(`${who}: dir must be a folder path, got ${JSON.stringify(dir)}.`);
  if (options === null || typeof options !== 'object') throw new Error(`${who}: pass options, e.g. {classes: 4, trainPerClass: 2, valPerClass: 1}.`);
  const names =
    typeof options.classes === 'number'
      ? Array.from({ length: positiveInt(who, 'classes', options.classes) }, (_, k) => `n${90000000 + k}`)
      : [...(options.classes ?? [])];
  if (names.length === 0 || names.some((n) => typeof n !== 'string' || !/^[A-Za-z0-9_-]+$/.test(n)) || new Set(names).size !== names.length) {
    throw new Error(`${who}: classes must be a count >= 1 or distinct folder-safe names (letters, digits, _ and -), got ${JSON.stringify(options.classes)}.`);
  }
  const trainPerClass = positiveInt(who, 'trainPerClass', options.trainPerClass);
  const valPerClass = positiveInt(who, 'valPerClass', options.valPerClass);
  const sides = options.sides ?? [40, 72];
  if (!Array.isArray(sides) || sides.length !== 2 || !sides.every((s) => Number.isInteger(s) && s >= 8) || sides[0] > sides[1]) {
    throw new Error(`${who}: sides must be [min, max] whole pixel counts with 8 <= min <= max, got ${JSON.stringify(options.sides)}.`);
  }
  const seed = checkSeed(who, options.seed);
  const noise = checkNoise(who, options.noise);
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`${who}: quality must be a whole number in 1..100, got ${JSON.stringify(options.quality)}.`);
  const sharp = loadSharp();
  const looks = classLooks(names.length, seed);
  const root = path.resolve(dir);
  const files: string[] = [];
  const writeSplit = async (split: 'train' | 'val', perClass: number, splitSeed: number): Promise<string> => {
    const splitDir = path.join(root, split);
    fs.rmSync(splitDir, { recursive: true, force: true });
    const rng = new Rng(mixSeed(seed, splitSeed));
    for (let k = 0; k < names.length; k++) {
      const classDir = path.join(splitDir, names[k]!);
      fs.mkdirSync(classDir, { recursive: true });
      for (let i = 0; i < perClass; i++) {
        const width = sides[0] + rng.int(sides[1] - sides[0] + 1);
        const height = sides[0] + rng.int(sides[1] - sides[0] + 1);
        const img = synthImage(looks[k]!, width, height, noise, rng);
        const file = path.join(classDir, `${names[k]}_${split === 'val' ? 'val_' : ''}${i}.JPEG`);
        await sharp(Buffer.from(img.buffer, img.byteOffset, img.byteLength), { raw: { width, height, channels: 3 } }).jpeg({ quality }).toFile(file);
        files.push(file);
      }
    }
    return splitDir;
  };
  const trainDir = await writeSplit('train', trainPerClass, 1);
  const valDir = await writeSplit('val', valPerClass, 2);
  return { trainDir, valDir, classNames: names, train: names.length * trainPerClass, val: names.length * valPerClass, files };
}
