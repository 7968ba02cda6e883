import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadRuns, readArrow, readCsv, summarizeRuns, toDanfo, writeArrow, writeCsv } from '../src/results/index';
import { standardSweep, tempDir, writeRun } from './results-fixtures';

type Row = Record<string, unknown>;

/** NaN and null both mean "no value" in a CSV cell; compare them as equal. */
const norm = (rows: Row[]): Row[] =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && Number.isNaN(v) ? null : v])));

test('CSV round trip of the runs table keeps columns, numbers, booleans, nulls and id-like text', () => {
  const root = tempDir('csv');
  standardSweep(root);
  // A commit that looks like a number and a run with no metrics (null epoch).
  writeRun(root, { seed: 5, status: 'running', testTop1: [], gitCommit: '1234567' });
  const t = loadRuns(root);
  const file = path.join(root, 'out', 'runs.csv');
  writeCsv(t, file);
  const back = readCsv(file);
  assert.deepEqual(back.columnNames(), t.columnNames());
  assert.equal(back.numRows(), t.numRows());
  assert.deepEqual(norm(back.objects() as Row[]), norm(t.objects() as Row[]));
  const running = (back.objects() as Row[]).find((r) => r.status === 'running')!;
  assert.equal(running.gitCommit, '1234567');
  assert.equal(running.epoch, null);
  assert.equal(typeof running.startedAt, 'string');
  // Written atomically: no temp file is left beside it.
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['runs.csv']);
  fs.rmSync(root, { recursive: true, force: true });
});

test('CSV round trip of a summary keeps the NaN interval of a single seed and the flags', () => {
  const root = tempDir('csv-summary');
  standardSweep(root);
  writeRun(root, { seed: 1, model: 'vgg', testTop1: [0.5] });
  const s = summarizeRuns(loadRuns(root), { by: ['model.name', 'optimizerLabel'] });
  const file = path.join(root, 'summary.csv');
  writeCsv(s, file);
  const back = readCsv(file).objects() as Row[];
  assert.deepEqual(back, s.objects() as Row[]);
  const vgg = back.find((r) => r['model.name'] === 'vgg')!;
  assert.equal(vgg.singleSeed, true);
  assert.ok(Number.isNaN(vgg.finalCiLow as number), 'NaN is written as NaN, not as an empty cell');
  fs.rmSync(root, { recursive: true, force: true });
});

test('Arrow export: an IPC file (ARROW1 magic) that reads back to the same table; overwrite is atomic', () => {
  const root = tempDir('arrow');
  standardSweep(root);
  const t = loadRuns(root);
  const file = path.join(root, 'runs.arrow');
  fs.writeFileSync(file, 'old content');
  writeArrow(t, file);
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.subarray(0, 6).toString('latin1'), 'ARROW1');
  assert.equal(bytes.subarray(bytes.length - 6).toString('latin1'), 'ARROW1');
  const back = readArrow(file);
  assert.deepEqual(back.columnNames(), t.columnNames());
  assert.deepEqual(norm(back.objects() as Row[]), norm(t.objects() as Row[]));
  assert.ok(!fs.readdirSync(root).some((f) => f.endsWith('.tmp')));
  fs.rmSync(root, { recursive: true, force: true });
});

test('toDanfo: a DataFrame with the same shape, column names and values', () => {
  const root = tempDir('danfo');
  standardSweep(root);
  const s = summarizeRuns(loadRuns(root), { by: ['model.name', 'optimizerLabel'] });
  const df = toDanfo(s);
  assert.deepEqual(df.shape, [s.numRows(), s.numCols()]);
  assert.deepEqual(df.columns, s.columnNames());
  assert.deepEqual(df.column('finalMean').values, Array.from(s.array('finalMean') as ArrayLike<unknown>));
  assert.deepEqual(df.column('model.name').values, ['lenet', 'lenet', 'small-cnn', 'small-cnn']);
  fs.rmSync(root, { recursive: true, force: true });
});

test('exports refuse things that are not tables', () => {
  assert.throws(() => writeCsv([] as never, '/tmp/x.csv'), /writeCsv: expected an arquero table/);
  assert.throws(() => toDanfo({} as never), /toDanfo: expected an arquero table/);
});
