import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs, gafFromJSON, checkConditions, formatConditionReport } from '../src/gaf/index';

tf.setBackend('cpu');

const close = (a: number, b: number, rel = 1e-12, what = ''): void =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what} ${a} != ${b}`);

test('atan: values from closed forms', () => {
  const g = gafs.atan({ alpha: 0.1, beta: 20 });
  // 0.1*atan(20*0.05) = 0.1*atan(1) = 0.1*pi/4
  close(g.value(0.05), (0.1 * Math.PI) / 4);
  close(g.value(-0.05), (-0.1 * Math.PI) / 4);
  // g'(x) = alpha*beta/(1+(beta x)^2): at 0 it is 2, at 0.05 it is 2/(1+1) = 1
  close(g.derivative(0), 2);
  close(g.derivative(0.05), 1);
  assert.equal(g.bound, (0.1 * Math.PI) / 2);
  assert.equal(g.name, '0.1*atan(20x)');
});

test('tanh and log: values from closed forms', () => {
  const t = gafs.tanh({ alpha: 0.2, beta: 10 });
  // tanh(ln 2) = (2 - 1/2)/(2 + 1/2) = 0.6, so g(ln2/10) = 0.12; g' = ab(1 - tanh^2) = 2*0.64
  close(t.value(Math.LN2 / 10), 0.12);
  close(t.derivative(Math.LN2 / 10), 2 * 0.64);
  assert.equal(t.bound, 0.2);
  const l = gafs.log({ alpha: 0.1, beta: 20 });
  // 0.1*ln(1 + 20*|x|): at x = -(e-1)/20 the log is 1, so g = -0.1; g' = 2/(1+20|x|) = 2/e
  close(l.value(-(Math.E - 1) / 20), -0.1);
  close(l.derivative(-(Math.E - 1) / 20), 2 / Math.E);
  assert.equal(l.bound, Infinity);
});

test('tensor application agrees with the number form and with the reference log formula', () => {
  const xs = [-3, -0.5, -1e-4, 0, 1e-6, 0.01, 0.2, 7];
  for (const g of [gafs.atan({ alpha: 0.1, beta: 20 }), gafs.tanh({ alpha: 0.3, beta: 4.5 }), gafs.log({ alpha: 0.2, beta: 10 })]) {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d(xs);
    const y = g.apply(x);
    const got = Array.from(y.dataSync());
    x.dispose();
    y.dispose();
    assert.equal(tf.memory().numTensors, before, `${g.name} leaked tensors`);
    xs.forEach((v, i) => close(got[i]!, g.value(v), 1e-6, `${g.name} at ${v}`));
  }
  // The reference's log GAF: alpha*ln(relu(beta x)+1) - alpha*ln(relu(-beta x)+1).
  const l = gafs.log({ alpha: 0.2, beta: 10 });
  const ref = (x: number): number => 0.2 * Math.log(Math.max(10 * x, 0) + 1) - 0.2 * Math.log(Math.max(-10 * x, 0) + 1);
  for (const v of xs) close(l.value(v), ref(v), 1e-12, `log at ${v}`);
});

test('derivatives agree with central finite differences', () => {
  for (const g of [gafs.atan({ alpha: 0.1, beta: 20 }), gafs.tanh({ alpha: 0.2, beta: 10 }), gafs.log({ alpha: 0.05, beta: 20 })]) {
    for (const x of [-0.7, -0.01, 0.003, 0.2, 1.5]) {
      const h = 1e-6;
      close(g.derivative(x), (g.value(x + h) - g.value(x - h)) / (2 * h), 1e-6, `${g.name}'(${x})`);
    }
  }
});

test('JSON round trip rebuilds an equal GAF', () => {
  for (const g of [gafs.atan({ alpha: 0.05, beta: 20 }), gafs.tanh({ alpha: 0.2, beta: 10 }), gafs.log({ alpha: 0.1, beta: 20 })]) {
    const back = gafFromJSON(JSON.stringify(g.toJSON()));
    assert.deepEqual(back.toJSON(), g.toJSON());
    assert.equal(back.name, g.name);
    close(back.value(0.3), g.value(0.3));
  }
  // Omitted parameters take the reference's defaults (alpha 0.3, beta 4.5).
  assert.equal(gafs.atan().name, '0.3*atan(4.5x)');
});

test('custom GAF: automatic derivative, registry round trip, clear error when undefined', () => {
  const g = gafs.custom({ name: 'twice-softsign', fn: (x) => tf.div(tf.mul(x, 2), tf.add(1, tf.abs(x))), bound: 2 });
  // g(x) = 2x/(1+|x|): g(1) = 1, g'(x) = 2/(1+|x|)^2 so g'(1) = 0.5, g'(0) = 2
  close(g.value(1), 1, 1e-6);
  close(g.derivative(1), 0.5, 1e-6);
  close(g.derivative(0), 2, 1e-6);
  assert.equal(gafFromJSON(g.toJSON()), g);
  assert.throws(() => gafFromJSON({ kind: 'custom', name: 'never-defined' }), /never-defined.*gafs\.custom/);
  const withD = gafs.custom({ name: 'lin2', fn: (x) => tf.mul(x, 2), derivative: () => 2 });
  assert.equal(withD.derivative(123), 2);
});

