/** Types shared by the in-memory image loaders (IDX, CIFAR) and the dataset interface. */

/** Pixel storage: float32 scaled to [0, 1], or the raw bytes 0..255. */
export type PixelArray = Float32Array | Uint8Array;

/** How a loader returns pixels: `float32` in [0, 1] (default) or raw `uint8` (4x less memory). */
export type PixelFormat = 'float32' | 'uint8';

/** Height, width and channels of one image (stored HWC, channels last). */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** Which part of a dataset to load. */
export type Split = 'train' | 'test';

/**
 * A labelled image set held in memory, images in NHWC order
 * (`images[((n*height + y)*width + x)*channels + c]`).
 */
export interface ImageSet<P extends PixelArray = Float32Array> {
  /** `count*height*width*channels` pixels: float32 in [0, 1], or uint8 when asked for. */
  images: P;
  /** One class index per image, in `0 .. classNames.length-1`. */
  labels: Int32Array;
  /** Number of images. */
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Name of each class, indexed by label. */
  classNames: readonly string[];
  /** The files the data was read from (for provenance in run logs). */
  files: string[];
}

/** Checks a `limit` option: undefined, or an integer >= 1. */
export function checkLimit(limit: number | undefined, who: string): number | undefined {
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new Error(`${who}: limit must be an integer >= 1 (the number of images to keep), got ${String(limit)}.`);
  }
  return limit;
}

/** Checks a `split` option. */
export function checkSplit(split: unknown, who: string): Split {
  if (split !== 'train' && split !== 'test') {
    throw new Error(`${who}: split must be 'train' or 'test', got ${JSON.stringify(split)}.`);
  }
  return split;
}

/** Checks a `pixels` option. */
export function checkPixelFormat(pixels: unknown, who: string): PixelFormat {
  if (pixels === undefined) return 'float32';
  if (pixels !== 'float32' && pixels !== 'uint8') {
    throw new Error(`${who}: pixels must be 'float32' or 'uint8', got ${JSON.stringify(pixels)}.`);
  }
  return pixels;
}

/** Converts bytes to float32 in [0, 1]. */
export function bytesToUnitFloat(src: Uint8Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
  return out;
}
