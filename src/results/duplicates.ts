/**
 * Duplicate runs: two run folders with the same training config and the same seed (one run id
 * copied into two folders, or the same config trained again under another `outDir` or
 * `name`). They are one measurement, so the summaries count one of them and say which.
 * @module
 */
import type { ColumnTable } from './arquero';
import { cellOf, rowsByRun, runKey, SEED_FIELD, trainingColumns } from './run-config';
import type { Cell } from './flatten';

/** One set of duplicate runs: the run counted and the ones left out. */
export interface DuplicateRuns {
  /** The seed they share. */
  seed: Cell;
  /** The run that is counted: its folder relative to the loaded directory (or its id). */
  kept: string;
  /** Status of the kept run. */
  keptStatus: string;
  /** The runs left out, by folder (or id). */
  dropped: string[];
}

/**
 * Which copy is counted: a completed run over a diverged one (both are final), over a failed
 * one, over one still running or interrupted; among equals the newest (latest `endedAt`, else
 * `startedAt`), so a run trained again replaces the older copy.
 */
const STATUS_RANK: Readonly<Record<string, number>> = { completed: 0, diverged: 1, failed: 2 };
const rankOf = (status: string): number => STATUS_RANK[status] ?? 3;
const timeOf = (row: Record<string, unknown>): string => String(row.endedAt ?? row.startedAt ?? '');

function preferred(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const byStatus = rankOf(String(a.status)) - rankOf(String(b.status));
  if (byStatus !== 0) return byStatus;
  const byTime = timeOf(b).localeCompare(timeOf(a));
  return byTime !== 0 ? byTime : runKey(a).localeCompare(runKey(b));
}

/**
 * The sets of duplicate runs in a runs table (as `loadRuns` returns): runs whose training
 * config columns (every config field except the seed and the non-training fields of
 * `NON_TRAINING_FIELDS`) and seed are equal. A table without config columns or seeds has no
 * way to tell duplicates from replicates and gives none.
 */
export function findDuplicateRuns(table: ColumnTable): DuplicateRuns[] {
  const columns = trainingColumns(table);
  if (columns.length === 0 || !table.columnNames().includes(SEED_FIELD)) return [];
  const byConfig = new Map<string, Record<string, unknown>[]>();
  for (const rows of rowsByRun(table).values()) {
    const first = rows[0]!;
    const seed = cellOf(first, SEED_FIELD);
    if (seed === null) continue;
    const k = JSON.stringify([seed, ...columns.map((c) => cellOf(first, c))]);
    let list = byConfig.get(k);
    if (!list) byConfig.set(k, (list = []));
    list.push(first);
  }
  const out: DuplicateRuns[] = [];
  for (const runs of byConfig.values()) {
    if (runs.length < 2) continue;
    const [kept, ...dropped] = [...runs].sort(preferred);
    out.push({ seed: cellOf(kept!, SEED_FIELD), kept: runKey(kept!), keptStatus: String(kept!.status), dropped: dropped.map(runKey) });
  }
  return out.sort((a, b) => a.kept.localeCompare(b.kept));
}

/** A warning line for one set of duplicates, naming every run and the one counted. */
export function describeDuplicates(d: DuplicateRuns): string {
  const all = [d.kept, ...d.dropped];
  return `warning: ${all.length} runs have the same config and seed ${String(d.seed)}: ${all.join(', ')}; counted once, using ${d.kept} (${d.keptStatus}).`;
}
