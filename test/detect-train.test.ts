/**
 * The detector learns: trained on the synthetic VOC-layout set through the run-folder trainer,
 * it reaches the stated mAP, and the run folder is what the results code reads.
 *
 * Stated target: the tiny CenterNet at 64x64 input, 192 training images, 8 epochs of SGD
 * (lr 0.05, momentum 0.9, cosine), scores mAP@0.5 (VOC07 11-point) >= 0.15 on 64 test images.
 * An untrained detector scores close to 0 here (its heatmap is the prior 0.1 everywhere, so its
 * peaks are arbitrary cells with arbitrary sizes); this configuration measured 0.27.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../src/backend/init';
import { writeSyntheticVoc, SYNTHETIC_VOC_CLASSES } from '../src/data/synthetic-voc';
import { DETECTIONS_FILE, runDetection } from '../src/detect/train';
import { loadRuns, summarizeRuns } from '../src/results/index';

const STATED_MAP = 0.15;

before(async () => {
  await initBackend('wasm');
});

test(`the synthetic-set training reaches mAP >= ${STATED_MAP} and leaves a standard run folder`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-detect-train-'));
  await writeSyntheticVoc(dir, { train: 192, val: 0, test: 64, seed: 1 });
  const config = {
    name: 'ci-synthetic',
    outDir: path.join(dir, 'runs'),
    seed: 1,
    data: {
      dataDir: dir,
      train: [{ year: '2007', imageSet: 'train' }],
      test: { year: '2007', imageSet: 'test' },
      classes: [...SYNTHETIC_VOC_CLASSES],
    },
    model: { backbone: 'tiny', inputSize: 64 },
    optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 } },
    schedule: { kind: 'cosine', warmupEpochs: 1 },
    epochs: 8,
    batchSize: 16,
    evalEvery: 8,
    backend: 'wasm',
  };
  const r = await runDetection(config);
  assert.equal(r.status, 'completed', r.message);
  const mAP = r.final!.testMap!;
  assert.ok(mAP >= STATED_MAP, `mAP ${mAP} below the stated ${STATED_MAP}`);

  const manifest = JSON.parse(fs.readFileSync(path.join(r.runDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.task, 'detection');
  assert.equal(manifest.pretrainedBackbone, false);
  assert.equal(fs.readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 8);
  assert.ok(fs.existsSync(path.join(r.runDir, 'checkpoints', 'last', 'state.json')));
  const dets = JSON.parse(fs.readFileSync(path.join(r.runDir, DETECTIONS_FILE), 'utf8'));
  assert.equal(dets.epoch, 8);
  assert.ok(dets.detections.length > 0);

  // A completed run is left as it is.
  const again = await runDetection(config);
  assert.equal(again.alreadyDone, true);

  // The results code reads it: testMap is summarised like any metric.
  const summary = summarizeRuns(loadRuns(config.outDir), { metric: 'testMap', by: ['name'] }).objects() as { finalMean: number }[];
  assert.equal(summary.length, 1);
  assert.equal(summary[0]!.finalMean, mAP);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an interrupted detection run resumes from its checkpoint to the numbers of an uninterrupted one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-detect-resume-'));
  await writeSyntheticVoc(dir, { train: 24, val: 0, test: 8, seed: 2 });
  const config = (outDir: string): Record<string, unknown> => ({
    name: 'resume',
    outDir,
    seed: 3,
    data: {
      dataDir: dir,
      train: [{ year: '2007', imageSet: 'train' }],
      test: { year: '2007', imageSet: 'test' },
      classes: [...SYNTHETIC_VOC_CLASSES],
    },
    model: { backbone: 'tiny', inputSize: 32 },
    optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 }, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } },
    epochs: 3,
    batchSize: 8,
    backend: 'wasm',
  });
  const whole = await runDetection(config(path.join(dir, 'a')));
  assert.equal(whole.status, 'completed');
  // Stop after the first epoch (the signal is seen before the next step), then resume.
  const stop = new AbortController();
  const cut = await runDetection(config(path.join(dir, 'b')), { signal: stop.signal, onEpoch: () => stop.abort() });
  assert.deepEqual([cut.status, cut.epochsDone], ['interrupted', 1]);
  const resumed = await runDetection(config(path.join(dir, 'b')));
  assert.equal(resumed.status, 'completed');
  const lines = (r: typeof whole): unknown[] =>
    fs
      .readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const { epochSeconds: _s, imagesPerSecond: _i, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
  assert.deepEqual(lines(resumed), lines(whole));
  fs.rmSync(dir, { recursive: true, force: true });
});
