/**
 * How many seeds a comparison needs: the sample size at which a two-sided t-test of level
 * alpha detects a true difference `delta` with the given power, from a spread measured on
 * the seeds at hand.
 *
 * The formula (normal approximation, then corrected with t quantiles):
 * - paired (one difference per seed pair, spread `sd` of those differences):
 *   n = ((z_{1-alpha/2} + z_{power}) * sd / delta)^2 pairs;
 * - unpaired (two arms of equal size, pooled within-arm spread `sd`):
 *   n = 2 * ((z_{1-alpha/2} + z_{power}) * sd / delta)^2 seeds per arm.
 * The normal value is rounded up; then z is replaced by the t quantiles with the degrees of
 * freedom of n (n - 1 paired, 2n - 2 unpaired): n is the smallest whole number, not below the
 * rounded normal value, with n >= k ((t_{1-alpha/2, df(n)} + t_{power, df(n)}) * sd / delta)^2
 * (k = 1 paired, 2 unpaired). That is the value where the usual "re-evaluate with t quantiles
 * and round up until n stops changing" iteration settles; stepping n up one at a time also
 * avoids the back-and-forth that iteration shows at very small n.
 * At least 2 seeds (pairs) are needed to have a spread at all.
 * @module
 */
import { studentTQuantile } from './stats';

/** Standard normal CDF, from erf(x) = 2/sqrt(pi) e^{-x^2} sum_k 2^k x^{2k+1} / (1*3*...*(2k+1)), a series of positive terms. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 1 - normalCdf(-x);
  if (x > 9) return 1; // 1 - Phi(9) < 1e-18, below double precision
  const u = x / Math.SQRT2;
  let term = u;
  let sum = u;
  for (let k = 1; k < 1000 && term > 1e-17 * sum; k++) {
    term *= (2 * u * u) / (2 * k + 1);
    sum += term;
  }
  const erf = (2 / Math.sqrt(Math.PI)) * Math.exp(-u * u) * sum;
  return 0.5 * (1 + erf);
}

/** Standard normal quantile: the z with Phi(z) = p, by bisection on {@link normalCdf}; p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}.`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -normalQuantile(1 - p);
  if (p > normalCdf(8.5)) throw new Error(`normalQuantile: p = ${p} is too close to 1 for double precision.`);
  let lo = 0;
  let hi = 8.5;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = 0.5 * (lo + hi);
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Inputs of {@link pairsNeeded} and {@link seedsPerArmNeeded}. */
export interface SampleSizeOptions {
  /** Spread: sd of the per-seed differences (paired) or the pooled within-arm sd (unpaired), in the metric's units. */
  sd: number;
  /** The true difference to detect, in the metric's units (its sign does not matter). */
  delta: number;
  /** Two-sided significance level; default 0.05. */
  alpha?: number;
  /** Power, the chance of detecting `delta`; default 0.8. */
  power?: number;
}

/** A sample size with the normal-approximation value it started from. */
export interface SampleSize {
  /** Seeds per arm (unpaired) or pairs (paired) after the t correction, rounded up; NaN when it cannot be computed (no spread known, or delta 0). */
  n: number;
  /** The unrounded normal-approximation value. */
  normalN: number;
}

// Beyond this many the t and normal quantiles agree to well under one seed.
const NO_T_CORRECTION_ABOVE = 1e6;

function sampleSize(o: SampleSizeOptions, arms: 1 | 2, who: string): SampleSize {
  const alpha = o.alpha ?? 0.05;
  const power = o.power ?? 0.8;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`${who}: alpha must be in (0, 1), e.g. 0.05; got ${alpha}.`);
  if (!(power > 0 && power < 1)) throw new Error(`${who}: power must be in (0, 1), e.g. 0.8; got ${power}.`);
  const { sd, delta } = o;
  if (!Number.isFinite(sd) || sd < 0 || !Number.isFinite(delta) || delta === 0) return { n: NaN, normalN: NaN };
  const ratio = sd / Math.abs(delta);
  const normalN = arms * ((normalQuantile(1 - alpha / 2) + normalQuantile(power)) * ratio) ** 2;
  let n = Math.max(2, Math.ceil(normalN));
  if (n > NO_T_CORRECTION_ABOVE) return { n, normalN };
  const df = (k: number): number => (arms === 1 ? k - 1 : 2 * k - 2);
  const tValue = (k: number): number => arms * ((studentTQuantile(1 - alpha / 2, df(k)) + studentTQuantile(power, df(k))) * ratio) ** 2;
  // The t value falls as n grows and always exceeds the normal one, so stepping up from the
  // rounded normal n finds the smallest n that satisfies n >= tValue(n).
  while (n < tValue(n)) n++;
  return { n, normalN };
}

/** Seed pairs needed by a paired t-test (see the module notes for the formula). */
export function pairsNeeded(options: SampleSizeOptions): SampleSize {
  return sampleSize(options, 1, 'pairsNeeded');
}

/** Seeds per arm needed by a two-sample t-test with equal arms (see the module notes for the formula). */
export function seedsPerArmNeeded(options: SampleSizeOptions): SampleSize {
  return sampleSize(options, 2, 'seedsPerArmNeeded');
}

/** Pooled within-arm sd of two arms: sqrt(((n_b - 1) s_b^2 + (n_t - 1) s_t^2) / (n_b + n_t - 2)); NaN when either arm has fewer than 2 values. */
export function pooledSd(sdB: number, nB: number, sdT: number, nT: number): number {
  if (!(nB >= 2 && nT >= 2)) return NaN;
  return Math.sqrt(((nB - 1) * sdB * sdB + (nT - 1) * sdT * sdT) / (nB + nT - 2));
}
