/**
 * Step-by-step semantics of every optimizer against (a) numbers derived by hand in the comments
 * and (b) `ref*`, a plain-number re-statement of the reference's PyTorch loops written from
 * the reference's description (imperative, per element, float64; it shares no code with src/optim).
 * The hand-derived cases also check `ref*` itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs, type Gaf } from '../src/gaf/gaf';
import { adam, fromReference, REFERENCE_OPTIMIZERS, rmsprop, sgd, sgdAdaptiveGaf, withGaf } from '../src/optim/index';

type Vec = number[];
const P0: Vec = [1, -2];
/** A fixed gradient sequence (mixed signs and sizes, so every ordering mistake shows). */
const G: Vec[] = [
  [0.5, -0.1],
  [0.2, 0.4],
  [-0.3, 0.05],
];

// ---------------------------------------------------------------- independent reference
type Fn = (x: number) => number;
const atanG =
  (alpha: number, beta: number): Fn =>
  (x) =>
    alpha * Math.atan(beta * x);
const tanhG =
  (alpha: number, beta: number): Fn =>
  (x) =>
    alpha * Math.tanh(beta * x);
// The reference's own log form: alpha*ln(relu(beta x)+1) - alpha*ln(relu(-beta x)+1).
const logG =
  (alpha: number, beta: number): Fn =>
  (x) =>
    alpha * Math.log(Math.max(beta * x, 0) + 1) - alpha * Math.log(Math.max(-beta * x, 0) + 1);

interface RefSgd {
  lr: number;
  mu?: number;
  tau?: number;
  nesterov?: boolean;
  wd?: number;
  /** GAF on the raw gradient (SGD_atan). */
  onGrad?: Fn;
  /** GAF on the momentum output (SGD_atanMom). */
  onUpdate?: Fn;
  /** Adaptive atan on the momentum output with max|d| (ours). */
  ada?: { shrink: number; gamma: number };
}

function refSgd(o: RefSgd, grads: Vec[] = G, p0: Vec = P0): Vec[] {
  const { lr, mu = 0, tau = 0, nesterov = false, wd = 0 } = o;
  let p = p0.slice();
  let buf: Vec | null = null;
  const out: Vec[] = [];
  for (const g of grads) {
    let d = g.slice();
    if (o.onGrad) d = d.map(o.onGrad);
    if (wd !== 0) d = d.map((x, i) => x + wd * p[i]!);
    if (mu !== 0) {
      if (buf === null) buf = d.slice();
      else buf = buf.map((b, i) => mu * b + (1 - tau) * d[i]!);
      const b = buf;
      d = nesterov ? d.map((x, i) => x + mu * b[i]!) : b.slice();
    }
    if (o.onUpdate) d = d.map(o.onUpdate);
    if (o.ada) {
      const m = Math.max(...d.map(Math.abs));
      if (m > 0) {
        const alpha = (2 * m) / (Math.PI * o.ada.shrink);
        const beta = o.ada.gamma / alpha;
        d = d.map((x) => alpha * Math.atan(beta * x));
      }
    }
    p = p.map((x, i) => x - lr * d[i]!);
    out.push(p);
  }
  return out;
}

interface RefAdam {
  lr: number;
  b1?: number;
  b2?: number;
  eps?: number;
  wd?: number;
  gaf?: Fn;
}

