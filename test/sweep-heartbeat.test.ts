/**
 * Runs held by a process on another host (a `--join` worker, or a Slurm task's earlier attempt
 * on another node): its lock is judged by its heartbeat. While the holder refreshes it, nobody
 * else trains the run; once the heartbeat is older than the staleness limit
 * (GAF_LOCK_STALE_SECONDS, 2 s here), a worker or a Slurm task takes the run over and trains it.
 * The other host is a lock written with another host name.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readManifest, writeFileAtomic } from '../src/run-format/index';
import { prepareSweep, readClaims, runSweepTask, runSweepWorker, type SweepConfigInput } from '../src/sweep/index';
import { RUN_LOCK_FORMAT, type RunLockInfo } from '../src/train/run-lock';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-heartbeat-'));
const staleBefore = process.env['GAF_LOCK_STALE_SECONDS'];
process.env['GAF_LOCK_STALE_SECONDS'] = '2';
after(() => {
  if (staleBefore === undefined) delete process.env['GAF_LOCK_STALE_SECONDS'];
  else process.env['GAF_LOCK_STALE_SECONDS'] = staleBefore;
  fs.rmSync(root, { recursive: true, force: true });
});

const base = {
  dataset: { name: 'fashion-mnist', subset: { first: 64 }, testSubset: { first: 32 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05 } },
  epochs: 1,
  batchSize: 32,
  seed: 1,
  backend: 'wasm',
};
const elsewhere = `${os.hostname()}-elsewhere`;

/** Writes a lock as a process on another host holds it; returns its file. */
function foreignLock(sweepDir: string, runId: string, pid: number, heartbeatAt: Date): { file: string; info: RunLockInfo } {
  const info: RunLockInfo = {
    format: RUN_LOCK_FORMAT,
    runId,
    token: `token-${pid}`,
    pid,
    hostname: elsewhere,
    startedAt: new Date(Date.now() - 3_600_000).toISOString(),
    heartbeatAt: heartbeatAt.toISOString(),
  };
  const file = path.join(fs.realpathSync(sweepDir), `${runId}.lock`);
  writeFileAtomic(file, JSON.stringify(info));
  return { file, info };
}

test("a Slurm task waits while another host's lock beats, and takes the run over once its heartbeat is stale", async () => {
  const sweep: SweepConfigInput = { outDir: path.join(root, 'task'), base };
  const { sweepDir, runs } = prepareSweep(sweep);
  const runId = runs[0]!.runId;
  const t0 = Date.now();
  const { file, info } = foreignLock(sweepDir, runId, 4242, new Date());
  // The holder on the other host beats every 300 ms for 3 s (longer than the 2 s limit), then dies.
  let lastBeat = t0;
  const beat = setInterval(() => {
    lastBeat = Date.now();
    writeFileAtomic(file, JSON.stringify({ ...info, heartbeatAt: new Date(lastBeat).toISOString() }));
  }, 300);
  setTimeout(() => clearInterval(beat), 3000);
  let busy: RunLockInfo | undefined;
  const out = await runSweepTask(sweepDir, 0, { pollMs: 100, onBusy: (h) => (busy = h) });
  assert.equal(busy?.hostname, elsewhere, 'the task saw the run held by the other host');
  assert.equal(out.action, 'trained');
  assert.equal(out.action === 'trained' && out.result.status, 'completed');
  const takeover = readClaims(sweepDir).find((c) => c.event === 'takeover');
  assert.ok(takeover, JSON.stringify(readClaims(sweepDir)));
  assert.equal(takeover.previousPid, 4242);
  // Taken only once the last heartbeat was older than the limit: never while the holder lived.
  const at = Date.parse(takeover.at);
  assert.ok(at - lastBeat >= 2000, `taken over ${at - lastBeat} ms after the last heartbeat (limit 2000 ms)`);
  assert.ok(at - t0 >= 3000, 'not before the holder stopped beating');
  assert.equal(readManifest(path.join(sweepDir, runId)).status, 'completed');
  assert.equal(fs.existsSync(file), false, 'the lock is released');
  // The run has ended: a requeued or resubmitted task skips it.
  assert.deepEqual(await runSweepTask(sweepDir, 0), { runId, action: 'skipped', status: 'completed' });
  await assert.rejects(runSweepTask(sweepDir, 1), /run index 1 is out of range: .* holds runs 0-0 \(sweep\.json\)/);
});

test("a --join worker takes over another host's stale lock and leaves a beating one alone", async () => {
  const sweep: SweepConfigInput = { outDir: path.join(root, 'join'), base, grid: { seeds: [1, 2] } };
  const { sweepDir, runs } = prepareSweep(sweep);
  const [stale, live] = runs.map((r) => r.runId);
  foreignLock(sweepDir, stale!, 1111, new Date(Date.now() - 60_000));
  const { file, info } = foreignLock(sweepDir, live!, 2222, new Date());
  const beat = setInterval(() => writeFileAtomic(file, JSON.stringify({ ...info, heartbeatAt: new Date().toISOString() })), 300);
  try {
    const report = await runSweepWorker(sweepDir);
    assert.deepEqual(
      report.trained.map((r) => [r.runId, r.status]),
      [[stale, 'completed']],
    );
    assert.deepEqual(report.busy, [live]);
    assert.equal(fs.existsSync(path.join(sweepDir, live!)), false, 'the beating holder’s run was not touched');
    assert.deepEqual(
      readClaims(sweepDir)
        .filter((c) => c.event === 'takeover')
        .map((c) => [c.runId, c.previousPid]),
      [[stale, 1111]],
    );
  } finally {
    clearInterval(beat);
  }
});
