import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';
import { loadFashionMnist } from '../src/data/mnist';
import { createModel } from '../src/models/index';
import { findCheckpoint, loadCheckpoint, readCheckpointState } from '../src/train/checkpoint';
import { resolveConfig, type ExperimentConfigInput } from '../src/config/index';
import { readJsonLines, readManifest, readMetrics } from '../src/run-format/index';
import { progressPrinter, type ProgressEvent } from '../src/train/progress';
import { resumeRun, runExperiment, type GradStatsLine } from '../src/train/runner';

let root: string;
before(async () => {
  await initBackend('wasm');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-runner-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('a run writes the folder of docs/run-format.md, evaluates on its cadence, and leaks no tensors', async (t) => {
  const input: ExperimentConfigInput = {
    dataset: { name: 'fashion-mnist', subset: { first: 128 }, testSubset: { first: 64 } },
    model: { name: 'smallcnn' },
    optimizer: { name: 'adam', options: { learningRate: 1e-3 }, gaf: { kind: 'tanh', alpha: 0.1, beta: 15 } },
    schedule: { kind: 'step', milestones: [2], gamma: 0.5 },
    epochs: 3,
    batchSize: 32,
    evalEvery: 2,
    seed: 3,
    gradStats: { every: 3 },
    keepCheckpoints: 'all',
    backend: 'wasm',
    outDir: root,
  };
  const tensorsBefore = tf.memory().numTensors;
  const events: ProgressEvent[] = [];
  const afterEpoch: number[] = [];
  const result = await runExperiment(input, {
    handleSignals: false,
    onProgress: (e) => {
      events.push(e);
      if (e.type === 'epoch') afterEpoch.push(tf.memory().numTensors);
    },
  });
  assert.equal(result.status, 'completed');
  // Model and optimizer state exist from the first step on; every epoch must leave the count unchanged,
  // and the run must free everything it made.
  assert.equal(afterEpoch.length, 3);
  assert.equal(afterEpoch[1], afterEpoch[0], `tensors after epochs: ${afterEpoch.join(', ')}`);
  assert.equal(afterEpoch[2], afterEpoch[0], `tensors after epochs: ${afterEpoch.join(', ')}`);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors left after the run');

  // Progress events: start, 4 batches per epoch, one per epoch, end.
  assert.deepEqual(
    events.map((e) => e.type).join(','),
    ['start', ...[1, 2, 3].flatMap(() => ['batch', 'batch', 'batch', 'batch', 'epoch']), 'end'].join(','),
  );
  const start = events[0]!;
  assert.ok(
    start.type === 'start' && start.trainSize === 128 && start.testSize === 64 && start.batchesPerEpoch === 4 && start.startEpoch === 0,
  );

  const dir = result.runDir;
  assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoints', 'gradstats.jsonl', 'manifest.json', 'metrics.jsonl', 'steps.jsonl']);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')).sort(), ['epoch-0001', 'epoch-0002', 'epoch-0003', 'last', 'previous']);
  assert.equal(readCheckpointState(path.join(dir, 'checkpoints', 'epoch-0002')).epoch, 2);
  assert.equal(readCheckpointState(path.join(dir, 'checkpoints', 'previous')).epoch, 2, 'the checkpoint before last is kept');

  const m = readManifest(dir);
  assert.equal(m.status, 'completed');
  assert.equal(m.runId, path.basename(dir));
  assert.deepEqual(m.config, resolveConfig(input));
  assert.equal(m.seed, 3);
  assert.equal(m.backend, 'wasm');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  assert.equal(m.packages['@tensorflow/tfjs'], (require('@tensorflow/tfjs/package.json') as { version: string }).version);
  assert.equal(m.host.cpus, os.cpus().length);
  assert.equal(m.host.node, process.version);
  assert.match(m.gitCommit ?? '', /^[0-9a-f]{40}$/);
  assert.ok(m.endedAt! >= m.startedAt);
  assert.equal(m.epochsDone, 3);

  const lines = readMetrics(dir);
  assert.equal(lines.length, 3);
  assert.deepEqual(m.final, lines[2]);
  assert.deepEqual(
    lines.map((l) => l.testLoss === null),
    [true, false, false],
    'evaluated every 2nd epoch and after the last',
  );
  // Step schedule: milestone 2 halves the rate from the third epoch (0-based epoch 2) on.
  assert.deepEqual(
    lines.map((l) => l.lr),
    [1e-3, 1e-3, 5e-4],
  );
  assert.deepEqual(
    lines.map((l) => l.step),
    [4, 8, 12],
  );
  for (const l of lines) {
    assert.equal(l.diverged, false);
    assert.ok(l.trainTop1! >= 0 && l.trainTop1! <= l.trainTop5! && l.trainTop5! <= 1);
    assert.ok(l.epochSeconds > 0 && l.imagesPerSecond > 0);
  }

  // Gradient statistics every 3rd step: steps 1, 4, 7, 10, one line per trainable variable (8).
  const grads = readJsonLines<GradStatsLine>(path.join(dir, 'gradstats.jsonl'));
  assert.equal(grads.length, 4 * 8);
  assert.deepEqual([...new Set(grads.map((g) => `${g.epoch}:${g.step}`))], ['1:1', '1:4', '2:7', '3:10']);
  assert.ok(
    grads.some((g) => g.variable === 'conv1/kernel'),
    'variables under their model names',
  );
  assert.ok(
    grads.every((g) => g.actMaxAbs <= 0.1 + 1e-7),
    'tanh GAF with alpha 0.1 bounds the activated gradient by 0.1',
  );

  // The test metrics of epochs 2 and 3, recomputed independently from their checkpoints: logits
  // from model.predict, then in plain JS doubles: log-softmax for the loss, rank of the true class for top-k.
  const test64 = loadFashionMnist({ split: 'test', limit: 64 });
  for (const epoch of [2, 3]) {
    const model = createModel('smallcnn', { seed: 0 });
    await loadCheckpoint(path.join(dir, 'checkpoints', `epoch-000${epoch}`), { model });
    const x = tf.tensor4d(test64.images, [64, 28, 28, 1]);
    const logits = model.predict(x) as tf.Tensor2D;
    const rows = logits.arraySync();
    tf.dispose([x, logits]);
    model.dispose();
    let loss = 0;
    let top1 = 0;
    let top5 = 0;
    rows.forEach((z, i) => {
      const y = test64.labels[i]!;
      const max = Math.max(...z);
      loss += -(z[y]! - max - Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)));
      const above = z.filter((v) => v > z[y]!).length;
      top1 += above === 0 ? 1 : 0;
      top5 += above < 5 ? 1 : 0;
    });
    const line = lines[epoch - 1]!;
    assert.equal(line.testTop1, top1 / 64, `epoch ${epoch} top-1`);
    assert.equal(line.testTop5, top5 / 64, `epoch ${epoch} top-5`);
    assert.ok(Math.abs(line.testLoss! - loss / 64) < 1e-5, `epoch ${epoch} test loss ${line.testLoss} vs ${loss / 64}`);
  }
  const last = lines[2]!;
  t.diagnostic(
    `epoch 2: top5 ${lines[1]!.testTop5}; epoch 3: test loss ${last.testLoss}, top1 ${last.testTop1}, top5 ${last.testTop5}; tensors per epoch ${afterEpoch.join(', ')}`,
  );

  await assert.rejects(
    runExperiment(input, { handleSignals: false }),
    /already exists in .*\(status completed, 3 epochs done\)\. Resume it/,
  );
});

