import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRuns, loadGradStats, hasGaf, optimizerLabel } from '../src/results/index';
import { findRunDirs } from '../src/run-format/index';
import { curve, standardSweep, tempDir, writeRun, runIdOf } from './results-fixtures';
import { flattenObject } from '../src/results/flatten';
import { gafRole } from '../src/reports/results-tables';

type Row = Record<string, unknown>;

test('loadRuns: one row per run x epoch, config flattened, nested sweeps found, checkpoints ignored', () => {
  const root = tempDir('load');
  standardSweep(root);
  const t = loadRuns(root);
  // 2 models x 2 optimizers x 3 seeds = 12 runs, 5 epochs each.
  assert.equal(t.numRows(), 60);
  const cols = t.columnNames();
  for (const c of [
    'runId',
    'status',
    'seed',
    'epoch',
    'testTop1',
    'trainLoss',
    'lr',
    'diverged',
    'optimizer.name',
    'optimizer.gaf.kind',
    'optimizer.gaf.alpha',
    'optimizer.gaf.beta',
    'optimizer.options.learningRate',
    'model.name',
    'dataset.name',
    'dataset.subset.first',
    'schedule.milestones',
    'runDir',
    'optimizerLabel',
    'gitCommit',
  ]) {
    assert.ok(cols.includes(c), `missing column ${c}; have ${cols.join(', ')}`);
  }
  // optimizer.gaf is null for SGD and an object for SGD+GAF: only its sub-columns exist.
  assert.ok(!cols.includes('optimizer.gaf'));
  const rows = t.objects() as Row[];
  const sgd = rows.filter((r) => r['optimizer.gaf.kind'] === null);
  const gaf = rows.filter((r) => r['optimizer.gaf.kind'] === 'atan');
  assert.equal(sgd.length, 30);
  assert.equal(gaf.length, 30);
  assert.ok(gaf.every((r) => r['optimizer.gaf.alpha'] === 0.1 && r['optimizer.gaf.beta'] === 20));
  assert.ok(sgd.every((r) => r['optimizer.gaf.alpha'] === null));
  assert.deepEqual([...new Set(rows.map((r) => r.optimizerLabel))].sort(), ['sgd', 'sgd + 0.1*atan(20x)']);
  assert.equal(rows[0]!['schedule.milestones'], '[30,60]');
  assert.equal(new Set(rows.map((r) => r.runId)).size, 12);
  assert.ok(rows.every((r) => String(r.runDir).startsWith('sweep-a/') && !String(r.runDir).includes('checkpoints')));
  // Epochs of a run are in order, 1..5, with the curve's values.
  const one = rows.filter((r) => r.runId === runIdOf({ model: 'lenet', seed: 2, testTop1: [] }));
  assert.deepEqual(
    one.map((r) => r.epoch),
    [1, 2, 3, 4, 5],
  );
  assert.deepEqual(
    one.map((r) => r.testTop1),
    curve(0.84),
  );
  fs.rmSync(root, { recursive: true, force: true });
});

test('loadRuns: an unfinished last line is ignored; a run with no metrics yet gives one row with null epoch', () => {
  const root = tempDir('partial');
  writeRun(root, { seed: 1, testTop1: [0.5, 0.6, 0.7], unfinishedTail: '{"epoch":4,"trainLoss":0.3,"testTo' });
  writeRun(root, { seed: 2, status: 'running', testTop1: [] });
  // Diverged in its first epoch before any line was written: still a row, still counted.
  writeRun(root, { seed: 3, status: 'diverged', testTop1: [], message: 'non-finite loss at epoch 1, step 3' });
  const rows = loadRuns(root).objects() as Row[];
  const byRun = (s: number): Row[] => rows.filter((r) => r.seed === s);
  assert.deepEqual(
    byRun(1).map((r) => r.epoch),
    [1, 2, 3],
  );
  assert.equal(byRun(2).length, 1);
  assert.equal(byRun(2)[0]!.epoch, null);
  assert.equal(byRun(2)[0]!.testTop1, null);
  assert.equal(byRun(2)[0]!.status, 'running');
  assert.equal(byRun(3)[0]!.status, 'diverged');
  assert.equal(byRun(3)[0]!.message, 'non-finite loss at epoch 1, step 3');
  fs.rmSync(root, { recursive: true, force: true });
});

test('loadRuns: a re-written epoch (resumed run) keeps the later line', () => {
  const root = tempDir('resume');
  const dir = writeRun(root, { seed: 1, testTop1: [0.5, 0.6] });
  fs.appendFileSync(path.join(dir, 'metrics.jsonl'), `${JSON.stringify({ epoch: 2, testTop1: 0.65, diverged: false })}\n`);
  const rows = loadRuns(root).objects() as Row[];
  assert.deepEqual(
    rows.map((r) => [r.epoch, r.testTop1]),
    [
      [1, 0.5],
      [2, 0.65],
    ],
  );
  fs.rmSync(root, { recursive: true, force: true });
});

test('loadRuns: the root may itself be a run; filter picks runs by manifest', () => {
  const root = tempDir('single');
  const dir = writeRun(root, { seed: 7, testTop1: [0.4, 0.5] });
  writeRun(root, { seed: 8, status: 'failed', testTop1: [0.4] });
  assert.equal(loadRuns(dir).numRows(), 2);
  assert.equal((loadRuns(dir).objects()[0] as Row).runDir, '.');
  const onlyDone = loadRuns(root, { filter: (m) => m.status === 'completed' }).objects() as Row[];
  assert.deepEqual([...new Set(onlyDone.map((r) => r.seed))], [7]);
  fs.rmSync(root, { recursive: true, force: true });
});

