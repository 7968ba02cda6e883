import { FIGURE_CONFIG, VL_SCHEMA, requireFields, rowsOf, type VlSpec } from './spec';

/** Options of {@link lineChartSpec}. */
export interface LineChartOptions {
  /** Field on the x axis (quantitative). */
  x: string;
  /** Field on the y axis (quantitative). */
  y: string;
  /** Field that splits the rows into lines, one colour each. */
  color?: string;
  /** Field that splits the chart into side-by-side panels. */
  column?: string;
  /** Order of the panels (default: first appearance in the rows). */
  columnOrder?: readonly string[];
  /** Logarithmic axes (rows with values <= 0 on a log axis are an error, not silently dropped). */
  logX?: boolean;
  logY?: boolean;
  /** Axis and legend titles (default: the field names). */
  xTitle?: string;
  yTitle?: string;
  colorTitle?: string;
  /** d3 format of the axis labels, e.g. `.0e` for 1e-6 rather than 0.000001 on a log axis (default: vega's). */
  xFormat?: string;
  yFormat?: string;
  title?: string;
  subtitle?: string | string[];
  /** Draw a point at every row as well (default: when there are at most 30 rows per line). */
  points?: boolean;
  /** A dashed horizontal reference line at this y (e.g. a tolerance), labelled at its right end. */
  rule?: { y: number; label?: string };
  width?: number;
  height?: number;
  /** Order of the colour legend (default: first appearance in the rows). */
  colorOrder?: readonly string[];
}

/**
 * A line chart of rows of plain records: one line per `color` value, optional panels per
 * `column`, optional log axes and a dashed reference level. The building block of the theory
 * notebooks' figures (iterations against condition number, loss gap against iteration, ...).
 */
export function lineChartSpec(input: unknown, o: LineChartOptions): VlSpec {
  const where = 'lineChartSpec';
  const rows = rowsOf(input, where);
  const fields = [o.x, o.y, ...(o.color ? [o.color] : []), ...(o.column ? [o.column] : [])];
  requireFields(rows, fields, where);
  for (const [axis, field, log] of [
    ['x', o.x, o.logX],
    ['y', o.y, o.logY],
  ] as const) {
    const bad = rows.find(
      (r) =>
        r[field] !== null && (typeof r[field] !== 'number' || !Number.isFinite(r[field] as number) || (log && (r[field] as number) <= 0)),
    );
    if (bad)
      throw new Error(
        `${where}: ${axis} field "${field}" must hold finite numbers${log ? ' > 0 (log axis)' : ''}; found ${JSON.stringify(bad[field])}. Filter such rows first or turn off log${axis.toUpperCase()}.`,
      );
  }
  const perLine = o.color ? rows.length / Math.max(1, new Set(rows.map((r) => r[o.color!])).size) : rows.length;
  const order = o.colorOrder ?? (o.color ? [...new Set(rows.map((r) => String(r[o.color!])))] : undefined);
  const encoding = {
    x: {
      field: o.x,
      type: 'quantitative' as const,
      title: o.xTitle ?? o.x,
      ...(o.logX ? { scale: { type: 'log' as const } } : {}),
      ...(o.xFormat ? { axis: { format: o.xFormat } } : {}),
    },
    y: {
      field: o.y,
      type: 'quantitative' as const,
      title: o.yTitle ?? o.y,
      ...(o.logY ? { scale: { type: 'log' as const } } : {}),
      ...(o.yFormat ? { axis: { format: o.yFormat } } : {}),
    },
    ...(o.color
      ? {
          color: {
            field: o.color,
            type: 'nominal' as const,
            title: o.colorTitle ?? o.color,
            sort: order,
            legend: { orient: 'bottom' as const, columns: 3 },
          },
        }
      : {}),
  };
  const lines = { mark: { type: 'line' as const, strokeWidth: 2, point: o.points ?? perLine <= 30 }, encoding };
  const layer: object[] = [lines];
  if (o.rule) {
    if (!Number.isFinite(o.rule.y) || (o.logY && o.rule.y <= 0)) {
      throw new Error(`${where}: rule.y must be a finite number${o.logY ? ' > 0 (log y axis)' : ''}; got ${String(o.rule.y)}.`);
    }
    layer.push({ mark: { type: 'rule', strokeDash: [5, 4], color: '#888' }, encoding: { y: { datum: o.rule.y } } });
    // The label sits just above the line at the right edge of the plot.
    if (o.rule.label) {
      layer.push({
        mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, color: '#555', fontSize: 12 },
        encoding: { x: { value: 'width' }, y: { datum: o.rule.y }, text: { value: o.rule.label } },
      });
    }
  }
  const panel = { width: o.width ?? 380, height: o.height ?? 260, layer };
  const title = { text: o.title ?? `${o.yTitle ?? o.y} against ${o.xTitle ?? o.x}`, ...(o.subtitle ? { subtitle: o.subtitle } : {}) };
  const base = { $schema: VL_SCHEMA, title, config: FIGURE_CONFIG, datasets: { rows }, data: { name: 'rows' } };
  if (!o.column) return { ...base, ...panel } as VlSpec;
  const panels = o.columnOrder ?? [...new Set(rows.map((r) => String(r[o.column!])))];
  return {
    ...base,
    facet: { column: { field: o.column, type: 'nominal', title: null, sort: panels } },
    spec: panel,
    resolve: { scale: { y: 'independent' } },
  } as unknown as VlSpec;
}
