import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseConfig, referenceCifarRecipe, resolveConfig, runIdOf, type ExperimentConfigInput } from '../src/config/index';
import { adam, rmsprop, sgd, sgdAdaptiveGaf } from '../src/optim/factories';
import { cosineSchedule, learningRateAt, linearWarmup, stepSchedule } from '../src/train/schedule';

const minimal: ExperimentConfigInput = {
  dataset: { name: 'fashion-mnist' },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
  epochs: 3,
  batchSize: 32,
};

/** The ConfigError a config raises (fails the test when it raises none). */
function configError(config: unknown): ConfigError {
  try {
    resolveConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

test('defaults are filled in and derived fields resolved', () => {
  const r = resolveConfig(minimal);
  assert.deepEqual(r.dataset, {
    name: 'fashion-mnist',
    subset: null,
    testSubset: null,
    dataDir: null,
    augment: false,
    imageSize: null,
    validation: null,
  });
  assert.deepEqual(r.model, { name: 'smallcnn', options: { init: 'pytorch', numClasses: 10, inputShape: [28, 28, 1] } });
  assert.deepEqual(r.optimizer.options, { learningRate: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  if (r.optimizer.name !== 'sgd') assert.fail('optimizer name changed');
  assert.equal(r.optimizer.gaf, null);
  assert.equal(r.optimizer.placement, 'gradient');
  assert.deepEqual(r.schedule, { kind: 'constant', warmupEpochs: 0 });
  assert.equal(r.evalBatchSize, 256);
  assert.equal(r.seed, 0);
  assert.equal(r.evalEvery, 1);
  assert.equal(r.gradStats, null);
  assert.equal(r.backend, 'auto');
  assert.equal(r.outDir, 'runs');
  assert.equal(r.keepCheckpoints, 'last');
  assert.equal(r.name, null);

  const c = resolveConfig({ ...minimal, dataset: { name: 'cifar100' }, model: { name: 'resnet-18' }, schedule: { kind: 'cosine' } });
  assert.equal(c.dataset.augment, true, 'CIFAR trains with augmentation unless told otherwise');
  assert.deepEqual(c.model, { name: 'ResNet18', options: { init: 'pytorch', numClasses: 100, inputShape: [32, 32, 3] } });
  assert.deepEqual(c.schedule, { kind: 'cosine', warmupEpochs: 0, tMax: 3, etaMin: 0 }, 'cosine period defaults to the run length');
  assert.deepEqual(parseConfig({ ...minimal, gradStats: {} }).gradStats, { every: 1, tinyThreshold: 1e-3 });
});

test('the filled-in optimizer defaults are the ones the optimizers themselves use', () => {
  // The factories' getConfig() reports what they run with; called with every option left out,
  // any drift between the schema's defaults and the factories' shows here.
  const factories = { sgd, adam, rmsprop, sgdAdaptiveGaf } as Record<string, (o: never) => { getConfig(): unknown; dispose(): void }>;
  for (const optimizer of [
    { name: 'sgd', options: { learningRate: 0.1 } },
    { name: 'adam' },
    { name: 'rmsprop' },
    { name: 'sgdAdaptiveGaf', options: { learningRate: 0.1, shrink: 2, gamma: 2 } },
  ]) {
    const r = resolveConfig({ ...minimal, optimizer });
    // The raw options, without the schema's defaults: the factories fill their own.
    const fromFactoryDefaults = factories[optimizer.name]!((optimizer.options ?? {}) as never);
    const eff = fromFactoryDefaults.getConfig() as Record<string, unknown>;
    fromFactoryDefaults.dispose();
    for (const [k, v] of Object.entries(r.optimizer.options)) assert.equal(eff[k], v, `${optimizer.name}.${k}`);
    assert.deepEqual(r.optimizer.effective, eff);
  }
});

test('resolving is idempotent; the run id depends on content, not on where the run is written', () => {
  const r = resolveConfig({
    ...minimal,
    seed: 1,
    optimizer: { name: 'sgd', options: { learningRate: 0.1 }, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } },
  });
  assert.deepEqual(resolveConfig(r), r);
  const id = runIdOf(r);
  assert.match(id, /^fashion-mnist-smallcnn-sgd-atan-a0\.1-b20-s1-[0-9a-f]{6}$/);
  assert.equal(runIdOf(resolveConfig({ ...r, outDir: '/elsewhere' })), id);
  assert.equal(runIdOf(resolveConfig({ ...r, dataset: { ...r.dataset, dataDir: '/data' } })), id);
  assert.notEqual(runIdOf(resolveConfig({ ...r, seed: 2 })), id);
  const other = runIdOf(resolveConfig({ ...r, epochs: 4 }));
  assert.equal(other.slice(0, -6), id.slice(0, -6), 'same slug');
  assert.notEqual(other.slice(-6), id.slice(-6), 'another hash');
  assert.equal(runIdOf(resolveConfig({ ...r, name: 'My Baseline!' })).slice(0, 12), 'my-baseline-');
});

test('errors name the field path, the bad value and the allowed values', () => {
  const e1 = configError({ ...minimal, optimizer: { name: 'sdg', options: { learningRate: 0.1 } } });
  assert.equal(e1.issues.length, 1);
  assert.equal(e1.issues[0]!.path, 'optimizer.name');
  assert.match(e1.message, /optimizer\.name: got "sdg"; allowed values: "sgd", "sgdAdaptiveGaf", "adam", "rmsprop", "reference"/);

  const e2 = configError({ ...minimal, optimizer: { name: 'sgd', options: { learningRate: 0.1, momentum: 1.5 } } });
  assert.match(e2.message, /optimizer\.options\.momentum: got 1\.5; allowed: a number < 1/);

  const e3 = configError({ ...minimal, optimizer: { name: 'sgd', options: { learningrate: 0.1 } } });
  const paths = e3.issues.map((i) => i.path).sort();
  assert.deepEqual(paths, ['optimizer.options', 'optimizer.options.learningRate']);
  assert.match(
    e3.message,
    /unknown field "learningrate" \(did you mean "learningRate"\?\); allowed fields: learningRate, momentum, dampening, nesterov, weightDecay/,
  );
  assert.match(e3.message, /optimizer\.options\.learningRate: is required \(number\)/);

  const e4 = configError({ dataset: { name: 'cifar-10' }, model: { name: 'resnt18' }, optimizer: { name: 'adam' }, batchSize: 2.5 });
  const byPath = new Map(e4.issues.map((i) => [i.path, i.message]));
  assert.match(byPath.get('dataset.name')!, /got "cifar-10"; allowed values: "fashion-mnist", "mnist", "cifar10", "cifar100", "imagenet"/);
  assert.match(byPath.get('model.name')!, /unknown model "resnt18" \(did you mean "ResNet18"\?\); allowed values .*smallcnn/);
  assert.match(byPath.get('epochs')!, /is required/);
  assert.match(byPath.get('batchSize')!, /got 2\.5; allowed: an integer/);
  assert.equal(e4.issues.length, 4, e4.message);

  const e5 = configError({ ...minimal, dataset: { name: 'mnist', augment: true }, schedule: { kind: 'step', milestones: [5, 3] } });
  assert.match(e5.message, /dataset\.augment: no augmentation is defined for mnist/);
  assert.match(e5.message, /schedule\.milestones: must be strictly increasing epoch numbers, got \[5,3\]/);

  const e6 = configError({ ...minimal, schedule: { kind: 'linear' } });
  assert.match(e6.message, /schedule\.kind: got "linear"; allowed values: "constant", "cosine", "step"/);

  const e7 = configError({
    ...minimal,
    optimizer: { name: 'sgdAdaptiveGaf', options: { learningRate: 0.1, shrink: 2, gamma: 2 }, gaf: { kind: 'atan' } },
  });
  assert.match(e7.message, /optimizer\.gaf: sgdAdaptiveGaf computes its own atan GAF/);

  const e8 = configError({ ...minimal, optimizer: { name: 'reference', variant: 'SGD_atan', options: { shrink: 2 } } });
  assert.equal(e8.issues[0]!.path, 'optimizer');
  assert.match(e8.message, /shrink/, 'the reference variant rejects an option its class does not have');
});

test('config files: JSON is read, errors name the file; YAML without the yaml package says what to do', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-config-'));
  try {
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify(minimal));
    assert.equal(parseConfig(good).epochs, 3);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...minimal, epochs: 0 }));
    assert.throws(
      () => parseConfig(bad),
      (e: Error) => e.message.includes(bad) && /epochs: got 0; allowed: a number > 0/.test(e.message),
    );
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"epochs": ');
    assert.throws(() => parseConfig(broken), new RegExp(`Config ${broken} is not valid JSON`));
    const yaml = path.join(dir, 'c.yaml');
    fs.writeFileSync(yaml, 'epochs: 3\n');
    let hasYaml = true;
    try {
      require.resolve('yaml');
    } catch {
      hasYaml = false;
    }
    if (!hasYaml) assert.throws(() => parseConfig(yaml), /is YAML, but the "yaml" package is not installed/);
    else assert.throws(() => parseConfig(yaml), /dataset: is required/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the reference CIFAR recipe: SGD 0.1 / 0.9 / 5e-4, batch 256, cosine over the run, augmentation', () => {
  const r = resolveConfig(referenceCifarRecipe({ epochs: 200, warmupEpochs: 1, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }));
  assert.deepEqual(r.optimizer.options, { learningRate: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 5e-4 });
  if (r.optimizer.name !== 'sgd') assert.fail('the recipe is SGD');
  assert.deepEqual(r.optimizer.gaf, { kind: 'atan', alpha: 0.1, beta: 20 });
  assert.equal(r.batchSize, 256);
  assert.deepEqual(r.schedule, { kind: 'cosine', warmupEpochs: 1, tMax: 200, etaMin: 0 });
  assert.equal(r.dataset.name, 'cifar10');
  assert.equal(r.dataset.augment, true);
  assert.equal(r.model.name, 'ResNet18');
});

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('cosine annealing: PyTorch closed form at epochs 0, T/4, T/2, 3T/4, T', () => {
  // etaMin + (base - etaMin) * (1 + cos(pi e / T)) / 2 with base 0.1, etaMin 0.001, T 200:
  //   e=0:   cos 0 = 1          -> 0.1
  //   e=50:  cos(pi/4) = 0.70711 -> 0.001 + 0.099 * 0.853553 = 0.0855017857
  //   e=100: cos(pi/2) = 0      -> 0.001 + 0.099 / 2 = 0.0505
  //   e=150: cos(3pi/4)          -> 0.001 + 0.099 * 0.146447 = 0.0154982143
  //   e=200: cos(pi) = -1       -> 0.001
  // PyTorch 1.13's CosineAnnealingLR(T_max=200, eta_min=0.001), stepped per epoch, printed
  // 0.1, 0.08550178566873409, 0.0505, 0.015498214331265893, 0.001 for the same epochs.
  const s = cosineSchedule(0.1, 200, 0.001);
  close(s(0), 0.1, 'e=0');
  close(s(50), 0.001 + (0.099 * (1 + Math.SQRT1_2)) / 2, 'e=50');
  close(s(50), 0.08550178566873409, 'e=50 vs PyTorch');
  close(s(100), 0.0505, 'e=100');
  close(s(150), 0.015498214331265893, 'e=150 vs PyTorch');
  close(s(200), 0.001, 'e=200');
  close(cosineSchedule(0.1, 4)(2), 0.05, 'etaMin defaults to 0');
});

