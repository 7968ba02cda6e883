/** Every invalid setting is rejected at construction with a message naming the field and value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { adam, GafOptimizer, rmsprop, sgd, sgdAdaptiveGaf, withGaf } from '../src/optim/index';

const CASES: [string, () => unknown, RegExp][] = [
  // sgd
  ['sgd negative lr', () => sgd({ learningRate: -0.1 }), /^Error: sgd: learningRate must be >= 0, got -0\.1\./],
  ['sgd NaN lr', () => sgd({ learningRate: NaN }), /sgd: learningRate must be a finite number \(>= 0\), got NaN/],
  ['sgd infinite lr', () => sgd({ learningRate: Infinity }), /sgd: learningRate must be a finite number \(>= 0\), got Infinity/],
  ['sgd missing lr', () => sgd({} as never), /sgd: learningRate is required/],
  ['sgd momentum 1', () => sgd({ learningRate: 0.1, momentum: 1 }), /sgd: momentum must be in \[0, 1\), got 1\./],
  ['sgd momentum < 0', () => sgd({ learningRate: 0.1, momentum: -0.5 }), /sgd: momentum must be in \[0, 1\), got -0\.5/],
  ['sgd dampening > 1', () => sgd({ learningRate: 0.1, momentum: 0.9, dampening: 1.5 }), /sgd: dampening must be in \[0, 1\], got 1\.5/],
  ['sgd dampening < 0', () => sgd({ learningRate: 0.1, dampening: -0.1 }), /sgd: dampening must be in \[0, 1\], got -0\.1/],
  [
    'nesterov without momentum',
    () => sgd({ learningRate: 0.1, nesterov: true }),
    /sgd: nesterov needs momentum > 0 and dampening = 0 \(PyTorch rule\), got "true with momentum=0, dampening=0"/,
  ],
  [
    'nesterov with dampening',
    () => sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
    /sgd: nesterov needs .*dampening=0\.1/,
  ],
  ['nesterov not boolean', () => sgd({ learningRate: 0.1, nesterov: 'yes' as never }), /sgd: nesterov must be true or false, got "yes"/],
  ['sgd weightDecay < 0', () => sgd({ learningRate: 0.1, weightDecay: -1e-4 }), /sgd: weightDecay must be >= 0, got -0\.0001/],
  [
    'gafPlacement',
    () => sgd({ learningRate: 0.1, gaf: gafs.atan(), gafPlacement: 'grad' as never }),
    /sgd: gafPlacement must be one of 'gradient', 'update', got "grad"/,
  ],
  [
    'gaf as a string',
    () => sgd({ learningRate: 0.1, gaf: 'atan' as never }),
    /sgd: gaf must be a GAF object, got "atan"\. Make one with gafs\.atan/,
  ],
  [
    'gaf as a config',
    () => sgd({ learningRate: 0.1, gaf: { kind: 'atan', alpha: 0.1 } as never }),
    /sgd: gaf must be a GAF object, got \{"kind":"atan","alpha":0\.1\}/,
  ],
  [
    'unknown option',
    () => sgd({ learningRate: 0.1, lr: 0.1 } as never),
    /sgd: unknown option "lr"\. Valid options: learningRate, momentum/,
  ],
  // adaptive
  ['shrink 0', () => sgdAdaptiveGaf({ learningRate: 0.1, shrink: 0, gamma: 2 }), /sgdAdaptiveGaf: shrink must be > 0, got 0/],
  ['shrink < 0', () => sgdAdaptiveGaf({ learningRate: 0.1, shrink: -2, gamma: 2 }), /sgdAdaptiveGaf: shrink must be > 0, got -2/],
  [
    'shrink missing',
    () => sgdAdaptiveGaf({ learningRate: 0.1, gamma: 2 } as never),
    /sgdAdaptiveGaf: shrink is required\. The reference runs used e\.g\. shrink=2, gamma=2\./,
  ],
  ['gamma 0', () => sgdAdaptiveGaf({ learningRate: 0.1, shrink: 2, gamma: 0 }), /sgdAdaptiveGaf: gamma must be > 0, got 0/],
  [
    'adaptive momentum',
    () => sgdAdaptiveGaf({ learningRate: 0.1, shrink: 2, gamma: 2, momentum: 1.2 }),
    /sgdAdaptiveGaf: momentum must be in \[0, 1\), got 1\.2/,
  ],
  // adam
  ['adam lr', () => adam({ learningRate: -1 }), /adam: learningRate must be >= 0, got -1/],
  ['beta1 1', () => adam({ beta1: 1 }), /adam: beta1 must be in \[0, 1\), got 1/],
  ['beta2 < 0', () => adam({ beta2: -0.1 }), /adam: beta2 must be in \[0, 1\), got -0\.1/],
  ['adam epsilon 0', () => adam({ epsilon: 0 }), /adam: epsilon must be > 0, got 0/],
  ['adam weightDecay', () => adam({ weightDecay: -1 }), /adam: weightDecay must be >= 0, got -1/],
  ['adam gaf', () => adam({ gaf: (x: number) => x } as never), /adam: gaf must be a GAF object, got a function/],
  // rmsprop
  ['rmsprop decay 1', () => rmsprop({ decay: 1 }), /rmsprop: decay must be in \[0, 1\), got 1/],
  ['rmsprop epsilon < 0', () => rmsprop({ epsilon: -1e-8 }), /rmsprop: epsilon must be > 0, got -1e-8/],
  ['rmsprop momentum', () => rmsprop({ momentum: 1 }), /rmsprop: momentum must be in \[0, 1\), got 1/],
  ['rmsprop centered', () => rmsprop({ centered: 1 as never }), /rmsprop: centered must be true or false, got 1/],
  ['rmsprop lr', () => rmsprop({ learningRate: NaN }), /rmsprop: learningRate must be a finite number/],
  // withGaf
  ['withGaf not an optimizer', () => withGaf({} as never, gafs.atan()), /withGaf: optimizer must be a tf\.Optimizer/],
  ['withGaf no gaf', () => withGaf(tf.train.sgd(0.1), undefined as never), /withGaf: gaf is required/],
  ['withGaf bad gaf', () => withGaf(tf.train.sgd(0.1), 3 as never), /withGaf: gaf must be a GAF object, got 3/],
  // config
  [
    'fromConfig unknown kind',
    () => GafOptimizer.fromConfig(GafOptimizer, { kind: 'lion', learningRate: 0.1 }),
    /unknown optimizer kind "lion"/,
  ],
  [
    'fromConfig bad value',
    () => GafOptimizer.fromConfig(GafOptimizer, { kind: 'sgd', learningRate: 0.1, momentum: 2, gaf: null }),
    /GafOptimizer\.fromConfig\(kind=sgd\): momentum must be in \[0, 1\), got 2/,
  ],
];

for (const [label, fn, message] of CASES) {
  test(`rejects: ${label}`, () => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(String(e), message);
      return true;
    });
  });
}

test('setting an invalid learning rate later is rejected and keeps the old one', () => {
  const opt = sgd({ learningRate: 0.1 });
  assert.throws(() => {
    opt.learningRate = Number.NaN;
  }, /GafOptimizer\.learningRate: learningRate must be a finite number/);
  assert.equal(opt.learningRate, 0.1);
});

test('applyGradients names an unknown variable and a mis-shaped gradient', async () => {
  await tf.setBackend('cpu');
  const opt = sgd({ learningRate: 0.1 });
  const g = tf.tensor1d([1, 2]);
  assert.throws(() => opt.applyGradients({ no_such_variable_xyz: g }), /no variable named "no_such_variable_xyz" is registered/);
  const v = tf.variable(tf.zeros([3]), true, 'validation_v');
  assert.throws(() => opt.applyGradients({ validation_v: g }), /gradient of "validation_v" has shape \[2\], the variable has \[3\]/);
  // A call with one good and one bad gradient changes nothing and leaks nothing.
  const ok = tf.variable(tf.zeros([2]), true, 'validation_ok');
  const observed = sgd({ learningRate: 0.1, momentum: 0.9 });
  observed.observeGradients({ onStats: () => assert.fail('no stats for a failed step') });
  const before = tf.memory().numTensors;
  assert.throws(() => observed.applyGradients({ validation_ok: g, validation_v: g }), /gradient of "validation_v"/);
  assert.deepEqual(Array.from(ok.dataSync()), [0, 0]);
  assert.equal(observed.iterations, 0);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([g, v, ok]);
});
