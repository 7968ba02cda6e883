/**
 * Controls matched to a GAF (lr x g'(0), clip by value / by norm at the bound, scaled sign-SGD):
 * steps against numbers derived by hand, run ids and labels, sweep expansion, config errors,
 * state round trip and tensor leaks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { GafOptimizer, sgd } from '../src/optim/index';
import { controlLabel } from '../src/optim/controls';
import { optimizerFromSettings } from '../src/optim/settings';
import { ConfigError, resolveConfig, runIdOf, type ResolvedConfig } from '../src/config/index';
import { expandSweep, parseSweepConfig } from '../src/sweep/index';

/** Steps on loss = sum_i c_i * w_i per variable (so the gradient of w_i is exactly c_i). */
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

/** Equal within `rel` of the larger magnitude (float32 arithmetic), or `abs` near zero. */
const close = (a: number[][], b: number[][], rel = 1e-6, abs = 1e-12): void => {
  assert.equal(a.length, b.length);
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      const e = b[i]![j]!;
      assert.ok(Math.abs(v - e) <= Math.max(abs, rel * Math.max(Math.abs(v), Math.abs(e))), `[${i}][${j}]: ${v} vs ${e}`);
    }),
  );
};

function cfg(optimizer: Record<string, unknown>): Record<string, unknown> {
  return { dataset: { name: 'fashion-mnist' }, model: { name: 'smallcnn' }, optimizer, epochs: 1, batchSize: 8, seed: 1 };
}

const atan01x20 = { kind: 'atan', alpha: 0.1, beta: 20 };
const control = (kind: string, of: Record<string, unknown>, extra: Record<string, unknown> = {}): ResolvedConfig =>
  resolveConfig(cfg({ name: 'sgd', options: { learningRate: 0.05 }, control: { kind, of }, ...extra }));
const built = (r: ResolvedConfig): GafOptimizer => optimizerFromSettings(r.optimizer);

test('lrMatched: plain SGD at lr * alpha * beta, which is the GAF step for a tiny gradient', () => {
  const r = control('lrMatched', atan01x20);
  // g'(0) of 0.1*atan(20x) is alpha*beta = 2, so the learning rate is 0.05*2 = 0.1 (g'(0) is formed first).
  assert.equal(r.optimizer.effective.learningRate, 0.05 * (0.1 * 20));
  assert.equal(r.optimizer.effective.gaf, null);
  const opt = built(r);
  assert.deepEqual(opt.stages, ['scaleByLearningRate'], 'no GAF, no clip');
  // Gradient 1e-4: step = lr * alpha * beta * g = 0.05 * 2 * 1e-4 = 1e-5.
  close(stepLinear(opt, [[0]], [[1e-4]]), [[-0.05 * 0.1 * 20 * 1e-4]]);
  // The GAF run at lr 0.05 takes 0.05 * 0.1 * atan(20 * 1e-4) = 1e-5 * (1 - 1.3e-6) for the same gradient.
  const withGaf = stepLinear(sgd({ learningRate: 0.05, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) }), [[0]], [[1e-4]]);
  close(withGaf, [[-0.05 * 0.1 * Math.atan(20 * 1e-4)]]);
  close(withGaf, [[-1e-5]], 1e-5);
  // A tanh GAF has the same g'(0) = alpha*beta.
  assert.equal(control('lrMatched', { kind: 'tanh', alpha: 0.2, beta: 3 }).optimizer.effective.learningRate, 0.05 * (0.2 * 3));
});

test('clipValueAtBound: each raw gradient component is capped at U = alpha*pi/2 (atan) or alpha (tanh)', () => {
  const u = (0.1 * Math.PI) / 2;
  const r = control('clipValueAtBound', atan01x20);
  assert.deepEqual(r.optimizer.effective.clip, { kind: 'value', value: u });
  assert.equal(r.optimizer.effective.learningRate, 0.05, 'the learning rate is left alone');
  // Gradient [5, -0.05, -3] -> [U, -0.05, -U]; lr 0.05.
  close(stepLinear(built(r), [[0, 0, 0]], [[5, -0.05, -3]]), [[-0.05 * u, 0.05 * 0.05, 0.05 * u]]);
  assert.deepEqual(control('clipValueAtBound', { kind: 'tanh', alpha: 0.3, beta: 2 }).optimizer.effective.clip, {
    kind: 'value',
    value: 0.3,
  });
});

