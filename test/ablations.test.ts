/**
 * The ablation study's plan (variants, groups, labels, runs, the controls' settings) and its
 * comparison tables (means, paired and Welch intervals, Holm and Benjamini-Hochberg adjusted
 * p-values and verdicts against hand-computed values).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ablationDifferences,
  ablationOverview,
  ablationTable,
  alphaBetaSummary,
  formatAblationRows,
  groupSummary,
  planAblations,
  verdictOf,
  adjustedVerdict,
  formatAblationPower,
  type AblationSettings,
} from '../src/ablations/index';
import { arquero, type ColumnTable } from '../src/results/arquero';

const BASE = {
  dataset: { name: 'fashion-mnist', subset: { perClass: 10 }, testSubset: { perClass: 10 } },
  model: { name: 'smallcnn' },
  epochs: 1,
  batchSize: 32,
};

function settings(over: Partial<AblationSettings> = {}): AblationSettings {
  return {
    base: BASE,
    outDir: '/tmp/gaf-ablation-plan-test',
    seeds: [1, 2],
    sgd: { learningRate: 0.025, momentum: 0.9, weightDecay: 5e-4 },
    gaf: { kind: 'atan', alpha: 0.1, beta: 20 },
    alphaBeta: { alphas: [0.05, 0.1], betas: [10, 20] },
    kinds: [{ kind: 'tanh', alpha: 0.2, beta: 10 }],
    placement: true,
    adaptive: { shrink: 2, gamma: 2 },
    adam: { learningRate: 1e-3 },
    rmsprop: { learningRate: 1e-3 },
    controls: { kinds: ['lrMatched', 'clipValueAtBound', 'clipNormAtBound', 'signSgd'], linearTwin: true, clipValue: 0.05, clipNorm: 5 },
    ...over,
  };
}

test('planAblations: each variant once, in every group it belongs to, trained once per seed', () => {
  const plan = planAblations(settings());
  const labels = plan.variants.map((v) => v.label);
  assert.equal(new Set(labels).size, labels.length, 'labels are unique');
  // SGD; the 4 grid cells (0.1*atan(20x) among them); tanh; on update; adaptive; Adam x2; RMSprop x2;
  // 4 controls, clip value, clip norm, linear twin: 1 + 4 + 1 + 1 + 1 + 2 + 2 + 7 = 19.
  assert.equal(plan.variants.length, 19);
  assert.equal(plan.runs.length, 19 * 2);
  const sgd = plan.variants.find((v) => v.label === 'SGD')!;
  assert.deepEqual(sgd.groups.sort(), ['adaptive', 'alpha-beta', 'controls', 'kind', 'placement']);
  const ref = plan.variants.find((v) => v.label === 'SGD + 0.1*atan(20x)')!;
  assert.deepEqual(ref.groups.sort(), ['adaptive', 'alpha-beta', 'controls', 'kind', 'placement']);
  assert.deepEqual(plan.baselines, {
    'alpha-beta': 'SGD',
    kind: 'SGD',
    placement: 'SGD',
    adaptive: 'SGD',
    adam: 'Adam',
    rmsprop: 'RMSprop',
    controls: 'SGD',
  });
  // Every run id belongs to one (label, seed) pair.
  assert.equal(new Set(plan.runs.map((r) => r.runId)).size, plan.runs.length);
  assert.deepEqual([...new Set(plan.runs.map((r) => r.seed))].sort(), [1, 2]);
});

test('planAblations: the controls copy the GAF (its own control kinds; the linear twin: slope alpha*beta, knee pi/(2 beta))', () => {
  const plan = planAblations(settings({ alphaBeta: null, kinds: null, placement: false, adaptive: null, adam: null, rmsprop: null }));
  const by = new Map(
    plan.variants.map((v) => [v.label, v.optimizer as { options: { learningRate: number }; clip: unknown; control?: unknown }]),
  );
  const gaf = { kind: 'atan', alpha: 0.1, beta: 20 };
  assert.deepEqual(by.get("SGD, lr x g'(0) of 0.1*atan(20x)")!.control, { kind: 'lrMatched', of: gaf });
  assert.deepEqual(by.get('SGD, clip value at bound of 0.1*atan(20x)')!.control, { kind: 'clipValueAtBound', of: gaf });
  assert.deepEqual(by.get('SGD, clip norm at bound of 0.1*atan(20x)')!.control, { kind: 'clipNormAtBound', of: gaf });
  assert.deepEqual(by.get('SGD, sign x bound of 0.1*atan(20x)')!.control, { kind: 'signSgd', of: gaf });
  // alpha*beta = 0.1*20 = 2: the twin's step is 0.025*2 = 0.05; knee pi/40 = 0.0785398...
  const twin = by.get('SGD, lr x 2 + clip value 0.0785 (linear twin)')!;
  assert.ok(Math.abs(twin.options.learningRate - 0.05) < 1e-15);
  assert.deepEqual(twin.clip, { kind: 'value', value: Math.PI / 40 });
  assert.deepEqual(by.get('SGD + clip norm 5')!.clip, { kind: 'norm', maxNorm: 5 });
  assert.deepEqual(by.get('SGD + clip value 0.05')!.clip, { kind: 'value', value: 0.05 });
  // SGD, the GAF, 4 controls, 2 hand-set clips, the twin.
  assert.equal(plan.runs.length, 9 * 2);
});

test('planAblations: bad settings fail with what to change', () => {
  assert.throws(() => planAblations(settings({ seeds: [] })), /seeds must list at least one seed/);
  assert.throws(() => planAblations(settings({ base: { ...BASE, optimizer: {} } })), /base must not set optimizer or seed/);
  const off = { alphaBeta: null, kinds: null, placement: false, adaptive: null, adam: null, rmsprop: null, controls: null };
  assert.throws(() => planAblations(settings(off)), /every group is off/);
  const twinOnly = { kinds: [], linearTwin: true, clipValue: null, clipNorm: null };
  assert.throws(
    () => planAblations(settings({ ...off, controls: twinOnly, gaf: { kind: 'tanh', alpha: 0.2, beta: 10 } })),
    /linear twin mirrors an atan GAF.*linearTwin to false/,
  );
  assert.throws(() => planAblations(settings({ base: { ...BASE, model: { name: 'resnet-nope' } } })), /unknown model/);
});

test('verdictOf: only an interval that excludes zero is a verdict', () => {
  assert.equal(verdictOf(0.01, 0.05), 'better');
  assert.equal(verdictOf(-0.05, -0.01), 'worse');
  assert.equal(verdictOf(-0.01, 0.05), 'no clear difference');
  assert.equal(verdictOf(NaN, NaN), 'too few seeds');
});

/** A runs table as loadAblationRuns returns it (one final epoch per run is enough). */
function runsTable(values: Record<string, number[]>): ColumnTable {
  const rows: Record<string, unknown>[] = [];
  let id = 0;
  for (const [variant, accs] of Object.entries(values)) {
    accs.forEach((a, i) => rows.push({ runId: `r${id++}`, status: 'completed', epoch: 1, testTop1: a, seed: i + 1, variant }));
  }
  return arquero().from(rows);
}

