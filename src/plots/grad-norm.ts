import { FIGURE_CONFIG, VL_SCHEMA, columnTitle, rowsOf, requireFields, type VlSpec } from './spec';

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
  /**
   * Column telling apart runs to compare (e.g. `optimizerLabel`): one colour each, raw dashed
   * and activated solid. Default: runs pooled, colour = raw vs activated.
   */
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
  L2: { title: 'gradient L2 norm (log scale)', name: 'L2 norm', log: true, format: '~g' },
  MaxAbs: { title: 'largest |gradient component| (log scale)', name: 'max |component|', log: true, format: '~g' },
  TinyFraction: { title: 'tiny gradient components (% of layer)', name: 'tiny fraction', log: false, format: '.0%' },
} as const;

const RAW = 'raw gradient';
const ACT = 'activated g(gradient)';

/**
 * Gradient statistics per layer over training, raw vs activated (after the GAF): one panel per
 * layer; per time bin the median across the observed steps (and runs) as a line and the
 * 10–90% range as a band. Input: the rows of `loadGradStats(dir)` (or records with `variable`,
 * `epoch`, `step`, `rawL2`, `actL2`, ...). Runs without a GAF (`hasGaf: false`) show only their
 * raw gradient, since their "activated" values merely repeat it.
 */
export function gradNormSpec(rows: unknown, options: GradNormOptions = {}): VlSpec {
  const where = 'gradNormSpec';
  const stat = options.stat ?? 'L2';
  if (!(stat in STAT_AXIS)) throw new Error(`${where}: stat must be 'L2', 'MaxAbs' or 'TinyFraction', got ${JSON.stringify(stat)}.`);
  const xCol = options.x ?? 'epoch';
  const all = rowsOf(rows, where);
  requireFields(all, ['variable', xCol, `raw${stat}`, ...(options.by ? [options.by] : [])], where);
  const seen = [...new Set(all.map((r) => String(r.variable)))];
  const order = options.variables ?? seen.slice(0, options.maxVariables ?? 12);
  const unknown = order.filter((v) => !seen.includes(v));
  if (unknown.length) throw new Error(`${where}: no statistics for variable(s) ${unknown.join(', ')}. Variables seen: ${seen.join(', ')}.`);
  const axis = STAT_AXIS[stat];
  const usable = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && (!axis.log || v > 0);

  const bins = new Map<string, { variable: string; x: number; group: string; kind: string; values: number[] }>();
  const add = (variable: string, x: number, group: string, kind: string, v: unknown): void => {
    if (!usable(v)) return;
    const k = JSON.stringify([variable, x, group, kind]);
    let b = bins.get(k);
    if (!b) bins.set(k, (b = { variable, x, group, kind, values: [] }));
    b.values.push(v);
  };
  const wanted = new Set(order);
  for (const r of all) {
    const variable = String(r.variable);
    if (!wanted.has(variable) || typeof r[xCol] !== 'number') continue;
    const group = options.by ? String(r[options.by] ?? '–') : '';
    add(variable, r[xCol] as number, group, RAW, r[`raw${stat}`]);
    if (r.hasGaf !== false) add(variable, r[xCol] as number, group, ACT, r[`act${stat}`]);
  }
  if (bins.size === 0) throw new Error(`${where}: no finite${axis.log ? ', positive' : ''} raw${stat}/act${stat} values to plot.`);
  const values = [...bins.values()].map((b) => {
    const s = b.values.sort((p, q) => p - q);
    return {
      variable: b.variable,
      x: b.x,
      group: b.group,
      kind: b.kind,
      median: quantile(s, 0.5),
      q10: quantile(s, 0.1),
      q90: quantile(s, 0.9),
      count: s.length,
    };
  });
  const groups = [...new Set(values.map((v) => v.group))].sort();
  const kinds = [RAW, ACT].filter((k) => values.some((v) => v.kind === k));
  const xEnc = {
    field: 'x',
    type: 'quantitative' as const,
    title: xCol === 'epoch' ? 'epoch' : 'training step',
    axis: { tickMinStep: 1, format: 'd' },
  };
  const yScale = axis.log ? { type: 'log' as const } : { zero: true };
  const lineLegend = {
    orient: 'bottom' as const,
    direction: 'vertical' as const,
    symbolType: 'stroke',
    symbolStrokeWidth: 3,
    symbolOpacity: 1,
  };
  // Pooled: colour tells raw from activated. By run group: colour is the group, dash the kind.
  const color = options.by
    ? { field: 'group', type: 'nominal' as const, title: columnTitle(options.by), sort: groups, legend: lineLegend }
    : { field: 'kind', type: 'nominal' as const, title: 'gradient', sort: kinds, legend: lineLegend };
  const dash = options.by
    ? {
        strokeDash: {
          field: 'kind',
          type: 'nominal' as const,
          title: 'gradient',
          sort: kinds,
          scale: {
            domain: [RAW, ACT],
            range: [
              [5, 3],
              [1, 0],
            ],
          },
          legend: { ...lineLegend, encode: { symbols: { update: { stroke: { value: '#444' } } } } },
        },
      }
    : {};
  const layer = [
    {
      mark: { type: 'area' as const, opacity: 0.18 },
      encoding: {
        x: xEnc,
        y: { field: 'q10', type: 'quantitative' as const, scale: yScale, title: axis.title, axis: { format: axis.format, tickCount: 5 } },
        y2: { field: 'q90' },
        color,
        detail: { field: 'kind', type: 'nominal' as const },
      },
    },
    {
      mark: { type: 'line' as const, strokeWidth: 2, point: true },
      encoding: {
        x: xEnc,
        y: { field: 'median', type: 'quantitative' as const, title: axis.title },
        color,
        ...dash,
        tooltip: [
          { field: 'variable' },
          ...(options.by ? [{ field: 'group', title: columnTitle(options.by) }] : []),
          { field: 'kind', title: 'gradient' },
          { field: 'x', title: xCol },
          { field: 'median', format: '.3e' },
          { field: 'count', title: 'observations' },
        ],
      },
    },
  ];
  const pooled = options.by ? 'seeds' : 'runs';
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? `Per-layer gradient ${axis.name}: raw vs activated`,
      subtitle:
        xCol === 'step'
          ? `line: median across ${pooled} at each observed step; band: 10–90% quantiles`
          : `line: median over the observed steps and ${pooled} of each epoch; band: 10–90% quantiles`,
    },
    config: FIGURE_CONFIG,
    data: { values },
    facet: { field: 'variable', type: 'nominal', title: 'layer variable', sort: order, header: { labelLimit: 0 } },
    columns: options.columns ?? 3,
    // Each layer has its own range of norms; every panel keeps its own time axis.
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
    spec: { width: options.width ?? 220, height: options.height ?? 150, layer },
  };
}
