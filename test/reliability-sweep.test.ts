/**
 * Sweeps that lose a process: a worker killed with SIGKILL in the middle of a run (the sweep
 * still finishes every run, once, and names the dead worker's run and signal), the sweep's
 * parent killed (its workers stop within seconds, and running the sweep again finishes it),
 * and runs that cannot finish (the sweep exits 1 naming them).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '../src/provenance/index';
import { readManifest, readMetrics } from '../src/run-format/index';
import { expandSweep, parseSweepConfig, readClaims, sweepStatus, type SweepConfigInput } from '../src/sweep/index';
import { lockRun } from '../src/train/run-lock';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-sweep-rel-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two batches per epoch: runs of a few seconds that a kill can land in the middle of. */
const base = (epochs: number): Record<string, unknown> => ({
  dataset: { name: 'fashion-mnist', subset: { first: 64 }, testSubset: { first: 32 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05 } },
  epochs,
  batchSize: 32,
  seed: 1,
  backend: 'wasm',
});

function writeSweep(name: string, sweep: SweepConfigInput): string {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(sweep));
  return file;
}

function gafLab(...args: string[]): { code: number | null; out: string; err: string } {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, cwd: tmp });
  return { code: p.status, out: p.stdout, err: p.stderr };
}

/** Starts the CLI without waiting; `exited` resolves with its exit code or signal. */
function startGafLab(...args: string[]): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | NodeJS.Signals | null>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
  return { child, out: () => out, err: () => err, exited };
}

