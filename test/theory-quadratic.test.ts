/**
 * Ill-conditioned quadratics: iteration counts of the real gaf-lab optimizers against closed
 * forms, the GAF's linear regime, learning-rate selection, effective steps, leaks and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import {
  bestLearningRate,
  diagonalQuadratic,
  effectiveStep,
  gafMethod,
  gdIterationsClosedForm,
  gdMethod,
  heavyBallMethod,
  itersVsCondition,
  quadratic,
  quadraticEffectiveSteps,
  relativeGrid,
  runOptimizer,
} from '../src/theory/index';

const paperGaf = gafs.atan({ alpha: 0.1, beta: 20 });

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('quadratic(kappa, dims): eigenvalues log-spaced from 1 to kappa, f = 1/2 sum lambda w^2', () => {
  const q = quadratic(100, 3);
  assert.deepEqual(
    q.eigenvalues.map((v) => Number(v.toPrecision(12))),
    [1, 10, 100],
  );
  assert.equal(q.L, 100);
  assert.equal(q.mu, 1);
  assert.equal(q.kappa, 100);
  // f(1, 2, 3) = (1*1 + 10*4 + 100*9)/2 = 470.5, in number and in tensor form.
  assert.ok(Math.abs(q.value([1, 2, 3]) - 470.5) < 1e-9);
  const t = tf.tidy(() => q.loss(tf.tensor1d([1, 2, 3])).dataSync()[0]!);
  assert.ok(Math.abs(t - 470.5) < 1e-3);
});

test('GD on f = L w^2/2 converges as (1 - eta L)^t: trajectory and iterations from the closed form', () => {
  // L = 4, eta = 0.1: w_t = 0.6^t, f_t = 2 * 0.36^t. f_t <= 1e-6 first when
  // t >= ln(1e-6/2)/ln(0.36) = 14.2013..., so at t = 15.
  const before = tf.memory().numTensors;
  const r = runOptimizer(diagonalQuadratic([4]), () => sgd({ learningRate: 0.1 }), { start: [1], tol: 1e-6, steps: 100 });
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  assert.equal(r.iters, 15);
  assert.equal(r.rows.length, 16, 'steps 0..15');
  for (const row of r.rows) {
    const w = Math.pow(0.6, row.step);
    assert.ok(Math.abs(row.w0! - w) <= 1e-6 * w, `w at step ${row.step}: ${row.w0} vs ${w}`);
    assert.ok(Math.abs(row.loss - 2 * w * w) <= 1e-5 * 2 * w * w);
  }
});

test('GD at 2/(L+mu) on quadratic(kappa): iterations = ceil(ln(2 tol/(1+kappa)) / (2 ln((kappa-1)/(kappa+1))))', () => {
  // At eta = 2/(1+kappa) both coordinates of w_0 = (1, 1) shrink by rho = (kappa-1)/(kappa+1) in
  // magnitude each step, so f_t = (1+kappa)/2 * rho^(2t). kappa = 10: 38.67 -> 39; kappa = 100: 443.3 -> 444.
  const predicted = (k: number): number => Math.ceil(Math.log((2 * 1e-6) / (1 + k)) / (2 * Math.log((k - 1) / (k + 1))));
  assert.equal(predicted(10), 39);
  assert.equal(predicted(100), 444);
  const before = tf.memory().numTensors;
  const rows = itersVsCondition({ conditions: [10, 100], lr: { kind: 'theory' }, methods: [gdMethod()], tol: 1e-6 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(
    rows.map((r) => r.iters),
    [39, 444],
  );
  assert.deepEqual(
    rows.map((r) => r.closedForm),
    [39, 444],
    'the float64 closed form agrees',
  );
  assert.deepEqual(
    rows.map((r) => r.lr),
    [2 / 11, 2 / 101],
  );
  assert.ok(rows.every((r) => r.lrFactor === 1 && r.lrRule === 'theory: 2/(L+mu)'));
});

test('gdIterationsClosedForm agrees with the ln formula', () => {
  // f = 2 w^2 (L = 4) at eta = 0.1 from w = 1: 15 steps to 1e-6 (derived above).
  assert.equal(gdIterationsClosedForm(diagonalQuadratic([4]), 0.1, { start: [1], tol: 1e-6 }), 15);
  // eta = 0.6 > 2/L = 0.5: |1 - eta L| = 1.4 > 1, never converges.
  assert.equal(gdIterationsClosedForm(diagonalQuadratic([4]), 0.6, { start: [1], tol: 1e-6, maxSteps: 1000 }), null);
});

test("GD+GAF in its linear range is GD with step eta*g'(0)", () => {
  // f = w^2/2 from w0 = 1e-4: gradients d = w <= 1e-4, so 20 d <= 2e-3 and
  // 0.1*atan(20 d) = 2 d (1 - O(4e-6)). With eta = 0.15 the iteration is w <- (1 - 0.3) w:
  // f_t = 5e-9 * 0.49^t <= 5e-15 first at t >= ln(1e-6)/ln(0.49) = 19.367 -> 20.
  const r = runOptimizer(diagonalQuadratic([1]), () => sgd({ learningRate: 0.15, gaf: paperGaf }), {
    start: [1e-4],
    tol: 5e-15,
    steps: 100,
  });
  assert.equal(r.iters, 20);
  // Independent float64 recurrence with the exact atan: same count, same iterates.
  let w = 1e-4;
  r.rows.forEach((row) => {
    assert.ok(Math.abs(row.w0! - w) <= 1e-5 * Math.abs(w), `step ${row.step}: ${row.w0} vs ${w}`);
    w -= 0.15 * 0.1 * Math.atan(20 * w);
  });
});

test('GD+GAF far from the minimum: steps capped at eta*alpha*pi/2, as the float64 recurrence says', () => {
  // f = 50 w^2 (L = 100) from w = 1: gradient 100 w, and 20*100 w >> 1 until w ~ 1e-3, so each
  // step moves w by almost eta*0.1*pi/2. eta = 0.008 keeps the linear regime stable near 0
  // (eta*g'(0)*L = 1.6 < 2). Compare with w <- w - eta*0.1*atan(2000 w) in float64.
  const eta = 0.008;
  const r = runOptimizer(diagonalQuadratic([100]), () => sgd({ learningRate: eta, gaf: paperGaf }), { start: [1], tol: 1e-8, steps: 2000 });
  let w = 1;
  let t = 0;
  while (50 * w * w > 1e-8 && t < 2000) {
    w -= eta * 0.1 * Math.atan(2000 * w);
    t++;
  }
  assert.ok(t < 2000);
  // The run keeps w in float32, the reference in float64: over ~800 steps allow one step of slack.
  assert.ok(r.iters !== null && Math.abs(r.iters - t) <= 1, `run ${r.iters} vs float64 ${t}`);
  // At least (1 - 0.01)/(eta*0.1*pi/2) = 787.8 steps just to travel from 1 to 0.01 at the cap,
  // where plain GD at the same eta would need ln(1e-8/50)/(2 ln 0.2) = 9.6 -> 10 steps.
  assert.ok(t > 787, `${t}`);
});

test('a bounded GAF turns GD divergence into a bounded 2-cycle', () => {
  // f = 50 w^2, eta = 0.05: plain GD multiplies w by 1 - 5 = -4 each step and diverges. With
  // 0.1*atan(20 d) the step is bounded; w settles on the 2-cycle w -> -w where
  // eta*0.1*atan(2000 A) = 2A, i.e. A = 0.0025*atan(2000 A) = 0.003583 (fixed-point iteration).
  const q = diagonalQuadratic([100]);
  const plain = runOptimizer(q, () => sgd({ learningRate: 0.05 }), { start: [1], steps: 50 });
  assert.equal(plain.diverged, true);
  assert.equal(plain.iters, null);
  const gaf = runOptimizer(q, () => sgd({ learningRate: 0.05, gaf: paperGaf }), { start: [1], steps: 400, tol: 1e-8 });
  assert.equal(gaf.diverged, false);
  assert.equal(gaf.iters, null, 'never reaches the tolerance: the cycle has loss 50 A^2 = 6.4e-4');
  let A = 0.004;
  for (let k = 0; k < 100; k++) A = 0.0025 * Math.atan(2000 * A);
  const last = gaf.rows[gaf.rows.length - 1]!;
  const prev = gaf.rows[gaf.rows.length - 2]!;
  assert.ok(Math.abs(Math.abs(last.w0!) - A) < 1e-3 * A, `|w| = ${last.w0} vs A = ${A}`);
  assert.ok(Math.sign(last.w0!) === -Math.sign(prev.w0!), 'alternating sign');
});

test('itersVsCondition (grid policy): each method gets its own best rate; rows carry the rule', () => {
  const before = tf.memory().numTensors;
  const rows = itersVsCondition({
    conditions: [10],
    methods: [gdMethod(), gafMethod(paperGaf), heavyBallMethod()],
    tol: 1e-6,
    maxSteps: 5000,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(
    rows.map((r) => r.method),
    ['GD', 'GD+GAF 0.1*atan(20x)', 'heavy ball'],
  );
  const gd = rows[0]!;
  // 2/(L+mu) is the best fixed step for GD on a quadratic: no grid point beats its 39 steps.
  assert.equal(gd.iters, 39);
  assert.equal(gd.lrFactor, 1);
  assert.match(gd.lrRule, /grid best of 11/);
  // Heavy ball at kappa = 10 contracts by (sqrt(10)-1)/(sqrt(10)+1) = 0.52 per step (vs 0.82 for
  // GD): about ln(1.8e-7)/(2 ln 0.52) = 12 steps plus a transient; far fewer than GD's 39.
  assert.ok(rows[2]!.iters! < 30, `heavy ball ${rows[2]!.iters}`);
  assert.ok(rows.every((r) => r.iters !== null && r.lr !== null && r.closedForm === (r.method === 'GD' ? r.iters : null)));
});

test('bestLearningRate: lowest score wins, ties keep the first, the cap is the best so far', () => {
  const caps: number[] = [];
  const best = bestLearningRate([0.1, 0.3, 0.2, 0.4], (lr, cap) => {
    caps.push(cap);
    return { score: Math.round(100 * Math.abs(lr - 0.25)), result: lr };
  });
  // scores: 15, 5, 5, 15: 0.3 is the first with 5.
  assert.equal(best.lr, 0.3);
  assert.equal(best.score, 5);
  assert.deepEqual(caps, [Infinity, 15, 5, 5]);
  assert.deepEqual(
    best.tried.map((t) => t.score),
    [15, 5, 5, 15],
  );
  const none = bestLearningRate([1, 2], () => ({ score: NaN, result: 0 }));
  assert.equal(none.lr, null);
  assert.equal(none.result, null);
  assert.throws(() => bestLearningRate([], () => ({ score: 0, result: 0 })), /bestLearningRate: grid must be a non-empty array/);
});

test('relativeGrid: center first, then outward, larger first on ties', () => {
  assert.deepEqual(relativeGrid(1, [0.5, 1, 2, 4, 0.25]), [1, 2, 0.5, 4, 0.25]);
  assert.equal(relativeGrid(0.01).length, 11);
  assert.equal(relativeGrid(0.01)[0], 0.01);
});

test("effectiveStep: g(d)/d per direction, g'(0) at 0", () => {
  // 0.1*atan(20*0.05) = 0.1*pi/4, so the ratio at 0.05 is (0.1 pi/4)/0.05 = pi/2.
  const rows = effectiveStep(paperGaf, [0, 0.05, -0.05, 1e-6, 10]);
  assert.equal(rows[0]!.ratio, 2);
  assert.ok(Math.abs(rows[1]!.ratio - Math.PI / 2) < 1e-12);
  assert.ok(Math.abs(rows[2]!.ratio - Math.PI / 2) < 1e-12, 'odd g: same ratio for -d');
  assert.ok(Math.abs(rows[3]!.ratio - 2) < 1e-8, 'tiny gradients enlarged by alpha*beta');
  // Large gradient: 0.1*atan(200)/10 = 0.01*(pi/2 - atan(1/200)) = 0.015658.
  assert.ok(Math.abs(rows[4]!.ratio - 0.01 * (Math.PI / 2 - Math.atan(1 / 200))) < 1e-12);
  assert.deepEqual(
    rows.map((r) => r.direction),
    [0, 1, 2, 3, 4],
  );
});

test('quadraticEffectiveSteps: per-direction effective rate and contraction at a point', () => {
  // quadratic(100) at w = (1e-3, 1e-3): gradients (1e-3, 0.1). eta = 0.01.
  const rows = quadraticEffectiveSteps(quadratic(100), paperGaf, { w: [1e-3, 1e-3], lr: 0.01 });
  const r0 = (0.1 * Math.atan(0.02)) / 1e-3; // ~1.9997
  const r1 = (0.1 * Math.atan(2)) / 0.1; // ~1.1071
  assert.ok(Math.abs(rows[0]!.ratio - r0) < 1e-12 && Math.abs(rows[1]!.ratio - r1) < 1e-12);
  assert.ok(Math.abs(rows[1]!.contraction - (1 - 0.01 * r1 * 100)) < 1e-12);
  assert.equal(rows[1]!.eigenvalue, 100);
});

test('bad input: errors name the field and the fix', () => {
  assert.throws(() => quadratic(0.5), /quadratic: condition must be a finite number >= 1, got 0.5/);
  assert.throws(() => quadratic(10, 1), /quadratic: dims must be >= 2 for a condition number above 1/);
  assert.throws(() => diagonalQuadratic([1, -2]), /diagonalQuadratic: eigenvalues\[1\] must be a finite number > 0, got -2/);
  assert.throws(
    () => runOptimizer(quadratic(10), () => sgd({ learningRate: 0.1 }), { start: [1] }),
    /runTrajectory: start must be of length 2/,
  );
  assert.throws(() => runOptimizer(quadratic(10), (() => ({})) as never, {}), /make\(\) must be a tf.Optimizer/);
  assert.throws(() => itersVsCondition({ lr: { kind: 'nope' } as never }), /itersVsCondition: lr must be/);
  assert.throws(() => effectiveStep(paperGaf, [NaN]), /effectiveStep: grads\[0\] must be a finite number, got NaN/);
});
