/**
 * Which columns of the runs table hold a run's configuration, which of those change what is
 * trained, and how the table's rows fall into runs. Runs that agree on every training field
 * are one configuration; their seeds are replicates of it. This is the one place that lists
 * the config fields that do not count.
 * @module
 */
import type { ColumnTable } from './arquero';
import type { Cell } from './flatten';

/**
 * Top-level fields of an experiment config (docs/run-format.md). `loadRuns` flattens the
 * manifest's config into dotted columns under these names (`optimizer.options.learningRate`).
 */
export const CONFIG_FIELDS = [
  'name',
  'dataset',
  'model',
  'optimizer',
  'schedule',
  'epochs',
  'batchSize',
  'evalBatchSize',
  'seed',
  'evalEvery',
  'gradStats',
  'stepMetrics',
  'backend',
  'threads',
  'outDir',
  'keepCheckpoints',
] as const;

/** The field that tells replicates apart: runs that differ only in it are seeds of one configuration. */
export const SEED_FIELD = 'seed';

/**
 * Config fields (and everything under them) that change neither what is trained nor what is
 * measured, with the reason. Runs that differ only in these and the seed are one
 * configuration: their seeds are averaged together, and two of them with the same seed are
 * duplicates. Every other config field counts, `evalEvery` included (it decides which epochs
 * have a test accuracy, hence the "best" value).
 */
export const NON_TRAINING_FIELDS: Readonly<Record<string, string>> = {
  name: 'a label (and the start of the run id)',
  outDir: 'where the run folder was written',
  'dataset.dataDir': 'where the dataset files were read from',
  evalBatchSize: 'evaluation batch size: speed and memory only',
  keepCheckpoints: 'which checkpoints stay on disk',
  gradStats: 'gradient statistics are observed, not applied',
  stepMetrics: 'per-step metrics are observed, not applied',
  backend: 'the same computation on another engine',
  threads: 'the same computation on more cores (results are bit-identical at any thread count)',
};

const under = (column: string, field: string): boolean => column === field || column.startsWith(`${field}.`);

/** Whether `column` is a flattened config field (`optimizer.gaf.kind`, `epochs`, ...). */
export function isConfigColumn(column: string): boolean {
  return (CONFIG_FIELDS as readonly string[]).includes(column.split('.')[0]!);
}

/**
 * Whether `column` is a config field that changes what is trained or measured: a config
 * column other than the seed and the {@link NON_TRAINING_FIELDS}.
 */
export function isTrainingColumn(column: string): boolean {
  return isConfigColumn(column) && column !== SEED_FIELD && !Object.keys(NON_TRAINING_FIELDS).some((f) => under(column, f));
}

/** The training config columns of a runs table (see {@link isTrainingColumn}), in table order. */
export function trainingColumns(table: ColumnTable): string[] {
  return table.columnNames().filter(isTrainingColumn);
}

/**
 * The rows of each run, keyed by the run's folder (`runDir`), or by `runId` in a table without
 * folders. Keying by folder keeps apart two copies of one run id in different folders, which
 * are two runs (duplicates), not one run with every epoch twice.
 */
export function rowsByRun(table: ColumnTable): Map<string, Record<string, unknown>[]> {
  const runs = new Map<string, Record<string, unknown>[]>();
  for (const row of table.objects() as Record<string, unknown>[]) {
    const key = runKey(row);
    let list = runs.get(key);
    if (!list) runs.set(key, (list = []));
    list.push(row);
  }
  return runs;
}

/** A run's key in {@link rowsByRun}: its folder, else its id. */
export function runKey(row: Record<string, unknown>): string {
  const dir = row.runDir;
  return typeof dir === 'string' && dir !== '' ? dir : String(row.runId);
}

/** The value of `column` in `row`, with a missing value as null. */
export function cellOf(row: Record<string, unknown>, column: string): Cell {
  const v = row[column];
  return v === undefined ? null : (v as Cell);
}
