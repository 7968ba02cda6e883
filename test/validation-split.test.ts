/**
 * The validation split: carved from the training subset, disjoint from it, class-balanced, the
 * same images for every seed; evaluated every epoch into valLoss/valTop1; absent configs keep
 * their run ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArrayDataset, splitValidation } from '../src/data/dataset';
import { resolveConfig, runIdOf, type ExperimentConfigInput } from '../src/config/index';
import { writeSyntheticCifar } from '../src/data/synthetic';
import { buildData, clearDataCache } from '../src/train/build';
import { runExperiment } from '../src/train/runner';
import { readJsonLines } from '../src/run-format/index';
import type { SubsetDataset } from '../src/data/dataset';

/** 3 classes x 4 samples, sample i has label i % 3 and pixel value i. */
function tiny(): ArrayDataset {
  const labels = Int32Array.from({ length: 12 }, (_, i) => i % 3);
  const images = Float32Array.from({ length: 12 }, (_, i) => i);
  return new ArrayDataset({ images, labels, height: 1, width: 1, channels: 1, classNames: ['a', 'b', 'c'] });
}

test('splitValidation: perClass of every class held out, the rest trains, no sample in both', () => {
  const source = tiny();
  const { train, validation } = splitValidation(source, 1, 3);
  assert.equal(validation.size, 3);
  assert.equal(train.size, 9);
  const v = [...validation.indices];
  const t = [...train.indices];
  assert.deepEqual(v.map((i) => source.labelOf(i)).sort(), [0, 1, 2], 'one of each class');
  assert.deepEqual(
    [...v, ...t].sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i),
    'together every sample once',
  );
  // Same seed, same split; a class left with nothing to train is refused, naming the class and the fix.
  assert.deepEqual([...splitValidation(source, 1, 3).validation.indices], v);
  assert.throws(() => splitValidation(source, 4, 3), /takes every sample of class 0 \(a\).*Lower validation\.perClass/);
});

function config(dataDir: string, seed: number, validation: boolean, lr = 0.05): ExperimentConfigInput {
  return {
    dataset: {
      name: 'cifar10',
      dataDir,
      subset: { perClass: 4 },
      testSubset: { perClass: 1 },
      ...(validation ? { validation: { perClass: 1 } } : {}),
    },
    model: { name: 'lenet' },
    optimizer: { name: 'sgd', options: { learningRate: lr, momentum: 0.9 } },
    epochs: 2,
    batchSize: 10,
    evalBatchSize: 10,
    seed,
    backend: 'wasm',
    outDir: path.join(dataDir, 'runs'),
  };
}

test('the validation images are the same for every seed and never train; an absent validation keeps the run id', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-validation-'));
  try {
    writeSyntheticCifar(dir, { variant: 'cifar10', trainPerClass: 4, testPerClass: 1, seed: 5 });
    const a = buildData(resolveConfig(config(dir, 1, true)));
    const b = buildData(resolveConfig(config(dir, 2, true)));
    const ids = (s: unknown): number[] => [...(s as SubsetDataset).indices];
    assert.equal(a.validation!.size, 10, 'one image of each of the 10 classes');
    assert.equal(a.train.size, 30, '40 training images minus the 10 held out');
    assert.deepEqual(ids(a.validation), ids(b.validation), 'seeds vary init and order, not the split');
    const held = new Set(ids(a.validation));
    assert.ok(
      ids(a.train).every((i) => !held.has(i)),
      'no validation image trains',
    );
    const none = buildData(resolveConfig(config(dir, 1, false)));
    assert.equal(none.validation, null);
    assert.equal(none.train.size, 40);
    // The id of a config without validation is the id it had before the field existed: the field is left out of the hash.
    const r = resolveConfig(config(dir, 1, false));
    const { validation: _v, ...older } = r.dataset;
    assert.equal(runIdOf(r), runIdOf({ ...r, dataset: older } as typeof r));
    assert.notEqual(runIdOf(resolveConfig(config(dir, 1, true))), runIdOf(r));
  } finally {
    clearDataCache();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a run with a validation set records valLoss and valTop1 every evaluated epoch; one without does not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-validation-run-'));
  try {
    writeSyntheticCifar(dir, { variant: 'cifar10', trainPerClass: 4, testPerClass: 1, seed: 5 });
    const withVal = await runExperiment(config(dir, 1, true), { handleSignals: false });
    const without = await runExperiment(config(dir, 1, false), { handleSignals: false });
    assert.equal(withVal.status, 'completed');
    const lines = readJsonLines(path.join(withVal.runDir, 'metrics.jsonl'));
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.equal(typeof l.valLoss, 'number');
      assert.ok(Number.isFinite(l.valLoss as number));
      // 10 validation images: top-1 is a count of tenths.
      const hits = (l.valTop1 as number) * 10;
      assert.ok(Math.abs(hits - Math.round(hits)) < 1e-9 && hits >= 0 && hits <= 10, `valTop1 ${String(l.valTop1)}`);
    }
    for (const l of readJsonLines(path.join(without.runDir, 'metrics.jsonl'))) {
      assert.equal(l.valTop1, undefined);
      assert.equal(l.valLoss, undefined);
    }
  } finally {
    clearDataCache();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
