/**
 * Deep MLPs for vanishing/exploding gradients: structure and initialisation, per-layer gradient
 * norms against a closed form, training with gradient statistics (raw vs activated), the
 * comparison helper, the Fashion-MNIST loader, leaks and errors. Tiny synthetic data keeps it fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import {
  compareOnDeepNet,
  deepMlp,
  disposeFlatData,
  gradientNormsByLayer,
  loadFlatFashionMnist,
  trainWithStats,
  type FlatData,
} from '../src/theory/index';

/** n samples of `features` inputs (seeded normal), labels i mod classes. */
function synthetic(n: number, features: number, classes: number, scale = 1): FlatData {
  const x = tf.tidy(() => tf.mul(tf.randomNormal([n, features], 0, 1, 'float32', 7), scale)) as tf.Tensor2D;
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % classes),
    'int32',
  );
  return { x, y, count: n, features, classes };
}

/** Sets every weight of `model` to zero. */
function zeroWeights(model: tf.LayersModel): void {
  const zeros = model.getWeights().map((w) => tf.zerosLike(w));
  model.setWeights(zeros);
  tf.dispose(zeros);
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('deepMlp: layers, parameter count, initial weight scale', () => {
  const m = deepMlp({ depth: 3, width: 64, activation: 'tanh', init: 'small', inputSize: 20, classes: 4, seed: 3 });
  assert.deepEqual(
    m.layers.map((l) => l.name),
    ['h1', 'h2', 'h3', 'out'],
  );
  // 20*64 + 64 + 2*(64*64 + 64) + 64*4 + 4 = 1344 + 8320 + 260 = 9924.
  assert.equal(m.countParams(), 9924);
  // small: N(0, (0.1/sqrt(fan_in))^2); h2 has fan_in 64: std 0.0125. 4096 samples: the sample
  // std is within 5% of it with overwhelming probability (its standard error is ~1.1%).
  const k = m.layers[1]!.getWeights()[0]!;
  const std = tf.tidy(() => tf.moments(k).variance.sqrt().dataSync()[0]!);
  assert.ok(Math.abs(std - 0.0125) < 0.05 * 0.0125, `std ${std}`);
  const large = deepMlp({ depth: 1, width: 8, activation: 'relu', init: 'large', inputSize: 400, classes: 2 });
  const stdL = tf.tidy(() => tf.moments(large.layers[0]!.getWeights()[0]!).variance.sqrt().dataSync()[0]!);
  // large: s = 4, fan_in 400: std 0.2 (3200 samples, same 5% margin).
  assert.ok(Math.abs(stdL - 0.2) < 0.05 * 0.2, `std ${stdL}`);
  m.dispose();
  large.dispose();
});

test('gradientNormsByLayer: zero weights give the closed form 1/C - class frequency on the output bias', () => {
  // With all weights 0: logits 0, softmax 1/C, every hidden activation tanh(0) = 0. The gradient of
  // the mean cross-entropy w.r.t. the output bias is mean(p - onehot) = 1/C - n_c/n; all kernels
  // and hidden biases get 0 (they are multiplied by a zero activation or a zero kernel).
  // n = 10, C = 3, labels i mod 3: counts (4, 3, 3): 1/3 - (0.4, 0.3, 0.3) = (-1/15, 1/30, 1/30).
  const data = synthetic(10, 6, 3);
  const m = deepMlp({ depth: 2, width: 5, activation: 'tanh', init: 'glorot', inputSize: 6, classes: 3 });
  zeroWeights(m);
  const before = tf.memory().numTensors;
  const rows = gradientNormsByLayer(m, data);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(
    rows.map((r) => `${r.layerName}/${r.param}`),
    ['h1/bias', 'h1/kernel', 'h2/bias', 'h2/kernel', 'out/bias', 'out/kernel'],
  );
  const outBias = rows.find((r) => r.layerName === 'out' && r.param === 'bias')!;
  const expected = Math.sqrt(1 / 225 + 2 / 900);
  assert.ok(Math.abs(outBias.l2 - expected) < 1e-6, `${outBias.l2} vs ${expected}`);
  assert.ok(Math.abs(outBias.maxAbs - 1 / 15) < 1e-6);
  assert.ok(Math.abs(outBias.rms - expected / Math.sqrt(3)) < 1e-6);
  assert.ok(rows.filter((r) => r !== outBias).every((r) => r.l2 === 0 && r.tinyFraction === 1));
  m.dispose();
  disposeFlatData(data);
});

test('gradientNormsByLayer: sigmoid layers shrink the gradient towards the input', () => {
  // Back-propagation through a sigmoid layer multiplies by W^T diag(s') with s' <= 1/4 and, with
  // Glorot weights, |W| ~ 1: over the 5 layers from h6 down to h1 the rms gradient drops by up to
  // (1/4)^5 ~ 1e-3. Asserted with a wide margin: h1 below 5% of h6.
  const data = synthetic(32, 20, 4);
  const m = deepMlp({ depth: 6, width: 32, activation: 'sigmoid', init: 'glorot', inputSize: 20, classes: 4, seed: 2 });
  const k = gradientNormsByLayer(m, data).filter((r) => r.param === 'kernel');
  assert.equal(k.length, 7);
  assert.ok(k[0]!.rms < 0.05 * k[5]!.rms, `h1 ${k[0]!.rms} vs h6 ${k[5]!.rms}`);
  m.dispose();
  disposeFlatData(data);
});

test('trainWithStats: rows per observed step; step 1 raw norms = gradientNormsByLayer at init', () => {
  const data = synthetic(12, 6, 3);
  const m = deepMlp({ depth: 2, width: 5, activation: 'tanh', init: 'glorot', inputSize: 6, classes: 3, seed: 5 });
  const init = gradientNormsByLayer(m, data);
  assert.ok(
    init.every((r) => r.l2 > 0),
    'a non-trivial gradient in every variable',
  );
  const opt = sgd({ learningRate: 0.5, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  const before = tf.memory().numTensors;
  // Full batch (12 of 12), so step 1's gradient is the one gradientNormsByLayer computed.
  const r = trainWithStats({ model: m, optimizer: opt, data, batchSize: 12, steps: 5, every: 2 });
  opt.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind (this optimizer keeps no state)');
  assert.equal(r.steps, 5);
  assert.equal(r.diverged, false);
  assert.deepEqual(
    r.losses.map((l) => l.step),
    [1, 2, 3, 4, 5],
  );
  // Observed steps 1, 3, 5; 6 variables each.
  assert.equal(r.stats.length, 18);
  assert.deepEqual([...new Set(r.stats.map((s) => s.step))], [1, 3, 5]);
  for (const s of r.stats.filter((x) => x.step === 1)) {
    const ref = init.find((x) => x.variable === s.variable)!;
    assert.ok(Math.abs(s.rawL2 - ref.l2) <= 1e-5 * ref.l2, `${s.variable}: ${s.rawL2} vs ${ref.l2}`);
    assert.equal(s.layer, ref.layer);
    assert.equal(s.loss, r.losses[0]!.loss);
  }
  // With the full batch, step 1's loss is the loss of the whole set at the start.
  assert.ok(Math.abs(r.losses[0]!.loss - r.initial.loss) < 1e-6);
  m.dispose();
  disposeFlatData(data);
});

test('trainWithStats: the activated L2 of the output bias is |g(1/C - freq)|', () => {
  // n = 10, C = 3 (counts 4, 3, 3): raw output-bias gradient (-1/15, 1/30, 1/30) at step 1 (zero weights).
  const data = synthetic(10, 6, 3);
  const m = deepMlp({ depth: 1, width: 4, activation: 'tanh', init: 'glorot', inputSize: 6, classes: 3 });
  zeroWeights(m);
  const g = gafs.atan({ alpha: 0.1, beta: 20 });
  const opt = sgd({ learningRate: 0.1, gaf: g });
  const r = trainWithStats({ model: m, optimizer: opt, data, batchSize: 10, steps: 1, every: 1 });
  const s = r.stats.find((x) => x.layerName === 'out' && x.param === 'bias')!;
  const raw = [-1 / 15, 1 / 30, 1 / 30];
  const act = raw.map((d) => 0.1 * Math.atan(20 * d));
  assert.ok(Math.abs(s.rawL2 - Math.hypot(...raw)) < 1e-6);
  assert.ok(Math.abs(s.actL2 - Math.hypot(...act)) < 1e-6);
  assert.ok(Math.abs(s.actMaxAbs - 0.1 * Math.atan(20 / 15)) < 1e-6);
  // Without a GAF the activated statistics are the raw ones.
  const plain = sgd({ learningRate: 0.1 });
  const r2 = trainWithStats({ model: m, optimizer: plain, data, batchSize: 10, steps: 1, every: 1 });
  assert.ok(r2.stats.every((x) => x.actL2 === x.rawL2 && x.actTinyFraction === x.rawTinyFraction));
  opt.dispose();
  plain.dispose();
  m.dispose();
  disposeFlatData(data);
});

test('compareOnDeepNet: one row per method and rate, best per method, same start for all', () => {
  const data = synthetic(24, 8, 3);
  const before = tf.memory().numTensors;
  const res = compareOnDeepNet({
    net: { depth: 2, width: 6, activation: 'tanh', init: 'glorot', inputSize: 8, classes: 3, seed: 4 },
    data,
    steps: 3,
    batchSize: 8,
    methods: [
      { label: 'SGD', make: (lr) => sgd({ learningRate: lr }), lrs: [0.1, 0.01] },
      { label: 'SGD+GAF', make: (lr) => sgd({ learningRate: lr, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) }), lrs: [0.1] },
    ],
  });
  assert.equal(tf.memory().numTensors, before, 'models and optimizers are disposed');
  assert.deepEqual(
    res.rows.map((r) => [r.method, r.lr]),
    [
      ['SGD', 0.1],
      ['SGD', 0.01],
      ['SGD+GAF', 0.1],
    ],
  );
  // Same seed, same data: every run starts from the same loss.
  assert.ok(res.rows.every((r) => r.initialLoss === res.rows[0]!.initialLoss));
  assert.equal(res.best.length, 2);
  const sgdRows = res.rows.filter((r) => r.method === 'SGD');
  assert.equal(res.best[0]!.finalLoss, Math.min(...sgdRows.map((r) => r.finalLoss)));
  disposeFlatData(data);
});

test('loadFlatFashionMnist: real images flattened to 784 features in [0, 1]', () => {
  const d = loadFlatFashionMnist({ limit: 32 });
  assert.deepEqual(d.x.shape, [32, 784]);
  assert.deepEqual(d.y.shape, [32]);
  assert.equal(d.y.dtype, 'int32');
  assert.equal(d.classes, 10);
  const [lo, hi] = tf.tidy(() => [tf.min(d.x).dataSync()[0]!, tf.max(d.x).dataSync()[0]!]);
  assert.ok(lo! >= 0 && hi! <= 1 && hi! > 0.5);
  const c = loadFlatFashionMnist({ limit: 32, center: true });
  const colMean = tf.tidy(() => tf.max(tf.abs(tf.mean(c.x, 0))).dataSync()[0]!);
  assert.ok(colMean < 1e-6, `centered column means ${colMean}`);
  disposeFlatData(d);
  disposeFlatData(c);
});

test('bad input: errors name the field and the fix', () => {
  assert.throws(() => deepMlp({ depth: 0, width: 8, activation: 'tanh', init: 'glorot' }), /deepMlp: depth must be an integer >= 1, got 0/);
  assert.throws(
    () => deepMlp({ depth: 2, width: 8, activation: 'gelu' as never, init: 'glorot' }),
    /deepMlp: activation must be one of 'sigmoid', 'tanh', 'relu', got "gelu"/,
  );
  const data = synthetic(8, 5, 2);
  const m = deepMlp({ depth: 1, width: 4, activation: 'relu', init: 'glorot', inputSize: 6, classes: 2 });
  assert.throws(() => gradientNormsByLayer(m, data), /gradientNormsByLayer: data.x.shape\[1\] must be 6 \(the model's input size\), got 5/);
  const m5 = deepMlp({ depth: 1, width: 4, activation: 'relu', init: 'glorot', inputSize: 5, classes: 2 });
  const plain = tf.train.sgd(0.1);
  assert.throws(
    () => trainWithStats({ model: m5, optimizer: plain as never, data, steps: 1 }),
    /trainWithStats: optimizer must be a gaf-lab optimizer with observeGradients/,
  );
  plain.dispose();
  m.dispose();
  m5.dispose();
  disposeFlatData(data);
});