test('ablationTable: means, paired and Welch intervals, Holm-adjusted p and verdicts against hand-computed values', () => {
  const plan = planAblations(
    settings({ alphaBeta: null, kinds: null, placement: true, adaptive: null, adam: null, rmsprop: null, controls: null }),
  );
  const runs = runsTable({
    SGD: [0.8, 0.82, 0.81],
    'SGD + 0.1*atan(20x)': [0.85, 0.86, 0.84],
    'SGD + 0.1*atan(20x) on update': [0.8, 0.83, 0.8],
  });
  const rows = ablationTable(plan, runs, 'placement');
  assert.deepEqual(
    rows.map((r) => r.variant),
    ['SGD', 'SGD + 0.1*atan(20x)', 'SGD + 0.1*atan(20x) on update'],
  );
  const [base, gaf, upd] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  assert.equal(base.verdict, 'baseline');
  // Paired by seed (1, 2, 3): GAF - SGD = 0.05, 0.04, 0.03: mean 0.04, sd 0.01, se 0.01/sqrt(3) = 0.00577350;
  // t(0.975, 2) = 4.302653: half width 0.0248414. t = 0.04/0.0057735 = 6.92820 = sqrt(48); with 2 df the
  // two-sided p is 1 - t/sqrt(2 + t^2) = 1 - sqrt(48/50) = 0.0202041.
  assert.equal(gaf.primary, 'paired');
  assert.ok(Math.abs(gaf.diff - 0.04) < 1e-12);
  assert.ok(Math.abs(gaf.diffLow - (0.04 - 0.0248414)) < 1e-6, String(gaf.diffLow));
  assert.ok(Math.abs(gaf.diffHigh - (0.04 + 0.0248414)) < 1e-6, String(gaf.diffHigh));
  assert.ok(Math.abs(gaf.p - 0.0202041) < 1e-6, String(gaf.p));
  // Welch beside it: baseline mean 0.81, sd 0.01; GAF mean 0.85, sd 0.01 (n 3 each). se = sqrt(2 * 0.0001/3)
  // = 0.00816497; Welch df = (2v)^2 / (2 v^2 / 2) = 4; t(0.975, 4) = 2.776445; half width 0.0226697.
  assert.ok(Math.abs(gaf.welchLow - (0.04 - 0.0226697)) < 1e-6, String(gaf.welchLow));
  assert.ok(Math.abs(gaf.welchHigh - (0.04 + 0.0226697)) < 1e-6, String(gaf.welchHigh));
  // Update placement: differences 0, 0.01, -0.01: mean 0, p = 1.
  assert.ok(Math.abs(upd.diff) < 1e-12);
  assert.ok(Math.abs(upd.p - 1) < 1e-9);
  // Holm over the group's 2 comparisons: the smaller p doubled, 0.0404082; the larger max(0.0404082, 1) = 1.
  assert.ok(Math.abs(gaf.pAdjusted - 0.0404082) < 1e-6, String(gaf.pAdjusted));
  assert.ok(Math.abs(upd.pAdjusted - 1) < 1e-9);
  assert.equal(gaf.adjustment, 'holm');
  assert.equal(gaf.family, '2 comparisons in group placement (Holm)');
  assert.equal(gaf.verdict, 'better');
  assert.equal(upd.verdict, 'no clear difference');
  // Baseline CI: t(0.975, 2) = 4.302653 * 0.01/sqrt(3) = 0.0248414.
  assert.ok(Math.abs(base.ciHigh - (0.81 + 0.0248414)) < 1e-6);
  const shown = formatAblationRows(rows);
  assert.equal(shown[1]!['vs baseline (points)'], '+4.00 [+1.52, +6.48] paired');
  assert.equal(shown[1]!['p adjusted'], '0.040 (Holm)');
  assert.throws(() => ablationTable(plan, runs, 'adam'), /no group "adam"/);
});

