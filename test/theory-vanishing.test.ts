/**
 * The vanishing-gradient helpers behind notebook 03: layer profiles (raw and after g) against
 * gradientNormsByLayer and a linear g, the spread on hand-made rows, the steepness sweep's
 * bookkeeping, side-by-side training with tiny fractions recomputed from its own statistics, and
 * the one-line descriptions. Tiny synthetic data and nets keep it fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { sgd } from '../src/optim/index';
import {
  deepMlp,
  describeComparison,
  describeSideBySide,
  describeSpread,
  describeSteepness,
  disposeFlatData,
  gafDeepMethod,
  gradientNormsByLayer,
  layerNormRows,
  layerProfiles,
  profileSpread,
  sgdDeepMethod,
  steepnessSweep,
  sweepWinners,
  trainSideBySide,
  type DeepComparisonRow,
  type DeepMlpOptions,
  type FlatData,
  type LayerProfileRow,
} from '../src/theory/index';

/** n samples of `features` inputs (seeded normal), labels i mod classes. */
function synthetic(n: number, features: number, classes: number): FlatData {
  const x = tf.tidy(() => tf.randomNormal([n, features], 0, 1, 'float32', 11)) as tf.Tensor2D;
  const y = tf.tensor1d(
    Array.from({ length: n }, (_, i) => i % classes),
    'int32',
  );
  return { x, y, count: n, features, classes };
}

const NET: DeepMlpOptions = { depth: 2, width: 5, activation: 'tanh', init: 'glorot', inputSize: 6, classes: 3, seed: 3 };

/** g(x) = 3x: every statistic of g(d) follows from d's by hand. */
const triple = gafs.custom({ name: 'test-vanishing-triple', fn: (x) => tf.mul(x, 3), derivative: () => 3 });

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('layerProfiles: raw rows equal gradientNormsByLayer on the same batch; g = 3x triples rms', () => {
  const data = synthetic(16, 6, 3);
  const before = tf.memory().numTensors;
  const rows = layerProfiles({
    nets: [{ label: 'a', net: NET }],
    data,
    batchSize: 8,
    gafs: [{ label: '3x', gaf: triple }],
    tinyThreshold: 0.05,
  });
  assert.equal(tf.memory().numTensors, before, 'models and gradients are disposed');
  // 3 layers (h1, h2, out) x (bias, kernel) = 6 variables, once raw and once after g.
  assert.equal(rows.length, 12);
  assert.deepEqual([...new Set(rows.map((r) => r.gradient))], ['raw', '3x']);
  assert.deepEqual(
    rows.slice(0, 6).map((r) => `${r.layerName}/${r.param}`),
    ['h1/bias', 'h1/kernel', 'h2/bias', 'h2/kernel', 'out/bias', 'out/kernel'],
  );
  // Independent path: the same net (same seed) and the same 8 samples through gradientNormsByLayer.
  const model = deepMlp(NET);
  const batch = { x: data.x.slice([0, 0], [8, -1]) as tf.Tensor2D, y: data.y.slice([0], [8]) as tf.Tensor1D };
  const ref = gradientNormsByLayer(model, batch, { tinyThreshold: 0.05 });
  const raw = rows.filter((r) => r.gradient === 'raw');
  raw.forEach((r, i) => {
    assert.equal(r.size, ref[i]!.size);
    assert.ok(Math.abs(r.rms - ref[i]!.rms) <= 1e-6 * ref[i]!.rms, `${r.layerName}/${r.param}: ${r.rms} vs ${ref[i]!.rms}`);
    assert.ok(Math.abs(r.tinyFraction - ref[i]!.tinyFraction) < 1e-9);
  });
  // g(d) = 3d: rms and max|g| are 3x the raw ones; |3d| < 0.05 iff |d| < 0.05/3, so the tiny
  // fraction after g is gradientNormsByLayer's at threshold 0.05/3.
  const ref3 = gradientNormsByLayer(model, batch, { tinyThreshold: 0.05 / 3 });
  rows
    .filter((r) => r.gradient === '3x')
    .forEach((r, i) => {
      assert.ok(Math.abs(r.rms - 3 * raw[i]!.rms) <= 1e-5 * r.rms);
      assert.ok(Math.abs(r.maxAbs - 3 * raw[i]!.maxAbs) <= 1e-5 * r.maxAbs);
      assert.ok(Math.abs(r.tinyFraction - ref3[i]!.tinyFraction) < 1e-9);
    });
  tf.dispose([batch.x, batch.y]);
  model.dispose();
  disposeFlatData(data);
});

function row(gradient: string, layerName: string, param: string, rms: number): LayerProfileRow {
  return { net: 'n', gradient, layer: 1, layerName, param, size: 4, rms, maxAbs: rms, tinyFraction: 0 };
}