function refAdam(o: RefAdam, grads: Vec[] = G, p0: Vec = P0): Vec[] {
  const { lr, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0 } = o;
  let p = p0.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const out: Vec[] = [];
  grads.forEach((g, k) => {
    const t = k + 1;
    let d = o.gaf ? g.map(o.gaf) : g.slice();
    d = d.map((x, i) => x + wd * p[i]!);
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    p = p.map((x, i) => {
      m[i] = b1 * m[i]! + (1 - b1) * d[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * d[i]! * d[i]!;
      return x - (stepSize * m[i]!) / (Math.sqrt(v[i]!) + eps);
    });
    out.push(p);
  });
  return out;
}

interface RefRms {
  lr: number;
  a?: number;
  eps?: number;
  mu?: number;
  centered?: boolean;
  wd?: number;
  gaf?: Fn;
}

function refRmsprop(o: RefRms, grads: Vec[] = G, p0: Vec = P0): Vec[] {
  const { lr, a = 0.99, eps = 1e-8, mu = 0, centered = false, wd = 0 } = o;
  let p = p0.slice();
  const sa = p.map(() => 0);
  const ga = p.map(() => 0);
  const buf = p.map(() => 0);
  const out: Vec[] = [];
  for (const g of grads) {
    let d = o.gaf ? g.map(o.gaf) : g.slice();
    d = d.map((x, i) => x + wd * p[i]!);
    p = p.map((x, i) => {
      sa[i] = a * sa[i]! + (1 - a) * d[i]! * d[i]!;
      let avg: number;
      if (centered) {
        ga[i] = a * ga[i]! + (1 - a) * d[i]!;
        avg = Math.sqrt(sa[i]! - ga[i]! * ga[i]!) + eps;
      } else {
        avg = Math.sqrt(sa[i]!) + eps;
      }
      if (mu > 0) {
        buf[i] = mu * buf[i]! + d[i]! / avg;
        return x - lr * buf[i]!;
      }
      return x - (lr * d[i]!) / avg;
    });
    out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------- harness
let uid = 0;

/** Runs the optimizer on a fresh variable p = p0 with `grads`, returning p after each step. */
function run(opt: tf.Optimizer, grads: Vec[] = G, p0: Vec = P0): Vec[] {
  const name = `semantics_p${uid++}`;
  const p = tf.variable(tf.tensor1d(p0), true, name);
  const out: Vec[] = [];
  grads.forEach((g, k) => {
    const t = tf.tensor1d(g);
    // Alternate the two forms tfjs uses, so both are covered.
    opt.applyGradients(k % 2 === 0 ? { [name]: t } : [{ name, tensor: t }]);
    t.dispose();
    out.push(Array.from(p.dataSync()));
  });
  p.dispose();
  opt.dispose();
  return out;
}

/** float32 arithmetic over a few ops: 1e-6 relative to max(1, |expected|). */
function assertClose(actual: Vec[], expected: Vec[], what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: number of steps`);
  actual.forEach((row, s) =>
    row.forEach((a, i) => {
      const e = expected[s]![i]!;
      assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}: step ${s + 1}, p[${i}] = ${a}, expected ${e}`);
    }),
  );
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

// ---------------------------------------------------------------- plain SGD family
test('plain SGD, lr 0.1', () => {
  // p1 = [1 - 0.1*0.5, -2 + 0.1*0.1] = [0.95, -1.99]
  // p2 = [0.95 - 0.02, -1.99 - 0.04] = [0.93, -2.03]
  // p3 = [0.93 + 0.03, -2.03 - 0.005] = [0.96, -2.035]
  const hand = [
    [0.95, -1.99],
    [0.93, -2.03],
    [0.96, -2.035],
  ];
  assertClose(refSgd({ lr: 0.1 }), hand, 'reference impl');
  assertClose(run(sgd({ learningRate: 0.1 })), hand, 'sgd');
});

test('SGD with momentum 0.9 (buffer starts as a copy of the first gradient)', () => {
  // b1 = g1 = [0.5, -0.1];                      p1 = [0.95, -1.99]
  // b2 = 0.9*b1 + g2 = [0.65, 0.31];            p2 = [0.885, -2.021]
  // b3 = 0.9*b2 + g3 = [0.285, 0.329];          p3 = [0.8565, -2.0539]
  const hand = [
    [0.95, -1.99],
    [0.885, -2.021],
    [0.8565, -2.0539],
  ];
  assertClose(refSgd({ lr: 0.1, mu: 0.9 }), hand, 'reference impl');
  assertClose(run(sgd({ learningRate: 0.1, momentum: 0.9 })), hand, 'sgd momentum');
});

test('SGD with Nesterov momentum 0.9', () => {
  // d = g + 0.9*b with the b above:
  // d1 = 1.9*g1 = [0.95, -0.19];                p1 = [0.905, -1.981]
  // d2 = [0.2+0.585, 0.4+0.279] = [0.785, 0.679]; p2 = [0.8265, -2.0489]
  // d3 = [-0.3+0.2565, 0.05+0.2961] = [-0.0435, 0.3461]; p3 = [0.83085, -2.08351]
  const hand = [
    [0.905, -1.981],
    [0.8265, -2.0489],
    [0.83085, -2.08351],
  ];
  assertClose(refSgd({ lr: 0.1, mu: 0.9, nesterov: true }), hand, 'reference impl');
  assertClose(run(sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })), hand, 'sgd nesterov');
});

