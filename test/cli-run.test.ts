/**
 * The CLI end to end, each command a child process as a user runs it: train a tiny config,
 * train it again and resume it (nothing to do), results (table, --json, --csv, --arrow),
 * figures (files and provenance), a diverging run (exit 0, said loudly), and a sweep of two
 * runs with two workers, then one more worker joining the finished sweep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readArrow, readCsv } from '../src/results/export';
import { readClaims } from '../src/sweep/index';

const CLI = path.resolve(__dirname, '../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-cli-run-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function gafLab(...args: string[]): { code: number | null; out: string; err: string } {
  const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, cwd: tmp });
  return { code: p.status, out: p.stdout, err: p.stderr };
}

const tiny = {
  dataset: { name: 'fashion-mnist', subset: { first: 128 }, testSubset: { first: 64 } },
  model: { name: 'smallcnn' },
  optimizer: { name: 'sgd', options: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 } },
  epochs: 1,
  batchSize: 32,
  seed: 1,
  gradStats: { every: 1 },
  backend: 'wasm',
};
const write = (name: string, obj: unknown): string => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, JSON.stringify(obj, null, 1));
  return f;
};
const runsDir = path.join(tmp, 'runs');
let runDir = '';

test('train CONFIG --out DIR trains the run, prints its folder, status and final metrics; again: nothing to do', () => {
  const cfg = write('tiny.json', { ...tiny, outDir: 'ignored-by-out' });
  const r = gafLab('train', cfg, '--out', runsDir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /run fashion-mnist-smallcnn-sgd-s1-[0-9a-f]{6} \(wasm\): 128 training \/ 64 test images, 1 epochs of 4 batches/);
  assert.match(r.out, /epoch 1\/1 \| train loss \d/);
  const dirLine = /run dir: {2}(\S+)/.exec(r.out);
  assert.ok(dirLine, r.out);
  runDir = dirLine[1]!;
  assert.equal(path.dirname(runDir), runsDir, '--out replaces the config outDir');
  assert.match(r.out, /status: {3}completed\n/);
  assert.match(r.out, /final: {4}epoch 1: test top-1 \d+\.\d\d%, top-5 \d+\.\d\d%, test loss \d/);
  const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8')) as {
    status: string;
    final: { testTop1: number };
  };
  assert.equal(manifest.status, 'completed');
  // The printed accuracy is the manifest's.
  assert.match(r.out, new RegExp(`test top-1 ${(100 * manifest.final.testTop1).toFixed(2)}%`));
  assert.equal(fs.existsSync(path.join(tmp, 'ignored-by-out')), false);

  const again = gafLab('train', cfg, '--out', runsDir);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /status: {3}completed \(already ended before this command; nothing trained\)/);
  const resumed = gafLab('resume', runDir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /already ended before this command/);
});

test('results DIR prints the summary; --json parses; --csv and --arrow are written', () => {
  assert.ok(runDir, 'needs the run of the previous test');
  const r = gafLab('results', runsDir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Summary across seeds \(1 runs, metric testTop1\)/);
  assert.match(r.out, /\| fashion-mnist +\| smallcnn +\| sgd +\| \d+\.\d\d \(n=1, no CI\) \|/);
  assert.match(r.out, /no SGD vs SGD\+GAF comparison: no SGD\+GAF run\./);

  const csv = path.join(tmp, 'out', 'summary.csv');
  const arrow = path.join(tmp, 'out', 'runs.arrow');
  fs.mkdirSync(path.dirname(csv), { recursive: true });
  const j = gafLab('results', runsDir, '--json', '--csv', csv, '--arrow', arrow, '--by', 'model.name,optimizerLabel');
  assert.equal(j.code, 0, j.err);
  const parsed = JSON.parse(j.out) as { runCount: number; by: string[]; summary: Record<string, unknown>[]; comparison: unknown };
  assert.equal(parsed.runCount, 1);
  assert.deepEqual(parsed.by, ['model.name', 'optimizerLabel']);
  assert.equal(parsed.summary.length, 1);
  assert.equal(parsed.summary[0]!['model.name'], 'smallcnn');
  assert.equal(parsed.summary[0]!.n, 1);
  assert.equal(parsed.summary[0]!.finalSd, null, 'one seed: no spread (NaN written as null)');
  assert.equal(parsed.comparison, null);
  const back = readCsv(csv).objects() as Record<string, unknown>[];
  assert.equal(back.length, 1);
  assert.equal(back[0]!.optimizerLabel, 'sgd');
  assert.equal(back[0]!.finalMean, parsed.summary[0]!.finalMean);
  // The Arrow file is the full table: one row per run and epoch.
  const table = readArrow(arrow);
  assert.equal(table.numRows(), 1);
  assert.ok(table.columnNames().includes('optimizer.options.learningRate'));

  const bad = gafLab('results', runsDir, '--by', 'model');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /the runs have no column "model"\. Similar: .*model\.name/);
});

test('figures --runs DIR --out DIR writes the figure set with provenance naming the run', () => {
  assert.ok(runDir, 'needs the run of the first test');
  const out = path.join(tmp, 'figs');
  const r = gafLab('figures', '--runs', runsDir, '--out', out);
  assert.equal(r.code, 0, r.err);
  const names = ['gaf-functions', 'gaf-conditions', 'training-curves', 'final-accuracy', 'grad-norms'];
  for (const n of names) {
    for (const ext of ['png', 'svg', 'provenance.json']) assert.ok(fs.statSync(path.join(out, `${n}.${ext}`)).size > 0, `${n}.${ext}`);
  }
  assert.match(r.out, /5 figures in .* from 1 runs\./);
  const runId = path.basename(runDir);
  for (const n of ['training-curves', 'final-accuracy', 'grad-norms']) {
    const p = JSON.parse(fs.readFileSync(path.join(out, `${n}.provenance.json`), 'utf8')) as {
      runs: { runId: string }[];
      source: string;
      files: { name: string }[];
    };
    assert.deepEqual(
      p.runs.map((x) => x.runId),
      [runId],
      n,
    );
    assert.equal(p.source, runsDir);
    assert.deepEqual(
      p.files.map((f) => f.name),
      [`${n}.png`, `${n}.svg`],
    );
  }
  const fn = JSON.parse(fs.readFileSync(path.join(out, 'gaf-functions.provenance.json'), 'utf8')) as {
    runCount: number;
    extra: { gafs: unknown[] };
  };
  assert.equal(fn.runCount, 0);
  assert.equal(fn.extra.gafs.length, 4);
  const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  assert.match(md, /^# Results: Fashion-MNIST, smallcnn\n/);
  assert.match(md, /Drawn from 1 runs in `.*runs` \(1 completed; trained at commit [0-9a-f]{10}\)/);
  assert.match(md, /!\[training-curves\]\(training-curves\.png\)/);
  assert.equal((readCsv(path.join(out, 'results.csv')).objects() as unknown[]).length, 1);

  // Without runs, only the two GAF figures, and the command says why.
  const empty = gafLab('figures', '--out', path.join(tmp, 'figs-none'));
  assert.equal(empty.code, 0, empty.err);
  assert.match(empty.out, /no runs in runs\/main: drew only the GAF figures/);
  assert.deepEqual(
    fs
      .readdirSync(path.join(tmp, 'figs-none'))
      .filter((f) => f.endsWith('.png'))
      .sort(),
    ['gaf-conditions.png', 'gaf-functions.png'],
  );
});

test('a diverging run exits 0 and says DIVERGED loudly', () => {
  const cfg = write('diverge.json', {
    ...tiny,
    optimizer: { name: 'sgd', options: { learningRate: 1e12, momentum: 0.9 } },
    gradStats: null,
    outDir: path.join(tmp, 'div'),
  });
  const r = gafLab('train', cfg);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /status: {3}DIVERGED/);
  assert.match(r.out, /\*\*\* THE RUN DIVERGED \*\*\*\n\*\*\* non-finite (training loss|weights)/);
});

test('sweep with 2 workers trains a 2-run grid once each; --join on the finished sweep finds nothing to do', () => {
  const sweepDir = path.join(tmp, 'sweep');
  const cfg = write('sweep.json', {
    outDir: sweepDir,
    base: { ...tiny, gradStats: null },
    grid: { optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }] },
  });
  const r = gafLab('sweep', cfg, '--workers', '2');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /sweep .*sweep: 2 runs \(2 completed\)/);
  assert.match(r.out, /completed {2}1 {7}\d+\.\d\d% +fashion-mnist-smallcnn-sgd-s1-/);
  assert.match(r.out, /completed {2}1 {7}\d+\.\d\d% +fashion-mnist-smallcnn-sgd-atan-a0\.1-b20-s1-/);
  const claims = readClaims(sweepDir).filter((c) => c.event === 'claim');
  assert.equal(claims.length, 2, 'each run claimed once');
  assert.equal(new Set(claims.map((c) => c.runId)).size, 2);

  const join = gafLab('sweep', '--join', sweepDir);
  assert.equal(join.code, 0, join.err);
  assert.match(join.out, /this worker trained 0 run\(s\); 2 had ended; 0 held by other workers/);
  assert.equal(readClaims(sweepDir).filter((c) => c.event === 'claim').length, 2);

  // Both sides present (one seed each): the comparison is printed, without an interval.
  const res = gafLab('results', sweepDir);
  assert.equal(res.code, 0, res.err);
  assert.match(
    res.out,
    /\| sgd +\| \d+\.\d\d \(n=1, no CI\) \| sgd \+ 0\.1\*atan\(20x\) \| \d+\.\d\d \(n=1, no CI\) \| [+-]\d+\.\d\d \(no CI\)/,
  );
});

test('Ctrl-C stops train with exit 130 and the interrupted status; resume RUN_DIR finishes the run', async () => {
  const cfg = write('interrupt.json', {
    ...tiny,
    dataset: { ...tiny.dataset, subset: { first: 1024 } },
    epochs: 2,
    gradStats: null,
    outDir: path.join(tmp, 'int'),
  });
  const child = spawn(process.execPath, [CLI, 'train', cfg], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // The start line comes once data and model are built: the run is under way.
      if (/run \S+ \(wasm\): 1024 training/.test(out) && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', () => undefined);
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 130, out);
  assert.match(out, /status: {3}interrupted: stopped by a signal/);
  const dir = /continue: gaf-lab resume (\S+)/.exec(out)?.[1];
  assert.ok(dir, out);
  const r = gafLab('resume', dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /status: {3}completed\n/);
  assert.match(r.out, /epochs: {3}2 done/);
});
