import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, runIdOf, type ExperimentConfigInput } from '../src/config/index';
import { readManifest, readMetrics, type EpochMetrics } from '../src/run-format/index';
import { readCheckpointContents } from '../src/train/checkpoint-files';
import { resumeRun, runExperiment } from '../src/train/runner';

// A full disk and a read-only output folder, for real where this process may mount a tmpfs
// (root with CAP_SYS_ADMIN), and always simulated: a child process whose node:fs is wrapped by
// test/fs-faults.js (--require) fails writes under a folder with ENOSPC or EROFS. Both ways run
// the same assertions; the simulated one runs everywhere, so nothing is skipped.

const config = (outDir: string): ExperimentConfigInput => ({
  dataset: { name: 'fashion-mnist', subset: { first: 192 }, testSubset: { first: 96 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9 }, gaf: { kind: 'atan', alpha: 0.1, beta: 20 } },
  schedule: { kind: 'cosine', warmupEpochs: 1 },
  epochs: 3,
  batchSize: 32,
  seed: 11,
  gradStats: { every: 5 },
  backend: 'wasm',
  outDir,
});

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-disk-'));
const mounts: string[] = [];
after(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Mounts a tmpfs at `dir` with `options`; false where this process may not mount. */
function mountTmpfs(dir: string, options: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
  if (r.status !== 0) return false;
  mounts.push(dir);
  return true;
}

/** A place to write to and how it runs out of room. */
interface Disk {
  kind: string;
  root: string;
  /** Environment of the child (the fault preload's settings; none for a real tmpfs). */
  env: Record<string, string>;
  /** Bytes still free. */
  free(): number;
}

function usage(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? usage(p) : e.isFile() ? fs.statSync(p).size : 0;
  }
  return total;
}

let disks = 0;
/** The simulated disk, and a real 2 MB tmpfs where mounting works. */
function smallDisks(): Disk[] {
  const out: Disk[] = [];
  const simulated = path.join(scratch, `sim-${++disks}`);
  fs.mkdirSync(simulated);
  const capacity = 4 * 1024 * 1024;
  out.push({
    kind: 'simulated ENOSPC',
    root: simulated,
    env: { GAF_FAULT_DISK: simulated, GAF_FAULT_DISK_BYTES: String(capacity) },
    free: () => capacity - usage(simulated),
  });
  const real = path.join(scratch, `tmpfs-${disks}`);
  if (mountTmpfs(real, 'size=2m')) {
    out.push({
      kind: 'tmpfs of 2 MB',
      root: real,
      env: {},
      free: () => {
        const s = fs.statfsSync(real);
        return s.bavail * s.bsize;
      },
    });
  }
  return out;
}

/** Fills `disk` with a file until `leave` bytes (or, for a real disk, less than a page more) are free. */
function fill(disk: Disk, leave: number): void {
  const fd = fs.openSync(path.join(disk.root, 'filler'), 'a');
  try {
    let want = disk.free() - leave;
    while (want > 0) {
      const n = Math.min(want, 1 << 16);
      try {
        fs.writeSync(fd, Buffer.alloc(n, 1));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
        throw e;
      }
      want = disk.free() - leave;
    }
  } finally {
    fs.closeSync(fd);
  }
}

