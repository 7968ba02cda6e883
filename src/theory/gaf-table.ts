/**
 * GAF curves and the condition report as plain rows, for the plotting layer and HTML tables
 * (notebook 1: what alpha*beta > 1 means, which conditions a GAF meets).
 */
import { checkConditions, type CheckOptions, type ConditionId } from '../gaf/conditions';
import type { BuiltinGafKind, Gaf } from '../gaf/gaf';
import { checkNum, fail } from './validate';

/** What a curve needs of a GAF: its name, g(x) and g'(x). Every {@link Gaf} qualifies. */
export interface CurveGaf {
  readonly name: string;
  value(x: number): number;
  derivative(x: number): number;
}

/** The verdict of the four conditions on one GAF of a grid over (alpha, beta). */
export interface ConditionCell {
  kind: BuiltinGafKind;
  alpha: number;
  beta: number;
  /** g'(0) as the GAF reports it. */
  slopeAtZero: number;
  allHold: boolean;
  /** The numbers (1-4, the paper's order) of the conditions that fail. */
  failed: number[];
  /** The failing conditions' ids. */
  failedIds: ConditionId[];
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
  if (!Array.isArray(gafs) || gafs.length === 0)
    fail(where, 'gafs', gafs, 'a non-empty array of GAFs', 'e.g. [gafs.atan({alpha: 0.1, beta: 20})].');
  gafs.forEach((g, i) => {
    if (!g || typeof g.value !== 'function' || typeof g.derivative !== 'function')
      fail(where, `gafs[${i}]`, typeof g, 'a GAF (from gafs.atan, gafs.tanh, gafs.log, gafs.custom)');
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

/** Options of {@link enlargementLimit}. */
export interface EnlargementOptions {
  /** Smallest |x| scanned (default 1e-8). */
  min?: number;
  /** Largest |x| scanned (default 1e4). */
  max?: number;
  /** Log-spaced scan points per sign before the bisection (default 400). */
  points?: number;
}

/**
 * The gradient size below which g enlarges: the r > 0 where |g(x)| first stops exceeding |x|,
 * scanning outward from `min` on both signs and refining the crossing by bisection (the
 * smaller of the two signs' crossings). 0 when |g(x)| <= |x| already at `min` (g'(0) <= 1);
 * Infinity when |g(x)| > |x| over the whole scan (e.g. g(x) = 2x). For alpha*atan(beta x) it is
 * u/beta where u > 0 solves atan(u) = u/(alpha*beta), so it shrinks as beta grows.
 */
export function enlargementLimit(gaf: CurveGaf, options: EnlargementOptions = {}): number {
  const where = 'enlargementLimit';
  checkGafList(where, [gaf]);
  const min = checkNum(where, 'min', options.min ?? 1e-8, { min: 0, minOpen: true });
  const max = checkNum(where, 'max', options.max ?? 1e4, { min, minOpen: true });
  const n = checkNum(where, 'points', options.points ?? 400, { min: 2, integer: true });
  const crossing = (sign: number): number => {
    const enlarges = (m: number): boolean => sign * gaf.value(sign * m) > m;
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const m = min * Math.pow(max / min, i / (n - 1));
      if (!enlarges(m)) {
        if (prev === 0) return 0;
        let lo = prev;
        let hi = m;
        // 200 halvings take any float64 interval in this range down to adjacent doubles.
        for (let k = 0; k < 200 && hi - lo > 0; k++) {
          const mid = (lo + hi) / 2;
          if (mid === lo || mid === hi) break;
          if (enlarges(mid)) lo = mid;
          else hi = mid;
        }
        return lo;
      }
      prev = m;
    }
    return Infinity;
  };
  return Math.min(crossing(1), crossing(-1));
}

/** One GAF's key numbers, for a one-row-per-GAF table. */
export interface GafProfileRow {
  gaf: string;
  /** g'(0): the factor by which tiny gradients are multiplied (alpha*beta for the built-in kinds). */
  slopeAtZero: number;
  /** sup |g| (alpha*pi/2 for atan, alpha for tanh), or null when g is unbounded (log). */
  bound: number | null;
  /** |g(x)| > |x| for 0 < |x| < this ({@link enlargementLimit}). */
  enlargesBelow: number;
  /** All four conditions of the paper hold ({@link checkConditions}). */
  allHold: boolean;
  /** The numbers of the conditions that fail, e.g. `3`, or `none`. */
  failed: string;
}

/**
 * One row per GAF: g'(0), the bound, the size below which it enlarges gradients, and the
 * verdict of the paper's four conditions.
 */
export function gafProfileRows(gafs: readonly Gaf[], options: CheckOptions = {}): GafProfileRow[] {
  checkGafList('gafProfileRows', gafs);
  return gafs.map((g) => {
    const r = checkConditions(g, options);
    const failed = r.conditions.map((c, i) => (c.holds ? 0 : i + 1)).filter((i) => i > 0);
    return {
      gaf: r.gaf,
      slopeAtZero: r.slopeAtZero,
      bound: r.bounded ? r.bound : null,
      enlargesBelow: enlargementLimit(g, { min: options.min, max: options.max }),
      allHold: r.allHold,
      failed: failed.length ? failed.join(', ') : 'none',
    };
  });
}
