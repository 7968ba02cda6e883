import { FIGURE_CONFIG, VL_SCHEMA, rowsOf, requireFields, type VlSpec } from './spec';

/** Options of {@link gradNormSpec}. */
export interface GradNormOptions {
  /** Which statistic: L2 norm (default), largest |component|, or fraction of tiny components. */
  stat?: 'L2' | 'MaxAbs' | 'TinyFraction';
  /** Time axis: `epoch` (default) or `step`. */
  x?: 'epoch' | 'step';
  /** Variables (layers) to show, in this order; default all, in order of first appearance. */
  variables?: string[];
  /** At most this many panels when `variables` is not given (the first ones); default 12. */
  maxVariables?: number;
  /** Panels per row; default 3. */
  columns?: number;
  /** Column telling apart runs to plot separately (e.g. `optimizerLabel`); default: pooled. */
  by?: string;
  title?: string;
  width?: number;
  height?: number;
}

/** Linear-interpolation quantile (the usual "type 7") of sorted values. */
function quantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i]! + (h - i) * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}

const STAT_AXIS = {
  L2: { title: 'gradient L2 norm (log scale)', log: true, format: '.1e' },
  MaxAbs: { title: 'largest |gradient component| (log scale)', log: true, format: '.1e' },
  TinyFraction: { title: 'tiny gradient components (% of layer)', log: false, format: '.0%' },
} as const;

/**
 * Gradient statistics per layer over training, raw vs activated (after the GAF): per panel one
 * layer, per time bin the median across the observed steps (and seeds) as a line and the
 * 10–90% range as a band. Input: the rows of `loadGradStats(dir)` (or any records with
 * `variable`, `epoch`, `step`, `rawL2`, `actL2`, ...).
 */
export function gradNormSpec(rows: unknown, options: GradNormOptions = {}): VlSpec {
  const where = 'gradNormSpec';
  const stat = options.stat ?? 'L2';
  if (!(stat in STAT_AXIS)) throw new Error(`${where}: stat must be 'L2', 'MaxAbs' or 'TinyFraction', got ${JSON.stringify(stat)}.`);
  const xCol = options.x ?? 'epoch';
  const all = rowsOf(rows, where);
  requireFields(all, ['variable', xCol, `raw${stat}`, ...(options.by ? [options.by] : [])], where);
  const order = options.variables ?? [...new Set(all.map((r) => String(r.variable)))].slice(0, options.maxVariables ?? 12);
  const unknown = order.filter((v) => !all.some((r) => r.variable === v));
  if (unknown.length) throw new Error(`${where}: no statistics for variable(s) ${unknown.join(', ')}. Variables seen: ${[...new Set(all.map((r) => String(r.variable)))].join(', ')}.`);
  const axis = STAT_AXIS[stat];
  const usable = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && (!axis.log || v > 0);

  const bins = new Map<string, { variable: string; x: number; series: string; values: number[] }>();
  const add = (variable: string, x: number, series: string, v: unknown): void => {
    if (!usable(v)) return;
    const k = JSON.stringify([variable, x, series]);
    let b = bins.get(k);
    if (!b) bins.set(k, (b = { variable, x, series, values: [] }));
    b.values.push(v);
  };
  const wanted = new Set(order);
  for (const r of all) {
    const variable = String(r.variable);
    if (!wanted.has(variable) || typeof r[xCol] !== 'number') continue;
    const prefix = options.by ? `${String(r[options.by])}: ` : '';
    add(variable, r[xCol] as number, `${prefix}raw gradient`, r[`raw${stat}`]);
    add(variable, r[xCol] as number, `${prefix}activated g(gradient)`, r[`act${stat}`]);
  }
  if (bins.size === 0) throw new Error(`${where}: no finite${axis.log ? ', positive' : ''} raw${stat}/act${stat} values to plot.`);
  const values = [...bins.values()].map((b) => {
    const s = b.values.sort((p, q) => p - q);
    return { variable: b.variable, x: b.x, series: b.series, median: quantile(s, 0.5), q10: quantile(s, 0.1), q90: quantile(s, 0.9), count: s.length };
  });
  const series = [...new Set(values.map((v) => v.series))].sort();
  const xEnc = { field: 'x', type: 'quantitative' as const, title: xCol === 'epoch' ? 'epoch' : 'training step', axis: { tickMinStep: 1, format: 'd' } };
  const yScale = axis.log ? { type: 'log' as const } : { zero: true };
  const color = { field: 'series', type: 'nominal' as const, title: 'gradient', sort: series, legend: { orient: 'bottom' as const, direction: 'vertical' as const } };
  const layer = [
    {
      mark: { type: 'area' as const, opacity: 0.2 },
      encoding: { x: xEnc, y: { field: 'q10', type: 'quantitative' as const, scale: yScale, title: axis.title, axis: { format: axis.format } }, y2: { field: 'q90' }, color },
    },
    {
      mark: { type: 'line' as const, strokeWidth: 2, point: true },
      encoding: {
        x: xEnc,
        y: { field: 'median', type: 'quantitative' as const, title: axis.title },
        color,
        tooltip: [{ field: 'variable' }, { field: 'series' }, { field: 'x', title: xCol }, { field: 'median', format: '.3e' }, { field: 'count', title: 'observations' }],
      },
    },
  ];
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? `Per-layer gradient ${stat === 'L2' ? 'L2 norm' : stat === 'MaxAbs' ? 'max |component|' : 'tiny fraction'}: raw vs activated`,
      subtitle: `line: median over the observed steps${options.by ? '' : ' and runs'} per ${xCol}; band: 10–90% quantiles`,
    },
    config: FIGURE_CONFIG,
    data: { values },
    facet: { field: 'variable', type: 'nominal', title: 'layer variable', sort: order, header: { labelLimit: 0 } },
    columns: options.columns ?? 3,
    resolve: { scale: { y: 'independent' } },
    spec: { width: options.width ?? 220, height: options.height ?? 150, layer },
  };
}
