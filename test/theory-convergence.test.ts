/**
 * Convergence rates: the least-squares rate fits on synthetic curves with known rates, the
 * smoothness bound on a matrix with known eigenvalues, softmax regression against an
 * independent float64 implementation, the descent lemma, the reference optimum, leaks, errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import {
  convergenceFitRows,
  convergenceRuns,
  describeConvergence,
  disposeFlatData,
  fitRate,
  fitRates,
  gafConvexMethod,
  gdConvexMethod,
  leastSquares,
  learningRateEquivalence,
  referenceOptimum,
  runSoftmaxRegression,
  smoothnessBound,
  type FlatData,
} from '../src/theory/index';

function flat(x: number[][], y: number[], classes: number): FlatData {
  return { x: tf.tensor2d(x), y: tf.tensor1d(y, 'int32'), count: x.length, features: x[0]!.length, classes };
}

/** 30 samples, 5 features from a fixed formula (no randomness), 3 classes. */
function small(): FlatData {
  const x = Array.from({ length: 30 }, (_, i) => Array.from({ length: 5 }, (_, j) => Math.sin(1.3 * i + 0.7 * j * j) * 0.8));
  const y = x.map((row, i) => (row[0]! + row[1]! > 0.3 ? 0 : row[2]! > 0 ? 1 : 2) + 0 * i);
  return flat(x, y, 3);
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('leastSquares: exact line, R^2 = 1; equal x rejected', () => {
  const r = leastSquares([0, 1, 2, 3], [1, 3, 5, 7]);
  assert.ok(Math.abs(r.a - 1) < 1e-12 && Math.abs(r.b - 2) < 1e-12 && Math.abs(r.r2 - 1) < 1e-12);
  assert.throws(() => leastSquares([1, 1], [0, 1]), /leastSquares: x values must be not all equal/);
});

test('fitRate (linear) recovers gap = 3 * 0.9^t exactly', () => {
  const rows = Array.from({ length: 21 }, (_, t) => ({ step: t, gap: 3 * Math.pow(0.9, t) }));
  const f = fitRate(rows);
  assert.equal(f.model, 'linear');
  assert.ok(Math.abs(f.rate - 0.9) < 1e-12, `${f.rate}`);
  assert.ok(Math.abs(f.intercept - Math.log(3)) < 1e-12);
  assert.ok(Math.abs(f.r2 - 1) < 1e-12);
  assert.equal(f.points, 21);
});

test('fitRate (sublinear) recovers gap = 5 / t^2 exactly; t = 0 is dropped', () => {
  const rows = [{ step: 0, gap: 100 }, ...Array.from({ length: 50 }, (_, i) => ({ step: i + 1, gap: 5 / Math.pow(i + 1, 2) }))];
  const f = fitRate(rows, { model: 'sublinear' });
  assert.ok(Math.abs(f.rate - 2) < 1e-12);
  assert.ok(Math.abs(f.intercept - Math.log(5)) < 1e-12);
  assert.ok(Math.abs(f.r2 - 1) < 1e-12);
  assert.equal(f.points, 50);
  assert.equal(f.from, 1);
});

test('fitRate: multiplicative noise of +-5% barely moves the rate; R^2 drops below 1', () => {
  // gap = 2 * 0.8^t * (1 + 0.05 (-1)^t), t = 0..39. The alternating log-noise +-0.049 has almost
  // no covariance with t (it adds at most ~0.05/20 to the slope over 40 points): rate within 0.3%.
  const rows = Array.from({ length: 40 }, (_, t) => ({ step: t, gap: 2 * Math.pow(0.8, t) * (1 + 0.05 * (t % 2 ? -1 : 1)) }));
  const f = fitRate(rows);
  assert.ok(Math.abs(f.rate - 0.8) < 0.0025, `${f.rate}`);
  assert.ok(f.r2 < 1 && f.r2 > 0.99, `${f.r2}`);
});

test('fitRates: the right model has the higher R^2', () => {
  const geometric = Array.from({ length: 60 }, (_, t) => ({ step: t, gap: Math.pow(0.95, t) }));
  // A power law 1/t (with a finite start value at t = 0, which the sublinear fit drops).
  const power = [{ step: 0, gap: 1.5 }, ...Array.from({ length: 59 }, (_, i) => ({ step: i + 1, gap: 1 / (i + 1) }))];
  const g = fitRates(geometric);
  assert.ok(g.linear.r2 > g.sublinear.r2);
  assert.ok(Math.abs(g.linear.r2 - 1) < 1e-12);
  const p = fitRates(power);
  assert.ok(p.sublinear.r2 > p.linear.r2);
  assert.ok(Math.abs(p.sublinear.rate - 1) < 1e-12 && Math.abs(p.sublinear.r2 - 1) < 1e-12);
});

test('fitRate: minGap, from and to select the points', () => {
  const rows = Array.from({ length: 30 }, (_, t) => ({ step: t, gap: Math.pow(0.5, t) }));
  // 0.5^t > 1e-6 for t <= 19 (0.5^20 = 9.5e-7).
  assert.equal(fitRate(rows, { minGap: 1e-6 }).points, 20);
  const f = fitRate(rows, { from: 5, to: 9 });
  assert.equal(f.points, 5);
  assert.deepEqual([f.from, f.to], [5, 9]);
  assert.throws(() => fitRate(rows, { minGap: 1 }), /fitRate: usable points must be at least 2/);
  assert.throws(() => fitRate(rows, { model: 'cubic' as never }), /fitRate: model must be one of 'linear', 'sublinear'/);
});

test('smoothnessBound: 1/2 lambda_max([X 1]^T [X 1]/n) + l2 on a matrix with known spectrum', () => {
  // X = [[1,0],[0,1],[1,0],[0,1]]: [X 1]^T [X 1]/4 = [[.5,0,.5],[0,.5,.5],[.5,.5,1]], eigenvalues
  // 0.5 (on (1,-1,0)) and, on span{(1,1,0),(0,0,1)}, those of [[.5,.5],[1,1]]: 0 and 1.5.
  // L = 1.5/2 + 0.1 = 0.85.
  const d = flat(
    [
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
    ],
    [0, 1, 0, 1],
    2,
  );
  const before = tf.memory().numTensors;
  const L = smoothnessBound({ data: d, l2: 0.1 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(L - 0.85) < 1e-5, `${L}`);
  disposeFlatData(d);
});

/** Softmax-regression objective and gradient in float64, written independently of tfjs. */
function objective64(
  x: number[][],
  y: number[],
  C: number,
  W: number[][],
  b: number[],
  l2: number,
): { f: number; gW: number[][]; gb: number[] } {
  const n = x.length;
  const D = x[0]!.length;
  let f = 0;
  const gW = Array.from({ length: D }, () => new Array<number>(C).fill(0));
  const gb = new Array<number>(C).fill(0);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: C }, (_, c) => b[c]! + x[i]!.reduce((s, v, j) => s + v * W[j]![c]!, 0));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    f += (lse - z[y[i]!]!) / n;
    for (let c = 0; c < C; c++) {
      const r = (Math.exp(z[c]! - lse) - (c === y[i] ? 1 : 0)) / n;
      gb[c]! += r;
      for (let j = 0; j < D; j++) gW[j]![c]! += r * x[i]![j]!;
    }
  }
  for (let j = 0; j < D; j++)
    for (let c = 0; c < C; c++) {
      f += (l2 / 2) * W[j]![c]! ** 2;
      gW[j]![c]! += l2 * W[j]![c]!;
    }
  return { f, gW, gb };
}

