import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';
import { sgd } from '../src/optim/index';
import { createModel } from '../src/models/index';
import {
  CheckpointDamagedError,
  fileIO,
  findCheckpoint,
  isVerified,
  loadCheckpoint,
  readCheckpointState,
  saveCheckpoint,
} from '../src/train/checkpoint';
import { loadLatestCheckpoint, NoIntactCheckpointError } from '../src/train/checkpoint-recovery';

before(async () => {
  await initBackend('wasm');
});

const SHAPE: [number, number, number] = [8, 8, 1];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-ckpt-integrity-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const tmpDir = (): string => {
  const d = path.join(scratch, String(++folders));
  fs.mkdirSync(d);
  return d;
};

function step(model: tf.LayersModel, opt: tf.Optimizer, seed: number): void {
  tf.tidy(() => {
    const x = tf.randomUniform([8, ...SHAPE], 0, 1, 'float32', seed);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, false, vars);
  });
}

const weightsOf = (model: tf.LayersModel): Map<string, Float32Array> =>
  new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
const position = (epoch: number) => ({ epoch, step: 2 * epoch, loader: { seed: 1, epoch, batch: 0 }, rng: { dataSeed: 1 } });

/** A checkpoint root with `last` (epoch 2) and `previous` (epoch 1), and the weights of each. */
async function twoCheckpoints(): Promise<{ root: string; epoch1: Map<string, Float32Array>; epoch2: Map<string, Float32Array> }> {
  const root = tmpDir();
  const model = createModel('smallcnn', { inputShape: SHAPE, seed: 5 });
  const opt = sgd({ learningRate: 0.05, momentum: 0.9 });
  step(model, opt, 1);
  await saveCheckpoint(root, 'last', { model, optimizer: opt, state: position(1) });
  const epoch1 = weightsOf(model);
  step(model, opt, 2);
  await saveCheckpoint(root, 'last', { model, optimizer: opt, state: position(2) });
  const epoch2 = weightsOf(model);
  model.dispose();
  opt.dispose();
  return { root, epoch1, epoch2 };
}

const freshParts = () => ({
  model: createModel('smallcnn', { inputShape: SHAPE, seed: 77 }),
  optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }),
});

test('state.json records the size and SHA-256 of every file and checks itself; an intact checkpoint loads verified', async () => {
  const { root, epoch2 } = await twoCheckpoints();
  const last = path.join(root, 'last');
  const state = readCheckpointState(last);
  assert.equal(state.format, 'gaf-lab-checkpoint/2');
  assert.deepEqual(Object.keys(state.files!).sort(), ['model.json', 'optimizer.bin', 'optimizer.json', 'weights.bin']);
  // Independent check of the recorded digests: sha256 of the bytes on disk with node's crypto directly.
  const { createHash } = await import('node:crypto');
  for (const [name, d] of Object.entries(state.files!)) {
    const b = fs.readFileSync(path.join(last, name));
    assert.equal(d.bytes, b.byteLength, name);
    assert.equal(d.sha256, createHash('sha256').update(b).digest('hex'), name);
  }
  const parts = freshParts();
  const st = await loadCheckpoint(last, parts);
  assert.equal(isVerified(st), true);
  for (const [k, v] of epoch2) assert.deepEqual(weightsOf(parts.model).get(k), v, k);
  parts.model.dispose();
  parts.optimizer.dispose();
});

/** Damage done to a copy of a checkpoint: what it does and to which file. */
interface Damage {
  file: string;
  what: string;
  apply(file: string): void;
}