test('SGD with dampening 0.5 (not applied on the first step)', () => {
  // b1 = g1 = [0.5, -0.1] (copy, undamped);     p1 = [0.95, -1.99]
  // b2 = 0.9*b1 + 0.5*g2 = [0.55, 0.11];        p2 = [0.895, -2.001]
  // b3 = 0.9*b2 + 0.5*g3 = [0.345, 0.124];      p3 = [0.8605, -2.0134]
  const hand = [
    [0.95, -1.99],
    [0.895, -2.001],
    [0.8605, -2.0134],
  ];
  assertClose(refSgd({ lr: 0.1, mu: 0.9, tau: 0.5 }), hand, 'reference impl');
  assertClose(run(sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.5 })), hand, 'sgd dampening');
});

test('SGD with weight decay 0.1', () => {
  // d1 = g1 + 0.1*p0 = [0.6, -0.3];             p1 = [0.94, -1.97]
  // d2 = g2 + 0.1*p1 = [0.294, 0.203];          p2 = [0.9106, -1.9903]
  // d3 = g3 + 0.1*p2 = [-0.20894, -0.14903];    p3 = [0.931494, -1.975397]
  const hand = [
    [0.94, -1.97],
    [0.9106, -1.9903],
    [0.931494, -1.975397],
  ];
  assertClose(refSgd({ lr: 0.1, wd: 0.1 }), hand, 'reference impl');
  assertClose(run(sgd({ learningRate: 0.1, weightDecay: 0.1 })), hand, 'sgd weight decay');
});

// ---------------------------------------------------------------- SGD + GAF
const A = { alpha: 0.1, beta: 20 };

test("SGD + atan GAF, placement 'gradient' (SGD_atan): g first, then un-activated decay, then momentum", () => {
  // Step 1 by hand, wd = 0.01: g(0.5) = 0.1*atan(10) = 0.1471127674, g(-0.1) = 0.1*atan(-2) = -0.1107148718
  // d1 = [0.1471127674 + 0.01*1, -0.1107148718 + 0.01*(-2)] = [0.1571127674, -0.1307148718]
  // p1 = [1 - 0.01571127674, -2 + 0.01307148718] = [0.9842887233, -1.9869285128]
  const o = { lr: 0.1, mu: 0.9, wd: 0.01 };
  const expected = refSgd({ ...o, onGrad: atanG(0.1, 20) });
  assertClose([expected[0]!], [[0.9842887233, -1.9869285128]], 'reference impl, step 1');
  const got = run(sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, gaf: gafs.atan(A), gafPlacement: 'gradient' }));
  assertClose(got, expected, 'sgd gaf gradient');
  // Default placement is 'gradient'.
  assertClose(run(sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, gaf: gafs.atan(A) })), expected, 'default placement');
  // And it is not the 'update' order (the test could tell them apart).
  const other = refSgd({ ...o, onUpdate: atanG(0.1, 20) });
  assert.ok(Math.abs(other[2]![0]! - expected[2]![0]!) > 1e-3);
});

const UPDATE_CASES: [string, (p: { alpha: number; beta: number }) => Gaf, (a: number, b: number) => Fn][] = [
  ['atan', gafs.atan, atanG],
  ['tanh', gafs.tanh, tanhG],
  ['log', gafs.log, logG],
];

for (const [kind, make, refG] of UPDATE_CASES) {
  test(`SGD + ${kind} GAF, placement 'update' (SGD_${kind}Mom): decay and momentum on raw values, then g`, () => {
    const o = { lr: 0.1, mu: 0.9, wd: 0.01 };
    const expected = refSgd({ ...o, onUpdate: refG(0.1, 20) });
    const got = run(sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, gaf: make(A), gafPlacement: 'update' }));
    assertClose(got, expected, `sgd ${kind} update`);
    const gradientOrder = refSgd({ ...o, onGrad: refG(0.1, 20) });
    assert.ok(Math.abs(gradientOrder[2]![0]! - expected[2]![0]!) > 1e-3, 'the two placements differ on this data');
  });
}

