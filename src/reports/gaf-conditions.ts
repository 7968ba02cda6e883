/**
 * Where in the (alpha, beta) plane a GAF meets the paper's four conditions, computed with
 * {@link checkConditions} at every grid point, and the figure that shows it.
 *
 * For g(x) = alpha * atan(beta * x) conditions 1, 2 and 4 hold for every alpha, beta > 0 (odd,
 * increasing, concave for x > 0, bounded by alpha*pi/2); condition 3 asks g'(0) = alpha*beta > 1.
 * The figure therefore shows the hyperbola alpha*beta = 1 as the boundary, and the grid's
 * verdicts come from the checker, not from that formula.
 * @module
 */
import { checkConditions } from '../gaf/conditions';
import { gafs } from '../gaf/gaf';
import { FIGURE_CONFIG, VL_SCHEMA, type VlSpec } from '../plots/spec';
import type { BuiltinGafKind } from '../gaf/gaf';
import type { ConditionCell } from '../theory/gaf-table';

/** Options of {@link conditionGrid}. */
export interface ConditionGridOptions {
  kind?: BuiltinGafKind;
  alphas: readonly number[];
  betas: readonly number[];
  /** Points per sign of the checker's scan (default 400: enough for these smooth functions). */
  points?: number;
}

/** Runs {@link checkConditions} at every (alpha, beta) of the grid. */
export function conditionGrid(o: ConditionGridOptions): ConditionCell[] {
  const kind = o.kind ?? 'atan';
  if (o.alphas.length === 0 || o.betas.length === 0) throw new Error('conditionGrid: give at least one alpha and one beta.');
  const out: ConditionCell[] = [];
  for (const alpha of o.alphas) {
    for (const beta of o.betas) {
      const r = checkConditions(gafs[kind]({ alpha, beta }), { points: o.points ?? 400 });
      const failed = r.conditions.map((c, i) => (c.holds ? 0 : i + 1)).filter((i) => i > 0);
      out.push({
        kind,
        alpha,
        beta,
        slopeAtZero: r.slopeAtZero,
        allHold: r.allHold,
        failed,
        failedIds: r.conditions.filter((c) => !c.holds).map((c) => c.id),
      });
    }
  }
  return out;
}

/** Geometric mid-points between sorted positive values, and one step beyond each end: the cell edges of a log axis. */
export function logCellEdges(values: readonly number[]): number[] {
  const v = [...new Set(values)].sort((a, b) => a - b);
  if (v.length === 1) return [v[0]! / 1.5, v[0]! * 1.5];
  const mids = v.slice(1).map((x, i) => Math.sqrt(x * v[i]!));
  return [v[0]! ** 2 / mids[0]!, ...mids, v[v.length - 1]! ** 2 / mids[mids.length - 1]!];
}

/** Options of {@link gafConditionsSpec}. */
export interface GafConditionsSpecOptions {
  /** Settings to mark (e.g. the paper's), with a label each. */
  highlight?: { alpha: number; beta: number; label: string }[];
  title?: string;
  width?: number;
  height?: number;
}

const fmt = (v: number): string => String(Number(v.toPrecision(3)));

/**
 * A heatmap over alpha x beta (log axes): each cell coloured by the checker's verdict (all four
 * conditions hold / which fail), labelled with g'(0); the curve alpha*beta = 1 (g'(0) = 1) drawn
 * dashed; highlighted settings marked with a ring and their label.
 */
