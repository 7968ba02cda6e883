/**
 * Sweeps: a base config and a grid expanded into run configs (`grid`), a sweep folder holding
 * them (`folder`, which describes the layout), run claims on the run lock (`locks`), the worker
 * loop (`worker`) and its process entry (`worker-main`), running N worker processes (`spawn`),
 * the runs not done yet (`unfinished`), the notebooks' entry (`session`), reduced sweeps for
 * smoke runs (`reduce`) and the data check before a sweep starts (`data`).
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
