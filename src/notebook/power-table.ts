/**
 * How many seeds a comparison needs: for each SGD+GAF variant against plain SGD, the seeds per
 * arm (unpaired) and the seed pairs (paired) that detect the observed difference, and a chosen
 * one, with 80% power at two-sided alpha 0.05, from the observed seed spread. The numbers are
 * those `gaf-lab results` prints (the same `resultsTables` computes both).
 * @module
 */
import type { ColumnTable } from '../results/arquero';
import { resultsTables } from '../reports/results-tables';

/** Options of {@link powerTable}. */
export interface PowerTableOptions {
  /** Metric column; default `testTop1`. */
  metric?: string;
  /** A difference to size for besides the observed one, in the metric's units (0.01 = one point of accuracy). */
  detect?: number;
}

const count = (n: unknown): string => (typeof n === 'number' && Number.isFinite(n) ? String(n) : '–');
const points = (v: unknown, percent: boolean): string =>
  typeof v === 'number' && Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(percent ? v * 100 : v).toFixed(2)}` : '–';

/**
 * One row per comparison of the runs (`loadRuns` or `loadAblationRuns`): the treatment, the
 * observed difference (primary test) and its seed spread, and the seeds needed. Throws when the
 * runs hold no plain-SGD baseline or no SGD+GAF variant, saying which is missing.
 */
export function powerTable(runs: ColumnTable, options: PowerTableOptions = {}): Record<string, string | number>[] {
  const metric = options.metric ?? 'testTop1';
  const t = resultsTables(runs, { metric, detect: options.detect });
  if (!t.comparison) throw new Error(`powerTable: ${t.comparisonNote}`);
  const percent = /top\d|accuracy/i.test(metric);
  const unit = percent ? ' (points)' : '';
  return (t.comparison.objects() as Record<string, unknown>[]).map((r) => {
    const paired = r.primary === 'paired';
    const row: Record<string, string | number> = {
      ...Object.fromEntries(t.comparisonBy.map((c) => [c, String(r[c] ?? '')])),
      treatment: String(r.treatmentLabel),
      [`difference${unit}`]: points(paired ? r.pairedDiff : r.diff, percent),
      test: paired ? `paired, ${String(r.pairedN)} pairs` : `Welch, n ${String(r.baselineN)} + ${String(r.treatmentN)}`,
      [`sd of pair differences${unit}`]: points(r.pairedSd, percent).replace(/^\+/, ''),
      'seeds per arm (observed)': count(r.nPerArm),
      'pairs (observed)': count(r.nPairs),
    };
    if (options.detect !== undefined) {
      const d = `${(percent ? Math.abs(options.detect) * 100 : Math.abs(options.detect)).toFixed(2)}${percent ? ' pt' : ''}`;
      row[`seeds per arm (${d})`] = count(r.nPerArmDetect);
      row[`pairs (${d})`] = count(r.nPairsDetect);
    }
    return row;
  });
}
