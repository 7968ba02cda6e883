/**
 * The runs as a danfo.js DataFrame, for pandas-style exploration in a notebook: `groupby`,
 * `agg`, `describe`, `query`, `sortValues`. The table behind it is {@link loadRuns}'.
 * @module
 */
import type { DataFrame } from 'danfojs-node';
import { loadRuns, tableFromRecords, type LoadRunsOptions } from './load';
import { rowsByRun } from './run-config';
import { toDanfo } from './export';
import type { Cell } from './flatten';

/** Options of {@link runsFrame}. */
export interface RunsFrameOptions extends LoadRunsOptions {
  /**
   * `final` (default): one row per run, its last epoch (a run without metrics yet keeps its one
   * row with null metrics); `epochs`: one row per run and epoch, as {@link loadRuns} gives.
   */
  rows?: 'final' | 'epochs';
  /**
   * The columns to keep, in this order (default: all of loadRuns' columns, about 70 for a
   * sweep); e.g. `['optimizerLabel', 'seed', 'testTop1', 'testLoss']`.
   */
  columns?: string[];
}

/** Each run's row with the largest epoch; the runs keep loadRuns' order. */
function finalRows(rows: Map<string, Record<string, unknown>[]>): Record<string, Cell>[] {
  const epochOf = (r: Record<string, unknown>): number => (typeof r.epoch === 'number' ? r.epoch : -Infinity);
  return [...rows.values()].map((runRows) => runRows.reduce((last, r) => (epochOf(r) >= epochOf(last) ? r : last)) as Record<string, Cell>);
}

/**
 * The runs under `dir` (searched recursively, like {@link loadRuns}) as a danfo.js DataFrame:
 * by default one row per run at its last epoch, with the run's config as dotted columns
 * (`optimizerLabel`, `model.name`, `optimizer.gaf.kind`, `seed`, ...) and the metrics
 * (`testTop1`, `testLoss`, `trainLoss`, ...). For example, final accuracy per optimizer across seeds:
 *
 * ```ts
 * const df = runsFrame('runs/main', { columns: ['optimizerLabel', 'seed', 'testTop1'] });
 * df.groupby(['optimizerLabel']).agg({ testTop1: ['mean', 'std', 'count'] }).print();
 * df.describe().print();
 * ```
 *
 * danfo's `std` and `describe` use the sample standard deviation (n - 1); for confidence
 * intervals and the SGD vs SGD+GAF comparison use `summarizeRuns` and `compareToBaseline`.
 * danfojs-node (and its own copy of tfjs) is loaded on the first call, which takes seconds.
 */
export function runsFrame(dir: string, options: RunsFrameOptions = {}): DataFrame {
  const rows = options.rows ?? 'final';
  if (rows !== 'final' && rows !== 'epochs') throw new Error(`runsFrame: rows must be 'final' or 'epochs', got ${JSON.stringify(rows)}.`);
  let table = loadRuns(dir, options.filter ? { filter: options.filter } : {});
  if (table.numRows() === 0)
    throw new Error(`runsFrame: no runs under ${dir} (a run is a folder with a manifest.json; see docs/run-format.md).`);
  if (rows === 'final') table = tableFromRecords(finalRows(rowsByRun(table)), table.columnNames());
  if (options.columns !== undefined) {
    const have = table.columnNames();
    const unknown = options.columns.filter((c) => !have.includes(c));
    if (unknown.length > 0 || options.columns.length === 0) {
      throw new Error(
        `runsFrame: ${unknown.length > 0 ? `no column ${unknown.map((c) => JSON.stringify(c)).join(', ')}` : 'columns is empty'}; the columns are: ${have.join(', ')}.`,
      );
    }
    table = table.select(options.columns);
  }
  return toDanfo(table);
}

/** Options of {@link frameRows}. */
export interface FrameRowsOptions {
  /**
   * Put the DataFrame's index into each row under this name, as the first field: for frames
   * whose index names the rows, such as `describe()`'s `count`, `mean`, `std`, ...
   */
  index?: string;
}

/**
 * The rows of a danfo.js DataFrame as plain objects keyed by column name, for `showTable`
 * (which takes arquero tables and arrays of rows) or JSON:
 * `showTable(frameRows(df.describe(), { index: 'statistic' }))`.
 */
export function frameRows(df: DataFrame, options: FrameRowsOptions = {}): Record<string, unknown>[] {
  const columns = df.columns;
  if (options.index !== undefined && columns.includes(options.index)) {
    throw new Error(`frameRows: the DataFrame already has a column "${options.index}"; name the index differently.`);
  }
  const index = df.index;
  return (df.values as unknown[][]).map((row, i) => ({
    ...(options.index !== undefined ? { [options.index]: index[i] } : {}),
    ...Object.fromEntries(columns.map((c, j) => [c, row[j]])),
  }));
}