test('runSoftmaxRegression (full batch) follows an independent float64 GD on the same objective', () => {
  const d = small();
  const xs = d.x.arraySync();
  const ys = Array.from(d.y.dataSync());
  const l2 = 0.05;
  const lr = 0.5;
  const before = tf.memory().numTensors;
  const r = runSoftmaxRegression({ data: d, l2 }, () => sgd({ learningRate: lr }), { steps: 8 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.rows.length, 9);
  // W = 0, b = 0: uniform softmax, F = ln 3.
  assert.ok(Math.abs(r.rows[0]!.loss - Math.log(3)) < 1e-6);
  let W = Array.from({ length: 5 }, () => [0, 0, 0]);
  let b = [0, 0, 0];
  for (let t = 0; t <= 8; t++) {
    const { f, gW, gb } = objective64(xs, ys, 3, W, b, l2);
    assert.ok(Math.abs(r.rows[t]!.loss - f) < 1e-5, `step ${t}: ${r.rows[t]!.loss} vs ${f}`);
    W = W.map((row, j) => row.map((v, c) => v - lr * gW[j]![c]!));
    b = b.map((v, c) => v - lr * gb[c]!);
  }
  disposeFlatData(d);
});

test('GD at step 1/L never increases F (descent lemma), full batch and minibatch rows', () => {
  const d = small();
  const problem = { data: d, l2: 0.01 };
  const L = smoothnessBound(problem);
  const r = runSoftmaxRegression(problem, () => sgd({ learningRate: 1 / L }), { steps: 40 });
  for (let t = 1; t < r.rows.length; t++) assert.ok(r.rows[t]!.loss <= r.rows[t - 1]!.loss + 1e-6, `step ${t}`);
  const mb = runSoftmaxRegression(problem, () => sgd({ learningRate: 1 / L }), { steps: 20, batchSize: 10, evalEvery: 5 });
  assert.deepEqual(
    mb.rows.map((x) => x.step),
    [0, 5, 10, 15, 20],
  );
  assert.ok(mb.finalLoss < mb.rows[0]!.loss);
  disposeFlatData(d);
});

test('referenceOptimum and convergenceRuns: f* below every run, gaps and fits per method', () => {
  const d = small();
  const problem = { data: d, l2: 0.01 };
  const before = tf.memory().numTensors;
  const ref = referenceOptimum(problem, { steps: 400 });
  const res = convergenceRuns(problem, {
    steps: 30,
    lr: 'theory',
    fStar: ref.fStar,
    methods: [gdConvexMethod(), gafConvexMethod(gafs.atan({ alpha: 0.1, beta: 20 }))],
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(res.rows.length, 2 * 31);
  assert.ok(res.rows.every((r) => r.gap >= -1e-6 && Math.abs(r.gap - (r.loss - ref.fStar)) < 1e-12));
  assert.deepEqual(
    res.methods.map((m) => m.method),
    ['GD', 'GD+GAF 0.1*atan(20x)'],
  );
  // Theory steps: 1/L for GD, 1/(2L) with g'(0) = 2.
  assert.ok(Math.abs(res.methods[0]!.lr - 1 / res.L) < 1e-12 && Math.abs(res.methods[1]!.lr - 1 / (2 * res.L)) < 1e-12);
  assert.ok(res.methods.every((m) => m.fits !== null && m.fits.linear.rate < 1));
  disposeFlatData(d);
});

test('bad input: errors name the field', () => {
  const d = small();
  assert.throws(
    () => runSoftmaxRegression({ data: d, l2: -1 }, () => sgd({ learningRate: 0.1 }), { steps: 1 }),
    /runSoftmaxRegression: l2 must be a finite number >= 0, got -1/,
  );
  assert.throws(
    () => runSoftmaxRegression({ data: {} as never }, () => sgd({ learningRate: 0.1 }), { steps: 1 }),
    /runSoftmaxRegression: data must be \{x: Tensor2D/,
  );
  assert.throws(() => convergenceRuns({ data: d }, { lr: 'best' as never, fStar: 0 }), /convergenceRuns: lr must be 'grid' or 'theory'/);
  disposeFlatData(d);
});

test('gafConvexMethod: theory step 1/(L g\'(0)) by default, 1/L with step "same"', () => {
  const g = gafs.atan({ alpha: 0.1, beta: 20 }); // g'(0) = 2
  assert.equal(gafConvexMethod(g).theoryLr(4), 1 / 8);
  assert.equal(gafConvexMethod(g, 'x', 'same').theoryLr(4), 1 / 4);
  assert.throws(() => gafConvexMethod(g, 'x', 'twice' as never), /gafConvexMethod: step must be 'equivalent' or 'same'/);
});

test('learningRateEquivalence: a linear g(x) = 2x at lr is GD at 2 lr; the starting gradient matches float64', () => {
  const d = small();
  const problem = { data: d, l2: 0.01 };
  const double = gafs.custom({ name: 'test-convergence-double', fn: (x) => tf.mul(x, 2), derivative: () => 2 });
  const before = tf.memory().numTensors;
  const e = learningRateEquivalence(problem, { gaf: double, lr: 0.3, steps: 20, fStar: 0.2 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(e.slope, 2);
  assert.equal(e.rows.length, 2 * 21);
  assert.deepEqual([...new Set(e.rows.map((r) => `${r.method}@${r.lr}`))], ['GD+GAF test-convergence-double@0.3', "GD at lr*g'(0)@0.6"]);
  // lr * (2 d) and (2 lr) * d agree up to float32 rounding.
  assert.ok(e.maxRelativeDifference < 1e-4, `${e.maxRelativeDifference}`);
  assert.ok(e.finalRelativeDifference <= e.maxRelativeDifference);
  assert.ok(Number.isNaN(e.knee), 'a custom g has no beta');
  // At W = 0, b = 0 the gradient is dF/db = 1/3 - class frequency, dF/dW = X^T (1/3 - Y) / n
  // (the l2 term vanishes at W = 0): objective64 computes it independently in float64.
  const g0 = objective64(
    d.x.arraySync(),
    Array.from(d.y.dataSync()),
    3,
    Array.from({ length: 5 }, () => [0, 0, 0]),
    [0, 0, 0],
    0.01,
  );
  const expected = Math.max(...g0.gb.map(Math.abs), ...g0.gW.flat().map(Math.abs));
  assert.ok(Math.abs(e.maxAbsGradient0 - expected) < 1e-6, `${e.maxAbsGradient0} vs ${expected}`);
  const atan = learningRateEquivalence(problem, { gaf: gafs.atan({ alpha: 0.1, beta: 20 }), lr: 0.3, steps: 3, fStar: 0.2 });
  assert.equal(atan.knee, 1 / 20);
  disposeFlatData(d);
});

test('describeConvergence: one line per method plus the equivalence line', () => {
  const d = small();
  const problem = { data: d, l2: 0.01 };
  const fStar = referenceOptimum(problem, { steps: 300 }).fStar;
  const res = convergenceRuns(problem, {
    steps: 20,
    lr: 'theory',
    fStar,
    methods: [gdConvexMethod(), gafConvexMethod(gafs.atan({ alpha: 0.1, beta: 20 }), undefined, 'same')],
  });
  // Both at the same theory step 1/L.
  assert.equal(res.methods[0]!.lr, res.methods[1]!.lr);
  const e = learningRateEquivalence(problem, { gaf: gafs.atan({ alpha: 0.1, beta: 20 }), lr: res.methods[1]!.lr, steps: 5, fStar });
  const lines = describeConvergence(res, e);
  assert.equal(lines.length, 3);
  assert.match(
    lines[0]!,
    /^GD: lr [\d.]+ \(1\/L, theory\); gap [\d.e+-]+ at step 20; geometric fit rho = [\d.]+\/step \(R\^2 [\d.]+\), power fit gap ~ t\^-[\d.]+ \(R\^2 [\d.]+\): the (power law|geometric decay) fits better\.$/,
  );
  const rows = convergenceFitRows(res, 'same lr');
  assert.deepEqual(
    rows.map((r) => [r.setting, r.method]),
    [
      ['same lr', 'GD'],
      ['same lr', 'GD+GAF 0.1*atan(20x)'],
    ],
  );
  // lr = 1/L, so lr * L = 1; the fitted numbers are the fits' own.
  assert.ok(Math.abs(rows[0]!.lrTimesL - 1) < 1e-12);
  assert.equal(rows[1]!.rho, res.methods[1]!.fits!.linear.rate);
  assert.equal(rows[1]!.p, res.methods[1]!.fits!.sublinear.rate);
  assert.equal(rows[0]!.finalGap, res.rows.filter((r) => r.method === 'GD').pop()!.gap);
  assert.match(
    lines[2]!,
    /^GD at lr\*g'\(0\) \(g'\(0\) = 2\) vs GD\+GAF: gap curves differ by at most [\d.]+% \(step \d+\), by [\d.]+% at the last step; largest starting gradient component [\d.e+-]+ vs knee 1\/beta = 5\.00e-2\.$/,
  );
  // A last-step gap below the float32 floor has no relative difference: said in words, not NaN%.
  assert.match(
    describeConvergence(res, { ...e, finalRelativeDifference: NaN })[2]!,
    /, by n\/a \(gap below the float32 floor\) at the last step; /,
  );
  disposeFlatData(d);
});
