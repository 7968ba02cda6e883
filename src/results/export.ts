import * as fs from 'node:fs';
import { arquero, isTable, type ColumnTable } from './arquero';
import { writeFileAtomic } from '../run-format/index';

function check(table: unknown, where: string): asserts table is ColumnTable {
  if (!isTable(table)) throw new Error(`${where}: expected an arquero table (from loadRuns, summarizeRuns or compareToBaseline).`);
}

/** Writes `table` as CSV to `file`, atomically (temp file + rename). Empty cells are nulls. */
export function writeCsv(table: ColumnTable, file: string): void {
  check(table, 'writeCsv');
  writeFileAtomic(file, arquero().toCSV(table));
}

/** Writes `table` as an Apache Arrow IPC file (`.arrow`, the random-access "file" format), atomically. */
export function writeArrow(table: ColumnTable, file: string): void {
  check(table, 'writeArrow');
  writeFileAtomic(file, arquero().toArrowIPC(table, { format: 'file' }));
}

/**
 * Columns that hold identifiers or text even when a value looks like a number or a date
 * (a git commit `1e5a...`, a run id, ISO timestamps), so reading a CSV back does not change them.
 */
const TEXT_COLUMN =
  /(^|\.)(runId|runDir|status|gitCommit|message|backend|name|kind|placement|optimizerLabel|baselineLabel|treatmentLabel|seeds|note|metric|measure|startedAt|endedAt|outDir|dataDir)$/;

/** Reads a CSV written by {@link writeCsv} back into a table, keeping identifier and text columns as text. */
export function readCsv(file: string): ColumnTable {
  const text = fs.readFileSync(file, 'utf8');
  const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
  const aq = arquero();
  const names = aq.fromCSV(header + '\n', { autoType: false }).columnNames();
  const parse: Record<string, (v: string) => string | null> = {};
  for (const n of names) if (TEXT_COLUMN.test(n)) parse[n] = (v) => (v === '' ? null : v);
  return aq.fromCSV(text, { parse });
}

/** Reads an Arrow IPC file written by {@link writeArrow}. */
export function readArrow(file: string): ColumnTable {
  return arquero().fromArrow(fs.readFileSync(file));
}

/** A danfojs DataFrame, the pandas-like view that danfojs' users expect; loaded on first use only. */
export function toDanfo(table: ColumnTable): import('danfojs-node').DataFrame {
  check(table, 'toDanfo');
  // Loaded lazily: danfojs pulls in its own copy of tfjs, which only notebook users of this view need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (optional, native or ES-only package)
  const dfd = require('danfojs-node') as typeof import('danfojs-node');
  const columns: Record<string, unknown[]> = {};
  for (const name of table.columnNames()) columns[name] = Array.from(table.array(name) as ArrayLike<unknown>);
  return new dfd.DataFrame(columns);
}
