/**
 * Images for the detector: the decoded original (RGB bytes), its rendering into the square
 * input under a {@link View} (bilinear sampling, letterbox padding, mirroring), and the
 * augmentation that picks a random view and photometric jitter with the boxes following.
 * @module
 */
import type { Rng } from '../data/rng';
import { edgeArea, toInput, vocToEdges, type EdgeBox, type View } from './geometry';
import type { VocBox } from './evaluate';

/** A decoded image: RGB bytes, row-major HWC. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Photometric jitter applied while rendering (identity: 0, 1, 1). */
export interface Photometric {
  /** Added to every channel (pixel values in [0, 1]). */
  brightness: number;
  /** Scales the distance from mid-grey. */
  contrast: number;
  /** Scales the distance from the pixel's grey value. */
  saturation: number;
}

/** No jitter. */
export const NO_JITTER: Photometric = Object.freeze({ brightness: 0, contrast: 1, saturation: 1 });

/** Value of the input outside the image (mid-grey, 0 after normalisation). */
export const PAD_VALUE = 0.5;

/**
 * Renders `view` of `img` into `out` (size*size*3 floats from `offset`), pixel values in
 * [0, 1] minus {@link PAD_VALUE}, so that padding is 0. Bilinear sampling at pixel centres.
 */
export function renderView(img: RawImage, view: View, size: number, out: Float32Array, offset = 0, jitter: Photometric = NO_JITTER): void {
  const { width: W, height: H, data } = img;
  const s = view.scale;
  const shownW = Math.min(size, view.width * s);
  const shownH = Math.min(size, view.height * s);
  const px = new Float32Array(3);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const o = offset + (v * size + u) * 3;
      if (u >= shownW || v >= shownH) {
        out[o] = out[o + 1] = out[o + 2] = 0;
        continue;
      }
      const uu = view.flip ? shownW - 1 - u : u;
      const sx = Math.min(W - 1, Math.max(0, view.x + (uu + 0.5) / s - 0.5));
      const sy = Math.min(H - 1, Math.max(0, view.y + (v + 0.5) / s - 0.5));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(W - 1, x0 + 1);
      const y1 = Math.min(H - 1, y0 + 1);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * W + x0) * 3 + c]! * (1 - fx) + data[(y0 * W + x1) * 3 + c]! * fx;
        const b = data[(y1 * W + x0) * 3 + c]! * (1 - fx) + data[(y1 * W + x1) * 3 + c]! * fx;
        px[c] = (a * (1 - fy) + b * fy) / 255;
      }
      const grey = 0.299 * px[0]! + 0.587 * px[1]! + 0.114 * px[2]!;
      for (let c = 0; c < 3; c++) {
        let p = grey + (px[c]! - grey) * jitter.saturation;
        p = 0.5 + (p - 0.5) * jitter.contrast + jitter.brightness;
        out[o + c] = Math.min(1, Math.max(0, p)) - PAD_VALUE;
      }
    }
  }
}

/** Options of {@link randomView}. */
export interface AugmentOptions {
  /** Smallest crop side as a fraction of the image side (1: no cropping). Default 0.6. */
  minCrop?: number;
  /** Mirror with probability 1/2. Default true. */
  flip?: boolean;
  /** Photometric jitter ranges (brightness +-, contrast and saturation 1 +-). Default 0.15, 0.25, 0.3. */
  brightness?: number;
  contrast?: number;
  saturation?: number;
}

/** A random crop (each side a fraction in [minCrop, 1], anywhere in the image), letterboxed; mirrored half the time. */
export function randomView(width: number, height: number, size: number, rng: Rng, o: AugmentOptions = {}): View {
  const minCrop = o.minCrop ?? 0.6;
  const w = width * rng.uniform(minCrop, 1);
  const h = height * rng.uniform(minCrop, 1);
  const x = rng.uniform(0, width - w);
  const y = rng.uniform(0, height - h);
  const flip = (o.flip ?? true) && rng.next() < 0.5;
  return { x, y, width: w, height: h, scale: size / Math.max(w, h), flip };
}

/** Random photometric jitter within the ranges of `o`. */
export function randomJitter(rng: Rng, o: AugmentOptions = {}): Photometric {
  const b = o.brightness ?? 0.15;
  const c = o.contrast ?? 0.25;
  const s = o.saturation ?? 0.3;
  return { brightness: rng.uniform(-b, b), contrast: rng.uniform(1 - c, 1 + c), saturation: rng.uniform(1 - s, 1 + s) };
}

/** An object as the detector trains on it. */
export interface TrainObject {
  classIndex: number;
  box: VocBox;
  difficult: boolean;
}

/**
 * The objects of an image under `view`, in input coordinates: an object cut by the crop is
 * kept when at least `minVisible` of its area is in the window, clipped to it.
 */
export function objectsInView(
  objects: readonly TrainObject[],
  view: View,
  minVisible = 0.4,
): { classIndex: number; box: EdgeBox; difficult: boolean }[] {
  const out: { classIndex: number; box: EdgeBox; difficult: boolean }[] = [];
  for (const o of objects) {
    const e = vocToEdges(o.box);
    const inside = toInput(e, view);
    if (!inside) continue;
    const visible = edgeArea(inside) / (view.scale * view.scale);
    if (visible < minVisible * edgeArea(e)) continue;
    out.push({ classIndex: o.classIndex, box: inside, difficult: o.difficult });
  }
  return out;
}
