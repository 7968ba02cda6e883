/**
 * One row of the dashboard's runs table, read from a run folder without loading its
 * checkpoints: status (with a run whose process is gone told apart from one training), progress
 * and ETA from the last step line, final and best metric, provenance. Every read is guarded: a
 * damaged or vanishing file gives a row with `problem` set, never an exception.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flattenObject } from '../results/flatten';
import { optimizerLabel } from '../results/load';
import { readJsonLines, readManifest, RUN_FILES, stepsFile, type RunManifest, type StepLine } from '../run-format/index';
import { lockHolderAlive, readRunLock, runLockFile } from '../train/run-lock';

/** The status shown for a run: the manifest's, or `stale` for `running` without a live process. */
export type ShownStatus = RunManifest['status'] | 'stale' | 'unreadable';

/** A runs-table row. */
export interface RunSummary {
  /** `<root index>:<folder relative to the root>`: the run's key in URLs. */
  key: string;
  root: number;
  rel: string;
  runId: string;
  status: ShownStatus;
  /** The manifest's message (why it failed, diverged or stopped). */
  message: string | null;
  epochsDone: number;
  epochs: number | null;
  /** Fraction of the run's steps done, in [0, 1]. */
  progress: number;
  /** Seconds left at the pace of the recent steps (evaluation not counted); null when not training. */
  etaSeconds: number | null;
  backend: string | null;
  optimizer: string;
  seed: number | null;
  metric: string;
  final: number | null;
  best: number | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  startedAt: string | null;
  updatedAt: string | null;
  /** Last step line: step, loss. */
  step: number | null;
  loss: number | null;
  /** What could not be read, when something could not. */
  problem: string | null;
}

/** The size and change time of a file (zeros when missing): what decides whether a cached row is still right. */
function stamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '0:0';
  }
}

/** The last two complete lines of a JSON-lines file (fewer when it has fewer), reading only its tail. */
function lastLines<T>(file: string): T[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    const n = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(n);
    fs.readSync(fd, buf, 0, n, size - n);
    const text = buf.toString('utf8');
    const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
    lines.pop();
    // The first piece may be cut by the 64 KiB window; only the last two are used.
    return lines.slice(-2).flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  } finally {
    fs.closeSync(fd);
  }
}

/** The recent pace in ms per step: between the last two step lines, else the last line's step time. */
function recentMsPerStep(tail: StepLine[]): number | null {
  const [a, b] = tail.length === 2 ? tail : [undefined, tail[0]];
  if (!b) return null;
  if (a && b.step > a.step && b.time > a.time) return (b.time - a.time) / (b.step - a.step);
  return b.stepMs > 0 ? b.stepMs : null;
}

/** How often the liveness of a running run whose files did not change is checked again. */
const LIVENESS_MS = 5000;

/** Caches rows by the stamps of the files they were read from. */
export class RunSummaries {
  private readonly cache = new Map<string, { stamp: string; row: RunSummary; at: number }>();

  /** The row of the run in `dir` (key `key`), read again only when one of its files changed. */
  get(key: string, root: number, rel: string, dir: string, metric = 'testTop1'): RunSummary {
    const lockFile = runLockFile(dir);
    const s =
      [RUN_FILES.manifest, RUN_FILES.metrics, RUN_FILES.steps].map((f) => stamp(path.join(dir, f))).join('|') + `|${stamp(lockFile)}`;
    const hit = this.cache.get(key);
    // A running row whose files did not change is re-read every few seconds all the same: its
    // process may have died (stale) without touching them.
    const now = Date.now();
    if (hit && hit.stamp === s && (hit.row.status !== 'running' || now - hit.at < LIVENESS_MS)) return hit.row;
    const row = summarize(key, root, rel, dir, metric);
    this.cache.set(key, { stamp: s, row, at: now });
    return row;
  }

  /** Forgets rows of runs not in `keys` (deleted folders). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const k of this.cache.keys()) if (!keys.has(k)) this.cache.delete(k);
  }
}

function summarize(key: string, root: number, rel: string, dir: string, metric: string): RunSummary {
  const row: RunSummary = {
    key,
    root,
    rel,
    runId: path.basename(dir),
    status: 'unreadable',
    message: null,
    epochsDone: 0,
    epochs: null,
    progress: 0,
    etaSeconds: null,
    backend: null,
    optimizer: '?',
    seed: null,
    metric,
    final: null,
    best: null,
    gitCommit: null,
    gitDirty: null,
    startedAt: null,
    updatedAt: null,
    step: null,
    loss: null,
    problem: null,
  };
  let m: RunManifest;
  try {
    m = readManifest(dir);
  } catch (e) {
    row.problem = (e as Error).message;
    return row;
  }
  const config = (m.config ?? {}) as Record<string, unknown>;
  Object.assign(row, {
    runId: m.runId,
    status: m.status,
    message: m.message ?? null,
    epochsDone: m.epochsDone,
    epochs: typeof config.epochs === 'number' ? config.epochs : null,
    backend: m.backend ?? null,
    seed: typeof m.seed === 'number' ? m.seed : null,
    gitCommit: m.gitCommit ?? null,
    gitDirty: m.gitDirty ?? null,
    startedAt: m.startedAt ?? null,
    updatedAt: m.updatedAt ?? null,
  });
  try {
    row.optimizer = optimizerLabel(flattenObject(config));
  } catch {
    row.optimizer = String((config.optimizer as { name?: unknown } | undefined)?.name ?? '?');
  }
  try {
    const values = readJsonLines<Record<string, unknown>>(path.join(dir, RUN_FILES.metrics))
      .map((l) => l[metric])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    row.final = values.at(-1) ?? null;
    row.best = values.length ? (/loss/i.test(metric) ? Math.min(...values) : Math.max(...values)) : null;
  } catch (e) {
    row.problem = (e as Error).message;
  }
  const tail = lastLines<StepLine>(stepsFile(dir));
  const last = tail.at(-1) ?? null;
  const done = row.epochs ? row.epochsDone / row.epochs : 0;
  row.progress = m.status === 'completed' ? 1 : done;
  if (last && row.epochs && typeof last.step === 'number' && typeof last.batches === 'number' && last.batches > 0) {
    row.step = last.step;
    row.loss = typeof last.loss === 'number' ? last.loss : null;
    const total = row.epochs * last.batches;
    if (m.status !== 'completed') row.progress = Math.max(done, Math.min(1, last.step / total));
    if (m.status === 'running') {
      const ms = recentMsPerStep(tail);
      row.etaSeconds = ms === null ? null : ((total - last.step) * ms) / 1000;
    }
  }
  if (m.status === 'running') {
    const lock = readRunLock(dir);
    if (!lock || !lockHolderAlive(lock)) {
      row.status = 'stale';
      row.etaSeconds = null;
      row.message = 'the manifest says running, but no live process holds the run (killed?); gaf-lab resume continues it';
    }
  }
  return row;
}
