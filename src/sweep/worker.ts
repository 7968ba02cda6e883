/**
 * One sweep worker: the loop that claims runs of a sweep folder one after another and trains
 * (or resumes) each. Completed runs are skipped and interrupted ones resumed.
 * @module
 */
import * as path from 'node:path';
import { resolveConfig, runIdOf, type ResolvedConfig } from '../config/index';
import { readJson, readManifest, type RunStatus } from '../run-format/index';
import type { ProgressEvent } from '../train/progress';
import { resumeRun, runExperiment, type RunResult } from '../train/runner';
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
  /** Runs held by other live workers when this one looked. */
  busy: string[];
  interrupted: boolean;
}

/**
 * One worker of a sweep: goes through the runs in order, claims each that is not done, trains
 * or resumes it, and releases it. Any number of workers (processes) can share a folder. Ends
 * when no run is left to claim; runs held by other workers are left to them.
 */
export async function runSweepWorker(sweepDir: string, options: SweepWorkerOptions = {}): Promise<SweepWorkerReport> {
  const dir = path.resolve(sweepDir);
  const sweep = readSweep(dir);
  const report: SweepWorkerReport = { trained: [], alreadyDone: [], busy: [], interrupted: false };
  const terminal = (s: RunStatus | undefined): boolean => s === 'completed' || s === 'diverged' || (s === 'failed' && !options.retryFailed);
  for (const { runId, config } of sweep.runs) {
    if (options.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const runDir = path.join(dir, runId);
    if (terminal(statusOf(runDir))) {
      report.alreadyDone.push(runId);
      continue;
    }
    if (!claimRun(dir, runId)) {
      report.busy.push(runId);
      continue;
    }
    // Set once the claim is logged, so that the release line records how the run stood.
    let outcome: RunStatus | undefined;
    try {
      // Re-read under the lock: another worker may have finished it since we looked.
      const status = statusOf(runDir);
      if (terminal(status)) {
        report.alreadyDone.push(runId);
        continue;
      }
      logClaim(dir, { event: 'claim', runId });
      outcome = 'failed';
      const result = await trainClaimed(dir, runId, config, status !== undefined, options);
      outcome = result.status;
      report.trained.push(result);
      if (result.status === 'interrupted') report.interrupted = true;
    } finally {
      releaseRun(dir, runId, outcome);
    }
    if (report.interrupted) break;
  }
  return report;
}

/** Trains (or resumes) a claimed run; any error becomes a `failed` result, so the worker goes on. */
async function trainClaimed(dir: string, runId: string, configFile: string, exists: boolean, options: SweepWorkerOptions): Promise<RunResult> {
  const runDir = path.join(dir, runId);
  const runOptions = { onProgress: options.onProgress, signal: options.signal };
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
