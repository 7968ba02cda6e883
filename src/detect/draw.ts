/**
 * Pictures of detections: an image with its detections drawn as labelled boxes (and the
 * ground truth as dashed boxes), rendered with sharp from an SVG overlay; and the
 * precision-recall curves of an evaluation as a Vega-Lite figure.
 * @module
 */
import { loadSharp } from '../data/sharp';
import { lineChartSpec } from '../plots/line-chart';
import type { VlSpec } from '../plots/spec';
import type { Detection, GroundTruthImage, VocEvaluation } from './evaluate';

/** One colour per class index (Tableau 10), repeated beyond ten classes. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Options of {@link drawDetections}. */
export interface DrawOptions {
  /** The class list (decides each class's colour). */
  classNames: readonly string[];
  /** Detections below this score are not drawn (default 0.3). */
  minScore?: number;
  /** The image is enlarged by this factor (nearest neighbour) so small images stay legible (default 4). */
  scale?: number;
  /** The image's ground truth, drawn dashed (difficult objects dotted). */
  groundTruth?: GroundTruthImage;
}

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The image at `imagePath` with `detections` (of that image) drawn on it: a box in the class's
 * colour with "label score" above it. Returns PNG bytes.
 */
export async function drawDetections(imagePath: string, detections: readonly Detection[], o: DrawOptions): Promise<Buffer> {
  const sharp = loadSharp();
  const scale = o.scale ?? 4;
  const meta = await sharp(imagePath).metadata();
  const W = (meta.width ?? 0) * scale;
  const H = (meta.height ?? 0) * scale;
  const colour = (label: string): string => PALETTE[Math.max(0, o.classNames.indexOf(label)) % PALETTE.length]!;
  // VOC boxes are inclusive pixels: pixel xmin starts at (xmin - 1) and pixel xmax ends at xmax.
  const rect = (b: readonly number[], stroke: string, dash: string): string =>
    `<rect x="${(b[0]! - 1) * scale}" y="${(b[1]! - 1) * scale}" width="${(b[2]! - b[0]! + 1) * scale}" height="${(b[3]! - b[1]! + 1) * scale}" fill="none" stroke="${stroke}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  const parts: string[] = [];
  for (const g of o.groundTruth?.objects ?? []) parts.push(rect(g.box, '#ffffff', g.difficult ? '2,3' : '6,4'));
  for (const d of detections.filter((d) => d.score >= (o.minScore ?? 0.3))) {
    const c = colour(d.label);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const x = (d.box[0] - 1) * scale;
    const y = Math.max(12, (d.box[1] - 1) * scale);
    parts.push(rect(d.box, c, ''));
    parts.push(`<rect x="${x}" y="${y - 12}" width="${text.length * 6.2 + 4}" height="12" fill="${c}"/>`);
    parts.push(`<text x="${x + 2}" y="${y - 3}" font-family="sans-serif" font-size="10" fill="#ffffff">${escapeXml(text)}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
  return sharp(imagePath)
    .resize(W, H, { kernel: 'nearest' })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

/**
 * The precision-recall curve of every class of one or more evaluations: one panel per
 * evaluation (titled with its mAP), one colour per class.
 */
export function prCurvesSpec(
  evaluations: readonly { name: string; evaluation: VocEvaluation }[],
  o: { title?: string; width?: number; height?: number } = {},
): VlSpec {
  const rows: { recall: number; precision: number; class: string; model: string }[] = [];
  for (const { name, evaluation } of evaluations) {
    const model = `${name} (mAP ${evaluation.mAP.toFixed(3)})`;
    for (const [label, c] of Object.entries(evaluation.perClass)) {
      if (c.npos === 0) continue;
      // From recall 0 at the first detection's precision, so each curve starts at the left edge.
      if (c.recall.length > 0) rows.push({ recall: 0, precision: c.precision[0]!, class: label, model });
      c.recall.forEach((r, i) => rows.push({ recall: r, precision: c.precision[i]!, class: label, model }));
    }
  }
  return lineChartSpec(rows, {
    x: 'recall',
    y: 'precision',
    color: 'class',
    column: 'model',
    points: false,
    title: o.title ?? 'Precision-recall per class',
    width: o.width ?? 340,
    height: o.height ?? 240,
  });
}

/** AP per class (and the mAP) of each evaluation, one row per evaluation, for a table. */
export function apTable(evaluations: readonly { name: string; evaluation: VocEvaluation }[]): Record<string, string | number>[] {
  return evaluations.map(({ name, evaluation }) => ({
    model: name,
    ...Object.fromEntries(Object.entries(evaluation.perClass).map(([label, c]) => [`AP ${label}`, c.ap])),
    mAP: evaluation.mAP,
  }));
}
