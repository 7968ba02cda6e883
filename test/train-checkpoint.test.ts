import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';
import { gafs } from '../src/gaf/gaf';
import { adam, sgd } from '../src/optim/index';
import { createModel } from '../src/models/index';
import {
  CheckpointDamagedError,
  fileIO,
  findCheckpoint,
  loadCheckpoint,
  readCheckpointState,
  saveCheckpoint,
} from '../src/train/checkpoint';

before(async () => {
  await initBackend('wasm');
});

const SHAPE: [number, number, number] = [8, 8, 1];

/** A fixed batch: pixels from a seeded uniform, labels 0..9 cycling. */
function batch(seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.randomUniform([16, ...SHAPE], 0, 1, 'float32', seed) as tf.Tensor4D,
    y: tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 10),
        'int32',
      ),
      10,
    ) as tf.Tensor2D,
  }));
}

function step(model: tf.LayersModel, opt: tf.Optimizer, seed: number): void {
  const { x, y } = batch(seed);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = opt.minimize(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    true,
    vars,
  );
  loss?.dispose();
  tf.dispose([x, y]);
}

/** Every weight of a model by original name, as plain arrays. */
function weightsOf(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

async function optimizerState(opt: tf.Optimizer, model: tf.LayersModel): Promise<Map<string, Float32Array | Int32Array>> {
  // Keyed by original weight name, so two models of one process (suffixed names) compare.
  const toOriginal = new Map(model.weights.map((w) => [w.name, w.originalName]));
  const ws = await opt.getWeights();
  const out = new Map(
    ws.map(({ name, tensor }) => {
      const cut = name.lastIndexOf('/');
      const key = cut > 0 ? `${toOriginal.get(name.slice(0, cut)) ?? name.slice(0, cut)}${name.slice(cut)}` : name;
      return [key, tensor.dataSync() as Float32Array | Int32Array];
    }),
  );
  tf.dispose(ws.map((w) => w.tensor));
  return out;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-ckpt-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
let folders = 0;

function tmpDir(): string {
  const dir = path.join(scratch, String(++folders));
  fs.mkdirSync(dir);
  return dir;
}

const state = { epoch: 3, step: 6, loader: { seed: 1, epoch: 3, batch: 0 }, rng: { dataSeed: 1 } };

test('checkpoint round trip: every model weight (incl. BN moving statistics) and the optimizer state come back exactly', async () => {
  const root = tmpDir();
  const model = createModel('smallcnn', { inputShape: SHAPE, seed: 1 });
  const opt = sgd({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  for (let i = 0; i < 3; i++) step(model, opt, 10 + i);
  const saved = weightsOf(model);
  // The moving statistics start at 0 and 1; after training steps they must have moved, or this test would not see them lost.
  const mean = saved.get('conv1_bn/moving_mean')!;
  const variance = saved.get('conv1_bn/moving_variance')!;
  assert.ok(mean.some((v) => v !== 0) && variance.some((v) => v !== 1), 'BN moving statistics moved during training');
  const savedOpt = await optimizerState(opt, model);
  assert.equal(savedOpt.get('iter')![0], 3);
  assert.ok(
    [...savedOpt.keys()].some((k) => k.endsWith('/momentum')),
    `momentum slots saved: ${[...savedOpt.keys()].join(', ')}`,
  );

  const before = tf.memory().numTensors;
  const dir = await saveCheckpoint(root, 'last', { model, optimizer: opt, state });
  assert.equal(tf.memory().numTensors, before, 'saving leaks no tensors');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'weights.bin']);

  // A model with other initial weights and a fresh optimizer, in the same process (so tfjs gives
  // their variables suffixed names): loading must map by the original names.
  const model2 = createModel('smallcnn', { inputShape: SHAPE, seed: 99 });
  const opt2 = sgd({ learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  assert.notEqual(model2.weights[0]!.name, model.weights[0]!.name);
  const st = await loadCheckpoint(findCheckpoint(root)!, { model: model2, optimizer: opt2 });
  assert.equal(st.epoch, 3);
  assert.deepEqual(st.loader, state.loader);
  const loaded = weightsOf(model2);
  assert.deepEqual([...loaded.keys()].sort(), [...saved.keys()].sort());
  for (const [k, v] of saved) assert.deepEqual(loaded.get(k), v, k);
  assert.deepEqual(await optimizerState(opt2, model2), savedOpt);

  // tf.loadLayersModel reads the folder too (topology + weights).
  const reloaded = await tf.loadLayersModel(fileIO(dir));
  const x = batch(5).x;
  const p1 = model.predict(x) as tf.Tensor;
  const p2 = reloaded.predict(x) as tf.Tensor;
  assert.equal(reloaded.weights.length, model.weights.length);
  assert.deepEqual(p2.dataSync(), p1.dataSync());
  tf.dispose([x, p1, p2]);

  // The restored pair takes the same next step as the original (momentum buffers and step count included).
  step(model, opt, 20);
  step(model2, opt2, 20);
  const a = weightsOf(model);
  const b = weightsOf(model2);
  for (const [k, v] of a) assert.deepEqual(b.get(k), v, `after one more step: ${k}`);
  [model, model2, reloaded].forEach((m) => m.dispose());
  opt.dispose();
  opt2.dispose();
});

test('atomic checkpoints: crash debris is ignored and cleaned; a checkpoint set aside mid-replace is found', async () => {
  const root = tmpDir();
  const model = createModel('smallcnn', { inputShape: SHAPE, seed: 2 });
  const opt = sgd({ learningRate: 0.05, momentum: 0.9 });
  step(model, opt, 1);
  await saveCheckpoint(root, 'last', { model, optimizer: opt, state: { ...state, epoch: 1 } });
  const epoch1 = weightsOf(model);

  // A save that died half-way: a temporary folder with a model.json and no state.json.
  const debris = path.join(root, '.tmp-last-12345-abc');
  fs.mkdirSync(debris);
  fs.writeFileSync(path.join(debris, 'model.json'), '{"modelTopology":');
  assert.equal(findCheckpoint(root), path.join(root, 'last'));
  const m2 = createModel('smallcnn', { inputShape: SHAPE, seed: 3 });
  assert.equal((await loadCheckpoint(findCheckpoint(root)!, { model: m2 })).epoch, 1);
  for (const [k, v] of epoch1) assert.deepEqual(weightsOf(m2).get(k), v, k);

  // The next save replaces `last`, keeps the one it replaces as `previous`, and removes the debris.
  step(model, opt, 2);
  await saveCheckpoint(root, 'last', { model, optimizer: opt, state: { ...state, epoch: 2 } });
  assert.deepEqual(fs.readdirSync(root).sort(), ['last', 'previous']);
  assert.equal(readCheckpointState(path.join(root, 'previous')).epoch, 1);

  // A crash between "rename last aside" and "rename new into place": only the set-aside copy exists.
  const aside = path.join(root, '.old-last-999-xyz');
  fs.renameSync(path.join(root, 'last'), aside);
  fs.mkdirSync(path.join(root, '.tmp-last-999-xyz'));
  assert.equal(findCheckpoint(root), aside);
  assert.equal((await loadCheckpoint(aside, { model: m2, optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }) })).epoch, 2);
  // Saving again keeps the set-aside copy until the new one is in place, then cleans up.
  await saveCheckpoint(root, 'last', { model, optimizer: opt, state: { ...state, epoch: 3 } });
  assert.deepEqual(fs.readdirSync(root).sort(), ['last', 'previous']);
  assert.deepEqual([readCheckpointState(path.join(root, 'last')).epoch, readCheckpointState(path.join(root, 'previous')).epoch], [3, 1]);
  // One more: epoch 3 becomes previous, epoch 1 is dropped.
  await saveCheckpoint(root, 'last', { model, optimizer: opt, state: { ...state, epoch: 4 } });
  assert.deepEqual(fs.readdirSync(root).sort(), ['last', 'previous']);
  assert.deepEqual([readCheckpointState(path.join(root, 'last')).epoch, readCheckpointState(path.join(root, 'previous')).epoch], [4, 3]);
  // A crash after `last` became `previous` and before the new one was renamed in: previous is the newest.
  fs.renameSync(path.join(root, 'last'), path.join(root, '.old-previous-1-a'));
  fs.renameSync(path.join(root, 'previous'), path.join(root, 'last-gone'));
  fs.renameSync(path.join(root, '.old-previous-1-a'), path.join(root, 'previous'));
  fs.rmSync(path.join(root, 'last-gone'), { recursive: true });
  assert.equal(findCheckpoint(root), path.join(root, 'previous'));
  assert.equal(findCheckpoint(path.join(root, 'nothing-here')), undefined);
  model.dispose();
  m2.dispose();
  opt.dispose();
});

test('damaged or mismatched checkpoints give errors that name the file and the problem', async () => {
  const root = tmpDir();
  const model = createModel('smallcnn', { inputShape: SHAPE, seed: 4 });
  const opt = sgd({ learningRate: 0.05, momentum: 0.9 });
  step(model, opt, 1);
  const dir = await saveCheckpoint(root, 'last', { model, optimizer: opt, state });
  await assert.rejects(
    loadCheckpoint(dir, { model, optimizer: adam() }),
    /Checkpoint .*: the optimizer state does not fit this optimizer: .*unexpected entry "conv1\/kernel(_\d+)?\/momentum"/,
    'SGD momentum state does not go into Adam',
  );
  const other = createModel('smallcnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 4 });
  await assert.rejects(loadCheckpoint(dir, { model: other }), /does not fit model/);
  const w = path.join(dir, 'weights.bin');
  fs.truncateSync(w, fs.statSync(w).size - 8);
  await assert.rejects(
    loadCheckpoint(dir, { model }),
    (e: Error) =>
      e instanceof CheckpointDamagedError &&
      new RegExp(`^Checkpoint ${dir} is damaged: weights\\.bin has \\d+ bytes, \\d+ were written \\(cut short\\)\\.$`).test(e.message),
  );
  model.dispose();
  other.dispose();
  opt.dispose();
});
