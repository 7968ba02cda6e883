/**
 * ImageNet-style image folders (`<split>/<class>/*.JPEG`), streamed: only the file list is kept
 * in memory and each image is decoded with sharp when its batch is prepared.
 *
 * Training decode = torchvision's RandomResizedCrop(size, scale, ratio) + random horizontal
 * flip; evaluation decode = resize the short side to `resizeTo`, then a centre crop of `size`.
 * Pixels come out as RGB float32 in [0, 1]; add `normalize(IMAGENET_MEAN, IMAGENET_STD)` as
 * the loader's transform for the usual ImageNet normalisation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileListDataset, type FileItem, type UnreadablePolicy } from './dataset';
import { defaultDataDir, findInPlaces, isDirectory, searchPlaces, type ProbeResult } from './paths';
import type { Rng } from './rng';
import { loadSharp } from './sharp';

/** Per-channel mean of ImageNet (RGB, [0,1]) used by the usual ImageNet normalisation. */
export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
/** Per-channel standard deviation of ImageNet used by the usual ImageNet normalisation. */
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

/** File extensions taken as images (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

/** Options of {@link imageFolderDataset}. */
export interface ImageFolderOptions {
  /** Training decode (random resized crop + flip) when true, else resize + centre crop. */
  train: boolean;
  /** Side of the square output (default 224). */
  size?: number;
  /** Evaluation: the short side is resized to this before the centre crop (default size/0.875, i.e. 256 for 224). */
  resizeTo?: number;
  /** Training: range of the crop's area as a fraction of the image (default [0.08, 1]). */
  scale?: [number, number];
  /** Training: range of the crop's aspect ratio width/height (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Training: probability of a horizontal flip (default 0.5). */
  flip?: number;
  /** `fail` (default) or `skip` an image that cannot be decoded; see {@link FileListDataset}. */
  onUnreadable?: UnreadablePolicy;
  /** Extensions of the files to use (default {@link IMAGE_EXTENSIONS}). */
  extensions?: readonly string[];
}

/** A crop box in pixels. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The crop of torchvision's RandomResizedCrop: up to 10 tries of a random area fraction in
 * `scale` and a log-uniform aspect ratio in `ratio`; if none fits, a centre crop with the
 * aspect ratio clamped to `ratio`.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Rng,
): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), width: w, height: h };
}

/**
 * Size after resizing the short side to `short` (the long side scaled and truncated, as
 * torchvision's Resize(int) does).
 */
export function resizeShortSide(width: number, height: number, short: number): { width: number; height: number } {
  return width <= height
    ? { width: short, height: Math.floor((short * height) / width) }
    : { width: Math.floor((short * width) / height), height: short };
}

function checkRange(name: string, r: unknown, positive: boolean): [number, number] {
  if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || r[0] > r[1] || (positive && r[0] <= 0)) {
    throw new Error(`imageFolderDataset: ${name} must be [lo, hi] with ${positive ? '0 < ' : ''}lo <= hi, got ${JSON.stringify(r)}.`);
  }
  return [r[0], r[1]];
}

/** Lists `root/<class>/**` image files; classes sorted by name, label = position. */
export function listImageFolder(root: string, extensions: readonly string[] = IMAGE_EXTENSIONS): { classNames: string[]; items: FileItem[] } {
  if (!isDirectory(root)) throw new Error(`Image folder ${root} does not exist (or is not a folder).`);
  const exts = new Set(extensions.map((e) => e.toLowerCase()));
  const classNames = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (classNames.length === 0) {
    throw new Error(`Image folder ${root} has no class folders: expected ${root}/<class name>/<image files>.`);
  }
  const items: FileItem[] = [];
  const empty: string[] = [];
  const walk = (dir: string, label: number): number => {
    let n = 0;
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) n += walk(p, label);
      else if (exts.has(path.extname(e.name).toLowerCase())) {
        items.push({ file: p, label });
        n++;
      }
    }
    return n;
  };
  classNames.forEach((c, label) => {
    if (walk(path.join(root, c), label) === 0) empty.push(c);
  });
  if (empty.length > 0) {
    const shown = empty.slice(0, 10).map((c) => path.join(root, c)).join(', ');
    throw new Error(
      `Image folder ${root}: ${empty.length} class folder${empty.length > 1 ? 's have' : ' has'} no images ` +
        `(${[...exts].join(', ')}): ${shown}${empty.length > 10 ? ', ...' : ''}. Every class needs at least one ` +
        'image; remove the empty folders or fill them.',
    );
  }
  return { classNames, items };
}

/**
 * A streamed dataset over an image folder (`dir/<class>/*`), decoding with sharp.
 * Errors: a missing folder, a folder without class folders, and class folders without images
 * are reported when the dataset is created; unreadable images when their batch is read
 * (policy `onUnreadable`).
 */
