/**
 * Small-sample statistics for comparing runs across seeds: mean, sample standard deviation,
 * Student-t confidence intervals and Welch's interval for a difference of means.
 *
 * The t quantile is computed, not tabulated: the t CDF is expressed through the regularized
 * incomplete beta function, P(T <= t) = 1 - I_x(nu/2, 1/2) / 2 with x = nu / (nu + t^2) for t >= 0,
 * which is evaluated by its continued fraction; the quantile is found by bisection. This works
 * for the non-integer degrees of freedom of Welch's interval.
 */

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (divisor n - 1); NaN for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

// Lanczos approximation of ln Gamma (g = 7, 9 coefficients), accurate to ~1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a+1)/(a+b+2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    // even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) return h;
  }
  return h; // converged to the precision the loop allows
}

/** Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast only on one side; use I_x(a,b) = 1 - I_{1-x}(b,a) on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

function checkDf(df: number, where: string): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new Error(`${where}: degrees of freedom must be a finite number > 0, got ${df}.`);
}

/** CDF of Student's t distribution with `df` degrees of freedom (df > 0, need not be an integer). */
export function studentTCdf(t: number, df: number): number {
  checkDf(df, 'studentTCdf');
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile (inverse CDF) of Student's t distribution: the t with P(T <= t) = p, for 0 < p < 1. */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df, 'studentTQuantile');
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}.`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** A mean with its two-sided confidence interval. NaN interval when n < 2. */
export interface MeanCi {
  n: number;
  mean: number;
  sd: number;
  /** t_{(1+level)/2, n-1} * sd / sqrt(n). */
  halfWidth: number;
  low: number;
  high: number;
}

/** Mean, sample sd and the Student-t confidence interval (default 95%) of `values`. */
export function meanCi(values: readonly number[], level = 0.95): MeanCi {
  checkLevel(level);
  const n = values.length;
  const m = mean(values);
  const sd = sampleSd(values);
  const halfWidth = n < 2 ? NaN : (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: m, sd, halfWidth, low: m - halfWidth, high: m + halfWidth };
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new Error(`confidence level must be in (0, 1), e.g. 0.95; got ${level}.`);
}

/** Summary statistics of one group, as Welch's interval needs them. */
export interface GroupStats {
  mean: number;
  sd: number;
  n: number;
}

/** Welch's interval for the difference of two means (treatment - baseline). */
export interface WelchCi {
  diff: number;
  /** Standard error sqrt(s_b^2/n_b + s_t^2/n_t). */
  se: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  halfWidth: number;
  low: number;
  high: number;
}

/**
 * Welch's confidence interval for `treatment.mean - baseline.mean`, without assuming equal
 * variances: se^2 = s_b^2/n_b + s_t^2/n_t, df = se^4 / ((s_b^2/n_b)^2/(n_b-1) + (s_t^2/n_t)^2/(n_t-1)).
 * NaN interval when either group has fewer than two values. When both spreads are zero the
 * interval has zero width (df is then taken as n_b + n_t - 2, where it no longer matters).
 */
export function welchCi(baseline: GroupStats, treatment: GroupStats, level = 0.95): WelchCi {
  checkLevel(level);
  const diff = treatment.mean - baseline.mean;
  if (baseline.n < 2 || treatment.n < 2) return { diff, se: NaN, df: NaN, halfWidth: NaN, low: NaN, high: NaN };
  const vb = (baseline.sd * baseline.sd) / baseline.n;
  const vt = (treatment.sd * treatment.sd) / treatment.n;
  const se = Math.sqrt(vb + vt);
  if (se === 0) return { diff, se, df: baseline.n + treatment.n - 2, halfWidth: 0, low: diff, high: diff };
  const df = (vb + vt) ** 2 / (vb ** 2 / (baseline.n - 1) + vt ** 2 / (treatment.n - 1));
  const halfWidth = studentTQuantile((1 + level) / 2, df) * se;
  return { diff, se, df, halfWidth, low: diff - halfWidth, high: diff + halfWidth };
}

/**
 * Two-sided p-value of a t statistic: P(|T| >= |t|) = 2 P(T <= -|t|), computed from the lower
 * tail so that small p-values keep their precision. NaN for a NaN statistic.
 */
export function studentTTwoSidedP(t: number, df: number): number {
  checkDf(df, 'studentTTwoSidedP');
  if (Number.isNaN(t)) return NaN;
  return Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
}

/**
 * Two-sided p-value of the test "difference = 0" from an estimate, its standard error and
 * degrees of freedom. With a zero standard error the data leave no doubt: p is 1 for a zero
 * difference and 0 for any other. NaN when the error or the degrees of freedom are not known.
 */
export function pValueOfDiff(diff: number, se: number, df: number): number {
  if (!Number.isFinite(diff) || !(se >= 0) || !(df > 0) || !Number.isFinite(df)) return NaN;
  if (se === 0) return diff === 0 ? 1 : 0;
  return studentTTwoSidedP(diff / se, df);
}
