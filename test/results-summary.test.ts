import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { compareToBaseline, formatComparison, formatMeanCi, formatSummary, loadRuns, summarizeRuns } from '../src/results/index';
import { curve, standardSweep, tempDir, writeRun } from './results-fixtures';

type Row = Record<string, unknown>;
const close = (got: unknown, want: number, tol: number, what: string): void =>
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= tol, `${what}: got ${String(got)}, want ${want}`);

// Hand-computed (see results-stats.test.ts for the derivations):
// small-cnn SGD finals [0.90, 0.92, 0.94]: mean 0.92, sd 0.02, t(0.975,2) sd/sqrt(3) = 0.049683.
// small-cnn SGD+atan finals [0.94, 0.95, 0.96]: mean 0.95, sd 0.01, half-width 4.302653*0.01/sqrt(3) = 0.024841.
// lenet SGD [0.80, 0.84, 0.88]: mean 0.84, sd 0.04; lenet SGD+atan [0.83, 0.85, 0.87]: mean 0.85, sd 0.02.
const T_50_17 = 3.218758614532882; // scipy.stats.t.ppf(0.975, 50/17)

function sweep(): { root: string; rows: Row[]; summary: ReturnType<typeof summarizeRuns> } {
  const root = tempDir('summary');
  standardSweep(root);
  const summary = summarizeRuns(loadRuns(root), { by: ['model.name', 'optimizerLabel'], target: 0.85 });
  return { root, rows: summary.objects() as Row[], summary };
}

test('summarizeRuns: n, mean, sd, CI, best/final and epochs to target per group', () => {
  const { root, rows } = sweep();
  assert.equal(rows.length, 4);
  // Groups are sorted: lenet before small-cnn, sgd before sgd + GAF.
  assert.deepEqual(
    rows.map((r) => [r['model.name'], r.optimizerLabel]),
    [
      ['lenet', 'sgd'],
      ['lenet', 'sgd + 0.1*atan(20x)'],
      ['small-cnn', 'sgd'],
      ['small-cnn', 'sgd + 0.1*atan(20x)'],
    ],
  );
  const cnn = rows[2]!;
  assert.equal(cnn.n, 3);
  assert.equal(cnn.runs, 3);
  assert.equal(cnn.seeds, '1,2,3');
  assert.equal(cnn.singleSeed, false);
  assert.equal(cnn.duplicateSeeds, false);
  assert.equal(cnn.diverged, 0);
  close(cnn.finalMean, 0.92, 1e-12, 'final mean');
  close(cnn.finalSd, 0.02, 1e-12, 'final sd');
  close(cnn.finalCiHalfWidth, 0.049683, 1e-6, 'final half-width');
  close(cnn.finalCiLow, 0.870317, 1e-6, 'final low');
  close(cnn.finalCiHigh, 0.969683, 1e-6, 'final high');
  // Rising curves: best = final.
  close(cnn.bestMean, 0.92, 1e-12, 'best mean');
  // Curves (curve(): final - 0.08 * epochs-to-go): 0.90 run is 0.82 at epoch 4, 0.90 at 5 -> 5;
  // 0.92 run: 0.84, 0.92 -> 5; 0.94 run: 0.86 at epoch 4 -> 4. Mean (5 + 5 + 4) / 3 = 4.6667.
  assert.equal(cnn.reachedTarget, 3);
  close(cnn.epochsToTargetMean, 14 / 3, 1e-12, 'epochs to target');
  const gaf = rows[3]!;
  close(gaf.finalMean, 0.95, 1e-12, 'gaf mean');
  close(gaf.finalCiHalfWidth, 0.024841, 1e-6, 'gaf half-width');
  fs.rmSync(root, { recursive: true, force: true });
});

test('summarizeRuns: best differs from final when accuracy dips; loss metrics prefer lower', () => {
  const root = tempDir('best');
  writeRun(root, { seed: 1, testTop1: [0.5, 0.8, 0.7] });
  writeRun(root, { seed: 2, testTop1: [0.6, 0.9, 0.8] });
  const t = loadRuns(root);
  const s = summarizeRuns(t, { by: ['model.name'] }).objects()[0] as Row;
  close(s.finalMean, 0.75, 1e-12, 'final (0.7 + 0.8) / 2');
  close(s.bestMean, 0.85, 1e-12, 'best (0.8 + 0.9) / 2');
  // testLoss = 2.3 (1 - acc) + 0.05 in the fixture; best loss is at the best accuracy:
  // seed 1: 2.3*0.2 + 0.05 = 0.51, seed 2: 2.3*0.1 + 0.05 = 0.28; mean 0.395.
  const l = summarizeRuns(t, { by: ['model.name'], metric: 'testLoss' }).objects()[0] as Row;
  close(l.bestMean, 0.395, 1e-12, 'best loss');
  assert.equal(l.metric, 'testLoss');
  fs.rmSync(root, { recursive: true, force: true });
});

