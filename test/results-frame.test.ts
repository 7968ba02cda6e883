/**
 * runsFrame: the runs as a danfo DataFrame, checked through danfo's own groupby/agg/describe
 * against numbers worked out by hand from the fixture's accuracies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { frameRows, runsFrame } from '../src/results/index';
import { curve, standardSweep, tempDir, writeRun } from './results-fixtures';

const close = (actual: unknown, expected: number, what: string): void => {
  assert.equal(typeof actual, 'number', `${what}: ${String(actual)}`);
  assert.ok(Math.abs((actual as number) - expected) < 1e-9, `${what}: ${String(actual)}, expected ${expected}`);
};

/** The standard sweep (12 completed runs, see results-fixtures.ts) plus one run still going at epoch 2. */
function fixture(): string {
  const root = tempDir('frame');
  standardSweep(root);
  writeRun(root, { model: 'small-cnn', seed: 4, status: 'running', testTop1: [0.5, 0.6], epochs: 5, under: 'sweep-b' });
  return root;
}
const completed = { filter: (m: { status: string }) => m.status === 'completed' };

test('runsFrame: one row per run at its last epoch by default; a run still going shows the epoch it reached', () => {
  const root = fixture();
  const df = runsFrame(root, { columns: ['runId', 'status', 'model.name', 'optimizerLabel', 'seed', 'epoch', 'testTop1'] });
  assert.deepEqual(df.columns, ['runId', 'status', 'model.name', 'optimizerLabel', 'seed', 'epoch', 'testTop1']);
  const rows = frameRows(df);
  assert.equal(rows.length, 13);
  const running = rows.filter((r) => r.status === 'running');
  assert.deepEqual(
    running.map((r) => [r.epoch, r.testTop1]),
    [[2, 0.6]],
  );
  assert.ok(rows.filter((r) => r.status === 'completed').every((r) => r.epoch === 5));
  assert.equal(runsFrame(root, completed).shape[0], 12);
  fs.rmSync(root, { recursive: true, force: true });
});

test('runsFrame + danfo groupby/agg: final test top-1 per model and optimizer across seeds', () => {
  const root = fixture();
  const df = runsFrame(root, { ...completed, columns: ['model.name', 'optimizerLabel', 'seed', 'testTop1'] });
  const g = df.groupby(['model.name', 'optimizerLabel']).agg({ testTop1: ['mean', 'std', 'count'] });
  const byGroup = new Map(frameRows(g).map((r) => [`${String(r['model.name'])} | ${String(r.optimizerLabel)}`, r]));
  // Finals of the fixture, seeds 1-3: small-cnn SGD 0.90/0.92/0.94, +atan 0.94/0.95/0.96;
  // lenet SGD 0.80/0.84/0.88, +atan 0.83/0.85/0.87. Each triple is evenly spaced by d, so
  // mean = the middle value and sample sd = sqrt((d^2 + 0 + d^2) / 2) = d.
  const expected: [string, number, number][] = [
    ['small-cnn | sgd', 0.92, 0.02],
    ['small-cnn | sgd + 0.1*atan(20x)', 0.95, 0.01],
    ['lenet | sgd', 0.84, 0.04],
    ['lenet | sgd + 0.1*atan(20x)', 0.85, 0.02],
  ];
  assert.deepEqual([...byGroup.keys()].sort(), expected.map((e) => e[0]).sort());
  for (const [key, mean, sd] of expected) {
    const r = byGroup.get(key)!;
    close(r.testTop1_mean, mean, `${key} mean`);
    close(r.testTop1_std, sd, `${key} sd`);
    assert.equal(r.testTop1_count, 3, `${key} count`);
  }
  fs.rmSync(root, { recursive: true, force: true });
});

test('runsFrame + danfo describe: the spread of the final accuracies', () => {
  const root = fixture();
  const desc = frameRows(runsFrame(root, { ...completed, columns: ['testTop1'] }).describe(), { index: 'statistic' });
  assert.deepEqual(
    desc.map((r) => r.statistic),
    ['count', 'mean', 'std', 'min', 'median', 'max', 'variance'],
  );
  const stat = new Map(desc.map((r) => [r.statistic, r.testTop1]));
  // The 12 finals: 0.80 0.83 0.84 0.85 0.87 0.88 0.90 0.92 0.94 0.94 0.95 0.96.
  // mean = 10.68 / 12 = 0.89; squared deviations sum to 0.0308, so the sample variance is
  // 0.0308 / 11 = 0.0028; the median is the mean of the 6th and 7th, (0.88 + 0.90) / 2 = 0.89.
  close(stat.get('count'), 12, 'count');
  close(stat.get('mean'), 0.89, 'mean');
  close(stat.get('variance'), 0.0028, 'variance');
  close(stat.get('std'), Math.sqrt(0.0028), 'std');
  close(stat.get('min'), 0.8, 'min');
  close(stat.get('median'), 0.89, 'median');
  close(stat.get('max'), 0.96, 'max');
  fs.rmSync(root, { recursive: true, force: true });
});

test("runsFrame rows: 'epochs': every epoch of every run, for learning curves per group", () => {
  const root = fixture();
  const df = runsFrame(root, { ...completed, rows: 'epochs', columns: ['runId', 'epoch', 'testTop1'] });
  assert.equal(df.shape[0], 12 * 5);
  const byEpoch = new Map(frameRows(df.groupby(['epoch']).col(['testTop1']).mean()).map((r) => [r.epoch, r.testTop1_mean]));
  // curve(final) is final - 0.08 * (5 - epoch): epoch 1 is 0.32 below each final, so its mean
  // is 0.89 - 0.32; epoch 5 is the finals' mean, 0.89.
  assert.deepEqual(curve(0.9).slice(0, 1), [0.58]);
  close(byEpoch.get(1), 0.89 - 0.32, 'epoch 1');
  close(byEpoch.get(5), 0.89, 'epoch 5');
  fs.rmSync(root, { recursive: true, force: true });
});

test('runsFrame refuses unknown columns, an empty folder and a bad rows option, and frameRows a clashing index name, saying what is allowed', () => {
  const root = fixture();
  assert.throws(
    () => runsFrame(root, { columns: ['testTop1', 'testAcc'] }),
    /runsFrame: no column "testAcc"; the columns are: runId, status, optimizerLabel, .*testTop1/,
  );
  assert.throws(() => runsFrame(root, { rows: 'last' as never }), /rows must be 'final' or 'epochs', got "last"/);
  assert.throws(
    () => frameRows(runsFrame(root, { columns: ['seed'] }).describe(), { index: 'seed' }),
    /frameRows: the DataFrame already has a column "seed"/,
  );
  const empty = tempDir('frame-empty');
  assert.throws(() => runsFrame(empty), new RegExp(`runsFrame: no runs under ${empty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(empty, { recursive: true, force: true });
});
