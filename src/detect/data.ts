/**
 * The detection batch pipeline on top of the VOC loader: images decoded once (or on demand),
 * each batch rendered into the square input (letterboxed, augmented when training) with its
 * training targets, and the ground truth in the scorer's form.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, mixSeed, permutation } from '../data/rng';
import { loadSharp } from '../data/sharp';
import { DataFormatError } from '../data/errors';
import type { VocSample } from '../data/voc';
import { encodeTargets, OUTPUT_STRIDE } from './centernet';
import type { GroundTruthImage } from './evaluate';
import { letterboxView, type View } from './geometry';
import {
  objectsInView,
  randomJitter,
  randomView,
  renderView,
  NO_JITTER,
  type AugmentOptions,
  type RawImage,
  type TrainObject,
} from './image';

/** One image of a detection set. */
export interface DetectionImage {
  id: string;
  width: number;
  height: number;
  /** Objects of the detector's classes (class index into the detector's class list). */
  objects: TrainObject[];
  /** The decoded image. */
  load(): Promise<RawImage>;
}

/** Decodes a VOC sample's JPEG into RGB bytes; an unreadable file is an error naming it. */
export async function decodeVocImage(sample: Pick<VocSample, 'id' | 'imagePath' | 'width' | 'height'>): Promise<RawImage> {
  const sharp = loadSharp();
  try {
    const { data, info } = await sharp(sample.imagePath, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== sample.width || info.height !== sample.height) {
      throw new Error(`image is ${info.width}x${info.height}, the annotation says ${sample.width}x${sample.height}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new DataFormatError(sample.imagePath, `cannot read the image of VOC id ${sample.id}: ${(e as Error).message}.`);
  }
}

/**
 * The images of VOC samples with their objects of `classNames` (others are left out; an
 * image may end up with none). `cache`: decode every image now and keep it in memory (small
 * sets); otherwise each image is decoded whenever a batch needs it.
 */
export async function detectionImages(
  samples: readonly VocSample[],
  classNames: readonly string[],
  cache: boolean,
): Promise<DetectionImage[]> {
  const out = samples.map((s): DetectionImage => {
    const objects = s.objects
      .filter((o) => classNames.includes(o.name))
      .map((o) => ({ classIndex: classNames.indexOf(o.name), box: [o.xmin, o.ymin, o.xmax, o.ymax] as const, difficult: o.difficult }));
    return { id: s.id, width: s.width, height: s.height, objects, load: () => decodeVocImage(s) };
  });
  if (cache) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < out.length) {
        const img = out[next++]!;
        const raw = await img.load();
        img.load = () => Promise.resolve(raw);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }
  return out;
}

/** The scorer's ground truth of a set of images. */
export function groundTruthOf(images: readonly DetectionImage[], classNames: readonly string[]): GroundTruthImage[] {
  return images.map((im) => ({
    imageId: im.id,
    objects: im.objects.map((o) => ({ label: classNames[o.classIndex]!, box: o.box, difficult: o.difficult })),
  }));
}

/** A batch: inputs, targets, and the view of each image (to map detections back). */
export interface DetectionBatch {
  x: tf.Tensor4D;
  heat: tf.Tensor4D;
  box: tf.Tensor4D;
  mask: tf.Tensor4D;
  views: View[];
  images: DetectionImage[];
  dispose(): void;
}

/** Options of {@link makeBatch}. */
export interface BatchOptions {
  inputSize: number;
  numClasses: number;
  /** Random crop, flip and jitter from this generator; null: the plain letterbox. */
  augment: { rng: Rng; options?: AugmentOptions } | null;
  /** Build the targets (training); default true. */
  targets?: boolean;
}

/** Renders `images` into one batch (see {@link BatchOptions}). */
export async function makeBatch(images: readonly DetectionImage[], o: BatchOptions): Promise<DetectionBatch> {
  const n = images.length;
  const size = o.inputSize;
  const m = size / OUTPUT_STRIDE;
  const x = new Float32Array(n * size * size * 3);
  const withTargets = o.targets ?? true;
  const heat = new Float32Array(withTargets ? n * m * m * o.numClasses : 0);
  const box = new Float32Array(withTargets ? n * m * m * 4 : 0);
  const mask = new Float32Array(withTargets ? n * m * m : 0);
  const raws = await Promise.all(images.map((im) => im.load()));
  const views: View[] = [];
  images.forEach((im, i) => {
    const view = o.augment
      ? randomView(im.width, im.height, size, o.augment.rng, o.augment.options)
      : letterboxView(im.width, im.height, size);
    const jitter = o.augment ? randomJitter(o.augment.rng, o.augment.options) : NO_JITTER;
    renderView(raws[i]!, view, size, x, i * size * size * 3, jitter);
    views.push(view);
    if (withTargets) {
      const t = encodeTargets(objectsInView(im.objects, view), o.numClasses, m);
      heat.set(t.heat, i * m * m * o.numClasses);
      box.set(t.box, i * m * m * 4);
      mask.set(t.mask, i * m * m);
    }
  });
  const tensors = {
    x: tf.tensor4d(x, [n, size, size, 3]),
    heat: tf.tensor4d(heat, [withTargets ? n : 0, m, m, o.numClasses]),
    box: tf.tensor4d(box, [withTargets ? n : 0, m, m, 4]),
    mask: tf.tensor4d(mask, [withTargets ? n : 0, m, m, 1]),
  };
  return { ...tensors, views, images: [...images], dispose: () => tf.dispose(Object.values(tensors)) };
}

/** The image order of a training epoch: a permutation that depends only on the seed and the epoch. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return permutation(count, mixSeed(seed, epoch));
}

/** The augmentation generator of an epoch (independent of the order's). */
export function epochRng(seed: number, epoch: number): Rng {
  return new Rng(mixSeed(seed, epoch, 0x5eed));
}
