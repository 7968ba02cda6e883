/**
 * The tables `gaf-lab results` prints and `results.md` holds: a summary across seeds per group
 * and, when the runs contain a plain-SGD baseline and SGD+GAF variants, the paper-like
 * comparison of each variant with the baseline (difference and Welch interval), and its tests:
 * the paired difference over shared seeds, Holm and Benjamini-Hochberg corrections within each
 * model's family of comparisons, and the seeds a comparison needs for 80% power.
 * @module
 */
import { arquero, type ColumnTable } from '../results/arquero';
import { compareToBaseline } from '../results/compare';
import { describeDuplicates, findDuplicateRuns, type DuplicateRuns } from '../results/duplicates';
import type { Cell } from '../results/flatten';
import { formatComparison, formatComparisonTests, formatDiff, formatP, formatSummary } from '../results/format';
import { formatGafVsControls, gafVsControls, type GafControlRow } from './gaf-vs-controls';
import { DEFAULT_GROUP_COLUMNS, defaultGroupBy } from '../results/grouping';
import { rowsByRun } from '../results/run-config';
import { summarizeRuns } from '../results/summarize';

/** How a run's optimizer stands in the SGD-vs-GAF comparison. */
export type GafRole = 'baseline' | 'gaf' | 'control' | 'other';

/** Column added to the runs table by {@link withGafRole}. */
export const ROLE_COLUMN = 'gafRole';

/**
 * The role of a run from its flattened config: plain SGD (or the reference's SGD_ori) is the
 * baseline; SGD with a GAF, the adaptive GAF and the reference's other SGD variants are
 * treatments; a control (plain SGD made to copy one property of a GAF) is compared with SGD
 * like a treatment, and with its GAF; everything else (Adam, RMSprop, with or without GAF) is
 * neither, since the paper compares each optimizer with its own GAF variant, not with SGD.
 */
export function gafRole(row: Record<string, unknown>): GafRole {
  const name = row['optimizer.name'];
  const kind = row['optimizer.gaf.kind'];
  const control = row['optimizer.control.kind'];
  if (name === 'sgd' && control !== null && control !== undefined) return 'control';
  if (name === 'sgd') return kind === null || kind === undefined ? 'baseline' : 'gaf';
  if (name === 'sgdAdaptiveGaf') return 'gaf';
  if (name === 'reference') {
    const v = row['optimizer.variant'];
    if (v === 'SGD_ori') return 'baseline';
    return typeof v === 'string' && v.startsWith('SGD_') ? 'gaf' : 'other';
  }
  return 'other';
}

/** The runs table of `loadRuns` with a `gafRole` column. */
export function withGafRole(table: ColumnTable): ColumnTable {
  const roles = (table.objects() as Record<string, unknown>[]).map(gafRole);
  return table.assign(arquero().table({ [ROLE_COLUMN]: roles }));
}

/** Columns that say which optimizer a run used: they tell baseline from treatment, so a comparison does not match on them. */
export function isOptimizerColumn(c: string): boolean {
  return (
    c === 'optimizerLabel' ||
    c === ROLE_COLUMN ||
    c === 'optimizer.name' ||
    c === 'optimizer.variant' ||
    c === 'optimizer.placement' ||
    c.startsWith('optimizer.gaf') ||
    c.startsWith('optimizer.control') ||
    c.startsWith('optimizer.effective')
  );
}

/** Options of {@link resultsTables}. */
export interface ResultsTablesOptions {
  /**
   * Group columns of the summary. Default: `dataset.name`, `model.name`, `optimizerLabel` and
   * every other training config field that differs between the runs (`defaultGroupBy`). Runs
   * grouped together must differ only in the seed, else `summarizeRuns` refuses.
   */
  by?: string[];
  /** Metric column; default `testTop1`. */
  metric?: string;
  /** Target value for "epochs to target". */
  target?: number;
  /** A difference to size the comparisons for (metric units, e.g. 0.005 = half a point of accuracy), besides the observed one. */
  detect?: number;
  /**
   * Columns that are part of each method rather than of the experiment, so baseline and
   * treatment are not matched on them: after `selectByValidation` each method runs at its own
   * learning rate, and `optimizer.options.learningRate` belongs here.
   */
  methodColumns?: string[];
}

/** What {@link resultsTables} computed. */
export interface ResultsTables {
  by: string[];
  metric: string;
  /** Number of runs in the table, each duplicate set counted once. */
  runCount: number;
  /** Copies of a run (same training config and seed) found in the table; each set is counted once. */
  duplicates: DuplicateRuns[];
  summary: ColumnTable;
  /** Null when the runs lack a baseline or a GAF variant, or the comparison is ambiguous (see `comparisonNote`). */
  comparison: ColumnTable | null;
  /** Why there is no comparison, or what it matched on. */
  comparisonNote: string;
  /** Columns on which baseline and treatment were matched. */
  comparisonBy: string[];
  /** Each SGD+GAF variant against its controls (paired over seeds, Holm-adjusted); empty without control runs. */
  controls: GafControlRow[];
}

/** The group columns a default summary always starts with (see `defaultGroupBy` for the rest). */
export const DEFAULT_BY: readonly string[] = DEFAULT_GROUP_COLUMNS;

/**
 * Summarizes the runs of `loadRuns(dir)` across seeds and, when there are plain-SGD baseline
 * runs and SGD+GAF runs, compares each GAF variant with the baseline of the same group (the
 * `by` columns that do not describe the optimizer). Duplicate runs are counted once and listed
 * in `duplicates`; a `by` that would mix configurations throws (see `summarizeRuns`).
 */
