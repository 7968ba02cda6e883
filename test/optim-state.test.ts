/**
 * Serialisation, state save/restore, learning-rate changes and memory of the optimizers.
 * Expected values come from running the same optimizer configuration twice (the property under
 * test is "same state => same step"), or from hand derivations shown in comments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { adam, GafOptimizer, rmsprop, sgd, sgdAdaptiveGaf, withGaf, WithGafOptimizer, type NamedTensor } from '../src/optim/index';

const A = { alpha: 0.1, beta: 20 };
const MAKERS: [string, () => tf.Optimizer & { learningRate: number }][] = [
  ['sgd', () => sgd({ learningRate: 0.1 })],
  ['sgd nesterov + decay', () => sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['sgd atan gradient + dampening', () => sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.3, gaf: gafs.atan(A) })],
  ['sgd tanh update', () => sgd({ learningRate: 0.1, momentum: 0.9, gaf: gafs.tanh(A), gafPlacement: 'update' })],
  ['sgd log update', () => sgd({ learningRate: 0.1, momentum: 0.5, gaf: gafs.log(A), gafPlacement: 'update' })],
  ['adaptive', () => sgdAdaptiveGaf({ learningRate: 0.1, momentum: 0.9, shrink: 2, gamma: 2, weightDecay: 0.01 })],
  ['adam atan + decay', () => adam({ learningRate: 0.01, weightDecay: 0.01, gaf: gafs.atan({ alpha: 0.1, beta: 15 }) })],
  ['rmsprop centered momentum atan', () => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5, gaf: gafs.atan(A) })],
  ['withGaf(tf.train.adam)', () => withGaf(tf.train.adam(0.01), gafs.atan(A))],
  ['withGaf(tf.train.momentum)', () => withGaf(tf.train.momentum(0.1, 0.9), gafs.tanh(A))],
];

/** Gradient of step k (1-based) for a 2x2 weight and a 3-vector bias: fixed, varied numbers. */
function grads(k: number): { w: number[][]; b: number[] } {
  return {
    w: [
      [0.3 * Math.sin(k), -0.2 * k],
      [0.05 / k, 0.4 * Math.cos(2 * k)],
    ],
    b: [0.1 * k, -0.3, 0.02 * Math.sin(3 * k)],
  };
}

let uid = 0;

/** Two variables (so per-variable state order matters) with unique names. */
function makeParams(): { w: tf.Variable; b: tf.Variable; names: [string, string] } {
  const id = uid++;
  const w = tf.variable(
    tf.tensor2d([
      [1, -2],
      [0.5, 3],
    ]),
    true,
    `state_w${id}`,
  );
  const b = tf.variable(tf.tensor1d([0.1, -0.1, 2]), true, `state_b${id}`);
  return { w, b, names: [w.name, b.name] };
}

function step(opt: tf.Optimizer, ps: { w: tf.Variable; b: tf.Variable }, k: number): void {
  const g = grads(k);
  const gw = tf.tensor2d(g.w);
  const gb = tf.tensor1d(g.b);
  opt.applyGradients(
    k % 2 === 0
      ? { [ps.w.name]: gw, [ps.b.name]: gb }
      : [
          { name: ps.w.name, tensor: gw },
          { name: ps.b.name, tensor: gb },
        ],
  );
  tf.dispose([gw, gb]);
}

const values = (ps: { w: tf.Variable; b: tf.Variable }): number[] => [...ps.w.dataSync(), ...ps.b.dataSync()];

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('both classes are registered with tf.serialization', () => {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  assert.equal(map['GafOptimizer']?.[0], GafOptimizer);
  assert.equal(map['WithGafOptimizer']?.[0], WithGafOptimizer);
  assert.equal(sgd({ learningRate: 0.1 }).getClassName(), 'GafOptimizer');
  assert.equal(withGaf(tf.train.sgd(0.1), gafs.atan(A)).getClassName(), 'WithGafOptimizer');
});

