/**
 * Gradient clipping (by value, by global norm), the GAF's competitor: step semantics against
 * numbers derived by hand, order relative to the GAF and momentum, state round trip, config and
 * labels, validation errors and tensor leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { adam, rmsprop, sgd, sgdAdaptiveGaf, GafOptimizer } from '../src/optim/index';
import { resolveConfig, runIdOf } from '../src/config/index';
import { optimizerFromSettings } from '../src/optim/settings';
import { optimizerLabel } from '../src/results/load';
import { flattenObject } from '../src/results/flatten';

/** One step on loss = sum_i c_i * w_i per variable (so the gradient of w_i is exactly c_i). */
function stepLinear(opt: tf.Optimizer, start: number[][], coeffs: number[][], steps = 1): number[][] {
  const ws = start.map((s) => tf.variable(tf.tensor1d(s)));
  const cs = coeffs.map((c) => tf.tensor1d(c));
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => tf.addN(ws.map((w, k) => tf.sum(tf.mul(cs[k]!, w)))) as tf.Scalar);
  }
  const out = ws.map((w) => Array.from(w.dataSync()));
  tf.dispose([...ws, ...cs]);
  opt.dispose();
  return out;
}

const close = (a: number[][], b: number[][], tol = 1e-6): void => {
  assert.equal(a.length, b.length);
  a.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - b[i]![j]!) <= tol, `[${i}][${j}]: ${v} vs ${b[i]![j]}`)));
};

test('clip by value: every component is clipped to [-c, c] before the step', () => {
  // lr 1, c 0.5, gradient [2, -0.1, -3] -> clipped [0.5, -0.1, -0.5]; w = 0 - clipped.
  const w = stepLinear(sgd({ learningRate: 1, clip: { kind: 'value', value: 0.5 } }), [[0, 0, 0]], [[2, -0.1, -3]]);
  close(w, [[-0.5, 0.1, 0.5]]);
});

test('clip by norm: all gradients share one factor maxNorm/(global norm + 1e-6)', () => {
  // grads [3, 4] and [12]: global norm sqrt(9 + 16 + 144) = 13; maxNorm 1 -> factor 1/(13 + 1e-6).
  const f = 1 / (13 + 1e-6);
  const w = stepLinear(sgd({ learningRate: 1, clip: { kind: 'norm', maxNorm: 1 } }), [[0, 0], [0]], [[3, 4], [12]]);
  close(w, [[-3 * f, -4 * f], [-12 * f]]);
  // A norm already below maxNorm is left alone: grads [0.3, 0.4] (norm 0.5), maxNorm 1, lr 2 -> w = -[0.6, 0.8].
  close(stepLinear(sgd({ learningRate: 2, clip: { kind: 'norm', maxNorm: 1 } }), [[0, 0]], [[0.3, 0.4]]), [[-0.6, -0.8]]);
});

test('clipping acts on the raw gradient, before the GAF and momentum', () => {
  // clip value 0.5 then g = atan(x): gradient 2 -> 0.5 -> atan(0.5) = 0.4636476; lr 1.
  const withGafFirst = stepLinear(
    sgd({ learningRate: 1, clip: { kind: 'value', value: 0.5 }, gaf: gafs.atan({ alpha: 1, beta: 1 }) }),
    [[0]],
    [[2]],
  );
  close(withGafFirst, [[-Math.atan(0.5)]]);
  // Momentum 0.9 with clip 0.5 and gradient 2 every step: buffer 0.5, then 0.9*0.5 + 0.5 = 0.95;
  // after two steps at lr 1: w = -(0.5 + 0.95) = -1.45 (the buffer holds clipped values).
  close(stepLinear(sgd({ learningRate: 1, momentum: 0.9, clip: { kind: 'value', value: 0.5 } }), [[0]], [[2]], 2), [[-1.45]]);
  // Adam, RMSprop: value clipping is the chain's first stage; norm clipping is applied before the chain.
  const a = adam({ learningRate: 0.1, clip: { kind: 'value', value: 0.5 } });
  assert.equal(a.stages[0], 'clipByValue(0.5)');
  a.dispose();
  const r = rmsprop({ clip: { kind: 'norm', maxNorm: 2 } });
  assert.ok(!r.stages.some((s) => s.startsWith('clip')), 'norm clipping is not a per-variable stage');
  r.dispose();
});

test('clip survives getConfig/fromConfig and the adaptive-GAF optimizer accepts it', () => {
  const opt = sgdAdaptiveGaf({ learningRate: 0.1, shrink: 2, gamma: 2, clip: { kind: 'norm', maxNorm: 5 } });
  const copy = tf.serialization.SerializationMap.getMap().classNameMap['GafOptimizer']![1](
    GafOptimizer as never,
    opt.getConfig(),
  ) as GafOptimizer;
  assert.deepEqual(copy.recipe.clip, { kind: 'norm', maxNorm: 5 });
  opt.dispose();
  copy.dispose();
});

test('bad clip settings fail with the field and the fix', () => {
  assert.throws(
    () => sgd({ learningRate: 0.1, clip: { kind: 'max', value: 1 } as never }),
    /clip\.kind must be one of 'value', 'norm', 'rms', got "max"/,
  );
  assert.throws(() => sgd({ learningRate: 0.1, clip: { kind: 'value', value: -1 } }), /clip\.value must be > 0, got -1/);
  assert.throws(() => sgd({ learningRate: 0.1, clip: { kind: 'norm', max: 1 } as never }), /unknown option "max"/);
  assert.throws(() => resolveConfig(cfg({ kind: 'norm', value: 1 })), /optimizer\.clip/);
});

test('clipping leaks no tensors per step', () => {
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  const opt = sgd({ learningRate: 0.1, momentum: 0.9, clip: { kind: 'norm', maxNorm: 0.1 } });
  const loss = (): tf.Scalar => tf.sum(tf.square(w));
  opt.minimize(loss); // first step creates the momentum buffer
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) opt.minimize(loss);
  assert.equal(tf.memory().numTensors, before);
  opt.dispose();
  w.dispose();
});

function cfg(clip: unknown): Record<string, unknown> {
  return {
    dataset: { name: 'fashion-mnist' },
    model: { name: 'smallcnn' },
    optimizer: { name: 'sgd', options: { learningRate: 0.1 }, ...(clip === undefined ? {} : { clip }) },
    epochs: 1,
    batchSize: 8,
  };
}

test('configs: clip is validated, built into the optimizer, named in the run id and the label', () => {
  const r = resolveConfig(cfg({ kind: 'value', value: 0.25 }));
  assert.deepEqual((r.optimizer as { clip?: unknown }).clip, { kind: 'value', value: 0.25 });
  assert.match(runIdOf(r), /-sgd-clipv0\.25-s0-/);
  const opt = optimizerFromSettings(r.optimizer);
  assert.equal(opt.stages[0], 'clipByValue(0.25)');
  opt.dispose();
  assert.equal(optimizerLabel(flattenObject(r as unknown as Record<string, unknown>)), 'sgd + clip value 0.25');
  // No clip and an explicit null are the same run (same id), and differ from a clipped one.
  assert.equal(runIdOf(resolveConfig(cfg(undefined))), runIdOf(resolveConfig(cfg(null))));
  assert.notEqual(runIdOf(resolveConfig(cfg(undefined))), runIdOf(r));
});
