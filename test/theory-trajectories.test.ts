/**
 * Labelled trajectories for contour plots (several methods from one start), the learning rates
 * read back from itersVsCondition rows, and the GAF's effective step along a run and against the
 * gradient size: iterates against closed-form GD recurrences, multipliers against g(d)/d by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import {
  diagonalQuadratic,
  effectiveStepCurve,
  effectiveStepsAlong,
  gafMethod,
  gdMethod,
  labelledTrajectories,
  learningRatesAt,
  quadraticTrajectories,
  saddle2d,
  saddleMethod,
  saddleTrajectories,
  type ItersVsConditionRow,
} from '../src/theory/index';

const paperGaf = gafs.atan({ alpha: 0.1, beta: 20 });
const close = (a: number, b: number, rel = 1e-5): boolean => Math.abs(a - b) <= rel * Math.max(1e-12, Math.abs(b));

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('labelledTrajectories: each run from the same start, rows tagged, in run order; no leaks', () => {
  // f = 2 w^2 (lambda = 4): GD at lr 0.1 multiplies w by 1 - 0.4 = 0.6, at lr 0.2 by 1 - 0.8 = 0.2.
  const before = tf.memory().numTensors;
  const rows = labelledTrajectories(
    diagonalQuadratic([4]),
    [
      { label: 'slow', make: () => sgd({ learningRate: 0.1 }) },
      { label: 'fast', make: () => sgd({ learningRate: 0.2 }) },
    ],
    { steps: 3, start: [1] },
  );
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(
    rows.map((r) => `${r.method}:${r.step}`),
    ['slow:0', 'slow:1', 'slow:2', 'slow:3', 'fast:0', 'fast:1', 'fast:2', 'fast:3'],
  );
  for (const r of rows) {
    const w = Math.pow(r.method === 'slow' ? 0.6 : 0.2, r.step);
    assert.ok(close(r.w0 as number, w), `${r.method} step ${r.step}: ${r.w0} vs ${w}`);
    assert.ok(close(r.loss, 2 * w * w, 1e-4));
  }
  assert.throws(
    () =>
      labelledTrajectories(
        diagonalQuadratic([4]),
        [
          { label: 'a', make: () => sgd({ learningRate: 0.1 }) },
          { label: 'a', make: () => sgd({ learningRate: 0.2 }) },
        ],
        { steps: 1, start: [1] },
      ),
    /labelledTrajectories: runs must be distinct labels .* "a" appears twice/,
  );
  assert.throws(
    () => labelledTrajectories(diagonalQuadratic([4]), [], { steps: 1, start: [1] }),
    /labelledTrajectories: runs must be a non-empty array/,
  );
});

test('quadraticTrajectories: given lr per method, theory step for the others; rows carry the lr', () => {
  // lambda = (1, 3): GD's theory step 2/(L+mu) = 2/4 = 0.5 multiplies w0 by 0.5 and w1 by 1 - 1.5 = -0.5.
  // At lr 0.25 (given): w0 by 0.75, w1 by 0.25.
  const q = diagonalQuadratic([1, 3]);
  const gd = gdMethod();
  const slow = { ...gdMethod(), label: 'GD slow' };
  const rows = quadraticTrajectories(q, [gd, slow], { steps: 4, lr: { 'GD slow': 0.25 } });
  assert.equal(rows.length, 10);
  for (const r of rows) {
    const [f0, f1] = r.method === 'GD' ? [0.5, -0.5] : [0.75, 0.25];
    assert.equal(r.lr, r.method === 'GD' ? 0.5 : 0.25);
    assert.ok(close(r.w0 as number, Math.pow(f0, r.step)) && close(r.w1 as number, Math.pow(f1, r.step)), `${r.method} step ${r.step}`);
  }
  // tol stops a run at the first step with f <= tol: GD at 0.5 has f_t = (1/2 + 3/2) 0.25^t = 2 * 0.25^t, <= 0.01 first at t = 4 (2/256).
  const stopped = quadraticTrajectories(q, [gd], { steps: 100, tol: 0.01 });
  assert.equal(stopped[stopped.length - 1]!.step, 4);
  assert.throws(
    () => quadraticTrajectories(q, [gd], { steps: 2, lr: { GD: -1 } }),
    /quadraticTrajectories: lr\["GD"\] must be a finite number > 0, got -1/,
  );
  assert.throws(() => quadraticTrajectories(q, [], { steps: 2 }), /quadraticTrajectories: methods must be a non-empty array/);
});

test('learningRatesAt: the lr each method used at one kappa; failed methods left out', () => {
  const row = (kappa: number, method: string, lr: number | null): ItersVsConditionRow => ({
    kappa,
    method,
    lr,
    lrFactor: null,
    lrRule: 'grid',
    iters: null,
    closedForm: null,
  });
  const rows = [row(10, 'GD', 0.18), row(10, 'GD+GAF', 0.05), row(100, 'GD', 0.0198), row(100, 'GD+GAF', null)];
  assert.deepEqual(learningRatesAt(rows, 10), { GD: 0.18, 'GD+GAF': 0.05 });
  assert.deepEqual(learningRatesAt(rows, 100), { GD: 0.0198 });
  assert.throws(
    () => learningRatesAt(rows, 1000),
    /learningRatesAt: kappa must be one of the rows' condition numbers \(10, 100\), got 1000/,
  );
});

test('effectiveStepsAlong: g(d)/d per direction at each iterate, d = lambda_i w_i', () => {
  const q = diagonalQuadratic([1, 3]);
  // At w = (1, 1): d = (1, 3), g(d)/d = 0.1 atan(20)/1 = 0.152084 and 0.1 atan(60)/3 = 0.051804.
  // At w = (0, 0.01): direction 0 has d = 0, so g'(0) = 2; d1 = 0.03, 0.1 atan(0.6)/0.03 = 1.801398.
  const rows = effectiveStepsAlong(
    q,
    paperGaf,
    [
      { step: 0, w0: 1, w1: 1 },
      { step: 7, w0: 0, w1: 0.01 },
    ],
    { lr: 0.5 },
  );
  assert.equal(rows.length, 4);
  assert.deepEqual(
    rows.map((r) => [r.step, r.direction]),
    [
      [0, 0],
      [0, 1],
      [7, 0],
      [7, 1],
    ],
  );
  const expected = [0.1 * Math.atan(20), (0.1 * Math.atan(60)) / 3, 2, (0.1 * Math.atan(0.6)) / 0.03];
  rows.forEach((r, i) => {
    assert.ok(close(r.ratio, expected[i]!, 1e-12), `row ${i}: ${r.ratio} vs ${expected[i]}`);
    assert.ok(close(r.effectiveLr, 0.5 * expected[i]!, 1e-12));
    assert.ok(close(r.contraction, 1 - 0.5 * expected[i]! * r.eigenvalue, 1e-12));
  });
  assert.ok(close(expected[0]!, 0.152084, 1e-5) && close(expected[1]!, 0.051804, 1e-5) && close(expected[3]!, 1.801398, 1e-6));
  // Trajectory rows of quadraticTrajectories work as they are (extra fields are ignored).
  const traj = quadraticTrajectories(q, [gafMethod(paperGaf)], { steps: 2 });
  assert.equal(effectiveStepsAlong(q, paperGaf, traj, { lr: 0.1 }).length, 6);
  assert.throws(
    () => effectiveStepsAlong(q, paperGaf, [{ step: 0, w0: 1 }], { lr: 0.1 }),
    /effectiveStepsAlong: rows\[0\]\.w1 must be a number/,
  );
});

test("effectiveStepCurve: log-spaced d, ratio g(d)/d from about g'(0) down to sup|g|/d", () => {
  const rows = effectiveStepCurve([paperGaf, gafs.tanh({ alpha: 0.2, beta: 10 })], { min: 1e-4, max: 100, points: 7 });
  assert.equal(rows.length, 14);
  // Log-spaced 1e-4 .. 1e2 in 7 points: one per decade.
  assert.deepEqual(
    rows.slice(0, 7).map((r) => Number(r.grad.toPrecision(12))),
    [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100],
  );
  // atan at d = 1e-4: 0.1 atan(0.002)/1e-4 = 2 (1 - 0.002^2/3 + ...) = 1.9999973;
  // at d = 100: 0.1 atan(2000)/100 = 0.0015703, just under (pi/20)/100 = 0.0015708.
  assert.ok(close(rows[0]!.ratio, 2 * (1 - 4e-6 / 3), 1e-9));
  assert.ok(close(rows[6]!.ratio, (0.1 * Math.atan(2000)) / 100, 1e-12));
  // tanh at d = 1: 0.2 tanh(10) = 0.2 (to 1e-8).
  assert.ok(close(rows[11]!.ratio, 0.2, 1e-8));
  assert.throws(
    () => effectiveStepCurve([paperGaf], { min: 1, max: 0.1 }),
    /effectiveStepCurve: max must be a finite number > 1, got 0\.1/,
  );
  assert.throws(() => effectiveStepCurve([]), /effectiveStepCurve: gafs must be a non-empty array/);
});

test('saddleTrajectories: several methods from one start near the saddle; no leaks', () => {
  // x^2 - y^2 started at (0, 1e-3): the y gradient is -2y, so GD multiplies y by 1 + 2 lr:
  // 1.2 at lr 0.1 and 1.1 at lr 0.05.
  const before = tf.memory().numTensors;
  const rows = saddleTrajectories(saddle2d(), [saddleMethod({ lr: 0.1 }), saddleMethod({ lr: 0.05 })], {
    perturbation: 1e-3,
    steps: 5,
    direction: [0, 1],
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual([...new Set(rows.map((r) => r.method))], ['GD, lr 0.1', 'GD, lr 0.05']);
  for (const r of rows) {
    const y = 1e-3 * Math.pow(r.method === 'GD, lr 0.1' ? 1.2 : 1.1, r.step);
    assert.ok(close(r.w1 as number, y), `${r.method} step ${r.step}`);
    assert.equal(r.w0, 0);
    assert.ok(close(r.distance as number, y), 'distance from the saddle (0, 0) = |y|');
  }
  // stopBeyond 0.01: y_t = 1e-3 * 1.2^t > 0.01 first when t > ln 10 / ln 1.2 = 12.63, at t = 13.
  const cut = saddleTrajectories(saddle2d(), [saddleMethod({ lr: 0.1 })], {
    perturbation: 1e-3,
    steps: 100,
    direction: [0, 1],
    stopBeyond: 0.01,
  });
  assert.equal(cut.length, 14);
  assert.equal(cut[cut.length - 1]!.step, 13);
  assert.throws(
    () => saddleTrajectories(saddle2d(), [saddleMethod({ lr: 0.1 })], { perturbation: 1e-3, steps: 2, stopBeyond: 0 }),
    /saddleTrajectories: stopBeyond must be a finite number > 0, got 0\. e\.g\. 1\.5/,
  );
  assert.throws(
    () => saddleTrajectories(saddle2d(), [], { perturbation: 1e-3, steps: 2 }),
    /saddleTrajectories: methods must be a non-empty array/,
  );
  assert.throws(
    () => saddleTrajectories(saddle2d(), [saddleMethod({ lr: 0.1 })], { perturbation: -1, steps: 2 }),
    /saddleTrajectories: perturbation must be a finite number >= 0, got -1/,
  );
});
