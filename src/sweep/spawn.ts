/**
 * Running a whole sweep: prepares the folder, then trains it in this process (1 worker) or in
 * N worker processes started from `worker-main.js`.
 *
 * With worker processes this process is their parent: a worker that dies (killed, crashed)
 * while runs are left is replaced by a new one, which takes over the dead worker's run (its
 * lock's process is gone) and resumes it; the exits are reported with the run each dead worker
 * held. A signal to this process stops the workers after their current step (a second one at
 * once); if this process dies, the workers notice their IPC channel closing and stop the same
 * way (see worker-main.ts).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { threadsPerWorker } from '../backend/wasm-threads';
import { prepareSweep, readSweep, sweepStatus } from './folder';
import { liveHolder, unreleasedClaims } from './locks';
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

/** How a worker process ended. */
export interface WorkerExit {
  /** 1, 2, ... in the order the workers were started (replacements continue the count). */
  worker: number;
  pid: number;
  /** Exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Runs it had claimed and not released when it ended: what a dead worker left stranded. */
  heldRuns: string[];
  /** True when it ended other than by running out of work (0) or by the sweep's own stop (130). */
  died: boolean;
  /** The worker started in its place, if any. */
  replacedBy?: number;
}

/** What {@link runSweep} did. */
export interface SweepResult {
  sweepDir: string;
  /** Every run's status at the end. */
  runs: ReturnType<typeof sweepStatus>;
  /** Exit code of each worker process, in start order (null: ended by a signal). */
  workerExitCodes: (number | null)[];
  /** How each worker process ended. */
  workerExits: WorkerExit[];
  /** True when a signal (or the abort signal) stopped the sweep. */
  interrupted: boolean;
  /** With 1 worker (in this process): what it did, including why runs failed before their folder existed. */
  report?: SweepWorkerReport;
}

/** Path of the worker script next to this module (`node worker-main.js SWEEP_DIR`). */
export const SWEEP_WORKER_SCRIPT = path.join(__dirname, 'worker-main.js');

/**
 * Runs a sweep: prepares the folder, then trains its runs with `workers` processes (each runs
 * {@link runSweepWorker}; with 1 worker, in this process). A worker process that dies while
 * runs are left to train is replaced (at most as many times as the sweep has runs). Returns
 * every run's status at the end and how the workers ended.
 */
export async function runSweep(config: unknown, options: SweepOptions = {}): Promise<SweepResult> {
  const { sweepDir } = prepareSweep(config);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`runSweep: workers must be an integer >= 1, got ${String(workers)}.`);
  if (workers === 1) {
    const report = await runSweepWorker(sweepDir, options);
    return { sweepDir, runs: sweepStatus(sweepDir), workerExitCodes: [], workerExits: [], interrupted: report.interrupted, report };
  }
  return runWorkerProcesses(sweepDir, workers, options);
}

/** True while some run is neither ended nor held by a live process: work for a new worker. */
function workLeft(sweepDir: string, retryFailed: boolean): boolean {
  return sweepStatus(sweepDir).some(
    (r) =>
      r.status !== 'completed' &&
      r.status !== 'diverged' &&
      (r.status !== 'failed' || retryFailed) &&
      liveHolder(sweepDir, r.runId) === undefined,
  );
}

async function runWorkerProcesses(sweepDir: string, workers: number, options: SweepOptions): Promise<SweepResult> {
  const maxReplacements = readSweep(sweepDir).runs.length;
  const exits: WorkerExit[] = [];
  const codes: (number | null)[] = [];
  const live = new Set<ChildProcess>();
  let started = 0;
  let replacements = 0;
  let stops = 0;
  const stopAll = (): void => {
    stops++;
    for (const child of live) {
      try {
        if (child.connected) child.send(stops > 1 ? 'stop-now' : 'stop');
      } catch {
        // its channel just closed: it is exiting
      }
    }
  };
  const onAbort = (): void => stopAll();
  options.signal?.addEventListener('abort', onAbort);
  // Ctrl-C reaches the workers through the process group too; a signal sent to this process
  // alone reaches them through stopAll.
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  try {
    await new Promise<void>((resolve, reject) => {
      const start = (): number => {
        const worker = ++started;
        const child = spawn(process.execPath, [SWEEP_WORKER_SCRIPT, sweepDir], {
          stdio: ['ignore', options.quietWorkers ? 'ignore' : 'inherit', 'inherit', 'ipc'],
          // Workers x threads stay within the cores, unless GAF_THREADS says otherwise.
          env: { GAF_THREADS: String(threadsPerWorker(workers)), ...process.env, ...options.env, GAF_SWEEP_WORKER: String(worker) },
        });
        live.add(child);
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          live.delete(child);
          codes[worker - 1] = code;
          const died = signal !== null || code !== 0 ? !(code === 130 && stops > 0) : false;
          const exit: WorkerExit = { worker, pid: child.pid!, code, signal, heldRuns: unreleasedClaims(sweepDir, child.pid!), died };
          exits.push(exit);
          if (died && stops === 0 && replacements < maxReplacements && workLeft(sweepDir, options.retryFailed ?? false)) {
            replacements++;
            exit.replacedBy = start();
          }
          if (live.size === 0) resolve();
        });
        return worker;
      };
      for (let i = 0; i < workers; i++) start();
    });
    return {
      sweepDir,
      runs: sweepStatus(sweepDir),
      workerExitCodes: codes,
      workerExits: exits.sort((a, b) => a.worker - b.worker),
      interrupted: stops > 0 || options.signal?.aborted === true,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    process.off('SIGINT', stopAll);
    process.off('SIGTERM', stopAll);
  }
}
