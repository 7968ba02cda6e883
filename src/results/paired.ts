/**
 * Paired differences over seeds. Two runs that differ only in the compared field (e.g. the
 * optimizer) and share a seed start from the same weights and see the same batches, so their
 * difference removes the seed's share of the spread. The mean of the per-seed differences gets
 * a Student-t interval with n - 1 degrees of freedom over the n pairs.
 * @module
 */
import type { ColumnTable } from './arquero';
import { findDuplicateRuns } from './duplicates';
import type { Cell } from './flatten';
import { digestRuns } from './summarize';
import { meanCi, pValueOfDiff } from './stats';

/** One run's value, tagged with its seed. */
export interface SeedValue {
  seed: Cell;
  value: number;
}

/** The paired difference `treatment - baseline` over the seeds both sides have. */
export interface PairedDifference {
  /** Number of seed pairs. */
  nPairs: number;
  /** Mean of the per-seed differences. */
  mean: number;
  /** Sample sd of the per-seed differences. */
  sd: number;
  /** sd / sqrt(nPairs). */
  se: number;
  /** nPairs - 1. */
  df: number;
  /** t_{(1+level)/2, nPairs-1} * se; NaN with fewer than two pairs. */
  halfWidth: number;
  low: number;
  high: number;
  /** Two-sided p-value of "mean difference = 0" (paired t-test). */
  p: number;
  /** Seeds of the baseline with no treatment run, sorted. */
  baselineOnly: Cell[];
  /** Seeds of the treatment with no baseline run, sorted. */
  treatmentOnly: Cell[];
  /** Seeds met more than once on one side: which runs pair up is then unknown, so nothing is paired. */
  repeatedSeeds: Cell[];
}

const bySeed = (a: Cell, b: Cell): number => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)));

function repeated(values: readonly SeedValue[]): Cell[] {
  const seen = new Set<string>();
  const twice = new Map<string, Cell>();
  for (const v of values) {
    const k = JSON.stringify(v.seed);
    if (seen.has(k)) twice.set(k, v.seed);
    seen.add(k);
  }
  return [...twice.values()];
}

/**
 * Pairs the runs of two sides by seed and gives the paired difference `treatment - baseline`
 * with its Student-t interval (default 95%). Runs without a seed, and seeds on one side only,
 * are listed in `baselineOnly` / `treatmentOnly`, never dropped silently.
 */
export function pairedDifference(baseline: readonly SeedValue[], treatment: readonly SeedValue[], level = 0.95): PairedDifference {
  const repeatedSeeds = [...repeated(baseline), ...repeated(treatment)].filter((s) => s !== null).sort(bySeed);
  const tOf = new Map(treatment.filter((v) => v.seed !== null).map((v) => [JSON.stringify(v.seed), v]));
  const bKeys = new Set(baseline.filter((v) => v.seed !== null).map((v) => JSON.stringify(v.seed)));
  const diffs: number[] = [];
  const baselineOnly: Cell[] = [];
  for (const b of baseline) {
    const t = b.seed === null ? undefined : tOf.get(JSON.stringify(b.seed));
    if (t) diffs.push(t.value - b.value);
    else baselineOnly.push(b.seed);
  }
  const treatmentOnly = treatment.filter((v) => v.seed === null || !bKeys.has(JSON.stringify(v.seed))).map((v) => v.seed);
  baselineOnly.sort(bySeed);
  treatmentOnly.sort(bySeed);
  if (repeatedSeeds.length > 0) {
    return {
      nPairs: 0,
      mean: NaN,
      sd: NaN,
      se: NaN,
      df: NaN,
      halfWidth: NaN,
      low: NaN,
      high: NaN,
      p: NaN,
      baselineOnly: baseline.map((v) => v.seed).sort(bySeed),
      treatmentOnly: treatment.map((v) => v.seed).sort(bySeed),
      repeatedSeeds,
    };
  }
  const ci = meanCi(diffs, level);
  const se = ci.sd / Math.sqrt(ci.n);
  const df = ci.n - 1;
  return {
    nPairs: ci.n,
    mean: ci.mean,
    sd: ci.sd,
    se,
    df,
    halfWidth: ci.halfWidth,
    low: ci.low,
    high: ci.high,
    p: ci.n >= 2 ? pValueOfDiff(ci.mean, se, df) : NaN,
    baselineOnly,
    treatmentOnly,
    repeatedSeeds,
  };
}

/** Options of {@link seedValuesByGroup}. */
export interface SeedValuesOptions {
  /** Metric column; default `testTop1`. */
  metric?: string;
  /** The metric at the last epoch (default) or its best over epochs. */
  measure?: 'final' | 'best';
  /** Whether larger is better (for `best`); default: false for a column ending in `Loss`. */
  higherIsBetter?: boolean;
  /** Runs that count: `completed` (default) or `all` with a finite value, as in `summarizeRuns`. */
  include?: 'completed' | 'all';
}

/**
 * The per-seed values of each group of a runs table (`loadRuns`), keyed by the JSON of the
 * group's `by` values: the runs that `summarizeRuns` with the same `by` averages (copies of a
 * run counted once, completed runs with a finite value by default).
 */
export function seedValuesByGroup(runs: ColumnTable, by: string[], options: SeedValuesOptions = {}): Map<string, SeedValue[]> {
  const metric = options.metric ?? 'testTop1';
  const higher = options.higherIsBetter ?? !/loss$/i.test(metric);
  const measure = options.measure ?? 'final';
  const include = options.include ?? 'completed';
  const leftOut = new Set(findDuplicateRuns(runs).flatMap((d) => d.dropped));
  const out = new Map<string, SeedValue[]>();
  for (const d of digestRuns(runs, by, metric, higher, undefined)) {
    if (leftOut.has(d.run)) continue;
    const value = measure === 'best' ? d.best : d.final;
    if (!(include === 'all' || d.status === 'completed') || !Number.isFinite(d.final) || !Number.isFinite(value)) continue;
    const k = JSON.stringify(d.key);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push({ seed: d.seed, value });
  }
  return out;
}
