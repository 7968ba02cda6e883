/**
 * The offline GPU bundle (`npm run bundle:gpu`): at most 60 MiB, and with a PATH that has no
 * node and no npm its `run` script runs `doctor`, a short `train` and `bench` on WebGPU (the
 * software adapter in CI).
 *
 * Slow (building the bundle compresses Node's 100 MB binary with xz -9, then the bundle is
 * unpacked and trains): a file of its own, so CI can leave it out.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './repo-root';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-gpu-bundle-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const LIMIT = 60 * 2 ** 20;

/** A PATH of the few tools `run` uses, linked into one folder: no node, no npm. */
function barePath(): string {
  const bin = path.join(scratch, 'bin');
  fs.mkdirSync(bin);
  for (const tool of ['sh', 'cat', 'tar', 'xz', 'uname', 'grep', 'rm', 'mkdir', 'mv', 'chmod', 'dirname', 'ldconfig']) {
    const found = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

test('bundle:gpu writes at most 60 MiB that runs doctor, train, sweep --join and bench with no node or npm on PATH', (t) => {
  const t0 = performance.now();
  execFileSync('bash', [path.join(ROOT, 'scripts', 'bundle-gpu.sh'), '--out', scratch], { cwd: ROOT, stdio: 'pipe', timeout: 900_000 });
  const built = (performance.now() - t0) / 1000;
  const [dir] = fs.readdirSync(scratch).filter((d) => d.startsWith('gaf-lab-gpu-'));
  assert.ok(dir, 'no bundle folder written');
  const bundle = path.join(scratch, dir);
  const files = fs.readdirSync(bundle, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const bytes = files.reduce((sum, e) => sum + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
  assert.ok(bytes <= LIMIT, `bundle is ${(bytes / 2 ** 20).toFixed(1)} MiB, over 60 MiB`);
  for (const f of ['run', 'node.xz', 'app.tar.xz', 'README.txt']) assert.ok(fs.existsSync(path.join(bundle, f)), `${f} missing`);

  // A copy elsewhere, run with a bare PATH and no access to this checkout's node_modules.
  const copy = path.join(scratch, 'elsewhere');
  fs.cpSync(bundle, copy, { recursive: true });
  const env: NodeJS.ProcessEnv = { PATH: barePath(), HOME: scratch, GAF_BACKEND: 'webgpu' };
  assert.notEqual(spawnSync('sh', ['-c', 'command -v node || command -v npm'], { env }).status, 0, 'node or npm is on the bare PATH');
  const run = (args: string[]): { status: number | null; out: string } => {
    const p = spawnSync(path.join(copy, 'run'), args, { cwd: scratch, env, encoding: 'utf8', timeout: 600_000 });
    return { status: p.status, out: `${p.stdout}\n${p.stderr}` };
  };

  const t1 = performance.now();
  const doctor = run(['doctor']);
  assert.equal(doctor.status, 0, doctor.out);
  assert.match(doctor.out, /backend: webgpu \(requested by GAF_BACKEND\)/);
  assert.match(doctor.out, /WebGPU \(@tensorflow\/tfjs-backend-webgpu on Dawn/);
  assert.match(doctor.out, /adapter: \S+ \S+ ".*".*; maxBufferSize \d+ MiB, maxStorageBufferBindingSize \d+ MiB/);
  const doctorSeconds = (performance.now() - t1) / 1000;

  const base = {
    dataset: { name: 'fashion-mnist', subset: { first: 64 }, testSubset: { first: 64 } },
    model: { name: 'smallcnn' },
    optimizer: { name: 'sgd', options: { learningRate: 0.02, momentum: 0.9 }, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } },
    epochs: 1,
    batchSize: 32,
    backend: 'webgpu',
  };
  const config = path.join(scratch, 'tiny.json');
  fs.writeFileSync(config, JSON.stringify({ ...base, seed: 7, outDir: path.join(scratch, 'runs') }));
  const t2 = performance.now();
  const train = run(['train', config]);
  assert.equal(train.status, 0, train.out);
  assert.match(train.out, /completed after 1 epoch/);
  const [runId] = fs.readdirSync(path.join(scratch, 'runs')).filter((d) => !d.endsWith('.lock'));
  const manifest = JSON.parse(fs.readFileSync(path.join(scratch, 'runs', runId!, 'manifest.json'), 'utf8')) as {
    backend: string;
    status: string;
  };
  assert.deepEqual([manifest.backend, manifest.status], ['webgpu', 'completed']);
  const trainSeconds = (performance.now() - t2) / 1000;

  // A sweep folder written without training (the Slurm dry run), then trained by one joined worker.
  const sweepDir = path.join(scratch, 'sweep');
  const sweepConfig = path.join(scratch, 'sweep.json');
  const { optimizer: _o, ...sweepBase } = base;
  fs.writeFileSync(
    sweepConfig,
    JSON.stringify({
      name: 'bundle check',
      outDir: sweepDir,
      base: { ...sweepBase, optimizer: { name: 'sgd', options: { learningRate: 0.02, momentum: 0.9 } } },
      grid: { optimizers: [{ gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }], seeds: [1] },
    }),
  );
  const expanded = run(['sweep', sweepConfig, '--slurm', '--dry-run']);
  assert.equal(expanded.status, 0, expanded.out);
  const joined = run(['sweep', '--join', sweepDir]);
  assert.equal(joined.status, 0, joined.out);
  assert.match(joined.out, /completed/);

  const bench = run([
    'bench',
    '--backend',
    'webgpu',
    '--models',
    'smallcnn',
    '--batches',
    '4',
    '--warmup',
    '0',
    '--runs',
    '1',
    '--mem-epochs',
    '1',
    '--no-gaf',
    '--no-torch',
  ]);
  assert.equal(bench.status, 0, bench.out);
  assert.match(bench.out, /\| smallcnn \| 4 \| 28x28x1 \|/);
  assert.match(bench.out, /backend: webgpu on /);

  t.diagnostic(
    `bundle ${(bytes / 2 ** 20).toFixed(1)} MiB (${files.map((e) => `${e.name} ${(fs.statSync(path.join(e.parentPath, e.name)).size / 2 ** 20).toFixed(1)}`).join(', ')}); ` +
      `built in ${built.toFixed(0)} s; doctor (with unpacking) ${doctorSeconds.toFixed(0)} s; train ${trainSeconds.toFixed(0)} s`,
  );
});
