import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../src/config/index';
import { readManifest, readMetrics } from '../src/run-format/index';
import {
  claimRun,
  expandSweep,
  parseSweepConfig,
  prepareSweep,
  readClaims,
  releaseRun,
  runSweep,
  sweepStatus,
  type SweepConfigInput,
} from '../src/sweep/index';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-sweep-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const base = {
  dataset: { name: 'fashion-mnist', subset: { first: 128 }, testSubset: { first: 64 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 } },
  epochs: 1,
  batchSize: 32,
  seed: 1,
  backend: 'wasm',
};

test('a grid expands into resolved run configs with deterministic, distinct run ids', () => {
  const sweep: SweepConfigInput = {
    outDir: path.join(root, 'grid'),
    base,
    grid: {
      // A baseline without GAF, an SGD that takes the grid's GAFs, an explicit GAF, and Adam.
      optimizers: [{ gaf: null }, {}, { gaf: { kind: 'log', alpha: 0.2, beta: 10 }, placement: 'update' }, { name: 'adam', options: {} }],
      gafKinds: ['atan', 'tanh'],
      alphas: [0.1, 0.2],
      betas: [20],
      seeds: [1, 2],
    },
  };
  const runs = expandSweep(parseSweepConfig(sweep));
  // seeds x (baseline 1 + grid 2 kinds x 2 alphas + explicit 1 + adam crossed 4) = 2 x 10
  assert.equal(runs.length, 20);
  assert.equal(new Set(runs.map((r) => r.runId)).size, 20);
  assert.deepEqual(
    expandSweep(parseSweepConfig(sweep)).map((r) => r.runId),
    runs.map((r) => r.runId),
    'deterministic',
  );
  const opt = (i: number) =>
    runs[i]!.config.optimizer as { name: string; gaf: unknown; placement: string; options: Record<string, unknown> };
  assert.equal(opt(0).gaf, null);
  assert.deepEqual(opt(2).gaf, { kind: 'atan', alpha: 0.1, beta: 20 });
  assert.deepEqual(
    opt(2).options,
    { learningRate: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 5e-4 },
    'options merged over the base',
  );
  const explicit = runs.find((r) => r.runId.includes('log-a0.2-b10-upd'))!;
  assert.equal((explicit.config.optimizer as { placement: string }).placement, 'update');
  const adamRun = runs.find((r) => r.config.optimizer.name === 'adam')!;
  assert.deepEqual(
    Object.keys(adamRun.config.optimizer.options).sort(),
    ['beta1', 'beta2', 'epsilon', 'learningRate', 'weightDecay'],
    'another family does not inherit SGD options',
  );
  assert.ok(runs.every((r) => r.config.outDir === path.join(root, 'grid') && r.config.name === null));
  assert.match(runs[1]!.runId, /^fashion-mnist-smallcnn-sgd-s2-[0-9a-f]{6}$/);

  // A bad grid value is reported with the grid point it made.
  assert.throws(
    () => expandSweep(parseSweepConfig({ ...sweep, grid: { models: ['smallcnn', 'resnt18'] } })),
    (e: Error) =>
      e instanceof ConfigError && /grid point .*resnt18/.test(e.message) && /base\.model\.name: unknown model "resnt18"/.test(e.message),
  );
  assert.throws(() => parseSweepConfig({ ...sweep, grid: { seed: [1] } }), /grid: unknown field "seed" \(did you mean "seeds"\?\)/);
});

