/**
 * What a run trains and evaluates on for an ImageNet config: evaluation decode (resize the
 * short side to size/0.875, centre crop) then ImageNet mean/std normalisation, as the authors'
 * validation pipeline does; training batches are normalised the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../src/config/index';
import { imagenetDataset, IMAGENET_MEAN, IMAGENET_STD } from '../src/data/imagefolder';
import { Rng } from '../src/data/rng';
import { writeSyntheticImageFolder } from '../src/data/synthetic';
import { buildData, clearDataCache } from '../src/train/build';

test('ImageNet runs see mean/std-normalised images: the evaluation batch is the centre crop, normalised', async () => {
  await tf.setBackend('cpu');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-imagenet-data-'));
  try {
    await writeSyntheticImageFolder(path.join(root, 'imagenet'), { classes: 2, trainPerClass: 2, valPerClass: 1, sides: [20, 40] });
    const r = resolveConfig({
      dataset: { name: 'imagenet', dataDir: root, imageSize: 16, randomResizedCrop: { scale: [0.1, 1], ratio: [0.8, 1.25] } },
      model: { name: 'imagenet_resnet18' },
      optimizer: { name: 'sgd', options: { learningRate: 0.1 } },
      epochs: 1,
      batchSize: 4,
      evalBatchSize: 2,
    });
    clearDataCache();
    const data = buildData(r);
    const batch = (await data.testLoader.epoch(0).next()).value!;
    const got = batch.x.dataSync();
    // The same two validation images, decoded without a transform (pixels in [0, 1]) and
    // normalised by hand: (v - mean[c]) / std[c].
    const raw = imagenetDataset({ split: 'val', dataDir: root, size: 16 });
    const img = new Float32Array(16 * 16 * 3);
    for (let i = 0; i < 2; i++) {
      await raw.readInto(batch.indices[i]!, img, 0, new Rng(0));
      for (let j = 0; j < img.length; j++) {
        const c = j % 3;
        const expected = (img[j]! - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
        assert.ok(Math.abs(got[i * img.length + j]! - expected) < 1e-5, `image ${i} value ${j}: ${got[i * img.length + j]} vs ${expected}`);
      }
    }
    batch.dispose();
    // Training batches are normalised too: raw pixels are never negative, normalised dark ones are.
    const train = (await data.trainLoader.epoch(0).next()).value!;
    assert.ok(Math.min(...train.x.dataSync()) < 0, 'training pixels are normalised');
    train.dispose();
  } finally {
    clearDataCache();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