test('alphaBetaSummary: one row per (alpha, beta), baseline left out', () => {
  const plan = planAblations(
    settings({
      alphaBeta: { alphas: [0.1], betas: [10, 20] },
      kinds: null,
      placement: false,
      adaptive: null,
      adam: null,
      rmsprop: null,
      controls: null,
    }),
  );
  const rows = plan.runs.map((r, i) => ({
    runId: r.runId,
    status: 'completed',
    epoch: 1,
    testTop1: 0.5 + i / 100,
    seed: r.seed,
    variant: r.label,
    'optimizer.gaf.alpha': r.label === 'SGD' ? null : 0.1,
    'optimizer.gaf.beta': r.label === 'SGD' ? null : r.label.includes('(10x)') ? 10 : 20,
  }));
  const s = alphaBetaSummary(plan, arquero().from(rows)).objects() as Record<string, unknown>[];
  assert.deepEqual(
    s.map((r) => [r['optimizer.gaf.alpha'], r['optimizer.gaf.beta'], r.n]),
    [
      [0.1, 10, 2],
      [0.1, 20, 2],
    ],
  );
});

/** Placement and Adam groups with hand-picked final accuracies (means 0.81, 0.85, 0.81, 0.91, 0.71). */
function placementAndAdamStudy(): { plan: ReturnType<typeof planAblations>; runs: ColumnTable } {
  const plan = planAblations(
    settings({
      alphaBeta: null,
      kinds: null,
      placement: true,
      adaptive: null,
      adam: { learningRate: 1e-3 },
      rmsprop: null,
      controls: null,
    }),
  );
  const runs = runsTable({
    SGD: [0.8, 0.82, 0.81],
    'SGD + 0.1*atan(20x)': [0.85, 0.86, 0.84],
    'SGD + 0.1*atan(20x) on update': [0.8, 0.83, 0.8],
    Adam: [0.9, 0.91, 0.92],
    'Adam + 0.1*atan(20x)': [0.7, 0.71, 0.72],
  });
  return { plan, runs };
}

test('ablationOverview and groupSummary: counts per verdict and the best variant of each group', () => {
  const { plan, runs } = placementAndAdamStudy();
  const o = ablationOverview(plan, runs);
  assert.deepEqual(
    o.map((r) => [r.group, r.baseline, r.better, r.worse, r.unclear, r.best]),
    [
      ['placement', 'SGD', 1, 0, 1, 'SGD + 0.1*atan(20x)'],
      ['adam', 'Adam', 0, 1, 0, 'Adam + 0.1*atan(20x)'],
    ],
  );
  // Adam 0.91 vs Adam+GAF 0.71: difference -0.2 exactly (equal spreads).
  assert.ok(Math.abs(o[1]!.bestDiff + 0.2) < 1e-12);
  const s = groupSummary(plan, runs, 'adam').objects() as Record<string, unknown>[];
  assert.deepEqual(s.map((r) => r.variant).sort(), ['Adam', 'Adam + 0.1*atan(20x)']);
});

