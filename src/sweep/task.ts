/**
 * One run of a sweep by its index, as a Slurm array task trains it (`gaf-lab sweep task
 * SWEEP_DIR INDEX`, index = `SLURM_ARRAY_TASK_ID`): a run that has ended is skipped, one with a
 * folder is resumed from its last checkpoint, a new one is trained. So a requeued task continues
 * its run, and submitting the same sweep again is safe.
 *
 * The run is claimed with the run lock like any worker's. A task can find the lock held: by a
 * `--join` worker training the run, or by this task's own earlier attempt that was killed
 * outright on another node (its lock outlives it until its heartbeat is stale, see
 * train/run-lock.ts). The task then waits, looking again every few seconds, until the run has
 * ended or the lock is free or stale; so no run is trained twice at once, and none is lost.
 * @module
 */
import * as path from 'node:path';
import type { RunStatus } from '../run-format/index';
import type { ProgressEvent } from '../train/progress';
import type { RunResult } from '../train/runner';
import type { RunLockInfo } from '../train/run-lock';
import { readSweep, statusOf } from './folder';
import { claimRun, liveHolder, logClaim, releaseRun } from './locks';
import { trainClaimed } from './worker';

/** Options of {@link runSweepTask}. */
export interface SweepTaskOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** Stops the run after the step in flight (it is left `interrupted`, resumable). */
  signal?: AbortSignal;
  /** How often a busy run's lock is looked at again (default 5000 ms). */
  pollMs?: number;
  /** Called once when the run is found busy, with its holder (e.g. to say so in the task's log). */
  onBusy?: (holder: RunLockInfo) => void;
}

/** What {@link runSweepTask} did. */
export type SweepTaskOutcome =
  | { runId: string; action: 'skipped'; status: RunStatus }
  | { runId: string; action: 'trained'; result: RunResult }
  | { runId: string; action: 'stopped-waiting' };

/** Statuses after which a task has nothing to do; a failed run is trained again (the task was submitted for it). */
const ENDED: readonly (RunStatus | undefined)[] = ['completed', 'diverged'];

/**
 * Trains run number `index` (0-based, in `sweep.json` order) of the sweep folder: skipped when
 * it has ended (completed or diverged), resumed when its folder exists, trained otherwise;
 * waits while another live process holds it. Throws when the index is out of range.
 */
export async function runSweepTask(sweepDir: string, index: number, options: SweepTaskOptions = {}): Promise<SweepTaskOutcome> {
  const dir = path.resolve(sweepDir);
  const runs = readSweep(dir).runs;
  if (!Number.isInteger(index) || index < 0 || index >= runs.length)
    throw new Error(`run index ${index} is out of range: ${dir} holds runs 0-${runs.length - 1} (sweep.json).`);
  const { runId, config } = runs[index]!;
  const runDir = path.join(dir, runId);
  const pollMs = options.pollMs ?? 5000;
  let toldBusy = false;
  for (;;) {
    const before = statusOf(runDir);
    if (ENDED.includes(before)) return { runId, action: 'skipped', status: before! };
    if (options.signal?.aborted) return { runId, action: 'stopped-waiting' };
    const lock = claimRun(dir, runId);
    if (lock) {
      let outcome: RunStatus | undefined;
      try {
        const status = statusOf(runDir);
        if (ENDED.includes(status)) return { runId, action: 'skipped', status: status! };
        logClaim(dir, { event: 'claim', runId });
        outcome = 'failed';
        const result = await trainClaimed(dir, runId, config, status !== undefined, lock, options);
        outcome = result.status;
        return { runId, action: 'trained', result };
      } finally {
        releaseRun(dir, runId, outcome);
      }
    }
    const holder = liveHolder(dir, runId);
    if (holder && !toldBusy) {
      toldBusy = true;
      options.onBusy?.(holder);
    }
    await pause(pollMs, options.signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
