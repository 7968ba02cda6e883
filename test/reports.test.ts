/**
 * The logic behind the figure set and the results tables: the (alpha, beta) verdicts of the
 * conditions figure, cell edges of its log axes, the SGD-vs-GAF roles and comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { conditionGrid, gafConditionsSpec, logCellEdges } from '../src/reports/gaf-conditions';
import { gafRole, resultsTables, formatResultsTables } from '../src/reports/results-tables';
import { concatSpecs } from '../src/reports/figure-set';
import { loadRuns } from '../src/results/load';
import { arquero, type ColumnTable } from '../src/results/arquero';
import { curve, standardSweep, tempDir, writeRun } from './results-fixtures';

test('conditions grid: all four hold exactly when alpha*beta > 1, otherwise only condition 3 fails', () => {
  // For g = alpha*f(beta*x), f in {atan, tanh, sign*log1p|.|}: f is odd, strictly increasing, with
  // f'(u) decreasing in |u|, so conditions 1, 2 and 4 hold for any alpha, beta > 0 (atan and tanh
  // are bounded by alpha*pi/2 and alpha; log is unbounded, which condition 4 allows). Condition 3
  // is g'(0) = alpha*beta*f'(0) = alpha*beta > 1. The grid includes products exactly 1
  // (0.05*20, 0.1*10, 0.2*5 and 0.5*2 are exactly 1 in binary floating point), which must fail.
  const alphas = [0.05, 0.1, 0.2, 0.5];
  const betas = [2, 5, 10, 20];
  for (const kind of ['atan', 'tanh', 'log'] as const) {
    const cells = conditionGrid({ kind, alphas, betas });
    assert.equal(cells.length, 16);
    for (const c of cells) {
      const expected = c.alpha * c.beta > 1;
      assert.equal(c.allHold, expected, `${kind} alpha ${c.alpha} beta ${c.beta}`);
      assert.deepEqual(c.failed, expected ? [] : [3], `${kind} alpha ${c.alpha} beta ${c.beta}`);
      assert.deepEqual(c.failedIds, expected ? [] : ['enlargesTiny']);
      assert.ok(Math.abs(c.slopeAtZero - c.alpha * c.beta) < 1e-12);
    }
    assert.equal(cells.filter((c) => c.alpha * c.beta === 1).length, 4);
  }
  assert.throws(() => conditionGrid({ alphas: [], betas: [1] }), /at least one alpha and one beta/);
});

test('log cell edges are geometric mid-points, extended by the same ratio at the ends', () => {
  // values 1, 4, 16: mid-points sqrt(1*4) = 2 and sqrt(4*16) = 8; ends 1*1/2 = 0.5 and 16*16/8 = 32.
  assert.deepEqual(logCellEdges([16, 1, 4]), [0.5, 2, 8, 32]);
  assert.deepEqual(logCellEdges([3]), [2, 4.5]);
});

test('the conditions figure draws one cell per grid point with its verdict and refuses mixed kinds', () => {
  const cells = conditionGrid({ alphas: [0.1, 0.2], betas: [5, 20] });
  const spec = gafConditionsSpec(cells, { highlight: [{ alpha: 0.1, beta: 20, label: 'SGD' }] }) as unknown as {
    layer: { data: { values: Record<string, unknown>[] } }[];
  };
  const rects = spec.layer[0]!.data.values;
  assert.equal(rects.length, 4);
  // 0.1*5 = 0.5 and 0.1*20 = 2, 0.2*5 = 1 (exactly), 0.2*20 = 4.
  assert.deepEqual(
    rects.map((r) => `${r.alpha}/${r.beta}: ${r.verdict}`),
    ['0.1/5: condition 3 fails', '0.1/20: all four hold', '0.2/5: condition 3 fails', '0.2/20: all four hold'],
  );
  const tanh = conditionGrid({ kind: 'tanh', alphas: [1], betas: [2] });
  assert.throws(() => gafConditionsSpec([...cells, ...tanh]), /one GAF kind per figure, got atan, tanh/);
});

test('roles: plain SGD and SGD_ori are baselines; SGD+GAF, adaptive GAF and reference SGD variants are treatments; others neither', () => {
  assert.equal(gafRole({ 'optimizer.name': 'sgd', 'optimizer.gaf.kind': null }), 'baseline');
  assert.equal(gafRole({ 'optimizer.name': 'sgd' }), 'baseline');
  assert.equal(gafRole({ 'optimizer.name': 'sgd', 'optimizer.gaf.kind': 'atan' }), 'gaf');
  assert.equal(gafRole({ 'optimizer.name': 'sgdAdaptiveGaf' }), 'gaf');
  assert.equal(gafRole({ 'optimizer.name': 'reference', 'optimizer.variant': 'SGD_ori' }), 'baseline');
  assert.equal(gafRole({ 'optimizer.name': 'reference', 'optimizer.variant': 'SGD_atanMom' }), 'gaf');
  assert.equal(gafRole({ 'optimizer.name': 'reference', 'optimizer.variant': 'Adam_atan' }), 'other');
  assert.equal(gafRole({ 'optimizer.name': 'adam', 'optimizer.gaf.kind': 'atan' }), 'other');
});

test('results tables: summary per group and each GAF variant compared with SGD of the same model', () => {
  const dir = tempDir('reports');
  try {
    standardSweep(dir);
    // An Adam run is neither side of the SGD comparison but is summarized.
    writeRun(dir, { model: 'small-cnn', optimizer: 'adam', seed: 1, testTop1: curve(0.5) });
    const t = resultsTables(loadRuns(dir));
    assert.equal(t.runCount, 13);
    assert.deepEqual(t.comparisonBy, ['dataset.name', 'model.name']);
    const summary = t.summary.objects() as Record<string, unknown>[];
    assert.equal(summary.length, 5);
    assert.ok(t.comparison);
    const cmp = t.comparison.objects() as Record<string, unknown>[];
    assert.deepEqual(
      cmp.map((r) => [r['model.name'], r.baselineLabel, r.treatmentLabel]),
      [
        ['lenet', 'sgd', 'sgd + 0.1*atan(20x)'],
        ['small-cnn', 'sgd', 'sgd + 0.1*atan(20x)'],
      ],
    );
    // Fixture finals: lenet SGD 0.80/0.84/0.88 (mean 0.84), GAF 0.83/0.85/0.87 (0.85): +0.01;
    // small-cnn SGD 0.90/0.92/0.94 (0.92), GAF 0.94/0.95/0.96 (0.95): +0.03.
    assert.ok(Math.abs((cmp[0]!.diff as number) - 0.01) < 1e-9);
    assert.ok(Math.abs((cmp[1]!.diff as number) - 0.03) < 1e-9);
    assert.equal(cmp[1]!.baselineN, 3);
    const text = formatResultsTables(t);
    assert.match(text, /Summary across seeds \(13 runs, metric testTop1\)/);
    assert.match(text, /\| small-cnn +\| sgd +\| 92\.00 ± /);
    assert.match(text, /Comparison: SGD\+GAF vs plain SGD, matched on dataset\.name, model\.name\./);
    assert.match(text, /\| small-cnn +\| sgd +\| 92\.00 ± \S+ \(n=3\) \| sgd \+ 0\.1\*atan\(20x\) \| 95\.00 ± \S+ \(n=3\) \| \+3\.00 \[/);

    // Grouped by model only, the summary would average SGD, SGD+atan and Adam together: refused,
    // naming the optimizer fields that differ.
    assert.throws(
      () => resultsTables(loadRuns(dir), { by: ['model.name'] }),
      /differ in more than the seed: optimizer\.name \(adam, sgd\) in the row model\.name=small-cnn; optimizer\.gaf\.kind/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('results tables without a baseline or a GAF variant say why there is no comparison', () => {
  const dir = tempDir('reports-nobase');
  try {
    writeRun(dir, { seed: 1, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: curve(0.9) });
    const t = resultsTables(loadRuns(dir));
    assert.equal(t.comparison, null);
    assert.match(t.comparisonNote, /no plain-SGD baseline run/);
    fs.rmSync(dir, { recursive: true, force: true });
    writeRun(dir, { seed: 2, testTop1: curve(0.9) });
    const sgdOnly = resultsTables(loadRuns(dir));
    assert.equal(sgdOnly.comparison, null);
    assert.match(sgdOnly.comparisonNote, /no SGD\+GAF run/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('concatSpecs puts complete specs side by side under one title with a shared colour scale', () => {
  const a = { $schema: 'x', config: { a: 1 }, title: 'A', mark: 'line' } as never;
  const b = { $schema: 'x', config: { a: 1 }, title: 'B', mark: 'point' } as never;
  const s = concatSpecs([a, b], { text: 'both' }) as unknown as Record<string, unknown>;
  assert.deepEqual(s.hconcat, [
    { title: 'A', mark: 'line' },
    { title: 'B', mark: 'point' },
  ]);
  assert.deepEqual(s.title, { text: 'both' });
  assert.deepEqual(s.resolve, { scale: { color: 'shared' } });
});

/** A runs table as loadRuns gives it (flattened config columns, one final epoch per run). */
function controlStudy(): ColumnTable {
  const rows: Record<string, unknown>[] = [];
  const arm = (label: string, cfg: Record<string, unknown>, finals: number[]): void =>
    finals.forEach((v, i) =>
      rows.push({
        runId: `${label}-s${i + 1}`,
        status: 'completed',
        epoch: 1,
        seed: i + 1,
        testTop1: v,
        optimizerLabel: label,
        'dataset.name': 'fashion-mnist',
        'model.name': 'smallcnn',
        'optimizer.name': 'sgd',
        'optimizer.options.learningRate': 0.025,
        'optimizer.placement': 'gradient',
        'optimizer.gaf.kind': null,
        'optimizer.gaf.alpha': null,
        'optimizer.gaf.beta': null,
        'optimizer.control.kind': null,
        'optimizer.effective.learningRate': 0.025,
        'optimizer.effective.clip.kind': null,
        'optimizer.effective.clip.value': null,
        'optimizer.effective.signScale': null,
        ...cfg,
      }),
    );
  const atan = { 'optimizer.gaf.kind': 'atan', 'optimizer.gaf.alpha': 0.1, 'optimizer.gaf.beta': 20 };
  const tanh = { 'optimizer.gaf.kind': 'tanh', 'optimizer.gaf.alpha': 0.2, 'optimizer.gaf.beta': 10 };
  arm('sgd', {}, [0.8, 0.82, 0.81]);
  arm('sgd + 0.1*atan(20x)', atan, [0.85, 0.86, 0.84]);
  arm('sgd + 0.2*tanh(10x)', tanh, [0.84, 0.85, 0.86]);
  // lr x g'(0) = 0.025 x 2 = 0.05: the control of both GAFs (alpha * beta = 2 for each).
  arm(
    "sgd lr x g'(0) of 0.1*atan(20x)",
    { 'optimizer.control.kind': 'lrMatched', 'optimizer.effective.learningRate': 0.05 },
    [0.83, 0.85, 0.84],
  );
  // Clip at atan's bound 0.1 * pi / 2 and at tanh's bound 0.2: each belongs to one GAF only.
  const clip = (value: number) => ({
    'optimizer.control.kind': 'clipValueAtBound',
    'optimizer.effective.clip.kind': 'value',
    'optimizer.effective.clip.value': value,
  });
  arm('sgd clip value at bound of 0.1*atan(20x)', clip(0.1 * (Math.PI / 2)), [0.84, 0.84, 0.84]);
  arm('sgd clip value at bound of 0.2*tanh(10x)', clip(0.2), [0.86, 0.86, 0.86]);
  return arquero().from(rows);
}