export function resultsTables(runs: ColumnTable, options: ResultsTablesOptions = {}): ResultsTables {
  const by = options.by ?? defaultGroupBy(runs);
  const metric = options.metric ?? 'testTop1';
  const table = withGafRole(runs);
  const duplicates = findDuplicateRuns(table);
  const runCount = rowsByRun(table).size - duplicates.reduce((s, d) => s + d.dropped.length, 0);
  const summary = summarizeRuns(table, { by, metric, target: options.target });
  const roles = new Set(Array.from(table.array(ROLE_COLUMN) as ArrayLike<GafRole>));
  const methodColumns = options.methodColumns ?? [];
  const comparisonBy = by.filter((c) => !isOptimizerColumn(c) && !methodColumns.includes(c));
  const base = { by, metric, runCount, duplicates, summary, comparisonBy };
  if (!roles.has('baseline') || !roles.has('gaf')) {
    const missing = !roles.has('baseline') ? 'no plain-SGD baseline run' : 'no SGD+GAF run';
    return { ...base, comparison: null, controls: [], comparisonNote: `no SGD vs SGD+GAF comparison: ${missing}.` };
  }
  try {
    // One summary row per optimizer within each matched group; the role column marks the sides.
    const sides = summarizeRuns(table, { by: [...comparisonBy, 'optimizerLabel', ROLE_COLUMN], metric, target: options.target });
    const comparison = compareToBaseline(sides, {
      baseline: { [ROLE_COLUMN]: 'baseline' },
      treatment: (r) => r[ROLE_COLUMN] === 'gaf' || r[ROLE_COLUMN] === 'control',
      by: comparisonBy,
      runs: table,
      detect: options.detect,
    });
    const on = comparisonBy.length ? `matched on ${comparisonBy.join(', ')}` : 'all runs pooled';
    const controls = gafVsControls(table, comparisonBy, { metric });
    const what = roles.has('control') ? 'SGD+GAF and its controls' : 'SGD+GAF';
    return { ...base, comparison, controls, comparisonNote: `${what} vs plain SGD, ${on}.` };
  } catch (e) {
    return { ...base, comparison: null, controls: [], comparisonNote: `no SGD vs SGD+GAF comparison: ${(e as Error).message}` };
  }
}

/**
 * The headline: one line per comparison with plain SGD, from its primary test (paired over
 * seeds where every baseline seed has a partner), with the family-adjusted p-value and the
 * seeds 80% power needs; empty without a comparison.
 */
export function formatHeadline(t: ResultsTables): string[] {
  if (!t.comparison) return [];
  const rows = t.comparison.objects() as Record<string, unknown>[];
  const percent = /top\d/i.test(t.metric);
  const o = { percent };
  const unit = percent ? ' points' : '';
  const n = (v: unknown): number => (typeof v === 'number' ? v : NaN);
  const count = (v: unknown): string => (Number.isFinite(n(v)) ? String(v) : '?');
  return rows.map((r) => {
    const paired = r.primary === 'paired';
    const diff = paired
      ? formatDiff(n(r.pairedDiff), n(r.pairedCiLow), n(r.pairedCiHigh), o)
      : formatDiff(n(r.diff), n(r.diffCiLow), n(r.diffCiHigh), o);
    const test = paired ? `paired over ${String(r.pairedN)} seeds` : `Welch, n = ${String(r.baselineN)} + ${String(r.treatmentN)}`;
    const where = t.comparisonBy.length ? ` (${t.comparisonBy.map((c) => String(r[c] ?? '')).join('/')})` : '';
    return (
      `- \`${String(r.treatmentLabel)}\` minus \`${String(r.baselineLabel)}\`${where}: ${diff}${unit}, ${test}; ` +
      `p = ${formatP(n(r.p))}, Holm p = ${formatP(n(r.pHolm))} (${String(r.family || 'no family')}). ` +
      `Power: ${count(r.nPairs)} seed pairs (or ${count(r.nPerArm)} seeds per arm unpaired) detect this difference 80% of the time.`
    );
  });
}

/**
 * The tables as text (Markdown pipe tables, readable in a terminal), after a warning line per
 * set of duplicate runs and the headline (leave it out with `headline: false` where it is shown
 * already).
 */
export function formatResultsTables(t: ResultsTables, options: { headline?: boolean } = {}): string {
  const warnings = t.duplicates.map(describeDuplicates);
  const headline = (options.headline ?? true) ? formatHeadline(t) : [];
  const parts = [
    ...(warnings.length ? [...warnings, ''] : []),
    ...(headline.length ? ['Headline (primary test per comparison, 95% interval):', '', ...headline, ''] : []),
    `Summary across seeds (${t.runCount} runs, metric ${t.metric}):`,
    '',
    formatSummary(t.summary),
  ];
  parts.push('');
  if (t.comparison)
    parts.push(
      `Comparison: ${t.comparisonNote}`,
      '',
      formatComparison(t.comparison),
      '',
      'Paired seeds, corrected tests and power:',
      '',
      formatComparisonTests(t.comparison),
      ...(t.controls.length
        ? ['', 'Each GAF against its controls:', '', formatGafVsControls(t.controls, { percent: /top\d/i.test(t.metric) })]
        : []),
    );
  else parts.push(t.comparisonNote);
  return parts.join('\n');
}

/** Plain rows of a table, JSON-ready (non-finite numbers become null). */
export function tableRows(t: ColumnTable): Record<string, Cell>[] {
  return (t.objects() as Record<string, Cell>[]).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? null : v])),
  );
}
