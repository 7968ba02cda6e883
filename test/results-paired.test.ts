import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { compareToBaseline } from '../src/results/compare';
import { formatComparisonTests } from '../src/results/format';
import { loadRuns } from '../src/results/load';
import { pairedDifference } from '../src/results/paired';
import { summarizeRuns } from '../src/results/summarize';
import { formatResultsTables, resultsTables } from '../src/reports/results-tables';
import { curve, standardSweep, tempDir, writeRun } from './results-fixtures';

type Row = Record<string, unknown>;
const close = (got: unknown, want: number, tol: number, what: string): void =>
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= tol, `${what}: got ${String(got)}, want ${want}`);

// Student t with 2 df in closed form: CDF 1/2 + t / (2 sqrt(2 + t^2)), so the two-sided
// p-value is 1 - t / sqrt(2 + t^2) and the quantile of p is a sqrt(2 / (1 - a^2)), a = 2p - 1.
const p2 = (t: number): number => 1 - Math.abs(t) / Math.sqrt(2 + t * t);
const q2 = (p: number): number => (2 * p - 1) * Math.sqrt(2 / (1 - (2 * p - 1) ** 2));

test('pairedDifference: 3 pairs with differences 1, 2, 3 by hand', () => {
  // Differences 1, 2, 3: mean 2, sd 1, t_{0.975,2} = 4.302653, half-width 4.302653 / sqrt(3) = 2.484138.
  // t = 2 / (1 / sqrt 3) = 3.4641016, p = 1 - t / sqrt(14) = 0.0741799.
  const d = pairedDifference(
    [
      { seed: 1, value: 10 },
      { seed: 2, value: 20 },
      { seed: 3, value: 30 },
    ],
    [
      { seed: 3, value: 33 },
      { seed: 1, value: 11 },
      { seed: 2, value: 22 },
    ],
  );
  assert.equal(d.nPairs, 3);
  assert.equal(d.df, 2);
  close(d.mean, 2, 1e-12, 'mean');
  close(d.sd, 1, 1e-12, 'sd');
  close(d.halfWidth, 2.484138, 1e-6, 'half-width');
  close(d.halfWidth, q2(0.975) / Math.sqrt(3), 1e-10, 'half-width, closed form');
  close(d.low, 2 - 2.484138, 1e-6, 'low');
  close(d.p, 0.0741799, 1e-7, 'p');
  close(d.p, p2(2 * Math.sqrt(3)), 1e-12, 'p, closed form');
  assert.deepEqual(d.baselineOnly, []);
  assert.deepEqual(d.treatmentOnly, []);
});

test('pairedDifference: seeds without a partner are listed; a repeated seed pairs nothing', () => {
  const d = pairedDifference(
    [
      { seed: 1, value: 1 },
      { seed: 2, value: 2 },
      { seed: 4, value: 9 },
    ],
    [
      { seed: 2, value: 4 },
      { seed: 1, value: 2 },
      { seed: 5, value: 0 },
      { seed: null, value: 0 },
    ],
  );
  // Pairs: seed 1 (+1), seed 2 (+2): mean 1.5, sd sqrt(0.5), t_{0.975,1} = 12.7062 -> half-width 12.7062 * 0.5 = 6.3531.
  assert.equal(d.nPairs, 2);
  close(d.mean, 1.5, 1e-12, 'mean');
  close(d.halfWidth, 12.706204736 * 0.5, 1e-8, 'half-width (t_{0.975,1} = tan(0.475 pi))');
  assert.deepEqual(d.baselineOnly, [4]);
  assert.deepEqual(d.treatmentOnly, [5, null]);
  const twice = pairedDifference(
    [
      { seed: 1, value: 1 },
      { seed: 1, value: 2 },
    ],
    [{ seed: 1, value: 3 }],
  );
  assert.equal(twice.nPairs, 0);
  assert.deepEqual(twice.repeatedSeeds, [1]);
  assert.ok(Number.isNaN(twice.mean));
});

