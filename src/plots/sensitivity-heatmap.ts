import { FIGURE_CONFIG, VL_SCHEMA, columnTitle, metricAxis, requireFields, rowsOf, type VlSpec } from './spec';

/** Options of {@link sensitivityHeatmapSpec}. */
export interface SensitivityHeatmapOptions {
  /** Column on the x axis; default `optimizer.gaf.alpha`. */
  x?: string;
  /** Column on the y axis; default `optimizer.gaf.beta`. */
  y?: string;
  /** Summary column shown as colour; default `finalMean` (mean final test top-1 across seeds). */
  value?: string;
  /** Column whose values make one heatmap each (e.g. `optimizer.gaf.kind`); default none. */
  facet?: string;
  title?: string;
  /** Cell size in pixels; default 56. */
  cell?: number;
}

/**
 * An alpha x beta sensitivity heatmap from a `summarizeRuns` summary grouped by (at least) the
 * two hyper-parameters: one cell per pair, coloured by the mean final accuracy, labelled with
 * the value and the number of seeds; cells with a single seed say "n=1" (not a result).
 */
export function sensitivityHeatmapSpec(summary: unknown, options: SensitivityHeatmapOptions = {}): VlSpec {
  const where = 'sensitivityHeatmapSpec';
  const xCol = options.x ?? 'optimizer.gaf.alpha';
  const yCol = options.y ?? 'optimizer.gaf.beta';
  const valueCol = options.value ?? 'finalMean';
  const rows = rowsOf(summary, where).filter((r) => r[xCol] !== null && r[xCol] !== undefined && r[yCol] !== null && r[yCol] !== undefined);
  requireFields(rows, [xCol, yCol, valueCol, 'n', ...(options.facet ? [options.facet] : [])], where);
  const seen = new Set<string>();
  for (const r of rows) {
    const k = JSON.stringify([r[xCol], r[yCol], options.facet ? r[options.facet] : null]);
    if (seen.has(k)) {
      throw new Error(
        `${where}: two summary rows share ${xCol}=${String(r[xCol])}, ${yCol}=${String(r[yCol])}${options.facet ? `, ${options.facet}=${String(r[options.facet])}` : ''}; summarize by exactly the heatmap's columns (plus facet), or filter the summary first.`,
      );
    }
    seen.add(k);
  }
  const metric = typeof rows[0]!.metric === 'string' ? (rows[0]!.metric as string) : 'testTop1';
  const axis = /Mean$/.test(valueCol) ? metricAxis(metric) : metricAxis(valueCol);
  const fmt = (v: number): string => (axis.percent ? `${(v * 100).toFixed(1)}%` : v.toPrecision(3));
  const finite = rows.map((r) => r[valueCol]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const values = rows.map((r) => {
    const v = r[valueCol] as number;
    const n = r.n as number;
    return {
      x: r[xCol] as number | string,
      y: r[yCol] as number | string,
      panel: options.facet ? String(r[options.facet] ?? '–') : null,
      value: Number.isFinite(v) ? v : null,
      label: `${Number.isFinite(v) ? fmt(v) : 'no run'}\nn=${n}`,
      // Text on the dark end of viridis is white, on the light end black.
      dark: Number.isFinite(v) && hi > lo ? (v - lo) / (hi - lo) < 0.55 : false,
    };
  });
  const numeric = (a: unknown, b: unknown): number =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  const xs = [...new Set(values.map((v) => v.x))].sort(numeric);
  const ys = [...new Set(values.map((v) => v.y))].sort(numeric).reverse();
  const cell = options.cell ?? 56;
  const valueTitle =
    valueCol === 'finalMean' ? `mean final ${axis.title}` : valueCol === 'bestMean' ? `mean best ${axis.title}` : axis.title;
  const layer = [
    {
      mark: { type: 'rect' as const, stroke: 'white', strokeWidth: 1 },
      encoding: {
        x: { field: 'x', type: 'ordinal' as const, title: columnTitle(xCol), sort: xs, axis: { labelAngle: 0 } },
        y: { field: 'y', type: 'ordinal' as const, title: columnTitle(yCol), sort: ys },
        color: {
          field: 'value',
          type: 'quantitative' as const,
          title: valueTitle.split(/ (?=\()/),
          scale: { scheme: 'viridis' },
          legend: {
            format: axis.format ?? '.3g',
            orient: 'right' as const,
            gradientLength: Math.max(cell * ys.length, 120),
            titlePadding: 10,
          },
        },
        tooltip: [
          { field: 'x', title: xCol },
          { field: 'y', title: yCol },
          { field: 'value', title: valueCol, format: axis.percent ? '.2%' : '.4g' },
          { field: 'label', title: 'cell' },
        ],
      },
    },
    {
      mark: { type: 'text' as const, fontSize: 11, lineBreak: '\n', lineHeight: 13 },
      encoding: {
        x: { field: 'x', type: 'ordinal' as const, sort: xs },
        y: { field: 'y', type: 'ordinal' as const, sort: ys },
        text: { field: 'label' },
        color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
      },
    },
  ];
  const title = {
    text: options.title ?? `Sensitivity to ${columnTitle(xCol).split(' ')[0]} and ${columnTitle(yCol).split(' ')[0]}`,
    subtitle: `cell: ${valueTitle} across seeds; n = seeds per cell (n=1: not a result)`,
  };
  // Wide enough cells for the x-axis title (about 175 px), so side-by-side panels do not overlap.
  const size = { width: { step: Math.max(cell, Math.ceil(175 / xs.length)) }, height: { step: cell } };
  if (options.facet) {
    return {
      $schema: VL_SCHEMA,
      title,
      config: FIGURE_CONFIG,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: columnTitle(options.facet) },
      spec: { ...size, layer },
    };
  }
  return { $schema: VL_SCHEMA, title, config: FIGURE_CONFIG, data: { values }, ...size, layer };
}
