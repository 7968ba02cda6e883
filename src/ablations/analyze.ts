/**
 * Reading an ablation study back: its runs as a table with the variant labels, one comparison
 * table per group (mean and confidence interval per variant, difference to the group's
 * baseline paired over seeds, its p-value adjusted over the group, and a plain verdict), and
 * the alpha x beta summary.
 * @module
 */
import { arquero, type ColumnTable } from '../results/arquero';
import { loadRuns } from '../results/load';
import { compareToBaseline } from '../results/compare';
import { summarizeRuns } from '../results/summarize';
import type { AblationGroup, AblationPlan } from './plan';

/** The study's runs (per-epoch rows, as `loadRuns`) with a `variant` column; runs outside the plan are left out. */
export function loadAblationRuns(plan: AblationPlan): ColumnTable {
  const labelOf = new Map(plan.runs.map((r) => [r.runId, r.label]));
  const all = loadRuns(plan.settings.outDir);
  const rows = (all.objects() as Record<string, unknown>[])
    .filter((r) => labelOf.has(String(r.runId)))
    .map((r) => ({ ...r, variant: labelOf.get(String(r.runId))! }));
  if (rows.length === 0) {
    throw new Error(`loadAblationRuns: no run of this study in ${plan.settings.outDir}; train it first (runAblations(plan)).`);
  }
  return arquero().from(rows);
}

/** One row of {@link ablationTable}. */
export interface AblationRow {
  variant: string;
  /** Completed runs that entered the mean. */
  n: number;
  /** Runs that diverged (not in the mean). */
  diverged: number;
  /** Mean final metric and its confidence interval (NaN interval when n < 2). */
  mean: number;
  ciLow: number;
  ciHigh: number;
  /**
   * Variant minus baseline and its interval, from the primary test: the paired difference over
   * seeds when every baseline seed has a partner (runs sharing a seed share initial weights and
   * batches), else Welch's; 0 for the baseline itself.
   */
  diff: number;
  diffLow: number;
  diffHigh: number;
  /** Which test `diff`, `p` and the verdict come from. */
  primary: 'paired' | 'welch';
  /** Welch's difference of means and interval, shown next to the paired one. */
  welchDiff: number;
  welchLow: number;
  welchHigh: number;
  /** Two-sided p-value of the primary test, and adjusted for the group's family of comparisons. */
  p: number;
  pAdjusted: number;
  /** `holm` (family-wise error) or `bh` (false discovery rate, for a screen such as the alpha x beta grid). */
  adjustment: 'holm' | 'bh' | '';
  /** The family the adjustment is over, e.g. `2 comparisons in group placement (Holm)`. */
  family: string;
  /** `baseline`, `better`, `worse` (adjusted p below 1 - level), `no clear difference`, or `too few seeds`. */
  verdict: string;
  /**
   * Seed pairs (paired test) and seeds per arm (unpaired) that detect the observed difference
   * with 80% power at two-sided alpha = 1 - level, from the observed spread; and the same for
   * `options.detect` when given (NaN otherwise, and for the baseline).
   */
  pairsNeeded: number;
  seedsPerArmNeeded: number;
  pairsNeededDetect: number;
  seedsPerArmNeededDetect: number;
}

/** Verdict of a difference interval: only an interval that excludes zero says better or worse. */
export function verdictOf(low: number, high: number): string {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return 'too few seeds';
  if (low > 0) return 'better';
  if (high < 0) return 'worse';
  return 'no clear difference';
}

/**
 * Verdict of a difference after correction for many comparisons: better or worse only when the
 * adjusted p-value is below `alpha`.
 */
export function adjustedVerdict(diff: number, pAdjusted: number, alpha = 0.05): string {
  if (!Number.isFinite(pAdjusted) || !Number.isFinite(diff)) return 'too few seeds';
  if (pAdjusted >= alpha) return 'no clear difference';
  return diff > 0 ? 'better' : 'worse';
}

/** The adjustment a group's family gets: Benjamini-Hochberg for the alpha x beta screen, Holm elsewhere. */
const ADJUSTMENT_OF_GROUP = (group: AblationGroup): 'holm' | 'bh' => (group === 'alpha-beta' ? 'bh' : 'holm');

/**
 * The comparison table of one group: every variant of the group with its mean final metric
 * (default test top-1) and interval, and its difference to the group's baseline. The
 * difference is paired over seeds where it can be (see {@link AblationRow.diff}); its p-value
 * is adjusted over the group's comparisons (Holm; Benjamini-Hochberg for the alpha x beta
 * screen), and the verdict follows the adjusted p-value.
 */