test('clipNormAtBound: global L2 norm capped at U*sqrt(P), P the number of gradient components', () => {
  const u = (0.1 * Math.PI) / 2;
  const r = control('clipNormAtBound', atan01x20);
  assert.deepEqual(r.optimizer.effective.clip, { kind: 'rms', maxRms: u });
  // Grads [3, 4] and [12]: P = 3, norm 13, cap U*sqrt(3) = 0.27207; factor cap / (13 + 1e-6) (PyTorch's epsilon).
  const f = (u * Math.sqrt(3)) / (13 + 1e-6);
  close(stepLinear(built(r), [[0, 0], [0]], [[3, 4], [12]]), [[-0.05 * 3 * f, -0.05 * 4 * f], [-0.05 * 12 * f]]);
  // Grads [0.2, 0, 0]: RMS 0.2/sqrt(3) = 0.1155 < U = 0.1571, so the norm clip leaves them alone,
  // while the value clip at U cuts 0.2 to 0.1571: the norm clip acts on fewer steps.
  close(stepLinear(built(r), [[0, 0, 0]], [[0.2, 0, 0]]), [[-0.05 * 0.2, 0, 0]]);
  close(stepLinear(built(control('clipValueAtBound', atan01x20)), [[0, 0, 0]], [[0.2, 0, 0]]), [[-0.05 * u, 0, 0]]);
});

test('signSgd: update = lr * U * sign(g), the steep-beta limit of the GAF', () => {
  const r = control('signSgd', { kind: 'tanh', alpha: 0.2, beta: 5 });
  assert.equal(r.optimizer.effective.signScale, 0.2);
  const opt = built(r);
  assert.deepEqual(opt.stages, ['scaledSign(0.2)', 'scaleByLearningRate']);
  // lr 0.05, U 0.2: gradient [3, -1e-3, 0] -> -0.05 * 0.2 * [1, -1, 0].
  close(stepLinear(opt, [[0, 0, 0]], [[3, -1e-3, 0]]), [[-0.01, 0.01, 0]]);
  // An atan GAF with a huge beta takes nearly the same step: atan(1e6 * 0.5) = pi/2 - 2e-6.
  const u = (0.1 * Math.PI) / 2;
  close(stepLinear(built(control('signSgd', atan01x20)), [[0]], [[0.5]]), [[-0.05 * u]]);
  close(stepLinear(sgd({ learningRate: 0.05, gaf: gafs.atan({ alpha: 0.1, beta: 1e6 }) }), [[0]], [[0.5]]), [[-0.05 * u]], 1e-5);
  // With placement 'update' the sign acts on the momentum output, as the GAF would there:
  // momentum 0.9, gradients 1 then -0.5: buffers 1 and 0.9 - 0.5 = 0.4 (> 0), so both steps are -lr*U.
  const mom = built(
    control('signSgd', { kind: 'tanh', alpha: 0.2, beta: 5 }, { placement: 'update', options: { learningRate: 0.05, momentum: 0.9 } }),
  );
  assert.equal(mom.stages.indexOf('scaledSign(0.2)'), mom.stages.length - 2, 'the sign comes after momentum, before the learning rate');
  const w = tf.variable(tf.tensor1d([0]));
  mom.minimize(() => tf.sum(tf.mul(w, 1)) as tf.Scalar);
  mom.minimize(() => tf.sum(tf.mul(w, -0.5)) as tf.Scalar);
  close([Array.from(w.dataSync())], [[-2 * 0.05 * 0.2]]);
  mom.dispose();
  w.dispose();
});

test('run ids and labels name the control and its GAF; an absent control leaves the config as it was', () => {
  const lr = control('lrMatched', atan01x20);
  assert.match(runIdOf(lr), /^fashion-mnist-smallcnn-sgd-lrmatch-atan-a0\.1-b20-s1-[0-9a-f]{6}$/);
  assert.match(runIdOf(control('clipValueAtBound', atan01x20)), /-sgd-clipvbound-atan-a0\.1-b20-s1-/);
  assert.match(runIdOf(control('clipNormAtBound', atan01x20)), /-sgd-clipnbound-atan-a0\.1-b20-s1-/);
  assert.match(runIdOf(control('signSgd', atan01x20)), /-sgd-sign-atan-a0\.1-b20-s1-/);
  assert.match(runIdOf(control('signSgd', atan01x20, { placement: 'update' })), /-sgd-sign-atan-a0\.1-b20-upd-s1-/);
  const ids = ['lrMatched', 'clipValueAtBound', 'clipNormAtBound', 'signSgd'].map((k) => runIdOf(control(k, atan01x20)));
  assert.equal(new Set(ids).size, 4);
  assert.equal(controlLabel('lrMatched', gafs.atan({ alpha: 0.1, beta: 20 }).name), "lr x g'(0) of 0.1*atan(20x)");
  assert.equal(controlLabel('clipNormAtBound', gafs.tanh({ alpha: 0.2, beta: 5 }).name), 'clip norm at bound of 0.2*tanh(5x)');
  const plain = resolveConfig(cfg({ name: 'sgd', options: { learningRate: 0.05 } }));
  assert.ok(!('control' in plain.optimizer), 'no control key when none is given');
  assert.ok(!('signScale' in plain.optimizer.effective), 'no signScale in the effective settings of plain SGD');
  assert.equal(runIdOf(resolveConfig(plain)), runIdOf(plain), 'a resolved control-free config resolves to the same id');
  assert.equal(runIdOf(resolveConfig(lr)), runIdOf(lr), 'a resolved control config resolves to the same id');
});

