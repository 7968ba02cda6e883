import * as path from 'node:path';
import { arquero, type ColumnTable } from './arquero';
import { flattenObject, unionKeys, type Cell } from './flatten';
import { findRunDirs, readJsonLines, readManifest, type RunManifest } from '../run-format/index';
import { CLIP_CAP_FIELD } from '../optim/clip';
import { controlLabel, type ControlKind } from '../optim/controls';

/** Columns taken from the manifest (besides the flattened config); they win over config keys of the same name. */
const MANIFEST_COLUMNS = ['runId', 'status', 'seed', 'gitCommit', 'backend', 'startedAt', 'endedAt', 'epochsDone', 'message'] as const;

/** The per-epoch metric columns of docs/run-format.md, present even when no run has metrics yet. */
export const METRIC_COLUMNS = [
  'epoch',
  'trainLoss',
  'trainTop1',
  'trainTop5',
  'testLoss',
  'testTop1',
  'testTop5',
  'valLoss',
  'valTop1',
  'lr',
  'epochSeconds',
  'imagesPerSecond',
  'diverged',
] as const;

/** Options of {@link loadRuns}. */
export interface LoadRunsOptions {
  /** Keep only runs whose manifest passes this test (e.g. `m => m.status !== 'failed'`). */
  filter?: (manifest: RunManifest) => boolean;
}

/** The config columns {@link optimizerLabel} reads: the label tells runs apart on these. */
export const OPTIMIZER_LABEL_COLUMNS = [
  'optimizer.name',
  'optimizer.variant',
  'optimizer.options.alpha',
  'optimizer.options.beta',
  'optimizer.clip.kind',
  'optimizer.clip.value',
  'optimizer.clip.maxNorm',
  'optimizer.clip.maxRms',
  'optimizer.control.kind',
  'optimizer.control.of.kind',
  'optimizer.control.of.alpha',
  'optimizer.control.of.beta',
  'optimizer.gaf.kind',
  'optimizer.gaf.alpha',
  'optimizer.gaf.beta',
  'optimizer.placement',
] as const;

/**
 * A short readable name of a run's optimizer and GAF, used to group and label runs: `sgd`,
 * `sgd + 0.1*atan(20x)`, `sgd + 0.2*tanh(10x) on update`, `reference SGD_atan (alpha 0.1, beta 20)`.
 */
export function optimizerLabel(flat: Record<string, Cell>): string {
  const name = String(flat['optimizer.name'] ?? 'unknown');
  if (name === 'reference' && typeof flat['optimizer.variant'] === 'string') {
    const a = flat['optimizer.options.alpha'];
    const b = flat['optimizer.options.beta'];
    return `reference ${flat['optimizer.variant']}${typeof a === 'number' && typeof b === 'number' ? ` (alpha ${a}, beta ${b})` : ''}`;
  }
  const clipKind = flat['optimizer.clip.kind'];
  const capField = CLIP_CAP_FIELD[String(clipKind) as keyof typeof CLIP_CAP_FIELD];
  const clip = capField !== undefined ? ` + clip ${clipKind} ${flat[`optimizer.clip.${capField}`]}` : '';
  const control = flat['optimizer.control.kind'];
  if (typeof control === 'string') {
    const of = gafName(flat['optimizer.control.of.kind'], flat['optimizer.control.of.alpha'], flat['optimizer.control.of.beta']);
    return `${name}${clip} ${controlLabel(control as ControlKind, of)}`;
  }
  const kind = flat['optimizer.gaf.kind'];
  if (kind === null || kind === undefined) return `${name}${clip}`;
  const onUpdate = flat['optimizer.placement'] === 'update' ? ' on update' : '';
  return `${name}${clip} + ${gafName(kind, flat['optimizer.gaf.alpha'], flat['optimizer.gaf.beta'])}${onUpdate}`;
}

/** `0.1*atan(20x)`, or the kind alone when alpha or beta is missing. */
function gafName(kind: Cell, a: Cell, b: Cell): string {
  return a !== null && a !== undefined && b !== null && b !== undefined ? `${a}*${kind}(${b}x)` : String(kind);
}

/** Whether a run's optimizer applies a GAF: a `gaf` in the config, the adaptive GAF, or a reference variant other than plain SGD. */
export function hasGaf(flat: Record<string, Cell>): boolean {
  const name = flat['optimizer.name'];
  if (name === 'sgdAdaptiveGaf') return true;
  if (name === 'reference') return flat['optimizer.variant'] !== 'SGD_ori';
  return flat['optimizer.gaf.kind'] !== null && flat['optimizer.gaf.kind'] !== undefined;
}

function runRecord(root: string, dir: string, m: RunManifest): Record<string, Cell> {
  const flat = flattenObject(m.config);
  for (const k of MANIFEST_COLUMNS) {
    const v = m[k];
    flat[k] = v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
  }
  flat.runDir = path.relative(root, dir) || '.';
  flat.optimizerLabel = optimizerLabel(flat);
  return flat;
}

/**
 * The metrics of one run, one record per epoch. If an epoch appears twice (a resumed run that
 * re-ran an epoch), the later line wins: it is the one the run continued from.
 */