export function ablationTable(
  plan: AblationPlan,
  runs: ColumnTable,
  group: AblationGroup,
  options: { metric?: string; level?: number; detect?: number } = {},
): AblationRow[] {
  const baseline = plan.baselines[group];
  if (baseline === undefined)
    throw new Error(`ablationTable: the study has no group "${group}"; it has ${Object.keys(plan.baselines).join(', ')}.`);
  const labels = plan.variants.filter((v) => v.groups.includes(group)).map((v) => v.label);
  const inGroup = new Set(labels);
  const level = options.level ?? 0.95;
  const groupRuns = arquero().from((runs.objects() as Record<string, unknown>[]).filter((r) => inGroup.has(String(r.variant))));
  const summary = summarizeRuns(groupRuns, { by: ['variant'], metric: options.metric, level });
  const byLabel = new Map((summary.objects() as Record<string, unknown>[]).map((r) => [String(r.variant), r]));
  const hasBaseline = byLabel.has(baseline);
  const treated = labels.filter((l) => l !== baseline && byLabel.has(l));
  const comparisons =
    hasBaseline && treated.length
      ? (compareToBaseline(summary, {
          baseline: { variant: baseline },
          treatment: (r) => r.variant !== baseline,
          by: [],
          labelColumn: 'variant',
          runs: groupRuns,
          level,
          detect: options.detect,
        }).objects() as Record<string, unknown>[])
      : [];
  const cmp = new Map(comparisons.map((c) => [String(c.treatmentLabel), c]));
  const adjustment = ADJUSTMENT_OF_GROUP(group);
  const num = (r: Record<string, unknown> | undefined, c: string): number => (r && typeof r[c] === 'number' ? (r[c] as number) : NaN);
  return labels.map((label) => {
    const r = byLabel.get(label);
    const c = cmp.get(label);
    const n = num(r, 'n');
    const isBase = label === baseline;
    const paired = c?.primary === 'paired';
    const pAdjusted = num(c, adjustment === 'bh' ? 'qBH' : 'pHolm');
    const familySize = num(c, 'familySize');
    const diff = isBase ? 0 : num(c, paired ? 'pairedDiff' : 'diff');
    return {
      variant: label,
      n: Number.isFinite(n) ? n : 0,
      diverged: Number.isFinite(num(r, 'diverged')) ? num(r, 'diverged') : 0,
      mean: num(r, 'finalMean'),
      ciLow: num(r, 'finalCiLow'),
      ciHigh: num(r, 'finalCiHigh'),
      diff,
      diffLow: num(c, paired ? 'pairedCiLow' : 'diffCiLow'),
      diffHigh: num(c, paired ? 'pairedCiHigh' : 'diffCiHigh'),
      primary: paired ? 'paired' : 'welch',
      welchDiff: isBase ? 0 : num(c, 'diff'),
      welchLow: num(c, 'diffCiLow'),
      welchHigh: num(c, 'diffCiHigh'),
      p: num(c, 'p'),
      pAdjusted,
      adjustment: isBase ? '' : adjustment,
      family:
        isBase || !Number.isFinite(familySize)
          ? ''
          : `${familySize} comparison${familySize > 1 ? 's' : ''} in group ${group} (${adjustment === 'bh' ? 'Benjamini-Hochberg' : 'Holm'})`,
      verdict: isBase ? 'baseline' : r ? adjustedVerdict(diff, pAdjusted, 1 - level) : 'not trained',
      pairsNeeded: num(c, 'nPairs'),
      seedsPerArmNeeded: num(c, 'nPerArm'),
      pairsNeededDetect: num(c, 'nPairsDetect'),
      seedsPerArmNeededDetect: num(c, 'nPerArmDetect'),
    };
  });
}

/** The alpha x beta group summarised per (alpha, beta), for `sensitivityHeatmapSpec`. */
export function alphaBetaSummary(plan: AblationPlan, runs: ColumnTable, options: { metric?: string } = {}): ColumnTable {
  const labels = new Set(
    plan.variants.filter((v) => v.groups.includes('alpha-beta') && v.label !== plan.baselines['alpha-beta']).map((v) => v.label),
  );
  if (labels.size === 0) throw new Error('alphaBetaSummary: the study has no alpha x beta grid (settings.alphaBeta is null).');
  const grid = arquero().from((runs.objects() as Record<string, unknown>[]).filter((r) => labels.has(String(r.variant))));
  return summarizeRuns(grid, { by: ['optimizer.gaf.alpha', 'optimizer.gaf.beta'], metric: options.metric });
}

const fp = (p: number): string => (!Number.isFinite(p) ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));

/** Table rows in display form: percentages with one decimal for accuracy metrics, the adjusted p-value and its method. */
export function formatAblationRows(rows: readonly AblationRow[], options: { percent?: boolean } = {}): Record<string, string | number>[] {
  const pct = options.percent ?? true;
  const f = (v: number, signed = false): string =>
    Number.isFinite(v) ? `${signed && v > 0 ? '+' : ''}${(pct ? v * 100 : v).toFixed(pct ? 2 : 4)}` : '–';
  return rows.map((r) => ({
    variant: r.variant,
    n: r.n,
    ...(r.diverged ? { diverged: r.diverged } : {}),
    [`final${pct ? ' (%)' : ''}`]: `${f(r.mean)} [${f(r.ciLow)}, ${f(r.ciHigh)}]`,
    [`vs baseline${pct ? ' (points)' : ''}`]:
      r.verdict === 'baseline'
        ? ''
        : `${f(r.diff, true)} [${f(r.diffLow, true)}, ${f(r.diffHigh, true)}]${r.primary === 'paired' ? ' paired' : ' Welch'}`,
    'p adjusted': r.verdict === 'baseline' ? '' : `${fp(r.pAdjusted)} (${r.adjustment === 'bh' ? 'BH' : 'Holm'})`,
    verdict: r.verdict,
  }));
}

