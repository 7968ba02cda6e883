/**
 * A small synthetic detection set written in the official VOCdevkit layout
 * (`VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main}`), so that the VOC loader, the
 * detector and its scoring run end to end where the real data is not available, and a
 * detector can be shown to learn in minutes on a CPU.
 *
 * Each image has 1 to 4 objects of three shapes on a textured background (two crossed
 * sinusoidal gratings plus noise). The shapes carry VOC class names, because the loader accepts
 * only those: a disc is `pottedplant`, an upward triangle `boat` (a sail), a square with a dark
 * screen `tvmonitor`. Sizes, aspect ratios and colours vary, objects may overlap (at most
 * IoU 0.35 between two), and small or faint objects are marked difficult, as VOC marks objects
 * that are hard to recognise. Images vary in size, so letterboxing is exercised. Everything
 * follows from the seed.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from './rng';
import { loadSharp } from './sharp';

/** The classes of the synthetic set, by shape: disc, triangle, framed square. */
export const SYNTHETIC_VOC_CLASSES: readonly string[] = Object.freeze(['pottedplant', 'boat', 'tvmonitor']);

/** Options of {@link writeSyntheticVoc}. */
export interface SyntheticVocOptions {
  /** Images per split. Default train 400, val 50, test 150. */
  train?: number;
  val?: number;
  test?: number;
  /** Default 1. */
  seed?: number;
  /** Image side range in pixels (each side drawn in it). Default [64, 96]. */
  minSide?: number;
  maxSide?: number;
}

/** What {@link writeSyntheticVoc} wrote. */
export interface SyntheticVocSummary {
  /** The VOC2007 folder (`<dir>/VOCdevkit/VOC2007`). */
  root: string;
  images: number;
  objects: number;
  difficult: number;
}

interface Shape {
  classIndex: number;
  /** Inclusive 0-based pixel bounds of the drawn shape. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  colour: [number, number, number];
  difficult: boolean;
}

function iou(a: Shape, b: Shape): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) + 1;
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) + 1;
  if (iw <= 0 || ih <= 0) return 0;
  const area = (s: Shape): number => (s.x1 - s.x0 + 1) * (s.y1 - s.y0 + 1);
  return (iw * ih) / (area(a) + area(b) - iw * ih);
}

/** Whether pixel (x, y) lies in the shape (pixel centres). */
function covers(s: Shape, x: number, y: number): 'body' | 'inner' | null {
  const w = s.x1 - s.x0 + 1;
  const h = s.y1 - s.y0 + 1;
  const u = (x + 0.5 - s.x0) / w; // 0..1 across the box
  const v = (y + 0.5 - s.y0) / h;
  if (u < 0 || u > 1 || v < 0 || v > 1) return null;
  if (s.classIndex === 0) return (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25 ? 'body' : null;
  if (s.classIndex === 1) return Math.abs(u - 0.5) <= v / 2 ? 'body' : null;
  return u > 0.2 && u < 0.8 && v > 0.2 && v < 0.8 ? 'inner' : 'body';
}

function drawImage(rng: Rng, width: number, height: number): { pixels: Buffer; shapes: Shape[] } {
  const pixels = Buffer.alloc(width * height * 3);
  // Background: two crossed gratings of random period and phase, random tints, plus noise.
  const f1 = rng.uniform(0.08, 0.35);
  const f2 = rng.uniform(0.08, 0.35);
  const a1 = rng.uniform(0, Math.PI);
  const base = [rng.uniform(70, 180), rng.uniform(70, 180), rng.uniform(70, 180)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.sin(f1 * (x * Math.cos(a1) + y * Math.sin(a1))) * 25 + Math.sin(f2 * (x * Math.sin(a1) - y * Math.cos(a1))) * 20;
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, base[c]! + t * (c === 1 ? 0.7 : 1) + rng.uniform(-18, 18)));
    }
  }
  const shapes: Shape[] = [];
  const count = 1 + rng.int(4);
  for (let tries = 0; shapes.length < count && tries < 40; tries++) {
    const classIndex = rng.int(3);
    const side = Math.round(rng.uniform(12, Math.min(width, height) * 0.6));
    const aspect = classIndex === 2 ? rng.uniform(0.8, 1.25) : rng.uniform(0.7, 1.4);
    const w = Math.max(6, Math.min(width - 2, Math.round(side * Math.sqrt(aspect))));
    const h = Math.max(6, Math.min(height - 2, Math.round(side / Math.sqrt(aspect))));
    const x0 = rng.int(width - w + 1);
    const y0 = rng.int(height - h + 1);
    // Colours far from the background's mean most of the time; a faint one now and then.
    const faint = rng.next() < 0.1;
    const colour = base.map((b) => (faint ? b + rng.uniform(-30, 30) : rng.next() < 0.5 ? rng.uniform(0, Math.max(1, b - 60)) : rng.uniform(Math.min(254, b + 60), 255))) as [
      number,
      number,
      number,
    ];
    const s: Shape = { classIndex, x0, y0, x1: x0 + w - 1, y1: y0 + h - 1, colour, difficult: faint || Math.min(w, h) < 13 };
    if (shapes.some((o) => iou(o, s) > 0.35)) continue;
    shapes.push(s);
  }
  for (const s of shapes) {
    for (let y = s.y0; y <= s.y1; y++) {
      for (let x = s.x0; x <= s.x1; x++) {
        const part = covers(s, x, y);
        if (!part) continue;
        const k = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) pixels[k + c] = part === 'inner' ? Math.round(s.colour[c]! * 0.25) : Math.round(s.colour[c]!);
      }
    }
  }
  return { pixels, shapes };
}