test('invalid hyper-parameters fail at construction with the field named', () => {
  assert.throws(() => gafs.atan({ alpha: 0, beta: 20 }), /alpha must be > 0, got 0/);
  assert.throws(() => gafs.tanh({ alpha: 0.1, beta: -1 }), /beta must be > 0, got -1/);
  assert.throws(() => gafs.log({ alpha: NaN, beta: 1 }), /alpha must be a finite number, got NaN/);
  assert.throws(() => gafs.atan({ alpha: 1, beta: Infinity }), /beta must be a finite number/);
  assert.throws(() => gafFromJSON({ kind: 'relu' as never }), /unknown kind "relu"/);
  assert.throws(() => gafs.custom({ name: '', fn: (x) => x }), /non-empty `name`/);
});

test('conditions: atan with alpha*beta > 1 meets all four, with evidence', () => {
  const r = checkConditions(gafs.atan({ alpha: 0.1, beta: 20 }));
  assert.equal(r.allHold, true);
  close(r.slopeAtZero, 2);
  close(r.bound, 0.05 * Math.PI);
  assert.equal(r.bounded, true);
  // |0.1 atan(20x)| > |x| up to the fixed point x* of 0.1 atan(20x) = x, between 0.11 and 0.12:
  // 0.1*atan(2.2) = 0.1144 > 0.11, 0.1*atan(2.4) = 0.1176 < 0.12.
  assert.ok(r.enlargesBelow > 0.11 && r.enlargesBelow < 0.12, `enlargesBelow ${r.enlargesBelow}`);
  assert.match(formatConditionReport(r), /all four conditions hold/);
});

test('conditions: atan with alpha*beta <= 1 does not enlarge tiny gradients', () => {
  for (const [alpha, beta] of [
    [0.5, 1],
    [0.1, 10],
  ] as const) {
    const r = checkConditions(gafs.atan({ alpha, beta }));
    const c = r.conditions.find((c) => c.id === 'enlargesTiny')!;
    assert.equal(c.holds, false);
    close(r.slopeAtZero, alpha * beta);
    assert.match(c.detail, /not enlarged/);
    assert.equal(r.allHold, false);
    // the other three still hold
    assert.deepEqual(
      r.conditions.filter((c) => !c.holds).map((c) => c.id),
      ['enlargesTiny'],
    );
  }
});

test('conditions: log is reported unbounded, tanh bounded by alpha', () => {
  const l = checkConditions(gafs.log({ alpha: 0.1, beta: 20 }));
  assert.equal(l.bounded, false);
  assert.equal(l.bound, Infinity);
  assert.match(l.conditions.find((c) => c.id === 'restrictsLarge')!.detail, /unbounded/);
  const t = checkConditions(gafs.tanh({ alpha: 0.2, beta: 10 }));
  assert.equal(t.bounded, true);
  assert.equal(t.bound, 0.2);
  // tanh saturates to exactly alpha in float64 for beta*x > 19: not a monotonicity failure.
  assert.equal(t.conditions.find((c) => c.id === 'monotone')!.holds, true);
});

test('conditions: failures name the first x where they fail', () => {
  const neg = checkConditions(gafs.custom({ name: 'negate', fn: (x) => tf.neg(x) }));
  const sign = neg.conditions.find((c) => c.id === 'signPreserving')!;
  assert.equal(sign.holds, false);
  assert.equal(sign.firstFailureAt, 1e-8); // the first grid point on the positive side
  assert.equal(neg.conditions.find((c) => c.id === 'monotone')!.holds, false);
  // x^3: g'(0) = 0 and g' grows with |x|, so 3 and 4 fail; it is odd and increasing, so 1 and 2 hold.
  const cube = checkConditions(gafs.custom({ name: 'cube', fn: (x) => tf.pow(x, 3), derivative: (x) => 3 * x * x }));
  assert.deepEqual(
    cube.conditions.map((c) => c.holds),
    [true, true, false, false],
  );
  assert.equal(cube.bounded, false);
  // A GAF that exceeds its declared bound: 2*atan(x) declared bounded by 1 exceeds it from atan(x) > 0.5, x > 0.5463.
  const liar = checkConditions(gafs.custom({ name: 'liar', fn: (x) => tf.mul(tf.atan(x), 2), bound: 1 }));
  const rl = liar.conditions.find((c) => c.id === 'restrictsLarge')!;
  assert.equal(rl.holds, false);
  assert.ok(rl.firstFailureAt! > 0.5463 && rl.firstFailureAt! < 0.56, `firstFailureAt ${rl.firstFailureAt}`);
});