test('compareToBaseline with runs: paired next to Welch, Holm/BH over the family, power', () => {
  const root = tempDir('paired');
  standardSweep(root);
  const runs = loadRuns(root);
  const summary = summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] });
  const c = compareToBaseline(summary, {
    baseline: { optimizerLabel: 'sgd' },
    treatment: { optimizerLabel: 'sgd + 0.1*atan(20x)' },
    by: ['model.name'],
    runs,
    family: 'all',
    detect: 0.01,
  });
  const [lenet, cnn] = c.objects() as [Row, Row];
  // small-cnn, seeds 1-3: SGD 0.90, 0.92, 0.94; atan 0.94, 0.95, 0.96 -> differences 0.04, 0.03, 0.02:
  // mean 0.03, sd 0.01, half-width 4.302653 * 0.01 / sqrt 3 = 0.0248414; t = 0.03 / (0.01 / sqrt 3) = 5.196152.
  assert.equal(cnn.pairedN, 3);
  close(cnn.pairedDiff, 0.03, 1e-12, 'cnn paired diff');
  close(cnn.pairedSd, 0.01, 1e-12, 'cnn paired sd');
  close(cnn.pairedCiHalfWidth, 0.0248414, 1e-7, 'cnn paired half-width');
  const pCnn = p2(3 * Math.sqrt(3)); // 1 - 5.196152 / sqrt(29) = 0.0350989
  close(cnn.pairedP, pCnn, 1e-10, 'cnn paired p');
  close(cnn.pairedP, 0.0350989, 1e-6, 'cnn paired p (number)');
  assert.equal(cnn.primary, 'paired');
  assert.equal(cnn.unpairedSeeds, '');
  close(cnn.p, pCnn, 1e-12, 'cnn primary p');
  // Welch's columns stay as they were (diff 0.03, df 50/17).
  close(cnn.diff, 0.03, 1e-12, 'cnn welch diff');
  close(cnn.welchDf, 50 / 17, 1e-9, 'cnn welch df');
  // lenet: SGD 0.80, 0.84, 0.88; atan 0.83, 0.85, 0.87 -> 0.03, 0.01, -0.01: mean 0.01, sd 0.02,
  // t = 0.01 / (0.02 / sqrt 3) = 0.8660254, p = 1 - 0.8660254 / sqrt(2.75) = 0.4777670.
  const pLenet = p2(Math.sqrt(3) / 2);
  close(lenet.pairedSd, 0.02, 1e-12, 'lenet paired sd');
  close(lenet.pairedP, pLenet, 1e-10, 'lenet p');
  // Family of m = 2: Holm: 2 * 0.0350989 = 0.0701978, then max(0.0701978, 1 * 0.4777670) = 0.4777670.
  // BH: 2 * 0.0350989 / 1 = 0.0701978, 2 * 0.4777670 / 2 = 0.4777670; running minimum from the top keeps both.
  assert.equal(cnn.family, '2 comparisons in the table');
  assert.equal(cnn.familySize, 2);
  close(cnn.pHolm, 2 * pCnn, 1e-10, 'cnn holm');
  close(lenet.pHolm, pLenet, 1e-10, 'lenet holm');
  close(cnn.qBH, 2 * pCnn, 1e-10, 'cnn bh');
  close(lenet.qBH, pLenet, 1e-10, 'lenet bh');
  // Bonferroni: level 1 - 0.05 / 2 = 0.975, quantile t_{0.9875,2} = 0.975 sqrt(2 / 0.049375) = 6.205349;
  // small-cnn: 0.03 -+ 6.205349 * 0.01 / sqrt 3.
  close(cnn.simLevel, 0.975, 1e-15, 'sim level');
  const simHalf = (q2(0.9875) * 0.01) / Math.sqrt(3);
  close(cnn.simCiLow, 0.03 - simHalf, 1e-10, 'cnn sim low');
  close(cnn.simCiHigh, 0.03 + simHalf, 1e-10, 'cnn sim high');
  // Power, small-cnn, observed 0.03: paired sd 0.01 -> 4 pairs (derived in results-power.test.ts);
  // unpaired pooled sd sqrt(0.00025) = 0.0158114, ratio 0.527046: normal 2 (2.8015852 * 0.527046)^2 = 4.36 -> 5;
  // n = 5 (df 8): 2 ((2.3060041 + 0.8888735) * 0.527046)^2 = 5.67 > 5; n = 6 (df 10):
  // 2 ((2.2281389 + 0.8790578) * 0.527046)^2 = 5.36 <= 6 -> 6 seeds per arm.
  assert.equal(cnn.nPairs, 4);
  assert.equal(cnn.nPerArm, 6);
  // detect 0.01 with paired sd 0.01 (d_z = 1): normal (2.8015852)^2 = 7.85 -> 8; n = 8 (df 7):
  // (2.3646243 + 0.8960296)^2 = 10.65 > 8; n = 9 (df 8): (2.3060041 + 0.8888735)^2 = 10.21 > 9;
  // n = 10 (df 9): (2.2621572 + 0.8834039)^2 = 9.89 <= 10 -> 10 pairs.
  assert.equal(cnn.nPairsDetect, 10);
  close(cnn.detect, 0.01, 0, 'detect');
  const text = formatComparisonTests(c);
  assert.match(
    text,
    /small-cnn .*\+3\.00 \[-1\.16, \+7\.16\] \| \+3\.00 \[\+0\.52, \+5\.48\] \| 3 +\| paired +\| 0\.035 \| 0\.070 +\| 0\.070 \| \[-0\.58, \+6\.58\] +\| 6, 4 +\| 41, 10 /,
  );
  assert.match(text, /Families: 2 comparisons in the table\./);
  assert.match(text, /seeds\/arm, pairs \(1\.00 pt\)/);
  // Default family: each model alone, so Holm = BH = p.
  const byModel = compareToBaseline(summary, {
    baseline: { optimizerLabel: 'sgd' },
    treatment: { optimizerLabel: 'sgd + 0.1*atan(20x)' },
    by: ['model.name'],
    runs,
  }).objects() as Row[];
  assert.equal(byModel[1]!.family, '1 comparison in small-cnn');
  close(byModel[1]!.pHolm, pCnn, 1e-12, 'holm m=1');
  fs.rmSync(root, { recursive: true, force: true });
});