export function imageFolderDataset(dir: string, opts: ImageFolderOptions): FileListDataset {
  if (opts === null || typeof opts !== 'object' || typeof opts.train !== 'boolean') {
    throw new Error('imageFolderDataset: pass {train: true} for training decode or {train: false} for evaluation decode.');
  }
  const size = opts.size ?? 224;
  const resizeTo = opts.resizeTo ?? Math.round(size / 0.875);
  if (!Number.isInteger(size) || size < 1) throw new Error(`imageFolderDataset: size must be a positive integer, got ${String(size)}.`);
  if (!Number.isInteger(resizeTo) || resizeTo < size) {
    throw new Error(`imageFolderDataset: resizeTo must be an integer >= size (${size}), got ${String(resizeTo)}.`);
  }
  const scale = checkRange('scale', opts.scale ?? [0.08, 1], true);
  const ratio = checkRange('ratio', opts.ratio ?? [3 / 4, 4 / 3], true);
  const flip = opts.flip ?? 0.5;
  if (!(flip >= 0 && flip <= 1)) throw new Error(`imageFolderDataset: flip must be a probability in [0, 1], got ${String(flip)}.`);
  const sharp = loadSharp();
  const { classNames, items } = listImageFolder(path.resolve(dir), opts.extensions);

  const decodeOnce = async (file: string, out: Float32Array, offset: number, rng: Rng): Promise<void> => {
    const img = sharp(file, { failOn: 'error' });
    const meta = await img.metadata();
    const { width, height } = meta;
    if (!width || !height) throw new Error('no image size in the file header');
    if (opts.train) {
      const box = randomResizedCropBox(width, height, scale, ratio, rng);
      img.extract(box).resize(size, size, { fit: 'fill', kernel: 'linear' });
      if (rng.next() < flip) img.flop();
    } else {
      const r = resizeShortSide(width, height, resizeTo);
      img
        .resize(r.width, r.height, { fit: 'fill', kernel: 'linear' })
        .extract({ left: Math.round((r.width - size) / 2), top: Math.round((r.height - size) / 2), width: size, height: size });
    }
    const { data, info } = await img
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== size) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
    }
    for (let i = 0; i < data.length; i++) out[offset + i] = data[i] / 255;
  };
  const decode = async (file: string, out: Float32Array, offset: number, rng: Rng): Promise<void> => {
    const state = rng.getState();
    let reason = '';
    // libvips reports some decode errors as "Unknown error" when several images are decoded at
    // once (its error buffer is shared); a retry usually yields the real reason.
    for (let attempt = 0; attempt < 3; attempt++) {
      rng.setState(state);
      try {
        await decodeOnce(file, out, offset, rng);
        return;
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== 'Unknown error' && msg !== '') {
          reason = msg;
          break;
        }
      }
    }
    throw new Error(reason || 'sharp could not decode it and gave no reason (the file is probably truncated or corrupted)');
  };
  return new FileListDataset(items, { height: size, width: size, channels: 3 }, classNames, decode, opts.onUnreadable ?? 'fail');
}

/** Options of {@link imagenetDataset}. */
export interface ImageNetOptions extends Omit<ImageFolderOptions, 'train'> {
  /** `train` or `val` (the folder name); decode mode follows unless `train` is given. */
  split: 'train' | 'val';
  /** Training decode; default: `split === 'train'`. */
  train?: boolean;
  /** Folder holding `train/` and `val/` (or its parent, then `<dataDir>/imagenet`). Only there is searched when given. */
  dataDir?: string;
}

/**
 * ImageNet in the usual folder layout (`imagenet/train/<wnid>/*.JPEG`, `imagenet/val/<wnid>/*`),
 * found in `$GAF_DATA_DIR/imagenet` or `<repo>/data/imagenet` unless `dataDir` is given.
 */
export function imagenetDataset(opts: ImageNetOptions): FileListDataset {
  const split = opts?.split;
  if (split !== 'train' && split !== 'val') throw new Error(`imagenetDataset: split must be 'train' or 'val', got ${JSON.stringify(split)}.`);
  const probe = (d: string): ProbeResult<string> =>
    isDirectory(path.join(d, split)) ? { found: path.join(d, split) } : { missing: `no ${split}/ folder` };
  const root = path.join(opts.dataDir !== undefined ? path.resolve(opts.dataDir) : defaultDataDir(), 'imagenet');
  const { found } = findInPlaces(
    `ImageNet (${split} split)`,
    searchPlaces('imagenet', opts.dataDir),
    probe,
    'ImageNet cannot be downloaded automatically (registration at https://image-net.org/). Put the ' +
      `ILSVRC2012 images in ${root}/train/<wnid>/*.JPEG and ${root}/val/<wnid>/*.JPEG (validation images ` +
      'sorted into class folders), or pass dataDir.',
    `${split}/<class>/<images>`,
  );
  return imageFolderDataset(found, { ...opts, train: opts.train ?? split === 'train' });
}
