/**
 * GAF curves and the condition report as plain rows, for the plotting layer and HTML tables
 * (notebook 1: what alpha*beta > 1 means, which conditions a GAF meets).
 */
import { checkConditions, type CheckOptions, type ConditionId } from '../gaf/conditions';
import type { Gaf } from '../gaf/gaf';
import { checkNum, fail } from './validate';

/** What a curve needs of a GAF: its name, g(x) and g'(x). Every {@link Gaf} qualifies. */
export interface CurveGaf {
  readonly name: string;
  value(x: number): number;
  derivative(x: number): number;
}

/** One sample of one GAF curve. */
export interface GafCurveRow {
  /** The GAF's name, e.g. `0.1*atan(20x)`. */
  gaf: string;
  x: number;
  /** g(x). */
  g: number;
  /** g'(x). */
  dg: number;
}

/** Options of {@link gafCurveRows}. */
export interface GafCurveOptions {
  /** Smallest x (default -1). */
  min?: number;
  /** Largest x (default 1). */
  max?: number;
  /** Evenly spaced samples per GAF, ends included (default 401: odd, so x = 0 is sampled on a symmetric range). */
  points?: number;
}

function checkGafList(where: string, gafs: readonly CurveGaf[]): void {
  if (!Array.isArray(gafs) || gafs.length === 0) fail(where, 'gafs', gafs, 'a non-empty array of GAFs', 'e.g. [gafs.atan({alpha: 0.1, beta: 20})].');
  gafs.forEach((g, i) => {
    if (!g || typeof g.value !== 'function' || typeof g.derivative !== 'function') fail(where, `gafs[${i}]`, typeof g, 'a GAF (from gafs.atan, gafs.tanh, gafs.log, gafs.custom)');
  });
}

/**
 * g(x) and g'(x) of each GAF on an evenly spaced grid: rows {gaf, x, g, dg}, one per GAF and x.
 *
 * @example gafCurveRows([gafs.atan({alpha: 0.1, beta: 20}), gafs.tanh({alpha: 0.2, beta: 10})], {min: -0.5, max: 0.5})
 */
export function gafCurveRows(gafs: readonly CurveGaf[], options: GafCurveOptions = {}): GafCurveRow[] {
  const where = 'gafCurveRows';
  checkGafList(where, gafs);
  const min = checkNum(where, 'min', options.min ?? -1);
  const max = checkNum(where, 'max', options.max ?? 1);
  if (!(max > min)) fail(where, 'max', max, `> min (${min})`);
  const n = checkNum(where, 'points', options.points ?? 401, { min: 2, integer: true });
  const rows: GafCurveRow[] = [];
  for (const f of gafs) {
    for (let i = 0; i < n; i++) {
      const x = min + ((max - min) * i) / (n - 1);
      rows.push({ gaf: f.name, x, g: f.value(x), dg: f.derivative(x) });
    }
  }
  return rows;
}

/** One (GAF, condition) cell of the condition table. */
export interface ConditionRow {
  gaf: string;
  /** 1..4, the paper's order. */
  number: number;
  condition: ConditionId;
  /** The condition in words. */
  statement: string;
  /** `holds` or `fails`. */
  verdict: 'holds' | 'fails';
  /** The evidence that decided the verdict, in one sentence. */
  detail: string;
  /** g'(0) (the factor by which tiny gradients are enlarged; alpha*beta for the built-in kinds). */
  slopeAtZero: number;
  /** sup |g|: the declared bound or the largest |g| seen; null when g is unbounded. */
  bound: number | null;
  /** Smallest |x| where the condition fails, or null. */
  firstFailureAt: number | null;
}

/**
 * The four conditions of the paper checked for each GAF ({@link checkConditions}): one row
 * per GAF and condition, ready for an HTML table (arquero `from(rows)`, danfo DataFrame).
 */
export function conditionTable(gafs: readonly Gaf[], options: CheckOptions = {}): ConditionRow[] {
  checkGafList('conditionTable', gafs);
  return gafs.flatMap((g) => {
    const r = checkConditions(g, options);
    return r.conditions.map((c, i) => ({
      gaf: r.gaf,
      number: i + 1,
      condition: c.id,
      statement: c.statement,
      verdict: c.holds ? ('holds' as const) : ('fails' as const),
      detail: c.detail,
      slopeAtZero: r.slopeAtZero,
      bound: r.bounded ? r.bound : null,
      firstFailureAt: c.firstFailureAt ?? null,
    }));
  });
}
