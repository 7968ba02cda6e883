/**
 * Least-squares fits of convergence curves: a linear rate (gap ~ C * rho^t, a straight line
 * on a log-y plot) and a sublinear one (gap ~ C / t^p, a straight line on a log-log plot).
 * Comparing the two R^2 values says which description fits the measured curve better.
 */
import { checkNum, checkOneOf, fail } from './validate';

/** A point of a convergence curve: optimality gap f(w_t) - f* at step t. */
export interface GapPoint {
  step: number;
  gap: number;
}

/** Options of {@link fitRate}. */
export interface FitRateOptions {
  /** `linear`: log(gap) = a + b*t; `sublinear`: log(gap) = a - p*log(t). Default `linear`. */
  model?: 'linear' | 'sublinear';
  /** Only points with step >= from (default 0; the sublinear fit always drops t = 0). */
  from?: number;
  /** Only points with step <= to (default: all). */
  to?: number;
  /**
   * Only points with gap > minGap (default 0). Set it to the noise floor of f* (e.g. 10x the
   * float32 resolution of the loss) so that rounding noise is not fitted.
   */
  minGap?: number;
}

/** Result of {@link fitRate}. */
export interface RateFit {
  model: 'linear' | 'sublinear';
  /**
   * `linear`: the per-step contraction factor rho = exp(b) (gap shrinks by rho each step; < 1
   * means convergence). `sublinear`: the exponent p in gap ~ C/t^p.
   */
  rate: number;
  /** Fitted intercept a (log C). */
  intercept: number;
  /** Fitted slope of the line (b, or -p). */
  slope: number;
  /** Coefficient of determination of the fit in log space (1 = perfect line). */
  r2: number;
  /** Points used. */
  points: number;
  /** Steps covered by the points used. */
  from: number;
  to: number;
}

/** Ordinary least squares y = a + b x, with R^2. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): { a: number; b: number; r2: number } {
  const n = xs.length;
  if (n < 2 || ys.length !== n) fail('leastSquares', 'points', n, 'at least 2 (x, y) pairs of equal length');
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) fail('leastSquares', 'x values', xs[0], 'not all equal (a line needs at least two distinct x)');
  const b = sxy / sxx;
  const a = my - b * mx;
  // A flat line that is fitted exactly has syy = 0: call that a perfect fit.
  const r2 = syy === 0 ? 1 : 1 - Math.max(0, syy - b * sxy) / syy;
  return { a, b, r2 };
}

/**
 * Fits a linear (geometric) or sublinear (power-law) convergence rate to gap-vs-step points by
 * least squares in log space.
 *
 * @example fitRate([{step: 0, gap: 1}, {step: 1, gap: 0.5}, {step: 2, gap: 0.25}]) // rate 0.5, r2 1
 */
export function fitRate(rows: readonly GapPoint[], options: FitRateOptions = {}): RateFit {
  const where = 'fitRate';
  if (!Array.isArray(rows)) fail(where, 'rows', typeof rows, 'an array of {step, gap}');
  const model = checkOneOf(where, 'model', options.model ?? 'linear', ['linear', 'sublinear'] as const);
  const from = checkNum(where, 'from', options.from ?? 0);
  const to = checkNum(where, 'to', options.to ?? Number.MAX_VALUE);
  const minGap = checkNum(where, 'minGap', options.minGap ?? 0, { min: 0 });
  const used = rows.filter(
    (r) =>
      Number.isFinite(r.step) &&
      Number.isFinite(r.gap) &&
      r.gap > minGap &&
      r.step >= from &&
      r.step <= to &&
      (model === 'linear' || r.step > 0),
  );
  if (used.length < 2) {
    fail(
      where,
      'usable points',
      used.length,
      `at least 2 (finite gap > ${minGap}, step in [${from}, ${to}]${model === 'sublinear' ? ', step > 0' : ''})`,
      'Lower minGap or widen from/to.',
    );
  }
  const xs = used.map((r) => (model === 'linear' ? r.step : Math.log(r.step)));
  const ys = used.map((r) => Math.log(r.gap));
  const { a, b, r2 } = leastSquares(xs, ys);
  return {
    model,
    rate: model === 'linear' ? Math.exp(b) : -b,
    intercept: a,
    slope: b,
    r2,
    points: used.length,
    from: Math.min(...used.map((r) => r.step)),
    to: Math.max(...used.map((r) => r.step)),
  };
}

/** Both fits of {@link fitRate} on the same points, to compare their R^2. */
export function fitRates(rows: readonly GapPoint[], options: Omit<FitRateOptions, 'model'> = {}): { linear: RateFit; sublinear: RateFit } {
  return { linear: fitRate(rows, { ...options, model: 'linear' }), sublinear: fitRate(rows, { ...options, model: 'sublinear' }) };
}
