/**
 * The Vega-Lite spec type and the look shared by every gaf-lab figure.
 *
 * vega-lite 6 is an ES module; the type import below is erased at compile time, and the
 * TypeScript that compiles this project (5.0, shared with tslab) cannot yet mark a type import's
 * resolution mode, hence the suppression. Rendering loads vega-lite with `await import()`.
 */
// @ts-expect-error TS1479: type-only import of an ES module from CommonJS (erased at runtime).
import type { TopLevelSpec } from 'vega-lite';

/** A complete Vega-Lite specification, as the spec builders return it. */
export type VlSpec = TopLevelSpec;

/** The Vega-Lite JSON schema the builders target. */
export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * Fonts and sizes chosen for legibility in a PNG at scale 2 and in a paper column; a white
 * background so a PNG does not come out transparent. `sans-serif` lets each renderer pick its
 * font (renderPng maps it to an installed one).
 */
export const FIGURE_CONFIG = {
  background: 'white',
  font: 'sans-serif',
  padding: 8,
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#444', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', labelLimit: 0, titleLimit: 0, symbolSize: 120 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  view: { stroke: '#bbb' },
} as const;

/** Axis titles (with units) of the per-epoch metrics of docs/run-format.md. */
export const METRIC_TITLES: Record<string, { title: string; percent: boolean; log?: boolean }> = {
  trainLoss: { title: 'training loss (cross-entropy, nats)', percent: false },
  testLoss: { title: 'test loss (cross-entropy, nats)', percent: false },
  trainTop1: { title: 'training top-1 accuracy (%)', percent: true },
  trainTop5: { title: 'training top-5 accuracy (%)', percent: true },
  testTop1: { title: 'test top-1 accuracy (%)', percent: true },
  testTop5: { title: 'test top-5 accuracy (%)', percent: true },
  lr: { title: 'learning rate', percent: false },
  epochSeconds: { title: 'epoch time (s)', percent: false },
  imagesPerSecond: { title: 'throughput (images/s)', percent: false },
};

/** The axis title and format of a metric column; unknown columns keep their name. */
export function metricAxis(metric: string): { title: string; format?: string; percent: boolean } {
  const m = METRIC_TITLES[metric];
  if (!m) return { title: metric, percent: false };
  return { title: m.title, percent: m.percent, ...(m.percent ? { format: '.0%' } : {}) };
}

/** Readable titles of the usual grouping columns of the runs table. */
const COLUMN_TITLES: Record<string, string> = {
  'model.name': 'model',
  'dataset.name': 'dataset',
  'optimizer.name': 'optimizer',
  'optimizer.gaf.kind': 'GAF kind',
  'optimizer.gaf.alpha': 'α (output scale of g)',
  'optimizer.gaf.beta': 'β (input scale of g)',
  'optimizer.placement': 'GAF placement',
  optimizerLabel: 'optimizer',
  seed: 'seed',
};

/** The title shown for a column of the runs or summary table. */
export function columnTitle(column: string): string {
  return COLUMN_TITLES[column] ?? column;
}

/** First letter upper-case, for titles built from axis titles. */
export const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Rows of a table-like input: an arquero table (anything with `objects()`) or an array of records. */
export function rowsOf(input: unknown, where: string): Record<string, unknown>[] {
  if (Array.isArray(input)) return input as Record<string, unknown>[];
  if (typeof input === 'object' && input !== null && typeof (input as { objects?: unknown }).objects === 'function') {
    return (input as { objects(): Record<string, unknown>[] }).objects();
  }
  throw new Error(`${where}: expected an arquero table or an array of row objects.`);
}

/** Throws naming the missing column and the ones there are. */
export function requireFields(rows: Record<string, unknown>[], fields: string[], where: string): void {
  if (rows.length === 0) throw new Error(`${where}: no rows to plot.`);
  const have = Object.keys(rows[0]!);
  for (const f of fields) if (!have.includes(f)) throw new Error(`${where}: no column "${f}". Columns are: ${have.join(', ')}.`);
}