test('summarizeRuns: diverged and unfinished runs are counted, not averaged', () => {
  const root = tempDir('diverged');
  [1, 2, 3].forEach((seed, i) => writeRun(root, { seed, testTop1: curve([0.9, 0.92, 0.94][i]!) }));
  // All seven runs were configured for 5 epochs, like the completed ones.
  writeRun(root, { seed: 4, status: 'diverged', testTop1: [0.5, null], message: 'loss is NaN', epochs: 5 });
  writeRun(root, { seed: 5, status: 'diverged', testTop1: [], epochs: 5 });
  writeRun(root, { seed: 6, status: 'running', testTop1: [0.3], epochs: 5 });
  writeRun(root, { seed: 7, status: 'failed', testTop1: [], epochs: 5 });
  const s = summarizeRuns(loadRuns(root), { by: ['optimizer.name'] }).objects()[0] as Row;
  assert.equal(s.runs, 7);
  assert.equal(s.n, 3);
  assert.equal(s.diverged, 2);
  assert.equal(s.unfinished, 1);
  assert.equal(s.failed, 1);
  close(s.finalMean, 0.92, 1e-12, 'mean of the completed runs only');
  // include: 'all' adds the running run's latest value (0.3): (0.90 + 0.92 + 0.94 + 0.3) / 4 = 0.765.
  // The diverged runs have no finite final value (null at the last epoch, or no epochs).
  const all = summarizeRuns(loadRuns(root), { by: ['optimizer.name'], include: 'all' }).objects()[0] as Row;
  assert.equal(all.n, 4);
  close(all.finalMean, 0.765, 1e-12, 'mean with include all');
  fs.rmSync(root, { recursive: true, force: true });
});

