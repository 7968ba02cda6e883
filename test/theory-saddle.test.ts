/**
 * Saddle points: escape times of the real gaf-lab optimizers against the linear-theory closed
 * forms (GD and GD+GAF in its linear range), against independent float64 recurrences in the
 * nonlinear range, the problems' formulas, leaks and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import {
  escapeTime,
  escapeTimes,
  lossSurface,
  monkeySaddle,
  predictedEscapeSteps,
  quarticSaddle,
  saddle2d,
  saddleMethod,
  saddleTrajectory,
} from '../src/theory/index';

const paperGaf = gafs.atan({ alpha: 0.1, beta: 20 });

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('problems: number and tensor forms agree; known values', () => {
  const pts = [
    [0.3, -0.7],
    [-1.2, 0.4],
  ];
  for (const p of [saddle2d(), monkeySaddle()]) {
    for (const w of pts) {
      const t = tf.tidy(() => p.loss(tf.tensor1d(w)).dataSync()[0]!);
      assert.ok(Math.abs(t - p.value(w)) < 1e-5, `${p.name} at ${w}`);
    }
  }
  // x^2 - y^2 at (0.3, -0.7) = 0.09 - 0.49 = -0.4; monkey at (-1.2, 0.4) = -1.728 + 0.576 = -1.152.
  assert.ok(Math.abs(saddle2d().value([0.3, -0.7]) + 0.4) < 1e-12);
  assert.ok(Math.abs(monkeySaddle().value([-1.2, 0.4]) + 1.152) < 1e-12);
  const q = quarticSaddle({ dims: 4, negatives: 2 });
  // Minimum at x = (+-1, +-1, 0, 0): 2 * (-1/2 + 1/4) = -1/2 = -negatives/4.
  assert.equal(q.value([1, -1, 0, 0]), -0.5);
  assert.equal(q.value([0, 0, 0, 0]), 0);
  const w = [0.5, -0.2, 0.3, 1.1];
  const t = tf.tidy(() => q.loss(tf.tensor1d(w)).dataSync()[0]!);
  assert.ok(Math.abs(t - q.value(w)) < 1e-5);
  assert.deepEqual(q.unstable, [0, 1]);
});

test('x^2 - y^2, plain GD: escape time = floor(ln(r/y0)/ln(1 + 2 eta)) + 1', () => {
  // y_t = (1 + 2 eta)^t y0 (the gradient in y is -2y). Started on the y axis:
  //   eta = 0.05, y0 = 1e-6, r = 0.5: ln(5e5)/ln(1.1) = 137.68 -> 138
  //   eta = 0.05, y0 = 1e-3, r = 0.5: ln(500)/ln(1.1)  = 65.20  -> 66
  //   eta = 0.1,  y0 = 1e-8, r = 0.3: ln(3e7)/ln(1.2)  = 94.55  -> 95
  const cases = [
    { eta: 0.05, y0: 1e-6, r: 0.5, expected: 138 },
    { eta: 0.05, y0: 1e-3, r: 0.5, expected: 66 },
    { eta: 0.1, y0: 1e-8, r: 0.3, expected: 95 },
  ];
  const before = tf.memory().numTensors;
  for (const c of cases) {
    assert.equal(predictedEscapeSteps(1 + 2 * c.eta, c.y0, c.r), c.expected);
    const res = escapeTime(saddle2d(), saddleMethod({ lr: c.eta }), { perturbation: c.y0, radius: c.r, direction: [0, 1], maxSteps: 1000 });
    assert.equal(res.steps, c.expected, `eta ${c.eta}, y0 ${c.y0}`);
    assert.equal(res.predicted, c.expected);
    assert.equal(res.via, 'radius');
  }
  assert.equal(tf.memory().numTensors, before);
});

test('x^2 - y^2 from the diagonal: x decays, the unstable component p/sqrt 2 decides', () => {
  // Direction (1,1)/sqrt 2, p = 1e-4: y0 = 7.071e-5, eta = 0.05, r = 0.5:
  // ln(0.5/7.071e-5)/ln(1.1) = 92.86 -> 93; x_93 = 7e-5 * 0.9^93 ~ 4e-9 does not matter.
  const res = escapeTime(saddle2d(), saddleMethod({ lr: 0.05 }), { perturbation: 1e-4, radius: 0.5, maxSteps: 1000 });
  assert.equal(res.predicted, 93);
  assert.equal(res.steps, 93);
});

test("x^2 - y^2 with a GAF in its linear range: growth 1 + 2 eta g'(0)", () => {
  // 0.1*atan(20 d): g'(0) = 2. With r = 1e-3 the gradient |2y| stays <= 2e-3, 20*2e-3 = 0.04, where
  // atan(u)/u = 1 - u^2/3 + ... >= 0.9995: linear. eta = 0.1: growth 1.4,
  //   y0 = 1e-8: ln(1e5)/ln(1.4) = 34.22 -> 35   (plain GD at eta = 0.1: ln(1e5)/ln(1.2) = 63.1 -> 64)
  const res = escapeTime(saddle2d(), saddleMethod({ lr: 0.1, gaf: paperGaf }), { perturbation: 1e-8, radius: 1e-3, direction: [0, 1] });
  assert.equal(res.predicted, 35);
  assert.equal(res.steps, 35);
  const gd = escapeTime(saddle2d(), saddleMethod({ lr: 0.1 }), { perturbation: 1e-8, radius: 1e-3, direction: [0, 1] });
  assert.equal(gd.steps, 64);
  // Same as plain GD with step eta*g'(0) = 0.2 (growth 1.4): at tiny gradients a GAF is a larger step.
  const gd2 = escapeTime(saddle2d(), saddleMethod({ lr: 0.2 }), { perturbation: 1e-8, radius: 1e-3, direction: [0, 1] });
  assert.equal(gd2.steps, 35);
});

test("x^2 - y^2 with a GAF beyond its linear range: matches the float64 recurrence, slower than GD at eta*g'(0)", () => {
  // r = 0.5: once |2y| > 1/20 the step is capped near eta*0.1*pi/2 and growth turns linear.
  // Reference: y <- y + eta*0.1*atan(20*2y) in float64, counted until |y| > r.
  const eta = 0.1;
  for (const y0 of [1e-8, 1e-4]) {
    let y = y0;
    let t = 0;
    while (y <= 0.5) {
      y += eta * 0.1 * Math.atan(40 * y);
      t++;
    }
    const res = escapeTime(saddle2d(), saddleMethod({ lr: eta, gaf: paperGaf }), { perturbation: y0, radius: 0.5, direction: [0, 1] });
    assert.ok(res.steps !== null && Math.abs(res.steps - t) <= 1, `y0 ${y0}: ${res.steps} vs ${t}`);
    // Linear theory (growth 1.4) would say floor(ln(0.5/y0)/ln 1.4) + 1: the cap makes it slower.
    assert.ok(res.steps! > res.predicted!, `${res.steps} > ${res.predicted}`);
  }
});

test('quartic saddle: GD growth factor 1 + eta along the negative direction', () => {
  // Near 0 the first coordinate obeys x <- (1 + eta) x - eta x^3. Started on that axis with
  // x0 = 1e-6, eta = 0.1, r = 0.01: the cubic term changes the factor by at most eta*r^2 = 1e-5,
  // so ln(1e4)/ln(1.1) = 96.64 -> 97 steps.
  const q = quarticSaddle({ dims: 5, negatives: 1 });
  const res = escapeTime(q, saddleMethod({ lr: 0.1 }), { perturbation: 1e-6, radius: 0.01, direction: [1, 0, 0, 0, 0] });
  assert.equal(res.predicted, 97);
  assert.equal(res.steps, 97);
});

test('monkey saddle: no escape along the ridge, escape along the valley as the recurrence says', () => {
  // On the x axis f = x^3, gradient 3x^2: GD takes x <- x - 3 eta x^2.
  // From x0 = +1e-2 that shrinks towards 0: never escapes.
  const m = monkeySaddle();
  const ridge = escapeTime(m, saddleMethod({ lr: 0.1 }), { perturbation: 1e-2, direction: [1, 0], radius: 0.5, maxSteps: 300 });
  assert.equal(ridge.steps, null);
  assert.equal(ridge.via, null);
  assert.equal(ridge.predicted, null, 'degenerate saddle: no linear prediction');
  // From x0 = -1e-2 |x| grows: count steps of the float64 recurrence until |x| > 0.5.
  let x = -1e-2;
  let t = 0;
  while (Math.abs(x) <= 0.5) {
    x -= 0.3 * x * x;
    t++;
  }
  const valley = escapeTime(m, saddleMethod({ lr: 0.1 }), { perturbation: 1e-2, direction: [-1, 0], radius: 0.5, maxSteps: 1000 });
  assert.ok(valley.steps !== null && Math.abs(valley.steps - t) <= 1, `${valley.steps} vs ${t}`);
});

test('lossDrop criterion: escape when f < f(saddle) - delta', () => {
  // x^2 - y^2 from (0, 1e-3), eta = 0.05: f_t = -(1e-6)(1.1)^(2t) < -1e-2 first when
  // 2t ln 1.1 > ln(1e4), t > 48.3 -> 49; the radius 0.5 needs 66 steps (above), so the drop fires first.
  const res = escapeTime(saddle2d(), saddleMethod({ lr: 0.05 }), { perturbation: 1e-3, direction: [0, 1], radius: 0.5, lossDrop: 1e-2 });
  assert.equal(res.via, 'lossDrop');
  assert.equal(res.steps, 49);
  assert.equal(res.predicted, null, 'the linear prediction is for the radius criterion only');
});

test('escapeTimes: one row per method and perturbation; GD grows like ln(1/p), the GAF follows its recurrence', () => {
  const before = tf.memory().numTensors;
  const methods = [saddleMethod({ lr: 0.1 }), saddleMethod({ lr: 0.1, gaf: paperGaf })];
  const rows = escapeTimes(saddle2d(), methods, { perturbations: [1e-8, 1e-6, 1e-4], radius: 0.5, maxSteps: 500 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(rows.length, 6);
  assert.deepEqual(
    rows.map((r) => r.method),
    [methods[0]!.label, methods[0]!.label, methods[0]!.label, methods[1]!.label, methods[1]!.label, methods[1]!.label],
  );
  const gd = rows.slice(0, 3);
  // Linear theory from the default diagonal direction: each factor 100 in p costs ln(100)/ln(1.2) = 25.3 steps.
  assert.ok(gd.every((r) => r.escaped && r.steps === r.predicted));
  for (let i = 1; i < 3; i++) assert.ok(Math.abs(gd[i - 1]!.steps! - gd[i]!.steps! - Math.log(100) / Math.log(1.2)) <= 1);
  // GD+GAF follows y <- y + 0.1*0.1*atan(40 y) from y0 = p/sqrt 2 (x decays and does not matter).
  const gafSteps = [1e-8, 1e-6, 1e-4].map((p) => {
    let y = p / Math.SQRT2;
    let t = 0;
    while (y <= 0.5) {
      y += 0.01 * Math.atan(40 * y);
      t++;
    }
    return t;
  });
  rows.slice(3).forEach((r, i) => assert.ok(Math.abs(r.steps! - gafSteps[i]!) <= 1, `${r.steps} vs ${gafSteps[i]}`));
  // Doubling tiny gradients wins when the start is tiny (long exponential phase), the cap loses
  // when it is not: from 1e-8 the GAF is faster than GD at the same eta, from 1e-4 slower.
  assert.ok(rows[3]!.steps! < gd[0]!.steps!, `p=1e-8: GAF ${rows[3]!.steps} vs GD ${gd[0]!.steps}`);
  assert.ok(rows[5]!.steps! > gd[2]!.steps!, `p=1e-4: GAF ${rows[5]!.steps} vs GD ${gd[2]!.steps}`);
});

test('saddleTrajectory and lossSurface: rows for plots', () => {
  const rows = saddleTrajectory(saddle2d(), saddleMethod({ lr: 0.1 }), { perturbation: 1e-3, steps: 10, direction: [0, 1] });
  assert.equal(rows.length, 11);
  // y_t = 1e-3 * 1.2^t.
  assert.ok(Math.abs(rows[10]!.w1! - 1e-3 * Math.pow(1.2, 10)) < 1e-8);
  const grid = lossSurface(saddle2d(), { x: [-1, 1], points: 3 });
  assert.equal(grid.length, 9);
  assert.deepEqual(grid[0], { w0: -1, w1: -1, loss: 0 });
  assert.deepEqual(grid[1], { w0: -1, w1: 0, loss: 1 });
  // A plain optimizer factory works too.
  const r2 = saddleTrajectory(saddle2d(), () => sgd({ learningRate: 0.1 }), { perturbation: 1e-3, steps: 2, direction: [0, 1] });
  assert.equal(r2.length, 3);
});

test('bad input: errors name the field', () => {
  assert.throws(
    () => escapeTime(saddle2d(), saddleMethod({ lr: 0.1 }), { perturbation: 0 }),
    /escapeTime: perturbation must be a finite number > 0, got 0/,
  );
  assert.throws(
    () => escapeTime(saddle2d(), saddleMethod({ lr: 0.1 }), { perturbation: 1e-3, direction: [1, 0, 0] }),
    /escapeTime: direction must be of length 2/,
  );
  assert.throws(
    () => escapeTime(saddle2d(), saddleMethod({ lr: 0.1 }), { perturbation: 1e-3, direction: [0, 0] }),
    /escapeTime: direction must be a non-zero vector/,
  );
  assert.throws(() => saddleMethod({ lr: -1 }), /saddleMethod: lr must be a finite number > 0, got -1/);
  assert.throws(() => quarticSaddle({ dims: 3, negatives: 4 }), /quarticSaddle: negatives must be an integer >= 1 <= 3, got 4/);
  assert.throws(() => escapeTimes(saddle2d(), []), /escapeTimes: methods must be a non-empty array/);
  assert.throws(() => lossSurface(saddle2d(), { x: [1, -1] }), /lossSurface: x must be \[lo, hi\] with lo < hi/);
});
