/**
 * One run folder, one trainer: two processes started at the same instant on the same run (two
 * `train`s of one config, or two `resume`s of one interrupted run) must end with exactly one of
 * them training and the other refused with the name of the holder, and the run's files must
 * hold every epoch once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, runIdOf, type ExperimentConfigInput } from '../src/config/index';
import { readManifest, readMetrics } from '../src/run-format/index';
import { resumeRun, runExperiment, runOrResume } from '../src/train/runner';
import { lockRun, readRunLock, RUN_LOCK_FORMAT, runLockFile, RunLockedError, tryLockRun, type RunLockInfo } from '../src/train/run-lock';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-lock-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// Two epochs of two batches: long enough that both processes are inside the run at once,
// short enough for many rounds (a child needs about 2 s, mostly loading tfjs).
const config = (outDir: string): ExperimentConfigInput => ({
  dataset: { name: 'fashion-mnist', subset: { first: 64 }, testSubset: { first: 32 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05 } },
  epochs: 2,
  batchSize: 32,
  seed: 3,
  backend: 'wasm',
  outDir,
});

interface ChildOutcome {
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Two children on one target, let go at the same instant once both have loaded the runner. */
async function race(mode: 'train' | 'resume', target: string): Promise<ChildOutcome[]> {
  const children = [0, 1].map(() => {
    const child = spawn(process.execPath, [path.join(__dirname, 'run-race-child.js'), mode, target], { stdio: ['pipe', 'pipe', 'pipe'] });
    const o = { child, stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => (o.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (o.stderr += d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (o.stdout.startsWith('ready\n')) resolve();
      };
      child.stdout.on('data', check);
      child.on('exit', (code) => reject(new Error(`a race child exited (${code}) before it was ready: ${o.stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { o, ready, exited };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.o.child.stdin.end('go\n');
  return Promise.all(
    children.map(async (c) => ({
      pid: c.o.child.pid!,
      code: await c.exited,
      stdout: c.o.stdout.replace(/^ready\n/, ''),
      stderr: c.o.stderr,
    })),
  );
}

const ROUNDS = 10;

test(`${ROUNDS} races of two processes on one run folder: exactly one trains, the other is refused naming the holder`, async (t) => {
  // The resume races start from a copy of a run interrupted after epoch 1.
  const template = path.join(scratch, 'template');
  const controller = new AbortController();
  const stopped = await runExperiment(config(template), {
    handleSignals: false,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'epoch' && e.metrics.epoch === 1) controller.abort();
    },
  });
  assert.equal(stopped.status, 'interrupted');
  assert.equal(stopped.epochsDone, 1);

  let duplicates = 0;
  const problems: string[] = [];
  const t0 = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    const mode = round % 2 === 0 ? 'train' : 'resume';
    const out = path.join(scratch, `round-${round}`);
    const runDir = path.join(out, runIdOf(resolveConfig(config(out))));
    let target: string;
    if (mode === 'train') {
      target = path.join(scratch, `round-${round}.json`);
      fs.writeFileSync(target, JSON.stringify(config(out)));
    } else {
      fs.cpSync(stopped.runDir, runDir, { recursive: true });
      target = runDir;
    }
    const outcomes = await race(mode, target);

    const epochs = readMetrics(runDir).map((m) => m.epoch);
    const m = readManifest(runDir);
    const trained = outcomes.filter((o) => o.code === 0 && !(JSON.parse(o.stdout) as { alreadyDone: boolean }).alreadyDone);
    const refused = outcomes.filter((o) => o.code === 1);
    const label = `round ${round} (${mode})`;
    if (epochs.join(',') !== '1,2' || trained.length !== 1) duplicates++;
    if (trained.length !== 1)
      problems.push(`${label}: ${trained.length} processes trained (exit codes ${outcomes.map((o) => o.code).join(', ')})`);
    if (epochs.join(',') !== '1,2') problems.push(`${label}: metrics.jsonl holds epochs ${epochs.join(',')}`);
    if (m.status !== 'completed' || m.epochsDone !== 2) problems.push(`${label}: manifest ${m.status}, ${m.epochsDone} epochs done`);
    if (m.resumes.length !== (mode === 'resume' ? 1 : 0)) problems.push(`${label}: the manifest lists ${m.resumes.length} resumes`);
    if (trained.length === 1 && refused.length === 1) {
      const winner = trained[0]!;
      const expected = new RegExp(
        `^Run ${path.basename(runDir)} is being trained by pid ${winner.pid} on host ${os.hostname()} since \\d{4}-\\d\\d-\\d\\dT`,
      );
      if (!expected.test(refused[0]!.stderr)) problems.push(`${label}: the refused process said: ${refused[0]!.stderr.trim()}`);
      if (m.pid !== winner.pid) problems.push(`${label}: the manifest names pid ${m.pid}, not the trainer ${winner.pid}`);
    } else if (trained.length === 1) {
      problems.push(
        `${label}: the second process was not refused: ${JSON.stringify(outcomes.map((o) => [o.code, o.stdout.trim(), o.stderr.trim()]))}`,
      );
    }
    if (fs.readdirSync(out).some((f) => f.endsWith('.lock') || f.includes('.lock.')))
      problems.push(`${label}: a lock file was left behind: ${fs.readdirSync(out).join(', ')}`);
  }
  t.diagnostic(`races tried: ${ROUNDS}, duplicates seen: ${duplicates}, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.deepEqual(problems, [], `races tried: ${ROUNDS}, duplicates seen: ${duplicates}`);
});

/** The pid of a process that has just exited (so it is not alive on this host). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function plantLock(runDir: string, over: Partial<RunLockInfo>): RunLockInfo {
  const now = new Date().toISOString();
  const info: RunLockInfo = {
    format: RUN_LOCK_FORMAT,
    runId: path.basename(runDir),
    token: `planted${Math.random().toString(16).slice(2)}`,
    pid: deadPid(),
    hostname: os.hostname(),
    startedAt: now,
    heartbeatAt: now,
    ...over,
  };
  fs.mkdirSync(path.dirname(runDir), { recursive: true });
  fs.writeFileSync(runLockFile(runDir), JSON.stringify(info));
  return info;
}

/** Captures what `fn` writes to stderr. */
async function stderrOf<T>(fn: () => Promise<T> | T): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    text += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: await fn(), stderr: text };
  } finally {
    process.stderr.write = write;
  }
}

test("a dead holder's lock is taken over (said on stderr); a live holder's is not; another host's by the age of its heartbeat", async () => {
  const root = path.join(scratch, 'holders');
  // Dead process on this host: the run trains, the takeover is reported, no lock is left.
  const dead = plantLock(path.join(root, 'x'), {});
  const cfg = config(root);
  const runDir = path.join(root, runIdOf(resolveConfig(cfg)));
  plantLock(runDir, { pid: dead.pid });
  const { value: r, stderr } = await stderrOf(() => runExperiment(cfg, { handleSignals: false }));
  assert.equal(r.status, 'completed');
  assert.match(
    stderr,
    new RegExp(
      `run ${path.basename(runDir)}: took over the lock left by pid ${dead.pid} on this host \\(${os.hostname()}\\), which no longer runs`,
    ),
  );
  assert.equal(fs.existsSync(runLockFile(runDir)), false, 'released after the run');
  assert.deepEqual(
    readMetrics(runDir).map((m) => m.epoch),
    [1, 2],
  );

  // A live process on this host: refused with its pid, host and start; nothing is written.
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    const other = config(path.join(root, 'live'));
    const otherDir = path.join(root, 'live', runIdOf(resolveConfig(other)));
    const live = plantLock(otherDir, { pid: sleeper.pid!, startedAt: '2024-01-02T03:04:05.000Z' });
    await assert.rejects(runOrResume(other, { handleSignals: false }), (e: Error) => {
      assert.ok(e instanceof RunLockedError);
      assert.equal(e.holder?.pid, sleeper.pid);
      assert.match(
        e.message,
        new RegExp(
          `^Run ${path.basename(otherDir)} is being trained by pid ${sleeper.pid} on host ${os.hostname()} since 2024-01-02T03:04:05.000Z .*Wait for it to end, or stop that process`,
        ),
      );
      return true;
    });
    assert.equal(fs.existsSync(otherDir), false, 'the refused call wrote nothing');
    assert.deepEqual(readRunLock(otherDir), live, "and left the holder's lock as it was");
    // resume is refused the same way (the run folder exists here: a copy of the finished run).
    fs.cpSync(runDir, otherDir, { recursive: true });
    await assert.rejects(resumeRun(otherDir, { handleSignals: false }), RunLockedError);
  } finally {
    sleeper.kill();
  }

  // Another host: its pid means nothing here; a fresh heartbeat holds, an old one is stale.
  const far = path.join(root, 'far');
  plantLock(far, { hostname: `${os.hostname()}-elsewhere`, pid: process.pid });
  assert.equal(tryLockRun(far), undefined, 'a fresh heartbeat from another host holds');
  const old = new Date(Date.now() - 11 * 60_000).toISOString();
  plantLock(far, { hostname: `${os.hostname()}-elsewhere`, heartbeatAt: old });
  assert.equal(tryLockRun(far, { staleAfterMs: 20 * 60_000 }), undefined, 'younger than a longer staleness limit');
  const { value: taken, stderr: said } = await stderrOf(() => tryLockRun(far));
  assert.ok(taken, 'older than the default 10 minutes: taken over');
  assert.match(
    said,
    new RegExp(`took over the lock left by pid \\d+ on host ${os.hostname()}-elsewhere, whose last heartbeat was at ${old}`),
  );
  taken.release();
  assert.equal(fs.existsSync(runLockFile(far)), false);
});

test('the lock is released on every way a run ends, and refuses a second owner in the same process', async () => {
  const root = path.join(scratch, 'ends');
  const lockLeft = (dir: string): boolean => fs.existsSync(runLockFile(dir));

  // Failed: an exception inside the run.
  const failing = config(path.join(root, 'failed'));
  await assert.rejects(
    runExperiment(failing, {
      handleSignals: false,
      onProgress: (e) => {
        if (e.type === 'epoch') throw new Error('boom from onProgress');
      },
    }),
    /boom from onProgress/,
  );
  const failedDir = runDirOfConfig(failing);
  assert.equal(readManifest(failedDir).status, 'failed');
  assert.equal(lockLeft(failedDir), false, 'failed');

  // Interrupted (the abort signal a SIGINT fires), then resumed to completion.
  const controller = new AbortController();
  const stoppedCfg = config(path.join(root, 'stopped'));
  const stopped = await runExperiment(stoppedCfg, {
    handleSignals: false,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'batch') controller.abort();
    },
  });
  assert.equal(stopped.status, 'interrupted');
  assert.equal(lockLeft(stopped.runDir), false, 'interrupted');

  // Held by this very process: a second call on the run is refused, then goes through once released.
  const held = lockRun(stopped.runDir);
  await assert.rejects(resumeRun(stopped.runDir, { handleSignals: false }), new RegExp(`is being trained by pid ${process.pid}`));
  held.release();
  const resumed = await resumeRun(stopped.runDir, { handleSignals: false });
  assert.equal(resumed.status, 'completed');
  assert.equal(lockLeft(stopped.runDir), false, 'completed');
  assert.equal(readManifest(stopped.runDir).resumes.length, 1);

  // Diverged: a learning rate of 1e6 overflows within the first epoch.
  const diverging = { ...config(path.join(root, 'diverged')), optimizer: { name: 'sgd', options: { learningRate: 1e6 } } };
  const d = await runExperiment(diverging, { handleSignals: false });
  assert.equal(d.status, 'diverged');
  assert.equal(lockLeft(d.runDir), false, 'diverged');

  // Refused before anything: a run that already exists, and a config error (no lock file made at all).
  await assert.rejects(runExperiment(diverging, { handleSignals: false }), /already exists/);
  assert.equal(lockLeft(d.runDir), false, 'refused start');
  assert.throws(() => resolveConfig({ ...config(path.join(root, 'bad')), epochs: 0 }));
  await assert.rejects(runExperiment({ ...config(path.join(root, 'bad')), epochs: 0 }, { handleSignals: false }));
  assert.equal(fs.existsSync(path.join(root, 'bad')), false, 'a config error touches nothing');
});