/** Waits until `ready` returns a value, failing after `seconds`. */
async function until<T>(what: string, seconds: number, ready: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = ready();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out after ${seconds} s waiting for ${what}`);
    await sleep(10);
  }
}

/** A run claimed by a worker that has checkpointed at least one epoch and is still training. */
function runInFlight(sweepDir: string, exclude: Set<number> = new Set()): { runId: string; pid: number } | undefined {
  for (const c of readClaims(sweepDir)) {
    if (c.event !== 'claim' || exclude.has(c.pid)) continue;
    const runDir = path.join(sweepDir, c.runId);
    if (!fs.existsSync(path.join(runDir, 'manifest.json'))) continue;
    const m = readManifest(runDir);
    if (m.status === 'running' && m.pid === c.pid && m.epochsDone >= 1 && m.epochsDone < (m.config as { epochs: number }).epochs)
      return { runId: c.runId, pid: c.pid };
  }
  return undefined;
}

function assertAllDoneOnce(sweepDir: string, epochs: number): void {
  for (const r of sweepStatus(sweepDir)) {
    assert.equal(r.status, 'completed', r.runId);
    assert.deepEqual(
      readMetrics(path.join(sweepDir, r.runId)).map((m) => m.epoch),
      Array.from({ length: epochs }, (_, i) => i + 1),
      `${r.runId}: each epoch once`,
    );
  }
  assert.deepEqual(
    fs.readdirSync(sweepDir).filter((f) => f.includes('.lock')),
    [],
    'no lock left',
  );
}

test('a worker killed with SIGKILL mid-run: its run is taken over and resumed, the sweep completes and names the dead worker', async () => {
  const sweepDir = path.join(tmp, 'killed-worker');
  const cfg = writeSweep('killed-worker', { outDir: sweepDir, base: base(5), grid: { seeds: [1, 2, 3] } });
  const sweep = startGafLab('sweep', cfg, '--workers', '2');
  const victim = await until('a worker in the middle of a run', 120, () =>
    fs.existsSync(path.join(sweepDir, 'claims.jsonl')) ? runInFlight(sweepDir) : undefined,
  );
  process.kill(victim.pid, 'SIGKILL');
  const code = await sweep.exited;
  assert.equal(code, 0, `exit ${code}\n${sweep.err()}`);
  assert.match(
    sweep.err(),
    new RegExp(
      `worker \\d+ \\(pid ${victim.pid}\\) was killed by SIGKILL \\(no exit code\\) while training ${victim.runId}; (worker \\d+ was started in its place|no worker was started in its place)\\.`,
    ),
  );
  assertAllDoneOnce(sweepDir, 5);
  const m = readManifest(path.join(sweepDir, victim.runId));
  assert.equal(m.resumes.length, 1, 'the stranded run was resumed once');
  assert.ok(m.resumes[0]!.fromEpoch >= 1, 'from its checkpoint, not from scratch');
  const takeovers = readClaims(sweepDir).filter((c) => c.event === 'takeover');
  assert.deepEqual(
    takeovers.map((c) => [c.runId, c.previousPid]),
    [[victim.runId, victim.pid]],
  );
  assert.doesNotMatch(sweep.err(), /not done/);
});

test("the sweep's parent killed with SIGKILL: its workers stop within seconds, and running the sweep again finishes it", async (t) => {
  const sweepDir = path.join(tmp, 'killed-parent');
  // Several seconds a run: the first worker's run must outlast the second worker's start-up
  // (with 6 epochs it sometimes completed before the parent was killed).
  const epochs = 40;
  const cfg = writeSweep('killed-parent', { outDir: sweepDir, base: base(epochs), grid: { seeds: [1, 2, 3] } });
  const sweep = startGafLab('sweep', cfg, '--workers', '2');
  // Both workers in the middle of a run.
  const first = await until('a worker in the middle of a run', 120, () =>
    fs.existsSync(path.join(sweepDir, 'claims.jsonl')) ? runInFlight(sweepDir) : undefined,
  );
  const second = await until('the other worker in the middle of a run', 120, () => runInFlight(sweepDir, new Set([first.pid])));
  sweep.child.kill('SIGKILL');
  assert.equal(await sweep.exited, 'SIGKILL');
  const t0 = Date.now();
  await until('both workers to exit', 10, () => (!processAlive(first.pid) && !processAlive(second.pid) ? true : undefined));
  t.diagnostic(`workers gone ${((Date.now() - t0) / 1000).toFixed(2)} s after the parent was killed`);
  for (const w of [first, second]) {
    const m = readManifest(path.join(sweepDir, w.runId));
    assert.equal(m.status, 'interrupted', `${w.runId} was left interrupted by its worker, not running`);
    assert.match(m.message ?? '', /stopped by a signal/);
  }
  assert.match(sweep.err(), /the sweep's parent process is gone: stopping after the current step/);
  assert.deepEqual(
    fs.readdirSync(sweepDir).filter((f) => f.includes('.lock')),
    [],
    'the stopped workers released their runs',
  );
  assert.ok(
    sweepStatus(sweepDir).some((r) => r.status !== 'completed'),
    'the sweep was not done when the parent died',
  );

  const again = gafLab('sweep', cfg, '--workers', '2');
  assert.equal(again.code, 0, again.err);
  assertAllDoneOnce(sweepDir, epochs);
  for (const w of [first, second]) assert.equal(readManifest(path.join(sweepDir, w.runId)).resumes.length, 1, `${w.runId} resumed once`);
});

test('runs that cannot finish: the sweep exits 1 naming each (a failed run with its message; a run another process holds), and says how to continue', () => {
  // A model that cannot be built for 28x28 images fails; a run locked by this test process is held.
  const sweepDir = path.join(tmp, 'stuck');
  const sweep: SweepConfigInput = { outDir: sweepDir, base: base(1), grid: { models: ['smallcnn', 'vgg11'], seeds: [1, 2] } };
  const cfg = writeSweep('stuck', sweep);
  const runs = expandSweep(parseSweepConfig(sweep));
  const vgg = runs.filter((r) => r.config.model.name.toLowerCase() === 'vgg11').map((r) => r.runId);
  const held = runs.find((r) => r.config.model.name === 'smallcnn')!.runId;
  assert.equal(vgg.length, 2);
  const lock = lockRun(path.join(sweepDir, held));
  try {
    const r = gafLab('sweep', cfg);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /gaf-lab sweep: 3 of 4 run\(s\) not done:/);
    for (const id of vgg) {
      assert.match(r.err, new RegExp(`${id}[:,].*`));
      assert.match(r.err, new RegExp(`${id}.*cannot build it for inputShape \\[28, 28, 1\\]`));
    }
    assert.match(
      r.err,
      new RegExp(`  ${held}: pending, 0 epoch\\(s\\) done, being trained by pid ${process.pid} on host ${os.hostname()} since `),
    );
    assert.match(r.err, /A run being trained by another process is finished by that process\./);

    // The same with two worker processes: the same verdict, not an exit 0 while a run is held.
    const r2 = gafLab('sweep', cfg, '--workers', '2');
    assert.equal(r2.code, 1, r2.err);
    assert.match(r2.err, new RegExp(`  ${held}: pending, 0 epoch\\(s\\) done, being trained by pid ${process.pid}`));
  } finally {
    lock.release();
  }
  // Released: the held run trains; the failed runs stay failed (not retried) and are named again.
  const r3 = gafLab('sweep', cfg);
  assert.equal(r3.code, 1, r3.err);
  assert.equal(readManifest(path.join(sweepDir, held)).status, 'completed');
  assert.match(r3.err, /gaf-lab sweep: 2 of 4 run\(s\) not done:/);
  for (const id of vgg) assert.match(r3.err, new RegExp(`  ${id}: `));
});
