import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findCheckpoint, readCheckpointState } from '../src/train/checkpoint';
import { resolveConfig, runIdOf } from '../src/config/index';
import { readJsonLines, readManifest, readMetrics } from '../src/run-format/index';
import { resumeRun, runExperiment, runOrResume, type GradStatsLine } from '../src/train/runner';
import { metricNumbers, resumeConfig } from './resume-fixtures';

const config = resumeConfig;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-resume-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const numbers = metricNumbers;

function checkpointBytes(runDir: string, file: string): Buffer {
  return fs.readFileSync(path.join(runDir, 'checkpoints', 'last', file));
}

/** Asserts that two run folders hold the same numbers: metrics, gradient statistics, final weights and optimizer state. */
function assertSameRun(a: string, b: string, label: string): void {
  assert.deepEqual(readMetrics(b).map(numbers), readMetrics(a).map(numbers), `${label}: metrics`);
  assert.deepEqual(
    readJsonLines<GradStatsLine>(path.join(b, 'gradstats.jsonl')),
    readJsonLines<GradStatsLine>(path.join(a, 'gradstats.jsonl')),
    `${label}: gradient statistics`,
  );
  assert.ok(checkpointBytes(b, 'weights.bin').equals(checkpointBytes(a, 'weights.bin')), `${label}: final weights differ`);
  assert.ok(checkpointBytes(b, 'optimizer.bin').equals(checkpointBytes(a, 'optimizer.bin')), `${label}: final optimizer state differs`);
}

test('train, SIGKILL mid-epoch 2, resume: the same numbers as an uninterrupted run', async (t) => {
  const root = path.join(scratch, 'kill');
  fs.mkdirSync(root);
  const runId = runIdOf(resolveConfig(config(root)));
  const killedDir = path.join(root, 'killed', runId);
  const cfgFile = path.join(root, 'killed.json');
  fs.writeFileSync(cfgFile, JSON.stringify(config(path.join(root, 'killed'))));

  // 1. A child process trains; once epoch 1 is checkpointed, wait a quarter of an epoch and kill it.
  const child = spawn(process.execPath, [path.join(__dirname, 'train-child.js'), cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
  const deadline = Date.now() + 90_000;
  const epochOneDone = (): boolean => {
    if (!fs.existsSync(path.join(killedDir, 'manifest.json'))) return false;
    return readManifest(killedDir).epochsDone === 1;
  };
  while (!epochOneDone()) {
    assert.ok(child.exitCode === null, `the child ended before epoch 1 was done: ${stderr}`);
    assert.ok(Date.now() < deadline, 'epoch 1 took more than 90 s');
    await sleep(30);
  }
  const epoch1 = readMetrics(killedDir)[0]!;
  await sleep(Math.max(150, 250 * epoch1.epochSeconds));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  // What the kill left: the run marked running, epoch 1 checkpointed, no line of epoch 2.
  const left = readManifest(killedDir);
  assert.equal(left.status, 'running');
  assert.equal(left.epochsDone, 1);
  assert.equal(readCheckpointState(findCheckpoint(path.join(killedDir, 'checkpoints'))!).epoch, 1);
  assert.equal(readMetrics(killedDir).length, 1, 'the kill came after epoch 2 had ended: the machine ran faster than the wait assumed');

  // 2. The same config uninterrupted, in this process.
  const straight = await runExperiment(config(path.join(root, 'straight')), { handleSignals: false });
  assert.equal(straight.status, 'completed');

  // 3. Resume the killed run in this process.
  const resumed = await resumeRun(killedDir, { handleSignals: false });
  assert.equal(resumed.status, 'completed');
  assert.equal(resumed.startEpoch, 1);
  const m = readManifest(killedDir);
  assert.equal(m.status, 'completed');
  assert.equal(m.epochsDone, 3);
  assert.equal(m.resumes.length, 1);
  assert.equal(m.resumes[0]!.fromEpoch, 1);

  assertSameRun(straight.runDir, killedDir, 'killed and resumed');
  const [a, b] = [readMetrics(straight.runDir).at(-1)!, readMetrics(killedDir).at(-1)!];
  t.diagnostic(`uninterrupted: test loss ${a.testLoss} top1 ${a.testTop1} top5 ${a.testTop5}, train loss ${a.trainLoss}`);
  t.diagnostic(`killed+resumed: test loss ${b.testLoss} top1 ${b.testTop1} top5 ${b.testTop5}, train loss ${b.trainLoss}`);
  t.diagnostic(
    `killed after ${Math.max(150, 250 * epoch1.epochSeconds).toFixed(0)} ms of epoch 2 (epoch 1 took ${epoch1.epochSeconds.toFixed(2)} s)`,
  );

  // 4. Stopped by a signal (the AbortSignal the SIGINT handler fires) after batch 2 of epoch 2, then resumed.
  const controller = new AbortController();
  const stopped = await runExperiment(config(path.join(root, 'stopped')), {
    handleSignals: false,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'batch' && e.epoch === 2 && e.batch === 2) controller.abort();
    },
  });
  assert.equal(stopped.status, 'interrupted');
  assert.equal(stopped.epochsDone, 1);
  assert.match(readManifest(stopped.runDir).message ?? '', /stopped by a signal during epoch 2/);
  assert.equal(readMetrics(stopped.runDir).length, 1);
  const again = await resumeRun(stopped.runDir, { handleSignals: false });
  assert.equal(again.status, 'completed');
  assertSameRun(straight.runDir, stopped.runDir, 'interrupted and resumed');

  // 5. A completed run is not trained again, whether resumed by folder or by config.
  const noop = await resumeRun(straight.runDir, { handleSignals: false });
  assert.equal(noop.alreadyDone, true);
  const noop2 = await runOrResume(config(path.join(root, 'straight')), { handleSignals: false });
  assert.equal(noop2.alreadyDone, true);
  assert.equal(noop2.runDir, straight.runDir);
  assert.equal(readMetrics(straight.runDir).length, 3);
});

test('SIGTERM stops a run after the step in flight: status interrupted, epoch 1 kept, resumable', async () => {
  const root = path.join(scratch, 'term');
  fs.mkdirSync(root);
  const cfg = { ...config(root), epochs: 2 };
  const runDir = path.join(root, runIdOf(resolveConfig(cfg)));
  const cfgFile = path.join(root, 'term.json');
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  const child = spawn(process.execPath, [path.join(__dirname, 'train-child.js'), cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!(fs.existsSync(path.join(runDir, 'manifest.json')) && readManifest(runDir).epochsDone === 1)) {
    assert.ok(child.exitCode === null && Date.now() < deadline, `epoch 1 did not finish: ${stderr}`);
    await sleep(30);
  }
  child.kill('SIGTERM');
  // train-child exits with 2 when the run ended other than completed.
  assert.equal(await exited, 2, stderr);
  assert.match(stderr, /SIGTERM: stopping after the current step/);
  const m = readManifest(runDir);
  assert.equal(m.status, 'interrupted');
  assert.equal(m.epochsDone, 1);
  assert.match(m.message ?? '', /stopped by a signal during epoch 2; resuming continues after epoch 1/);
  assert.ok(m.endedAt);
  assert.equal(readMetrics(runDir).length, 1);
});
