/**
 * Real training on webgpu through the runner: Fashion-MNIST (256 images, 8 steps an epoch)
 * reaches the accuracy wasm reaches, and a run stopped after epoch 1 on one backend resumes on
 * the other from its checkpoint.
 *
 * The runner keeps the active backend for a config's `backend: 'auto'`, so each part of a run
 * trains on whatever backend the test switched to. All runs share the seed, so both backends
 * start from the same weights and see the same batches: they differ only by float32 rounding.
 *
 * Accuracy band. 256 test images: the standard error of an accuracy near 0.7 is
 * sqrt(0.7 * 0.3 / 256) = 0.029; two runs on the same weights and batches differ by much less
 * than two independent ones, so 0.05 (below 2 standard errors) bounds the difference; 0.5 (five
 * times chance, 0.1) is the floor both must reach for the comparison to mean training happened.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfigInput } from '../src/config/index';
import { readManifest, readMetrics } from '../src/run-format/index';
import { resumeRun, runExperiment, type RunResult } from '../src/train/runner';
import { on, startWasmAndWebGpu } from './webgpu-fixtures';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-webgpu-train-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
before(startWasmAndWebGpu);

const BAND = 0.05;
const FLOOR = 0.5;

const config = (outDir: string): ExperimentConfigInput => ({
  dataset: { name: 'fashion-mnist', subset: { first: 256 }, testSubset: { first: 256 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.02, momentum: 0.9 }, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } },
  epochs: 2,
  batchSize: 32,
  seed: 7,
  backend: 'auto',
  outDir,
});

/** Trains on `backend` and stops once epoch 1 is done (the abort lands during epoch 2's first batch). */
async function firstEpochOn(backend: 'wasm' | 'webgpu', outDir: string): Promise<RunResult> {
  return on(backend, async () => {
    const stop = new AbortController();
    const r = await runExperiment(config(outDir), {
      handleSignals: false,
      signal: stop.signal,
      onProgress: (e) => {
        if (e.type === 'batch' && e.epoch === 2 && e.batch === 1) stop.abort();
      },
    });
    assert.equal(r.status, 'interrupted', r.message);
    assert.equal(r.epochsDone, 1);
    assert.equal(readManifest(r.runDir).backend, backend, 'the run trained on the backend the test chose');
    return r;
  });
}

/** Resumes on `backend` and checks that it continued from the epoch-1 checkpoint there. */
async function resumeOn(backend: 'wasm' | 'webgpu', runDir: string): Promise<void> {
  await on(backend, async () => {
    const r = await resumeRun(runDir, { handleSignals: false });
    assert.equal(r.status, 'completed', r.message);
    assert.equal(r.startEpoch, 1);
    const m = readManifest(runDir);
    assert.equal(m.backend, backend);
    assert.equal(m.resumes.length, 1);
    assert.equal(m.resumes[0]!.fromEpoch, 1);
  });
}

function assertSameBand(a: number | null, b: number | null, label: string): void {
  assert.ok(a !== null && b !== null, `${label}: missing test accuracy`);
  assert.ok(a >= FLOOR && b >= FLOOR, `${label}: test accuracy ${a} / ${b} below ${FLOOR}`);
  assert.ok(Math.abs(a - b) <= BAND, `${label}: test accuracy ${a} vs ${b} differ by more than ${BAND}`);
}

test('Fashion-MNIST on webgpu: epoch 1 reaches wasm accuracy; checkpoints move between webgpu and wasm both ways', async (t) => {
  const straight = await on('wasm', () => runExperiment(config(path.join(scratch, 'wasm')), { handleSignals: false }));
  assert.equal(straight.status, 'completed');
  const [s1, s2] = readMetrics(straight.runDir);

  const t0 = performance.now();
  const gpuFirst = await firstEpochOn('webgpu', path.join(scratch, 'webgpu-then-wasm'));
  const gpuSeconds = (performance.now() - t0) / 1000;
  const g1 = readMetrics(gpuFirst.runDir)[0]!;
  assertSameBand(g1.testTop1, s1!.testTop1, 'epoch 1, webgpu vs wasm');
  await resumeOn('wasm', gpuFirst.runDir);
  const g2 = readMetrics(gpuFirst.runDir)[1]!;
  assertSameBand(g2.testTop1, s2!.testTop1, 'epoch 2 on wasm after epoch 1 on webgpu, vs wasm throughout');

  const wasmFirst = await firstEpochOn('wasm', path.join(scratch, 'wasm-then-webgpu'));
  // Epoch 1 on wasm is the straight run's epoch 1, to the bit: the same backend, seed and batches.
  assert.deepEqual(readMetrics(wasmFirst.runDir)[0]!.testTop1, s1!.testTop1);
  const t1 = performance.now();
  await resumeOn('webgpu', wasmFirst.runDir);
  const resumeSeconds = (performance.now() - t1) / 1000;
  const w2 = readMetrics(wasmFirst.runDir)[1]!;
  assertSameBand(w2.testTop1, s2!.testTop1, 'epoch 2 on webgpu after epoch 1 on wasm, vs wasm throughout');

  t.diagnostic(
    `test top-1: wasm ${s1!.testTop1} -> ${s2!.testTop1}; webgpu ${g1.testTop1} -> wasm ${g2.testTop1}; wasm -> webgpu ${w2.testTop1}`,
  );
  t.diagnostic(`train loss epoch 1: wasm ${s1!.trainLoss}, webgpu ${g1.trainLoss}`);
  t.diagnostic(`webgpu: epoch 1 with shader compilation ${gpuSeconds.toFixed(1)} s, epoch 2 resumed ${resumeSeconds.toFixed(1)} s`);
  assert.equal(tf.getBackend(), 'webgpu');
});