test('profileSpread: max/min rms per gradient, zero gradients left out, narrowing against raw', () => {
  const rows = [
    row('raw', 'h1', 'kernel', 1e-6),
    row('raw', 'h1', 'bias', 0), // exactly zero: no information on scale, left out
    row('raw', 'out', 'bias', 1e-2),
    row('g', 'h1', 'kernel', 1e-3),
    row('g', 'h1', 'bias', 0),
    row('g', 'out', 'bias', 1e-1),
  ];
  const s = profileSpread(rows);
  assert.equal(s.length, 2);
  // raw: 1e-2 / 1e-6 = 1e4; g: 1e-1 / 1e-3 = 100; narrowing 1e4 / 100 = 100.
  assert.ok(Math.abs(s[0]!.spread - 1e4) < 1e-6);
  assert.equal(s[0]!.maxAt, 'out/bias');
  assert.equal(s[0]!.minAt, 'h1/kernel');
  assert.equal(s[0]!.narrowing, 1);
  assert.ok(Math.abs(s[1]!.spread - 100) < 1e-9);
  assert.ok(Math.abs(s[1]!.narrowing - 100) < 1e-6);
  const lines = describeSpread(s);
  assert.match(lines[0]!, /^n: layer gradients span 1\.0e\+4x \(largest rms 1\.0e-2 at out\/bias, smallest 1\.0e-6 at h1\/kernel\)\.$/);
  assert.match(lines[1]!, /after g = g: span 1\.0e\+2x, narrowed 100-fold/);
  assert.throws(
    () => profileSpread([row('raw', 'h1', 'bias', 0)]),
    /profileSpread: rms of n \/ raw must be non-zero in at least one variable/,
  );
});

test("steepnessSweep: SGD first, one row per beta with g'(0) = alpha*beta, knee 1/beta, best run by final loss", () => {
  const data = synthetic(24, 6, 3);
  const before = tf.memory().numTensors;
  const done: number[] = [];
  const res = steepnessSweep({
    net: NET,
    data,
    alpha: 0.1,
    betas: [20, 2000],
    lrs: [0.1, 0.5],
    sgdLrs: [0.5],
    steps: 3,
    batchSize: 8,
    profileBatch: 8,
    onRun: (_r, d, total) => done.push(d * 10 + total),
  });
  assert.equal(tf.memory().numTensors, before);
  // 1 SGD run + 2 betas x 2 lrs = 5 runs, reported as (done, total = 5).
  assert.deepEqual(done, [15, 25, 35, 45, 55]);
  assert.equal(res.runs.length, 5);
  assert.deepEqual(
    res.summary.map((r) => r.method),
    ['SGD', 'SGD + 0.1*atan(20x)', 'SGD + 0.1*atan(2000x)'],
  );
  assert.deepEqual(
    res.summary.map((r) => r.beta),
    [null, 20, 2000],
  );
  assert.deepEqual(
    res.summary.map((r) => r.gPrime0),
    [1, 2, 200],
  );
  assert.deepEqual(
    res.summary.map((r) => r.knee),
    [Infinity, 1 / 20, 1 / 2000],
  );
  for (const s of res.summary) {
    const mine = res.runs.filter((r) => r.method === s.method);
    assert.equal(s.runs, mine.length);
    assert.equal(s.finalLoss, Math.min(...mine.map((r) => r.finalLoss)));
    assert.equal(s.bestLr, mine.find((r) => r.finalLoss === s.finalLoss)!.lr);
    // trains <=> below 0.9 ln 3 = 0.98875.
    assert.equal(s.trains, s.finalLoss < 0.9 * Math.log(3));
  }
  assert.ok(Math.abs(res.trainsBelow - 0.9 * Math.log(3)) < 1e-12);
  // The spread column is profileSpread of the same net's layer profile under each g.
  const ref = profileSpread(
    layerProfiles({
      nets: [{ label: 'net', net: NET }],
      data,
      batchSize: 8,
      gafs: [{ label: 'x', gaf: gafs.atan({ alpha: 0.1, beta: 2000 }) }],
    }),
  );
  assert.ok(Math.abs(res.summary[0]!.spread - ref[0]!.spread) <= 1e-6 * ref[0]!.spread);
  assert.ok(Math.abs(res.summary[2]!.spread - ref[1]!.spread) <= 1e-6 * ref[1]!.spread);
  assert.ok(Math.abs(res.summary[2]!.narrowing - ref[0]!.spread / ref[1]!.spread) <= 1e-6 * res.summary[2]!.narrowing);
  // Predicted narrowing from the largest raw rms d: beta d / atan(beta d); plain SGD: 1.
  const bd = 2000 * ref[0]!.maxRms;
  assert.ok(Math.abs(res.summary[2]!.predictedNarrowing - bd / Math.atan(bd)) < 1e-9 * bd);
  assert.equal(res.summary[0]!.predictedNarrowing, 1);
  assert.equal(res.summary[0]!.narrowing, 1);
  // Same start for every run.
  assert.ok(res.runs.every((r) => r.initialLoss === res.initialLoss));
  const winners = sweepWinners(res, [null, 2000]);
  assert.deepEqual(
    winners.map((w) => w.label),
    [`SGD, lr ${res.summary[0]!.bestLr}`, `SGD + 0.1*atan(2000x), lr ${res.summary[2]!.bestLr}`],
  );
  assert.throws(
    () => sweepWinners(res, [7]),
    /sweepWinners: beta must be one of the swept values \(null, 20, 2000; null = plain SGD\), got 7/,
  );
  assert.equal(describeSteepness(res).length >= 2, true);
  disposeFlatData(data);
});

