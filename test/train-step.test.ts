/**
 * The shared loss and training step (src/train/step.ts): the cross-entropy against the
 * log-sum-exp form, one SGD step on a tiny dense model against the closed-form gradient of
 * softmax cross-entropy, a function model with an L2 penalty, the `measure` hook, memory over
 * many steps, and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { classifierLoss, crossEntropy, trainStep, trainableVariables } from '../src/train/step';

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

// A batch of two samples with two features, two classes; weights chosen by hand.
const X = [
  [1, 2],
  [-1, 0.5],
];
const Y = [0, 1];
const W = [
  [0.1, -0.2],
  [0.3, 0.4],
];
const B = [0.05, -0.05];

/** Logits x W + b in float64. */
function logits64(w: number[][], b: number[]): number[][] {
  return X.map((x) => b.map((bj, j) => bj + x.reduce((s, xi, i) => s + xi * w[i]![j]!, 0)));
}

/** Softmax of one row in float64. */
function softmax64(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}

/** Mean over the batch of logsumexp(z) - z[y]: the cross-entropy written without softmax. */
function crossEntropy64(z: number[][]): number {
  return (
    z.reduce((s, row, i) => {
      const m = Math.max(...row);
      return s + m + Math.log(row.reduce((t, v) => t + Math.exp(v - m), 0)) - row[Y[i]!]!;
    }, 0) / z.length
  );
}

/**
 * Gradients of the mean cross-entropy: dL/dz_i = (softmax(z_i) - onehot(y_i)) / n, so
 * dL/dW = sum_i x_i^T dL/dz_i and dL/db = sum_i dL/dz_i.
 */
function gradients64(w: number[][], b: number[]): { dw: number[][]; db: number[] } {
  const n = X.length;
  const dz = logits64(w, b).map((z, i) => softmax64(z).map((p, j) => (p - (j === Y[i] ? 1 : 0)) / n));
  const dw = w.map((row, r) => row.map((_, c) => X.reduce((s, x, i) => s + x[r]! * dz[i]![c]!, 0)));
  const db = b.map((_, c) => dz.reduce((s, d) => s + d[c]!, 0));
  return { dw, db };
}

function denseModel(): tf.Sequential {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
  model.setWeights([tf.tensor2d(W), tf.tensor1d(B)]);
  return model;
}

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(actual[i]! - expected[i]!) < tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('crossEntropy is the batch mean of logsumexp(z) - z[y], labels as int or float', () => {
  const z = logits64(W, B);
  const expected = crossEntropy64(z);
  const before = tf.memory().numTensors;
  const [a, b] = tf.tidy(() => [
    crossEntropy(tf.tensor2d(z), tf.tensor1d(Y, 'int32')).dataSync()[0]!,
    crossEntropy(tf.tensor2d(z), tf.tensor1d(Y, 'float32')).dataSync()[0]!,
  ]);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(a - expected) < 1e-6, `${a} vs ${expected}`);
  assert.equal(b, a);
});

test('trainStep: one SGD step on a dense model is W - lr dL/dW, b - lr dL/db; the loss is that before the step', () => {
  const lr = 0.5;
  const model = denseModel();
  const optimizer = tf.train.sgd(lr);
  const x = tf.tensor2d(X);
  const y = tf.tensor1d(Y, 'int32');
  const expectedLoss = crossEntropy64(logits64(W, B));
  const lossBefore = tf.tidy(() => classifierLoss(model, x, y, { training: true }).dataSync()[0]!);
  const { loss, measured } = trainStep(model, optimizer, x, y);
  assert.equal(measured, undefined);
  assert.ok(Math.abs(loss.dataSync()[0]! - expectedLoss) < 1e-6);
  assert.equal(loss.dataSync()[0], lossBefore);
  const { dw, db } = gradients64(W, B);
  const [w1, b1] = model.getWeights();
  close(
    w1!.dataSync(),
    W.flatMap((row, r) => row.map((v, c) => v - lr * dw[r]![c]!)),
    1e-6,
    'kernel',
  );
  close(
    b1!.dataSync(),
    B.map((v, c) => v - lr * db[c]!),
    1e-6,
    'bias',
  );
  tf.dispose([loss, x, y]);
  optimizer.dispose();
  model.dispose();
});

test('trainStep: a function model over its own variables, with an L2 penalty in the loss and its gradient', () => {
  // F = CE + (l2/2)||W||^2: dF/dW = dCE/dW + l2 W, dF/db = dCE/db.
  const lr = 0.25;
  const l2 = 0.3;
  const w = tf.variable(tf.tensor2d(W));
  const b = tf.variable(tf.tensor1d(B));
  const model = (x: tf.Tensor): tf.Tensor => tf.add(tf.matMul(x, w), b);
  const penalty = (): tf.Scalar => tf.mul(0.5 * l2, tf.sum(tf.square(w))) as tf.Scalar;
  const optimizer = tf.train.sgd(lr);
  const x = tf.tensor2d(X);
  const y = tf.tensor1d(Y, 'int32');
  const sq = W.flat().reduce((s, v) => s + v * v, 0);
  const before = tf.memory().numTensors;
  const { loss } = trainStep(model, optimizer, x, y, { varList: [w, b], penalty });
  assert.ok(Math.abs(loss.dataSync()[0]! - (crossEntropy64(logits64(W, B)) + 0.5 * l2 * sq)) < 1e-6);
  loss.dispose();
  assert.equal(tf.memory().numTensors, before);
  const { dw, db } = gradients64(W, B);
  close(
    w.dataSync(),
    W.flatMap((row, r) => row.map((v, c) => v - lr * (dw[r]![c]! + l2 * v))),
    1e-6,
    'W',
  );
  close(
    b.dataSync(),
    B.map((v, c) => v - lr * db[c]!),
    1e-6,
    'b',
  );
  tf.dispose([w, b, x, y]);
  optimizer.dispose();
});

test('trainStep: measure sees the logits of the step (before the update) and its result outlives the step', () => {
  const model = denseModel();
  const optimizer = tf.train.sgd(1);
  const x = tf.tensor2d(X);
  const y = tf.tensor1d(Y, 'int32');
  const { loss, measured } = trainStep(model, optimizer, x, y, { measure: (logits) => tf.clone(logits) });
  close(measured!.dataSync(), logits64(W, B).flat(), 1e-6, 'logits');
  assert.equal(measured!.isDisposed, false);
  tf.dispose([loss, measured!, x, y]);
  optimizer.dispose();
  model.dispose();
});

test('trainStep: with an optimizer that has slots, every step after the first leaves the tensor count unchanged', () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 8, inputShape: [2], activation: 'tanh' }), tf.layers.dense({ units: 2 })],
  });
  const optimizer = tf.train.adam(0.01);
  const x = tf.tensor2d(X);
  const y = tf.tensor1d(Y, 'int32');
  const varList = trainableVariables(model);
  const step = (): void => {
    const { loss, measured } = trainStep(model, optimizer, x, y, { varList, measure: (logits) => tf.argMax(logits, -1) });
    tf.dispose([loss, measured!]);
  };
  step(); // creates Adam's moment slots (two per variable) and its step counters
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    step();
    assert.equal(tf.memory().numTensors, before, `after step ${i + 2}`);
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
});

test('trainStep: a function model without varList is refused with the fix', () => {
  const optimizer = tf.train.sgd(1);
  const x = tf.tensor2d(X);
  const y = tf.tensor1d(Y, 'int32');
  const before = tf.memory().numTensors;
  assert.throws(() => trainStep((t) => t, optimizer, x, y), /trainStep: a model given as a function needs options\.varList/);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
  optimizer.dispose();
});
