/**
 * Detection scoring as the PASCAL VOC devkit does it (`VOCevaldet.m`, and its Python port in
 * the py-faster-rcnn `voc_eval`): average precision per class at an IoU threshold, and their
 * mean (mAP).
 *
 * The devkit's rules, each kept here:
 * - Boxes are inclusive pixel coordinates, so a box's width is `xmax - xmin + 1` and the
 *   intersection's width `min(xmax) - max(xmin) + 1` (0 when negative).
 * - A detection is a match when its best IoU over the image's boxes of its class is strictly
 *   above the threshold. The best box is searched over all of them, difficult ones included:
 *   a detection whose best box is difficult counts neither as a true nor as a false positive.
 * - Difficult boxes are not positives (`npos` counts the others).
 * - A box is matched once: a later detection whose best box is already taken is a false
 *   positive, even when another box overlaps it above the threshold.
 * - Detections are taken in order of decreasing score; equal scores keep their input order.
 * - `voc07`: the 11-point interpolated AP (the mean over recall levels 0, 0.1, ..., 1 of the
 *   highest precision at a recall at least that level, 0 when none reaches it).
 *   `voc12` (VOC2010 onwards): the area under the precision envelope (precision made
 *   non-increasing in recall by taking the maximum to its right), summed where recall changes.
 * @module
 */

/** A box `[xmin, ymin, xmax, ymax]` in inclusive pixel coordinates, as in VOC annotations. */
export type VocBox = readonly [number, number, number, number];

/** The annotated objects of one image. */
export interface GroundTruthImage {
  imageId: string;
  objects: readonly { label: string; box: VocBox; difficult?: boolean }[];
}

/** One detection: a scored box of a class in an image. */
export interface Detection {
  imageId: string;
  label: string;
  score: number;
  box: VocBox;
}

/** Which AP: VOC2007's 11-point interpolation or VOC2010+'s area under the envelope. */
export type VocApMetric = 'voc07' | 'voc12';

/** Options of {@link evaluateVocDetections}. */
export interface VocEvalOptions {
  metric: VocApMetric;
  /** A match needs IoU strictly above this (default 0.5). */
  iouThreshold?: number;
}

/** The result of one class. */
export interface ClassEvaluation {
  /** Average precision; NaN when the class has no non-difficult box (it is then not in the mAP). */
  ap: number;
  /** Non-difficult ground-truth boxes. */
  npos: number;
  /** Detections that matched a box first. */
  tp: number;
  /** Detections that matched nothing, or a box already taken. */
  fp: number;
  /** Recall and precision after each counted detection (ignored ones left out), in score order. */
  recall: number[];
  precision: number[];
}

/** What {@link evaluateVocDetections} returns. */
export interface VocEvaluation {
  /** Mean AP over the classes with at least one non-difficult box; NaN when there is none. */
  mAP: number;
  perClass: Record<string, ClassEvaluation>;
}

/** The default IoU threshold of the VOC challenge. */
export const VOC_IOU_THRESHOLD = 0.5;

/** IoU of two inclusive pixel boxes (the devkit's +1 widths); 0 when they do not overlap. */
export function vocIoU(a: VocBox, b: VocBox): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]) + 1;
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]) + 1;
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter;
  return inter / union;
}

/** 11-point interpolated AP (VOC2007). */
export function ap11Point(recall: readonly number[], precision: readonly number[]): number {
  let sum = 0;
  for (let k = 0; k <= 10; k++) {
    const t = k / 10;
    let p = 0;
    for (let i = 0; i < recall.length; i++) if (recall[i]! >= t && precision[i]! > p) p = precision[i]!;
    sum += p;
  }
  return sum / 11;
}

/** Area under the monotone precision envelope (VOC2010+). */
export function apEnvelope(recall: readonly number[], precision: readonly number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [0, ...precision, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i]!, mpre[i + 1]!);
  let ap = 0;
  for (let i = 0; i + 1 < mrec.length; i++) if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
  return ap;
}

function checkBox(box: unknown, where: string): void {
  const ok =
    Array.isArray(box) &&
    box.length === 4 &&
    box.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    box[0] <= box[2] &&
    box[1] <= box[3];
  if (!ok) {
    throw new Error(
      `evaluateVocDetections: ${where}.box must be [xmin, ymin, xmax, ymax] of finite numbers with xmin <= xmax and ymin <= ymax, got ${JSON.stringify(box)}.`,
    );
  }
}

