/**
 * Running a trained detector on images: letterboxed input, decoded peaks, per-class NMS, and
 * the boxes back in the original image's VOC pixel coordinates, ready for the scorer.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { decodeDetections, type DecodeOptions } from './centernet';
import { makeBatch, type DetectionImage } from './data';
import type { Detection } from './evaluate';
import { edgesToVoc, toOriginal } from './geometry';

/** Options of {@link detectImages}. */
export interface DetectOptions extends DecodeOptions {
  inputSize: number;
  classNames: readonly string[];
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

/** The detections of `model` on `images`, boxes in each image's VOC pixel coordinates. */
export async function detectImages(model: tf.LayersModel, images: readonly DetectionImage[], o: DetectOptions): Promise<Detection[]> {
  const out: Detection[] = [];
  const bs = o.batchSize ?? 16;
  for (let start = 0; start < images.length; start += bs) {
    const batch = await makeBatch(images.slice(start, start + bs), {
      inputSize: o.inputSize,
      numClasses: o.classNames.length,
      augment: null,
      targets: false,
    });
    try {
      const y = model.apply(batch.x, { training: false }) as tf.Tensor4D;
      const found = decodeDetections(y, o.classNames.length, o);
      y.dispose();
      found.forEach((boxes, i) => {
        const im = batch.images[i]!;
        for (const b of boxes) {
          const [xmin, ymin, xmax, ymax] = edgesToVoc(toOriginal(b.box, batch.views[i]!, im.width, im.height));
          out.push({
            imageId: im.id,
            label: o.classNames[b.classIndex]!,
            score: b.score,
            box: [Math.min(xmin, xmax), Math.min(ymin, ymax), xmax, ymax],
          });
        }
      });
    } finally {
      batch.dispose();
    }
  }
  return out;
}
