import { arquero, isTable, type ColumnTable } from './arquero';
import { findDuplicateRuns } from './duplicates';
import type { Cell } from './flatten';
import { defaultGroupBy, describeMixedFields, mixedFields } from './grouping';
import { rowsByRun } from './run-config';
import { meanCi } from './stats';

/** Options of {@link summarizeRuns}. */
export interface SummarizeOptions {
  /**
   * Columns that define a group (seeds are aggregated within a group), e.g.
   * `['model.name', 'optimizerLabel']`. Default: `defaultGroupBy(table)`, every training config
   * field that differs between the runs, so a group holds runs that differ only in the seed.
   */
  by?: string[];
  /** Metric column to summarize; default `testTop1`. */
  metric?: string;
  /**
   * Whether a larger metric is better (for "best" and "epochs to target"). Default: false for
   * a column whose name ends in `Loss`, true otherwise.
   */
  higherIsBetter?: boolean;
  /** Target value for "epochs to reach target" (e.g. 0.85 for 85% test top-1). */
  target?: number;
  /** Confidence level of the intervals; default 0.95. */
  level?: number;
  /**
   * Which runs enter the mean and CI: `completed` (default) or `all` runs that have a finite
   * value. Diverged, failed and unfinished runs are always counted in their own columns.
   */
  include?: 'completed' | 'all';
  /**
   * Pool runs whose training config differs in fields outside `by` (default false: such a
   * grouping is refused with an error naming the fields, since its mean would mix
   * configurations). Duplicates are counted once either way.
   */
  allowMixedConfigs?: boolean;
}