test('heartbeat: refreshed while held; a lock that another process took over is noticed and not overwritten', async () => {
  const dir = path.join(scratch, 'beat', 'run');
  const lock = lockRun(dir, { heartbeatMs: 20 });
  const first = readRunLock(dir)!;
  assert.equal(first.token, lock.info.token);
  await sleep(120);
  const later = readRunLock(dir)!;
  assert.equal(later.token, lock.info.token);
  assert.ok(Date.parse(later.heartbeatAt) > Date.parse(first.heartbeatAt), `heartbeat ${first.heartbeatAt} -> ${later.heartbeatAt}`);
  assert.equal(later.startedAt, first.startedAt);

  // Someone else's lock now (as after a takeover from another host while this process was frozen).
  const theirs = plantLock(dir, { pid: process.pid, hostname: 'elsewhere' });
  const { stderr } = await stderrOf(() => sleep(120));
  assert.equal(lock.lost.aborted, true);
  assert.equal(lock.held, false);
  assert.match(stderr, /is now held by pid \d+ on host elsewhere; this process stops training it/);
  assert.deepEqual(readRunLock(dir), theirs, 'their lock is left as it is');
  lock.release();
  assert.deepEqual(readRunLock(dir), theirs, "release does not remove another process's lock");
});

/** Children that each try to lock `runDir` at the same instant; how many won. */
async function lockRace(runDir: string, n: number, pauseMs: number): Promise<{ won: number; lost: number }> {
  const children = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [path.join(__dirname, 'lock-race-child.js'), runDir, String(pauseMs)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    const lines = (want: number): Promise<string[]> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const l = out.split('\n').filter(Boolean);
          if (l.length >= want) resolve(l);
        };
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          check();
        });
        child.on('exit', (code) => reject(new Error(`lock-race-child exited (${code}) early: ${out}`)));
        check();
      });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, lines, exited };
  });
  await Promise.all(children.map((c) => c.lines(1)));
  for (const c of children) c.child.stdin.write('go\n');
  const answers = await Promise.all(children.map(async (c) => (await c.lines(2))[1]));
  for (const c of children) c.child.stdin.end();
  await Promise.all(children.map((c) => c.exited));
  return { won: answers.filter((a) => a === 'won').length, lost: answers.filter((a) => a === 'lost').length };
}

