/**
 * The notebooks' one-line summaries (iteration scaling, escape times, condition grids) on
 * hand-made rows with known answers, and the GAF profile (where g enlarges, g'(0), bound) against
 * closed forms and independent root finding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { conditionGrid } from '../src/reports/gaf-conditions';
import {
  enlargementLimit,
  escapeTable,
  gafProfileRows,
  iterationScaling,
  summarizeConditionGrid,
  summarizeEscapeTimes,
  summarizeGafProfiles,
  summarizeItersVsCondition,
  type ConditionCell,
  type EscapeRow,
  type ItersVsConditionRow,
} from '../src/theory/index';

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

const iterRow = (kappa: number, method: string, iters: number | null): ItersVsConditionRow => ({
  kappa,
  method,
  lr: 0.1,
  lrFactor: 1,
  lrRule: 'grid',
  iters,
  closedForm: null,
});

test('iterationScaling: exponent p of iters = c kappa^p by least squares on log-log', () => {
  // A: 3 kappa (p = 1); B: 5 sqrt(kappa) (p = 1/2); C: one usable point only (p unknown).
  const kappas = [10, 100, 1000, 10000];
  const rows = [
    ...kappas.map((k) => iterRow(k, 'A', 3 * k)),
    ...kappas.map((k) => iterRow(k, 'B', 5 * Math.sqrt(k))),
    iterRow(10, 'C', 7),
    iterRow(100, 'C', null),
  ];
  const s = iterationScaling(rows);
  assert.deepEqual(
    s.map((r) => r.method),
    ['A', 'B', 'C'],
  );
  assert.ok(Math.abs(s[0]!.exponent! - 1) < 1e-12 && Math.abs(s[0]!.r2! - 1) < 1e-12 && s[0]!.points === 4);
  assert.ok(Math.abs(s[1]!.exponent! - 0.5) < 1e-12);
  assert.deepEqual(s[2], { method: 'C', exponent: null, r2: null, points: 1 });
});

test('summarizeItersVsCondition: per kappa counts and ratios to the baseline, then the exponents', () => {
  const rows = [iterRow(10, 'GD', 40), iterRow(10, 'GD+GAF', 90), iterRow(100, 'GD', 400), iterRow(100, 'GD+GAF', null)];
  // Ratios 90/40 = 2.25; exponents: GD 40 -> 400 over one decade = 1; GD+GAF has one point.
  assert.deepEqual(summarizeItersVsCondition(rows), [
    'kappa 10: GD 40 | GD+GAF 90 (2.25x GD)',
    'kappa 100: GD 400 | GD+GAF not reached',
    'iterations ~ kappa^p (least squares on log-log): GD p = 1.00, GD+GAF p = n/a',
  ]);
  // Baseline GD+GAF: GD's ratio 40/90 = 0.444.
  assert.equal(summarizeItersVsCondition(rows, { baseline: 'GD+GAF' })[0], 'kappa 10: GD 40 (0.444x GD+GAF) | GD+GAF 90');
  assert.throws(
    () => summarizeItersVsCondition(rows, { baseline: 'Adam' }),
    /summarizeItersVsCondition: baseline must be one of the rows' methods \(GD, GD\+GAF\), got "Adam"/,
  );
  assert.throws(() => summarizeItersVsCondition([]), /summarizeItersVsCondition: rows must be a non-empty array/);
});

test('summarizeEscapeTimes: where a method is faster or slower than the baseline, and where only one escapes', () => {
  const row = (problem: string, method: string, perturbation: number, steps: number | null): EscapeRow => ({
    problem,
    method,
    perturbation,
    steps,
    escaped: steps !== null,
    via: steps === null ? null : 'radius',
    predicted: null,
  });
  const rows = [
    row('P', 'GD', 1e-8, 100),
    row('P', 'GD', 1e-4, 49),
    row('P', 'GD', 1e-1, 11),
    row('P', 'GD', 1e-2, 20),
    row('P', 'GAF', 1e-8, 80),
    row('P', 'GAF', 1e-4, 52),
    row('P', 'GAF', 1e-1, 30),
    row('P', 'GAF', 1e-2, 20),
    row('M', 'GD', 1e-3, null),
    row('M', 'GD', 1e-2, 558),
    row('M', 'GD', 1e-6, null),
    row('M', 'GAF', 1e-3, 2823),
    row('M', 'GAF', 1e-2, 300),
    row('M', 'GAF', 1e-6, null),
  ];
  // P: faster only at 1e-8 (80 < 100); slower at 1e-4 (52/49 = 1.06) and 1e-1 (30/11 = 2.7, the
  // largest loss); equal at 1e-2. M: faster at 1e-2; only GAF escapes from 1e-3; neither from 1e-6.
  assert.deepEqual(summarizeEscapeTimes(rows), [
    'P: GAF vs GD: faster from 1e-8 (at 1e-8: 80 vs 100 steps); slower from 1e-4, 1e-1 (at 1e-1: 30 vs 11 steps); equal from 1e-2',
    'M: GAF vs GD: faster from 1e-2 (at 1e-2: 300 vs 558 steps); only it escapes from 1e-3 (2823 steps); neither escapes from 1e-6',
  ]);
  assert.deepEqual(
    summarizeEscapeTimes(
      rows.filter((r) => r.problem === 'M'),
      { baseline: 'GAF' },
    ),
    ['M: GD vs GAF: slower from 1e-2 (at 1e-2: 558 vs 300 steps); only GAF escapes from 1e-3 (2823 steps); neither escapes from 1e-6'],
  );
  // Side by side: P's perturbations ascending, then M's; 'no escape' where steps is null.
  const wide = escapeTable(rows);
  assert.deepEqual(
    wide.map((r) => [r.problem, r.perturbation, r.GD, r.GAF]),
    [
      ['P', 1e-8, 100, 80],
      ['P', 1e-4, 49, 52],
      ['P', 1e-2, 20, 20],
      ['P', 1e-1, 11, 30],
      ['M', 1e-6, 'no escape', 'no escape'],
      ['M', 1e-3, 'no escape', 2823],
      ['M', 1e-2, 558, 300],
    ],
  );
  assert.throws(() => escapeTable([]), /escapeTable: rows must be a non-empty array/);
  assert.throws(
    () => summarizeEscapeTimes(rows, { baseline: 'Adam' }),
    /summarizeEscapeTimes: baseline must be one of the methods of P \(GD, GAF\), got "Adam"/,
  );
});

test('summarizeConditionGrid: a real atan grid agrees with alpha*beta > 1; a hand-made mismatch is named', () => {
  // alpha in {0.05, 0.1, 0.2} x beta in {5, 10, 20}: alpha*beta > 1 only at (0.1, 20), (0.2, 10),
  // (0.2, 20); the products 0.05*20, 0.1*10, 0.2*5 are exactly 1 in float64, where g'(0) = 1 fails
  // condition 3 (it needs g'(0) > 1). Conditions 1, 2, 4 hold for every atan with alpha, beta > 0.
  const cells = conditionGrid({ kind: 'atan', alphas: [0.05, 0.1, 0.2], betas: [5, 10, 20], points: 100 });
  assert.equal(
    summarizeConditionGrid(cells),
    'atan: all four conditions hold at 3 of 9 (alpha, beta) points; the verdict equals alpha*beta > 1 at all 9 points; conditions failing somewhere: 3',
  );
  const fake: ConditionCell[] = [
    { kind: 'tanh', alpha: 1, beta: 2, slopeAtZero: 2, allHold: false, failed: [4], failedIds: ['restrictsLarge'] },
    { kind: 'tanh', alpha: 0.5, beta: 1, slopeAtZero: 0.5, allHold: false, failed: [3], failedIds: ['enlargesTiny'] },
  ];
  assert.equal(
    summarizeConditionGrid(fake),
    'tanh: all four conditions hold at 0 of 2 (alpha, beta) points; the verdict differs from alpha*beta > 1 at 1 of 2 points: (1, 2); conditions failing somewhere: 3, 4',
  );
  assert.throws(() => summarizeConditionGrid([]), /summarizeConditionGrid: cells must be a non-empty array/);
});

test('enlargementLimit: where |g(x)| stops exceeding |x|', () => {
  // g(x) = 2x/(1+|x|): 2x/(1+x) = x at x = 1 exactly.
  const softsign = {
    name: 'softsign',
    value: (x: number) => (2 * x) / (1 + Math.abs(x)),
    derivative: (x: number) => 2 / (1 + Math.abs(x)) ** 2,
  };
  assert.ok(Math.abs(enlargementLimit(softsign) - 1) < 1e-12);
  // 0.1 atan(20 x) = x at x = u/20 with atan(u) = u/2: u = 2.3311223704144 (bisection in float64,
  // done separately in Python), x = 0.11655611852072.
  const paper = gafs.atan({ alpha: 0.1, beta: 20 });
  const r = enlargementLimit(paper);
  assert.ok(Math.abs(r - 0.11655611852072) < 1e-12, String(r));
  assert.ok(paper.value(0.999 * r) > 0.999 * r && paper.value(1.001 * r) < 1.001 * r);
  // alpha*beta <= 1: never enlarges (tanh(x) < x for x > 0) -> 0. g(x) = 2x: always -> Infinity.
  assert.equal(enlargementLimit(gafs.tanh({ alpha: 1, beta: 1 })), 0);
  assert.equal(enlargementLimit({ name: 'twice', value: (x: number) => 2 * x, derivative: () => 2 }), Infinity);
  // An asymmetric g: 2x/(1+x) for x > 0 (crosses y = x at 1), 2x/(1+4|x|) for x < 0 (crosses at
  // |x| = 1/4): the smaller side decides.
  const lopsided = { name: 'lopsided', value: (x: number) => (x > 0 ? (2 * x) / (1 + x) : (2 * x) / (1 - 4 * x)), derivative: () => 2 };
  assert.ok(Math.abs(enlargementLimit(lopsided) - 0.25) < 1e-12);
  assert.throws(() => enlargementLimit(paper, { min: 0 }), /enlargementLimit: min must be a finite number > 0, got 0/);
});

test("gafProfileRows: g'(0), bound, enlarges-below and verdict per GAF", () => {
  const list = [gafs.atan({ alpha: 0.1, beta: 20 }), gafs.tanh({ alpha: 0.05, beta: 10 }), gafs.log({ alpha: 0.1, beta: 20 })];
  const rows = gafProfileRows(list, { points: 200 });
  assert.deepEqual(
    rows.map((r) => r.gaf),
    list.map((g) => g.name),
  );
  // atan: g'(0) = 2, bound 0.1 pi/2, all hold. tanh: g'(0) = 0.5 fails condition 3, bound 0.05,
  // never enlarges. log: g'(0) = 2, unbounded (null), enlarges below the root of 0.1 ln(1+20x) = x.
  assert.deepEqual(
    rows.map((r) => [r.slopeAtZero, r.bound, r.allHold, r.failed]),
    [
      [2, (0.1 * Math.PI) / 2, true, 'none'],
      [0.5, 0.05, false, '3'],
      [2, null, true, 'none'],
    ],
  );
  assert.equal(rows[1]!.enlargesBelow, 0);
  const x = rows[2]!.enlargesBelow;
  assert.ok(x > 0 && Math.abs(0.1 * Math.log(1 + 20 * x) - x) < 1e-12, `log crossing ${x}`);
  // atan crosses y = x at 0.11655611852072 (see enlargementLimit), printed to 3 digits; the bound
  // 0.1 pi/2 = 0.15708 -> 0.157; tanh's bound 0.05.
  const lines = summarizeGafProfiles(rows);
  assert.equal(lines[0], '0.1*atan(20x): tiny gradients x2; enlarged below |x| = 0.117; |g| <= 0.157; all four conditions hold');
  assert.equal(lines[1], `${list[1]!.name}: tiny gradients x0.5; never enlarges; |g| <= 0.05; condition 3 fails`);
  assert.match(lines[2]!, /^0\.1\*.*: tiny gradients x2; enlarged below \|x\| = 0\.\d+; unbounded; all four conditions hold$/);
  assert.equal(summarizeGafProfiles([{ ...rows[0]!, allHold: false, failed: '2, 4' }])[0]!.endsWith('conditions 2, 4 fail'), true);
});