function annotationXml(id: string, width: number, height: number, shapes: Shape[]): string {
  const objects = shapes
    .map((s) =>
      [
        '\t<object>',
        `\t\t<name>${SYNTHETIC_VOC_CLASSES[s.classIndex]}</name>`,
        '\t\t<pose>Unspecified</pose>',
        '\t\t<truncated>0</truncated>',
        `\t\t<difficult>${s.difficult ? 1 : 0}</difficult>`,
        '\t\t<bndbox>',
        // VOC boxes are 1-based and inclusive.
        `\t\t\t<xmin>${s.x0 + 1}</xmin>`,
        `\t\t\t<ymin>${s.y0 + 1}</ymin>`,
        `\t\t\t<xmax>${s.x1 + 1}</xmax>`,
        `\t\t\t<ymax>${s.y1 + 1}</ymax>`,
        '\t\t</bndbox>',
        '\t</object>',
      ].join('\n'),
    )
    .join('\n');
  return [
    '<annotation>',
    '\t<folder>VOC2007</folder>',
    `\t<filename>${id}.jpg</filename>`,
    '\t<source><database>gaf-lab synthetic</database></source>',
    `\t<size><width>${width}</width><height>${height}</height><depth>3</depth></size>`,
    '\t<segmented>0</segmented>',
    objects,
    '</annotation>',
    '',
  ].join('\n');
}

function count(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new Error(`writeSyntheticVoc: ${name} must be a non-negative integer, got ${String(v)}.`);
  return n;
}

/**
 * Writes the synthetic set under `dir` (`dir/VOCdevkit/VOC2007/...`, image sets train, val,
 * trainval and test), replacing an earlier one there. Same options and seed, same files.
 */
export async function writeSyntheticVoc(dir: string, options: SyntheticVocOptions = {}): Promise<SyntheticVocSummary> {
  const sizes = { train: count('train', options.train, 400), val: count('val', options.val, 50), test: count('test', options.test, 150) };
  const minSide = options.minSide ?? 64;
  const maxSide = options.maxSide ?? 96;
  if (!(Number.isInteger(minSide) && Number.isInteger(maxSide) && minSide >= 32 && maxSide >= minSide)) {
    throw new Error(`writeSyntheticVoc: minSide and maxSide must be integers with 32 <= minSide <= maxSide, got ${minSide} and ${maxSide}.`);
  }
  const sharp = loadSharp();
  const root = path.join(path.resolve(dir), 'VOCdevkit', 'VOC2007');
  fs.rmSync(root, { recursive: true, force: true });
  for (const sub of ['JPEGImages', 'Annotations', path.join('ImageSets', 'Main')]) fs.mkdirSync(path.join(root, sub), { recursive: true });
  const rng = new Rng(options.seed ?? 1);
  const lists: Record<string, string[]> = { train: [], val: [], test: [] };
  let next = 1;
  let objects = 0;
  let difficult = 0;
  for (const split of ['train', 'val', 'test'] as const) {
    for (let i = 0; i < sizes[split]; i++) {
      const id = String(next++).padStart(6, '0');
      const width = minSide + rng.int(maxSide - minSide + 1);
      const height = minSide + rng.int(maxSide - minSide + 1);
      const { pixels, shapes } = drawImage(rng, width, height);
      await sharp(pixels, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 92 })
        .toFile(path.join(root, 'JPEGImages', `${id}.jpg`));
      fs.writeFileSync(path.join(root, 'Annotations', `${id}.xml`), annotationXml(id, width, height, shapes));
      lists[split]!.push(id);
      objects += shapes.length;
      difficult += shapes.filter((s) => s.difficult).length;
    }
  }
  const main = path.join(root, 'ImageSets', 'Main');
  const write = (name: string, ids: string[]): void => fs.writeFileSync(path.join(main, `${name}.txt`), ids.map((id) => `${id}\n`).join(''));
  write('train', lists.train!);
  write('val', lists.val!);
  write('trainval', [...lists.train!, ...lists.val!]);
  write('test', lists.test!);
  return { root, images: next - 1, objects, difficult };
}
