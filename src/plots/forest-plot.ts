import { FIGURE_CONFIG, VL_SCHEMA, requireFields, rowsOf, type VlSpec } from './spec';

/** Options of {@link forestPlotSpec}. */
export interface ForestPlotOptions {
  /** Row label column (one row of the plot each), default `variant`. */
  label?: string;
  /** Estimate and interval columns, default `diff`, `diffLow`, `diffHigh`. */
  estimate?: string;
  low?: string;
  high?: string;
  /** Multiply the numbers by this for display (default 100: fractions shown as percentage points). */
  scale?: number;
  /** Where the dashed reference line goes (default 0: no difference). */
  reference?: number;
  xTitle?: string;
  title?: string;
  subtitle?: string | string[];
  width?: number;
}

/**
 * A forest plot: one row per label, a point at the estimate and a line over its interval, with
 * a dashed reference line (no difference). Rows with no finite interval are drawn as a hollow
 * point (no interval: too few seeds). The way to show "variant minus baseline" for many
 * variants at once.
 */
export function forestPlotSpec(input: unknown, o: ForestPlotOptions = {}): VlSpec {
  const where = 'forestPlotSpec';
  const label = o.label ?? 'variant';
  const est = o.estimate ?? 'diff';
  const low = o.low ?? 'diffLow';
  const high = o.high ?? 'diffHigh';
  const scale = o.scale ?? 100;
  const rows = rowsOf(input, where);
  requireFields(rows, [label, est, low, high], where);
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const values = rows
    .filter((r) => finite(r[est]))
    .map((r) => ({
      label: String(r[label]),
      estimate: (r[est] as number) * scale,
      low: finite(r[low]) ? (r[low] as number) * scale : null,
      high: finite(r[high]) ? (r[high] as number) * scale : null,
      interval: finite(r[low]) && finite(r[high]) ? 'with 95% interval' : 'no interval (n < 2)',
    }));
  if (values.length === 0) throw new Error(`${where}: no row has a finite "${est}"; nothing to plot.`);
  const order = values.map((v) => v.label);
  const y = { field: 'label', type: 'nominal' as const, title: null, sort: order, axis: { labelLimit: 420 } };
  const xTitle = o.xTitle ?? 'difference to the baseline (percentage points)';
  return {
    $schema: VL_SCHEMA,
    title: {
      text: o.title ?? 'Difference to the baseline',
      subtitle: o.subtitle ?? 'point: difference of means; line: Welch 95% interval; dashed: no difference',
    },
    config: FIGURE_CONFIG,
    data: { values },
    width: o.width ?? 420,
    height: { step: 26 },
    layer: [
      { mark: { type: 'rule', strokeDash: [5, 4], color: '#888' }, encoding: { x: { datum: o.reference ?? 0 } } },
      {
        transform: [{ filter: 'datum.low !== null' }],
        mark: { type: 'rule', strokeWidth: 2, color: '#333' },
        encoding: { y, x: { field: 'low', type: 'quantitative', title: xTitle }, x2: { field: 'high' } },
      },
      // A layer with no rows gives Vega an empty extent (and a warning), so hollow points only when needed.
      ...[true, false]
        .filter((w) => w || values.some((v) => v.low === null))
        .map((withInterval) => ({
          transform: [{ filter: withInterval ? 'datum.low !== null' : 'datum.low === null' }],
          mark: { type: 'point', size: 90, strokeWidth: 2, filled: withInterval },
          encoding: {
            y,
            x: { field: 'estimate', type: 'quantitative', title: xTitle },
            color: {
              field: 'interval',
              type: 'nominal',
              title: null,
              scale: { domain: ['with 95% interval', 'no interval (n < 2)'], range: ['#1f5fa8', '#c0392b'] },
              legend: { orient: 'bottom' },
            },
          },
        })),
    ],
  } as unknown as VlSpec;
}
