import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../src/provenance/index';
import { paperTable } from '../src/notebook/paper-table';
import { runFoldersTable } from '../src/notebook/run-folders';
import { showSavedFigures } from '../src/notebook/show-file';
import { sweepGridTable } from '../src/notebook/sweep-grid';
import { sweepProgress } from '../src/notebook/sweep-progress';
import { figureMaker, figureProvenanceTable } from '../src/plots/provenance-table';
import { regenerateFigures } from '../src/reports/figure-set';
import { resultsTables } from '../src/reports/results-tables';
import { loadRuns } from '../src/results/load';
import { prepareSweep, type SweepConfigInput } from '../src/sweep/index';
import { tempDir, writeRun } from './results-fixtures';

const root = tempDir('nb-helpers');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const tiny = (outDir: string): SweepConfigInput => ({
  name: 'tiny',
  outDir,
  base: {
    dataset: { name: 'cifar10', subset: { first: 10 } },
    model: { name: 'LeNet' },
    optimizer: { name: 'sgd', options: { learningRate: 0.05 } },
    epochs: 1,
    batchSize: 10,
  },
  grid: { optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }], seeds: [1] },
});

test('sweepProgress: one line per change, batches throttled, the last run finishes it with a summary', () => {
  const lines: string[] = [];
  let now = 0;
  const p = sweepProgress(tiny(path.join(root, 'p1')), { label: 'tiny sweep', log: (s) => lines.push(s), now: () => now, minSeconds: 0 });
  assert.equal(p.total, 2);
  assert.equal(p.endedBefore, 0);
  const base = { epochs: 1, batches: 3, accuracy: 0.1, lr: 0.05 };
  p.onProgress({
    type: 'start',
    runId: 'r1',
    runDir: 'd',
    backend: 'wasm',
    epochs: 1,
    startEpoch: 0,
    batchesPerEpoch: 3,
    trainSize: 30,
    testSize: 10,
  });
  now = 500;
  p.onProgress({ type: 'batch', epoch: 1, batch: 1, loss: 2.3026, ...base });
  now = 1500; // 1 s after the last batch line: within the default 2 s, not shown
  p.onProgress({ type: 'batch', epoch: 1, batch: 2, loss: 2.2, ...base });
  now = 2600;
  p.onProgress({ type: 'batch', epoch: 1, batch: 3, loss: 2.1, ...base });
  const metrics = {
    epoch: 1,
    step: 3,
    trainLoss: 2.1,
    trainTop1: 0.1,
    trainTop5: 0.5,
    testLoss: 2.2,
    testTop1: 0.5,
    testTop5: 0.9,
    lr: 0.05,
    epochSeconds: 1,
    imagesPerSecond: 30,
    diverged: false,
  };
  p.onProgress({ type: 'epoch', epochs: 1, metrics });
  p.onProgress({ type: 'end', runId: 'r1', status: 'completed', epochsDone: 1 });
  p.onProgress({
    type: 'start',
    runId: 'r2',
    runDir: 'd',
    backend: 'wasm',
    epochs: 1,
    startEpoch: 0,
    batchesPerEpoch: 3,
    trainSize: 30,
    testSize: 10,
  });
  p.onProgress({ type: 'end', runId: 'r2', status: 'failed', epochsDone: 0, message: 'boom' });
  const notes = lines.map((l) => l.replace(/^tiny sweep \[[#.]+\] /, ''));
  assert.deepEqual(notes, [
    '0/2 (0%)',
    '0/2 (0%) - r1: starting',
    '0/2 (0%) - r1: epoch 1/1, batch 1/3, loss 2.303',
    '0/2 (0%) - r1: epoch 1/1, batch 3/3, loss 2.100',
    '0/2 (0%) - r1: epoch 1/1 done, test top-1 50.0%',
    // One of two runs ended after 2.6 s: 2.6 s left.
    '1/2 (50%), 3 s left - r1: completed',
    '1/2 (50%), 3 s left - r2: starting',
    '2/2 (100%), 3 s - r2: failed (boom)',
    '2/2 (100%), 3 s - 1 completed, 1 failed',
  ]);
  assert.equal(p.finish(), '1 completed, 1 failed');
  assert.equal(lines.length, 9, 'finish() after the automatic one prints nothing more');
  assert.deepEqual(p.ended, { completed: 1, failed: 1 });
});

test('sweepProgress: runs that ended before count as done, unless the sweep starts fresh', () => {
  const dir = path.join(root, 'p2');
  const { runs } = prepareSweep(tiny(dir));
  fs.mkdirSync(path.join(dir, runs[0]!.runId));
  fs.writeFileSync(
    path.join(dir, runs[0]!.runId, 'manifest.json'),
    JSON.stringify({ format: 'gaf-lab-run/1', runId: runs[0]!.runId, status: 'completed', config: runs[0]!.config }),
  );
  const lines: string[] = [];
  const p = sweepProgress(tiny(dir), { label: 'x', log: (s) => lines.push(s), now: () => 0, minSeconds: 0 });
  assert.equal(p.endedBefore, 1);
  // The bar counts the one run left to train.
  assert.match(lines.at(-1)!, /\] 0\/1 \(0%\) - 1 of 2 runs had ended before$/);
  p.onProgress({ type: 'end', runId: runs[1]!.runId, status: 'completed', epochsDone: 1 });
  assert.match(lines.at(-1)!, /\] 1\/1 \(100%\), 0 s - 1 completed; 1 had ended before$/);
  assert.equal(sweepProgress(tiny(dir), { fresh: true, log: () => undefined }).endedBefore, 0);
});

test('sweepGridTable: the committed CIFAR-10 zoo is 16 models x 3 optimizers, 3 seeds each', () => {
  const rows = sweepGridTable(path.join(packageRoot(), 'configs', 'paper', 'cifar10-zoo-sweep.json'));
  assert.equal(rows.length, 48);
  assert.deepEqual(rows[0], {
    dataset: 'cifar10',
    model: 'VGG16',
    optimizer: 'reference SGD_ori',
    seeds: '1, 2, 3',
    runs: 3,
    epochs: 200,
    batchSize: 256,
  });
  assert.equal(rows[1]!.optimizer, 'reference SGD_atan (alpha 0.1, beta 20)');
  assert.equal(rows[2]!.optimizer, 'reference SGD_atan (alpha 0.2, beta 10)');
  assert.equal(
    rows.reduce((s, r) => s + r.runs, 0),
    144,
  );
});

test('paperTable: baseline first, mean ± t half-width per optimizer, and the Welch interval of the difference', () => {
  const dir = path.join(root, 'paper');
  const atan = { kind: 'atan' as const, alpha: 0.1, beta: 20 };
  writeRun(dir, { seed: 1, testTop1: [0.5, 0.9] });
  writeRun(dir, { seed: 2, testTop1: [0.5, 0.92] });
  writeRun(dir, { seed: 1, gaf: atan, testTop1: [0.5, 0.93] });
  writeRun(dir, { seed: 2, gaf: atan, testTop1: [0.5, 0.95] });
  const rows = paperTable(resultsTables(loadRuns(dir)));
  // SGD: 0.90, 0.92: mean 0.91, sd 0.01*sqrt(2), half-width t(0.975, 1) * sd / sqrt(2) = 12.706 * 0.01 = 0.12706.
  // GAF: 0.93, 0.95: mean 0.94, the same half-width. Difference 0.03; Welch se = sqrt(0.0002/2 * 2) = 0.014142,
  // df = (1e-4 + 1e-4)^2 / (1e-8 + 1e-8) = 2, t(0.975, 2) = 4.3027: half-width 0.060849 -> [-3.08, +9.08] %.
  assert.deepEqual(rows, [
    {
      'dataset.name': 'fashion-mnist',
      'model.name': 'small-cnn',
      sgd: '91.00 ± 12.71 (n=2)',
      'sgd + 0.1*atan(20x)': '94.00 ± 12.71 (n=2)',
      'Δ sgd + 0.1*atan(20x)': '+3.00 [-3.08, +9.08]',
    },
  ]);
  assert.deepEqual(Object.keys(rows[0]!), ['dataset.name', 'model.name', 'sgd', 'sgd + 0.1*atan(20x)', 'Δ sgd + 0.1*atan(20x)']);
});

test('figureProvenanceTable: title, commit, date, runs and the notebook or command that made each figure', () => {
  const figs = path.join(root, 'figs');
  const nbs = path.join(root, 'nbs');
  fs.mkdirSync(figs, { recursive: true });
  fs.mkdirSync(nbs, { recursive: true });
  fs.writeFileSync(path.join(nbs, '06-ablations.ipynb'), '{}');
  const sidecar = (figure: string, o: Record<string, unknown>): void =>
    fs.writeFileSync(
      path.join(figs, `${figure}.provenance.json`),
      JSON.stringify({
        figure,
        title: `T ${figure}`,
        createdAt: '2026-01-02T03:04:05.678Z',
        gitCommit: '0123456789abcdef',
        gitDirty: false,
        runCount: 0,
        runs: [],
        source: null,
        command: 'node x',
        ...o,
      }),
    );
  sidecar('training-curves', { command: 'node dist/cli/main-job.js', runCount: 9, source: 'runs/main', gitDirty: true });
  sidecar('06-lr-sweep', { runCount: 4, source: path.join(packageRoot(), 'runs', 'notebooks', '06-ablations') });
  sidecar('07-cifar10-curves', { extra: { notebook: '07-cifar-zoo' } });
  sidecar('05-other', {});
  fs.writeFileSync(path.join(figs, 'notes.txt'), 'not a sidecar');
  const rows = figureProvenanceTable(figs, { notebooksDir: nbs });
  assert.deepEqual(
    rows.map((r) => [r.figure, r.madeBy]),
    [
      ['05-other', 'notebook 05'],
      ['06-lr-sweep', 'notebooks/06-ablations.ipynb'],
      ['07-cifar10-curves', 'notebooks/07-cifar-zoo.ipynb'],
      ['training-curves', 'npm run main'],
    ],
  );
  assert.deepEqual(rows[3], {
    figure: 'training-curves',
    title: 'T training-curves',
    commit: '0123456789*',
    date: '2026-01-02 03:04',
    runs: 9,
    source: 'runs/main',
    madeBy: 'npm run main',
  });
  assert.deepEqual(
    figureProvenanceTable(figs, { prefix: '06-', notebooksDir: nbs }).map((r) => [r.figure, r.source]),
    [['06-lr-sweep', path.join('runs', 'notebooks', '06-ablations')]],
    'an absolute source inside the repository is shown relative to it',
  );
  assert.deepEqual(figureProvenanceTable(path.join(root, 'nope')), []);
  assert.equal(figureMaker({ figure: 'x', command: 'node dist/cli/main.js figures --runs r' }), 'gaf-lab figures');
  assert.equal(figureMaker({ figure: 'x', command: '/usr/bin/node node_modules/tslab/bin/tslab kernel' }), 'a notebook (tslab kernel)');
});

test('runFoldersTable: which folders exist, their runs and how many completed', () => {
  const base = path.join(root, 'folders');
  writeRun(path.join(base, 'a'), { seed: 1, testTop1: [0.5] });
  writeRun(path.join(base, 'a'), { seed: 2, status: 'diverged', testTop1: [null] });
  const rows = runFoldersTable(
    [
      { dir: 'a', madeBy: 'npm run main' },
      { dir: 'b', madeBy: 'notebook 06' },
    ],
    base,
  );
  assert.deepEqual(rows, [
    { folder: 'a', exists: true, runs: 2, completed: 1, other: 1, madeBy: 'npm run main' },
    { folder: 'b', exists: false, runs: 0, completed: 0, other: 0, madeBy: 'notebook 06' },
  ]);
});

test('showSavedFigures outside a notebook: prints each PNG with its title; a missing name is an error', (t) => {
  const figs = path.join(root, 'show');
  fs.mkdirSync(figs, { recursive: true });
  fs.writeFileSync(path.join(figs, 'a.png'), 'png bytes');
  fs.writeFileSync(path.join(figs, 'a.provenance.json'), JSON.stringify({ figure: 'a', title: 'Figure A' }));
  fs.writeFileSync(path.join(figs, '06-b.png'), 'png bytes');
  const log = t.mock.method(console, 'log', () => undefined);
  showSavedFigures(figs);
  showSavedFigures(figs, { prefix: '06-' });
  const printed = log.mock.calls.map((c) => String(c.arguments[0]));
  log.mock.restore();
  assert.deepEqual(
    printed.map((s) => path.basename(s)),
    ['06-b.png', 'a.png - Figure A', '06-b.png'],
  );
  assert.throws(() => showSavedFigures(figs, { names: ['a', 'zzz'] }), /no zzz\.png in .*show/);
});

test("regenerateFigures: provenanceExtra is recorded in every figure, next to the figure's own extra", async () => {
  const out = path.join(root, 'regen');
  const r = await regenerateFigures({ outDir: out, provenanceExtra: { notebook: '09-paper-figures' } });
  assert.deepEqual(r.figures, ['gaf-functions', 'gaf-conditions']);
  for (const f of r.figures) {
    const p = JSON.parse(fs.readFileSync(path.join(out, `${f}.provenance.json`), 'utf8')) as { extra: Record<string, unknown> };
    assert.equal(p.extra.notebook, '09-paper-figures', f);
  }
  const fn = JSON.parse(fs.readFileSync(path.join(out, 'gaf-functions.provenance.json'), 'utf8')) as { extra: { gafs: unknown[] } };
  assert.equal(fn.extra.gafs.length, 4, "the figure's own extra stays");
  assert.deepEqual(
    figureProvenanceTable(out).map((row) => row.madeBy),
    ['notebooks/09-paper-figures.ipynb', 'notebooks/09-paper-figures.ipynb'],
  );
});