test('step decay: gamma^(milestones passed)', () => {
  // milestones [30, 60], gamma 0.1: 0.1 until epoch 29, 0.01 from 30, 0.001 from 60
  // (PyTorch's MultiStepLR printed 0.1, 0.1, 0.01, 0.01, 0.001 at epochs 0, 29, 30, 59, 60).
  const s = stepSchedule(0.1, [30, 60], 0.1);
  close(s(0), 0.1, 'e=0');
  close(s(29), 0.1, 'e=29');
  close(s(30), 0.01, 'e=30');
  close(s(59), 0.01, 'e=59');
  close(s(60), 0.001, 'e=60');
});

test('linear warm-up per iteration, composed with the epoch schedule', () => {
  // lr * (iteration + 1) / W for iterations 0..W-1, then lr: W = 10, lr = 0.1.
  close(linearWarmup(0.1, 0, 10), 0.01, 'first step');
  close(linearWarmup(0.1, 4, 10), 0.05, 'fifth step');
  close(linearWarmup(0.1, 9, 10), 0.1, 'last warm-up step');
  close(linearWarmup(0.1, 10, 10), 0.1, 'after warm-up');
  close(linearWarmup(0.1, 0, 0), 0.1, 'no warm-up');
  // Cosine over 2 epochs (base 0.1) with 1 warm-up epoch of 4 batches:
  //   epoch 0 is at the cosine's 0.1, scaled by 1/4, 2/4, 3/4, 4/4; epoch 1 is cos(pi/2) -> 0.05.
  const sched = { kind: 'cosine' as const, warmupEpochs: 1, tMax: 2, etaMin: 0 };
  const lrs = [0, 1, 2, 3].map((b) => learningRateAt(sched, 0.1, 0, b, 4));
  lrs.forEach((v, i) => close(v, [0.025, 0.05, 0.075, 0.1][i]!, `warm-up batch ${i}`));
  close(learningRateAt(sched, 0.1, 1, 0, 4), 0.05, 'epoch 1');
});
