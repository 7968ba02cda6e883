/**
 * What a finished detection run shows: its test-set detections read back, the ground truth
 * from the VOC files, and the evaluation (with precision-recall curves) recomputed from both.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadVoc, VOC_CLASS_NAMES, type VocSample } from '../data/voc';
import { readManifest } from '../run-format/index';
import type { DetectionConfig } from './config';
import { detectionImages, groundTruthOf } from './data';
import { evaluateVocDetections, type Detection, type GroundTruthImage, type VocEvaluation } from './evaluate';
import { drawDetections } from './draw';
import { DETECTIONS_FILE } from './train';

/** A run's last evaluation, with everything needed to draw it. */
export interface RunDetections {
  runId: string;
  config: DetectionConfig;
  /** Epoch of the evaluation. */
  epoch: number;
  detections: Detection[];
  groundTruth: GroundTruthImage[];
  /** The test images' annotations (paths of the JPEGs). */
  samples: VocSample[];
  evaluation: VocEvaluation;
}

/** Reads `detections.json` of a detection run folder and scores it again against the test set's annotations. */
export async function readRunDetections(runDir: string): Promise<RunDetections> {
  const manifest = readManifest<DetectionConfig>(runDir);
  const file = path.join(runDir, DETECTIONS_FILE);
  if (!fs.existsSync(file))
    throw new Error(`${file} is missing: the run has not been evaluated yet (status ${manifest.status}, ${manifest.epochsDone} epochs).`);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { epoch: number; detections: Detection[] };
  const c = manifest.config;
  const voc = await loadVoc({ year: c.data.test.year, imageSet: c.data.test.imageSet, dataDir: c.data.dataDir ?? undefined });
  const samples = c.data.limitTest === null ? voc.samples : voc.samples.slice(0, c.data.limitTest);
  const groundTruth = groundTruthOf(await detectionImages(samples, c.data.classes, false), c.data.classes);
  const evaluation = evaluateVocDetections(groundTruth, saved.detections, { metric: c.eval.metric, iouThreshold: c.eval.iouThreshold });
  return { runId: manifest.runId, config: c, epoch: saved.epoch, detections: saved.detections, groundTruth, samples, evaluation };
}

/** Options of {@link drawRunImages}. */
export interface DrawRunOptions {
  /** How many test images (the first ones) to draw (default 6). */
  count?: number;
  /** Lowest score drawn (default 0.3). */
  minScore?: number;
  /** Enlargement (default 4). */
  scale?: number;
}

/** The first test images of a run with its detections (solid, labelled) and the ground truth (dashed) drawn on them. */
export async function drawRunImages(run: RunDetections, o: DrawRunOptions = {}): Promise<{ png: Buffer; caption: string; name: string }[]> {
  const minScore = o.minScore ?? 0.3;
  const out: { png: Buffer; caption: string; name: string }[] = [];
  for (const s of run.samples.slice(0, o.count ?? 6)) {
    const dets = run.detections.filter((d) => d.imageId === s.id);
    const gt = run.groundTruth.find((g) => g.imageId === s.id);
    const png = await drawDetections(s.imagePath, dets, { classNames: run.config.data.classes, minScore, scale: o.scale, groundTruth: gt });
    const shown = dets.filter((d) => d.score >= minScore).length;
    out.push({
      png,
      caption: `**${s.id}** (${s.width}x${s.height}): ${gt?.objects.length ?? 0} objects (dashed), ${shown} detections with score >= ${minScore}`,
      name: `${run.runId}-${s.id}`,
    });
  }
  return out;
}

/** Options of {@link drawVocImages}. */
export interface DrawVocImagesOptions {
  dataDir: string;
  year?: '2007' | '2012';
  imageSet?: 'train' | 'val' | 'trainval' | 'test';
  /** How many (the first ones; default 4). */
  count?: number;
  scale?: number;
}

/** The first images of a VOC image set with their annotated boxes (dashed; difficult ones dotted). */
export async function drawVocImages(o: DrawVocImagesOptions): Promise<{ png: Buffer; caption: string; name: string }[]> {
  const voc = await loadVoc({ year: o.year ?? '2007', imageSet: o.imageSet ?? 'train', dataDir: o.dataDir });
  const out: { png: Buffer; caption: string; name: string }[] = [];
  for (const s of voc.samples.slice(0, o.count ?? 4)) {
    const gt: GroundTruthImage = {
      imageId: s.id,
      objects: s.objects.map((ob) => ({ label: ob.name, box: [ob.xmin, ob.ymin, ob.xmax, ob.ymax], difficult: ob.difficult })),
    };
    const png = await drawDetections(s.imagePath, [], { classNames: VOC_CLASS_NAMES, scale: o.scale, groundTruth: gt });
    const names = s.objects.map((ob) => `${ob.name}${ob.difficult ? ' (difficult)' : ''}`).join(', ');
    out.push({ png, caption: `**${s.id}** (${s.width}x${s.height}): ${names}`, name: `voc-${s.id}` });
  }
  return out;
}
