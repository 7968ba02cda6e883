/**
 * Which runs share a summary row: by default every training config field that differs splits
 * the rows, a hand-chosen grouping that would mix configurations is refused with the fields
 * named, and copies of a run (same config and seed) are counted once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRuns, summarizeRuns } from '../src/results/index';
import { findDuplicateRuns, describeDuplicates } from '../src/results/duplicates';
import { defaultGroupBy, mixedFields } from '../src/results/grouping';
import { CONFIG_FIELDS, isTrainingColumn } from '../src/results/run-config';
import { formatSummary, shortColumnNames } from '../src/results/format';
import { formatResultsTables, resultsTables } from '../src/reports/results-tables';
import { experimentConfigSchema } from '../src/config/schema';
import { runIdOf, standardSweep, tempDir, writeRun } from './results-fixtures';

type Row = Record<string, unknown>;
const close = (got: unknown, want: number, what: string): void =>
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= 1e-12, `${what}: got ${String(got)}, want ${want}`);

test('results: runs at learning rates 0.025 and 1e-6 get a row each by default, with the field shown', () => {
  const root = tempDir('group-lr');
  try {
    // The reported case: the same seed at two learning rates. They are two configurations.
    writeRun(root, { seed: 1, learningRate: 0.025, testTop1: [0.5, 0.84] });
    writeRun(root, { seed: 1, learningRate: 1e-6, testTop1: [0.1, 0.12] });
    const t = resultsTables(loadRuns(root));
    assert.deepEqual(t.by, ['dataset.name', 'model.name', 'optimizerLabel', 'optimizer.options.learningRate']);
    const rows = t.summary.objects() as Row[];
    assert.deepEqual(
      rows.map((r) => [r['optimizer.options.learningRate'], r.n, r.duplicateSeeds]),
      [
        [1e-6, 1, false],
        [0.025, 1, false],
      ],
    );
    close(rows[0]!.finalMean, 0.12, 'lr 1e-6 final');
    close(rows[1]!.finalMean, 0.84, 'lr 0.025 final');
    assert.deepEqual(t.duplicates, []);
    const text = formatResultsTables(t);
    assert.match(text, /\| dataset +\| model +\| optimizer +\| learningRate +\| final testTop1 \(%\)/);
    assert.match(text, /\| sgd +\| 0\.000001 +\| 12\.00 \(n=1, no CI\)/);
    assert.doesNotMatch(text, /warning/);
    // summarizeRuns without `by` groups the same way.
    assert.equal((summarizeRuns(loadRuns(root)).objects() as Row[]).length, 2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('defaultGroupBy: every differing training field, but not the ones the optimizer label spells out', () => {
  const root = tempDir('group-fields');
  try {
    const atan = { kind: 'atan' as const, alpha: 0.1, beta: 20 };
    for (const seed of [1, 2]) {
      // Learning rate and epochs change together: both are shown, neither hides the other.
      writeRun(root, { seed, learningRate: 0.1, testTop1: [0.5, 0.8] });
      writeRun(root, { seed, learningRate: 0.05, testTop1: [0.5, 0.7, 0.85] });
      writeRun(root, { seed, learningRate: 0.1, gaf: atan, testTop1: [0.5, 0.82] });
    }
    const t = loadRuns(root);
    assert.deepEqual(defaultGroupBy(t), ['dataset.name', 'model.name', 'optimizerLabel', 'optimizer.options.learningRate', 'epochs']);
    const rows = summarizeRuns(t).objects() as Row[];
    assert.deepEqual(
      rows.map((r) => [r.optimizerLabel, r['optimizer.options.learningRate'], r.epochs, r.n]),
      [
        ['sgd', 0.05, 3, 2],
        ['sgd', 0.1, 2, 2],
        ['sgd + 0.1*atan(20x)', 0.1, 2, 2],
      ],
    );
    // Without the label column, the GAF fields are what tells the runs apart, so they are used.
    const noLabel = t.select(t.columnNames().filter((c) => c !== 'optimizerLabel'));
    assert.deepEqual(defaultGroupBy(noLabel), [
      'dataset.name',
      'model.name',
      'optimizer.options.learningRate',
      'optimizer.gaf.kind',
      'epochs',
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('results: runs that differ only in seed, outDir, name and evalBatchSize share one row', () => {
  const root = tempDir('group-same');
  try {
    writeRun(root, { seed: 1, testTop1: [0.5, 0.8] });
    writeRun(root, { seed: 2, outDir: 'elsewhere', evalBatchSize: 1000, testTop1: [0.5, 0.82] });
    writeRun(root, { seed: 3, name: 'renamed', testTop1: [0.5, 0.87] });
    const t = resultsTables(loadRuns(root));
    assert.deepEqual(t.by, ['dataset.name', 'model.name', 'optimizerLabel']);
    const [row] = t.summary.objects() as Row[];
    assert.equal(row!.n, 3);
    assert.equal(row!.seeds, '1,2,3');
    close(row!.finalMean, (0.8 + 0.82 + 0.87) / 3, 'mean of the three seeds');
    assert.deepEqual(mixedFields(loadRuns(root), ['model.name']), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('summarizeRuns: a `by` that would average two learning rates is refused, naming the field and values', () => {
  const root = tempDir('group-refuse');
  try {
    writeRun(root, { seed: 1, learningRate: 0.025, testTop1: [0.5, 0.84] });
    writeRun(root, { seed: 1, learningRate: 1e-6, testTop1: [0.1, 0.12] });
    const t = loadRuns(root);
    assert.throws(
      () => summarizeRuns(t, { by: ['model.name', 'optimizerLabel'] }),
      /runs grouped by \["model\.name","optimizerLabel"\] differ in more than the seed: optimizer\.options\.learningRate \(0\.000001, 0\.025\) in the row model\.name=small-cnn, optimizerLabel=sgd\. Add this column to by/,
    );
    assert.throws(
      () => resultsTables(t, { by: ['model.name', 'optimizerLabel'] }),
      /optimizer\.options\.learningRate \(0\.000001, 0\.025\)/,
    );
    // Pooled on purpose: one row, n = 2, mean (0.84 + 0.12) / 2 = 0.48, and seed 1 twice.
    const [pooled] = summarizeRuns(t, { by: ['model.name'], allowMixedConfigs: true }).objects() as Row[];
    assert.equal(pooled!.n, 2);
    close(pooled!.finalMean, 0.48, 'pooled mean');
    assert.equal(pooled!.duplicateSeeds, true);
    // Grouping by the field as well is accepted.
    assert.equal((summarizeRuns(t, { by: ['model.name', 'optimizer.options.learningRate'] }).objects() as Row[]).length, 2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('duplicates: one run id in two folders is reported and counted once (the newest copy)', () => {
  const root = tempDir('group-dup');
  try {
    // Folder a: seeds 1-3 with finals 0.80, 0.82, 0.84. Folder b: seed 2 again, final 0.90,
    // ended later. Counted once with b's copy: mean (0.80 + 0.90 + 0.84) / 3 = 0.846667;
    // averaging both copies would give (0.80 + 0.82 + 0.84 + 0.90) / 4 = 0.84.
    [0.8, 0.82, 0.84].forEach((f, i) => writeRun(root, { seed: i + 1, testTop1: [0.5, f], under: 'a' }));
    writeRun(root, { seed: 2, testTop1: [0.5, 0.9], under: 'b', endedAt: '2025-02-01T00:00:00.000Z' });
    const id = runIdOf({ seed: 2, testTop1: [0.5, 0.9] });
    const t = loadRuns(root);
    const dups = findDuplicateRuns(t);
    assert.deepEqual(dups, [{ seed: 2, kept: path.join('b', id), keptStatus: 'completed', dropped: [path.join('a', id)] }]);
    const [row] = summarizeRuns(t).objects() as Row[];
    assert.equal(row!.runs, 3);
    assert.equal(row!.n, 3);
    assert.equal(row!.duplicates, 1);
    assert.equal(row!.seeds, '1,2,3');
    assert.equal(row!.duplicateSeeds, false);
    close(row!.finalMean, (0.8 + 0.9 + 0.84) / 3, 'mean with the copy counted once');
    // Each run's own epochs only: the copies are not merged into one run with doubled epochs.
    assert.equal(row!.epochs, 2);
    const tables = resultsTables(t);
    assert.equal(tables.runCount, 3);
    const text = formatResultsTables(tables);
    assert.ok(text.startsWith(`${describeDuplicates(dups[0]!)}\n`), text);
    assert.match(
      text,
      new RegExp(`^warning: 2 runs have the same config and seed 2: b/${id}, a/${id}; counted once, using b/${id} \\(completed\\)\\.`),
    );
    assert.match(text, /Summary across seeds \(3 runs, metric testTop1\)/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('duplicates: copies under other names and folders count once; a completed copy wins over a newer failed one', () => {
  const root = tempDir('group-dup2');
  try {
    writeRun(root, { seed: 1, testTop1: [0.5, 0.8] });
    writeRun(root, {
      seed: 1,
      name: 'again',
      outDir: 'other',
      status: 'failed',
      testTop1: [0.5],
      epochs: 2,
      endedAt: '2025-03-01T00:00:00.000Z',
    });
    writeRun(root, { seed: 2, testTop1: [0.5, 0.86] });
    const t = loadRuns(root);
    const dups = findDuplicateRuns(t);
    assert.equal(dups.length, 1);
    assert.equal(dups[0]!.kept, runIdOf({ seed: 1, testTop1: [] }));
    assert.deepEqual(dups[0]!.dropped, [runIdOf({ seed: 1, name: 'again', testTop1: [] })]);
    const [row] = summarizeRuns(t).objects() as Row[];
    assert.deepEqual([row!.runs, row!.completed, row!.failed, row!.duplicates, row!.n], [2, 2, 0, 1, 2]);
    close(row!.finalMean, 0.83, 'mean of 0.80 and 0.86');
    // Seeds alone are replicates, not duplicates.
    const sweep = tempDir('group-nodup');
    standardSweep(sweep);
    assert.deepEqual(findDuplicateRuns(loadRuns(sweep)), []);
    fs.rmSync(sweep, { recursive: true, force: true });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the standard sweep keeps its groups: model x optimizer, three seeds each', () => {
  const root = tempDir('group-std');
  try {
    standardSweep(root);
    const t = resultsTables(loadRuns(root));
    assert.deepEqual(t.by, ['dataset.name', 'model.name', 'optimizerLabel']);
    assert.deepEqual(
      (t.summary.objects() as Row[]).map((r) => [r['model.name'], r.optimizerLabel, r.n]),
      [
        ['lenet', 'sgd', 3],
        ['lenet', 'sgd + 0.1*atan(20x)', 3],
        ['small-cnn', 'sgd', 3],
        ['small-cnn', 'sgd + 0.1*atan(20x)', 3],
      ],
    );
    assert.match(formatSummary(t.summary), /^\| dataset +\| model +\| optimizer +\| final testTop1/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('shortColumnNames: last part of the path, lengthened where two would read alike', () => {
  assert.deepEqual(
    shortColumnNames([
      'dataset.name',
      'model.name',
      'optimizer.options.learningRate',
      'dataset.subset.perClass',
      'dataset.testSubset.perClass',
      'epochs',
    ]),
    ['dataset', 'model', 'learningRate', 'subset.perClass', 'testSubset.perClass', 'epochs'],
  );
  assert.deepEqual(shortColumnNames(['optimizerLabel', 'optimizer.name']), ['optimizerLabel', 'optimizer.name']);
  assert.deepEqual(shortColumnNames(['optimizerLabel', 'variant']), ['optimizer', 'variant']);
});

test("run-config: the config fields are the schema's, and only training fields count", () => {
  const shape = (experimentConfigSchema as unknown as { innerType(): { shape: Record<string, unknown> } }).innerType().shape;
  assert.deepEqual(
    [...CONFIG_FIELDS].sort(),
    Object.keys(shape)
      .filter((k) => k !== '$schema')
      .sort(),
  );
  for (const c of ['dataset.name', 'optimizer.options.learningRate', 'epochs', 'evalEvery', 'schedule.kind'])
    assert.equal(isTrainingColumn(c), true, c);
  for (const c of [
    'seed',
    'outDir',
    'name',
    'dataset.dataDir',
    'evalBatchSize',
    'gradStats.every',
    'backend',
    'threads',
    'keepCheckpoints',
    'runId',
    'testTop1',
    'optimizerLabel',
  ]) {
    assert.equal(isTrainingColumn(c), false, c);
  }
});