export function gafConditionsSpec(cells: readonly ConditionCell[], options: GafConditionsSpecOptions = {}): VlSpec {
  if (cells.length === 0) throw new Error('gafConditionsSpec: no grid cells; build them with conditionGrid().');
  const kinds = [...new Set(cells.map((c) => c.kind))];
  if (kinds.length > 1) throw new Error(`gafConditionsSpec: one GAF kind per figure, got ${kinds.join(', ')}.`);
  const kind = kinds[0]!;
  const alphas = [...new Set(cells.map((c) => c.alpha))].sort((a, b) => a - b);
  const betas = [...new Set(cells.map((c) => c.beta))].sort((a, b) => a - b);
  const ae = logCellEdges(alphas);
  const be = logCellEdges(betas);
  const verdict = (c: ConditionCell): string =>
    c.allHold ? 'all four hold' : `condition${c.failed.length > 1 ? 's' : ''} ${c.failed.join(', ')} fail${c.failed.length > 1 ? '' : 's'}`;
  const verdicts = [...new Set(cells.map(verdict))].sort((a, b) =>
    a === 'all four hold' ? -1 : b === 'all four hold' ? 1 : a.localeCompare(b),
  );
  const values = cells.map((c) => {
    const i = alphas.indexOf(c.alpha);
    const j = betas.indexOf(c.beta);
    return {
      a0: ae[i]!,
      a1: ae[i + 1]!,
      b0: be[j]!,
      b1: be[j + 1]!,
      alpha: c.alpha,
      beta: c.beta,
      slope: c.slopeAtZero,
      label: fmt(c.slopeAtZero),
      verdict: verdict(c),
    };
  });
  const [aLo, aHi] = [ae[0]!, ae[ae.length - 1]!];
  const [bLo, bHi] = [be[0]!, be[be.length - 1]!];
  // alpha*beta = 1 inside the plotted box, sampled on a log grid.
  const boundary: { alpha: number; beta: number }[] = [];
  for (let k = 0; k <= 200; k++) {
    const alpha = aLo * (aHi / aLo) ** (k / 200);
    const beta = 1 / alpha;
    if (beta >= bLo && beta <= bHi) boundary.push({ alpha, beta });
  }
  const x = {
    field: 'a0',
    type: 'quantitative' as const,
    title: 'α (output scale of g)',
    scale: { type: 'log' as const, domain: [aLo, aHi], nice: false },
    axis: { values: alphas, format: '~g', grid: false },
  };
  const y = {
    field: 'b0',
    type: 'quantitative' as const,
    title: 'β (input scale of g)',
    scale: { type: 'log' as const, domain: [bLo, bHi], nice: false },
    axis: { values: betas, format: '~g', grid: false },
  };
  const palette = ['#4c9a5b', '#d9863d', '#c44e52', '#8172b2', '#937860'];
  const layer: unknown[] = [
    {
      data: { values },
      mark: { type: 'rect', stroke: 'white', strokeWidth: 1.5 },
      encoding: {
        x,
        x2: { field: 'a1' },
        y,
        y2: { field: 'b1' },
        color: {
          field: 'verdict',
          type: 'nominal',
          title: "paper's conditions (checkConditions)",
          sort: verdicts,
          scale: { domain: verdicts, range: palette.slice(0, verdicts.length) },
          legend: { orient: 'bottom', direction: 'vertical' },
        },
        opacity: { value: 0.8 },
        tooltip: [{ field: 'alpha', title: 'α' }, { field: 'beta', title: 'β' }, { field: 'slope', title: "g'(0)" }, { field: 'verdict' }],
      },
    },
    // The boundary goes under the numbers, so the cells on it stay readable.
    {
      data: { values: boundary },
      mark: { type: 'line', color: 'black', strokeDash: [6, 4], strokeWidth: 2, clip: true },
      encoding: {
        x: { field: 'alpha', type: 'quantitative', scale: x.scale },
        y: { field: 'beta', type: 'quantitative', scale: y.scale },
        order: { field: 'alpha' },
      },
    },
    {
      data: { values },
      // At the grid value itself (where the axis tick and a ring are), not the cell's middle.
      mark: { type: 'text', fontSize: 11, color: '#111', baseline: 'middle' },
      encoding: {
        x: { field: 'alpha', type: 'quantitative', scale: x.scale },
        y: { field: 'beta', type: 'quantitative', scale: y.scale },
        text: { field: 'label' },
      },
    },
  ];
  const hl = options.highlight ?? [];
  if (hl.length) {
    layer.push(
      {
        data: { values: hl },
        mark: { type: 'point', shape: 'circle', size: 450, strokeWidth: 2.5, color: 'black', filled: false },
        encoding: {
          x: { field: 'alpha', type: 'quantitative', scale: x.scale },
          y: { field: 'beta', type: 'quantitative', scale: y.scale },
        },
      },
      {
        data: { values: hl },
        // Under its ring, inside the cell: neighbouring settings' labels cannot collide.
        mark: { type: 'text', align: 'center', baseline: 'top', dy: 13, fontSize: 11, fontWeight: 'bold', color: 'black' },
        encoding: {
          x: { field: 'alpha', type: 'quantitative', scale: x.scale },
          y: { field: 'beta', type: 'quantitative', scale: y.scale },
          text: { field: 'label' },
        },
      },
    );
  }
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? `Which (α, β) make g(x) = α·${kind}(βx) a GAF`,
      subtitle: [
        `cell: verdict of checkConditions on the paper's 4 conditions; number: g′(0) = αβ`,
        `dashed: αβ = 1 (condition 3 needs g′(0) > 1)`,
        ...(hl.length ? [`rings: ${hl.map((h) => `${h.label} (${h.alpha}, ${h.beta})`).join(', ')}`] : []),
      ],
    },
    config: FIGURE_CONFIG,
    width: options.width ?? 540,
    height: options.height ?? 470,
    layer,
  } as VlSpec;
}