test('controls: compared with SGD like treatments, and each GAF with the controls that copy it, paired and Holm-adjusted', () => {
  assert.equal(gafRole({ 'optimizer.name': 'sgd', 'optimizer.control.kind': 'lrMatched' }), 'control');
  const t = resultsTables(controlStudy());
  assert.ok(t.comparison, t.comparisonNote);
  assert.match(t.comparisonNote, /^SGD\+GAF and its controls vs plain SGD/);
  assert.equal(t.comparison.numRows(), 5, 'two GAFs and three controls against SGD');
  // GAF - control per seed: atan - lr: 0.02, 0.01, 0.00; atan - clip(atan): 0.01, 0.02, 0.00;
  // tanh - lr: 0.01, 0.00, 0.02; tanh - clip(tanh): -0.02, -0.01, 0.00. Each: |mean| 0.01, sd 0.01,
  // t = 0.01 / (0.01 / sqrt 3) = sqrt 3, 2 df: p = 1 - t / sqrt(2 + t^2) = 1 - sqrt(3/5) = 0.2254033.
  // Holm over 4 equal p-values: 4p = 0.9016130 for each.
  const rows = t.controls.map((r) => [r.gaf, r.controlKind, r.pairs, Number(r.diff.toFixed(9)) + 0]);
  assert.deepEqual(rows, [
    ['sgd + 0.1*atan(20x)', 'lrMatched', 3, 0.01],
    ['sgd + 0.1*atan(20x)', 'clipValueAtBound', 3, 0.01],
    ['sgd + 0.2*tanh(10x)', 'lrMatched', 3, 0.01],
    ['sgd + 0.2*tanh(10x)', 'clipValueAtBound', 3, -0.01],
  ]);
  assert.deepEqual(
    t.controls.map((r) => r.control.includes('tanh') === r.gaf.includes('tanh') || r.controlKind === 'lrMatched'),
    [true, true, true, true],
  );
  for (const r of t.controls) {
    assert.ok(Math.abs(r.p - 0.2254033) < 1e-6, String(r.p));
    assert.ok(Math.abs(r.pHolm - 0.901613) < 1e-6, String(r.pHolm));
  }
  const text = formatResultsTables(t);
  assert.match(text, /Each GAF against its controls:/);
  // The headline leads: atan - SGD paired 0.05, 0.04, 0.03: +4.00 [+1.52, +6.48] points (t(0.975, 2) * 0.01 / sqrt 3 = 0.0248).
  assert.ok(text.startsWith('Headline'), text.slice(0, 80));
  assert.match(
    text,
    /- `sgd \+ 0\.1\*atan\(20x\)` minus `sgd` \(fashion-mnist\/smallcnn\): \+4\.00 \[\+1\.52, \+6\.48\] points, paired over 3 seeds; p = 0\.020/,
  );
  const atanRow = (t.comparison.objects() as Record<string, unknown>[]).find((r) => r.treatmentLabel === 'sgd + 0.1*atan(20x)')!;
  assert.match(text, new RegExp(`Power: ${String(atanRow.nPairs)} seed pairs \\(or ${String(atanRow.nPerArm)} seeds per arm unpaired\\)`));
});
