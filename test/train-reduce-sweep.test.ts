import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatasetNotFoundError } from '../src/data/errors';
import { packageRoot } from '../src/provenance/index';
import { reduceSweep } from '../src/sweep/reduce';
import { expandSweep, parseSweepConfig, type SweepConfigInput } from '../src/sweep/index';
import { prepareSweepData } from '../src/sweep/data';
import { sweepEnded, trainSweep } from '../src/sweep/session';
import { readManifest } from '../src/run-format/index';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-reduce-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const committed = (name: string): string => path.join(packageRoot(), 'configs', 'paper', name);

test('reduceSweep: the committed CIFAR-10 sweep on 2 models and 1 seed keeps the recipe and the 3 optimizers', () => {
  const full = expandSweep(parseSweepConfig(committed('cifar10-zoo-sweep.json')));
  // 16 models x 3 optimizers x 3 seeds.
  assert.equal(full.length, 144);
  assert.equal(expandSweep(reduceSweep(committed('cifar10-zoo-sweep.json'), null)).length, 144, 'null: the sweep as it is');

  const out = path.join(root, 'c10');
  const reduced = reduceSweep(committed('cifar10-zoo-sweep.json'), {
    outDir: out,
    models: ['ShuffleNetV2', 'MobileNetV2'],
    epochs: 2,
    subset: { first: 10 },
    batchSize: 10,
    evalBatchSize: 10,
    dataDir: path.join(root, 'data'),
  });
  const runs = expandSweep(reduced);
  // 2 models x 3 optimizers x 1 seed (the grid's first, 1).
  assert.equal(runs.length, 6);
  assert.deepEqual([...new Set(runs.map((r) => r.config.model.name))], ['ShuffleNetV2', 'MobileNetV2']);
  assert.deepEqual([...new Set(runs.map((r) => r.config.seed))], [1]);
  const opts = runs.slice(0, 3).map((r) => r.config.optimizer as { variant: string; options: Record<string, unknown> });
  assert.deepEqual(
    opts.map((o) => o.variant),
    ['SGD_ori', 'SGD_atan', 'SGD_atan'],
  );
  assert.deepEqual(
    opts.map((o) => [o.options.alpha, o.options.beta]),
    [
      [undefined, undefined],
      [0.1, 20],
      [0.2, 10],
    ],
  );
  for (const { config: c } of runs) {
    assert.equal(c.outDir, out);
    assert.deepEqual([c.epochs, c.batchSize, c.evalBatchSize], [2, 10, 10]);
    assert.deepEqual(c.dataset.subset, { first: 10, perClass: null });
    assert.deepEqual(c.dataset.testSubset, { first: 10, perClass: null }, 'the test subset follows the training subset');
    assert.equal(c.dataset.dataDir, path.join(root, 'data'));
    assert.equal(c.dataset.augment, true);
    const o = c.optimizer as { options: Record<string, unknown> };
    assert.deepEqual([o.options.learningRate, o.options.momentum, o.options.weightDecay], [0.1, 0.9, 0.0005], 'the recipe stays');
    // Cosine period follows the reduced epochs (the full sweep's follows its 200); warm-up 1 <= 2 stays.
    assert.deepEqual(c.schedule, { kind: 'cosine', warmupEpochs: 1, tMax: 2, etaMin: 0 });
    assert.deepEqual(c.gradStats, { every: 98, tinyThreshold: 1e-3 });
  }
  assert.match(reduced.name ?? '', /^reduced: paper: CIFAR-10 model zoo/);
});

test('reduceSweep: optimizers by position, seeds, warm-up capped at the epochs, ImageNet size and head, gradient statistics off', () => {
  const reduced = reduceSweep(committed('imagenet-b512-sweep.json'), {
    outDir: path.join(root, 'in'),
    optimizers: [0, 2],
    seeds: [4, 5],
    epochs: 1,
    subset: { perClass: 2 },
    testSubset: { perClass: 1 },
    imageSize: 32,
    numClasses: 4,
    gradStatsEvery: null,
  });
  const runs = expandSweep(reduced);
  // 2 models x 2 optimizers x 2 seeds.
  assert.equal(runs.length, 8);
  const c = runs[1]!.config;
  assert.equal(c.seed, 5);
  assert.deepEqual(c.model.options.inputShape, [32, 32, 3]);
  assert.equal(c.model.options.numClasses, 4);
  assert.equal(c.dataset.imageSize, 32);
  assert.deepEqual(c.dataset.testSubset, { first: null, perClass: 1 });
  assert.equal(c.gradStats, null);
  assert.deepEqual(
    (runs[2]!.config.optimizer as { options: Record<string, unknown> }).options.alpha,
    0.1,
    'position 2 is SGD_atanMom (0.1, 20)',
  );
  // The 5 warm-up epochs are capped at the 1 epoch left; the cosine period follows it.
  assert.deepEqual(c.schedule, { kind: 'cosine', warmupEpochs: 1, tMax: 1, etaMin: 0, per: 'iteration' });

  const warm = reduceSweep(
    {
      outDir: 'x',
      base: {
        dataset: { name: 'cifar10' },
        model: { name: 'LeNet' },
        optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
        schedule: { kind: 'cosine', warmupEpochs: 5 },
        epochs: 10,
        batchSize: 8,
      },
    },
    { outDir: path.join(root, 'w'), epochs: 2 },
  );
  assert.equal(expandSweep(warm)[0]!.config.schedule.warmupEpochs, 2, 'a 5-epoch warm-up is cut to the 2 epochs');
});