/** `summarizeRuns` of one group's variants (grouped by `variant`), e.g. for `accuracyBarsSpec({x: 'variant'})`. */
export function groupSummary(plan: AblationPlan, runs: ColumnTable, group: AblationGroup, options: { metric?: string } = {}): ColumnTable {
  const labels = new Set(plan.variants.filter((v) => v.groups.includes(group)).map((v) => v.label));
  if (labels.size === 0)
    throw new Error(`groupSummary: the study has no group "${group}"; it has ${Object.keys(plan.baselines).join(', ')}.`);
  const rows = (runs.objects() as Record<string, unknown>[]).filter((r) => labels.has(String(r.variant)));
  return summarizeRuns(arquero().from(rows), { by: ['variant'], metric: options.metric });
}

/** One line per group of {@link ablationOverview}. */
export interface AblationOverviewRow {
  group: string;
  baseline: string;
  /** Variants (besides the baseline) better, worse, or not clearly different. */
  better: number;
  worse: number;
  unclear: number;
  /** The variant with the highest mean, and its difference to the baseline with the interval. */
  best: string;
  bestDiff: number;
  bestDiffLow: number;
  bestDiffHigh: number;
}

/** Every group in one table: how many variants beat the baseline, lose to it, or tie, and the best one. */
export function ablationOverview(plan: AblationPlan, runs: ColumnTable, options: { metric?: string } = {}): AblationOverviewRow[] {
  return (Object.keys(plan.baselines) as AblationGroup[]).map((group) => {
    const rows = ablationTable(plan, runs, group, options).filter((r) => r.verdict !== 'baseline');
    const best = rows.filter((r) => Number.isFinite(r.mean)).sort((a, b) => b.mean - a.mean)[0];
    return {
      group,
      baseline: plan.baselines[group]!,
      better: rows.filter((r) => r.verdict === 'better').length,
      worse: rows.filter((r) => r.verdict === 'worse').length,
      unclear: rows.filter((r) => r.verdict === 'no clear difference' || r.verdict === 'too few seeds').length,
      best: best?.variant ?? '–',
      bestDiff: best?.diff ?? NaN,
      bestDiffLow: best?.diffLow ?? NaN,
      bestDiffHigh: best?.diffHigh ?? NaN,
    };
  });
}

/**
 * Every variant except the baselines, once, with its difference to its own baseline (SGD for
 * SGD variants, Adam for Adam + GAF, ...), in plan order: the rows of one forest plot.
 */
export function ablationDifferences(
  plan: AblationPlan,
  runs: ColumnTable,
  options: { metric?: string; level?: number; detect?: number } = {},
): AblationRow[] {
  const seen = new Set<string>(Object.values(plan.baselines));
  const out: AblationRow[] = [];
  for (const group of Object.keys(plan.baselines) as AblationGroup[]) {
    for (const row of ablationTable(plan, runs, group, options)) {
      if (seen.has(row.variant)) continue;
      seen.add(row.variant);
      out.push(row);
    }
  }
  return out;
}

/**
 * The power of each comparison in display form: the variant, its difference to its baseline,
 * and the seed pairs / seeds per arm that detect it (and `detect`, in the metric's units, when the
 * rows were made with it) with 80% power. Give it {@link ablationDifferences}' rows.
 */
export function formatAblationPower(
  rows: readonly AblationRow[],
  options: { percent?: boolean; detect?: number } = {},
): Record<string, string>[] {
  const pct = options.percent ?? true;
  const n = (v: number): string => (Number.isFinite(v) ? String(v) : '–');
  const d = options.detect;
  const dText = d === undefined ? '' : `${(pct ? Math.abs(d) * 100 : Math.abs(d)).toFixed(2)}${pct ? ' pt' : ''}`;
  return rows
    .filter((r) => r.verdict !== 'baseline')
    .map((r) => ({
      variant: r.variant,
      [`vs baseline${pct ? ' (points)' : ''}`]: Number.isFinite(r.diff)
        ? `${r.diff > 0 ? '+' : ''}${(pct ? r.diff * 100 : r.diff).toFixed(2)} (${r.primary})`
        : '–',
      'pairs (observed)': n(r.pairsNeeded),
      'seeds per arm (observed)': n(r.seedsPerArmNeeded),
      ...(d !== undefined
        ? { [`pairs (${dText})`]: n(r.pairsNeededDetect), [`seeds per arm (${dText})`]: n(r.seedsPerArmNeededDetect) }
        : {}),
    }));
}
