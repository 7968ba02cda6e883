/**
 * `gaf-lab sweep --slurm`, `sweep status` and `sweep cancel` against a real Slurm: a one-node
 * cluster on this machine started by scripts/slurm-local.sh (and stopped again when this file
 * started it). The scenarios run at once, as the cluster schedules their tasks:
 * - a 4-run sweep completes, each run trained exactly once, with the same `gaf-lab results`
 *   as the same sweep trained locally;
 * - a task cancelled mid-epoch (scancel) and requeued (scontrol requeue) resumes and ends with
 *   the metrics of the uninterrupted run;
 * - a task warned of its time limit stops after the step, requeues itself and finishes with
 *   the metrics of the uninterrupted run. The warning is sent the way `--signal=B:USR1@50`
 *   has Slurm send it (USR1 to the batch shell only), by `scancel --batch --signal=USR1`, at a
 *   moment the test picks (mid-epoch): Slurm looks at time limits only about every 30 s, so
 *   a real 1-minute limit would warn 10-40 s in, and on a loaded machine that can be before
 *   the run has started; docs/cluster.md shows a run under a real limit;
 * - a run with a bad data path shows as FAILED in `sweep status` with its log, the other
 *   completes; `sweep cancel` cancels a sweep and submitting it again finishes it.
 *
 * Skipped (with the reason printed) only where Slurm is not installed and cannot be (no root
 * or no apt-get); where it could be, the test fails with the command that installs it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJson, readJsonLines, readManifest, readMetrics, type EpochMetrics } from '../src/run-format/index';
import { readSweep, type SlurmTaskRecord, type SweepConfigInput } from '../src/sweep/index';
import { ROOT } from './repo-root';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const LOCAL_CLUSTER = path.join(ROOT, 'scripts', 'slurm-local.sh');
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const isRoot = process.getuid?.() === 0;

function unavailable(): string | undefined {
  const missing = ['slurmctld', 'slurmd', 'sbatch', 'munged'].filter((c) => !has(c));
  if (missing.length === 0) return isRoot ? undefined : 'the one-node test cluster runs its daemons as root, and this is not root';
  if (isRoot && has('apt-get')) return undefined; // installable: the test fails below, saying how
  return `Slurm is not installed (${missing.join(', ')} missing) and cannot be here (${isRoot ? 'no apt-get' : 'not root'})`;
}

const skip = unavailable();
if (skip) console.log(`# slurm-sweep.test: skipped: ${skip}`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-slurm-test-'));
let env: NodeJS.ProcessEnv = process.env;
let startedHere = false;

const base = {
  dataset: { name: 'fashion-mnist', subset: { first: 256 }, testSubset: { first: 64 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 } },
  epochs: 2,
  batchSize: 32,
  seed: 1,
  backend: 'wasm',
};

/** The CLI, asynchronously: the scenarios run at once in this process, and a synchronous spawn would stall their polling. */
function gaf(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

function slurm(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function writeSweep(name: string, grid: SweepConfigInput['grid'], over: Record<string, unknown> = {}): string {
  const file = path.join(root, `${name}.json`);
  const sweep: SweepConfigInput = { name, outDir: path.join(root, name), base: { ...base, ...over }, grid };
  fs.writeFileSync(file, JSON.stringify(sweep, null, 2));
  return file;
}

/** Submits with --slurm; returns the sweep folder and the array job id. */
async function submit(file: string, extra: string[] = []): Promise<{ dir: string; jobId: string }> {
  const r = await gaf(['sweep', file, '--slurm', ...extra]);
  assert.equal(r.code, 0, r.out + r.err);
  const m = /as job (\d+) /.exec(r.out);
  assert.ok(m, r.out);
  return { dir: path.join(root, path.basename(file, '.json')), jobId: m[1]! };
}

const status = async (dir: string): Promise<string> => (await gaf(['sweep', 'status', dir])).out;

async function waitFor(what: string, dir: string, ok: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 500): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) {
      const logs = fs.existsSync(path.join(dir, 'slurm', 'logs'))
        ? fs
            .readdirSync(path.join(dir, 'slurm', 'logs'))
            .map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, 'slurm', 'logs', f), 'utf8')}`)
            .join('\n')
        : '(no logs)';
      assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${await status(dir)}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const runIds = (dir: string): string[] => readSweep(dir).runs.map((r) => r.runId);
const runStatus = (dir: string, runId: string): string | undefined => {
  try {
    return readManifest(path.join(dir, runId)).status;
  } catch {
    return undefined;
  }
};
const allEnded = (dir: string): boolean =>
  runIds(dir).every((id) => ['completed', 'failed', 'diverged'].includes(runStatus(dir, id) ?? ''));
const tasks = (dir: string): SlurmTaskRecord[] => readJsonLines<SlurmTaskRecord>(path.join(dir, 'slurm', 'tasks.jsonl'));
/** What training computed, without the wall-clock fields. */
const trained = (dir: string, runId: string): Omit<EpochMetrics, 'epochSeconds' | 'imagesPerSecond'>[] =>
  readMetrics(path.join(dir, runId)).map(({ epochSeconds: _s, imagesPerSecond: _i, ...m }) => m);

describe('gaf-lab sweep --slurm on a one-node Slurm cluster', { skip, concurrency: true }, () => {
  before(() => {
    const missing = ['slurmctld', 'slurmd', 'sbatch', 'munged'].filter((c) => !has(c));
    assert.deepEqual(
      missing,
      [],
      'Slurm is not installed: bash scripts/setup.sh installs it (apt-get install slurmctld slurmd slurm-client munge)',
    );
    const running = spawnSync('bash', [LOCAL_CLUSTER, 'status'], { encoding: 'utf8' }).status === 0;
    const r = spawnSync('bash', [LOCAL_CLUSTER, 'start'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `bash scripts/slurm-local.sh start failed:\n${r.stdout}${r.stderr}`);
    startedHere = !running;
    const conf = /export SLURM_CONF=(\S+)/.exec(r.stdout)?.[1];
    assert.ok(conf, r.stdout);
    env = { ...process.env, SLURM_CONF: conf };
  });

  after(() => {
    if (startedHere) spawnSync('bash', [LOCAL_CLUSTER, 'stop'], { stdio: 'inherit' });
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a 4-run sweep completes, each run once, with the results of the same sweep trained locally', async (t) => {
    const grid = { optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }], seeds: [1, 2] };
    const file = writeSweep('four', grid);
    const localFile = writeSweep('four-local', grid);
    const t0 = Date.now();
    const { dir, jobId } = await submit(file, ['--max-parallel', '2', '--time', '00:10:00']);
    const script = fs.readFileSync(path.join(dir, 'slurm', 'sweep.sbatch'), 'utf8');
    assert.match(script, /^#SBATCH --array=0-3%2$/m);
    assert.match(script, new RegExp(`^NODE=${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    const local = gaf(['sweep', localFile]);
    await waitFor('the 4 runs to end', dir, () => allEnded(dir), 180_000);
    t.diagnostic(`4 runs on Slurm: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const table = await status(dir);
    t.diagnostic(`\n${table}`);
    for (const id of runIds(dir)) assert.equal(runStatus(dir, id), 'completed', table);
    // Each task started once and exited 0 once; no run was resumed (so none was trained twice).
    const byTask = [0, 1, 2, 3].map((i) =>
      tasks(dir)
        .filter((r) => r.task === i)
        .map((r) => `${r.job}:${r.event}:${r.code}`),
    );
    assert.deepEqual(
      byTask,
      [0, 1, 2, 3].map((i) => [`${jobId}_${i}:start:null`, `${jobId}_${i}:exit:0`]),
    );
    for (const id of runIds(dir)) assert.deepEqual(readManifest(path.join(dir, id)).resumes, [], id);
    const claims = readJsonLines<{ event: string; runId: string }>(path.join(dir, 'claims.jsonl'));
    assert.deepEqual(
      claims
        .filter((c) => c.event === 'claim')
        .map((c) => c.runId)
        .sort(),
      [...runIds(dir)].sort(),
    );
    assert.match(table, /4 runs \(4 completed\)/);
    assert.match(table, /since sacct does not work here: .*accounting storage is disabled/i);
    const l = await local;
    assert.equal(l.code, 0, l.out + l.err);
    const a = await gaf(['results', dir]);
    const b = await gaf(['results', path.join(root, 'four-local')]);
    assert.equal(a.code, 0, a.err);
    assert.ok(a.out.includes('4 runs'), a.out);
    assert.equal(a.out, b.out, 'gaf-lab results of the Slurm sweep and of the local one');
  });

  it('a task cancelled mid-epoch and requeued resumes and ends with the metrics of an uninterrupted run', async () => {
    // The first run of the 4-run sweep (same config, so the same run id) is the uninterrupted twin.
    const file = writeSweep('cancel', { optimizers: [{ gaf: null }], seeds: [1] });
    const { dir, jobId } = await submit(file);
    const [runId] = runIds(dir);
    const runDir = path.join(dir, runId!);
    const task = `${jobId}_0`;
    await waitFor(
      'epoch 1 to end',
      dir,
      () => fs.existsSync(path.join(runDir, 'manifest.json')) && readManifest(runDir).epochsDone >= 1,
      120_000,
      50,
    );
    slurm('scancel', [task]);
    const log = path.join(dir, 'slurm', 'logs', `${task}.log`);
    await waitFor('the run to stop', dir, () => runStatus(dir, runId!) === 'interrupted', 30_000, 100);
    // The manifest is written before the message is printed, and slurmstepd copies the output
    // into the log after that: wait for the line rather than read the log once.
    const stopped = /interrupted after 1 epoch\(s\) \(stopped by a signal during epoch 2;/;
    await waitFor('the stop message in the task log', dir, () => stopped.test(fs.readFileSync(log, 'utf8')), 15_000, 100);
    slurm('scontrol', ['requeue', task]);
    await waitFor('the requeued run to complete', dir, () => runStatus(dir, runId!) === 'completed', 150_000);
    const resumes = readManifest(runDir).resumes;
    assert.deepEqual(
      resumes.map((r) => r.fromEpoch),
      [1],
      'resumed once, from the checkpoint of epoch 1',
    );
    await waitFor('the uninterrupted twin', dir, () => runStatus(path.join(root, 'four'), runId!) === 'completed', 180_000);
    assert.deepEqual(trained(dir, runId!), trained(path.join(root, 'four'), runId!));
    assert.equal(trained(dir, runId!).length, 2);
  });

  it("a task warned by Slurm's USR1 (time limit ahead) stops, requeues itself and finishes with the uninterrupted metrics", async () => {
    // The second run of the 4-run sweep (same config, so the same run id) is the uninterrupted twin.
    const file = writeSweep('timelimit', { optimizers: [{ gaf: null }], seeds: [2] });
    const { dir, jobId } = await submit(file, ['--time', '00:10:00', '--signal-lead', '50']);
    assert.match(fs.readFileSync(path.join(dir, 'slurm', 'sweep.sbatch'), 'utf8'), /^#SBATCH --signal=B:USR1@50$/m);
    const [runId] = runIds(dir);
    const runDir = path.join(dir, runId!);
    const task = `${jobId}_0`;
    await waitFor(
      'epoch 1 to end',
      dir,
      () => fs.existsSync(path.join(runDir, 'manifest.json')) && readManifest(runDir).epochsDone >= 1,
      120_000,
      50,
    );
    // What --signal=B:USR1@50 makes Slurm do 50 s before the limit: USR1 to the batch shell only.
    slurm('scancel', ['--batch', '--signal=USR1', task]);
    await waitFor('the task to requeue itself', dir, () => tasks(dir).some((r) => r.event === 'requeue'), 30_000, 100);
    await waitFor('the requeued task to exit', dir, () => tasks(dir).some((r) => r.event === 'exit'), 150_000);
    assert.equal(runStatus(dir, runId!), 'completed');
    const records = tasks(dir).map((r) => `${r.job}:${r.event}:${r.code}:${r.restarts}`);
    assert.deepEqual(records, [`${task}:start:null:0`, `${task}:requeue:130:0`, `${task}:start:null:1`, `${task}:exit:0:1`]);
    const log = fs.readFileSync(path.join(dir, 'slurm', 'logs', `${task}.log`), 'utf8');
    assert.match(log, /USR1 from Slurm .*\n[^]*interrupted after 1 epoch\(s\) \(stopped by a signal during epoch 2;[^]*scontrol requeue/);
    assert.deepEqual(
      readManifest(runDir).resumes.map((r) => r.fromEpoch),
      [1],
      'resumed once, from the checkpoint of epoch 1',
    );
    await waitFor('the uninterrupted twin', dir, () => runStatus(path.join(root, 'four'), runId!) === 'completed', 180_000);
    assert.deepEqual(trained(dir, runId!), trained(path.join(root, 'four'), runId!));
  });

  it('a run with a bad data path shows as FAILED with its log; the other completes', async (t) => {
    const file = writeSweep('fail', { seeds: [5, 6] }, { epochs: 1 });
    const dry = await gaf(['sweep', file, '--slurm', '--dry-run']);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /# dry run: nothing submitted\. To submit:\nsbatch --parsable \S+sweep\.sbatch/);
    const dir = path.join(root, 'fail');
    // dataDir is where the data lies, not what is trained: the run id stays.
    const bad = path.join(dir, readSweep(dir).runs[0]!.config);
    const config = readJson<{ dataset: Record<string, unknown> }>(bad);
    fs.writeFileSync(bad, JSON.stringify({ ...config, dataset: { ...config.dataset, dataDir: '/nonexistent/gaf-data' } }));
    const { jobId } = await submit(file);
    const [failing, fine] = runIds(dir);
    await waitFor('both tasks to exit', dir, () => tasks(dir).filter((r) => r.event === 'exit').length === 2, 180_000);
    const table = await status(dir);
    t.diagnostic(`\n${table}`);
    const log = path.join(dir, 'slurm', 'logs', `${jobId}_0.log`);
    const row = (runId: string): string => table.split('\n').find((l) => l.includes(runId))!;
    assert.match(row(failing!), new RegExp(`^0  ${jobId}_0 +FAILED +(failed|pending) .*${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.match(row(fine!), new RegExp(`^1  ${jobId}_1 +COMPLETED +completed +1/1`));
    assert.match(fs.readFileSync(log, 'utf8'), /\/nonexistent\/gaf-data/);
  });

  it('sweep cancel cancels the array; submitting the sweep again finishes it', async () => {
    const file = writeSweep('cancelled', { seeds: [7, 8] }, { epochs: 1 });
    const { dir, jobId } = await submit(file, ['--max-parallel', '1']);
    const c = await gaf(['sweep', 'cancel', dir]);
    assert.equal(c.code, 0, c.out + c.err);
    assert.match(c.out, new RegExp(`cancelled Slurm job\\(s\\) ${jobId}`));
    await waitFor(
      'both tasks to be cancelled',
      dir,
      async () => ((await status(dir)).match(/^\d+ +\S+ +CANCELLED /gm) ?? []).length === 2,
      60_000,
    );
    const again = await submit(file);
    assert.notEqual(again.jobId, jobId);
    await waitFor('both runs to complete', dir, () => runIds(dir).every((id) => runStatus(dir, id) === 'completed'), 180_000);
    const third = await gaf(['sweep', file, '--slurm']);
    assert.equal(third.code, 0, third.err);
    assert.match(third.err, /every run has ended: nothing to submit/);
  });
});