test("claims: exclusive while the holder lives; a dead holder's lock is taken over once", () => {
  const dir = path.join(root, 'claims');
  fs.mkdirSync(dir, { recursive: true });
  const first = claimRun(dir, 'run-a');
  assert.ok(first);
  assert.equal(first.info.pid, process.pid);
  assert.equal(first.file, path.join(fs.realpathSync(dir), 'run-a.lock'), "the claim is the run folder's own lock");
  assert.equal(claimRun(dir, 'run-a'), undefined, 'held by a live process (this one)');
  releaseRun(dir, 'run-a', 'completed');
  assert.ok(claimRun(dir, 'run-a'), 'free again after release');
  releaseRun(dir, 'run-a');

  // A lock left by a process that has exited on this host.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  const lock = (runId: string, pid: number, hostname: string): string =>
    JSON.stringify({
      format: 'gaf-lab-run-lock/1',
      runId,
      token: `t-${runId}`,
      pid,
      hostname,
      startedAt: new Date().toISOString(),
      heartbeatAt: new Date().toISOString(),
    });
  fs.writeFileSync(path.join(dir, 'run-b.lock'), lock('run-b', deadPid, os.hostname()));
  const taken = claimRun(dir, 'run-b');
  assert.ok(taken, 'stale lock taken over');
  assert.equal(claimRun(dir, 'run-b'), undefined, 'and now held by this live process');
  // A lock of another host with a fresh heartbeat is not taken over (its pid means nothing here).
  fs.writeFileSync(path.join(dir, 'run-c.lock'), lock('run-c', deadPid, `${os.hostname()}-elsewhere`));
  assert.equal(claimRun(dir, 'run-c'), undefined);
  const claims = readClaims(dir);
  assert.deepEqual(
    claims.map((c) => [c.event, c.runId, c.previousPid ?? null, c.status ?? null]),
    [
      ['release', 'run-a', null, 'completed'],
      ['takeover', 'run-b', deadPid, null],
    ],
  );
  releaseRun(dir, 'run-b');
  assert.equal(fs.existsSync(path.join(dir, 'run-b.lock')), false);
});

test('two worker processes on one sweep folder finish the grid, each run exactly once', async (t) => {
  const sweep: SweepConfigInput = {
    name: 'two-workers',
    outDir: path.join(root, 'two'),
    base,
    grid: { optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }], seeds: [1, 2] },
  };
  const t0 = Date.now();
  const result = await runSweep(sweep, { workers: 2 });
  t.diagnostic(`4 runs with 2 workers: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.deepEqual(result.workerExitCodes, [0, 0]);
  assert.equal(result.runs.length, 4);
  const dir = result.sweepDir;
  const claims = readClaims(dir);
  for (const { runId, status } of result.runs) {
    assert.equal(status, 'completed', runId);
    const runDir = path.join(dir, runId);
    const m = readManifest(runDir);
    assert.equal(m.epochsDone, 1);
    assert.deepEqual(m.resumes, [], `${runId} was trained in one go`);
    assert.equal(readMetrics(runDir).length, 1, `${runId}: one metrics line`);
    const mine = claims.filter((c) => c.runId === runId);
    assert.deepEqual(
      mine.map((c) => c.event),
      ['claim', 'release'],
      `${runId}: claimed once, released once`,
    );
    assert.equal(mine[0]!.pid, mine[1]!.pid);
    assert.equal(mine[0]!.pid, m.pid, 'the claiming worker trained it');
    assert.ok(fs.existsSync(path.join(dir, 'configs', `${runId}.json`)), 'a config file per run for external schedulers');
  }
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.lock')),
    [],
    'no lock left behind',
  );
  const workers = new Set(claims.map((c) => c.pid));
  t.diagnostic(`runs per worker: ${[...workers].map((p) => claims.filter((c) => c.pid === p && c.event === 'claim').length).join(' + ')}`);

  // The sweep again: everything is done, nothing is claimed or trained.
  const again = await runSweep(sweep, { workers: 1 });
  assert.ok(again.runs.every((r) => r.status === 'completed'));
  assert.equal(readClaims(dir).length, claims.length);
  // The same folder cannot take a different sweep.
  assert.throws(() => prepareSweep({ ...sweep, grid: { seeds: [1, 2, 3] } }), /already holds a different sweep/);
  assert.deepEqual(sweepStatus(dir), again.runs);
});
