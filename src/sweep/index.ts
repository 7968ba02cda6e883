/**
 * Sweeps: a base config and a grid expanded into run configs (`grid`), a sweep folder holding
 * them (`folder`, which describes the layout), run claims on the run lock (`locks`), the worker
 * loop (`worker`) and its process entry (`worker-main`), running N worker processes (`spawn`),
 * the runs not done yet (`unfinished`), the notebooks' entry (`session`), reduced sweeps for
 * smoke runs (`reduce`) and the data check before a sweep starts (`data`); on a Slurm cluster,
 * one run by index as an array task (`task`), the batch script (`slurm-script`), submitting,
 * cancelling and the status of its tasks (`slurm-submit`, `slurm-cancel`, `slurm-status`).
 * @packageDocumentation
 */
export { sweepConfigSchema, parseSweepConfig, expandSweep } from './grid';
export type { SweepConfig, SweepConfigInput, SweepRun } from './grid';
export { prepareSweep, readSweep, sweepStatus } from './folder';
export type { SweepFile } from './folder';
export { claimRun, releaseRun, readClaims, liveHolder, unreleasedClaims } from './locks';
export type { LockInfo, ClaimRecord } from './locks';
export { runSweepWorker } from './worker';
export type { SweepWorkerOptions, SweepWorkerReport } from './worker';
export { runSweep, SWEEP_WORKER_SCRIPT } from './spawn';
export type { SweepOptions, SweepResult, WorkerExit } from './spawn';
export { unfinishedRuns } from './unfinished';
export type { UnfinishedRun } from './unfinished';
export { reduceSweep } from './reduce';
export type { SweepReduction } from './reduce';
export { prepareSweepData } from './data';
export type { SyntheticDataSpec, SweepDataRow } from './data';
export { trainSweep, sweepEnded } from './session';
export type { TrainSweepOptions, TrainSweepResult } from './session';
export { runSweepTask } from './task';
export type { SweepTaskOptions, SweepTaskOutcome } from './task';
export { slurmScript, parseSlurmTime, arraySpec, checkSlurmOptions, SLURM_FILES, DEFAULT_SIGNAL_LEAD_S, taskLogFile } from './slurm-script';
export type { SlurmOptions, SlurmPaths } from './slurm-script';
export { submitSweepToSlurm, readSlurmJobs } from './slurm-submit';
export type { SubmitSweepOptions, SlurmSubmission, SlurmJobRecord } from './slurm-submit';
export { slurmSweepStatus } from './slurm-status';
export type { SlurmSweepStatus, SlurmRunRow, SlurmTaskRecord } from './slurm-status';
export { cancelSlurmSweep } from './slurm-cancel';
