/**
 * cnnLossCurves (notebook 05's small-CNN part) on the zoo's smallcnn shrunk to 4x4x1 inputs so
 * that it trains on the cpu backend in milliseconds: f(w_0) against an independent
 * log-softmax computation, determinism, the linear-GAF equivalence g(x) = 2x at lr = plain SGD at
 * 2 lr, divergence, best-run bookkeeping, leaks and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import { createModel } from '../src/models/index';
import { cnnLossCurves, describeCnnCurves, disposeFlatData, type FlatData } from '../src/theory/index';

const SHAPE: [number, number, number] = [4, 4, 1];

/** n images of 4x4x1 (seeded uniform in [0, 1]), labels i mod 3. */
function images(n: number): FlatData {
  const x = tf.tidy(() => tf.randomUniform([n, 16], 0, 1, 'float32', 5)) as tf.Tensor2D;
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % 3),
    'int32',
  );
  return { x, y, count: n, features: 16, classes: 3 };
}

/** g(x) = 2x: SGD with it at lr is, step for step, SGD at 2 lr. */
const double = gafs.custom({ name: 'test-cnn-double', fn: (x) => tf.mul(x, 2), derivative: () => 2 });

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('cnnLossCurves: f(w_0) is the mean cross-entropy of the seeded model on the eval images', () => {
  const data = images(12);
  const before = tf.memory().numTensors;
  const res = cnnLossCurves({
    data,
    inputShape: SHAPE,
    steps: 4,
    batchSize: 4,
    evalEvery: 2,
    evalSize: 8,
    initSeed: 3,
    methods: [{ label: 'SGD', make: (lr) => sgd({ learningRate: lr }), lrs: [0.05] }],
  });
  assert.equal(tf.memory().numTensors, before, 'models, optimizers and eval tensors are disposed');
  assert.deepEqual(
    res.rows.map((r) => r.step),
    [0, 2, 4],
  );
  // Independent: the same model (same seed), batch-norm in training mode over the same 8 images,
  // cross-entropy as -mean(logits[y] - logsumexp(logits)) read back and summed in float64.
  const model = createModel('smallcnn', { inputShape: SHAPE, numClasses: 3, seed: 3 });
  const logits = tf.tidy(
    () =>
      (model.apply(tf.reshape(data.x.slice([0, 0], [8, -1]), [8, ...SHAPE]), { training: true }) as tf.Tensor).arraySync() as number[][],
  );
  const labels = Array.from(data.y.dataSync()).slice(0, 8);
  const f0 = logits.reduce((s, z, i) => {
    const m = Math.max(...z);
    return s + (m + Math.log(z.reduce((t, v) => t + Math.exp(v - m), 0)) - z[labels[i]!]!) / 8;
  }, 0);
  assert.ok(Math.abs(res.rows[0]!.loss - f0) < 1e-5, `${res.rows[0]!.loss} vs ${f0}`);
  // smallcnn on 4x4x1, 3 classes: conv1 3*3*1*32 = 288 + BN 64; conv2 3*3*32*64 = 18432 + BN 128;
  // after two 2x2 pools 1x1x64 -> dense 64*3 + 3 = 195. Total 288 + 64 + 18432 + 128 + 195 = 19107.
  assert.equal(res.params, 19107);
  model.dispose();
  disposeFlatData(data);
});

test('cnnLossCurves: SGD + (g(x) = 2x) at lr follows plain SGD at 2 lr; same start; best run per method', () => {
  const data = images(12);
  const res = cnnLossCurves({
    data,
    inputShape: SHAPE,
    steps: 6,
    batchSize: 4,
    evalEvery: 3,
    methods: [
      { label: 'SGD', make: (lr) => sgd({ learningRate: lr }), lrs: [0.02, 0.04] },
      { label: 'SGD+2x', make: (lr) => sgd({ learningRate: lr, gaf: double }), lrs: [0.02] },
    ],
  });
  assert.equal(res.runs.length, 3);
  const curve = (m: string, lr: number): number[] => res.rows.filter((r) => r.method === m && r.lr === lr).map((r) => r.loss);
  const a = curve('SGD+2x', 0.02);
  const b = curve('SGD', 0.04);
  assert.equal(a.length, 3);
  // lr * 2d = (2 lr) * d exactly in exact arithmetic; float32 rounding differs at most slightly.
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-4 * Math.max(1, Math.abs(v)), `step ${3 * i}: ${v} vs ${b[i]}`));
  assert.ok(res.rows.filter((r) => r.step === 0).every((r) => r.loss === res.rows[0]!.loss));
  const sgdRuns = res.runs.filter((r) => r.method === 'SGD');
  assert.equal(sgdRuns.filter((r) => r.best).length, 1);
  assert.equal(sgdRuns.find((r) => r.best)!.finalLoss, Math.min(...sgdRuns.map((r) => r.finalLoss)));
  assert.deepEqual([...new Set(res.bestRows.map((r) => `${r.method}@${r.lr}`))], [`SGD@${sgdRuns.find((r) => r.best)!.lr}`, 'SGD+2x@0.02']);
  assert.ok(res.rows.every((r) => r.run === `${r.method}, lr ${r.lr}`));
  const best = res.runs.find((r) => r.method === 'SGD+2x')!;
  assert.equal(best.p, best.fits!.sublinear.rate);
  assert.equal(best.rhoR2, best.fits!.linear.r2);
  const lines = describeCnnCurves(res);
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /^SGD\+2x: best lr 0\.02 of 0\.02: f \d\.\d{3} -> \d\.\d{4}; f ~ t\^-/);
  disposeFlatData(data);
});

test('cnnLossCurves: a huge learning rate diverges (f above 10 f(w_0) or not finite) and is never best', () => {
  const data = images(8);
  const before = tf.memory().numTensors;
  const res = cnnLossCurves({
    data,
    inputShape: SHAPE,
    steps: 6,
    batchSize: 4,
    evalEvery: 1,
    methods: [{ label: 'SGD', make: (lr) => sgd({ learningRate: lr }), lrs: [1e6] }],
  });
  assert.equal(tf.memory().numTensors, before);
  const r = res.runs[0]!;
  assert.equal(r.diverged, true);
  assert.ok(Number.isNaN(r.finalLoss));
  assert.equal(r.best, false);
  assert.equal(r.fits, null);
  assert.equal(res.bestRows.length, 0);
  assert.match(describeCnnCurves(res)[0]!, /^SGD: every run diverged \(lr 1000000\)\.$/);
  disposeFlatData(data);
});

test('cnnLossCurves: bad input names the field', () => {
  const data = images(4);
  const m = [{ label: 'SGD', make: (lr: number) => sgd({ learningRate: lr }), lrs: [0.1] }];
  assert.throws(
    () => cnnLossCurves({ data, methods: m, steps: 1 }),
    /cnnLossCurves: inputShape must be \[height, width, channels\] with height\*width\*channels = 16/,
  );
  assert.throws(
    () => cnnLossCurves({ data, inputShape: SHAPE, methods: [], steps: 1 }),
    /cnnLossCurves: methods must be a non-empty array/,
  );
  assert.throws(
    () => cnnLossCurves({ data, inputShape: SHAPE, methods: [{ ...m[0]!, lrs: [-1] }], steps: 1 }),
    /cnnLossCurves: lrs of SGD\[0\] must be a finite number > 0, got -1/,
  );
  disposeFlatData(data);
});
