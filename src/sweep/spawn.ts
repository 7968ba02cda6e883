/**
 * Running a whole sweep: prepares the folder, then trains it in this process (1 worker) or in
 * N worker processes started from `worker-main.js`.
 * @module
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { prepareSweep, sweepStatus } from './folder';
import { runSweepWorker, type SweepWorkerOptions, type SweepWorkerReport } from './worker';

/** Options of {@link runSweep}. */
export interface SweepOptions extends SweepWorkerOptions {
  /** Worker processes (default 1: the runs are trained in this process). */
  workers?: number;
  /** Extra environment for worker processes. */
  env?: NodeJS.ProcessEnv;
  /**
   * Drop the worker processes' stdout (their per-epoch lines), e.g. in a notebook, where it
   * would not reach the cell anyway and floods the kernel's log; stderr still passes. Default false.
   */
  quietWorkers?: boolean;
}

/** Path of the worker script next to this module (`node worker-main.js SWEEP_DIR`). */
export const SWEEP_WORKER_SCRIPT = path.join(__dirname, 'worker-main.js');

/**
 * Runs a sweep: prepares the folder, then trains its runs with `workers` processes (each runs
 * {@link runSweepWorker}; with 1 worker, in this process). Returns every run's status at the end.
 */
export async function runSweep(
  config: unknown,
  options: SweepOptions = {},
): Promise<{
  sweepDir: string;
  runs: ReturnType<typeof sweepStatus>;
  workerExitCodes: (number | null)[];
  /** With 1 worker (in this process): what it did, including why runs failed before their folder existed. */
  report?: SweepWorkerReport;
}> {
  const { sweepDir } = prepareSweep(config);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`runSweep: workers must be an integer >= 1, got ${String(workers)}.`);
  if (workers === 1) {
    const report = await runSweepWorker(sweepDir, options);
    return { sweepDir, runs: sweepStatus(sweepDir), workerExitCodes: [], report };
  }
  // Ctrl-C reaches the workers through the process group; this process waits for them.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  try {
    const codes = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn(process.execPath, [SWEEP_WORKER_SCRIPT, sweepDir], {
            stdio: ['ignore', options.quietWorkers ? 'ignore' : 'inherit', 'inherit'],
            env: { ...process.env, ...options.env, GAF_SWEEP_WORKER: String(i + 1) },
          });
          child.on('error', reject);
          child.on('exit', (code) => resolve(code));
        }),
      ),
    );
    return { sweepDir, runs: sweepStatus(sweepDir), workerExitCodes: codes };
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
  }
}
