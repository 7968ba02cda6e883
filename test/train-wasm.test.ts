import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';
import { gafs } from '../src/gaf/gaf';
import { sgd } from '../src/optim/index';
import { createModel } from '../src/models/index';
import { loadFashionMnist } from '../src/data/mnist';
import { ArrayDataset, DataLoader } from '../src/data/dataset';
import { trainEpoch, evaluate } from '../src/train/classifier';

test('a small conv net trains on wasm with SGD+GAF: loss falls, no tensor leaks', async () => {
  const report = await initBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(report.backend, 'wasm');
  const data = new ArrayDataset(loadFashionMnist({ split: 'train', limit: 256 }));
  const model = createModel('smallcnn', { inputShape: [28, 28, 1], seed: 3 });
  const optimizer = sgd({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  const loader = new DataLoader(data, { batchSize: 32, seed: 3 });
  const evalLoader = new DataLoader(data, { batchSize: 128, shuffle: false });

  const before = await evaluate(model, evalLoader);
  const losses: number[] = [];
  const counts: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    const r = await trainEpoch(model, optimizer, loader, epoch, (_b, loss) => {
      losses.push(loss);
      counts.push(tf.memory().numTensors);
    });
    assert.equal(r.diverged, false);
  }
  const after = await evaluate(model, evalLoader);
  // 10 balanced classes: an untrained net sits near ln(10) = 2.30. 24 steps of SGD+GAF on the
  // same 256 images must bring the loss on them well below the starting point.
  assert.ok(after.loss < 0.8 * before.loss, `loss on the training images ${before.loss} -> ${after.loss}`);
  assert.ok(after.accuracy > before.accuracy + 0.2, `accuracy ${before.accuracy} -> ${after.accuracy}`);
  const first3 = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const last3 = losses.slice(-3).reduce((a, b) => a + b) / 3;
  assert.ok(last3 < first3, `batch losses did not fall: first ${first3}, last ${last3}`);
  // Optimizer state is created on the first step; after that every step leaves the count unchanged.
  assert.deepEqual(new Set(counts.slice(1)).size, 1, `tensor counts per step: ${counts.join(',')}`);
  model.dispose();
  optimizer.dispose();
});
