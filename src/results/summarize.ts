import { arquero, isTable, type ColumnTable } from './arquero';
import type { Cell } from './flatten';
import { meanCi } from './stats';

/** Options of {@link summarizeRuns}. */
export interface SummarizeOptions {
  /** Columns that define a group (seeds are aggregated within a group), e.g. `['model.name', 'optimizerLabel']`. */
  by: string[];
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
}

/** One run reduced to the numbers a summary needs. */
interface RunDigest {
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

function digestRuns(table: ColumnTable, by: string[], metric: string, higher: boolean, target: number | undefined): RunDigest[] {
  const runs = new Map<string, Record<string, unknown>[]>();
  for (const row of table.objects() as Record<string, unknown>[]) {
    const id = String(row.runId);
    let list = runs.get(id);
    if (!list) runs.set(id, (list = []));
    list.push(row);
  }
  const better = (a: number, b: number): boolean => (higher ? a > b : a < b);
  const digests: RunDigest[] = [];
  for (const [runId, rows] of runs) {
    const key = by.map((c) => (rows[0]![c] ?? null) as Cell);
    for (const r of rows) {
      by.forEach((c, i) => {
        if ((r[c] ?? null) !== key[i]) {
          throw new Error(`summarizeRuns: column "${c}" changes within run ${runId} (${String(key[i])} vs ${String(r[c])}); group only by per-run columns (config, seed, status).`);
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
 * - `runs` (all runs in the group), `n` (runs in the statistics), `completed`, `diverged`,
 *   `failed`, `unfinished` (running or interrupted), `seeds` (the seeds used, comma-separated),
 *   `duplicateSeeds` (true when a seed occurs twice: the group mixes configs or repeats a run),
 * - `final*` (metric at each run's last epoch) and `best*` (best over epochs):
 *   `Mean`, `Sd`, `CiLow`, `CiHigh`, `CiHalfWidth` (Student t, n - 1 df),
 * - `singleSeed`: true when n < 2, in which case sd and the CI are NaN: one seed is an
 *   anecdote, not a result, and the format functions print "n=1, no CI",
 * - with `target`: `reachedTarget` (runs that reached it) and `epochsToTargetMean` (over those).
 *
 * Diverged runs are not averaged in by default (their last accuracy is not a trained model's);
 * they are counted in `diverged`, so a method that diverges more often is visible.
 */
export function summarizeRuns(table: ColumnTable, options: SummarizeOptions): ColumnTable {
  if (!isTable(table)) throw new Error('summarizeRuns: expected the arquero table returned by loadRuns(dir).');
  const by = options.by;
  if (!Array.isArray(by)) throw new Error("summarizeRuns: options.by must be an array of column names, e.g. ['model.name', 'optimizerLabel'].");
  const metric = options.metric ?? 'testTop1';
  const higher = options.higherIsBetter ?? !/loss$/i.test(metric);
  const level = options.level ?? 0.95;
  const include = options.include ?? 'completed';
  if (include !== 'completed' && include !== 'all') throw new Error(`summarizeRuns: include must be 'completed' or 'all', got ${JSON.stringify(include)}.`);
  requireColumns(table, ['runId', 'status', 'epoch', metric, ...by], 'summarizeRuns');

  const groups = new Map<string, RunDigest[]>();
  for (const d of digestRuns(table, by, metric, higher, options.target)) {
    const k = JSON.stringify(d.key);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(d);
  }
  const rows: Record<string, Cell>[] = [];
  const ordered = [...groups.values()].sort((a, b) => compareKeys(a[0]!.key, b[0]!.key));
  for (const runs of ordered) {
    const used = runs.filter((r) => (include === 'all' || r.status === 'completed') && Number.isFinite(r.final));
    const final = meanCi(used.map((r) => r.final), level);
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