function damages(dir: string): Damage[] {
  const out: Damage[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    const n = fs.statSync(path.join(dir, file)).size;
    const offsets = [...new Set([0, 1, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 2, n - 1])];
    for (const at of offsets) {
      out.push({
        file,
        what: `byte ${at} of ${n} flipped`,
        apply: (f) => {
          const b = fs.readFileSync(f);
          b[at] = b[at]! ^ 0xff;
          fs.writeFileSync(f, b);
        },
      });
    }
    // The failure of the issue: 80 bytes overwritten in place, size unchanged.
    if (n > 160) {
      out.push({
        file,
        what: '80 bytes overwritten at the middle (same size)',
        apply: (f) => {
          const b = fs.readFileSync(f);
          b.fill(0x41, Math.floor(n / 2), Math.floor(n / 2) + 80);
          fs.writeFileSync(f, b);
        },
      });
    }
    for (const keep of [n - 1, Math.floor(n / 2), 0])
      out.push({ file, what: `cut to ${keep} of ${n} bytes`, apply: (f) => fs.truncateSync(f, keep) });
    out.push({ file, what: 'deleted', apply: (f) => fs.rmSync(f) });
  }
  // A one-bit change of the format field: "/2" -> "/1" must not switch verification off.
  out.push({
    file: 'state.json',
    what: 'format /2 changed to /1',
    apply: (f) => fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('gaf-lab-checkpoint/2', 'gaf-lab-checkpoint/1')),
  });
  return out;
}

test('every corruption of every file of a checkpoint is detected, naming the file; model and optimizer are left untouched', async (t) => {
  const { root } = await twoCheckpoints();
  const last = path.join(root, 'last');
  const list = damages(last);
  let tried = 0;
  let detected = 0;
  const missed: string[] = [];
  const parts = freshParts();
  const before = weightsOf(parts.model);
  const tensors = tf.memory().numTensors;
  for (const d of list) {
    const copy = path.join(root, `copy-${tried}`);
    fs.cpSync(last, copy, { recursive: true });
    d.apply(path.join(copy, d.file));
    tried++;
    try {
      await loadCheckpoint(copy, parts);
      missed.push(`${d.file}: ${d.what}`);
    } catch (e) {
      if (e instanceof CheckpointDamagedError && e.file === d.file && e.dir === copy) detected++;
      else missed.push(`${d.file}: ${d.what}: ${(e as Error).message}`);
    }
    fs.rmSync(copy, { recursive: true });
  }
  t.diagnostic(`corruptions tried / detected: ${tried} / ${detected}`);
  assert.deepEqual(missed, []);
  assert.equal(detected, tried);
  // Nothing was loaded from any damaged copy, and no tensor was left behind.
  for (const [k, v] of before) assert.deepEqual(weightsOf(parts.model).get(k), v, k);
  assert.equal(tf.memory().numTensors, tensors);
  assert.ok(tried >= 5 * 10, `${tried} corruptions`);
  parts.model.dispose();
  parts.optimizer.dispose();
});

