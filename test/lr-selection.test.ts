/**
 * The per-method learning-rate grid: a sweep's `learningRates` axis (controls included, with
 * controls that train the same thing run once), the choice of each method's rate on the
 * validation metric, and the comparison of the chosen runs, each method at its own rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { expandSweep, parseSweepConfig } from '../src/sweep/index';
import { loadRuns } from '../src/results/load';
import { selectByValidation, formatValidationSelection } from '../src/results/select-by-validation';
import { resultsTables, tableRows } from '../src/reports/results-tables';
import { resultsCommand } from '../src/cli/results';
import { tempDir, writeRun } from './results-fixtures';

test('learningRates crosses every method, controls included; lrMatched controls of GAFs with the same slope at 0 run once', () => {
  const runs = expandSweep(
    parseSweepConfig({
      outDir: 'runs/x',
      base: {
        dataset: { name: 'fashion-mnist', subset: { perClass: 10 }, validation: { perClass: 2 } },
        model: { name: 'smallcnn' },
        optimizer: { name: 'sgd', options: { learningRate: 0.5, momentum: 0.9 } },
        epochs: 1,
        batchSize: 8,
      },
      grid: {
        optimizers: [{ gaf: null }, { gaf: { kind: 'atan', alpha: 0.1, beta: 20 } }, { gaf: { kind: 'tanh', alpha: 0.2, beta: 10 } }],
        controls: ['lrMatched', 'clipValueAtBound'],
        learningRates: [0.01, 0.1],
        seeds: [1, 2],
      },
    }),
  );
  // Per rate: SGD, atan, atan's lrMatched, atan's clip at pi/20, tanh, tanh's clip at 0.2 = 6 arms;
  // tanh's lrMatched is SGD at rate x 0.2*10 = rate x 2, which atan's lrMatched (rate x 0.1*20) already trains.
  assert.equal(runs.length, 2 * 6 * 2);
  const lrMatched = runs.filter((r) => r.point.control === 'lrMatched');
  assert.equal(lrMatched.length, 4);
  assert.ok(lrMatched.every((r) => (r.config.optimizer as { control: { of: { kind: string } } }).control.of.kind === 'atan'));
  const eff = (r: (typeof runs)[number]): number => (r.config.optimizer.effective as { learningRate: number }).learningRate;
  assert.deepEqual(lrMatched.map(eff).sort(), [0.02, 0.02, 0.2, 0.2]);
  const clips = runs
    .filter((r) => r.point.control === 'clipValueAtBound')
    .map((r) => (r.config.optimizer.effective as { clip: { value: number } }).clip.value);
  assert.deepEqual([...new Set(clips.map((v) => v.toFixed(6)))].sort(), [(Math.PI / 20).toFixed(6), '0.200000']);
  // The base rate 0.5 is replaced everywhere.
  assert.deepEqual([...new Set(runs.map((r) => r.config.optimizer.options.learningRate))].sort(), [0.01, 0.1]);
});

const GAF = { kind: 'atan' as const, alpha: 0.1, beta: 20 };

/**
 * SGD: rate 0.01 validates at (0.80, 0.82) -> 0.81, rate 0.1 at (0.86, 0.84) -> 0.85: chosen 0.1.
 * SGD+GAF: rate 0.01 at (0.83, 0.85) -> 0.84; rate 0.1 diverged on seed 2 -> worst: chosen 0.01,
 * although its seed-1 run at 0.1 validated best of all (0.90).
 * Test top-1 (last epoch) of the chosen runs: SGD@0.1 (0.85, 0.83), GAF@0.01 (0.86, 0.87):
 * paired differences 0.01 and 0.04, mean 0.025.
 */
function writeGrid(root: string): void {
  const two = (v: number): number[] => [v - 0.1, v];
  writeRun(root, { seed: 1, learningRate: 0.01, valTop1: two(0.8), testTop1: two(0.79) });
  writeRun(root, { seed: 2, learningRate: 0.01, valTop1: two(0.82), testTop1: two(0.8) });
  writeRun(root, { seed: 1, learningRate: 0.1, valTop1: two(0.86), testTop1: two(0.85) });
  writeRun(root, { seed: 2, learningRate: 0.1, valTop1: two(0.84), testTop1: two(0.83) });
  writeRun(root, { seed: 1, learningRate: 0.01, gaf: GAF, valTop1: two(0.83), testTop1: two(0.86) });
  writeRun(root, { seed: 2, learningRate: 0.01, gaf: GAF, valTop1: two(0.85), testTop1: two(0.87) });
  writeRun(root, { seed: 1, learningRate: 0.1, gaf: GAF, valTop1: two(0.9), testTop1: two(0.9) });
  writeRun(root, { seed: 2, learningRate: 0.1, gaf: GAF, status: 'diverged', testTop1: [0.5, null] });
}