test('loadRuns: bad input gives errors that name the file and what is wrong', () => {
  const root = tempDir('bad');
  assert.throws(() => loadRuns(path.join(root, 'nope')), /folder .*nope does not exist/);
  const dir = writeRun(root, { seed: 1, testTop1: [0.5, 0.6] });
  const metrics = path.join(dir, 'metrics.jsonl');
  const good = fs.readFileSync(metrics, 'utf8').split('\n');
  fs.writeFileSync(metrics, `${good[0]}\n{"epoch": 2, oops\n`);
  assert.throws(
    () => loadRuns(root),
    (e: Error) => e.message.includes(`${metrics}:2:`) && /not valid JSON/.test(e.message),
  );
  fs.writeFileSync(metrics, `${good[0]}\n`);
  const manifestFile = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  fs.writeFileSync(manifestFile, JSON.stringify({ ...m, status: 'done' }));
  assert.throws(
    () => loadRuns(root),
    (e: Error) =>
      e.message.includes(manifestFile) && /"status" is "done"; allowed: running, completed, diverged, failed, interrupted/.test(e.message),
  );
  fs.writeFileSync(manifestFile, JSON.stringify({ ...m, config: undefined }));
  assert.throws(() => loadRuns(root), /field "config" must be the resolved config object/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('loadRuns: an empty folder gives an empty table with the metric columns', () => {
  const root = tempDir('empty');
  const t = loadRuns(root);
  assert.equal(t.numRows(), 0);
  for (const c of ['runId', 'epoch', 'testTop1']) assert.ok(t.columnNames().includes(c));
  assert.deepEqual(findRunDirs(root), []);
  fs.rmSync(root, { recursive: true, force: true });
});

test('optimizerLabel and hasGaf: placement on the update, reference variants, adaptive GAF', () => {
  assert.equal(
    optimizerLabel({
      'optimizer.name': 'reference',
      'optimizer.variant': 'SGD_atan',
      'optimizer.options.alpha': 0.1,
      'optimizer.options.beta': 20,
    }),
    'reference SGD_atan (alpha 0.1, beta 20)',
  );
  assert.equal(hasGaf({ 'optimizer.name': 'reference', 'optimizer.variant': 'SGD_ori' }), false);
  assert.equal(hasGaf({ 'optimizer.name': 'reference', 'optimizer.variant': 'SGD_atanMom' }), true);
  assert.equal(hasGaf({ 'optimizer.name': 'sgdAdaptiveGaf', 'optimizer.gaf.kind': null }), true);
  assert.equal(hasGaf({ 'optimizer.name': 'adam', 'optimizer.gaf.kind': 'atan' }), true);
  assert.equal(hasGaf({ 'optimizer.name': 'sgd', 'optimizer.gaf.kind': null }), false);
  const root = tempDir('label');
  writeRun(root, { seed: 1, gaf: { kind: 'tanh', alpha: 0.2, beta: 10 }, placement: 'update', testTop1: [0.5] });
  assert.equal((loadRuns(root).objects()[0] as Row).optimizerLabel, 'sgd + 0.2*tanh(10x) on update');
  fs.rmSync(root, { recursive: true, force: true });
});

test('loadGradStats: rows per step and variable, tagged with the run', () => {
  const root = tempDir('grad');
  writeRun(root, {
    seed: 1,
    gaf: { kind: 'atan', alpha: 0.1, beta: 20 },
    testTop1: [0.5, 0.6],
    gradstats: [
      { epoch: 1, step: 10, variable: 'conv1/kernel', rawL2: 0.5, actL2: 1.2 },
      { epoch: 1, step: 10, variable: 'dense/bias', rawL2: 0.01, actL2: 0.2 },
      { epoch: 2, step: 20, variable: 'conv1/kernel', rawL2: 0.3, actL2: 1.0 },
    ],
  });
  writeRun(root, { seed: 2, testTop1: [0.5] }); // no gradstats file: contributes nothing
  writeRun(root, { seed: 3, testTop1: [0.5], gradstats: [{ epoch: 1, step: 1, variable: 'dense/bias', rawL2: 0.01, actL2: 0.01 }] });
  const all = loadGradStats(root);
  assert.deepEqual(
    all.map((r) => [r.seed, r.hasGaf]),
    [
      [1, true],
      [1, true],
      [1, true],
      [3, false],
    ],
  );
  const g = all.filter((r) => r.seed === 1);
  assert.equal(g.length, 3);
  assert.deepEqual(
    g.map((r) => [r.variable, r.epoch, r.rawL2, r.actL2]),
    [
      ['conv1/kernel', 1, 0.5, 1.2],
      ['dense/bias', 1, 0.01, 0.2],
      ['conv1/kernel', 2, 0.3, 1.0],
    ],
  );
  assert.ok(g.every((r) => r.optimizerLabel === 'sgd + 0.1*atan(20x)' && r.seed === 1 && r.hasGaf));
  fs.rmSync(root, { recursive: true, force: true });
});

test('a control run is labelled by what it mimics and is neither baseline nor GAF in the main tables', () => {
  const flat = flattenObject({
    optimizer: {
      name: 'sgd',
      options: { learningRate: 0.1 },
      control: { kind: 'lrMatched', of: { kind: 'atan', alpha: 0.1, beta: 20 } },
      clip: null,
    },
  });
  assert.equal(optimizerLabel(flat), "sgd lr x g'(0) of 0.1*atan(20x)");
  assert.equal(hasGaf(flat), false);
  assert.equal(gafRole(flat), 'control');
  const clipped = flattenObject({ optimizer: { name: 'sgd', gaf: null, clip: { kind: 'rms', maxRms: 0.157 } } });
  assert.equal(optimizerLabel(clipped), 'sgd + clip rms 0.157');
});