function checkInputs(groundTruth: readonly GroundTruthImage[], detections: readonly Detection[], threshold: number, metric: unknown): void {
  if (metric !== 'voc07' && metric !== 'voc12')
    throw new Error(`evaluateVocDetections: metric must be 'voc07' or 'voc12', got ${JSON.stringify(metric)}.`);
  if (!(threshold >= 0 && threshold < 1)) throw new Error(`evaluateVocDetections: iouThreshold must be in [0, 1), got ${threshold}.`);
  if (!Array.isArray(groundTruth)) throw new Error('evaluateVocDetections: groundTruth must be an array of { imageId, objects }.');
  if (!Array.isArray(detections)) throw new Error('evaluateVocDetections: detections must be an array of { imageId, label, score, box }.');
  const seen = new Set<string>();
  groundTruth.forEach((g, i) => {
    if (typeof g?.imageId !== 'string') throw new Error(`evaluateVocDetections: groundTruth[${i}].imageId must be a string.`);
    if (seen.has(g.imageId))
      throw new Error(
        `evaluateVocDetections: image ${JSON.stringify(g.imageId)} appears twice in groundTruth (entries list all objects of an image once).`,
      );
    seen.add(g.imageId);
    if (!Array.isArray(g.objects)) throw new Error(`evaluateVocDetections: groundTruth[${i}].objects must be an array.`);
    for (const [j, o] of (g.objects as GroundTruthImage['objects']).entries()) {
      if (typeof o?.label !== 'string') throw new Error(`evaluateVocDetections: groundTruth[${i}].objects[${j}].label must be a string.`);
      checkBox(o.box, `groundTruth[${i}].objects[${j}]`);
    }
  });
  detections.forEach((d, i) => {
    if (typeof d?.imageId !== 'string' || typeof d.label !== 'string') {
      throw new Error(`evaluateVocDetections: detections[${i}] needs a string imageId and label.`);
    }
    if (typeof d.score !== 'number' || Number.isNaN(d.score))
      throw new Error(`evaluateVocDetections: detections[${i}].score must be a number, got ${String(d.score)}.`);
    checkBox(d.box, `detections[${i}]`);
  });
}

/**
 * Scores `detections` against `groundTruth` as the VOC devkit does (see the module comment).
 * A detection in an image absent from `groundTruth` is a false positive. Classes are those of
 * the ground truth and the detections; a class without non-difficult boxes gets AP NaN and is
 * left out of the mAP.
 */
export function evaluateVocDetections(
  groundTruth: readonly GroundTruthImage[],
  detections: readonly Detection[],
  options: VocEvalOptions,
): VocEvaluation {
  const threshold = options?.iouThreshold ?? VOC_IOU_THRESHOLD;
  checkInputs(groundTruth, detections, threshold, options?.metric);
  const labels = new Set<string>();
  for (const g of groundTruth) for (const o of g.objects) labels.add(o.label);
  for (const d of detections) labels.add(d.label);

  const perClass: Record<string, ClassEvaluation> = {};
  for (const label of [...labels].sort()) {
    // The class's boxes per image, with their taken flags.
    const boxes = new Map<string, { box: VocBox; difficult: boolean; taken: boolean }[]>();
    let npos = 0;
    for (const g of groundTruth) {
      const mine = g.objects.filter((o) => o.label === label).map((o) => ({ box: o.box, difficult: o.difficult === true, taken: false }));
      npos += mine.filter((o) => !o.difficult).length;
      boxes.set(g.imageId, mine);
    }
    const dets = detections.map((d, i) => ({ d, i })).filter(({ d }) => d.label === label);
    // Array.prototype.sort is stable: equal scores keep their input order.
    dets.sort((a, b) => b.d.score - a.d.score);
    let tp = 0;
    let fp = 0;
    const recall: number[] = [];
    const precision: number[] = [];
    for (const { d } of dets) {
      const candidates = boxes.get(d.imageId) ?? [];
      let best = -Infinity;
      let at = -1;
      candidates.forEach((c, j) => {
        const iou = vocIoU(d.box, c.box);
        if (iou > best) {
          best = iou;
          at = j;
        }
      });
      if (at >= 0 && best > threshold) {
        const c = candidates[at]!;
        if (c.difficult) continue;
        if (!c.taken) {
          c.taken = true;
          tp++;
        } else fp++;
      } else fp++;
      recall.push(npos > 0 ? tp / npos : NaN);
      precision.push(tp / (tp + fp));
    }
    const ap = npos === 0 ? NaN : options.metric === 'voc07' ? ap11Point(recall, precision) : apEnvelope(recall, precision);
    perClass[label] = { ap, npos, tp, fp, recall, precision };
  }
  const scored = Object.values(perClass).filter((c) => c.npos > 0);
  const mAP = scored.length === 0 ? NaN : scored.reduce((s, c) => s + c.ap, 0) / scored.length;
  return { mAP, perClass };
}