test('divergence: a non-finite loss stops the run, marked diverged, last good checkpoint kept', async () => {
  // LeNet (no batch norm) at lr 0.05 for epoch 1, then 0.05 * 1e30: the loss turns NaN within epoch 2.
  const input: ExperimentConfigInput = {
    dataset: { name: 'fashion-mnist', subset: { first: 128 }, testSubset: { first: 32 } },
    model: { name: 'LeNet', options: { inputShape: [28, 28, 1] } },
    optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 } },
    schedule: { kind: 'step', milestones: [1], gamma: 1e30 },
    epochs: 3,
    batchSize: 32,
    seed: 1,
    backend: 'wasm',
    outDir: root,
  };
  const r = await runExperiment(input, { handleSignals: false });
  assert.equal(r.status, 'diverged');
  assert.match(r.message!, /non-finite training loss \(NaN\) at epoch 2, batch \d of 4, learning rate 5\.0+\d*e\+28/);
  assert.match(r.message!, /the last good checkpoint \(epoch 1\) is in checkpoints\/last/);
  const m = readManifest(r.runDir);
  assert.equal(m.status, 'diverged');
  assert.equal(m.message, r.message);
  assert.equal(m.epochsDone, 1);
  const lines = readMetrics(r.runDir);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.diverged, false);
  assert.equal(lines[1]!.diverged, true);
  assert.equal(lines[1]!.testLoss, null);
  const ckpt = findCheckpoint(path.join(r.runDir, 'checkpoints'))!;
  assert.equal(readCheckpointState(ckpt).epoch, 1);
  const w = fs.readFileSync(path.join(ckpt, 'weights.bin'));
  const floats = new Float32Array(w.buffer, w.byteOffset, w.byteLength / 4);
  assert.ok(floats.every(Number.isFinite), 'the kept checkpoint holds finite weights');
  // Resuming a diverged run changes nothing.
  const again = await resumeRun(r.runDir, { handleSignals: false });
  assert.equal(again.alreadyDone, true);
  assert.equal(again.status, 'diverged');
  assert.equal(readMetrics(r.runDir).length, 2);

  // With batch norm the training loss can stay finite while the moving statistics overflow:
  // caught by the weight check after the epoch.
  const bn = await runExperiment(
    { ...input, model: { name: 'smallcnn' }, dataset: { ...input.dataset, subset: { first: 64 } } },
    { handleSignals: false },
  );
  assert.equal(bn.status, 'diverged');
  assert.match(bn.message!, /non-finite (weights after epoch 2|training loss \(\w+\) at epoch 2)/);
  assert.equal(readManifest(bn.runDir).epochsDone, 1);
});