const childScript = path.join(__dirname, 'train-child.js');
const preload = path.join(__dirname, 'fs-faults.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `gaf-lab train`'s work (train-child.js) on `cfg` in a child with the fault preload. */
function startChild(
  cfg: ExperimentConfigInput,
  env: Record<string, string>,
): { exited: Promise<number | null>; stderr: () => string; exitCode: () => number | null } {
  const cfgFile = path.join(scratch, `cfg-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  const child = spawn(process.execPath, ['--require', preload, childScript, cfgFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { exited, stderr: () => stderr, exitCode: () => child.exitCode };
}

/** Every file and folder under `dir`, relative. */
function listAll(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [e.name + '/', ...listAll(path.join(dir, e.name)).map((x) => `${e.name}/${x}`)] : [e.name]));
}

const numbers = ({
  epochSeconds: _s,
  imagesPerSecond: _i,
  ...rest
}: EpochMetrics): Omit<EpochMetrics, 'epochSeconds' | 'imagesPerSecond'> => rest;

let straight: string | undefined;
async function straightRun(): Promise<string> {
  straight ??= (await runExperiment(config(path.join(scratch, 'straight')), { handleSignals: false })).runDir;
  return straight;
}

const escape = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ADVICE = 'or choose another output folder (--out on the command line, outDir in a config)';

// Leave 0 bytes: the next write that needs room fails (the message names its file), and the final
// manifest fits only because the space reserve is given up for it. Leave 100 KB: the lines of
// epoch 2 fit and its checkpoint does not; its temporary folder must go (the metrics line of
// the epoch that was not checkpointed stays, as after a kill, and a resume drops it).
const SCENARIOS = [
  {
    leave: 0,
    lines: [1],
    // Which line file that is depends on the disk: the simulated one counts bytes, so the step
    // line of epoch 2 fails; a tmpfs gives whole pages, so a line that still fits in its file's
    // last page is written and the first file needing a new page fails.
    failing: (runDir: string) =>
      `Cannot write ${escape(runDir)}/(steps|gradstats|metrics)\\.jsonl: disk full: free space on the disk of ${escape(runDir)} ${escape(ADVICE)}`,
  },
  {
    leave: 100 * 1024,
    lines: [1, 2],
    failing: (runDir: string) =>
      `Cannot write checkpoint ${escape(runDir)}/checkpoints/last: disk full: free space on the disk of ${escape(runDir)}/checkpoints ${escape(ADVICE)}`,
  },
];

test('a disk that fills up mid-training: status failed with a message naming the path and the fix, no temporary files, epoch 1 intact and resumable', async (t) => {
  const ran: string[] = [];
  for (const s of SCENARIOS) {
    for (const disk of smallDisks()) {
      const label = `${disk.kind}, ${s.leave} bytes left`;
      const outDir = path.join(disk.root, 'runs');
      const cfg = config(outDir);
      const runDir = path.join(outDir, runIdOf(resolveConfig(cfg)));
      // The child holds right after epoch 1's manifest until the disk is full (fs-faults.ts).
      const holdDir = fs.mkdtempSync(path.join(scratch, 'hold-'));
      const child = startChild(cfg, { ...disk.env, GAF_FAULT_HOLD: holdDir });
      const deadline = Date.now() + 120_000;
      while (!fs.existsSync(path.join(holdDir, 'held'))) {
        assert.ok(child.exitCode() === null, `${label}: the child ended before epoch 1 was done: ${child.stderr()}`);
        assert.ok(Date.now() < deadline, `${label}: epoch 1 took more than 120 s`);
        await sleep(20);
      }
      assert.equal(readManifest(runDir).epochsDone, 1, label);
      fill(disk, s.leave);
      fs.writeFileSync(path.join(holdDir, 'go'), '');
      assert.equal(await child.exited, 1, `${label}: ${child.stderr()}`);

      const m = readManifest(runDir);
      const failing = s.failing(runDir);
      assert.equal(m.status, 'failed', label);
      assert.match(
        m.message ?? '',
        new RegExp(
          `^${failing} \\(ENOSPC: no space left on device, write\\)\\. The run stopped \\(epochs 1-1 are checkpointed and kept\\); after freeing space, continue it with: gaf-lab resume ${escape(runDir)} \\(or resumeRun\\)\\.$`,
        ),
        label,
      );
      assert.ok(child.stderr().includes(m.message!), `${label}: stderr has the message: ${child.stderr()}`);
      assert.equal(m.epochsDone, 1);
      // No temporary file or folder, no empty file, and the reserve is gone.
      const files = listAll(runDir);
      assert.deepEqual(
        files.filter((f) => /(^|\/)\.[^/]*tmp-|\.space-reserve/.test(f)),
        [],
        `${label}: ${files.join(', ')}`,
      );
      assert.deepEqual(
        files.filter((f) => !f.endsWith('/') && fs.statSync(path.join(runDir, f)).size === 0),
        [],
        label,
      );
      // What was done before the disk filled is intact: epoch 1's line and a checkpoint that verifies.
      assert.deepEqual(
        readMetrics(runDir).map((l) => l.epoch),
        s.lines,
        label,
      );
      const ckpt = readCheckpointContents(path.join(runDir, 'checkpoints', 'last'));
      assert.equal(ckpt.verified, true);
      assert.equal(ckpt.state.epoch, 1);

      // Free the space and resume: the run ends as an uninterrupted one does.
      fs.rmSync(path.join(disk.root, 'filler'));
      const r = await resumeRun(runDir, { handleSignals: false });
      assert.equal(r.status, 'completed', label);
      assert.deepEqual(
        readMetrics(runDir).map(numbers),
        readMetrics(await straightRun()).map(numbers),
        `${label}: resumed run = uninterrupted run`,
      );
      ran.push(label);
    }
  }
  t.diagnostic(`disks: ${ran.join('; ')}`);
  assert.ok(ran.length >= SCENARIOS.length);
});

test('a read-only output folder: the error names the folder and says to choose a writable one; nothing is written', async (t) => {
  const ran: string[] = [];
  const simulated = path.join(scratch, 'ro-sim');
  fs.mkdirSync(simulated);
  const places = [{ kind: 'simulated EROFS', root: simulated, env: { GAF_FAULT_READONLY: simulated } }];
  const real = path.join(scratch, 'ro-tmpfs');
  if (mountTmpfs(real, 'size=100k,ro')) places.push({ kind: 'read-only tmpfs', root: real, env: {} as { GAF_FAULT_READONLY: string } });
  for (const p of places) {
    const cfg = config(path.join(p.root, 'runs'));
    const runDir = path.join(p.root, 'runs', runIdOf(resolveConfig(cfg)));
    const child = startChild(cfg, p.env);
    assert.equal(await child.exited, 1, p.kind);
    // The first thing written is the run's lock beside its folder, or the folder itself: either
    // way the message names the path, the folder that is not writable, and the fix.
    const outDir = path.join(p.root, 'runs');
    assert.match(
      child.stderr().trim(),
      new RegExp(
        `^Cannot (write|create folder) ${escape(outDir)}/\\S+: ${escape(p.root)} is not writable \\(read-only file system\\): ` +
          `choose another output folder \\(--out on the command line, outDir in a config\\) \\(EROFS: read-only file system, mkdir '${escape(outDir)}'\\)\\.$`,
      ),
      p.kind,
    );
    assert.ok(child.stderr().includes(runDir), `${p.kind}: names the run folder: ${child.stderr()}`);
    assert.deepEqual(fs.readdirSync(p.root), [], p.kind);
    ran.push(p.kind);
  }
  t.diagnostic(`read-only folders: ${ran.join('; ')}`);
});
