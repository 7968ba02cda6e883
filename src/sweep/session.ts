/**
 * {@link runSweep} as notebooks and scripts use it: optionally from a clean folder (smoke runs
 * must train, not find last time's runs), optionally reusing a folder whose runs have all
 * ended, and with the failures and the wall time in the result.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readManifest } from '../run-format/index';
import { formatDuration } from '../train/progress';
import { sweepStatus } from './folder';
import { parseSweepConfig } from './grid';
import { runSweep, type SweepOptions } from './spawn';

/** Options of {@link trainSweep}. */
export interface TrainSweepOptions extends SweepOptions {
  /** Delete the sweep folder first, so that every run is trained now (default false). */
  fresh?: boolean;
  /**
   * When the folder already holds a sweep whose runs have all ended (completed or diverged),
   * use it as it is, without expanding the config again (default false: runSweep checks that
   * the config still gives the same run ids, and trains what is missing).
   */
  reuseEnded?: boolean;
  /**
   * Train runs that are missing or unfinished (default true). False: a folder that does not
   * hold an ended sweep is an error that says so and adds `missingHint` (how to make the runs).
   */
  trainMissing?: boolean;
  /** What the error of `trainMissing: false` tells the reader to do, e.g. "Run `npm run main` first." */
  missingHint?: string;
}

/** What {@link trainSweep} did. */
export interface TrainSweepResult {
  sweepDir: string;
  /** Every run's status at the end. */
  runs: ReturnType<typeof sweepStatus>;
  /** False when an ended sweep was reused and nothing was trained. */
  trained: boolean;
  /** Runs that failed, with the reason (from the worker, or from the run's manifest). */
  failures: { runId: string; message: string }[];
  /** Wall time of the call. */
  seconds: number;
  /** One line on what happened, e.g. `runs/x: 6 runs (6 completed) after 41 s` or `runs/main: reused as it is, ...`. */
  note: string;
}

/** Whether `dir` holds a sweep whose runs have all ended. */
export function sweepEnded(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, 'sweep.json'))) return false;
  const runs = sweepStatus(dir);
  return runs.length > 0 && runs.every((r) => r.status === 'completed' || r.status === 'diverged');
}

/**
 * Trains a sweep (object or file) with {@link runSweep} and reports what happened. `fresh`
 * deletes the sweep folder first; `reuseEnded` returns a folder whose runs have all ended
 * without training; `trainMissing: false` refuses to train (the runs are made elsewhere, e.g.
 * by `npm run main`). The default is runSweep's: completed runs are skipped, interrupted ones
 * resumed.
 */
export async function trainSweep(config: unknown, options: TrainSweepOptions = {}): Promise<TrainSweepResult> {
  const t0 = performance.now();
  const { fresh, reuseEnded, trainMissing, missingHint, ...sweepOptions } = options;
  const dir = path.resolve(parseSweepConfig(config).outDir);
  if (fresh) fs.rmSync(dir, { recursive: true, force: true });
  const finish = (
    runs: ReturnType<typeof sweepStatus>,
    trained: boolean,
    fromWorker: { runId: string; message: string }[],
  ): TrainSweepResult => {
    const failures = new Map(fromWorker.map((f) => [f.runId, f.message]));
    for (const r of runs) {
      if (r.status === 'failed' && !failures.has(r.runId))
        failures.set(r.runId, readManifest(path.join(dir, r.runId)).message ?? 'no message recorded');
    }
    const seconds = (performance.now() - t0) / 1000;
    const counts = new Map<string, number>();
    for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const statuses = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
    const where = path.relative(process.cwd(), dir) || dir;
    const note = trained
      ? `${where}: ${runs.length} runs (${statuses}) after ${formatDuration(seconds)}${failures.size ? `; ${failures.size} failed` : ''}`
      : `${where}: reused as it is, ${runs.length} runs (${statuses}) had all ended; nothing trained`;
    return { sweepDir: dir, runs, trained, failures: [...failures].map(([runId, message]) => ({ runId, message })), seconds, note };
  };
  if (reuseEnded && sweepEnded(dir)) return finish(sweepStatus(dir), false, []);
  if (trainMissing === false) {
    const state = fs.existsSync(path.join(dir, 'sweep.json'))
      ? `its runs have not all ended (${sweepStatus(dir).filter((r) => r.status !== 'completed' && r.status !== 'diverged').length} still to train)`
      : 'it holds no sweep (no sweep.json)';
    throw new Error(`${dir}: ${state}. ${missingHint ?? 'Train the sweep first.'}`);
  }
  const result = await runSweep({ ...parseSweepConfig(config), outDir: dir }, sweepOptions);
  const fromWorker = (result.report?.trained ?? [])
    .filter((r) => r.status === 'failed')
    .map((r) => ({ runId: r.runId, message: r.message ?? 'no message' }));
  // A run that failed before its folder existed shows as pending in the status; the worker knows why.
  return finish(result.runs, true, fromWorker);
}