test('describeSteepness: SGD line, the last beta that fails and the first that trains', () => {
  const base = { gPrime0: 1, knee: Infinity, spread: 1e6, narrowing: 1, predictedNarrowing: 1, finalAccuracy: 0.1, diverged: 0, runs: 2 };
  const res = {
    alpha: 0.1,
    initialLoss: 2.3026,
    trainsBelow: 2.0723,
    runs: [
      { method: 'SGD', lr: 1, initialLoss: 2.3026, finalLoss: 2.3, finalAccuracy: 0.1, diverged: false, steps: 3 },
      { method: 'SGD', lr: 3, initialLoss: 2.3026, finalLoss: 2.31, finalAccuracy: 0.1, diverged: false, steps: 3 },
    ],
    summary: [
      { ...base, method: 'SGD', beta: null, bestLr: 1, finalLoss: 2.3, trains: false },
      { ...base, method: 'G20', beta: 20, gPrime0: 2, knee: 0.05, spread: 5e5, bestLr: 0.1, finalLoss: 2.29, trains: false },
      {
        ...base,
        method: 'G2e4',
        beta: 2e4,
        gPrime0: 2000,
        knee: 5e-5,
        spread: 2e3,
        bestLr: 0.1,
        finalLoss: 1.08,
        finalAccuracy: 0.605,
        trains: true,
      },
    ],
  };
  const lines = describeSteepness(res);
  assert.equal(lines.length, 3);
  assert.equal(lines[0], 'SGD: best final loss 2.300 (10.0% accuracy) at lr 1 over lr 1, 3; initial loss 2.303; does not train.');
  assert.match(lines[1]!, /^Largest beta below the threshold: G20 \(g'\(0\) = 2\): best loss 2\.290/);
  assert.match(
    lines[2]!,
    /^Smallest beta that trains: G2e4 \(g'\(0\) = 2000, knee 1\/beta = 5\.0e-5\): loss 1\.080 \(60\.5%\) at lr 0\.1; layer-gradient spread 2\.0e\+3 vs 1\.0e\+6 raw\.$/,
  );
});

test('trainSideBySide: losses per step, tiny fractions = size-weighted mean of its own statistics, layerNormRows', () => {
  const data = synthetic(24, 6, 3);
  const before = tf.memory().numTensors;
  const res = trainSideBySide({
    net: NET,
    data,
    steps: 5,
    batchSize: 8,
    every: 2,
    tinyThreshold: 0.01,
    methods: [
      { label: 'plain', make: () => sgd({ learningRate: 0.5 }) },
      { label: 'gaf', make: () => sgd({ learningRate: 0.05, gaf: gafs.atan({ alpha: 0.1, beta: 2000 }) }) },
    ],
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(res.losses.length, 10);
  assert.deepEqual(
    res.losses.filter((l) => l.method === 'gaf').map((l) => l.step),
    [1, 2, 3, 4, 5],
  );
  // Step 1 sees the same weights and batch in both runs.
  assert.equal(res.losses[0]!.loss, res.losses[5]!.loss);
  assert.equal(res.summary[0]!.initialLoss, res.summary[1]!.initialLoss);
  // Observed steps 1, 3, 5; plain SGD has only the raw series, the GAF run both.
  assert.deepEqual(
    res.tiny.filter((t) => t.method === 'plain').map((t) => `${t.gradient}@${t.step}`),
    ['raw gradient@1', 'raw gradient@3', 'raw gradient@5'],
  );
  assert.equal(res.tiny.filter((t) => t.method === 'gaf').length, 6);
  for (const t of res.tiny) {
    const at = res.stats.filter((s) => s.method === t.method && s.step === t.step);
    const key = t.gradient === 'raw gradient' ? 'rawTinyFraction' : 'actTinyFraction';
    const expected = at.reduce((s, v) => s + v[key] * v.size, 0) / at.reduce((s, v) => s + v.size, 0);
    assert.ok(Math.abs(t.tinyFraction - expected) < 1e-12);
    assert.equal(t.series, `${t.method}: ${t.gradient}`);
  }
  // 6 variables: NET has 6*5+5 + 5*5+5 + 5*3+3 = 35 + 30 + 18 = 83 weights in all.
  assert.equal(
    res.stats.filter((s) => s.method === 'plain' && s.step === 1).reduce((s, v) => s + v.size, 0),
    83,
  );
  const norms = layerNormRows(res);
  // start (6 variables, shown once) + each method's step 5 (6 each).
  assert.equal(norms.length, 18);
  assert.deepEqual([...new Set(norms.map((r) => r.series))], ['start (all methods)', 'plain, step 5', 'gaf, step 5']);
  assert.deepEqual(
    norms.slice(0, 6).map((r) => `${r.layerName}/${r.param}`),
    ['h1/bias', 'h1/kernel', 'h2/bias', 'h2/kernel', 'out/bias', 'out/kernel'],
  );
  const s5 = res.stats.find((s) => s.method === 'gaf' && s.step === 5 && s.layerName === 'out' && s.param === 'bias')!;
  const n5 = norms.find((r) => r.series === 'gaf, step 5' && r.layerName === 'out' && r.param === 'bias')!;
  assert.equal(n5.rms, s5.rawL2 / Math.sqrt(3));
  const lines = describeSideBySide(res);
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /^plain: loss \d\.\d{3} -> \d\.\d{3} \(\d+\.\d% accuracy\); raw components below 1e-2: \d+\.\d% at step 1, \d+\.\d% at step 5\.$/,
  );
  disposeFlatData(data);
});

test('describeComparison: best lr, trains below 0.9 ln(classes), divergence listed', () => {
  const r = (method: string, lr: number, finalLoss: number, diverged = false): DeepComparisonRow => ({
    method,
    lr,
    initialLoss: 2.5,
    finalLoss: diverged ? NaN : finalLoss,
    finalAccuracy: diverged ? NaN : 0.5,
    diverged,
    steps: 10,
  });
  const lines = describeComparison([r('A', 0.1, 2.2), r('A', 1, 1.2), r('A', 10, 0, true), r('B', 1, 2.1), r('C', 1, 0, true)]);
  // 0.9 ln 10 = 2.0723: A's best (1.2) trains, B's (2.1) does not.
  assert.deepEqual(lines, [
    'A: best lr 1: loss 2.500 -> 1.200, 50.0% accuracy (trains); diverged at lr 10.',
    'B: best lr 1: loss 2.500 -> 2.100, 50.0% accuracy (does not train); never diverged.',
    'C: every run diverged (lr 1).',
  ]);
  // With 3 classes the bar is 0.9 ln 3 = 0.989: 1.2 no longer counts.
  assert.match(describeComparison([r('A', 1, 1.2)], { classes: 3 })[0]!, /does not train/);
});

test('method builders and bad input', () => {
  const m = sgdDeepMethod([0.1, 1]);
  assert.equal(m.label, 'SGD');
  assert.deepEqual(m.lrs, [0.1, 1]);
  const g = gafDeepMethod(gafs.atan({ alpha: 0.1, beta: 20 }), [0.1]);
  assert.equal(g.label, 'SGD + 0.1*atan(20x)');
  const opt = g.make(0.1);
  assert.equal(typeof opt.observeGradients, 'function');
  opt.dispose();
  assert.throws(() => sgdDeepMethod([]), /sgdDeepMethod: lrs must be a non-empty array of numbers/);
  assert.throws(() => gafDeepMethod(null as never, [0.1]), /gafDeepMethod: gaf must be a Gaf/);
  const data = synthetic(8, 6, 3);
  assert.throws(() => layerProfiles({ nets: [], data }), /layerProfiles: nets must be a non-empty array/);
  assert.throws(
    () => layerProfiles({ nets: [{ label: 'a', net: NET }], data, gafs: [{ label: 'raw', gaf: triple }] }),
    /layerProfiles: gafs label must be a label other than 'raw'/,
  );
  assert.throws(
    () => layerProfiles({ nets: [{ label: 'a', net: { ...NET, inputSize: 7 } }], data }),
    /layerProfiles: data.x.shape\[1\] must be 7/,
  );
  assert.throws(() => layerNormRows({ stats: [] } as never), /layerNormRows: result must be the result of trainSideBySide/);
  disposeFlatData(data);
});