function epochRecords(dir: string): Record<string, Cell>[] {
  const byEpoch = new Map<number, Record<string, Cell>>();
  const file = path.join(dir, 'metrics.jsonl');
  for (const rec of readJsonLines(file)) {
    const flat = flattenObject(rec);
    const epoch = flat.epoch;
    if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 1) {
      throw new Error(`${file}: a line has epoch ${JSON.stringify(epoch)}; epochs are integers from 1.`);
    }
    byEpoch.delete(epoch); // re-insert so the order follows the last write
    byEpoch.set(epoch, flat);
  }
  return [...byEpoch.values()].sort((a, b) => (a.epoch as number) - (b.epoch as number));
}

/**
 * Builds an arquero table from records, with the union of their keys as columns (missing cells
 * are null), `leading` columns first, and every `required` column present even if no record has it.
 */
export function tableFromRecords(
  records: Record<string, Cell>[],
  leading: readonly string[] = [],
  required: readonly string[] = [],
): ColumnTable {
  const keys = unionKeys(records);
  for (const k of required) if (!keys.includes(k)) keys.push(k);
  const ordered = [...leading.filter((k) => keys.includes(k)), ...keys.filter((k) => !leading.includes(k))];
  const columns: Record<string, Cell[]> = {};
  for (const k of ordered) columns[k] = records.map((r) => (r[k] === undefined ? null : r[k]!));
  return arquero().table(columns);
}

const LEADING = ['runId', 'status', 'optimizerLabel', 'model.name', 'dataset.name', 'seed', ...METRIC_COLUMNS];

/**
 * Loads every run under `dir` (recursively: sweeps nest runs) into one tidy arquero table:
 * one row per run x epoch, with the run's resolved config flattened into dotted columns
 * (`optimizer.name`, `optimizer.gaf.kind`, `optimizer.gaf.alpha`, `model.name`, `dataset.name`, ...),
 * the manifest's `runId`, `status`, `seed`, `gitCommit`, ..., `runDir` (relative to `dir`),
 * `optimizerLabel`, and the metrics of docs/run-format.md.
 *
 * A run with no complete metrics line yet (just started, or diverged in its first epoch) gives
 * one row with `epoch` and the metrics null, so it is counted, not silently dropped.
 */
export function loadRuns(dir: string, options: LoadRunsOptions = {}): ColumnTable {
  const rows: Record<string, Cell>[] = [];
  for (const runDir of findRunDirs(dir)) {
    const m = readManifest(runDir);
    if (options.filter && !options.filter(m)) continue;
    const base = runRecord(dir, runDir, m);
    const epochs = epochRecords(runDir);
    if (epochs.length === 0) rows.push({ ...base, ...Object.fromEntries(METRIC_COLUMNS.map((k) => [k, null])) });
    for (const e of epochs) rows.push({ ...base, ...e });
  }
  return tableFromRecords(rows, LEADING, ['runId', 'status', 'optimizerLabel', 'seed', ...METRIC_COLUMNS]);
}

/** The fields of one `gradstats.jsonl` line (docs/run-format.md). */
export interface GradStatsRow {
  runId: string;
  optimizerLabel: string;
  /** Whether the run applies a GAF; without one the `act*` fields merely repeat `raw*`. */
  hasGaf: boolean;
  seed: number | null;
  epoch: number;
  step: number;
  variable: string;
  size: number;
  rawL2: number | null;
  rawMaxAbs: number | null;
  rawTinyFraction: number | null;
  actL2: number | null;
  actMaxAbs: number | null;
  actTinyFraction: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * The gradient statistics (`gradstats.jsonl`) of every run under `dir`, one row per observed
 * step and variable, tagged with the run's id, optimizer label and seed. Runs without the file
 * contribute nothing.
 */
export function loadGradStats(dir: string, options: LoadRunsOptions = {}): GradStatsRow[] {
  const out: GradStatsRow[] = [];
  for (const runDir of findRunDirs(dir)) {
    const m = readManifest(runDir);
    if (options.filter && !options.filter(m)) continue;
    const flat = flattenObject(m.config);
    const label = optimizerLabel(flat);
    const gaf = hasGaf(flat);
    const file = path.join(runDir, 'gradstats.jsonl');
    readJsonLines(file).forEach((r, i) => {
      if (typeof r.variable !== 'string' || typeof r.epoch !== 'number' || typeof r.step !== 'number') {
        throw new Error(`${file}: record ${i + 1} needs "variable" (string), "epoch" and "step" (numbers).`);
      }
      out.push({
        runId: m.runId,
        optimizerLabel: label,
        hasGaf: gaf,
        seed: typeof m.seed === 'number' ? m.seed : null,
        epoch: r.epoch,
        step: r.step,
        variable: r.variable,
        size: num(r.size) ?? 0,
        rawL2: num(r.rawL2),
        rawMaxAbs: num(r.rawMaxAbs),
        rawTinyFraction: num(r.rawTinyFraction),
        actL2: num(r.actL2),
        actMaxAbs: num(r.actMaxAbs),
        actTinyFraction: num(r.actTinyFraction),
      });
    });
  }
  return out;
}
