/**
 * Gradient observation: the numbers reported against closed forms, which steps are observed,
 * and that an optimizer nobody observes runs exactly the same kernels as one never observed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { DEFAULT_TINY_THRESHOLD, sgd, sgdAdaptiveGaf, withGaf, type GradientStats, type GradientSummary } from '../src/optim/index';

const A = { alpha: 0.1, beta: 20 };
const g = (x: number): number => 0.1 * Math.atan(20 * x);

/** l2, max|.|, fraction below 1e-3 of a plain array: the closed forms of the three statistics. */
function summary(xs: number[], threshold = 1e-3): GradientSummary {
  return {
    l2: Math.sqrt(xs.reduce((s, x) => s + x * x, 0)),
    maxAbs: Math.max(...xs.map(Math.abs)),
    tinyFraction: xs.filter((x) => Math.abs(x) < threshold).length / xs.length,
  };
}

function assertSummary(actual: GradientSummary, expected: GradientSummary, what: string): void {
  for (const k of ['l2', 'maxAbs', 'tinyFraction'] as const) {
    assert.ok(
      Math.abs(actual[k] - expected[k]) <= 1e-6 * Math.max(1, Math.abs(expected[k])),
      `${what}.${k}: ${actual[k]} vs ${expected[k]}`,
    );
  }
}

let uid = 0;
function params(): { w: tf.Variable; b: tf.Variable } {
  const id = uid++;
  return { w: tf.variable(tf.zeros([4]), true, `obs_w${id}`), b: tf.variable(tf.zeros([1]), true, `obs_b${id}`) };
}

const GW = [3, -4, 0.0008, 0];
const GB = [0.5];

function apply(opt: tf.Optimizer, ps: { w: tf.Variable; b: tf.Variable }): void {
  const gw = tf.tensor1d(GW);
  const gb = tf.tensor1d(GB);
  opt.applyGradients({ [ps.w.name]: gw, [ps.b.name]: gb });
  tf.dispose([gw, gb]);
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(DEFAULT_TINY_THRESHOLD, 1e-3);
});

test("stats of raw and activated gradients match the closed forms ('gradient' placement)", () => {
  // raw w = [3, -4, 0.0008, 0]: l2 = sqrt(25 + 6.4e-7) ~ 5, max 4, tiny (|g| < 1e-3) = 2/4
  // activated w = 0.1*atan(20 g) = [0.15541, -0.15583, 0.0016, 0]: tiny = 1/4 (the GAF lifted 0.0008 to 0.0016)
  const opt = sgd({ learningRate: 0.1, gaf: gafs.atan(A) });
  const ps = params();
  const seen: GradientStats[][] = [];
  opt.observeGradients({ onStats: (s) => seen.push(s) });
  apply(opt, ps);
  assert.equal(seen.length, 1, 'one call per step');
  const [w, b] = seen[0]!;
  assert.deepEqual([w!.variable, w!.step, w!.size, b!.variable, b!.step, b!.size], [ps.w.name, 1, 4, ps.b.name, 1, 1]);
  assertSummary(w!.raw, summary(GW), 'w.raw');
  assert.equal(w!.raw.tinyFraction, 0.5);
  assertSummary(w!.activated, summary(GW.map(g)), 'w.activated');
  assert.equal(w!.activated.tinyFraction, 0.25);
  assertSummary(b!.raw, { l2: 0.5, maxAbs: 0.5, tinyFraction: 0 }, 'b.raw');
  assertSummary(b!.activated, summary([g(0.5)]), 'b.activated');
  tf.dispose([ps.w, ps.b]);
  opt.dispose();
});

test("'update' placement reports the activated momentum output; no GAF reports activated = raw", () => {
  // Two identical gradients, momentum 0.9: b2 = 0.9*g + g = 1.9 g, activated = 0.1*atan(20*1.9 g).
  const opt = sgd({ learningRate: 0.1, momentum: 0.9, gaf: gafs.atan(A), gafPlacement: 'update' });
  const ps = params();
  const seen: GradientStats[][] = [];
  opt.observeGradients({ onStats: (s) => seen.push(s), tinyThreshold: 0.01 });
  apply(opt, ps);
  apply(opt, ps);
  const w = seen[1]![0]!;
  assert.equal(w.step, 2);
  assertSummary(w.raw, summary(GW, 0.01), 'raw');
  assertSummary(
    w.activated,
    summary(
      GW.map((x) => g(1.9 * x)),
      0.01,
    ),
    'activated',
  );

  const plain = sgd({ learningRate: 0.1, momentum: 0.9 });
  const seenPlain: GradientStats[][] = [];
  plain.observeGradients({ onStats: (s) => seenPlain.push(s) });
  apply(plain, ps);
  assert.deepEqual(seenPlain[0]![0]!.activated, seenPlain[0]![0]!.raw);
  assertSummary(seenPlain[0]![0]!.raw, summary(GW), 'plain raw');
  tf.dispose([ps.w, ps.b]);
  opt.dispose();
  plain.dispose();
});