test("'update' placement keeps the un-activated momentum buffer", async () => {
  // wd = 0, mu = 0.9: after two steps b2 = 0.9*g1 + g2 = [0.65, 0.31] (raw, not g(...)).
  const opt = sgd({ learningRate: 0.1, momentum: 0.9, gaf: gafs.atan(A), gafPlacement: 'update' });
  const p = tf.variable(tf.tensor1d(P0), true, 'buffer_check_p');
  for (const g of G.slice(0, 2)) {
    const t = tf.tensor1d(g);
    opt.applyGradients({ buffer_check_p: t });
    t.dispose();
  }
  const w = await opt.getWeights();
  const buf = w.find((x) => x.name === 'buffer_check_p/momentum');
  assert.ok(buf, 'momentum slot is saved under <variable>/momentum');
  assertClose([Array.from(buf.tensor.dataSync())], [[0.65, 0.31]], 'buffer');
  tf.dispose(w.map((x) => x.tensor));
  p.dispose();
  opt.dispose();
});

// ---------------------------------------------------------------- adaptive GAF
test('adaptive GAF (SGD_atanMom_Ada), shrink 2, gamma 2, momentum 0.9', () => {
  // Step 1 by hand: d = g1 = [0.5, -0.1]; max|d| = 0.5; alpha = 2*0.5/(pi*2) = 0.1591549431,
  // beta = 2/alpha = 12.566370614; d' = [alpha*atan(6.283185307), alpha*atan(-1.2566370614)]
  //    = [0.2248803859, -0.1430225354]; p1 = [1 - 0.02248803859, -2 + 0.01430225354].
  const expected = refSgd({ lr: 0.1, mu: 0.9, ada: { shrink: 2, gamma: 2 } });
  assertClose([expected[0]!], [[0.9775119614, -1.9856977465]], 'reference impl, step 1');
  assertClose(run(sgdAdaptiveGaf({ learningRate: 0.1, momentum: 0.9, shrink: 2, gamma: 2 })), expected, 'adaptive');
});

test('adaptive GAF: an all-zero update leaves the parameters unchanged (no NaN)', () => {
  // The reference would compute alpha = 0, beta = gamma/0 = inf, 0*atan(inf*0) = NaN.
  const zeros = [
    [0, 0],
    [0, 0],
    [0, 0],
  ];
  const got = run(sgdAdaptiveGaf({ learningRate: 0.1, shrink: 2, gamma: 2 }), zeros);
  assertClose(got, [P0, P0, P0], 'all-zero');
  // A zero step between non-zero ones: only steps 1 and 3 move p.
  const mixed = [G[0]!, [0, 0], G[2]!];
  assertClose(
    run(sgdAdaptiveGaf({ learningRate: 0.1, shrink: 2, gamma: 2 }), mixed),
    refSgd({ lr: 0.1, ada: { shrink: 2, gamma: 2 } }, mixed),
    'zero step',
  );
});

test('adaptive GAF: all-negative update uses max|d|; the reference reading max(d) would change the scale', () => {
  // d = [-0.5, -0.1], no momentum, shrink = gamma = 2.
  // Ours: alpha = 2*max|d|/(2 pi) = 0.1591549431, beta = 12.566370614:
  //   d' = [alpha*atan(-6.283185307), alpha*atan(-1.2566370614)] = [-0.2248803859, -0.1430225354]
  // Reference reading: alpha_r = 2*max(d)/(2 pi) = -0.1/pi = -0.0318309886, beta_r = 2/alpha_r = -62.83185307:
  //   d'_r = alpha_r*atan(beta_r*d) = [-0.0489871302, -0.0449760772]
  // Both keep the signs (alpha_r and beta_r are negative together), but the reference bounds
  // every component by |max(d)|/shrink = 0.05, set by the entry nearest zero, so the larger
  // entry's step shrinks from 0.2249 to 0.0490.
  const grads = [[-0.5, -0.1]];
  const got = run(sgdAdaptiveGaf({ learningRate: 1, shrink: 2, gamma: 2 }), grads);
  const ours = [-0.2248803859, -0.1430225354];
  assertClose(got, [[P0[0]! - ours[0]!, P0[1]! - ours[1]!]], "ours (lr = 1, so p1 = p0 - d')");
  // The step keeps the gradient's sign: p moves up for a negative gradient.
  assert.ok(got[0]![0]! > P0[0]! && got[0]![1]! > P0[1]!);
  const alphaR = (2 * Math.max(...grads[0]!)) / (Math.PI * 2);
  const referenceReading = grads[0]!.map((x) => alphaR * Math.atan((2 / alphaR) * x));
  assertClose([referenceReading], [[-0.0489871302, -0.0449760772]], 'reference reading');
  assert.ok(Math.abs(referenceReading[0]! - ours[0]!) > 0.1, 'the two readings differ');
});

