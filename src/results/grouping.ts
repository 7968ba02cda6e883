/**
 * Which runs share a summary row. By default the rows follow every training config field that
 * differs between the runs, so one row holds runs that differ in nothing but the seed; a
 * grouping chosen by hand is checked for the fields it would mix.
 * @module
 */
import type { ColumnTable } from './arquero';
import type { Cell } from './flatten';
import { OPTIMIZER_LABEL_COLUMNS } from './load';
import { cellOf, rowsByRun, trainingColumns } from './run-config';

/**
 * Columns a default grouping starts with, when the table has them, even if every run shares
 * them: the table then always says which dataset, model and optimizer a row is.
 */
export const DEFAULT_GROUP_COLUMNS: readonly string[] = ['dataset.name', 'model.name', 'optimizerLabel'];

/**
 * Config fields that usually follow from others: the ones `optimizerLabel` spells out, the
 * optimizer's effective settings (computed from its options), and what resolving a config
 * fills in from the dataset or the epochs. A default grouping shows them only when they tell
 * apart runs that the columns already chosen do not (an explicit `augment: true` on CIFAR,
 * a cosine period other than the epochs).
 */
const DERIVED_COLUMNS = new Set<string>([
  ...OPTIMIZER_LABEL_COLUMNS,
  'model.options.numClasses',
  'model.options.inputShape',
  'dataset.augment',
  'dataset.imageSize',
  'schedule.tMax',
]);
const isDerived = (c: string): boolean => DERIVED_COLUMNS.has(c) || c.startsWith('optimizer.effective.');

const keyOf = (row: Record<string, unknown>, columns: readonly string[]): string => JSON.stringify(columns.map((c) => cellOf(row, c)));

/** The first row of every run: config columns are the same on all of a run's rows. */
function runRows(table: ColumnTable): Record<string, unknown>[] {
  return [...rowsByRun(table).values()].map((rows) => rows[0]!);
}

const classCount = (runs: Record<string, unknown>[], columns: readonly string[]): number =>
  new Set(runs.map((r) => keyOf(r, columns))).size;

/**
 * The default group columns of a runs table (as `loadRuns` returns): `dataset.name`,
 * `model.name` and `optimizerLabel`, then every training config field (see
 * `isTrainingColumn`: all but the seed and the non-training fields) whose value differs
 * between runs, in table order. Fields that follow from others (the optimizer fields in the
 * label, effective settings, resolved geometry) are added only where they split runs the
 * others do not. Two runs therefore share a group exactly when they differ in nothing but the
 * seed and the non-training fields.
 */
export function defaultGroupBy(table: ColumnTable): string[] {
  const names = table.columnNames();
  const runs = runRows(table);
  const differing = trainingColumns(table).filter((c) => new Set(runs.map((r) => JSON.stringify(cellOf(r, c)))).size > 1);
  const by = DEFAULT_GROUP_COLUMNS.filter((c) => names.includes(c));
  for (const c of differing) if (!isDerived(c) && !by.includes(c)) by.push(c);
  let classes = classCount(runs, by);
  for (const c of differing) {
    if (!isDerived(c) || by.includes(c)) continue;
    const n = classCount(runs, [...by, c]);
    if (n > classes) {
      by.push(c);
      classes = n;
    }
  }
  const lead = by.filter((c) => DEFAULT_GROUP_COLUMNS.includes(c));
  const rest = by.filter((c) => !DEFAULT_GROUP_COLUMNS.includes(c)).sort((a, b) => names.indexOf(a) - names.indexOf(b));
  return [...lead, ...rest];
}

/** A training field whose values differ between runs that a grouping puts in one row. */
export interface MixedField {
  column: string;
  /** The values met in that row, sorted. */
  values: Cell[];
  /** The row (its group column values) where they were met first. */
  group: Record<string, Cell>;
}

const byValue = (a: Cell, b: Cell): number =>
  a === b
    ? 0
    : a === null
      ? -1
      : b === null
        ? 1
        : typeof a === 'number' && typeof b === 'number'
          ? a - b
          : String(a).localeCompare(String(b));

/**
 * The training config fields that differ between runs grouped together by `by`: empty when
 * every group holds runs that differ only in the seed and the non-training fields. One entry
 * per field, with the values of the first group where it varies.
 */
export function mixedFields(table: ColumnTable, by: readonly string[]): MixedField[] {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of runRows(table)) {
    const k = keyOf(r, by);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(r);
  }
  const out: MixedField[] = [];
  for (const column of trainingColumns(table)) {
    if (by.includes(column)) continue;
    for (const runs of groups.values()) {
      const seen = new Map<string, Cell>(runs.map((r) => [JSON.stringify(cellOf(r, column)), cellOf(r, column)]));
      if (seen.size < 2) continue;
      out.push({ column, values: [...seen.values()].sort(byValue), group: Object.fromEntries(by.map((c) => [c, cellOf(runs[0]!, c)])) });
      break;
    }
  }
  return out;
}

/** `optimizer.options.learningRate (0.000001, 0.025) in the row model.name=smallcnn, optimizerLabel=sgd; ...` */
export function describeMixedFields(fields: readonly MixedField[]): string {
  return fields
    .map((f) => {
      const where = Object.entries(f.group).map(([c, v]) => `${c}=${String(v)}`);
      return `${f.column} (${f.values.map((v) => String(v)).join(', ')})${where.length ? ` in the row ${where.join(', ')}` : ''}`;
    })
    .join('; ');
}
