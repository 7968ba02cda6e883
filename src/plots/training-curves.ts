import { meanCi } from '../results/stats';
import { FIGURE_CONFIG, VL_SCHEMA, capitalize, columnTitle, metricAxis, requireFields, rowsOf, type VlSpec } from './spec';

/** Options of {@link trainingCurvesSpec}. */
export interface TrainingCurvesOptions {
  /** Metric column per epoch, default `testTop1`; e.g. `trainLoss`, `testLoss`, `trainTop1`. */
  metric?: string;
  /** Column(s) whose values make one curve each; default `optimizerLabel`. */
  by?: string | string[];
  /** Column whose values make one panel each (e.g. `model.name`); default none. */
  facet?: string;
  /** What the band shows: ±1 sd (default), the 95% t-interval of the mean, or min–max across seeds. */
  band?: 'sd' | 'ci95' | 'minmax';
  /** Which runs to include: completed runs only (default) or all (e.g. to watch a sweep run). */
  include?: 'completed' | 'all';
  title?: string;
  width?: number;
  height?: number;
}

const BAND_TEXT = { sd: '±1 sd', ci95: '95% CI of the mean', minmax: 'min–max' } as const;

/**
 * Training curves: one line per optimizer (the mean across seeds at each epoch) with a band
 * across seeds, from the table of `loadRuns`. The subtitle states the band and the number of
 * seeds per curve.
 */
export function trainingCurvesSpec(table: unknown, options: TrainingCurvesOptions = {}): VlSpec {
  const where = 'trainingCurvesSpec';
  const metric = options.metric ?? 'testTop1';
  const by = typeof options.by === 'string' ? [options.by] : (options.by ?? ['optimizerLabel']);
  const band = options.band ?? 'sd';
  if (!(band in BAND_TEXT)) throw new Error(`${where}: band must be 'sd', 'ci95' or 'minmax', got ${JSON.stringify(band)}.`);
  const include = options.include ?? 'completed';
  const all = rowsOf(table, where);
  requireFields(all, ['runId', 'status', 'epoch', metric, ...by, ...(options.facet ? [options.facet] : [])], where);
  const rows = all.filter(
    (r) =>
      (include === 'all' || r.status === 'completed') &&
      typeof r.epoch === 'number' &&
      typeof r[metric] === 'number' &&
      Number.isFinite(r[metric]),
  );
  if (rows.length === 0) {
    throw new Error(
      `${where}: no ${include === 'all' ? '' : 'completed '}run has a finite ${metric}. ${include === 'all' ? '' : "Pass {include: 'all'} to plot runs still in progress."}`,
    );
  }

  const groups = new Map<string, { group: string; panel: string | null; epoch: number; values: number[]; runs: Set<unknown> }>();
  for (const r of rows) {
    const group = by.map((c) => String(r[c] ?? '–')).join(' / ');
    const panel = options.facet ? String(r[options.facet] ?? '–') : null;
    const k = JSON.stringify([group, panel, r.epoch]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { group, panel, epoch: r.epoch as number, values: [], runs: new Set() }));
    g.values.push(r[metric] as number);
    g.runs.add(r.runId);
  }
  const values = [...groups.values()].map((g) => {
    const s = meanCi(g.values);
    const [low, high] =
      band === 'minmax' ? [Math.min(...g.values), Math.max(...g.values)] : band === 'sd' ? [s.mean - s.sd, s.mean + s.sd] : [s.low, s.high];
    // With one seed there is no spread: the band collapses onto the line instead of vanishing.
    return {
      group: g.group,
      panel: g.panel,
      epoch: g.epoch,
      mean: s.mean,
      low: Number.isFinite(low) ? low : s.mean,
      high: Number.isFinite(high) ? high : s.mean,
      n: s.n,
    };
  });
  values.sort((a, b) => a.group.localeCompare(b.group) || String(a.panel).localeCompare(String(b.panel)) || a.epoch - b.epoch);
  const ns = values.map((v) => v.n);
  const nMin = Math.min(...ns);
  const nMax = Math.max(...ns);
  const nText = nMin === nMax ? `n = ${nMin}` : `n = ${nMin}–${nMax}`;
  const single = nMin < 2 ? '; n = 1 curves have no band and are not results' : '';
  const axis = metricAxis(metric);
  const maxEpoch = Math.max(...values.map((v) => v.epoch));
  const legendTitle = by.map(columnTitle).join(' / ');
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    scale: { domain: [1, maxEpoch], nice: false },
    axis: { tickMinStep: 1, format: 'd' },
  };
  const color = {
    field: 'group',
    type: 'nominal' as const,
    title: legendTitle,
    legend: {
      orient: 'bottom' as const,
      direction: 'vertical' as const,
      // The legend shows the line, not the faint band drawn with the same colour.
      symbolType: 'stroke',
      symbolStrokeWidth: 3,
      symbolOpacity: 1,
    },
  };
  const layer = [
    {
      mark: { type: 'area' as const, opacity: 0.18 },
      encoding: {
        x,
        y: {
          field: 'low',
          type: 'quantitative' as const,
          title: axis.title,
          axis: axis.format ? { format: axis.format } : {},
          scale: { zero: false },
        },
        y2: { field: 'high' },
        color,
      },
    },
    {
      mark: { type: 'line' as const, strokeWidth: 2, point: maxEpoch <= 30 },
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative' as const, title: axis.title },
        color,
        tooltip: [
          { field: 'group', title: legendTitle },
          { field: 'epoch' },
          { field: 'mean', format: axis.format ? '.2%' : '.4g' },
          { field: 'n', title: 'seeds' },
        ],
      },
    },
  ];
  const title = {
    text: options.title ?? capitalize(`${axis.title.replace(/ \(.*\)$/, '')} per epoch`),
    subtitle: `line: mean across seeds (${nText} per curve); band: ${BAND_TEXT[band]}${single}`,
  };
  const width = options.width ?? 420;
  const height = options.height ?? 280;
  if (options.facet) {
    return {
      $schema: VL_SCHEMA,
      title,
      config: FIGURE_CONFIG,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: columnTitle(options.facet) },
      columns: 3,
      spec: { width, height, layer },
    };
  }
  return { $schema: VL_SCHEMA, title, config: FIGURE_CONFIG, data: { values }, width, height, layer };
}