// ---------------------------------------------------------------- Adam
test('Adam (reference form: eps on the uncorrected sqrt(v)), lr 0.01', () => {
  // Step 1 by hand: m = 0.1 g, v = 0.001 g^2, step size = 0.01*sqrt(0.001)/0.1 = 0.00316227766.
  // For g = 0.5: 0.00316227766 * 0.05 / (0.0158113883 + 1e-8) = 0.0099999937
  // For g = -0.1: 0.00316227766 * (-0.01) / (0.00316227766 + 1e-8) = -0.0099999684
  const expected = refAdam({ lr: 0.01 });
  assertClose([expected[0]!], [[1 - 0.0099999937, -2 + 0.0099999684]], 'reference impl, step 1');
  assertClose(run(adam({ learningRate: 0.01 })), expected, 'adam');
});

test('Adam with L2 weight decay and with an atan GAF (Adam_atan)', () => {
  assertClose(run(adam({ learningRate: 0.01, weightDecay: 0.1 })), refAdam({ lr: 0.01, wd: 0.1 }), 'adam wd');
  const gaf = { alpha: 0.1, beta: 15 };
  assertClose(
    run(adam({ learningRate: 0.01, weightDecay: 0.1, gaf: gafs.atan(gaf), beta1: 0.8, beta2: 0.99, epsilon: 1e-3 })),
    refAdam({ lr: 0.01, wd: 0.1, gaf: atanG(0.1, 15), b1: 0.8, b2: 0.99, eps: 1e-3 }),
    'adam gaf',
  );
});

// ---------------------------------------------------------------- RMSprop
test('RMSprop plain, lr 0.01, decay 0.99', () => {
  // Step 1 by hand: sa = 0.01 g^2, avg = 0.1|g| + 1e-8, step = 0.01 * g/avg = 0.1*sign(g) (to 1e-7).
  const expected = refRmsprop({ lr: 0.01 });
  assertClose([expected[0]!], [[0.9, -1.9]], 'reference impl, step 1', 1e-6);
  assertClose(run(rmsprop({ learningRate: 0.01 })), expected, 'rmsprop');
});

test('RMSprop centered', () => {
  // Step 1 by hand: sa = 0.01 g^2, ga = 0.01 g, sa - ga^2 = 0.0099 g^2, avg = 0.0994987 |g|,
  // step = 0.01/0.0994987 = 0.100503782 * sign(g)
  const expected = refRmsprop({ lr: 0.01, centered: true });
  assertClose([expected[0]!], [[1 - 0.100503782, -2 + 0.100503782]], 'reference impl, step 1', 1e-6);
  assertClose(run(rmsprop({ learningRate: 0.01, centered: true })), expected, 'rmsprop centered', 2e-6);
});

test('RMSprop with momentum, weight decay and an atan GAF on the raw gradient', () => {
  const opts = {
    learningRate: 0.01,
    momentum: 0.5,
    centered: true,
    weightDecay: 0.01,
    decay: 0.9,
    gaf: gafs.atan({ alpha: 0.7, beta: 0.7 }),
  };
  const expected = refRmsprop({ lr: 0.01, mu: 0.5, centered: true, wd: 0.01, a: 0.9, gaf: atanG(0.7, 0.7) });
  assertClose(run(rmsprop(opts)), expected, 'rmsprop gaf momentum', 2e-6);
});

test('centered RMSprop stays finite when sa - ga^2 rounds below zero in float32', () => {
  // Constant g, decay a = 0.5: sa = g^2 (1 - a^t), ga = g (1 - a^t), so sa - ga^2 = g^2 (1 - a^t) a^t,
  // which float32 rounds to a small negative number for g = 0.3, 0.01, 1.3 around t = 24 on this
  // backend; sqrt of it would be NaN. Ours clamps the variance at 0.
  const grads = Array.from({ length: 30 }, () => [0.3, 0.01, 1.3]);
  const got = run(rmsprop({ learningRate: 1e-6, centered: true, decay: 0.5 }), grads, [0, 0, 0]);
  assert.ok(
    got.every((row) => row.every(Number.isFinite)),
    JSON.stringify(got[got.length - 1]),
  );
});

