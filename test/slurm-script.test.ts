/**
 * The Slurm batch script and its options without a cluster: time limits, array specs, option
 * errors, the script's directives, and reading task ids back from sacct/squeue. The script's
 * behaviour under a real Slurm is in slurm-sweep.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { arraySpec, parseSlurmTime, slurmScript } from '../src/sweep/index';
import { arrayTasksOf } from '../src/sweep/slurm-status';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const paths = {
  sweepDir: '/shared/runs/my sweep',
  node: '/opt/node/bin/node',
  cli: '/shared/gaf-lab/dist/cli/main.js',
  workDir: '/shared',
};

test('Slurm time limits in each of its forms, in seconds', () => {
  // MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
  assert.equal(parseSlurmTime('30'), 30 * 60);
  assert.equal(parseSlurmTime('1:30'), 90);
  assert.equal(parseSlurmTime('04:00:00'), 4 * 3600);
  assert.equal(parseSlurmTime('2-12'), 2 * 86400 + 12 * 3600);
  assert.equal(parseSlurmTime('1-02:30'), 86400 + 2 * 3600 + 30 * 60);
  assert.equal(parseSlurmTime('1-00:00:05'), 86405);
  for (const bad of ['', '4h', '0', '1:2:3:4', '-1'])
    assert.throws(() => parseSlurmTime(bad), /is not one Slurm takes: use MM, MM:SS, HH:MM:SS/, bad);
});

test('array specs: ranges of task indices, with the %K throttle', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([3, 0, 1, 7, 9, 10], 4), '0-1,3,7,9-10%4');
  assert.equal(arraySpec([5]), '5');
  assert.throws(() => arraySpec([]), /no task indices/);
});

test('the batch script: directives, absolute paths, the warning signal and the requeue', () => {
  const s = slurmScript(
    [0, 1, 2, 5],
    { time: '04:00:00', partition: 'gpu', gpus: 1, mem: '16G', maxParallel: 2, account: 'lab', cpusPerTask: 4 },
    paths,
  );
  const directives = s.split('\n').filter((l) => l.startsWith('#SBATCH'));
  assert.deepEqual(directives, [
    '#SBATCH --job-name=gaf-sweep',
    '#SBATCH --array=0-2,5%2',
    '#SBATCH --output="/shared/runs/my sweep/slurm/logs/%A_%a.log"',
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    '#SBATCH --signal=B:USR1@120',
    '#SBATCH --time=04:00:00',
    '#SBATCH --partition=gpu',
    '#SBATCH --account=lab',
    '#SBATCH --cpus-per-task=4',
    '#SBATCH --gpus=1',
    '#SBATCH --mem=16G',
  ]);
  assert.match(s, /^SWEEP='\/shared\/runs\/my sweep'$/m);
  assert.match(s, /^NODE=\/opt\/node\/bin\/node$/m);
  assert.match(s, /^"\$NODE" "\$CLI" sweep task "\$SWEEP" "\$SLURM_ARRAY_TASK_ID" &$/m);
  assert.match(s, /^trap on_warning USR1$/m);
  assert.match(s, /scontrol requeue "\$TASK"/);
  // bash accepts it.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-sbatch-')), 'sweep.sbatch');
  fs.writeFileSync(file, s);
  const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

test('bad options are refused with the option, the value and what to give', () => {
  const script = (o: Parameters<typeof slurmScript>[1]): string => slurmScript([0], o, paths);
  assert.throws(
    () => script({ time: '1', signalLeadSeconds: 60 }),
    /--signal-lead 60 s is not shorter than the time limit --time 1 \(60 s\)/,
  );
  assert.throws(() => script({ signalLeadSeconds: 0 }), /--signal-lead must be a whole number of seconds from 1 to 65535/);
  assert.throws(() => script({ mem: '16 GB' }), /--mem "16 GB" is not a memory size Slurm takes/);
  assert.throws(() => script({ partition: 'gpu; rm -rf /' }), /--partition "gpu; rm -rf \/" is not a Slurm name/);
  assert.throws(() => script({ gpus: 0 }), /--gpus must be an integer >= 1, got 0/);
});

test('array task ids as sacct and squeue print them', () => {
  assert.deepEqual(arrayTasksOf('12_3', '12'), [3]);
  assert.deepEqual(arrayTasksOf('12_[0-3%2]', '12'), [0, 1, 2, 3]);
  assert.deepEqual(arrayTasksOf('12_[1,4-5]', '12'), [1, 4, 5]);
  assert.deepEqual(arrayTasksOf('123_3', '12'), []);
  assert.deepEqual(arrayTasksOf('12', '12'), []);
});

test('the command line: Slurm options need --slurm; status and cancel need a sweep folder', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'sweep', ...args], { encoding: 'utf8' });
  const a = run(['some.json', '--partition', 'gpu']);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /--partition goes with --slurm/);
  const b = run(['some.json', '--slurm', '--workers', '2']);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--slurm does not go with --workers or --join/);
  const c = run(['status', '/nonexistent/sweep']);
  assert.equal(c.status, 2);
  assert.match(c.stderr, /\/nonexistent\/sweep is not a sweep folder \(no sweep\.json\)/);
  const d = run(['task', '/nonexistent/sweep']);
  assert.equal(d.status, 2);
  assert.match(d.stderr, /give the run index, or run this as a Slurm array task/);
});