test("many processes at once on a free lock, a dead holder's lock, and one with a dead takeover guard: one owner each time", async (t) => {
  const N = 5;
  const kinds = ['free', 'dead holder', 'dead holder and dead guard'] as const;
  const outcomes: string[] = [];
  for (let round = 0; round < 6; round++) {
    const kind = kinds[round % kinds.length]!;
    const runDir = path.join(scratch, 'takeover', `run-${round}`);
    if (kind !== 'free') {
      const stale = plantLock(runDir, {});
      if (kind === 'dead holder and dead guard') {
        // A process that died in the middle of taking the dead lock over left its guard.
        fs.writeFileSync(
          `${runLockFile(runDir)}.takeover-${stale.token}`,
          JSON.stringify({ ...stale, token: 'deadguard', pid: deadPid() }),
        );
      }
    }
    // Every removal of a lock file waits 100 ms: without the takeover guard, each process that
    // judged the dead lock stale would remove what is there by then and create its own.
    const { won, lost } = await lockRace(runDir, N, 100);
    outcomes.push(`${kind}: ${won} won, ${lost} lost`);
    assert.equal(won, 1, `round ${round} (${kind}): ${won} processes got the lock`);
    assert.equal(lost, N - 1);
    // The winner exited without releasing: the exit hook removed its lock; no guard is left.
    assert.deepEqual(
      fs.readdirSync(path.dirname(runDir)).filter((f) => f.startsWith(`run-${round}.lock`)),
      [],
      `round ${round}: files left`,
    );
  }
  t.diagnostic(outcomes.join('; '));
});

function runDirOfConfig(c: ExperimentConfigInput): string {
  return path.join(c.outDir as string, runIdOf(resolveConfig(c)));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
