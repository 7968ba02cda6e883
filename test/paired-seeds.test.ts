/**
 * Paired seeds through the real build path: two runs whose configs differ only in the
 * optimizer and share a seed start from the same weights and see the same batches (images,
 * augmentation and labels) in the same order; a third run with another seed does not, so the
 * checks can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig, type ExperimentConfigInput } from '../src/config/index';
import { writeSyntheticCifar } from '../src/data/synthetic';
import { flattenObject } from '../src/results/flatten';
import { buildData, buildModel, clearDataCache } from '../src/train/build';

function config(dataDir: string, seed: number, gaf: boolean): ExperimentConfigInput {
  return {
    dataset: { name: 'cifar10', dataDir, subset: { first: 20 }, testSubset: { first: 10 } },
    model: { name: 'smallcnn' },
    optimizer: {
      name: 'sgd',
      options: { learningRate: 0.1, momentum: 0.9 },
      ...(gaf ? { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } } : {}),
    },
    epochs: 2,
    batchSize: 8,
    seed,
    outDir: path.join(dataDir, 'runs'),
  };
}

async function weights(input: ExperimentConfigInput): Promise<Float32Array[]> {
  const model = buildModel(resolveConfig(input));
  const out = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  model.dispose();
  return out;
}

/** Every training batch of epochs 0 and 1: the source indices, the pixels after augmentation, the labels. */
async function batches(input: ExperimentConfigInput): Promise<{ indices: number[]; x: Float32Array; y: Int32Array | Float32Array }[]> {
  const { trainLoader } = buildData(resolveConfig(input));
  const out: { indices: number[]; x: Float32Array; y: Int32Array | Float32Array }[] = [];
  for (const epoch of [0, 1]) {
    for await (const b of trainLoader.epoch(epoch)) {
      out.push({ indices: [...b.indices], x: (await b.x.data()) as Float32Array, y: (await b.y.data()) as Int32Array | Float32Array });
      b.dispose();
    }
  }
  return out;
}

test('runs that differ only in the optimizer and share a seed: same initial weights, same batches in the same order', async () => {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-paired-seeds-'));
  try {
    writeSyntheticCifar(dir, { variant: 'cifar10', trainPerClass: 2, testPerClass: 1, seed: 5 });
    const sgd = config(dir, 7, false);
    const gaf = config(dir, 7, true);
    const other = config(dir, 8, false);
    // The resolved configs differ in the optimizer section only.
    const a = flattenObject(resolveConfig(sgd) as unknown as Record<string, unknown>);
    const b = flattenObject(resolveConfig(gaf) as unknown as Record<string, unknown>);
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    assert.ok(differing.length > 0, 'the two configs do differ');
    assert.deepEqual(
      differing.filter((k) => !k.startsWith('optimizer.')),
      [],
      `fields outside the optimizer differ: ${differing.join(', ')}`,
    );
    const before = tf.memory().numTensors;
    const [wSgd, wGaf, wOther] = [await weights(sgd), await weights(gaf), await weights(other)];
    assert.equal(wSgd.length, wGaf.length);
    wSgd.forEach((w, i) => assert.deepEqual(w, wGaf[i], `weight ${i} differs between the paired runs`));
    assert.ok(
      wSgd.some((w, i) => w.some((v, j) => v !== wOther[i]![j])),
      'another seed starts from other weights',
    );
    clearDataCache();
    const [bSgd, bGaf, bOther] = [await batches(sgd), await batches(gaf), await batches(other)];
    assert.equal(bSgd.length, 6, '20 images in batches of 8: 3 batches per epoch, 2 epochs');
    assert.deepEqual(bGaf, bSgd);
    assert.notDeepEqual(
      bOther.map((x) => x.indices),
      bSgd.map((x) => x.indices),
      'another seed visits the images in another order',
    );
    // Epochs differ from each other (the order is reshuffled), so the comparison covers both.
    assert.notDeepEqual(bSgd[0]!.indices, bSgd[3]!.indices);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  } finally {
    clearDataCache();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