/** A stream that records what is written. */
function sink(isTTY: boolean): { write(s: string): boolean; isTTY: boolean; columns: number; text: () => string } {
  const parts: string[] = [];
  return { write: (s: string) => parts.push(s) > 0, isTTY, columns: 200, text: () => parts.join('') };
}

const metricsLine = (epoch: number) => ({
  epoch,
  trainLoss: 0.5,
  trainTop1: 0.8,
  trainTop5: 0.99,
  testLoss: 0.6,
  testTop1: 0.75,
  testTop5: 0.98,
  lr: 0.1,
  epochSeconds: 10,
  imagesPerSecond: 100,
  step: 10 * epoch,
  diverged: false,
});

function feed(print: (e: ProgressEvent) => void, tick: () => void, batches: number, epochs: number): void {
  print({
    type: 'start',
    runId: 'r',
    runDir: '/r',
    backend: 'wasm',
    epochs,
    startEpoch: 0,
    batchesPerEpoch: batches,
    trainSize: 32 * batches,
    testSize: 10,
  });
  for (let e = 1; e <= epochs; e++) {
    for (let b = 1; b <= batches; b++) {
      tick();
      print({ type: 'batch', epoch: e, epochs, batch: b, batches, loss: 1, accuracy: 0.5, lr: 0.1 });
    }
    print({ type: 'epoch', epochs, metrics: metricsLine(e) });
  }
  print({ type: 'end', runId: 'r', status: 'completed', epochsDone: epochs });
}

test('progress: one rewritten line on a terminal; a few lines per long epoch elsewhere', () => {
  let clock = 0;
  const tty = sink(true);
  feed(progressPrinter({ stream: tty, now: () => clock }), () => (clock += 1000), 10, 2);
  const out = tty.text();
  // One line for the start, one per epoch, one for the end; the bar updates are \r rewrites.
  assert.equal(out.split('\n').length - 1, 4, out);
  assert.equal((out.match(/\r/g) ?? []).length, 20 + 2, 'a \\r per batch and one before each epoch summary');
  // 1 s per batch; after batch 5 of epoch 1, 15 of 20 batches remain: ETA 15 s.
  assert.match(out, /epoch 1\/2 \[##########\.{10}\] 5\/10 loss 1\.0000 acc 50\.0% lr 0\.100 ETA 15 s/);
  assert.match(
    out,
    /epoch 2\/2 \| train loss 0\.5000 top1 80\.00% \| test loss 0\.6000 top1 75\.00% top5 98\.00% \| lr 0\.100 \| 10\.0 s, 100 img\/s\n/,
  );

  clock = 0;
  const slow = sink(false);
  feed(progressPrinter({ stream: slow, now: () => clock, everyPercent: 25, minSeconds: 10 }), () => (clock += 1000), 100, 2);
  const lines = slow.text().trimEnd().split('\n');
  assert.ok(!slow.text().includes('\r'));
  // Per epoch of 100 one-second batches: lines at 25%, 50%, 75% and the epoch summary.
  assert.equal(lines.filter((l) => l.includes(' 25/100 ') || l.includes(' 50/100 ') || l.includes(' 75/100 ')).length, 6);
  assert.equal(lines.length, 1 + 2 * 4 + 1, lines.join('\n'));

  clock = 0;
  const fast = sink(false);
  feed(progressPrinter({ stream: fast, now: () => clock, everyPercent: 25, minSeconds: 10 }), () => (clock += 10), 100, 2);
  // Epochs of one second: no lines inside them, only start, summaries and end.
  assert.equal(fast.text().trimEnd().split('\n').length, 4);
});
