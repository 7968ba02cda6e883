import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCheckpointState } from '../src/train/checkpoint';
import { readJsonLines, readManifest, readMetrics } from '../src/run-format/index';
import type { ProgressEvent } from '../src/train/progress';
import { resumeRun, runExperiment, type GradStatsLine } from '../src/train/runner';
import { metricNumbers, resumeConfig } from './resume-fixtures';

const config = resumeConfig;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-recovery-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const numbers = metricNumbers;

const checkpointBytes = (runDir: string, file: string): Buffer => fs.readFileSync(path.join(runDir, 'checkpoints', 'last', file));

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

/** Runs `fn` with process.stderr captured; returns what it wrote. */
async function captureStderr<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; stderr: string }> {
  const parts: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => parts.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    return { value: await fn(), stderr: parts.join('') };
  } catch (error) {
    return { error, stderr: parts.join('') };
  } finally {
    process.stderr.write = write;
  }
}

let straight: string;
let stopped: string;

before(async () => {
  // An uninterrupted run, and the same run stopped in epoch 3: checkpoints/last holds epoch 2,
  // checkpoints/previous epoch 1. Each test damages a copy of the stopped run and resumes it.
  straight = (await runExperiment(config(path.join(scratch, 'straight')), { handleSignals: false })).runDir;
  const controller = new AbortController();
  const r = await runExperiment(config(path.join(scratch, 'stopped')), {
    handleSignals: false,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'batch' && e.epoch === 3 && e.batch === 1) controller.abort();
    },
  });
  assert.equal(r.status, 'interrupted');
  stopped = r.runDir;
  assert.deepEqual(
    [
      readCheckpointState(path.join(stopped, 'checkpoints', 'last')).epoch,
      readCheckpointState(path.join(stopped, 'checkpoints', 'previous')).epoch,
    ],
    [2, 1],
  );
});

let copies = 0;
function copyOfStopped(): string {
  const dir = path.join(scratch, `copy-${++copies}`, path.basename(stopped));
  fs.cpSync(stopped, dir, { recursive: true });
  return dir;
}

function overwrite80(file: string): void {
  const b = fs.readFileSync(file);
  b.fill(0x41, Math.floor(b.length / 2), Math.floor(b.length / 2) + 80);
  fs.writeFileSync(file, b);
}

test('80 bytes overwritten in checkpoints/last/weights.bin: detected, resumed from previous (said loudly, recorded), bit-identical to an uninterrupted run', async () => {
  const dir = copyOfStopped();
  overwrite80(path.join(dir, 'checkpoints', 'last', 'weights.bin'));
  const events: ProgressEvent[] = [];
  const {
    value: r,
    error,
    stderr,
  } = await captureStderr(() => resumeRun(dir, { handleSignals: false, onProgress: (e) => events.push(e) }));
  assert.equal(error, undefined);
  assert.equal(r!.status, 'completed');
  assert.equal(r!.startEpoch, 1, 'epoch 2 is redone from the previous checkpoint');
  assert.match(
    stderr,
    /gaf-lab: WARNING: run \S+: checkpoint checkpoints\/last is damaged \(weights\.bin sha256 mismatch: [0-9a-f]{64}, [0-9a-f]{64} was written \(its contents changed\)\); resuming from checkpoints\/previous \(epoch 1\) instead; the damaged folder is kept as checkpoints\/damaged-last-/,
  );
  const warning = events.find((e) => e.type === 'warning');
  assert.ok(warning && warning.type === 'warning' && stderr.includes(warning.message));
  const m = readManifest(dir);
  assert.equal(m.status, 'completed');
  assert.equal(m.recoveries!.length, 1);
  const rec = m.recoveries![0]!;
  assert.equal(rec.damaged, 'checkpoints/last');
  assert.match(rec.problem, /^weights\.bin sha256 mismatch/);
  assert.equal(rec.used, 'checkpoints/previous');
  assert.equal(rec.usedEpoch, 1);
  assert.match(rec.movedTo!, /^checkpoints\/damaged-last-/);
  assert.ok(fs.existsSync(path.join(dir, rec.movedTo!, 'weights.bin')));
  assert.deepEqual(
    m.resumes.map((x) => [x.fromEpoch, x.checkpoint, x.verified]),
    [[1, 'checkpoints/previous', true]],
  );
  assertSameRun(straight, dir, 'recovered from previous');
});

test('a truncated checkpoints/last: resumed from previous, bit-identical to an uninterrupted run', async () => {
  const dir = copyOfStopped();
  const f = path.join(dir, 'checkpoints', 'last', 'optimizer.bin');
  fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
  const { value: r, stderr } = await captureStderr(() => resumeRun(dir, { handleSignals: false }));
  assert.equal(r!.status, 'completed');
  assert.match(stderr, /checkpoint checkpoints\/last is damaged \(optimizer\.bin has \d+ bytes, \d+ were written \(cut short\)\)/);
  assert.match(readManifest(dir).recoveries![0]!.problem, /^optimizer\.bin has \d+ bytes/);
  assertSameRun(straight, dir, 'truncated last');
});