test('selectByValidation: each method at its best mean validation rate; a rate where a seed diverged loses; ties go to the smaller rate', () => {
  const root = tempDir('lr-select');
  try {
    writeGrid(root);
    const s = selectByValidation(loadRuns(root));
    const byMethod = new Map(s.choices.map((c) => [c.method.split(' / ').pop(), c]));
    assert.equal(byMethod.get('sgd')!.chosen, 0.1);
    assert.equal(byMethod.get('sgd + 0.1*atan(20x)')!.chosen, 0.01);
    const sgd = byMethod.get('sgd')!.candidates;
    assert.ok(Math.abs(sgd[0]!.score - 0.81) < 1e-12 && Math.abs(sgd[1]!.score - 0.85) < 1e-12);
    assert.equal(byMethod.get('sgd + 0.1*atan(20x)')!.candidates[1]!.diverged, 1);
    assert.equal(byMethod.get('sgd + 0.1*atan(20x)')!.candidates[1]!.score, -Infinity);
    assert.match(
      formatValidationSelection(s),
      /\| fashion-mnist \/ small-cnn \/ sgd \| 0\.1 \| 0\.01: 81\.00 \(n=2\); 0\.1: 85\.00 \(n=2\) \* \|/,
    );
    // On a loss, lower is better: valLoss = 2.3 * (1 - valTop1), so the same rates win.
    const byLoss = selectByValidation(loadRuns(root), { metric: 'valLoss' });
    assert.deepEqual(
      byLoss.choices.map((c) => c.chosen),
      s.choices.map((c) => c.chosen),
    );

    // The chosen runs compared, each method at its own rate: paired over seeds 1 and 2.
    const t = resultsTables(s.runs, { methodColumns: [s.tuned] });
    assert.ok(t.comparison, t.comparisonNote);
    const row = tableRows(t.comparison)[0]!;
    assert.equal(row.primary, 'paired');
    assert.ok(Math.abs((row.pairedDiff as number) - 0.025) < 1e-9, String(row.pairedDiff));
    assert.equal(row.pairedN, 2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('equal validation scores go to the smaller rate; runs without a validation metric are refused with the fix', () => {
  const root = tempDir('lr-select-tie');
  try {
    writeRun(root, { seed: 1, learningRate: 0.1, valTop1: [0.7], testTop1: [0.7] });
    writeRun(root, { seed: 1, learningRate: 0.01, valTop1: [0.7], testTop1: [0.6] });
    assert.equal(selectByValidation(loadRuns(root)).choices[0]!.chosen, 0.01);
    const bare = tempDir('lr-select-bare');
    try {
      writeRun(bare, { seed: 1, testTop1: [0.7] });
      assert.throws(() => selectByValidation(loadRuns(bare)), /no run has a valTop1 value.*dataset\.validation/);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('gaf-lab results --select-by valTop1 prints the choices, then compares the chosen runs; --select-by testTop1 is refused', async () => {
  const root = tempDir('lr-select-cli');
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    writeGrid(root);
    assert.equal(await resultsCommand([root, '--select-by', 'valTop1', '--json']), 0);
    const json = JSON.parse(out.join('\n')) as { selection: { choices: { chosen: number }[] }; comparison: { pairedDiff: number }[] };
    assert.deepEqual(json.selection.choices.map((c) => c.chosen).sort(), [0.01, 0.1]);
    assert.ok(Math.abs(json.comparison[0]!.pairedDiff - 0.025) < 1e-9);
    await assert.rejects(resultsCommand([root, '--select-by', 'testTop1']), /validation set: give valTop1/);
  } finally {
    console.log = log;
    fs.rmSync(root, { recursive: true, force: true });
  }
});