for (const [label, make] of MAKERS) {
  test(`getConfig -> JSON -> fromConfig gives the same optimizer: ${label}`, () => {
    const original = make();
    const json = JSON.parse(JSON.stringify({ className: original.getClassName(), config: original.getConfig() }));
    const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[json.className]!;
    const copy = fromConfig(cls, json.config) as tf.Optimizer;
    assert.deepEqual(copy.getConfig(), original.getConfig());
    const p1 = makeParams();
    const p2 = makeParams();
    for (let k = 1; k <= 3; k++) {
      step(original, p1, k);
      step(copy, p2, k);
    }
    assert.deepEqual(values(p2), values(p1));
    tf.dispose([p1.w, p1.b, p2.w, p2.b]);
    original.dispose();
    copy.dispose();
  });

  test(`getWeights after 2 steps, setWeights into a new optimizer: identical 3rd step: ${label}`, async () => {
    const ps = makeParams();
    const a = make();
    step(a, ps, 1);
    step(a, ps, 2);
    const saved = await a.getWeights();
    assert.equal(saved[0]!.name, 'iter');
    assert.equal(saved[0]!.tensor.dataSync()[0], 2);
    const before = [ps.w.clone(), ps.b.clone()];
    step(a, ps, 3);
    const afterA = values(ps);

    ps.w.assign(before[0]!);
    ps.b.assign(before[1]!);
    const b = make();
    await b.setWeights(saved);
    assert.equal(b.iterations, 2);
    step(b, ps, 3);
    if (label.startsWith('withGaf(tf.train.adam')) {
      // tfjs's AdamOptimizer.setWeights recomputes beta^t with pow() where the running optimizer
      // multiplied it step by step: equal up to float32 rounding, not bitwise.
      values(ps).forEach((v, i) => assert.ok(Math.abs(v - afterA[i]!) <= 1e-6 * Math.max(1, Math.abs(afterA[i]!)), `${v} vs ${afterA[i]}`));
    } else {
      assert.deepEqual(values(ps), afterA);
    }
    // Without the restored state the 3rd step differs (so the comparison above can fail),
    // except for plain SGD, which has no state.
    if (label !== 'sgd') {
      ps.w.assign(before[0]!);
      ps.b.assign(before[1]!);
      const c = make();
      step(c, ps, 3);
      assert.notDeepEqual(values(ps), afterA);
      c.dispose();
    }
    tf.dispose([...before, ...saved.map((s) => s.tensor), ps.w, ps.b]);
    a.dispose();
    b.dispose();
  });

  test(`no tensor leak over 100 steps, with and without observation: ${label}`, () => {
    const ps = makeParams();
    const start = tf.memory().numTensors;
    const opt = make();
    step(opt, ps, 1);
    const afterFirst = tf.memory().numTensors;
    for (let k = 2; k <= 101; k++) step(opt, ps, k);
    assert.equal(tf.memory().numTensors, afterFirst, 'after 100 steps');
    const observable = opt as unknown as { observeGradients: GafOptimizer['observeGradients'] };
    let calls = 0;
    const stop = observable.observeGradients({ onStats: () => calls++ });
    for (let k = 102; k <= 201; k++) step(opt, ps, k);
    stop();
    assert.equal(calls, 100);
    assert.equal(tf.memory().numTensors, afterFirst, 'after 100 observed steps');
    // minimize (the NamedTensorMap path with gradients made by tfjs) does not leak either.
    for (let k = 0; k < 10; k++) opt.minimize(() => tf.add(tf.sum(tf.square(ps.w)), tf.sum(tf.mul(ps.b, 0.5))) as tf.Scalar);
    assert.equal(tf.memory().numTensors, afterFirst, 'after 10 minimize calls');
    opt.dispose();
    if (!label.startsWith('withGaf')) assert.equal(tf.memory().numTensors, start, 'dispose frees all optimizer state');
    tf.dispose([ps.w, ps.b]);
  });
}