test('a sweep with controls adds them next to each SGD + GAF run, same seeds and base', () => {
  const sweep = parseSweepConfig({
    outDir: '/tmp/not-written',
    base: cfg({ name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 } }),
    grid: {
      optimizers: [{}, { name: 'adam', options: { learningRate: 1e-3 } }],
      gafKinds: ['atan'],
      // Two slopes at zero (alpha * beta = 2 and 4): two different lrMatched controls. Equal
      // slopes would make them one run (test/lr-selection.test.ts).
      alphas: [0.1, 0.2],
      betas: [20],
      seeds: [1, 2],
      controls: ['lrMatched'],
    },
  });
  const runs = expandSweep(sweep);
  // SGD: 2 GAFs x (GAF run + lrMatched) x 2 seeds = 8; Adam: 2 GAFs x 2 seeds = 4, no controls.
  assert.equal(runs.length, 12);
  const ctl = runs.filter((r) => r.point.control !== undefined);
  assert.equal(ctl.length, 4);
  assert.deepEqual(
    ctl.map((r) => [r.point.control, (r.config.optimizer as { control: { of: { alpha: number } } }).control.of.alpha, r.config.seed]),
    [
      ['lrMatched', 0.1, 1],
      ['lrMatched', 0.1, 2],
      ['lrMatched', 0.2, 1],
      ['lrMatched', 0.2, 2],
    ],
  );
  for (const r of ctl) {
    const alpha = (r.config.optimizer as { control: { of: { alpha: number } } }).control.of.alpha;
    assert.equal(r.config.optimizer.name, 'sgd');
    assert.equal((r.config.optimizer as { gaf: unknown }).gaf, null);
    assert.equal(r.config.optimizer.effective.learningRate, 0.05 * (alpha * 20));
    assert.equal(r.config.optimizer.effective.momentum, 0.9, 'the base options are kept');
  }
  // Each control run sits right after the GAF run it copies (grid order: GAF, its controls, seed).
  assert.deepEqual(
    runs.slice(0, 4).map((r) => r.point.control ?? 'gaf'),
    ['gaf', 'gaf', 'lrMatched', 'lrMatched'],
  );
});

test('config errors name the field: unbounded GAF, GAF and control together, clip and clip control together', () => {
  assert.throws(
    () => control('clipValueAtBound', { kind: 'log', alpha: 0.1, beta: 20 }),
    (e: unknown) => e instanceof ConfigError && /control\.of: clipValueAtBound .*log is unbounded/.test(e.message),
  );
  assert.throws(() => control('signSgd', { kind: 'log' }), /log is unbounded/);
  // lrMatched needs only g'(0), which log has.
  assert.equal(control('lrMatched', { kind: 'log', alpha: 0.1, beta: 20 }).optimizer.effective.learningRate, 0.05 * 2);
  assert.throws(() => control('lrMatched', atan01x20, { gaf: atan01x20 }), /gaf is atan with control lrMatched.*control\.of/);
  assert.throws(
    () => control('clipNormAtBound', atan01x20, { clip: { kind: 'value', value: 1 } }),
    /clip is set with control clipNormAtBound/,
  );
  assert.throws(() => control('clipAtBound', atan01x20), /optimizer\.control\.kind/);
  assert.throws(
    () => resolveConfig(cfg({ name: 'adam', options: { learningRate: 1e-3 }, control: { kind: 'lrMatched', of: atan01x20 } })),
    /control/,
  );
  assert.throws(() => sgd({ learningRate: 0.1, signScale: 1, gaf: gafs.atan() }), /signScale cannot be combined with gaf/);
  assert.throws(() => sgd({ learningRate: 0.1, signScale: 0 }), /signScale must be > 0/);
  assert.throws(
    () =>
      expandSweep(
        parseSweepConfig({
          outDir: '/tmp/not-written',
          base: cfg({ name: 'sgd', options: { learningRate: 0.05 } }),
          grid: { gafKinds: ['log'], controls: ['clipValueAtBound'] },
        }),
      ),
    /sweep grid point .*"control":"clipValueAtBound"[\s\S]*log is unbounded/,
  );
});

test('sign and norm-at-bound controls survive getConfig/fromConfig and leak no tensors', () => {
  for (const kind of ['signSgd', 'clipNormAtBound']) {
    const opt = built(control(kind, atan01x20, { options: { learningRate: 0.05, momentum: 0.9 } }));
    const copy = tf.serialization.SerializationMap.getMap().classNameMap['GafOptimizer']![1](
      GafOptimizer as never,
      opt.getConfig(),
    ) as GafOptimizer;
    assert.deepEqual(copy.recipe, opt.recipe);
    copy.dispose();
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const loss = (): tf.Scalar => tf.sum(tf.square(w));
    opt.minimize(loss); // the first step creates the momentum buffer
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) opt.minimize(loss);
    assert.equal(tf.memory().numTensors, before, kind);
    opt.dispose();
    w.dispose();
  }
});