/** One run reduced to the numbers a summary needs. */
export interface RunDigest {
  /** The run's folder (or id): see `rowsByRun`. */
  run: string;
  runId: string;
  status: string;
  seed: Cell;
  key: Cell[];
  final: number;
  best: number;
  epochs: number;
  epochsToTarget: number;
  diverged: boolean;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function requireColumns(table: ColumnTable, cols: string[], where: string): void {
  const have = table.columnNames();
  for (const c of cols) {
    if (!have.includes(c)) {
      throw new Error(`${where}: no column "${c}". Columns are: ${have.join(', ')}.`);
    }
  }
}

/** Each run of a runs table reduced to its group key (the `by` values), seed, final and best value of `metric`. */
export function digestRuns(table: ColumnTable, by: string[], metric: string, higher: boolean, target: number | undefined): RunDigest[] {
  const better = (a: number, b: number): boolean => (higher ? a > b : a < b);
  const digests: RunDigest[] = [];
  for (const [run, rows] of rowsByRun(table)) {
    const runId = String(rows[0]!.runId);
    const key = by.map((c) => (rows[0]![c] ?? null) as Cell);
    for (const r of rows) {
      by.forEach((c, i) => {
        if ((r[c] ?? null) !== key[i]) {
          throw new Error(
            `summarizeRuns: column "${c}" changes within run ${run} (${String(key[i])} vs ${String(r[c])}); group only by per-run columns (config, seed, status).`,
          );
        }
      });
    }
    const withEpoch = rows.filter((r) => finite(r.epoch)).sort((a, b) => (a.epoch as number) - (b.epoch as number));
    const last = withEpoch[withEpoch.length - 1];
    const lastValue = last?.[metric];
    let best = NaN;
    let epochsToTarget = NaN;
    for (const r of withEpoch) {
      const v = r[metric];
      if (!finite(v)) continue;
      if (Number.isNaN(best) || better(v, best)) best = v;
      if (target !== undefined && Number.isNaN(epochsToTarget) && (higher ? v >= target : v <= target)) epochsToTarget = r.epoch as number;
    }
    digests.push({
      run,
      runId,
      status: String(rows[0]!.status),
      seed: (rows[0]!.seed ?? null) as Cell,
      key,
      final: finite(lastValue) ? lastValue : NaN,
      best,
      epochs: last ? (last.epoch as number) : 0,
      epochsToTarget,
      diverged: rows[0]!.status === 'diverged' || rows.some((r) => r.diverged === true),
    });
  }
  return digests;
}

/** Orders group keys: nulls first (e.g. the no-GAF baseline), numbers numerically, then text. */
export function compareKeys(a: readonly Cell[], b: readonly Cell[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    const c = String(x).localeCompare(String(y));
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * Aggregates runs across seeds: one row per group of `by` values, with
 * - `runs` (the runs in the group, each counted once), `n` (runs in the statistics),
 *   `completed`, `diverged`, `failed`, `unfinished` (running or interrupted), `duplicates`
 *   (run folders left out as copies of a counted run: same training config and seed, see
 *   `findDuplicateRuns`), `seeds` (the seeds used, comma-separated), `duplicateSeeds` (true
 *   when a seed occurs twice among the counted runs: configs pooled with `allowMixedConfigs`, or
 *   a table without config columns, where copies cannot be told from replicates),
 * - `final*` (metric at each run's last epoch) and `best*` (best over epochs):
 *   `Mean`, `Sd`, `CiLow`, `CiHigh`, `CiHalfWidth` (Student t, n - 1 df),
 * - `singleSeed`: true when n < 2, in which case sd and the CI are NaN: one seed is an
 *   anecdote, not a result, and the format functions print "n=1, no CI",
 * - with `target`: `reachedTarget` (runs that reached it) and `epochsToTargetMean` (over those).
 *
 * Diverged runs are not averaged in by default (their last accuracy is not a trained model's);
 * they are counted in `diverged`, so a method that diverges more often is visible.
 *
 * A group holds one configuration: when runs grouped together differ in a training config
 * field outside `by` (other than the seed), this throws naming the fields, unless
 * `allowMixedConfigs` is set. Without `by`, the groups are `defaultGroupBy(table)`.
 */
export function summarizeRuns(table: ColumnTable, options: SummarizeOptions = {}): ColumnTable {
  if (!isTable(table)) throw new Error('summarizeRuns: expected the arquero table returned by loadRuns(dir).');
  if (options.by !== undefined && !Array.isArray(options.by))
    throw new Error("summarizeRuns: options.by must be an array of column names, e.g. ['model.name', 'optimizerLabel'], or left out.");
  const by = options.by ?? defaultGroupBy(table);
  const metric = options.metric ?? 'testTop1';
  const higher = options.higherIsBetter ?? !/loss$/i.test(metric);
  const level = options.level ?? 0.95;
  const include = options.include ?? 'completed';
  if (include !== 'completed' && include !== 'all')
    throw new Error(`summarizeRuns: include must be 'completed' or 'all', got ${JSON.stringify(include)}.`);
  requireColumns(table, ['runId', 'status', 'epoch', metric, ...by], 'summarizeRuns');
  const digests = digestRuns(table, by, metric, higher, options.target);
  if (options.allowMixedConfigs !== true) {
    const mixed = mixedFields(table, by);
    if (mixed.length > 0) {
      throw new Error(
        `summarizeRuns: runs grouped by ${JSON.stringify(by)} differ in more than the seed: ${describeMixedFields(mixed)}. ` +
          `Add ${mixed.length > 1 ? 'these columns' : 'this column'} to by, leave by out to group by every field that differs, or set allowMixedConfigs to pool them knowingly.`,
      );
    }
  }

  // Copies of a run (same training config and seed) count once.
  const copiesOf = new Map<string, number>();
  const leftOut = new Set<string>();
  for (const d of findDuplicateRuns(table)) {
    copiesOf.set(d.kept, d.dropped.length);
    for (const x of d.dropped) leftOut.add(x);
  }
  const groups = new Map<string, RunDigest[]>();
  for (const d of digests) {
    if (leftOut.has(d.run)) continue;
    const k = JSON.stringify(d.key);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(d);
  }
  const rows: Record<string, Cell>[] = [];
  const ordered = [...groups.values()].sort((a, b) => compareKeys(a[0]!.key, b[0]!.key));
  for (const runs of ordered) {
    const used = runs.filter((r) => (include === 'all' || r.status === 'completed') && Number.isFinite(r.final));
    const final = meanCi(
      used.map((r) => r.final),
      level,
    );
    const best = meanCi(used.map((r) => r.best).filter(Number.isFinite), level);
    const seeds = runs.map((r) => r.seed).filter((s) => s !== null);
    const row: Record<string, Cell> = {};
    by.forEach((c, i) => (row[c] = runs[0]!.key[i]!));
    Object.assign(row, {
      metric,
      runs: runs.length,
      n: final.n,
      completed: runs.filter((r) => r.status === 'completed').length,
      diverged: runs.filter((r) => r.diverged).length,
      failed: runs.filter((r) => r.status === 'failed').length,
      unfinished: runs.filter((r) => r.status === 'running' || r.status === 'interrupted').length,
      duplicates: runs.reduce((s, r) => s + (copiesOf.get(r.run) ?? 0), 0),
      seeds: [...seeds].sort((a, b) => Number(a) - Number(b)).join(','),
      duplicateSeeds: new Set(seeds).size < seeds.length,
      singleSeed: final.n < 2,
      epochs: Math.max(0, ...used.map((r) => r.epochs)),
      finalMean: final.mean,
      finalSd: final.sd,
      finalCiLow: final.low,
      finalCiHigh: final.high,
      finalCiHalfWidth: final.halfWidth,
      bestMean: best.mean,
      bestSd: best.sd,
      bestCiLow: best.low,
      bestCiHigh: best.high,
      bestCiHalfWidth: best.halfWidth,
      level,
    });
    if (options.target !== undefined) {
      const reached = used.filter((r) => Number.isFinite(r.epochsToTarget));
      row.target = options.target;
      row.reachedTarget = reached.length;
      row.epochsToTargetMean = reached.length ? reached.reduce((s, r) => s + r.epochsToTarget, 0) / reached.length : NaN;
    }
    rows.push(row);
  }
  const cols = rows.length ? Object.keys(rows[0]!) : [...by, 'metric', 'runs', 'n', 'singleSeed', 'finalMean', 'finalCiHalfWidth'];
  const columns: Record<string, Cell[]> = {};
  for (const c of cols) columns[c] = rows.map((r) => r[c] ?? null);
  return arquero().table(columns);
}
