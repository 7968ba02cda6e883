/**
 * One sweep worker: the loop that claims runs of a sweep folder one after another and trains
 * (or resumes) each. Completed runs are skipped and interrupted ones resumed; runs that were
 * busy are looked at again after each pass that trained something, so a run whose worker died
 * meanwhile is taken over.
 * @module
 */
import * as path from 'node:path';
import { resolveConfig, runIdOf, type ResolvedConfig } from '../config/index';
import { readJson, readManifest, type RunStatus } from '../run-format/index';
import type { ProgressEvent } from '../train/progress';
import { resumeRun, runExperiment, type RunResult } from '../train/runner';
import type { RunLock } from '../train/run-lock';
import { readSweep, statusOf } from './folder';
import { claimRun, logClaim, releaseRun } from './locks';

/** Options of {@link runSweepWorker}. */
export interface SweepWorkerOptions {
  onProgress?: (e: ProgressEvent) => void;
  /** Stops after the step in flight; the run is left interrupted and released. */
  signal?: AbortSignal;
  /** Train runs whose status is `failed` again (default false: a failure is reported, not retried). */
  retryFailed?: boolean;
}

/** What one worker did. */
export interface SweepWorkerReport {
  /** Runs this worker trained (or resumed), with their outcome. */
  trained: RunResult[];
  /** Runs that had ended before (completed, diverged, or failed without retryFailed). */
  alreadyDone: string[];
  /** Runs held by other live processes when this worker ended (they finish them). */
  busy: string[];
  interrupted: boolean;
}

/**
 * One worker of a sweep: goes through the runs in order, claims each that is not done, trains
 * or resumes it, and releases it. Any number of workers (processes) can share a folder. After a
 * pass that trained something, the runs that were busy are looked at again (their holder may
 * have died, leaving a lock to take over); the worker ends when every run it has not settled is
 * held by another live process, or none is left.
 */
export async function runSweepWorker(sweepDir: string, options: SweepWorkerOptions = {}): Promise<SweepWorkerReport> {
  const dir = path.resolve(sweepDir);
  const sweep = readSweep(dir);
  const report: SweepWorkerReport = { trained: [], alreadyDone: [], busy: [], interrupted: false };
  const terminal = (s: RunStatus | undefined): boolean => s === 'completed' || s === 'diverged' || (s === 'failed' && !options.retryFailed);
  // Runs this worker is done with: ended before, or trained by it (whatever the outcome).
  const settled = new Set<string>();
  const settle = (runId: string, done: boolean): void => {
    settled.add(runId);
    if (done) report.alreadyDone.push(runId);
  };
  for (;;) {
    let trainedAny = false;
    const busy: string[] = [];
    for (const { runId, config } of sweep.runs) {
      if (settled.has(runId)) continue;
      if (options.signal?.aborted) {
        report.interrupted = true;
        break;
      }
      const runDir = path.join(dir, runId);
      if (terminal(statusOf(runDir))) {
        settle(runId, true);
        continue;
      }
      const lock = claimRun(dir, runId);
      if (!lock) {
        busy.push(runId);
        continue;
      }
      // Set once the claim is logged, so that the release line records how the run stood.
      let outcome: RunStatus | undefined;
      try {
        // Re-read under the lock: another worker may have finished it since we looked.
        const status = statusOf(runDir);
        if (terminal(status)) {
          settle(runId, true);
          continue;
        }
        logClaim(dir, { event: 'claim', runId });
        outcome = 'failed';
        const result = await trainClaimed(dir, runId, config, status !== undefined, lock, options);
        outcome = result.status;
        report.trained.push(result);
        settle(runId, false);
        trainedAny = true;
        if (result.status === 'interrupted') report.interrupted = true;
      } finally {
        releaseRun(dir, runId, outcome);
      }
      if (report.interrupted) break;
    }
    report.busy = busy;
    if (report.interrupted || busy.length === 0 || !trainedAny) break;
  }
  return report;
}

/**
 * Trains (or resumes, when `exists`) a claimed run of the sweep folder `dir`; any error becomes a
 * `failed` result, so the caller goes on. Shared by the worker loop and the Slurm array task.
 */
export async function trainClaimed(
  dir: string,
  runId: string,
  configFile: string,
  exists: boolean,
  lock: RunLock,
  options: Pick<SweepWorkerOptions, 'onProgress' | 'signal'>,
): Promise<RunResult> {
  const runDir = path.join(dir, runId);
  const runOptions = { onProgress: options.onProgress, signal: options.signal, lock };
  try {
    // The run lands in this sweep folder even if the folder was moved since it was created.
    const runConfig = { ...readJson<ResolvedConfig>(path.join(dir, configFile)), outDir: dir };
    const nowId = runIdOf(resolveConfig(runConfig));
    if (nowId !== runId) {
      throw new Error(
        `${configFile} now resolves to run id ${nowId}, not ${runId} (gaf-lab's config defaults changed since the sweep was created); ` +
          'create the sweep again in a new folder.',
      );
    }
    return exists ? await resumeRun(runDir, runOptions) : await runExperiment(runConfig, runOptions);
  } catch (e) {
    const epochsDone = statusOf(runDir) ? readManifest(runDir).epochsDone : 0;
    return { runId, runDir, status: 'failed', epochsDone, message: (e as Error).message, startEpoch: 0, alreadyDone: false };
  }
}