test('adaptive GAF and withGaf report their activated values', () => {
  // Adaptive, no momentum, shrink = gamma = 2: alpha = 2*4/(2 pi), out = alpha*atan((2/alpha) g).
  const ada = sgdAdaptiveGaf({ learningRate: 0.1, shrink: 2, gamma: 2 });
  const alpha = (2 * 4) / (2 * Math.PI);
  const ps = params();
  const seen: GradientStats[][] = [];
  ada.observeGradients({ onStats: (s) => seen.push(s) });
  apply(ada, ps);
  assertSummary(seen[0]![0]!.activated, summary(GW.map((x) => alpha * Math.atan((2 / alpha) * x))), 'adaptive');

  const wrapped = withGaf(tf.train.sgd(0.1), gafs.atan(A));
  const seenW: GradientStats[][] = [];
  wrapped.observeGradients({ onStats: (s) => seenW.push(s) });
  apply(wrapped, ps);
  assertSummary(seenW[0]![0]!.raw, summary(GW), 'withGaf raw');
  assertSummary(seenW[0]![0]!.activated, summary(GW.map(g)), 'withGaf activated');
  assert.equal(seenW[0]![0]!.step, 1);
  tf.dispose([ps.w, ps.b]);
  ada.dispose();
  wrapped.dispose();
});

test('every: observes steps 1, 1+every, ...; stop() ends observation', () => {
  const opt = sgd({ learningRate: 0.1, gaf: gafs.atan(A) });
  const ps = params();
  const steps: number[] = [];
  const stop = opt.observeGradients({ every: 2, onStats: (s) => steps.push(s[0]!.step) });
  for (let k = 0; k < 5; k++) apply(opt, ps);
  stop();
  for (let k = 0; k < 3; k++) apply(opt, ps);
  assert.deepEqual(steps, [1, 3, 5]);
  // A new observer replaces the old one; the old stop function no longer affects it.
  const later: number[] = [];
  opt.observeGradients({ onStats: (s) => later.push(s[0]!.step) });
  stop();
  apply(opt, ps);
  assert.deepEqual(later, [9]);
  tf.dispose([ps.w, ps.b]);
  opt.dispose();
});

test('one dataSync per observed step, whatever the number of variables', () => {
  const opt = sgd({ learningRate: 0.1, gaf: gafs.atan(A) });
  const ps = params();
  const extra = tf.variable(tf.zeros([3]), true, `obs_extra${uid++}`);
  let calls = 0;
  opt.observeGradients({ onStats: () => calls++ });
  const proto = tf.Tensor.prototype as unknown as { dataSync: () => unknown };
  const original = proto.dataSync;
  let syncs = 0;
  proto.dataSync = function (this: tf.Tensor) {
    syncs++;
    return original.call(this);
  };
  try {
    const gs = [tf.tensor1d(GW), tf.tensor1d(GB), tf.tensor1d([1, 2, 3])];
    opt.applyGradients([
      { name: ps.w.name, tensor: gs[0]! },
      { name: ps.b.name, tensor: gs[1]! },
      { name: extra.name, tensor: gs[2]! },
    ]);
    tf.dispose(gs);
  } finally {
    proto.dataSync = original;
  }
  assert.equal(calls, 1);
  assert.equal(syncs, 1);
  tf.dispose([ps.w, ps.b, extra]);
  opt.dispose();
});

test('not observing costs nothing: same kernels as an optimizer never observed, callback never called', async () => {
  const kernelsOfOneStep = async (opt: tf.Optimizer, ps: { w: tf.Variable; b: tf.Variable }): Promise<string[]> =>
    (await tf.profile(() => apply(opt, ps))).kernelNames;
  const ps = params();
  const never = sgd({ learningRate: 0.1, momentum: 0.9, gaf: gafs.atan(A) });
  const stopped = sgd({ learningRate: 0.1, momentum: 0.9, gaf: gafs.atan(A) });
  let calls = 0;
  const stop = stopped.observeGradients({ onStats: () => calls++ });
  apply(never, ps);
  apply(stopped, ps); // step 1, observed
  const observedKernels = await kernelsOfOneStep(stopped, ps); // step 2, observed
  stop();
  const base = await kernelsOfOneStep(never, ps);
  const after = await kernelsOfOneStep(stopped, ps);
  assert.deepEqual(after, base);
  assert.ok(observedKernels.length > base.length, 'observing does add kernels, so the comparison can fail');
  assert.equal(calls, 2);
  tf.dispose([ps.w, ps.b]);
  never.dispose();
  stopped.dispose();
});

test('observeGradients rejects bad options, naming the field', () => {
  const opt = sgd({ learningRate: 0.1 });
  assert.throws(() => opt.observeGradients({ every: 0, onStats: () => {} }), /every must be >= 1, got 0/);
  assert.throws(() => opt.observeGradients({ every: 1.5, onStats: () => {} }), /every must be an integer >= 1, got 1.5/);
  assert.throws(() => opt.observeGradients({ tinyThreshold: 0, onStats: () => {} }), /tinyThreshold must be > 0, got 0/);
  assert.throws(() => opt.observeGradients({} as never), /onStats must be a function/);
});
