/**
 * The optimizers inside tfjs-layers: model.compile + model.fit, and model.save/loadLayersModel
 * with the optimizer state (the loaded model's variables get new names, so the saved state must
 * bind by position).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/gaf';
import { adam, GafOptimizer, sgd } from '../src/optim/index';

/** 32 points of y = x0 - 2 x1 + 0.5 on a fixed grid. */
function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs: number[][] = [];
  for (let i = 0; i < 32; i++) xs.push([Math.sin(i), Math.cos(1.7 * i)]);
  return { x: tf.tensor2d(xs), y: tf.tensor2d(xs.map(([a, b]) => [a! - 2 * b! + 0.5])) };
}

function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 4, inputShape: [2], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test('model.compile + model.fit with sgd({momentum, gaf}) lowers the loss; state is keyed by layer weight names', async () => {
  const { x, y } = data();
  const m = model();
  const opt = sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  m.compile({ optimizer: opt, loss: 'meanSquaredError' });
  const h = await m.fit(x, y, { epochs: 30, batchSize: 32, shuffle: false, verbose: 0 });
  const loss = h.history.loss as number[];
  assert.ok(loss[loss.length - 1]! < 0.3 * loss[0]!, `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
  assert.equal(opt.iterations, 30);
  const weights = await opt.getWeights();
  const expectedNames = m.trainableWeights.map((w) => `${(w.read() as tf.Variable).name}/momentum`);
  assert.deepEqual(
    weights.slice(1).map((w) => w.name),
    expectedNames,
  );
  tf.dispose(weights.map((w) => w.tensor));
  m.dispose();
  tf.dispose([x, y]);
});

test('model.save with includeOptimizer, loadLayersModel, then one more epoch: same weights as the original', async () => {
  const { x, y } = data();
  const m = model();
  m.compile({ optimizer: adam({ learningRate: 0.01, gaf: gafs.atan({ alpha: 0.1, beta: 15 }) }), loss: 'meanSquaredError' });
  await m.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
  assert.ok(loaded.optimizer instanceof GafOptimizer, 'the optimizer is rebuilt from its registered class');
  assert.deepEqual(loaded.optimizer.getConfig(), m.optimizer.getConfig());
  assert.equal(loaded.optimizer.iterations, 6);

  await m.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  await loaded.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  const a = m.getWeights().map((w) => Array.from(w.dataSync()));
  const b = loaded.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(b, a);
  // Without the optimizer state (fresh Adam moments, t = 1) the epoch ends elsewhere.
  const fresh = await tf.loadLayersModel(
    tf.io.fromMemory({ ...artifacts!, weightSpecs: artifacts!.weightSpecs!.filter((s) => s.group !== 'optimizer') }),
  );
  await fresh.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  assert.notDeepEqual(
    fresh.getWeights().map((w) => Array.from(w.dataSync())),
    a,
  );
  m.dispose();
  loaded.dispose();
  fresh.dispose();
  tf.dispose([x, y]);
});