test('reduceSweep: errors name the allowed values', () => {
  assert.throws(
    () => reduceSweep(committed('cifar10-zoo-sweep.json'), { outDir: 'x', models: ['LeNet'], epochs: 1 }),
    /models \["LeNet"\] are not in the sweep's grid; allowed: VGG16, ResNet18, /,
  );
  assert.throws(
    () => reduceSweep(committed('cifar10-zoo-sweep.json'), { outDir: 'x', optimizers: [3], epochs: 1 }),
    /optimizers must be positions in the sweep's grid.optimizers, 0..2; got \[3\]/,
  );
  assert.throws(
    () => reduceSweep(committed('cifar10-zoo-sweep.json'), { outDir: 'x', epochs: 0 }),
    /epochs must be a whole number >= 1, got 0/,
  );
  assert.throws(() => reduceSweep(committed('cifar10-zoo-sweep.json'), { outDir: '', epochs: 1 }), /outDir must be a folder path/);
});

/** A tiny sweep: LeNet on 10 synthetic CIFAR-10 images, SGD vs SGD + atan, 1 epoch of 1 batch. */
function tinySweep(outDir: string, dataDir: string): SweepConfigInput {
  return {
    name: 'tiny',
    outDir,
    base: {
      dataset: { name: 'cifar10', subset: { first: 10 }, testSubset: { first: 10 }, dataDir },
      model: { name: 'LeNet' },
      optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 } },
      epochs: 1,
      batchSize: 10,
      evalBatchSize: 10,
      backend: 'wasm',
    },
    grid: { optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }], seeds: [1] },
  };
}

test('prepareSweepData: writes synthetic CIFAR into dataDir and lists it; missing real data stops with how to get it', async () => {
  const dataDir = path.join(root, 'prep-data');
  const sweep = tinySweep(path.join(root, 'prep'), dataDir);
  const rows = await prepareSweepData(sweep, { trainPerClass: 2, testPerClass: 1 });
  assert.deepEqual(
    rows.map((r) => [r.dataset, r.split, r.images, r.classes]),
    [
      ['cifar10', 'train', 20, 10],
      ['cifar10', 'test', 10, 10],
    ],
  );
  assert.equal(rows[0]!.kind, 'synthetic (official CIFAR binary format)');
  assert.equal(path.resolve(rows[0]!.location), path.join(dataDir, 'cifar-10-batches-bin'));
  // Without synthetic data the folder is read as it is.
  assert.equal((await prepareSweepData(sweep, null))[0]!.kind, 'as found');

  const empty = path.join(root, 'no-data');
  fs.mkdirSync(empty, { recursive: true });
  await assert.rejects(
    prepareSweepData(tinySweep(path.join(root, 'p2'), empty), null),
    (e: Error) => e instanceof DatasetNotFoundError && /gaf-lab data download cifar-10/.test(e.message) && e.message.includes(empty),
  );
  const noDir = tinySweep(path.join(root, 'p3'), 'unused');
  delete (noDir.base.dataset as { dataDir?: string }).dataDir;
  await assert.rejects(prepareSweepData(noDir, { trainPerClass: 1, testPerClass: 1 }), /synthetic data needs the runs' dataset.dataDir/);
});

test('trainSweep: trains, reuses an ended sweep, starts fresh, refuses when told to, and reports failures with the reason', async () => {
  const dataDir = path.join(root, 'ts-data');
  const out = path.join(root, 'ts');
  await prepareSweepData(tinySweep(out, dataDir), { trainPerClass: 1, testPerClass: 1 });

  const first = await trainSweep(tinySweep(out, dataDir));
  assert.equal(first.trained, true);
  assert.deepEqual(
    first.runs.map((r) => r.status),
    ['completed', 'completed'],
  );
  assert.deepEqual(first.failures, []);
  assert.match(first.note, /2 runs \(2 completed\) after/);
  assert.ok(sweepEnded(out));
  const started = readManifest(path.join(out, first.runs[0]!.runId)).startedAt;

  // Reused: nothing is trained, even for a config that no longer matches the folder's runs.
  const changed = { ...tinySweep(out, dataDir), base: { ...tinySweep(out, dataDir).base, epochs: 3 } };
  const reused = await trainSweep(changed, { reuseEnded: true });
  assert.equal(reused.trained, false);
  assert.match(reused.note, /reused as it is, 2 runs \(2 completed\) had all ended; nothing trained/);
  assert.equal(readManifest(path.join(out, first.runs[0]!.runId)).startedAt, started);
  // Without reuse, runSweep's own check refuses the changed config.
  await assert.rejects(trainSweep(changed), /already holds a different sweep/);

  // Fresh: the folder is deleted and the runs trained again.
  const fresh = await trainSweep(tinySweep(out, dataDir), { fresh: true });
  assert.equal(fresh.trained, true);
  assert.notEqual(readManifest(path.join(out, fresh.runs[0]!.runId)).startedAt, started);

  // trainMissing: false refuses to train a missing sweep and passes the hint on.
  await assert.rejects(
    trainSweep(tinySweep(path.join(root, 'none'), dataDir), { trainMissing: false, missingHint: 'Run `npm run main` first.' }),
    /holds no sweep \(no sweep.json\)\. Run `npm run main` first\./,
  );

  // Data that vanished after the check: the runs fail before their folders exist, and say why.
  const gone = path.join(root, 'gone-data');
  fs.mkdirSync(gone);
  const failed = await trainSweep(tinySweep(path.join(root, 'fails'), gone));
  assert.deepEqual(
    failed.runs.map((r) => r.status),
    ['pending', 'pending'],
  );
  assert.equal(failed.failures.length, 2);
  assert.match(failed.failures[0]!.message, /CIFAR-10 \(train split\) not found/);
  assert.match(failed.note, /2 failed/);
});
