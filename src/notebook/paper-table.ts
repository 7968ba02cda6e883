/**
 * The paper's results table: one row per model (and dataset), one column per optimizer with
 * the final test top-1 across seeds (mean ± confidence half-width, n), and one column per GAF
 * variant with its difference from plain SGD and the Welch interval of that difference.
 * @module
 */
import type { ColumnTable } from '../results/arquero';
import { formatDiff, formatMeanCi } from '../results/format';
import { compareKeys } from '../results/summarize';
import type { Cell } from '../results/flatten';
import type { ResultsTables } from '../reports/results-tables';

/** Options of {@link paperTable}. */
export interface PaperTableOptions {
  /** Row columns (default: those of the tables' `by` other than `optimizerLabel`). */
  rows?: string[];
  /** Accuracy as percentages (default true). */
  percent?: boolean;
  /** Digits after the decimal point (default 2). */
  digits?: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const objects = (t: ColumnTable | null): Record<string, unknown>[] => (t ? (t.objects() as Record<string, unknown>[]) : []);

/**
 * Pivots {@link resultsTables}' summary (grouped by the row columns and `optimizerLabel`) into
 * the paper's layout. Cells are strings such as `93.41 ± 0.20 (n=3)`; a single seed reads
 * `93.41 (n=1, no CI)`, and a difference without an interval `+0.40 (no CI)`. Column order:
 * the row columns, the baseline optimizer, the other optimizers in label order, then
 * `Δ <variant>` per GAF variant.
 */
export function paperTable(tables: ResultsTables, options: PaperTableOptions = {}): Record<string, string>[] {
  const rowCols = options.rows ?? tables.by.filter((c) => c !== 'optimizerLabel');
  const fmt = { percent: options.percent ?? true, digits: options.digits ?? 2 };
  const summary = objects(tables.summary);
  if (summary.length > 0 && !('optimizerLabel' in summary[0]!))
    throw new Error('paperTable: the summary has no optimizerLabel column; summarize with by: [..., "optimizerLabel"].');
  for (const c of rowCols) {
    if (summary.length > 0 && !(c in summary[0]!))
      throw new Error(`paperTable: the summary has no column "${c}"; it has ${Object.keys(summary[0]!).join(', ')}.`);
  }
  const keyOf = (r: Record<string, unknown>): Cell[] => rowCols.map((c) => (r[c] ?? null) as Cell);
  const rows = new Map<string, { key: Cell[]; cells: Record<string, string> }>();
  const row = (r: Record<string, unknown>): Record<string, string> => {
    const key = keyOf(r);
    const k = JSON.stringify(key);
    let entry = rows.get(k);
    if (!entry) rows.set(k, (entry = { key, cells: Object.fromEntries(rowCols.map((c, i) => [c, String(key[i] ?? '–')])) }));
    return entry.cells;
  };
  // The baseline (plain SGD) first, as in the paper; then the others in label order.
  const baselines = new Set(objects(tables.comparison).map((r) => String(r.baselineLabel)));
  const labels = [...new Set(summary.map((r) => String(r.optimizerLabel)))].sort(
    (a, b) => Number(baselines.has(b)) - Number(baselines.has(a)) || a.localeCompare(b),
  );
  for (const r of summary) row(r)[String(r.optimizerLabel)] = formatMeanCi(num(r.finalMean), num(r.finalCiHalfWidth), num(r.n), fmt);
  const deltas = new Set<string>();
  for (const r of objects(tables.comparison)) {
    const col = `Δ ${String(r.treatmentLabel)}`;
    deltas.add(col);
    const d = num(r.diff);
    row(r)[col] = Number.isFinite(d) ? formatDiff(d, num(r.diffCiLow), num(r.diffCiHigh), fmt) : String(r.note ?? '–');
  }
  const order = [...rowCols, ...labels, ...[...deltas].sort()];
  return [...rows.values()]
    .sort((a, b) => compareKeys(a.key, b.key))
    .map(({ cells }) => Object.fromEntries(order.map((c) => [c, cells[c] ?? '–'])));
}