// ---------------------------------------------------------------- withGaf
test('withGaf(tf.train.sgd) activates then delegates', () => {
  // = SGD_atan without momentum or decay: p -= 0.1 * 0.1*atan(20 g)
  // step 1: [1 - 0.01471127674, -2 + 0.01107148718]
  const expected = refSgd({ lr: 0.1, onGrad: atanG(0.1, 20) });
  assertClose([expected[0]!], [[0.9852887233, -1.9889285128]], 'reference impl, step 1');
  assertClose(run(withGaf(tf.train.sgd(0.1), gafs.atan(A))), expected, 'withGaf(sgd)');
});

test('withGaf(tf.train.momentum) matches SGD_atan with momentum', () => {
  // tfjs momentum: acc = mu*acc + g from zero, p -= lr*acc: same as the copy-start buffer when tau = 0.
  const expected = refSgd({ lr: 0.1, mu: 0.9, onGrad: atanG(0.1, 20) });
  assertClose(run(withGaf(tf.train.momentum(0.1, 0.9), gafs.atan(A))), expected, 'withGaf(momentum)');
});

// ---------------------------------------------------------------- fromReference
test('REFERENCE_OPTIMIZERS lists the seven reference names', () => {
  assert.deepEqual([...REFERENCE_OPTIMIZERS].sort(), [
    'Adam_atan',
    'SGD_atan',
    'SGD_atanMom',
    'SGD_atanMom_Ada',
    'SGD_log_Mom',
    'SGD_ori',
    'SGD_tanh_Mom',
  ]);
});

test('fromReference maps each name to its semantics and defaults', () => {
  const sgdOpts = { learningRate: 0.1, momentum: 0.9, weightDecay: 0.05 };
  const o = { lr: 0.1, mu: 0.9, wd: 0.05 };
  // Defaults alpha = 0.3, beta = 4.5 for the SGD variants.
  assertClose(run(fromReference('SGD_ori', sgdOpts)), refSgd(o), 'SGD_ori');
  assertClose(run(fromReference('SGD_atan', sgdOpts)), refSgd({ ...o, onGrad: atanG(0.3, 4.5) }), 'SGD_atan');
  assertClose(run(fromReference('SGD_atanMom', sgdOpts)), refSgd({ ...o, onUpdate: atanG(0.3, 4.5) }), 'SGD_atanMom');
  assertClose(run(fromReference('SGD_tanh_Mom', sgdOpts)), refSgd({ ...o, onUpdate: tanhG(0.3, 4.5) }), 'SGD_tanh_Mom');
  assertClose(run(fromReference('SGD_log_Mom', sgdOpts)), refSgd({ ...o, onUpdate: logG(0.3, 4.5) }), 'SGD_log_Mom');
  assertClose(
    run(fromReference('SGD_atanMom', { ...sgdOpts, alpha: 0.2, beta: 10, nesterov: true })),
    refSgd({ ...o, nesterov: true, onUpdate: atanG(0.2, 10) }),
    'SGD_atanMom with overrides',
  );
  assertClose(
    run(fromReference('SGD_atanMom_Ada', { ...sgdOpts, shrink: 1.5, gamma: 1.1 })),
    refSgd({ ...o, ada: { shrink: 1.5, gamma: 1.1 } }),
    'SGD_atanMom_Ada',
  );
  // Adam_atan: lr 1e-3 and 0.1*atan(15 g) by default.
  assertClose(run(fromReference('Adam_atan')), refAdam({ lr: 1e-3, gaf: atanG(0.1, 15) }), 'Adam_atan');
  assertClose(
    run(fromReference('Adam_atan', { learningRate: 0.01, weightDecay: 0.1, alpha: 0.05, beta: 20 })),
    refAdam({ lr: 0.01, wd: 0.1, gaf: atanG(0.05, 20) }),
    'Adam_atan with overrides',
  );
});

test('fromReference rejects unknown names (listing the valid ones) and options that do not apply', () => {
  assert.throws(
    () => fromReference('SGD_atanmom' as never, { learningRate: 0.1 }),
    /unknown optimizer "SGD_atanmom".*SGD_ori, SGD_atan, SGD_atanMom/,
  );
  assert.throws(() => fromReference('SGD_ori', { learningRate: 0.1, alpha: 0.1 }), /fromReference\(SGD_ori\): unknown option "alpha"/);
  assert.throws(() => fromReference('Adam_atan', { momentum: 0.9 }), /unknown option "momentum"/);
  assert.throws(() => fromReference('SGD_atan', {}), /learningRate is required/);
  assert.throws(() => fromReference('SGD_atanMom_Ada', { learningRate: 0.1 }), /shrink is required/);
});