test('compareToBaseline with runs: a baseline seed without partner makes Welch primary and is named', () => {
  const root = tempDir('paired-miss');
  [0.9, 0.92, 0.94, 0.91].forEach((f, i) => writeRun(root, { seed: i + 1, testTop1: curve(f) }));
  [0.94, 0.95, 0.96].forEach((f, i) => writeRun(root, { seed: i + 1, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: curve(f) }));
  writeRun(root, { seed: 9, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: curve(0.97) });
  const t = resultsTables(loadRuns(root), { detect: 0.005 });
  assert.ok(t.comparison);
  const r = t.comparison.objects()[0] as Row;
  assert.equal(r.primary, 'welch');
  assert.equal(r.pairedN, 3);
  assert.equal(r.unpairedSeeds, 'baseline only: 4; treatment only: 9');
  close(r.p, r.welchP as number, 0, 'primary p is Welch');
  // The three pairs are those of small-cnn above: mean 0.03.
  close(r.pairedDiff, 0.03, 1e-12, 'paired diff');
  const text = formatResultsTables(t);
  assert.match(text, /Paired seeds, corrected tests and power:/);
  assert.match(text, /\| welch +\|.*baseline only: 4; treatment only: 9/);
  assert.match(text, /seeds\/arm, pairs \(0\.50 pt\)/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('compareToBaseline: bad options name the field', () => {
  const root = tempDir('paired-bad');
  standardSweep(root);
  const runs = loadRuns(root);
  const summary = summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] });
  const o = { baseline: { optimizerLabel: 'sgd' }, treatment: { optimizerLabel: 'sgd + 0.1*atan(20x)' }, by: ['model.name'] };
  assert.throws(() => compareToBaseline(summary, { ...o, detect: 0 }), /detect must be a nonzero number/);
  assert.throws(() => compareToBaseline(summary, { ...o, family: 'x' as 'all' }), /family must be 'group' or 'all', got "x"/);
  const slim = runs.select('runId', 'seed', 'status', 'epoch', 'testTop1');
  assert.throws(() => compareToBaseline(summary, { ...o, runs: slim }), /runs table has no column "model.name", "optimizerLabel"/);
  fs.rmSync(root, { recursive: true, force: true });
});