test('restored state binds by position to renamed variables of the same shapes (a rebuilt model)', async () => {
  const make = MAKERS[7]![1];
  const ps = makeParams();
  const a = make();
  step(a, ps, 1);
  step(a, ps, 2);
  const saved = await a.getWeights();
  const other = makeParams(); // new names, same shapes
  other.w.assign(ps.w);
  other.b.assign(ps.b);
  step(a, ps, 3);
  const b = make();
  await b.setWeights(saved);
  step(b, other, 3);
  assert.deepEqual(values(other), values(ps));

  // Shapes that do not pair up are an error naming the variables.
  const c = make();
  await c.setWeights(saved);
  const wrong = tf.variable(tf.zeros([5]), true, `state_wrong${uid++}`);
  const g = tf.zeros([5]);
  assert.throws(
    () => c.applyGradients({ [wrong.name]: g }),
    /restored state for \[state_w\d+, state_b\d+\] does not match variables \[state_wrong\d+ \[5\]\]/,
  );
  tf.dispose([...saved.map((s) => s.tensor), ps.w, ps.b, other.w, other.b, wrong, g]);
  a.dispose();
  b.dispose();
  c.dispose();
});

test('setWeights rejects state saved by an optimizer with other slots', async () => {
  const ps = makeParams();
  const a = adam({ learningRate: 0.01 });
  step(a, ps, 1);
  const saved = await a.getWeights();
  const s = sgd({ learningRate: 0.1, momentum: 0.9 });
  await assert.rejects(s.setWeights(saved), /setWeights: unexpected entry "state_w\d+\/m"; this optimizer keeps slots momentum/);
  const m = sgd({ learningRate: 0.1 });
  await assert.rejects(m.setWeights(saved), /keeps no per-variable state/);
  const partial: NamedTensor[] = saved.filter((x) => !x.name.endsWith('/v'));
  await assert.rejects(adam({}).setWeights(partial), /state of "state_w\d+" lacks slot\(s\) v/);
  tf.dispose([...saved.map((x) => x.tensor), ps.w, ps.b]);
  a.dispose();
});

test('learningRate can be changed between steps (GafOptimizer and withGaf(tf.train.sgd))', () => {
  // p = [1], g = [1] each step: lr 0.1 then 0.05 then 0.2 -> p = 1 - 0.1 - 0.05 - 0.2 = 0.65
  for (const opt of [
    sgd({ learningRate: 0.1 }),
    withGaf(tf.train.sgd(0.1), gafs.custom({ name: 'identity_for_lr_test', fn: (x) => x.clone(), bound: Infinity })),
  ]) {
    const p = tf.variable(tf.tensor1d([1]), true, `lr_p${uid++}`);
    const g = tf.tensor1d([1]);
    opt.applyGradients({ [p.name]: g });
    opt.learningRate = 0.05;
    assert.equal(opt.learningRate, 0.05);
    opt.applyGradients({ [p.name]: g });
    opt.setLearningRate(0.2);
    opt.applyGradients({ [p.name]: g });
    assert.ok(Math.abs(p.dataSync()[0]! - 0.65) < 1e-6, `${opt.getClassName()}: ${p.dataSync()[0]}`);
    assert.equal(
      (opt.getConfig() as { learningRate?: number }).learningRate ??
        (opt.getConfig().inner as { config: { learningRate: number } }).config.learningRate,
      0.2,
    );
    assert.throws(() => {
      opt.learningRate = -1;
    }, /learningRate must be >= 0, got -1/);
    tf.dispose([p, g]);
    opt.dispose();
  }
});

test('a custom GAF survives getConfig/fromConfig in the same process', () => {
  const soft = gafs.custom({ name: 'softsign_state_test', fn: (x) => tf.div(x, tf.add(tf.abs(x), 1)), bound: 1 });
  const original = sgd({ learningRate: 0.1, gaf: soft });
  const copy = GafOptimizer.fromConfig<GafOptimizer>(GafOptimizer, JSON.parse(JSON.stringify(original.getConfig())));
  // g = [1, -3]: softsign = [0.5, -0.75]; p = [0, 0] - 0.1*[0.5, -0.75] = [-0.05, 0.075]
  for (const opt of [original, copy]) {
    const p = tf.variable(tf.zeros([2]), true, `custom_p${uid++}`);
    const g = tf.tensor1d([1, -3]);
    opt.applyGradients({ [p.name]: g });
    const v = p.dataSync();
    assert.ok(Math.abs(v[0]! + 0.05) < 1e-7 && Math.abs(v[1]! - 0.075) < 1e-7, String(v));
    tf.dispose([p, g]);
  }
});