test('a damaged last with no previous: the run fails with the command that restarts it; following it gives the uninterrupted numbers', async () => {
  const dir = copyOfStopped();
  const ckpts = path.join(dir, 'checkpoints');
  fs.rmSync(path.join(ckpts, 'previous'), { recursive: true });
  overwrite80(path.join(ckpts, 'last', 'weights.bin'));
  const { error } = await captureStderr(() => resumeRun(dir, { handleSignals: false }));
  const escape = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const want =
    `^${escape(`Checkpoint ${ckpts}/last (weights.bin sha256 mismatch: `)}[0-9a-f]{64}, [0-9a-f]{64}${escape(' was written (its contents changed)) is damaged and there is no earlier checkpoint. ')}` +
    `${escape(`To restart the run from epoch 0, delete its checkpoints and resume it: rm -r ${ckpts} && gaf-lab resume ${dir} (or resumeRun in code).`)}$`;
  assert.match((error as Error).message, new RegExp(want));
  const m = readManifest(dir);
  assert.equal(m.status, 'failed', 'a damaged checkpoint is not a divergence or a completed run');
  assert.equal(m.message, (error as Error).message);
  assert.ok(fs.existsSync(path.join(ckpts, 'last')), 'nothing is moved when there is nothing to fall back to');
  // Do what the message says.
  fs.rmSync(ckpts, { recursive: true });
  const r = await resumeRun(dir, { handleSignals: false });
  assert.equal(r.status, 'completed');
  assert.equal(r.startEpoch, 0);
  assertSameRun(straight, dir, 'restarted from epoch 0');
});

test('a deleted model.json: without a previous checkpoint the error names the file and the fix (no raw ENOENT); with one, it falls back', async () => {
  const dir = copyOfStopped();
  const ckpts = path.join(dir, 'checkpoints');
  fs.rmSync(path.join(ckpts, 'last', 'model.json'));
  const withPrevious = copyOfStopped();
  fs.rmSync(path.join(withPrevious, 'checkpoints', 'last', 'model.json'));
  fs.rmSync(path.join(ckpts, 'previous'), { recursive: true });
  const { error } = await captureStderr(() => resumeRun(dir, { handleSignals: false }));
  assert.equal(
    (error as Error).message,
    `Checkpoint ${ckpts}/last (model.json is missing) is damaged and there is no earlier checkpoint. To restart the run from epoch 0, delete its checkpoints and resume it: rm -r ${ckpts} && gaf-lab resume ${dir} (or resumeRun in code).`,
  );
  assert.doesNotMatch((error as Error).message, /ENOENT/);
  const { value: r, stderr } = await captureStderr(() => resumeRun(withPrevious, { handleSignals: false }));
  assert.equal(r!.status, 'completed');
  assert.match(
    stderr,
    /checkpoint checkpoints\/last is damaged \(model\.json is missing\); resuming from checkpoints\/previous \(epoch 1\)/,
  );
  assertSameRun(straight, withPrevious, 'model.json deleted, previous used');
});

/** Rewrites a checkpoint's state.json as gaf-lab wrote it before checksums (format /1). */
function makeOldFormat(dir: string): void {
  const { files: _f, checksum: _c, ...rest } = readCheckpointState(dir);
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ ...rest, format: 'gaf-lab-checkpoint/1' }, null, 2));
}

test('an old run folder (checkpoints without checksums) still resumes, said to be unverified, with the same numbers', async () => {
  const dir = copyOfStopped();
  makeOldFormat(path.join(dir, 'checkpoints', 'last'));
  makeOldFormat(path.join(dir, 'checkpoints', 'previous'));
  const { value: r, stderr } = await captureStderr(() => resumeRun(dir, { handleSignals: false }));
  assert.equal(r!.status, 'completed');
  assert.equal(r!.startEpoch, 2);
  assert.match(stderr, /checkpoint checkpoints\/last was written before checkpoints had checksums: it is loaded without verification/);
  assert.deepEqual(
    readManifest(dir).resumes.map((x) => [x.fromEpoch, x.checkpoint, x.verified]),
    [[2, 'checkpoints/last', false]],
  );
  assert.equal(
    readCheckpointState(path.join(dir, 'checkpoints', 'last')).format,
    'gaf-lab-checkpoint/2',
    'the new checkpoints have checksums',
  );
  assertSameRun(straight, dir, 'old-format checkpoint');
});

test('a divergence right after loading unverifiable weights is not recorded as diverged (final); with checksums the damage is caught before training', async () => {
  // Old format, and weights.bin overwritten with 0xff bytes (NaN as float32): the loss is NaN at once.
  const dir = copyOfStopped();
  const last = path.join(dir, 'checkpoints', 'last');
  makeOldFormat(last);
  const w = fs.readFileSync(path.join(last, 'weights.bin'));
  w.fill(0xff, 0, 400);
  fs.writeFileSync(path.join(last, 'weights.bin'), w);
  const { value: r } = await captureStderr(() => resumeRun(dir, { handleSignals: false }));
  assert.equal(r!.status, 'failed');
  // (NaN in the first conv kernel shows as a NaN loss or, through batch norm, as NaN weights after the epoch.)
  assert.match(r!.message!, /^non-finite (training loss \(NaN\) at epoch 3|weights after epoch 3)/);
  assert.match(
    r!.message!,
    /written before checkpoints had checksums and could not be verified, so the run is not marked diverged: the checkpoint may be damaged\. To settle it, retrain from epoch 0: rm -r \S+\/checkpoints && gaf-lab resume /,
  );
  assert.equal(readManifest(dir).status, 'failed');
  // The same bytes in a checkpoint with checksums: found before a step is taken, previous used, no divergence.
  const checked = copyOfStopped();
  const w2 = fs.readFileSync(path.join(checked, 'checkpoints', 'last', 'weights.bin'));
  w2.fill(0xff, 0, 400);
  fs.writeFileSync(path.join(checked, 'checkpoints', 'last', 'weights.bin'), w2);
  const { value: r2 } = await captureStderr(() => resumeRun(checked, { handleSignals: false }));
  assert.equal(r2!.status, 'completed');
  assertSameRun(straight, checked, 'NaN weights caught by the checksum');
});