test('ablationDifferences: each non-baseline variant once, against its own baseline', () => {
  const { plan, runs } = placementAndAdamStudy();
  const d = ablationDifferences(plan, runs);
  assert.deepEqual(
    d.map((r) => r.variant),
    ['SGD + 0.1*atan(20x)', 'SGD + 0.1*atan(20x) on update', 'Adam + 0.1*atan(20x)'],
  );
  // 0.85 - 0.81, 0.81 - 0.81, 0.71 - 0.91.
  assert.deepEqual(
    d.map((r) => Number(r.diff.toFixed(12)) + 0),
    [0.04, 0, -0.2],
  );
});

test('ablationTable: the alpha x beta screen is adjusted with Benjamini-Hochberg, which keeps what Holm would drop', () => {
  const plan = planAblations(
    settings({
      alphaBeta: { alphas: [0.05, 0.1, 0.2], betas: [20] },
      kinds: null,
      placement: false,
      adaptive: null,
      adam: null,
      rmsprop: null,
      controls: null,
    }),
  );
  // Paired differences to SGD: 0.05, 0.04, 0.03 twice (p = 0.0202041 each, see the test above) and
  // 0.03, 0.01, 0.02 (mean 0.02, sd 0.01, t = sqrt(12), p = 1 - sqrt(12/14) = 0.0741799).
  const runs = runsTable({
    SGD: [0.8, 0.82, 0.81],
    'SGD + 0.05*atan(20x)': [0.85, 0.86, 0.84],
    'SGD + 0.1*atan(20x)': [0.85, 0.86, 0.84],
    'SGD + 0.2*atan(20x)': [0.83, 0.83, 0.83],
  });
  const rows = ablationTable(plan, runs, 'alpha-beta').slice(1);
  // BH with m = 3: q(3) = 0.0741799; q(2) = min(0.0202041 * 3/2, q(3)) = 0.0303062; q(1) = min(0.0202041 * 3, q(2)) = 0.0303062.
  // (Holm would give 0.0606123, 0.0606123, 0.0741799: nothing below 0.05.)
  assert.deepEqual(
    rows.map((r) => r.adjustment),
    ['bh', 'bh', 'bh'],
  );
  [0.0303062, 0.0303062, 0.0741799].forEach((q, i) => assert.ok(Math.abs(rows[i]!.pAdjusted - q) < 1e-6, `${i}: ${rows[i]!.pAdjusted}`));
  assert.deepEqual(
    rows.map((r) => r.verdict),
    ['better', 'better', 'no clear difference'],
  );
  assert.equal(rows[0]!.family, '3 comparisons in group alpha-beta (Benjamini-Hochberg)');
});

test('adjustedVerdict: better or worse only below alpha after adjustment', () => {
  assert.equal(adjustedVerdict(0.02, 0.01), 'better');
  assert.equal(adjustedVerdict(-0.02, 0.049), 'worse');
  assert.equal(adjustedVerdict(0.02, 0.05), 'no clear difference');
  assert.equal(adjustedVerdict(0.02, NaN), 'too few seeds');
});

test('formatAblationPower: pairs and seeds per arm for 80% power at the observed difference, from the seed spread', () => {
  const { plan, runs } = placementAndAdamStudy();
  const shown = formatAblationPower(ablationDifferences(plan, runs));
  const gaf = shown.find((r) => r.variant === 'SGD + 0.1*atan(20x)')!;
  assert.equal(gaf['vs baseline (points)'], '+4.00 (paired)');
  // Paired: sd 0.01, delta 0.04, ratio 0.25. Normal value (2.801585 * 0.25)^2 = 0.49 -> start at n = 2;
  // n = 2: ((t(.975, 1) + t(.8, 1)) * 0.25)^2 = ((12.7062 + 1.3764) * 0.25)^2 = 12.4 > 2; n = 3: ((4.3027 + 1.0607) * 0.25)^2 = 1.80 <= 3.
  assert.equal(gaf['pairs (observed)'], '3');
  // Unpaired: pooled sd 0.01, delta 0.04: n = 2: 2 * ((4.3027 + 1.0607) * 0.25)^2 = 3.60 > 2 (df 2); n = 3: 2 * ((2.7764 + 0.9410) * 0.25)^2 = 1.73 <= 3 (df 4).
  assert.equal(gaf['seeds per arm (observed)'], '3');
  // The update placement's observed difference is 0: nothing can detect it.
  assert.equal(shown.find((r) => r.variant === 'SGD + 0.1*atan(20x) on update')!['pairs (observed)'], '–');
});
