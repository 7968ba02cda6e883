import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incompleteBeta, logGamma, meanCi, sampleSd, studentTCdf, studentTQuantile, welchCi } from '../src/results/stats';

const close = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (tol ${tol})`);

test('logGamma and the incomplete beta match closed forms', () => {
  // Gamma(n) = (n-1)!: ln Gamma(5) = ln 24; Gamma(1/2) = sqrt(pi).
  close(logGamma(5), Math.log(24), 1e-13, 'lnGamma(5)');
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, 'lnGamma(1/2)');
  // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b (integrate the beta density directly).
  for (const x of [0.1, 0.5, 0.9]) {
    close(incompleteBeta(x, 3, 1), x ** 3, 1e-13, `I_${x}(3,1)`);
    close(incompleteBeta(x, 1, 2.5), 1 - (1 - x) ** 2.5, 1e-13, `I_${x}(1,2.5)`);
  }
});

test('t CDF: df = 1 (Cauchy) and df = 3 closed forms', () => {
  for (const t of [-3, -0.4, 0, 0.7, 2, 12]) {
    // Cauchy: F(t) = 1/2 + atan(t)/pi.
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `F1(${t})`);
    // df = 3: F(t) = 1/2 + (1/pi) [ t/(sqrt(3)(1 + t^2/3)) + atan(t/sqrt(3)) ].
    const s3 = Math.sqrt(3);
    close(studentTCdf(t, 3), 0.5 + (t / (s3 * (1 + (t * t) / 3)) + Math.atan(t / s3)) / Math.PI, 1e-12, `F3(${t})`);
  }
});

test('t quantile: closed forms for df = 1, 2, 4 and the textbook 0.975 values', () => {
  for (const p of [0.6, 0.9, 0.975, 0.995]) {
    // df = 1: t = tan(pi (p - 1/2)).
    close(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9, `t1(${p})`);
    // df = 2: t = (2p - 1) sqrt(2 / (4 p (1 - p))).
    close(studentTQuantile(p, 2), (2 * p - 1) * Math.sqrt(2 / (4 * p * (1 - p))), 1e-10, `t2(${p})`);
    // df = 4: with a = 4p(1-p), q = cos(acos(sqrt(a))/3)/sqrt(a): t = sign(p - 1/2) 2 sqrt(q - 1).
    const a = 4 * p * (1 - p);
    const q = Math.cos(Math.acos(Math.sqrt(a)) / 3) / Math.sqrt(a);
    close(studentTQuantile(p, 4), 2 * Math.sqrt(q - 1), 1e-10, `t4(${p})`);
  }
  // t(0.975, 2) = 0.95 * sqrt(2 / 0.0975) = 0.95 * 4.529108 = 4.302653 (the brief's value).
  close(studentTQuantile(0.975, 2), 4.302653, 1e-6, 't(0.975, 2)');
  // Symmetry and the median.
  close(studentTQuantile(0.025, 7), -studentTQuantile(0.975, 7), 1e-12, 'symmetry');
  assert.equal(studentTQuantile(0.5, 3), 0);
  // Large df approaches the normal quantile 1.959964.
  close(studentTQuantile(0.975, 1e6), 1.959964, 1e-5, 't(0.975, 1e6)');
});

test('t quantile at non-integer df matches SciPy', () => {
  // Independent implementation: scipy.stats.t.ppf (SciPy 1.17), values printed to 15 digits.
  close(studentTQuantile(0.975, 2.5), 3.5746548420036817, 1e-9, 't(0.975, 2.5)');
  close(studentTQuantile(0.975, 50 / 17), 3.218758614532882, 1e-9, 't(0.975, 50/17)');
  close(studentTQuantile(0.995, 7.3), 3.451031655622185, 1e-9, 't(0.995, 7.3)');
  close(studentTQuantile(0.9, 0.5), 10.27032441023451, 1e-7, 't(0.9, 0.5)');
});

test('meanCi: [0.90, 0.92, 0.94] by hand', () => {
  // mean = 2.76 / 3 = 0.92; deviations -0.02, 0, 0.02, sum of squares 0.0008, / (n-1) = 0.0004, sd = 0.02.
  // half-width = t(0.975, 2) * sd / sqrt(3) = 4.302653 * 0.02 / 1.7320508 = 0.049683.
  const ci = meanCi([0.9, 0.92, 0.94]);
  assert.equal(ci.n, 3);
  close(ci.mean, 0.92, 1e-12, 'mean');
  close(ci.sd, 0.02, 1e-12, 'sd');
  close(ci.halfWidth, 0.049683, 1e-6, 'half-width');
  close(ci.low, 0.92 - 0.049683, 1e-6, 'low');
  close(ci.high, 0.92 + 0.049683, 1e-6, 'high');
});

test('meanCi: fewer than two values have no interval', () => {
  const one = meanCi([0.9]);
  assert.equal(one.mean, 0.9);
  assert.ok(Number.isNaN(one.sd) && Number.isNaN(one.halfWidth) && Number.isNaN(one.low));
  assert.ok(Number.isNaN(meanCi([]).mean));
  assert.ok(Number.isNaN(sampleSd([1])));
  assert.throws(() => meanCi([1, 2], 95), /level must be in \(0, 1\)/);
});

test('welchCi: SGD [0.90, 0.92, 0.94] vs SGD+GAF [0.94, 0.95, 0.96] by hand', () => {
  // baseline mean 0.92, sd 0.02; treatment mean 0.95, sd 0.01; n = 3 each.
  // diff = 0.03. se^2 = 0.02^2/3 + 0.01^2/3 = 0.0005/3, se = 0.0129099.
  // df = (0.0005/3)^2 / ((0.0004/3)^2/2 + (0.0001/3)^2/2) = (0.25/9) / (0.17/18) = 50/17 = 2.941176
  // (SciPy's ttest_ind(equal_var=False) reports the same df).
  // half-width = t(0.975, 50/17) * se = 3.2187586 * 0.0129099 = 0.0415540.
  const w = welchCi({ mean: 0.92, sd: 0.02, n: 3 }, { mean: 0.95, sd: 0.01, n: 3 });
  close(w.diff, 0.03, 1e-12, 'diff');
  close(w.se, Math.sqrt(0.0005 / 3), 1e-12, 'se');
  close(w.df, 50 / 17, 1e-12, 'df');
  close(w.halfWidth, 0.041554, 1e-6, 'half-width');
  close(w.low, 0.03 - 0.041554, 1e-6, 'low');
  close(w.high, 0.03 + 0.041554, 1e-6, 'high');
  // Equal variances and sizes: df = 2(n-1), the pooled-t value.
  close(welchCi({ mean: 0, sd: 1, n: 5 }, { mean: 1, sd: 1, n: 5 }).df, 8, 1e-12, 'df equal var');
});

test('welchCi: a single seed on either side gives no interval; zero spread gives zero width', () => {
  const w = welchCi({ mean: 0.92, sd: 0.02, n: 3 }, { mean: 0.95, sd: NaN, n: 1 });
  close(w.diff, 0.03, 1e-12, 'diff');
  assert.ok(Number.isNaN(w.low) && Number.isNaN(w.high) && Number.isNaN(w.halfWidth));
  const z = welchCi({ mean: 0.5, sd: 0, n: 2 }, { mean: 0.6, sd: 0, n: 2 });
  assert.equal(z.halfWidth, 0);
  close(z.low, 0.1, 1e-12, 'low');
});

test('studentTQuantile rejects bad arguments clearly', () => {
  assert.throws(() => studentTQuantile(1.5, 3), /p must be in \(0, 1\), got 1.5/);
  assert.throws(() => studentTQuantile(0.9, 0), /degrees of freedom must be a finite number > 0, got 0/);
});