test('a damaged last falls back to previous (moved aside, reported); with none left the error says how to restart', async () => {
  const { root, epoch1 } = await twoCheckpoints();
  const b = fs.readFileSync(path.join(root, 'last', 'weights.bin'));
  b.fill(0x41, 1000, 1080);
  fs.writeFileSync(path.join(root, 'last', 'weights.bin'), b);
  const parts = freshParts();
  const found = (await loadLatestCheckpoint(root, parts))!;
  assert.equal(found.dir, path.join(root, 'previous'));
  assert.equal(found.state.epoch, 1);
  assert.equal(found.verified, true);
  assert.equal(found.damaged.length, 1);
  assert.equal(found.damaged[0]!.dir, path.join(root, 'last'));
  assert.match(
    found.damaged[0]!.problem,
    /^weights\.bin sha256 mismatch: [0-9a-f]{64}, [0-9a-f]{64} was written \(its contents changed\)$/,
  );
  assert.match(path.basename(found.damaged[0]!.movedTo!), /^damaged-last-\d{4}-/);
  assert.ok(fs.existsSync(path.join(found.damaged[0]!.movedTo!, 'weights.bin')), 'the damaged checkpoint is kept for inspection');
  for (const [k, v] of epoch1) assert.deepEqual(weightsOf(parts.model).get(k), v, k);
  // The damaged folder is out of the rotation: the next save becomes last and keeps epoch 1 as previous.
  await saveCheckpoint(root, 'last', { ...parts, state: position(2) });
  assert.deepEqual([readCheckpointState(path.join(root, 'last')).epoch, readCheckpointState(path.join(root, 'previous')).epoch], [2, 1]);

  // Both damaged: no fallback, nothing moved, and the message names each problem and the command.
  fs.truncateSync(path.join(root, 'last', 'optimizer.bin'), 10);
  fs.rmSync(path.join(root, 'previous', 'model.json'));
  await assert.rejects(loadLatestCheckpoint(root, parts), (e: Error) => {
    assert.ok(e instanceof NoIntactCheckpointError);
    assert.equal(
      e.message,
      `Checkpoints ${root}/last (optimizer.bin has 10 bytes, ${readCheckpointState(path.join(root, 'last')).files!['optimizer.bin']!.bytes} were written (cut short)); ` +
        `${root}/previous (model.json is missing) are all damaged. To restart the run from epoch 0, delete its checkpoints and resume it: ` +
        `rm -r ${root} && gaf-lab resume ${path.dirname(root)} (or resumeRun in code).`,
    );
    return true;
  });
  assert.ok(fs.existsSync(path.join(root, 'last')) && fs.existsSync(path.join(root, 'previous')));
  // An empty root: nothing to resume from, not an error.
  assert.equal(await loadLatestCheckpoint(path.join(root, 'absent'), parts), undefined);
  parts.model.dispose();
  parts.optimizer.dispose();
});

test('a deleted model.json: a clear error naming the file, from loadCheckpoint and from tf.loadLayersModel(fileIO)', async () => {
  const { root } = await twoCheckpoints();
  const last = path.join(root, 'last');
  fs.rmSync(path.join(last, 'model.json'));
  const parts = freshParts();
  await assert.rejects(loadCheckpoint(last, parts), { message: `Checkpoint ${last} is damaged: model.json is missing.` });
  const plain = tmpDir();
  await parts.model.save(fileIO(plain));
  fs.rmSync(path.join(plain, 'model.json'));
  await assert.rejects(tf.loadLayersModel(fileIO(plain)), (e: Error) =>
    e.message.startsWith(`fileIO: ${plain}/model.json does not exist; a model folder holds model.json and weights.bin`),
  );
  // fileIO on a checkpoint folder checks the digests too.
  const prev = path.join(root, 'previous');
  const w = fs.readFileSync(path.join(prev, 'weights.bin'));
  w[100] = w[100]! ^ 1;
  fs.writeFileSync(path.join(prev, 'weights.bin'), w);
  await assert.rejects(tf.loadLayersModel(fileIO(prev)), /is damaged: weights\.bin sha256 mismatch/);
  parts.model.dispose();
  parts.optimizer.dispose();
});

/** Rewrites a checkpoint's state.json as gaf-lab wrote it before checksums (format /1). */
function makeOldFormat(dir: string): void {
  const s = readCheckpointState(dir);
  const { files: _f, checksum: _c, ...rest } = s;
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ ...rest, format: 'gaf-lab-checkpoint/1' }, null, 2));
}

test('a checkpoint written before checksums (format /1) still loads, marked unverified; its size checks remain', async () => {
  const { root, epoch2 } = await twoCheckpoints();
  const last = path.join(root, 'last');
  makeOldFormat(last);
  const parts = freshParts();
  const found = (await loadLatestCheckpoint(root, parts))!;
  assert.equal(found.dir, last);
  assert.equal(found.verified, false);
  assert.equal(found.damaged.length, 0);
  for (const [k, v] of epoch2) assert.deepEqual(weightsOf(parts.model).get(k), v, k);
  assert.equal(findCheckpoint(root), last);
  fs.truncateSync(path.join(last, 'weights.bin'), 64);
  await assert.rejects(
    loadCheckpoint(last, parts),
    /is damaged: weights\.bin has 64 bytes, its manifest describes \d+; the file is damaged/,
  );
  parts.model.dispose();
  parts.optimizer.dispose();
});