test('summarizeRuns: a single seed is flagged, has no CI, and prints as "n=1, no CI"', () => {
  const root = tempDir('single');
  writeRun(root, { seed: 1, testTop1: [0.7, 0.91] });
  const summary = summarizeRuns(loadRuns(root), { by: ['model.name'] });
  const s = summary.objects()[0] as Row;
  assert.equal(s.n, 1);
  assert.equal(s.singleSeed, true);
  assert.ok(Number.isNaN(s.finalSd as number) && Number.isNaN(s.finalCiLow as number) && Number.isNaN(s.finalCiHalfWidth as number));
  const text = formatSummary(summary);
  assert.match(text, /91\.00 \(n=1, no CI\)/);
  assert.doesNotMatch(text, /±\s*NaN/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('summarizeRuns: pooled configs flag their repeated seeds; bad columns are named', () => {
  const root = tempDir('dup');
  writeRun(root, { seed: 1, testTop1: [0.6, 0.7] });
  writeRun(root, { seed: 1, model: 'lenet', testTop1: [0.5, 0.6] });
  const t = loadRuns(root);
  assert.throws(() => summarizeRuns(t, { by: ['dataset.name'] }), /differ in more than the seed: model\.name \(lenet, small-cnn\)/);
  const s = summarizeRuns(t, { by: ['dataset.name'], allowMixedConfigs: true }).objects()[0] as Row;
  assert.equal(s.duplicateSeeds, true);
  assert.throws(() => summarizeRuns(t, { by: ['model'] }), /no column "model"\. Columns are: runId, status, .*model\.name/);
  assert.throws(() => summarizeRuns(t, { by: ['epoch'] }), /column "epoch" changes within run/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('compareToBaseline: differences and Welch intervals by hand', () => {
  const { root, summary } = sweep();
  const c = compareToBaseline(summary, {
    baseline: { optimizerLabel: 'sgd' },
    treatment: { optimizerLabel: 'sgd + 0.1*atan(20x)' },
    by: ['model.name'],
  });
  const rows = c.objects() as Row[];
  assert.deepEqual(
    rows.map((r) => r['model.name']),
    ['lenet', 'small-cnn'],
  );
  const [lenet, cnn] = rows as [Row, Row];
  // small-cnn: diff 0.03, se = sqrt(0.0005/3), df = 50/17, half-width = 3.2187586 * 0.0129099 = 0.041554.
  close(cnn.diff, 0.03, 1e-12, 'cnn diff');
  close(cnn.welchDf, 50 / 17, 1e-9, 'cnn df');
  close(cnn.diffCiHalfWidth, T_50_17 * Math.sqrt(0.0005 / 3), 1e-9, 'cnn half-width');
  close(cnn.diffCiLow, 0.03 - 0.041554, 1e-6, 'cnn low');
  // lenet: sds 0.04 and 0.02 are twice the small-cnn ones, so df is again 50/17 and
  // se = sqrt(0.0016/3 + 0.0004/3) = sqrt(0.002/3) = 0.0258199; half-width = 3.2187586 * 0.0258199 = 0.083108.
  close(lenet.diff, 0.01, 1e-12, 'lenet diff');
  close(lenet.welchDf, 50 / 17, 1e-9, 'lenet df');
  close(lenet.diffCiHalfWidth, 0.083108, 1e-6, 'lenet half-width');
  assert.equal(cnn.baselineLabel, 'sgd');
  assert.equal(cnn.treatmentLabel, 'sgd + 0.1*atan(20x)');
  assert.equal(cnn.singleSeed, false);
  const text = formatComparison(c);
  assert.match(text, /small-cnn .*92\.00 ± 4\.97 \(n=3\).*95\.00 ± 2\.48 \(n=3\).*\+3\.00 \[-1\.16, \+7\.16\]/);
  // The same comparison with filters on config columns instead of labels.
  const byKind = summarizeRuns(loadRuns(root), { by: ['model.name', 'optimizer.gaf.kind'] });
  const c2 = compareToBaseline(byKind, {
    baseline: { 'optimizer.gaf.kind': null },
    treatment: { 'optimizer.gaf.kind': 'atan' },
    by: ['model.name'],
  });
  close((c2.objects()[1] as Row).diff, 0.03, 1e-12, 'diff via config filter');
  fs.rmSync(root, { recursive: true, force: true });
});

test('compareToBaseline: a single-seed side is flagged and printed without CI', () => {
  const root = tempDir('cmp1');
  [1, 2, 3].forEach((seed, i) => writeRun(root, { seed, testTop1: [[0.9, 0.92, 0.94][i]!] }));
  writeRun(root, { seed: 1, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: [0.95] });
  const summary = summarizeRuns(loadRuns(root), { by: ['model.name', 'optimizerLabel'] });
  const c = compareToBaseline(summary, {
    baseline: { optimizerLabel: 'sgd' },
    treatment: (r) => r.optimizerLabel !== 'sgd',
    by: ['model.name'],
  });
  const r = c.objects()[0] as Row;
  assert.equal(r.singleSeed, true);
  close(r.diff, 0.03, 1e-12, 'diff');
  assert.ok(Number.isNaN(r.diffCiLow as number));
  assert.equal(r.note, 'n=1 on one side, no CI');
  const text = formatComparison(c);
  assert.match(text, /95\.00 \(n=1, no CI\)/);
  assert.match(text, /\+3\.00 \(no CI\)/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('compareToBaseline: ambiguous baseline, missing sides and unknown columns', () => {
  const { root, summary } = sweep();
  assert.throws(
    () =>
      compareToBaseline(summary, {
        baseline: (r) => r['model.name'] === 'lenet',
        treatment: { optimizerLabel: 'nothing' },
        by: ['optimizer.name' as string],
      }),
    /no column "optimizer.name"/,
  );
  assert.throws(
    () => compareToBaseline(summary, { baseline: { 'model.name': 'lenet' }, treatment: { 'model.name': 'small-cnn' }, by: [] }),
    /2 summary rows match the baseline/,
  );
  assert.throws(
    () => compareToBaseline(summary, { baseline: { optimizer: 'sgd' }, treatment: {}, by: ['model.name'] }),
    /filter column "optimizer" is not in the summary/,
  );
  const onlyBase = compareToBaseline(summary, {
    baseline: { optimizerLabel: 'sgd' },
    treatment: { optimizerLabel: 'adam' },
    by: ['model.name'],
  });
  assert.deepEqual(
    (onlyBase.objects() as Row[]).map((r) => r.note),
    ['no treatment runs', 'no treatment runs'],
  );
  fs.rmSync(root, { recursive: true, force: true });
});

test('formatMeanCi: percent, interval and the n<2 and n=0 forms', () => {
  assert.equal(formatMeanCi(0.92, 0.049683, 3), '92.00 ± 4.97 (n=3)');
  assert.equal(formatMeanCi(0.92, NaN, 1), '92.00 (n=1, no CI)');
  assert.equal(formatMeanCi(NaN, NaN, 0), '– (n=0)');
  assert.equal(formatMeanCi(0.3951, 0.01, 2, { percent: false, digits: 3 }), '0.395 ± 0.010 (n=2)');
});
