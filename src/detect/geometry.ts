/**
 * Where boxes go between an original image and the detector's fixed square input.
 *
 * VOC boxes are inclusive 1-based pixel indices; inside the detector a box is continuous,
 * 0-based edges: pixel `xmin` starts at `xmin - 1` and pixel `xmax` ends at `xmax`. So an
 * original box maps to `[xmin - 1, ymin - 1, xmax, ymax]` and back exactly.
 *
 * A {@link View} is the part of the original image that fills the input (the whole image, or a
 * crop when augmenting), scaled by one factor so the aspect ratio is kept (letterbox), placed at
 * the input's top-left corner, optionally mirrored left-right; the rest of the input is padding.
 * @module
 */
import type { VocBox } from './evaluate';

/** A box as continuous edges `[x0, y0, x1, y1]` (x0 < x1). */
export type EdgeBox = [number, number, number, number];

/** The part of an original image the input shows, and how. */
export interface View {
  /** Top-left corner of the window in original continuous coordinates. */
  x: number;
  y: number;
  /** Window size in original pixels. */
  width: number;
  height: number;
  /** Input pixels per original pixel. */
  scale: number;
  /** Mirrored left-right (within the window's scaled width). */
  flip: boolean;
}

/** The letterbox view of a whole `width` x `height` image in a `size` x `size` input. */
export function letterboxView(width: number, height: number, size: number): View {
  return { x: 0, y: 0, width, height, scale: size / Math.max(width, height), flip: false };
}

/** A VOC box (inclusive pixels) as continuous edges. */
export function vocToEdges(b: VocBox): EdgeBox {
  return [b[0] - 1, b[1] - 1, b[2], b[3]];
}

/** Continuous edges as a VOC box (the inverse of {@link vocToEdges}; not rounded). */
export function edgesToVoc(b: EdgeBox): [number, number, number, number] {
  return [b[0] + 1, b[1] + 1, b[2], b[3]];
}

/** An original-image box (edges) in input coordinates under `view`; null when nothing of it is left in the window. */
export function toInput(b: EdgeBox, view: View): EdgeBox | null {
  const x0 = Math.max(b[0], view.x);
  const y0 = Math.max(b[1], view.y);
  const x1 = Math.min(b[2], view.x + view.width);
  const y1 = Math.min(b[3], view.y + view.height);
  if (x1 <= x0 || y1 <= y0) return null;
  const s = view.scale;
  let out: EdgeBox = [(x0 - view.x) * s, (y0 - view.y) * s, (x1 - view.x) * s, (y1 - view.y) * s];
  if (view.flip) {
    const w = view.width * s;
    out = [w - out[2], out[1], w - out[0], out[3]];
  }
  return out;
}

/**
 * An input-coordinate box back in the original image (edges), clipped to the image
 * `imageWidth` x `imageHeight`: the inverse of {@link toInput} for a box inside the window.
 */
export function toOriginal(b: EdgeBox, view: View, imageWidth: number, imageHeight: number): EdgeBox {
  const s = view.scale;
  const [, y0, , y1] = b;
  // Mirroring maps the input's [x0, x1] to [w - x1, w - x0] within the window's scaled width w.
  const w = view.width * s;
  const [x0, x1] = view.flip ? [w - b[2], w - b[0]] : [b[0], b[2]];
  const clip = (v: number, hi: number): number => Math.min(hi, Math.max(0, v));
  return [
    clip(x0 / s + view.x, imageWidth),
    clip(y0 / s + view.y, imageHeight),
    clip(x1 / s + view.x, imageWidth),
    clip(y1 / s + view.y, imageHeight),
  ];
}

/** Area of an edge box. */
export function edgeArea(b: EdgeBox): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** IoU of two edge boxes (continuous coordinates, no +1). */
export function edgeIoU(a: EdgeBox, b: EdgeBox): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (edgeArea(a) + edgeArea(b) - inter);
}

/** A scored box of a class, in any coordinates. */
export interface ScoredBox {
  box: EdgeBox;
  score: number;
  classIndex: number;
}

/**
 * Greedy non-maximum suppression within each class: boxes in decreasing score (ties in input
 * order) are kept unless they overlap a kept box of their class by IoU above `iouThreshold`;
 * at most `maxPerImage` are kept in all. Returns the kept boxes, highest score first.
 */
export function nmsPerClass(boxes: readonly ScoredBox[], iouThreshold: number, maxPerImage = Infinity): ScoredBox[] {
  const order = boxes.map((b, i) => ({ b, i })).sort((p, q) => q.b.score - p.b.score || p.i - q.i);
  const kept: ScoredBox[] = [];
  for (const { b } of order) {
    if (kept.length >= maxPerImage) break;
    if (kept.some((k) => k.classIndex === b.classIndex && edgeIoU(k.box, b.box) > iouThreshold)) continue;
    kept.push(b);
  }
  return kept;
}
