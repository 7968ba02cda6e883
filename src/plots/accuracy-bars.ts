import { FIGURE_CONFIG, VL_SCHEMA, columnTitle, metricAxis, requireFields, rowsOf, type VlSpec } from './spec';

/** Options of {@link accuracyBarsSpec}. */
export interface AccuracyBarsOptions {
  /** Column on the x axis, one group of bars each; default `model.name`. */
  x?: string;
  /** Column whose values are the bars within a group (baseline vs GAF); default `optimizerLabel`. */
  color?: string;
  /** Final (default) or best accuracy of each run. */
  measure?: 'final' | 'best';
  /**
   * Bars from zero (default), or points with their interval on a zoomed axis (`'points'`),
   * which shows differences of a fraction of a percent that bars from zero hide.
   */
  style?: 'bars' | 'points';
  /** Draw groups with a single seed (faded, labelled n=1) instead of refusing; default false. */
  allowSingleSeed?: boolean;
  title?: string;
  width?: number;
  height?: number;
}

/**
 * Accuracy per model, baseline vs GAF: grouped bars of the mean across seeds with the
 * confidence interval as error bars, from a `summarizeRuns` summary grouped by model and
 * optimizer. A group with a single seed is refused unless `allowSingleSeed` is set, and is
 * then drawn faded with an "n=1" label: one seed is not a result.
 */
export function accuracyBarsSpec(summary: unknown, options: AccuracyBarsOptions = {}): VlSpec {
  const where = 'accuracyBarsSpec';
  const xCol = options.x ?? 'model.name';
  const colorCol = options.color ?? 'optimizerLabel';
  const m = options.measure ?? 'final';
  const style = options.style ?? 'bars';
  const rows = rowsOf(summary, where);
  requireFields(rows, [xCol, colorCol, 'n', `${m}Mean`, `${m}CiLow`, `${m}CiHigh`], where);
  const single = rows.filter((r) => !((r.n as number) >= 2));
  if (single.length > 0 && !options.allowSingleSeed) {
    const list = single.map((r) => `${String(r[xCol])} / ${String(r[colorCol])} (n=${String(r.n)})`).join('; ');
    throw new Error(
      `${where}: ${single.length} group(s) have fewer than 2 seeds: ${list}. A single seed is not a result: run more seeds, or pass {allowSingleSeed: true} to draw them marked n=1.`,
    );
  }
  const values = rows.map((r) => {
    const ok = (r.n as number) >= 2;
    return {
      x: String(r[xCol] ?? '–'),
      group: String(r[colorCol] ?? '–'),
      mean: r[`${m}Mean`] as number,
      low: ok ? (r[`${m}CiLow`] as number) : null,
      high: ok ? (r[`${m}CiHigh`] as number) : null,
      n: r.n as number,
      label: ok ? `n=${String(r.n)}` : `n=${String(r.n)}, no CI`,
      single: !ok,
    };
  });
  const metric = typeof rows[0]!.metric === 'string' ? (rows[0]!.metric as string) : 'testTop1';
  const axis = metricAxis(metric);
  const yTitle = `${m} ${axis.title}`;
  const level = typeof rows[0]!.level === 'number' ? Math.round((rows[0]!.level as number) * 100) : 95;
  const legendTitle = columnTitle(colorCol);
  const groups = [...new Set(values.map((v) => v.group))];
  const x = { field: 'x', type: 'nominal' as const, title: columnTitle(xCol), axis: { labelAngle: 0 } };
  const xOffset = { field: 'group', type: 'nominal' as const, sort: groups };
  const color = {
    field: 'group',
    type: 'nominal' as const,
    title: legendTitle,
    sort: groups,
    legend: { orient: 'bottom' as const, direction: 'vertical' as const },
  };
  const yFormat = axis.format ? { format: axis.format } : {};
  const tooltip = [
    { field: 'x', title: x.title },
    { field: 'group', title: legendTitle },
    { field: 'mean', format: axis.percent ? '.2%' : '.4g' },
    { field: 'low', title: `CI low`, format: axis.percent ? '.2%' : '.4g' },
    { field: 'high', title: `CI high`, format: axis.percent ? '.2%' : '.4g' },
    { field: 'n', title: 'seeds' },
  ];
  const main =
    style === 'bars'
      ? {
          mark: { type: 'bar' as const },
          encoding: {
            x,
            xOffset,
            y: { field: 'mean', type: 'quantitative' as const, title: yTitle, axis: yFormat, scale: { zero: true } },
            color,
            opacity: { condition: { test: 'datum.single', value: 0.35 }, value: 1 },
            tooltip,
          },
        }
      : {
          mark: { type: 'point' as const, filled: true, size: 80 },
          encoding: {
            x,
            xOffset,
            // A zoomed axis spans a few points: whole-percent labels would repeat (85%, 85%, 86%).
            y: {
              field: 'mean',
              type: 'quantitative' as const,
              title: yTitle,
              axis: axis.percent ? { format: '.1%' } : yFormat,
              scale: { zero: false },
            },
            color,
            opacity: { condition: { test: 'datum.single', value: 0.35 }, value: 1 },
            tooltip,
          },
        };
  // Layers without data would draw nothing and make vega warn about an empty extent.
  const layer = [
    main,
    ...(values.some((v) => v.low !== null)
      ? [
          {
            transform: [{ filter: 'datum.low != null' }],
            mark: { type: 'rule' as const, color: '#222', strokeWidth: 1.5 },
            encoding: { x, xOffset, y: { field: 'low', type: 'quantitative' as const }, y2: { field: 'high' } },
          },
        ]
      : []),
    ...(values.some((v) => v.single)
      ? [
          {
            transform: [{ filter: 'datum.single' }],
            mark: { type: 'text' as const, dy: -8, fontSize: 11, color: '#b00' },
            encoding: { x, xOffset, y: { field: 'mean', type: 'quantitative' as const }, text: { field: 'label' } },
          },
        ]
      : []),
  ];
  const nAll = [...new Set(values.map((v) => v.n))].sort((a, b) => a - b);
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? `${m === 'final' ? 'Final' : 'Best'} ${axis.title.replace(/ \(.*\)$/, '')} per model`,
      subtitle: `${style === 'bars' ? 'bar' : 'point'}: mean across seeds (n = ${nAll.join(', ')}); black line: ${level}% t-interval of the mean`,
    },
    config: FIGURE_CONFIG,
    data: { values },
    // With xOffset the step is the width of one bar.
    width: options.width ?? { step: 36 },
    height: options.height ?? 300,
    layer,
  };
}
