import { FIGURE_CONFIG, VL_SCHEMA, type VlSpec } from './spec';

/** What the GAF-curve figure needs of a GAF: its name, g(x) and g'(x). Every {@link Gaf} qualifies. */
export interface CurveFunction {
  readonly name: string;
  value(x: number): number;
  derivative(x: number): number;
}

/** Options of {@link gafCurvesSpec}. */
export interface GafCurvesOptions {
  /** x range plotted, default [-1, 1]. */
  range?: [number, number];
  /** Points per curve, default 401 (odd, so x = 0 is sampled on a symmetric range). */
  samples?: number;
  /** Figure title. */
  title?: string;
  /** Width and height of each panel in pixels; default 320 x 260. */
  width?: number;
  height?: number;
}

/**
 * GAF curves: g(x) (left) and its derivative g'(x) (right) for several GAFs, one colour each,
 * with the identity y = x and the gain 1 as dashed references: g enlarges small gradients where
 * it rises above the identity (g'(0) > 1) and restricts large ones where it flattens.
 */
export function gafCurvesSpec(gafs: readonly CurveFunction[], options: GafCurvesOptions = {}): VlSpec {
  if (!Array.isArray(gafs) || gafs.length === 0)
    throw new Error('gafCurvesSpec: pass at least one GAF, e.g. [gafs.atan({alpha: 0.1, beta: 20})].');
  const [lo, hi] = options.range ?? [-1, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
    throw new Error(`gafCurvesSpec: range must be [lo, hi] with lo < hi, got ${JSON.stringify(options.range)}.`);
  const samples = options.samples ?? 401;
  if (!(Number.isInteger(samples) && samples >= 2)) throw new Error(`gafCurvesSpec: samples must be an integer >= 2, got ${samples}.`);
  const names = gafs.map((g) => g.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`gafCurvesSpec: two GAFs are named "${dup}"; the legend needs distinct names.`);

  const values: { gaf: string; x: number; g: number; dg: number }[] = [];
  for (const f of gafs) {
    for (let i = 0; i < samples; i++) {
      const x = lo + ((hi - lo) * i) / (samples - 1);
      const g = f.value(x);
      const dg = f.derivative(x);
      if (!Number.isFinite(g) || !Number.isFinite(dg))
        throw new Error(`gafCurvesSpec: ${f.name} is not finite at x = ${x} (g = ${g}, g' = ${dg}).`);
      values.push({ gaf: f.name, x, g, dg });
    }
  }
  // The identity is drawn only over the range g reaches, so it does not squash the curves.
  const reach = Math.min(Math.max(Math.abs(lo), Math.abs(hi)), 1.15 * Math.max(...values.map((v) => Math.abs(v.g))));
  const idLo = Math.max(lo, -reach);
  const idHi = Math.min(hi, reach);
  const width = options.width ?? 320;
  const height = options.height ?? 260;
  const color = {
    field: 'gaf',
    type: 'nominal' as const,
    title: 'GAF g(x)',
    sort: names,
    legend: { orient: 'bottom' as const, columns: 2 },
  };
  const xAxis = {
    field: 'x',
    type: 'quantitative' as const,
    title: 'raw gradient component x',
    scale: { domain: [lo, hi], nice: false },
    axis: { tickCount: 6 },
  };
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? 'Gradient activation functions',
      subtitle: 'dashed: identity y = x (left) and gain 1 (right); g enlarges tiny gradients where g′(x) > 1',
    },
    config: FIGURE_CONFIG,
    datasets: {
      curves: values,
      identity: [
        { x: idLo, y: idLo },
        { x: idHi, y: idHi },
      ],
      unitGain: [{ y: 1 }],
    },
    hconcat: [
      {
        width,
        height,
        title: 'g(x)',
        layer: [
          {
            data: { name: 'identity' },
            mark: { type: 'line', strokeDash: [5, 4], color: '#888' },
            encoding: { x: { ...xAxis }, y: { field: 'y', type: 'quantitative' } },
          },
          {
            data: { name: 'curves' },
            mark: { type: 'line', strokeWidth: 2 },
            encoding: { x: xAxis, y: { field: 'g', type: 'quantitative', title: 'activated gradient g(x)' }, color },
          },
        ],
        resolve: { scale: { y: 'shared' } },
      },
      {
        width,
        height,
        title: 'g′(x)',
        layer: [
          {
            data: { name: 'unitGain' },
            mark: { type: 'rule', strokeDash: [5, 4], color: '#888' },
            encoding: { y: { field: 'y', type: 'quantitative' } },
          },
          {
            data: { name: 'curves' },
            mark: { type: 'line', strokeWidth: 2 },
            encoding: { x: xAxis, y: { field: 'dg', type: 'quantitative', title: 'gain g′(x) = dg/dx' }, color },
          },
        ],
      },
    ],
  };
}
